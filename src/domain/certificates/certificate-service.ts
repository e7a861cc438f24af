/**
 * Certificates: create (through a pending operation), import, versions, update, policy, the soft-delete cycle and
 * automatic renewal. A certificate owns a key and a secret of its name (certificate-versions.ts): deleting,
 * recovering and purging it does the same to both, and its update's `enabled` reaches them too.
 */
import { CertificateInputError, describeCertificate, keyMatchesCertificate, parsePemBundle, parsePfx } from "../../crypto/certificates/index.js";
import { keySize, type CurveName, type KeyJwk } from "../../crypto/key-material.js";
import { newVersion } from "../../crypto/secrets.js";
import type { DeletedObjectRecord, ObjectVersionRecord, VaultDocumentStore, VaultRecord } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { KeyService } from "../keys/key-service.js";
import { assertObjectName } from "../names.js";
import { isManaged, type SecretService } from "../secrets.js";
import { CERTIFICATE_KIND, deletedButRecoverable, nowSeconds, parseAttributes, parseTags } from "../versioned-objects.js";
import { KLUIS_ISSUER, lifetimeActionDue, parsePolicy, PEM, PKCS12, policyFromCertificate, SELF_ISSUER, UNKNOWN_ISSUER, type CertificatePolicy, type SecretContentType } from "./certificate-policy.js";
import { certificateMetaOf, type CertificateVersions } from "./certificate-versions.js";
import { ISSUER_DOC, OPERATION_DOC, POLICY_DOC, type PendingOperation, type PendingOperations } from "./pending-operations.js";

/** Body of `POST /certificates/{name}/create`. */
export interface CertificateCreateInput {
  policy?: unknown;
  attributes?: unknown;
  tags?: unknown;
  preserveCertOrder?: unknown;
}

/** Body of `POST /certificates/{name}/import`. */
export interface CertificateImportInput extends CertificateCreateInput {
  value?: unknown;
  pwd?: unknown;
}

/** Body of `PATCH /certificates/{name}[/{version}]`. */
export interface CertificateUpdateInput {
  policy?: unknown;
  attributes?: unknown;
  tags?: unknown;
}

const RENEWAL_LEASE_SECONDS = 300;

/** A lifetime action carried out: a renewal started, or the contacts to be told that a certificate nears expiry. */
export interface LifetimeEvent {
  action: "AutoRenew" | "EmailContacts";
  vault: string;
  certificate: string;
  version: string;
  expires: number | null;
}
const MAX_IMPORT_CHARS = 200_000;

export class CertificateService {
  constructor(
    private readonly versions: CertificateVersions,
    private readonly operations: PendingOperations,
    private readonly documents: VaultDocumentStore,
    private readonly keys: KeyService,
    private readonly secrets: SecretService,
    private readonly now: () => number = nowSeconds,
    private readonly lifetimeEvent: (event: LifetimeEvent) => void = () => undefined,
  ) {
    versions.onWritten((vault, record) => this.versionWritten(vault, record));
  }

  async create(vault: VaultRecord, name: string, input: CertificateCreateInput): Promise<PendingOperation> {
    assertObjectName(name);
    const stored = await this.policy(vault, name);
    const policy = parsePolicy(input.policy, this.now(), stored ?? undefined);
    const attributes = parseAttributes(input.attributes, { enabled: true, nbf: null, exp: null });
    const tags = parseTags(CERTIFICATE_KIND, input.tags);
    const preserveCertOrder = parsePreserve(input.preserveCertOrder);
    await this.assertNameFree(vault, name);
    // Before the policy is saved: a refused create must leave the certificate's policy as it was.
    await this.operations.assertNoneInProgress(vault, name);
    const issuerProvider = await this.issuerProvider(vault, policy.issuer.name);
    let reuseKey: KeyJwk | undefined;
    const latest = policy.key_props.reuse_key ? await this.versions.objects.store.getLatest(vault.id, name) : null;
    if (latest) reuseKey = await this.keys.openPrivateJwk(vault, await this.keys.find(vault, latest.name, latest.version));
    await this.savePolicy(vault, name, policy, null);
    return this.operations.start(vault, name, { policy, issuerProvider, enabled: attributes.enabled, tags, preserveCertOrder, reuseKey });
  }

