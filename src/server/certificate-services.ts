/**
 * Composition of the certificate services over the key and secret services they own objects in, and the job that
 * completes pending operations (issuer Self and Kluis) and starts due renewals. The job runs on every node; claims
 * in storage make each operation and renewal happen on exactly one. A create kicks the job at once on its own node,
 * so an operation completes in a moment rather than at the next tick.
 */
import type { ServerConfig } from "../config/config.js";
import { CertificateBackups } from "../domain/certificates/certificate-backup.js";
import { CertificateService, type LifetimeEvent } from "../domain/certificates/certificate-service.js";
import { CertificateVersions } from "../domain/certificates/certificate-versions.js";
import { CertificateIssuers } from "../domain/certificates/issuers-and-contacts.js";
import { IssuingCas } from "../domain/certificates/issuing-ca.js";
import { PendingOperations, POLICY_DOC } from "../domain/certificates/pending-operations.js";
import type { CertificatePolicy } from "../domain/certificates/certificate-policy.js";
import type { Keyring } from "../domain/keyring.js";
import type { KeyService } from "../domain/keys/key-service.js";
import type { SecretService } from "../domain/secrets.js";
import { log } from "../logging/levels.js";
import { recordCertificateEvent } from "../metrics/registry.js";
import type { Store, VaultRecord } from "../storage/types.js";

export interface CertificateServices {
  certificates: CertificateService;
  certificateOperations: PendingOperations;
  certificateBackups: CertificateBackups;
  certificateIssuers: CertificateIssuers;
  issuingCas: IssuingCas;
}

export interface CertificateRuntime {
  services: CertificateServices;
  /** Starts the completion and renewal job on this node. */
  startJob(): { stop(): Promise<void> };
}

export function certificateServices(config: ServerConfig, store: Store, keyring: Keyring, keys: KeyService, secrets: SecretService, subscriptionId: string): CertificateRuntime {
  // The job's clock: the test clock offset moves renewals as it moves key rotations.
  const now = () => Math.floor(Date.now() / 1000) + config.rotationClockOffsetSeconds;
  const vaultById = async (id: string): Promise<VaultRecord | null> => (await store.vaults.listBySubscription(subscriptionId)).find((v) => v.id === id && v.deletedAt === null) ?? null;
  const issuingCas = new IssuingCas(store.settings, keyring);
  const versions = new CertificateVersions(store.certificates, keyring, keys, secrets);
  const policyOf = async (vault: VaultRecord, name: string) => ((await store.vaultDocuments.get(vault.id, POLICY_DOC, name))?.body as CertificatePolicy | undefined) ?? null;
  const operations = new PendingOperations(store.vaultDocuments, keyring, versions, issuingCas, policyOf, vaultById, now);
  // A lifetime action is an event operators see in the log and in metrics; EmailContacts sends no mail (documented).
  const lifetimeEvent = (event: LifetimeEvent) => {
    recordCertificateEvent(event.action);
    log("info", { component: "certificates", event: "lifetime-action", ...event });
  };
  const certificates = new CertificateService(versions, operations, store.vaultDocuments, keys, secrets, now, lifetimeEvent);
  const services: CertificateServices = {
    certificates,
    certificateOperations: operations,
    certificateBackups: new CertificateBackups({ certificates: store.certificates, keys: store.keys, secrets: store.secrets, documents: store.vaultDocuments }, keyring),
    certificateIssuers: new CertificateIssuers(store.vaultDocuments, keyring),
    issuingCas,
  };
  return { services, startJob: () => startCertificateJob(services, vaultById, config.certificateCheckMs) };
}

function startCertificateJob(services: CertificateServices, vaultById: (id: string) => Promise<VaultRecord | null>, intervalMs: number) {
  let running: Promise<void> | null = null;
  let again = false;
  const tick = () => {
    if (running) {
      again = true; // a kick during a tick runs one more, so an operation created meanwhile is not left for later
      return;
    }
    running = (async () => {
      const renewed = await services.certificates.renewDue(vaultById);
      let completed = 0;
      for (let n = await services.certificateOperations.completeDue(); n > 0; n = await services.certificateOperations.completeDue()) completed += n;
      if (renewed + completed > 0) log("info", { component: "certificates", renewed, completed });
    })()
      .catch((error: unknown) => log("error", { component: "certificates", message: error instanceof Error ? error.message : "certificate job failed" }))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          tick();
        }
      });
  };
  services.certificateOperations.onDue(() => setImmediate(tick));
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      services.certificateOperations.onDue(() => undefined);
      await running;
    },
  };
}
