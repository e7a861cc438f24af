/**
 * Backup and restore of a vault object (a secret or a key), for every collection alike. A backup blob holds every
 * version of one object (its sealed-at-rest value opened, content type, collection fields, tags, attributes,
 * version id, timestamps), sealed with the keyring under a context naming the collection and the vault's
 * subscription: it opens only on this Kluis deployment (same root key), only as the collection it was made from,
 * and only into a vault of the same subscription — any vault of it, as Azure allows. The blob is opaque to
 * clients; any change to it makes restore fail.
 */
import { StoreError, type ObjectVersionRecord, type VaultRecord, type VersionedObjectStore } from "../storage/types.js";
import { DomainError } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { assertObjectName } from "./names.js";
import { deletedButRecoverable, objectNotFound, validTags, type ObjectKind } from "./versioned-objects.js";

/** What differs between collections: names, the blob's marker and seal context, and what a valid value is. */
export interface BackupCollection {
  kind: ObjectKind;
  /** Marks the blob as ours, its collection and its layout; the sealed payload follows. */
  magic: Buffer;
  blobContext(subscriptionId: string): string;
  /** The seal context of one version's value at rest. */
  sealContext(vaultId: string, name: string, version: string): string;
  /** Whether a version's value and collection fields, read from a blob, may go into storage. */
  validValue(value: string, meta: Record<string, unknown> | null): boolean;
}

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
  /** The collection's own public fields (keys); absent for secrets. */
  meta?: Record<string, unknown> | null;
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

export class ObjectBackups {
  constructor(
    private readonly store: VersionedObjectStore,
    private readonly keyring: Keyring,
    private readonly collection: BackupCollection,
  ) {}

  /** The blob for every version of a live object, oldest first. Disabled or expired versions are included. */
  async backup(vault: VaultRecord, name: string): Promise<Buffer> {
    assertObjectName(name);
    const latest = await this.store.getLatest(vault.id, name);
    if (!latest) throw objectNotFound(this.collection.kind, name);
    const versions: BackupVersion[] = [];
    let after: string | null = null;
    do {
      const page = await this.store.listVersions(vault.id, name, after, VERSION_PAGE);
      for (const record of page.items) versions.push(await this.exportVersion(vault, record));
      after = page.next;
    } while (after !== null);
    const payload: BackupPayload = { name: latest.name, versions };
    const sealed = await this.keyring.seal(JSON.stringify(payload), this.collection.blobContext(vault.subscriptionId));
    const blob = Buffer.concat([this.collection.magic, sealed]);
    if (blob.length > MAX_BLOB_BYTES) {
      throw new DomainError("BadParameter", `The backup of ${this.collection.kind.noun} ${latest.name} would exceed ${MAX_BLOB_BYTES} bytes; purge old versions first.`);
    }
    return blob;
  }

  /** The name of the object a blob holds, after the blob is opened and checked like a restore does; writes nothing. */
  async nameOf(vault: VaultRecord, blob: unknown): Promise<string> {
    return (await this.open(vault, blob)).name;
  }

  /** Restores every version of the backed-up object into `vault`; the name must be free (neither live nor deleted). */
  async restore(vault: VaultRecord, blob: unknown): Promise<ObjectVersionRecord> {
    const payload = await this.open(vault, blob);
    const records: ObjectVersionRecord[] = [];
    for (const v of payload.versions) {
      records.push({
        vaultId: vault.id,
        name: payload.name,
        version: v.version,
        sealedValue: await this.keyring.seal(v.value, this.collection.sealContext(vault.id, payload.name, v.version)),
        contentType: v.contentType,
        meta: v.meta ?? null,
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

  private async exportVersion(vault: VaultRecord, record: ObjectVersionRecord): Promise<BackupVersion> {
    const version: BackupVersion = {
      version: record.version,
      value: await this.keyring.openString(record.sealedValue, this.collection.sealContext(vault.id, record.name, record.version)),
      contentType: record.contentType,
      tags: record.tags,
      enabled: record.attributes.enabled,
      nbf: record.attributes.nbf,
      exp: record.attributes.exp,
      created: record.createdAt,
      updated: record.updatedAt,
    };
    if (record.meta) version.meta = record.meta;
    return version;
  }

  private async open(vault: VaultRecord, blob: unknown): Promise<BackupPayload> {
    if (typeof blob !== "string" || blob === "") throw new DomainError("BadParameter", "The backup blob ('value') is required and must be a base64url string.");
    const bytes = Buffer.from(blob, "base64url");
    const { magic } = this.collection;
    if (bytes.length <= magic.length || !bytes.subarray(0, magic.length).equals(magic)) throw corrupt();
    let plaintext: string;
    try {
      plaintext = await this.keyring.openString(bytes.subarray(magic.length), this.collection.blobContext(vault.subscriptionId));
    } catch (error) {
      // A store outage must stay a 503; anything else (wrong subscription, changed bytes, unknown key) is a bad blob.
      if (error instanceof StoreError) throw error;
      throw corrupt();
    }
    return this.parsePayload(plaintext);
  }

  private async conflict(vault: VaultRecord, name: string): Promise<DomainError> {
    const { kind } = this.collection;
    if (await this.store.getDeleted(vault.id, name)) return deletedButRecoverable(kind, name);
    return new DomainError("Conflict", `${kind.title} ${name} already exists. A ${kind.noun} can only be restored when no ${kind.noun} of that name exists in the vault.`);
  }

  /**
   * The payload is authenticated, so it was written by a Kluis backup; it is still checked field by field, since a
   * blob from another release must not put malformed records into storage.
   */
  private parsePayload(plaintext: string): BackupPayload {
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
      if (!validVersion(v) || seen.has(v.version) || !this.collection.validValue(v.value, v.meta ?? null)) throw corrupt();
      seen.add(v.version);
    }
    return p as BackupPayload;
  }
}

function corrupt(): DomainError {
  return new DomainError("BadParameter", "Backup blob contains invalid or corrupt version.");
}

function validVersion(v: unknown): v is BackupVersion {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const time = (t: unknown) => typeof t === "number" && Number.isSafeInteger(t) && t >= 0;
  return (
    typeof r.version === "string" &&
    VERSION_ID.test(r.version) &&
    typeof r.value === "string" &&
    (r.contentType === null || typeof r.contentType === "string") &&
    (r.meta === undefined || r.meta === null || (typeof r.meta === "object" && !Array.isArray(r.meta))) &&
    validTags(r.tags) &&
    typeof r.enabled === "boolean" &&
    (r.nbf === null || time(r.nbf)) &&
    (r.exp === null || time(r.exp)) &&
    time(r.created) &&
    time(r.updated)
  );
}
