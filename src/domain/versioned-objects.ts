/**
 * What secrets, keys and certificates share: versions in a VersionedObjectStore, attributes and tags parsed the same way, and
 * soft delete with Azure's semantics (delete, get/list deleted, recover, purge, purge protection). Each collection
 * names itself through an ObjectKind so that Azure's messages say "secret" or "key".
 */
import { StoreError, type DeletedObjectRecord, type ObjectAttributesRecord, type ObjectVersionRecord, type VaultRecord, type VersionedObjectStore } from "../storage/types.js";
import { DomainError } from "./errors.js";
import { assertObjectName } from "./names.js";

export const MAX_TAGS = 15;
const DAY_SECONDS = 86_400;

export interface ObjectKind {
  /** Lower-case noun in Azure's messages: "secret", "key". */
  noun: string;
  /** Capitalized noun: "Secret", "Key". */
  title: string;
  notFoundCode: "SecretNotFound" | "KeyNotFound" | "CertificateNotFound";
}

export const SECRET_KIND: ObjectKind = { noun: "secret", title: "Secret", notFoundCode: "SecretNotFound" };
export const KEY_KIND: ObjectKind = { noun: "key", title: "Key", notFoundCode: "KeyNotFound" };
export const CERTIFICATE_KIND: ObjectKind = { noun: "certificate", title: "Certificate", notFoundCode: "CertificateNotFound" };

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function objectNotFound(kind: ObjectKind, what: string): DomainError {
  return new DomainError(
    kind.notFoundCode,
    `A ${kind.noun} with (name/id) ${what} was not found in this key vault. If you recently deleted this ${kind.noun} you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

export function deletedNotFound(kind: ObjectKind, name: string): DomainError {
  return new DomainError(kind.notFoundCode, `Deleted ${kind.title} not found: ${name}`);
}

export function deletedButRecoverable(kind: ObjectKind, name: string): DomainError {
  return new DomainError(
    "Conflict",
    `${kind.title} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${kind.noun} can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

export function parseTags(kind: ObjectKind, raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new DomainError("BadParameter", "Tags must be an object of string values.");
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw new DomainError("BadParameter", `A ${kind.noun} can have at most ${MAX_TAGS} tags.`);
  for (const [key, value] of entries) {
    if (typeof value !== "string" || key.length > 512 || value.length > 512) {
      throw new DomainError("BadParameter", "Tag names and values must be strings of at most 512 characters.");
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export function validTags(tags: unknown): tags is Record<string, string> | null {
  return (
    tags === null ||
    (typeof tags === "object" && !Array.isArray(tags) && Object.keys(tags).length <= MAX_TAGS && Object.values(tags).every((t) => typeof t === "string"))
  );
}

/** The common attributes (enabled, nbf, exp); a field left out keeps its value in `base`, null clears nbf/exp. */
export function parseAttributes(raw: unknown, base: ObjectAttributesRecord): ObjectAttributesRecord {
  if (raw === undefined || raw === null) return base;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new DomainError("BadParameter", "Attributes must be an object.");
  const a = raw as Record<string, unknown>;
  const enabled = a.enabled === undefined || a.enabled === null ? base.enabled : a.enabled;
  if (typeof enabled !== "boolean") throw new DomainError("BadParameter", "The attribute 'enabled' must be a boolean.");
  return { enabled, nbf: unixTime(a.nbf, base.nbf, "nbf"), exp: unixTime(a.exp, base.exp, "exp") };
}

function unixTime(raw: unknown, fallback: number | null, name: string): number | null {
  if (raw === undefined) return fallback;
  if (raw === null) return null;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0) {
    throw new DomainError("BadParameter", `The attribute '${name}' must be a Unix time in seconds.`);
  }
  return raw;
}

/** Versions, lists and the soft-delete cycle of one collection, with that collection's messages. */
export class VersionedObjects {
  constructor(
    readonly store: VersionedObjectStore,
    readonly kind: ObjectKind,
  ) {}

  /** Adds a version; a name held by a deleted object is Azure's 409 ObjectIsDeletedButRecoverable. */
  async put(record: ObjectVersionRecord): Promise<void> {
    try {
      await this.store.putVersion(record);
    } catch (error) {
      if (error instanceof StoreError && error.kind === "conflict") throw deletedButRecoverable(this.kind, record.name);
      throw error;
    }
  }

  async find(vault: VaultRecord, name: string, version?: string): Promise<ObjectVersionRecord> {
    assertObjectName(name);
    const record = version ? await this.store.getVersion(vault.id, name, version) : await this.store.getLatest(vault.id, name);
    if (!record) throw objectNotFound(this.kind, version ? `${name}/${version}` : name);
    return record;
  }

  listLatest(vault: VaultRecord, after: string | null, limit: number) {
    return this.store.listLatest(vault.id, after, limit);
  }

  async listVersions(vault: VaultRecord, name: string, after: string | null, limit: number) {
    assertObjectName(name);
    return this.store.listVersions(vault.id, name, after, limit);
  }

  async delete(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    const latest = await this.find(vault, name);
    const now = nowSeconds();
    const scheduledPurgeAt = now + vault.properties.softDeleteRetentionInDays * DAY_SECONDS;
    if (!(await this.store.markDeleted(vault.id, name, now, scheduledPurgeAt))) throw objectNotFound(this.kind, name);
    return { latest, deletedAt: now, scheduledPurgeAt };
  }

  async getDeleted(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    assertObjectName(name);
    const deleted = await this.store.getDeleted(vault.id, name);
    if (!deleted) throw deletedNotFound(this.kind, name);
    return deleted;
  }

  listDeleted(vault: VaultRecord, after: string | null, limit: number) {
    return this.store.listDeleted(vault.id, after, limit);
  }

  async recover(vault: VaultRecord, name: string): Promise<ObjectVersionRecord> {
    const deleted = await this.getDeleted(vault, name);
    if (!(await this.store.recover(vault.id, name))) throw deletedNotFound(this.kind, name);
    return deleted.latest;
  }

  async purge(vault: VaultRecord, name: string): Promise<void> {
    await this.getDeleted(vault, name);
    if (vault.properties.enablePurgeProtection) {
      throw new DomainError(
        "Forbidden",
        `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`,
        "PurgeProtectionEnabled",
      );
    }
    await this.store.purge(vault.id, name);
  }
}
