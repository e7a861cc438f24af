/**
 * Secrets: versions, attributes and soft delete with Azure's semantics (shared with keys, versioned-objects.ts).
 * Values are sealed before they reach storage, bound to vault, name and version, and opened only to answer a read.
 */
import { newVersion } from "../crypto/secrets.js";
import type { DeletedSecretRecord, SecretStore, SecretVersionRecord, VaultRecord } from "../storage/types.js";
import { DomainError } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { assertObjectName } from "./names.js";
import { nowSeconds, objectNotFound, parseAttributes, parseTags, SECRET_KIND, VersionedObjects } from "./versioned-objects.js";

export { MAX_TAGS } from "./versioned-objects.js";
export const MAX_SECRET_CHARS = 25_600;
const MAX_CONTENT_TYPE = 255;

export interface SecretInput {
  value?: unknown;
  contentType?: unknown;
  tags?: unknown;
  attributes?: unknown;
}

export interface OpenedSecret {
  record: SecretVersionRecord;
  value: string;
}

export class SecretService {
  private readonly objects: VersionedObjects;

  constructor(
    store: SecretStore,
    private readonly keyring: Keyring,
  ) {
    this.objects = new VersionedObjects(store, SECRET_KIND);
  }

  async set(vault: VaultRecord, name: string, input: SecretInput): Promise<OpenedSecret> {
    assertObjectName(name);
    const latest = await this.objects.store.getLatest(vault.id, name);
    if (latest && isManaged(latest)) throw managedByKeyVault("set");
    if (typeof input.value !== "string") throw new DomainError("BadParameter", "The secret value is required and must be a string.");
    if (input.value.length > MAX_SECRET_CHARS) {
      throw new DomainError("BadParameter", `Secret is beyond the maximum permitted length of ${MAX_SECRET_CHARS} characters.`, "SecretTooLarge");
    }
    const now = nowSeconds();
    const version = newVersion();
    const record: SecretVersionRecord = {
      vaultId: vault.id,
      name,
      version,
      sealedValue: await this.keyring.seal(input.value, sealContext(vault.id, name, version)),
      contentType: parseContentType(input.contentType),
      tags: parseTags(SECRET_KIND, input.tags),
      attributes: parseAttributes(input.attributes, { enabled: true, nbf: null, exp: null }),
      createdAt: now,
      updatedAt: now,
    };
    await this.objects.put(record);
    return { record, value: input.value };
  }

