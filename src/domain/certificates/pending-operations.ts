/**
 * Certificate operations: what `POST …/create` starts and `GET …/pending` shows. Kluis completes operations whose
 * issuer it can act for (Self, its own CA) in the background, like Azure: create answers 202 `inProgress` and the
 * operation turns `completed` a moment later. With issuer Unknown the operation waits, holding its CSR, until the
 * client merges the signed certificate, cancels or deletes it; with another provider (DigiCert, GlobalSign…) it
 * fails, since Kluis does not reach public CAs.
 *
 * An operation is a vault document (kind `certificate-operation`, one per certificate name). Its private key — made
 * when the operation starts, so the CSR can be shown — is sealed in the document and dropped once the version is
 * written. Background completion claims due operations in storage, so each completes on exactly one node and an
 * operation whose node died is taken up by another once its lease runs out.
 */
import crypto from "node:crypto";
import { CertificateInputError, certificateSigningRequest, describeCertificate, issueCertificate, selfSignedCertificate } from "../../crypto/certificates/index.js";
import { generateKeyAsync, privateKeyObject, publicKeyObject, publicJwkOf, type KeyJwk } from "../../crypto/key-material.js";
import { newVersion } from "../../crypto/secrets.js";
import type { VaultDocumentRecord, VaultDocumentStore, VaultRecord } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { Keyring } from "../keyring.js";
import { nowSeconds } from "../versioned-objects.js";
import { KLUIS_ISSUER, SELF_ISSUER, specOf, UNKNOWN_ISSUER, type CertificatePolicy } from "./certificate-policy.js";
import { isPending, type CertificateVersions } from "./certificate-versions.js";
import type { IssuingCas } from "./issuing-ca.js";

export const OPERATION_DOC = "certificate-operation";
export const POLICY_DOC = "certificate-policy";
export const ISSUER_DOC = "certificate-issuer";
export const CONTACTS_DOC = "certificate-contacts";

/** How long a node holds a claimed operation before another may take it over. */
const LEASE_SECONDS = 60;
const CLAIM_BATCH = 8;

export type OperationStatus = "inProgress" | "completed" | "failed" | "cancelled";

/** The operation as stored (the wire adds id, target and csr encoding). */
export interface PendingOperation {
  name: string;
  version: string;
  requestId: string;
  issuer: CertificatePolicy["issuer"];
  /** How Kluis acts on it: "self", "kluis", "merge" (Unknown) or "unreachable" (a provider it cannot reach). */
  mode: "self" | "kluis" | "merge" | "unreachable";
  csr: string;
  status: OperationStatus;
  statusDetails: string;
  error?: { code: string; message: string };
  cancellationRequested: boolean;
  enabled: boolean;
  tags: Record<string, string> | null;
  preserveCertOrder?: boolean;
}

export interface StartRequest {
  policy: CertificatePolicy;
  /** The issuer object's provider when the policy names one ("Kluis", "DigiCert", …). */
  issuerProvider?: string;
  enabled: boolean;
  tags: Record<string, string> | null;
  preserveCertOrder?: boolean;
  /** The key to reuse (policy reuse_key with an existing version), else a new one is made. */
  reuseKey?: KeyJwk;
}

function pendingSealContext(vaultId: string, name: string, version: string): string {
  return `kluis:certificate-pending:${vaultId}:${name.toLowerCase()}:${version}`;
}

export function pendingNotFound(name: string): DomainError {
  return new DomainError("PendingCertificateNotFound", `Pending certificate not found: ${name}`);
}

export class PendingOperations {
  private kick: (() => void) | undefined;

  constructor(
    private readonly documents: VaultDocumentStore,
    private readonly keyring: Keyring,
    private readonly versions: CertificateVersions,
    private readonly cas: IssuingCas,
    private readonly policyOf: (vault: VaultRecord, name: string) => Promise<CertificatePolicy | null>,
    private readonly vaultById: (id: string) => Promise<VaultRecord | null>,
    private readonly now: () => number = nowSeconds,
  ) {}

  /** Called when an operation becomes due, so this node completes it at once rather than at its next tick. */
  onDue(kick: () => void): void {
    this.kick = kick;
  }

