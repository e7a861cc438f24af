/**
 * Secrets: versions, attributes and soft delete with Azure's semantics. Values are sealed before they reach
 * storage, bound to vault, name and version, and opened only to answer a read.
 */
import { newVersion } from "../crypto/secrets.js";
import { StoreError, type DeletedSecretRecord, type SecretAttributesRecord, type SecretStore, type SecretVersionRecord, type VaultRecord } from "../storage/types.js";
import { DomainError } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { assertObjectName } from "./names.js";

export const MAX_SECRET_CHARS = 25_600;
export const MAX_TAGS = 15;
const MAX_CONTENT_TYPE = 255;
const DAY_SECONDS = 86_400;

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
  constructor(
    private readonly store: SecretStore,
    private readonly keyring: Keyring,
  ) {}

  async set(vault: VaultRecord, name: string, input: SecretInput): Promise<OpenedSecret> {
    assertObjectName(name);
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
      tags: parseSecretTags(input.tags),
      attributes: parseAttributes(input.attributes, { enabled: true, nbf: null, exp: null }),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.putVersion(record);
    } catch (error) {
      if (error instanceof StoreError && error.kind === "conflict") {
        throw new DomainError(
          "Conflict",
          `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
          "ObjectIsDeletedButRecoverable",
        );
      }
      throw error;
    }
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

  async find(vault: VaultRecord, name: string, version?: string): Promise<SecretVersionRecord> {
    assertObjectName(name);
    const record = version ? await this.store.getVersion(vault.id, name, version) : await this.store.getLatest(vault.id, name);
    if (!record) throw secretNotFound(version ? `${name}/${version}` : name);
    return record;
  }

  listLatest(vault: VaultRecord, after: string | null, limit: number) {
    return this.store.listLatest(vault.id, after, limit);
  }

  async listVersions(vault: VaultRecord, name: string, after: string | null, limit: number) {
    assertObjectName(name);
    return this.store.listVersions(vault.id, name, after, limit);
  }

  async update(vault: VaultRecord, name: string, version: string | undefined, input: SecretInput): Promise<SecretVersionRecord> {
    const record = await this.find(vault, name, version);
    if (input.value !== undefined) throw new DomainError("BadParameter", "The secret value can't be changed by an update; set a new version instead.");
    const updated: SecretVersionRecord = {
      ...record,
      contentType: input.contentType === undefined ? record.contentType : parseContentType(input.contentType),
      tags: input.tags === undefined ? record.tags : parseSecretTags(input.tags),
      attributes: parseAttributes(input.attributes, record.attributes),
      updatedAt: nowSeconds(),
    };
    await this.store.updateVersion(updated);
    return updated;
  }

  async delete(vault: VaultRecord, name: string): Promise<DeletedSecretRecord> {
    const latest = await this.find(vault, name);
    const now = nowSeconds();
    const scheduledPurgeAt = now + vault.properties.softDeleteRetentionInDays * DAY_SECONDS;
    if (!(await this.store.markDeleted(vault.id, name, now, scheduledPurgeAt))) throw secretNotFound(name);
    return { latest, deletedAt: now, scheduledPurgeAt };
  }

  async getDeleted(vault: VaultRecord, name: string): Promise<DeletedSecretRecord> {
    assertObjectName(name);
    const deleted = await this.store.getDeleted(vault.id, name);
    if (!deleted) throw new DomainError("SecretNotFound", `Deleted Secret not found: ${name}`);
    return deleted;
  }

  listDeleted(vault: VaultRecord, after: string | null, limit: number) {
    return this.store.listDeleted(vault.id, after, limit);
  }

  async recover(vault: VaultRecord, name: string): Promise<SecretVersionRecord> {
    const deleted = await this.getDeleted(vault, name);
    if (!(await this.store.recover(vault.id, name))) throw new DomainError("SecretNotFound", `Deleted Secret not found: ${name}`);
    return deleted.latest;
  }

  async purge(vault: VaultRecord, name: string): Promise<void> {
    await this.getDeleted(vault, name);
    if (vault.properties.enablePurgeProtection) {
      throw new DomainError("Forbidden", `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`, "PurgeProtectionEnabled");
    }
    await this.store.purge(vault.id, name);
  }
}

export function sealContext(vaultId: string, name: string, version: string): string {
  return `kluis:secret:${vaultId}:${name.toLowerCase()}:${version}`;
}

export function secretNotFound(what: string): DomainError {
  return new DomainError(
    "SecretNotFound",
    `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function parseContentType(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "string" || raw.length > MAX_CONTENT_TYPE) {
    throw new DomainError("BadParameter", `The content type must be a string of at most ${MAX_CONTENT_TYPE} characters.`);
  }
  return raw;
}

function parseSecretTags(raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new DomainError("BadParameter", "Tags must be an object of string values.");
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw new DomainError("BadParameter", `A secret can have at most ${MAX_TAGS} tags.`);
  for (const [key, value] of entries) {
    if (typeof value !== "string" || key.length > 512 || value.length > 512) {
      throw new DomainError("BadParameter", "Tag names and values must be strings of at most 512 characters.");
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseAttributes(raw: unknown, base: SecretAttributesRecord): SecretAttributesRecord {
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
