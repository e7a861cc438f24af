/**
 * Secret backup and restore. A backup blob holds every version of one secret (value, content type, tags,
 * attributes, version id, timestamps), sealed with the keyring under a context naming the vault's subscription:
 * it opens only on this Kluis deployment (same root key) and only into a vault of the same subscription — any
 * vault of it, as Azure allows. The blob is opaque to clients; any change to it makes restore fail.
 */
import { StoreError, type SecretStore, type SecretVersionRecord, type VaultRecord } from "../storage/types.js";
import { DomainError } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { assertObjectName } from "./names.js";
import { MAX_SECRET_CHARS, MAX_TAGS, sealContext, secretNotFound } from "./secrets.js";

/** Marks the blob as ours and its layout; the sealed payload follows. */
const MAGIC = Buffer.from("KLUIS-SECRET-BACKUP-1:", "utf8");
/**
 * A restore sends the blob base64url-encoded in a JSON body, which the HTTP layer caps at 1 MiB; a larger backup
 * could never be restored, so it is refused up front (Azure refuses oversized backups too).
 */
const MAX_BLOB_BYTES = 700 * 1024;
const VERSION_PAGE = 100;
const VERSION_ID = /^[0-9a-f]{32}$/;

interface BackupVersion {
  version: string;
  value: string;
  contentType: string | null;
  tags: Record<string, string> | null;
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
}

interface BackupPayload {
  name: string;
  versions: BackupVersion[];
}

export function backupContext(subscriptionId: string): string {
  return `kluis:backup:${subscriptionId.toLowerCase()}`;
}

export class SecretBackups {
  constructor(
    private readonly store: SecretStore,
    private readonly keyring: Keyring,
  ) {}

  /** The blob for every version of a live secret, oldest first. Disabled or expired versions are included. */
  async backup(vault: VaultRecord, name: string): Promise<Buffer> {
    assertObjectName(name);
    const latest = await this.store.getLatest(vault.id, name);
    if (!latest) throw secretNotFound(name);
    const versions: BackupVersion[] = [];
    let after: string | null = null;
    do {
      const page = await this.store.listVersions(vault.id, name, after, VERSION_PAGE);
      for (const record of page.items) versions.push(await this.exportVersion(vault, record));
      after = page.next;
    } while (after !== null);
    const payload: BackupPayload = { name: latest.name, versions };
    const sealed = await this.keyring.seal(JSON.stringify(payload), backupContext(vault.subscriptionId));
    const blob = Buffer.concat([MAGIC, sealed]);
    if (blob.length > MAX_BLOB_BYTES) {
      throw new DomainError("BadParameter", `The backup of secret ${latest.name} would exceed ${MAX_BLOB_BYTES} bytes; purge old versions first.`);
    }
    return blob;
  }

  /** Restores every version of the backed-up secret into `vault`; the name must be free (neither live nor deleted). */
  async restore(vault: VaultRecord, blob: unknown): Promise<SecretVersionRecord> {
    const payload = await this.open(vault, blob);
    const records: SecretVersionRecord[] = [];
    for (const v of payload.versions) {
      records.push({
        vaultId: vault.id,
        name: payload.name,
        version: v.version,
        sealedValue: await this.keyring.seal(v.value, sealContext(vault.id, payload.name, v.version)),
        contentType: v.contentType,
        tags: v.tags,
        attributes: { enabled: v.enabled, nbf: v.nbf, exp: v.exp },
        createdAt: v.created,
        updatedAt: v.updated,
      });
    }
    try {
      await this.store.restore(records);
    } catch (error) {
      if (error instanceof StoreError && error.kind === "conflict") throw await this.conflict(vault, payload.name);
      throw error;
    }
    return records[records.length - 1]!;
  }

  private async exportVersion(vault: VaultRecord, record: SecretVersionRecord): Promise<BackupVersion> {
    return {
      version: record.version,
      value: await this.keyring.openString(record.sealedValue, sealContext(vault.id, record.name, record.version)),
      contentType: record.contentType,
      tags: record.tags,
      enabled: record.attributes.enabled,
      nbf: record.attributes.nbf,
      exp: record.attributes.exp,
      created: record.createdAt,
      updated: record.updatedAt,
    };
  }

  private async open(vault: VaultRecord, blob: unknown): Promise<BackupPayload> {
    if (typeof blob !== "string" || blob === "") throw new DomainError("BadParameter", "The backup blob ('value') is required and must be a base64url string.");
    const bytes = Buffer.from(blob, "base64url");
    if (bytes.length <= MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt();
    let plaintext: string;
    try {
      plaintext = await this.keyring.openString(bytes.subarray(MAGIC.length), backupContext(vault.subscriptionId));
    } catch (error) {
      // A store outage must stay a 503; anything else (wrong subscription, changed bytes, unknown key) is a bad blob.
      if (error instanceof StoreError) throw error;
      throw corrupt();
    }
    return parsePayload(plaintext);
  }

  private async conflict(vault: VaultRecord, name: string): Promise<DomainError> {
    if (await this.store.getDeleted(vault.id, name)) {
      return new DomainError(
        "Conflict",
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        "ObjectIsDeletedButRecoverable",
      );
    }
    return new DomainError("Conflict", `Secret ${name} already exists. A secret can only be restored when no secret of that name exists in the vault.`);
  }
}

function corrupt(): DomainError {
  return new DomainError("BadParameter", "Backup blob contains invalid or corrupt version.");
}

/**
 * The payload is authenticated, so it was written by a Kluis backup; it is still checked field by field, since a
 * blob from another release must not put malformed records into storage.
 */
function parsePayload(plaintext: string): BackupPayload {
  let raw: unknown;
  try {
    raw = JSON.parse(plaintext);
  } catch {
    throw corrupt();
  }
  const p = raw as Partial<BackupPayload> | null;
  if (typeof p !== "object" || p === null || typeof p.name !== "string" || !Array.isArray(p.versions) || p.versions.length === 0) throw corrupt();
  try {
    assertObjectName(p.name);
  } catch {
    throw corrupt();
  }
  const seen = new Set<string>();
  for (const v of p.versions as unknown[]) {
    if (!validVersion(v) || seen.has(v.version)) throw corrupt();
    seen.add(v.version);
  }
  return p as BackupPayload;
}

function validVersion(v: unknown): v is BackupVersion {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const time = (t: unknown) => typeof t === "number" && Number.isSafeInteger(t) && t >= 0;
  const tags = r.tags;
  return (
    typeof r.version === "string" &&
    VERSION_ID.test(r.version) &&
    typeof r.value === "string" &&
    r.value.length <= MAX_SECRET_CHARS &&
    (r.contentType === null || typeof r.contentType === "string") &&
    (tags === null ||
      (typeof tags === "object" && !Array.isArray(tags) && Object.keys(tags).length <= MAX_TAGS && Object.values(tags).every((t) => typeof t === "string"))) &&
    typeof r.enabled === "boolean" &&
    (r.nbf === null || time(r.nbf)) &&
    (r.exp === null || time(r.exp)) &&
    time(r.created) &&
    time(r.updated)
  );
}
