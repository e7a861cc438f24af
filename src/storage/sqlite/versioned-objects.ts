/**
 * SQLite store of versioned objects with soft delete: one class, one instance per collection (secrets, keys), each
 * on its own pair of tables (storage/collections.ts). The objects table holds one row per name (latest version,
 * deleted state); the versions table holds every version with its sealed value and `meta` JSON. Paging is
 * keyset-based (name key, or version sequence), so a continuation stays valid however the set changes between pages.
 */
import type Database from "better-sqlite3";
import type { VersionedTables } from "../collections.js";
import { GroupCommit } from "./group-commit.js";
import { LatestCache } from "./latest-cache.js";
import { VersionCache } from "./version-cache.js";
import { StoreError, type DeletedObjectRecord, type ObjectPage, type ObjectVersionRecord, type VersionedObjectStore } from "../types.js";

interface VersionRow {
  seq: number;
  vault_id: string;
  version: string;
  name: string;
  value: Buffer;
  content_type: string | null;
  meta: string | null;
  tags: string | null;
  enabled: number;
  nbf: number | null;
  exp: number | null;
  created_at: number;
  updated_at: number;
}

interface DeletedRow extends VersionRow {
  name_key: string;
  deleted_at: number;
  purge_at: number;
}

function toRecord(row: VersionRow): ObjectVersionRecord {
  return {
    vaultId: row.vault_id,
    name: row.name,
    version: row.version,
    sealedValue: row.value,
    contentType: row.content_type,
    meta: row.meta === null ? null : (JSON.parse(row.meta) as Record<string, unknown>),
    tags: row.tags === null ? null : (JSON.parse(row.tags) as Record<string, string>),
    attributes: { enabled: row.enabled === 1, nbf: row.nbf, exp: row.exp },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const V = "v.seq, v.vault_id, v.version, v.name, v.value, v.content_type, v.meta, v.tags, v.enabled, v.nbf, v.exp, v.created_at, v.updated_at";

function isConstraintError(error: unknown): boolean {
  return error instanceof Error && "code" in error && String(error.code).startsWith("SQLITE_CONSTRAINT");
}

export class SqliteVersionedObjects implements VersionedObjectStore {
  private readonly state;
  private readonly insertVersion;
  private readonly upsertLatest;
  private readonly latest;
  private readonly oneVersion;
  private readonly pageLatest;
  private readonly pageVersions;
  private readonly changeVersion;
  private readonly setDeleted;
  private readonly deleted;
  private readonly pageDeleted;
  private readonly undelete;
  private readonly dropVersions;
  private readonly dropObject;
  private readonly expired;
  private readonly putTx;
  private readonly puts: GroupCommit<ObjectVersionRecord>;
  private readonly latestCache: LatestCache;
  private readonly versionCache: VersionCache;
  private readonly purgeTx;
  private readonly restoreTx;

  constructor(
    db: Database.Database,
    private readonly tables: VersionedTables,
  ) {
    const { objects, versions, noun } = tables;
    this.latestCache = new LatestCache(noun);
    this.versionCache = new VersionCache(noun);
    const latestJoin = `${objects} s JOIN ${versions} v ON v.seq = s.latest_seq`;
    const liveVersions = `${versions} v JOIN ${objects} s ON s.vault_id = v.vault_id AND s.name_key = v.name_key`;
    this.state = db.prepare<[string, string], { deleted_at: number | null }>(`SELECT deleted_at FROM ${objects} WHERE vault_id = ? AND name_key = ?`);
    this.insertVersion = db.prepare(
      `INSERT INTO ${versions} (vault_id, name_key, version, name, value, content_type, meta, tags, enabled, nbf, exp, created_at, updated_at)
       VALUES (@vault_id, @name_key, @version, @name, @value, @content_type, @meta, @tags, @enabled, @nbf, @exp, @created_at, @updated_at)`,
    );
    this.upsertLatest = db.prepare(
      `INSERT INTO ${objects} (vault_id, name_key, latest_version, latest_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (vault_id, name_key) DO UPDATE SET latest_version = excluded.latest_version, latest_seq = excluded.latest_seq`,
    );
    this.latest = db.prepare<[string, string], VersionRow>(
      `SELECT ${V} FROM ${latestJoin} WHERE s.vault_id = ? AND s.name_key = ? AND s.deleted_at IS NULL`,
    );
    this.oneVersion = db.prepare<[string, string, string], VersionRow>(
      `SELECT ${V} FROM ${liveVersions} WHERE v.vault_id = ? AND v.name_key = ? AND v.version = ? AND s.deleted_at IS NULL`,
    );
    this.pageLatest = db.prepare<[string, string, number], VersionRow & { name_key: string }>(
      `SELECT ${V}, s.name_key FROM ${latestJoin} WHERE s.vault_id = ? AND s.name_key > ? AND s.deleted_at IS NULL ORDER BY s.name_key LIMIT ?`,
    );
    this.pageVersions = db.prepare<[string, string, number, number], VersionRow>(
      `SELECT ${V} FROM ${liveVersions} WHERE v.vault_id = ? AND v.name_key = ? AND v.seq > ? AND s.deleted_at IS NULL ORDER BY v.seq LIMIT ?`,
    );
    this.changeVersion = db.prepare(
      `UPDATE ${versions} SET content_type = @content_type, meta = @meta, tags = @tags, enabled = @enabled, nbf = @nbf, exp = @exp,
         updated_at = @updated_at
       WHERE vault_id = @vault_id AND name_key = @name_key AND version = @version`,
    );
    this.setDeleted = db.prepare(
      `UPDATE ${objects} SET deleted_at = ?, purge_at = ? WHERE vault_id = ? AND name_key = ? AND deleted_at IS NULL`,
    );
    this.deleted = db.prepare<[string, string], DeletedRow>(
      `SELECT ${V}, s.name_key, s.deleted_at, s.purge_at FROM ${latestJoin} WHERE s.vault_id = ? AND s.name_key = ? AND s.deleted_at IS NOT NULL`,
    );
    this.pageDeleted = db.prepare<[string, string, number], DeletedRow>(
      `SELECT ${V}, s.name_key, s.deleted_at, s.purge_at FROM ${latestJoin}
       WHERE s.vault_id = ? AND s.name_key > ? AND s.deleted_at IS NOT NULL ORDER BY s.name_key LIMIT ?`,
    );
    this.undelete = db.prepare(
      `UPDATE ${objects} SET deleted_at = NULL, purge_at = NULL WHERE vault_id = ? AND name_key = ? AND deleted_at IS NOT NULL`,
    );
    this.dropVersions = db.prepare(`DELETE FROM ${versions} WHERE vault_id = ? AND name_key = ?`);
    this.dropObject = db.prepare(`DELETE FROM ${objects} WHERE vault_id = ? AND name_key = ? AND deleted_at IS NOT NULL`);
    this.expired = db.prepare<[number], { vault_id: string; name_key: string }>(
      `SELECT vault_id, name_key FROM ${objects} WHERE purge_at IS NOT NULL AND purge_at <= ?`,
    );

    const insert = (record: ObjectVersionRecord, key: string) =>
      this.insertVersion.run({ ...versionParams(record), name_key: key, value: record.sealedValue, created_at: record.createdAt }).lastInsertRowid;
    this.putTx = db.transaction((record: ObjectVersionRecord) => {
      const key = record.name.toLowerCase();
      this.latestCache.drop(record.vaultId, key);
      const existing = this.state.get(record.vaultId, key);
      if (existing && existing.deleted_at !== null) throw new StoreError("conflict", `${noun} is deleted but recoverable`);
      this.upsertLatest.run(record.vaultId, key, record.version, insert(record, key));
    });
    this.restoreTx = db.transaction((records: ObjectVersionRecord[]) => {
      const last = records[records.length - 1]!;
      const key = last.name.toLowerCase();
      this.latestCache.drop(last.vaultId, key);
      this.versionCache.dropNames(new Set([LatestCache.key(last.vaultId, key)]));
      if (this.state.get(last.vaultId, key)) throw new StoreError("conflict", `${noun} exists`);
      let seq: number | bigint = 0;
      for (const record of records) seq = insert(record, key);
      this.upsertLatest.run(last.vaultId, key, last.version, seq);
    });
    this.puts = new GroupCommit(db, this.putTx);
    this.purgeTx = db.transaction((vaultId: string, key: string): boolean => {
      this.latestCache.drop(vaultId, key);
      const removed = this.dropObject.run(vaultId, key).changes > 0;
      if (removed) this.dropVersions.run(vaultId, key);
      return removed;
    });
  }

  async putVersion(record: ObjectVersionRecord): Promise<void> {
    try {
      await this.puts.submit(record);
    } catch (error) {
      if (isConstraintError(error)) throw new StoreError("conflict", `${this.tables.noun} version exists`);
      throw error;
    }
  }

  async restore(versions: ObjectVersionRecord[]): Promise<void> {
    if (versions.length === 0) return;
    try {
      this.restoreTx.immediate(versions);
    } catch (error) {
      if (isConstraintError(error)) throw new StoreError("conflict", `${this.tables.noun} version exists`);
      throw error;
    }
  }

  async getLatest(vaultId: string, name: string) {
    const nameKey = name.toLowerCase();
    const key = LatestCache.key(vaultId, nameKey);
    const cached = this.latestCache.get(key);
    if (cached !== undefined) return cached;
    const row = this.latest.get(vaultId, nameKey);
    const record = row ? toRecord(row) : null;
    this.latestCache.set(key, record);
    return record;
  }

  async getVersion(vaultId: string, name: string, version: string) {
    const nameKey = name.toLowerCase();
    const versionKey = version.toLowerCase();
    const key = VersionCache.key(vaultId, nameKey, versionKey);
    const cached = this.versionCache.get(key);
    // A cached row answers only while its object is live; the latest cache knows that without a query.
    if (cached !== undefined) return (await this.getLatest(vaultId, nameKey)) === null ? null : cached;
    const row = this.oneVersion.get(vaultId, nameKey, versionKey);
    if (!row) return null;
    const record = toRecord(row);
    this.versionCache.set(key, record);
    return record;
  }

  async listLatest(vaultId: string, after: string | null, limit: number): Promise<ObjectPage<ObjectVersionRecord>> {
    const rows = this.pageLatest.all(vaultId, after ?? "", limit + 1);
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items: items.map(toRecord), next: last ? last.name_key : null };
  }

  async listVersions(vaultId: string, name: string, after: string | null, limit: number): Promise<ObjectPage<ObjectVersionRecord>> {
    const rows = this.pageVersions.all(vaultId, name.toLowerCase(), after === null ? 0 : Number(after) || 0, limit + 1);
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items: items.map(toRecord), next: last ? String(last.seq) : null };
  }

  async updateVersion(record: ObjectVersionRecord): Promise<void> {
    this.latestCache.drop(record.vaultId, record.name.toLowerCase());
    this.versionCache.drop(record.vaultId, record.name.toLowerCase(), record.version);
    this.changeVersion.run({ ...versionParams(record), name_key: record.name.toLowerCase() });
  }

  async markDeleted(vaultId: string, name: string, deletedAt: number, scheduledPurgeAt: number): Promise<boolean> {
    this.latestCache.drop(vaultId, name.toLowerCase());
    return this.setDeleted.run(deletedAt, scheduledPurgeAt, vaultId, name.toLowerCase()).changes > 0;
  }

  async getDeleted(vaultId: string, name: string): Promise<DeletedObjectRecord | null> {
    const row = this.deleted.get(vaultId, name.toLowerCase());
    return row ? toDeleted(row) : null;
  }

  async listDeleted(vaultId: string, after: string | null, limit: number): Promise<ObjectPage<DeletedObjectRecord>> {
    const rows = this.pageDeleted.all(vaultId, after ?? "", limit + 1);
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items: items.map(toDeleted), next: last ? last.name_key : null };
  }

  async recover(vaultId: string, name: string): Promise<boolean> {
    this.latestCache.drop(vaultId, name.toLowerCase());
    return this.undelete.run(vaultId, name.toLowerCase()).changes > 0;
  }

  async purge(vaultId: string, name: string): Promise<boolean> {
    const key = name.toLowerCase();
    const removed = this.purgeTx.immediate(vaultId, key);
    this.versionCache.dropNames(new Set([LatestCache.key(vaultId, key)]));
    return removed;
  }

  /** Drops every cached version (after writes that bypass this store, such as purging a whole vault). */
  forgetCached(): void {
    this.latestCache.clear();
    this.versionCache.clear();
  }

  async purgeExpired(now: number): Promise<number> {
    let count = 0;
    const purged = new Set<string>();
    for (const row of this.expired.all(now)) {
      if (this.purgeTx.immediate(row.vault_id, row.name_key)) count++;
      purged.add(LatestCache.key(row.vault_id, row.name_key));
    }
    this.versionCache.dropNames(purged);
    return count;
  }
}

function versionParams(record: ObjectVersionRecord) {
  return {
    vault_id: record.vaultId,
    version: record.version,
    name: record.name,
    content_type: record.contentType,
    meta: record.meta == null ? null : JSON.stringify(record.meta),
    tags: record.tags === null ? null : JSON.stringify(record.tags),
    enabled: record.attributes.enabled ? 1 : 0,
    nbf: record.attributes.nbf,
    exp: record.attributes.exp,
    updated_at: record.updatedAt,
  };
}

function toDeleted(row: DeletedRow): DeletedObjectRecord {
  return { latest: toRecord(row), deletedAt: row.deleted_at, scheduledPurgeAt: row.purge_at };
}