  async import(vault: VaultRecord, name: string, input: CertificateImportInput): Promise<ObjectVersionRecord> {
    assertObjectName(name);
    if (typeof input.value !== "string" || input.value === "" || input.value.length > MAX_IMPORT_CHARS) {
      throw new DomainError("BadParameter", "The certificate to import (value) is required: a base64 PFX or a PEM bundle.");
    }
    if (input.pwd !== undefined && input.pwd !== null && typeof input.pwd !== "string") throw new DomainError("BadParameter", "The password (pwd) must be a string.");
    const stored = await this.policy(vault, name);
    const givenType = (input.policy as { secret_props?: { contentType?: unknown } } | undefined)?.secret_props?.contentType;
    const contentType: SecretContentType = givenType === PEM || (givenType === undefined && input.value.trimStart().startsWith("-----")) ? PEM : PKCS12;
    const { privateKey, certificates } = parseImport(input.value, contentType, (input.pwd as string | undefined) || undefined);
    const leaf = certificates[0]!;
    if (!keyMatchesCertificate(privateKey, leaf)) throw new DomainError("BadParameter", "The private key does not match the certificate's public key.");
    const facts = describeCertificate(leaf);
    const privateJwk = privateKey.export({ format: "jwk" }) as KeyJwk;
    const jwk = normalizeJwk(privateJwk);
    const keyShape = jwk.kty === "RSA" ? { kty: "RSA" as const, size: keySize(jwk) } : { kty: "EC" as const, crv: jwk.crv as CurveName };
    const derived = policyFromCertificate(facts, contentType, keyShape, this.now());
    const policy = input.policy === undefined || input.policy === null ? (stored ?? derived) : parsePolicy(input.policy, this.now(), stored ?? derived);
    if (policy.key_props.kty !== jwk.kty) throw new DomainError("BadParameter", "The key type of the policy does not match the certificate's key.");
    const attributes = parseAttributes(input.attributes, { enabled: true, nbf: null, exp: null });
    const tags = parseTags(CERTIFICATE_KIND, input.tags);
    const preserveCertOrder = parsePreserve(input.preserveCertOrder);
    await this.assertNameFree(vault, name);
    await this.savePolicy(vault, name, policy, null);
    return this.versions.write(vault, { name, version: newVersion(), privateJwk: jwk, chain: certificates, policy, enabled: attributes.enabled, tags, ...(preserveCertOrder ? { preserveCertOrder } : {}) });
  }

  find(vault: VaultRecord, name: string, version?: string): Promise<ObjectVersionRecord> {
    return this.versions.objects.find(vault, name, version);
  }

  async policy(vault: VaultRecord, name: string): Promise<CertificatePolicy | null> {
    const doc = await this.documents.get(vault.id, POLICY_DOC, name);
    return doc ? (doc.body as unknown as CertificatePolicy) : null;
  }

  /** GET …/policy: the policy of a live certificate. */
  async getPolicy(vault: VaultRecord, name: string): Promise<CertificatePolicy> {
    await this.find(vault, name);
    const policy = await this.policy(vault, name);
    if (!policy) throw new DomainError("CertificateNotFound", `Policy of certificate ${name} not found.`);
    return policy;
  }

  /** PATCH …/policy: the given parts replace the stored ones; renewal is rescheduled. */
  async updatePolicy(vault: VaultRecord, name: string, raw: unknown): Promise<CertificatePolicy> {
    const latest = await this.find(vault, name);
    const stored = await this.policy(vault, name);
    const policy = parsePolicy(raw, this.now(), stored ?? undefined);
    await this.issuerProvider(vault, policy.issuer.name);
    await this.savePolicy(vault, name, policy, latest);
    return policy;
  }

  listLatest(vault: VaultRecord, after: string | null, limit: number) {
    return this.versions.objects.listLatest(vault, after, limit);
  }

  listVersions(vault: VaultRecord, name: string, after: string | null, limit: number) {
    return this.versions.objects.listVersions(vault, name, after, limit);
  }