  /**
   * Reads a value: the version must exist and be enabled. nbf/exp are deliberately not enforced: Azure documents
   * that a secret's get "will work for not-yet-valid and expired secrets, outside the nbf / exp window" (for tests
   * and for recovery), and its service answers 200 there (Azure/AzureKeyVault#19). Only keys enforce them.
   */
  async get(vault: VaultRecord, name: string, version?: string): Promise<OpenedSecret> {
    const record = await this.find(vault, name, version);
    if (!record.attributes.enabled) throw new DomainError("Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
    const value = await this.keyring.openString(record.sealedValue, sealContext(vault.id, record.name, record.version));
    return { record, value };
  }

  find(vault: VaultRecord, name: string, version?: string): Promise<SecretVersionRecord> {
    return this.objects.find(vault, name, version);
  }

  listLatest(vault: VaultRecord, after: string | null, limit: number) {
    return this.objects.listLatest(vault, after, limit);
  }

  listVersions(vault: VaultRecord, name: string, after: string | null, limit: number) {
    return this.objects.listVersions(vault, name, after, limit);
  }

  async update(vault: VaultRecord, name: string, version: string | undefined, input: SecretInput): Promise<SecretVersionRecord> {
    const record = await this.find(vault, name, version);
    if (input.value !== undefined) throw new DomainError("BadParameter", "The secret value can't be changed by an update; set a new version instead.");
    const updated: SecretVersionRecord = {
      ...record,
      contentType: input.contentType === undefined ? record.contentType : parseContentType(input.contentType),
      tags: input.tags === undefined ? record.tags : parseTags(SECRET_KIND, input.tags),
      attributes: parseAttributes(input.attributes, record.attributes),
      updatedAt: nowSeconds(),
    };
    await this.objects.store.updateVersion(updated);
    return updated;
  }

  async delete(vault: VaultRecord, name: string): Promise<DeletedSecretRecord> {
    if (isManaged(await this.find(vault, name))) throw managedByKeyVault("delete");
    return this.objects.delete(vault, name);
  }

  getDeleted(vault: VaultRecord, name: string): Promise<DeletedSecretRecord> {
    return this.objects.getDeleted(vault, name);
  }

  /** Deleted secrets, without those of certificates (Azure lists those only as deleted certificates). */
  async listDeleted(vault: VaultRecord, after: string | null, limit: number) {
    const page = await this.objects.listDeleted(vault, after, limit);
    return { ...page, items: page.items.filter((d) => !isManaged(d.latest)) };
  }

  async recover(vault: VaultRecord, name: string): Promise<SecretVersionRecord> {
    if (isManaged((await this.objects.getDeleted(vault, name)).latest)) throw managedByKeyVault("recover");
    return this.objects.recover(vault, name);
  }

  async purge(vault: VaultRecord, name: string): Promise<void> {
    if (isManaged((await this.objects.getDeleted(vault, name)).latest)) throw managedByKeyVault("purge");
    return this.objects.purge(vault, name);
  }

  /**
   * A certificate's secret version (its PFX or PEM), with the certificate's version id and `managed` set, so that
   * the secret's own set, delete, recover and purge refuse it. The `…Managed` methods below act for the owner.
   */
  async putManaged(vault: VaultRecord, name: string, version: string, value: string, contentType: string, attributes: SecretVersionRecord["attributes"], tags: Record<string, string> | null): Promise<SecretVersionRecord> {
    const now = nowSeconds();
    const record: SecretVersionRecord = {
      vaultId: vault.id,
      name,
      version,
      sealedValue: await this.keyring.seal(value, sealContext(vault.id, name, version)),
      contentType,
      meta: { managed: true },
      tags,
      attributes,
      createdAt: now,
      updatedAt: now,
    };
    await this.objects.put(record);
    return record;
  }

  deleteManaged(vault: VaultRecord, name: string): Promise<DeletedSecretRecord> {
    return this.objects.delete(vault, name);
  }

  recoverManaged(vault: VaultRecord, name: string): Promise<SecretVersionRecord> {
    return this.objects.recover(vault, name);
  }

  purgeManaged(vault: VaultRecord, name: string): Promise<void> {
    return this.objects.purge(vault, name);
  }

  /** Sets `enabled` on one version whatever owns it (a certificate's update reaches its secret this way). */
  async setEnabled(vault: VaultRecord, name: string, version: string, enabled: boolean): Promise<void> {
    const record = await this.objects.store.getVersion(vault.id, name, version);
    if (!record || record.attributes.enabled === enabled) return;
    await this.objects.store.updateVersion({ ...record, attributes: { ...record.attributes, enabled }, updatedAt: nowSeconds() });
  }
}

/** Whether a secret version belongs to a certificate. */
export function isManaged(record: SecretVersionRecord): boolean {
  return record.meta?.managed === true;
}

/** Azure's answer to changing a certificate's secret through the secrets API. */
function managedByKeyVault(operation: string): DomainError {
  return new DomainError("Forbidden", `Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`, "SecretManagedByKeyVault");
}

export function sealContext(vaultId: string, name: string, version: string): string {
  return `kluis:secret:${vaultId}:${name.toLowerCase()}:${version}`;
}

export function secretNotFound(what: string): DomainError {
  return objectNotFound(SECRET_KIND, what);
}

function parseContentType(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "string" || raw.length > MAX_CONTENT_TYPE) {
    throw new DomainError("BadParameter", `The content type must be a string of at most ${MAX_CONTENT_TYPE} characters.`);
  }
  return raw;
}