  async start(vault: VaultRecord, name: string, request: StartRequest): Promise<PendingOperation> {
    const existing = await this.documents.get(vault.id, OPERATION_DOC, name);
    if (existing && (existing.body as unknown as PendingOperation).status === "inProgress") {
      throw new DomainError("Conflict", `Certificate ${name} has a pending operation in progress; complete, cancel or delete it first.`);
    }
    const { policy } = request;
    const privateJwk = request.reuseKey ?? (await generateKeyAsync(policy.key_props.kty === "RSA" ? { kty: "RSA", size: policy.key_props.key_size } : { kty: "EC", crv: policy.key_props.crv })).privateJwk;
    const keys = { privateKey: privateKeyObject(privateJwk), publicKey: publicKeyObject(publicJwkOf(privateJwk)) };
    const csr = await certificateSigningRequest(keys, specOf(policy));
    const mode = modeOf(policy.issuer.name, request.issuerProvider);
    const version = newVersion();
    const operation: PendingOperation = {
      name,
      version,
      requestId: crypto.randomUUID().replaceAll("-", ""),
      issuer: policy.issuer,
      mode,
      csr: csr.toString("base64"),
      status: "inProgress",
      statusDetails:
        mode === "merge"
          ? "Pending certificate created. Please Perform Merge to complete the request."
          : "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.",
      cancellationRequested: false,
      enabled: request.enabled,
      tags: request.tags,
      ...(request.preserveCertOrder ? { preserveCertOrder: true } : {}),
    };
    const now = this.now();
    await this.documents.put({
      vaultId: vault.id,
      kind: OPERATION_DOC,
      name,
      body: operation as unknown as Record<string, unknown>,
      sealed: await this.keyring.seal(JSON.stringify(privateJwk), pendingSealContext(vault.id, name, version)),
      dueAt: mode === "merge" ? null : now,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    if (!(await this.versions.objects.store.getLatest(vault.id, name))) await this.versions.putPending(vault, name, version, request.enabled, request.tags);
    if (mode !== "merge") this.kick?.();
    return operation;
  }

  async get(vault: VaultRecord, name: string): Promise<PendingOperation> {
    const doc = await this.documents.get(vault.id, OPERATION_DOC, name);
    if (!doc) throw pendingNotFound(name);
    return doc.body as unknown as PendingOperation;
  }

  /** PATCH …/pending: a cancellation request stops an operation still in progress. */
  async cancel(vault: VaultRecord, name: string, cancellationRequested: boolean): Promise<PendingOperation> {
    const doc = await this.documents.get(vault.id, OPERATION_DOC, name);
    if (!doc) throw pendingNotFound(name);
    const operation = doc.body as unknown as PendingOperation;
    if (!cancellationRequested || operation.status !== "inProgress") return operation;
    const cancelled: PendingOperation = { ...operation, cancellationRequested: true, status: "cancelled", statusDetails: "The certificate operation was cancelled." };
    await this.save(doc, cancelled, null);
    return cancelled;
  }

  /** DELETE …/pending: the operation goes; a certificate whose only version it was goes with it. */
  async remove(vault: VaultRecord, name: string): Promise<PendingOperation> {
    const doc = await this.documents.get(vault.id, OPERATION_DOC, name);
    if (!doc) throw pendingNotFound(name);
    await this.documents.delete(vault.id, OPERATION_DOC, name);
    const store = this.versions.objects.store;
    const latest = await store.getLatest(vault.id, name);
    if (latest && isPending(latest) && (await store.listVersions(vault.id, name, null, 2)).items.length === 1) {
      await store.markDeleted(vault.id, name, this.now(), this.now());
      await store.purge(vault.id, name);
    }
    return doc.body as unknown as PendingOperation;
  }

  /** POST …/pending/merge: the signed certificate (and chain) for an Unknown-issuer operation's key. */
  async merge(vault: VaultRecord, name: string, x5c: Buffer[], enabled: boolean | undefined, tags: Record<string, string> | null | undefined) {
    const doc = await this.documents.get(vault.id, OPERATION_DOC, name);
    if (!doc) throw pendingNotFound(name);
    const operation = doc.body as unknown as PendingOperation;
    if (operation.status !== "inProgress" || operation.mode !== "merge") {
      throw new DomainError("BadParameter", `Merge is only allowed on a pending certificate operation of issuer '${UNKNOWN_ISSUER}' that is in progress.`);
    }
    const privateJwk = await this.openKey(vault, doc, operation);
    const publicDer = publicKeyObject(publicJwkOf(privateJwk)).export({ format: "der", type: "spki" });
    let facts;
    try {
      facts = x5c.map((der) => ({ der, facts: describeCertificate(der) }));
    } catch (error) {
      if (error instanceof CertificateInputError) throw new DomainError("BadParameter", error.message);
      throw error;
    }
    const leafIndex = facts.findIndex((f) => f.facts.publicKey.export({ format: "der", type: "spki" }).equals(publicDer));
    if (leafIndex < 0) throw new DomainError("BadParameter", "Public key from x509 certificate and key of this instance doesn't match");
    const chain = [facts[leafIndex]!.der, ...facts.filter((_, i) => i !== leafIndex).map((f) => f.der)];
    const policy = await this.requirePolicy(vault, name);
    const record = await this.versions.write(vault, {
      name: doc.name,
      version: operation.version,
      privateJwk,
      chain,
      policy,
      enabled: enabled ?? operation.enabled,
      tags: tags === undefined ? operation.tags : tags,
      ...(operation.preserveCertOrder ? { preserveCertOrder: true } : {}),
    });
    await this.save(doc, { ...operation, status: "completed", statusDetails: "" }, null);
    return record;
  }

  /** Completes every due operation this node can claim; returns how many it completed. */
  async completeDue(): Promise<number> {
    const now = this.now();
    const claimed = await this.documents.claimDue(OPERATION_DOC, now, now + LEASE_SECONDS, CLAIM_BATCH);
    let completed = 0;
    for (const doc of claimed) {
      const vault = await this.vaultById(doc.vaultId);
      if (!vault) {
        await this.documents.delete(doc.vaultId, OPERATION_DOC, doc.name);
        continue;
      }
      if (await this.complete(vault, doc)) completed++;
    }
    return completed;
  }

  private async complete(vault: VaultRecord, doc: VaultDocumentRecord): Promise<boolean> {
    const operation = doc.body as unknown as PendingOperation;
    if (operation.status !== "inProgress") {
      await this.save(doc, operation, null);
      return false;
    }
    if (operation.mode === "unreachable") {
      await this.fail(doc, operation, "ProviderUnavailable", `Kluis cannot reach the issuer provider of '${operation.issuer.name}'; use 'Self', 'Unknown' (and merge) or '${KLUIS_ISSUER}'.`);
      return false;
    }
    try {
      const policy = await this.requirePolicy(vault, doc.name);
      const privateJwk = await this.openKey(vault, doc, operation);
      const keys = { privateKey: privateKeyObject(privateJwk), publicKey: publicKeyObject(publicJwkOf(privateJwk)) };
      const now = new Date(this.now() * 1000);
      let chain: Buffer[];
      if (operation.mode === "self") {
        chain = [await selfSignedCertificate(keys, specOf(policy), now)];
      } else {
        const ca = await this.cas.forSigning(vault.properties.tenantId);
        chain = [await issueCertificate(ca, keys.publicKey, specOf(policy), now), ca.certificate];
      }
      await this.versions.write(vault, {
        name: doc.name,
        version: operation.version,
        privateJwk,
        chain,
        policy,
        enabled: operation.enabled,
        tags: operation.tags,
        ...(operation.preserveCertOrder ? { preserveCertOrder: true } : {}),
      });
      await this.save(doc, { ...operation, status: "completed", statusDetails: "" }, null);
      return true;
    } catch (error) {
      // Bad input was refused when the operation started; what fails here is ours. The reason stays in the
      // operation (no key material is ever in these messages) and the operation ends rather than retrying forever.
      const message = error instanceof DomainError || error instanceof CertificateInputError ? error.message : "The certificate could not be issued.";
      await this.fail(doc, operation, "CertificateIssuanceFailed", message);
      return false;
    }
  }

  private async fail(doc: VaultDocumentRecord, operation: PendingOperation, code: string, message: string): Promise<void> {
    await this.save(doc, { ...operation, status: "failed", statusDetails: message, error: { code, message } }, null);
  }

  /** Rewrites the operation; a finished one loses its sealed key and its due time. */
  private async save(doc: VaultDocumentRecord, operation: PendingOperation, dueAt: number | null): Promise<void> {
    const finished = operation.status !== "inProgress";
    await this.documents.put({ ...doc, body: operation as unknown as Record<string, unknown>, sealed: finished ? null : doc.sealed, dueAt, updatedAt: this.now() });
  }

  private async openKey(vault: VaultRecord, doc: VaultDocumentRecord, operation: PendingOperation): Promise<KeyJwk> {
    if (!doc.sealed) throw new DomainError("BadParameter", "The pending certificate operation no longer holds a key.");
    return JSON.parse(await this.keyring.openString(doc.sealed, pendingSealContext(vault.id, doc.name, operation.version))) as KeyJwk;
  }

  private async requirePolicy(vault: VaultRecord, name: string): Promise<CertificatePolicy> {
    const policy = await this.policyOf(vault, name);
    if (!policy) throw new DomainError("BadParameter", `The policy of certificate ${name} is missing.`);
    return policy;
  }
}

function modeOf(issuerName: string, provider: string | undefined): PendingOperation["mode"] {
  const lower = issuerName.toLowerCase();
  if (lower === SELF_ISSUER.toLowerCase()) return "self";
  if (lower === UNKNOWN_ISSUER.toLowerCase()) return "merge";
  if (lower === KLUIS_ISSUER.toLowerCase() || provider?.toLowerCase() === KLUIS_ISSUER.toLowerCase()) return "kluis";
  return "unreachable";
}