  /** PATCH …/certificates/{name}[/{version}]: attributes (enabled reaches the key and secret), tags, policy. */
  async update(vault: VaultRecord, name: string, version: string | undefined, input: CertificateUpdateInput): Promise<ObjectVersionRecord> {
    const record = await this.find(vault, name, version);
    const requested = parseAttributes(input.attributes, record.attributes);
    const tags = input.tags === undefined ? record.tags : parseTags(CERTIFICATE_KIND, input.tags);
    if (input.policy !== undefined && input.policy !== null) await this.updatePolicy(vault, record.name, input.policy);
    // nbf and exp are the certificate's own validity: only `enabled` can change.
    const updated: ObjectVersionRecord = { ...record, attributes: { ...record.attributes, enabled: requested.enabled }, tags, updatedAt: this.now() };
    await this.versions.objects.store.updateVersion(updated);
    await this.keys.setEnabled(vault, record.name, record.version, requested.enabled);
    await this.secrets.setEnabled(vault, record.name, record.version, requested.enabled);
    return updated;
  }

  async delete(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    const deleted = await this.versions.objects.delete(vault, name);
    await this.keys.deleteManaged(vault, deleted.latest.name).catch(ignoreNotFound);
    await this.secrets.deleteManaged(vault, deleted.latest.name).catch(ignoreNotFound);
    await this.documents.delete(vault.id, OPERATION_DOC, name);
    return deleted;
  }

  getDeleted(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    return this.versions.objects.getDeleted(vault, name);
  }

  listDeleted(vault: VaultRecord, after: string | null, limit: number) {
    return this.versions.objects.listDeleted(vault, after, limit);
  }

  async recover(vault: VaultRecord, name: string): Promise<ObjectVersionRecord> {
    const recovered = await this.versions.objects.recover(vault, name);
    await this.keys.recoverManaged(vault, recovered.name).catch(ignoreNotFound);
    await this.secrets.recoverManaged(vault, recovered.name).catch(ignoreNotFound);
    return recovered;
  }

  async purge(vault: VaultRecord, name: string): Promise<void> {
    await this.versions.objects.purge(vault, name);
    await this.keys.purgeManaged(vault, name).catch(ignoreNotFound);
    await this.secrets.purgeManaged(vault, name).catch(ignoreNotFound);
    await this.documents.delete(vault.id, POLICY_DOC, name);
  }

  /**
   * Carries out every lifetime action that has fallen due (claimed in storage, so one node does each): AutoRenew
   * starts a renewal, whose new version the pending-operation job issues; EmailContacts is recorded as a lifetime
   * event (Kluis sends no mail: the composition root logs it and counts it). Returns how many were carried out.
   */
  async renewDue(vaultById: (id: string) => Promise<VaultRecord | null>): Promise<number> {
    const now = this.now();
    const claimed = await this.documents.claimDue(POLICY_DOC, now, now + RENEWAL_LEASE_SECONDS, 8);
    let started = 0;
    for (const doc of claimed) {
      const vault = await vaultById(doc.vaultId);
      const policy = doc.body as unknown as CertificatePolicy;
      const latest = vault ? await this.versions.objects.store.getLatest(vault.id, doc.name) : null;
      if (!vault || !latest) {
        await this.documents.put({ ...doc, dueAt: null });
        continue;
      }
      const due = lifetimeActionDue(policy, latest.attributes.nbf ?? latest.createdAt, latest.attributes.exp ?? latest.createdAt);
      if (due === null || due.at > now) {
        await this.documents.put({ ...doc, dueAt: due?.at ?? null });
        continue;
      }
      const event: LifetimeEvent = { action: due.type, vault: vault.name, certificate: latest.name, version: latest.version, expires: latest.attributes.exp };
      if (due.type === "EmailContacts") {
        // Once per version: the next version schedules the next notification.
        await this.documents.put({ ...doc, dueAt: null });
        this.lifetimeEvent(event);
        started++;
        continue;
      }
      try {
        const issuerProvider = await this.issuerProvider(vault, policy.issuer.name);
        const reuseKey = policy.key_props.reuse_key ? await this.keys.openPrivateJwk(vault, await this.keys.find(vault, latest.name, latest.version)) : undefined;
        await this.operations.start(vault, latest.name, { policy, issuerProvider, enabled: true, tags: latest.tags, reuseKey });
        this.lifetimeEvent(event);
        started++;
      } catch {
        // A renewal that cannot start (an operation already pending) is looked at again after the lease.
      }
    }
    return started;
  }

  /** Stores the policy; with a version, its AutoRenew due time too (the renewal job claims by it). */
  async savePolicy(vault: VaultRecord, name: string, policy: CertificatePolicy, latest: ObjectVersionRecord | null): Promise<void> {
    const existing = await this.documents.get(vault.id, POLICY_DOC, name);
    const dueAt = latest ? (lifetimeActionDue(policy, latest.attributes.nbf ?? latest.createdAt, latest.attributes.exp ?? latest.createdAt)?.at ?? null) : (existing?.dueAt ?? null);
    const now = this.now();
    await this.documents.put({ vaultId: vault.id, kind: POLICY_DOC, name, body: policy as unknown as Record<string, unknown>, sealed: null, dueAt, createdAt: existing?.createdAt ?? now, updatedAt: now });
  }

  /** A version was written: schedule its renewal by its policy. */
  async versionWritten(vault: VaultRecord, record: ObjectVersionRecord): Promise<void> {
    const policy = await this.policy(vault, record.name);
    if (policy) await this.savePolicy(vault, record.name, policy, record);
  }

  /**
   * A certificate's name must not be held by a deleted certificate, nor by a key or secret that is not its own
   * (Azure keeps the three namespaces in step for certificates).
   */
  private async assertNameFree(vault: VaultRecord, name: string): Promise<void> {
    if (await this.versions.objects.store.getDeleted(vault.id, name)) throw deletedButRecoverable(CERTIFICATE_KIND, name);
    const secret = await this.secrets.find(vault, name).catch(() => null);
    const key = await this.keys.find(vault, name).catch(() => null);
    const foreign = (secret && !isManaged(secret)) || (key && key.meta?.managed !== true);
    if (foreign) throw new DomainError("Conflict", `A secret or key named ${name} already exists in this vault and does not belong to a certificate; choose another name.`);
  }

  /** The provider behind a policy's issuer name: none for Self, Unknown and Kluis; else an issuer object must exist. */
  private async issuerProvider(vault: VaultRecord, issuerName: string): Promise<string | undefined> {
    const lower = issuerName.toLowerCase();
    if ([SELF_ISSUER, UNKNOWN_ISSUER, KLUIS_ISSUER].some((n) => n.toLowerCase() === lower)) return undefined;
    const issuer = await this.documents.get(vault.id, ISSUER_DOC, issuerName);
    if (!issuer) throw new DomainError("BadParameter", `Issuer not found: ${issuerName.slice(0, 127)}. Use '${SELF_ISSUER}', '${UNKNOWN_ISSUER}', '${KLUIS_ISSUER}' or create the issuer first.`);
    return String((issuer.body as { provider?: unknown }).provider ?? "");
  }
}

function ignoreNotFound(error: unknown): void {
  if (error instanceof DomainError && (error.code === "KeyNotFound" || error.code === "SecretNotFound")) return;
  throw error;
}

function parsePreserve(raw: unknown): boolean | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "boolean") throw new DomainError("BadParameter", "The property 'preserveCertOrder' must be a boolean.");
  return raw;
}

function parseImport(value: string, contentType: SecretContentType, password: string | undefined) {
  try {
    if (contentType === PEM) return parsePemBundle(value);
    return parsePfx(Buffer.from(value, "base64"), password);
  } catch (error) {
    if (error instanceof CertificateInputError) throw new DomainError("BadParameter", error.message);
    throw error;
  }
}

/** node:crypto's JWK export → Kluis's (Azure's curve names). */
function normalizeJwk(jwk: KeyJwk): KeyJwk {
  if (jwk.kty !== "EC") return jwk;
  const names: Record<string, CurveName> = { "P-256": "P-256", "P-384": "P-384", "P-521": "P-521", secp256k1: "P-256K" };
  const crv = names[String(jwk.crv)];
  if (!crv) throw new DomainError("BadParameter", "The certificate's key uses a curve Key Vault does not support.");
  return { ...jwk, crv };
}

export { certificateMetaOf };
