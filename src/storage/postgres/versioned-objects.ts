/**
 * PostgreSQL store of versioned objects with soft delete, one instance per collection (secrets, keys), same layout
 * as SQLite (storage/collections.ts): the objects table has one row per name (latest pointer, deleted state), the
 * versions table every version with its sealed value (BYTEA), `meta` JSON (TEXT) and an identity `seq`. Paging is
 * keyset-based: by lower-cased name (COLLATE "C") for listLatest/listDeleted, by seq for listVersions.
 *
 * Nothing is cached here, so there is nothing to invalidate across nodes: every read goes to the database.
 */
import type { VersionedTables } from "../collections.js";
import { StoreError, type DeletedObjectRecord, type ObjectPage, type ObjectVersionRecord, type VersionedObjectStore } from "../types.js";
import { num, numOrNull, pageLimit, textKey, type Db, type Queryable } from "./db.js";

interface VersionRow {
  seq: string;
  vault_id: string;
  version: string;
  name: string;
  value: Buffer;
  content_type: string | null;
  meta: string | null;
  tags: string | null;
  enabled: boolean;
  nbf: string | null;
  exp: string | null;
  created_at: string;
  updated_at: string;
}

interface KeyedRow extends VersionRow {
  name_key: string;
}

interface DeletedRow extends KeyedRow {
  deleted_at: string;
  purge_at: string;
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
    attributes: { enabled: row.enabled, nbf: numOrNull(row.nbf), exp: numOrNull(row.exp) },
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function toDeleted(row: DeletedRow): DeletedObjectRecord {
  return { latest: toRecord(row), deletedAt: num(row.deleted_at), scheduledPurgeAt: num(row.purge_at) };
}

function page<R, T>(rows: R[], limit: number, map: (row: R) => T, key: (row: R) => string): ObjectPage<T> {
  const items = rows.slice(0, limit);
  const last = rows.length > limit ? items[items.length - 1] : undefined;
  return { items: items.map(map), next: last ? key(last) : null };
}

/**
 * listVersions' continuation, read as SQLite does (`Number(after) || 0`). Sequences are integers, so `seq > x`
 * equals `seq > floor(x)`; values past BIGINT can't be exceeded by any seq.
 */
function seqAfter(after: string | null): string | null {
  const position = after === null ? 0 : Number(after) || 0;
  if (position >= 2 ** 63) return null;
  return String(Math.max(Math.floor(position), 0));
}

const V = "v.seq, v.vault_id, v.version, v.name, v.value, v.content_type, v.meta, v.tags, v.enabled, v.nbf, v.exp, v.created_at, v.updated_at";
/** The SQL of one collection, built once from its table names. */
function statements({ objects, versions }: VersionedTables) {
  const latestJoin = `${objects} s JOIN ${versions} v ON v.seq = s.latest_seq`;
  const liveVersions = `${versions} v JOIN ${objects} s ON s.vault_id = v.vault_id AND s.name_key = v.name_key AND s.deleted_at IS NULL`;
  const insertColumns = "vault_id, name_key, version, name, value, content_type, meta, tags, enabled, nbf, exp, created_at, updated_at";
  const insertValues = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13";
  return {
    claimName: `INSERT INTO ${objects} AS s (vault_id, name_key, latest_seq, latest_version) VALUES ($1, $2, 0, '')
      ON CONFLICT (vault_id, name_key) DO UPDATE SET latest_seq = s.latest_seq
      RETURNING s.deleted_at`,
    insertLatest: `WITH v AS (
        INSERT INTO ${versions} (${insertColumns}) VALUES (${insertValues}) RETURNING seq
      )
      UPDATE ${objects} s SET latest_seq = v.seq, latest_version = $3
      FROM v WHERE s.vault_id = $1 AND s.name_key = $2 AND s.latest_seq < v.seq`,
    claimNewName: `INSERT INTO ${objects} (vault_id, name_key, latest_seq, latest_version) VALUES ($1, $2, 0, '')
      ON CONFLICT (vault_id, name_key) DO NOTHING`,
    insertVersion: `INSERT INTO ${versions} (${insertColumns}) VALUES (${insertValues}) RETURNING seq`,
    pointLatest: `UPDATE ${objects} SET latest_seq = $3, latest_version = $4 WHERE vault_id = $1 AND name_key = $2`,
    latest: `SELECT ${V} FROM ${latestJoin} WHERE s.vault_id = $1 AND s.name_key = $2 AND s.deleted_at IS NULL`,
    oneVersion: `SELECT ${V} FROM ${liveVersions} WHERE v.vault_id = $1 AND v.name_key = $2 AND v.version = $3`,
    pageLatest: `SELECT ${V}, s.name_key FROM ${latestJoin}
      WHERE s.vault_id = $1 AND s.name_key > $2 AND s.deleted_at IS NULL ORDER BY s.name_key LIMIT $3`,
    pageVersions: `SELECT ${V} FROM ${liveVersions} WHERE v.vault_id = $1 AND v.name_key = $2 AND v.seq > $3 ORDER BY v.seq LIMIT $4`,
    changeVersion: `UPDATE ${versions} SET content_type = $4, meta = $5, tags = $6, enabled = $7, nbf = $8, exp = $9, updated_at = $10
      WHERE vault_id = $1 AND name_key = $2 AND version = $3`,
    setDeleted: `UPDATE ${objects} SET deleted_at = $3, purge_at = $4 WHERE vault_id = $1 AND name_key = $2 AND deleted_at IS NULL`,
    deleted: `SELECT ${V}, s.name_key, s.deleted_at, s.purge_at FROM ${latestJoin}
      WHERE s.vault_id = $1 AND s.name_key = $2 AND s.deleted_at IS NOT NULL`,
    pageDeleted: `SELECT ${V}, s.name_key, s.deleted_at, s.purge_at FROM ${latestJoin}
      WHERE s.vault_id = $1 AND s.name_key > $2 AND s.deleted_at IS NOT NULL ORDER BY s.name_key LIMIT $3`,
    undelete: `UPDATE ${objects} SET deleted_at = NULL, purge_at = NULL WHERE vault_id = $1 AND name_key = $2 AND deleted_at IS NOT NULL`,
    expired: `SELECT vault_id, name_key FROM ${objects} WHERE purge_at IS NOT NULL AND purge_at <= $1`,
    dropObject: `DELETE FROM ${objects} WHERE vault_id = $1 AND name_key = $2 AND deleted_at IS NOT NULL`,
    dropVersions: `DELETE FROM ${versions} WHERE vault_id = $1 AND name_key = $2`,
  };
}

export class PgVersionedObjects implements VersionedObjectStore {
  private readonly sql;
  private readonly noun;

  constructor(
    private readonly db: Db,
    tables: VersionedTables,
  ) {
    this.sql = statements(tables);
    this.noun = tables.noun;
  }

  /**
   * Lock first, then number. The first statement takes the row lock on the object's row in the objects table, creating a
   * placeholder row if the name is new (a concurrent creator of the same name waits on our uncommitted row and then
   * takes the conflict branch, which locks the row as well). Only while holding that lock do we insert the version
   * and so draw its seq. Hence, per name, seqs are drawn in commit order, which gives us:
   *  - `latest` always points at the highest seq (the `latest_seq <` guard below is belt and braces);
   *  - listVersions' keyset paging (`seq > after`) can't skip a version: with an upsert that only guards on
   *    `latest_seq < excluded.latest_seq`, seq 10 may commit after seq 11 and a reader that already continued past
   *    11 would never see 10;
   *  - the deleted-but-recoverable check is made on a locked row, so it can't race with markDeleted.
   * Writers of one name serialize (they would contend on the row anyway); writers of different names don't.
   */
  async putVersion(record: ObjectVersionRecord): Promise<void> {
    const key = record.name.toLowerCase();
    await this.db.tx(async (client) => {
      const { rows } = await client.query<{ deleted_at: string | null }>(this.sql.claimName, [record.vaultId, key]);
      if (rows[0]?.deleted_at != null) throw new StoreError("conflict", `${this.noun} is deleted but recoverable`);
      await client.query(this.sql.insertLatest, insertValues(record, key));
    }, `${this.noun} version exists`);
  }

  /**
   * The placeholder objects row is inserted first with ON CONFLICT DO NOTHING: an existing name (live or deleted)
   * returns no row and means conflict; a concurrent putVersion or restore of the same name waits on our uncommitted
   * row, then sees it. Versions are inserted in order, so their seqs keep the backup's order.
   */
  async restore(versions: ObjectVersionRecord[]): Promise<void> {
    const last = versions[versions.length - 1];
    if (!last) return;
    const key = last.name.toLowerCase();
    await this.db.tx(async (client) => {
      const claimed = await client.query(this.sql.claimNewName, [last.vaultId, key]);
      if ((claimed.rowCount ?? 0) === 0) throw new StoreError("conflict", `${this.noun} exists`);
      let seq = "0";
      for (const record of versions) {
        const { rows } = await client.query<{ seq: string }>(this.sql.insertVersion, insertValues(record, key));
        seq = rows[0]!.seq;
      }
      await client.query(this.sql.pointLatest, [last.vaultId, key, seq, last.version]);
    }, `${this.noun} version exists`);
  }

  async getLatest(vaultId: string, name: string) {
    const row = await this.db.one<VersionRow>(this.sql.latest, [vaultId, name.toLowerCase()]);
    return row ? toRecord(row) : null;
  }

  async getVersion(vaultId: string, name: string, version: string) {
    const row = await this.db.one<VersionRow>(this.sql.oneVersion, [vaultId, name.toLowerCase(), version.toLowerCase()]);
    return row ? toRecord(row) : null;
  }

  async listLatest(vaultId: string, after: string | null, limit: number): Promise<ObjectPage<ObjectVersionRecord>> {
    const rows = await this.db.rows<KeyedRow>(this.sql.pageLatest, [vaultId, textKey(after ?? ""), pageLimit(limit)]);
    return page(rows, limit, toRecord, (row) => row.name_key);
  }

  async listVersions(vaultId: string, name: string, after: string | null, limit: number): Promise<ObjectPage<ObjectVersionRecord>> {
    const position = seqAfter(after);
    if (position === null) return { items: [], next: null };
    const rows = await this.db.rows<VersionRow>(this.sql.pageVersions, [vaultId, name.toLowerCase(), position, pageLimit(limit)]);
    return page(rows, limit, toRecord, (row) => String(row.seq));
  }

  async updateVersion(record: ObjectVersionRecord): Promise<void> {
    await this.db.query(this.sql.changeVersion, [
        record.vaultId,
        record.name.toLowerCase(),
        record.version,
        record.contentType,
        metaText(record),
        record.tags === null ? null : JSON.stringify(record.tags),
        record.attributes.enabled,
        record.attributes.nbf,
        record.attributes.exp,
        record.updatedAt,
    ]);
  }

  async markDeleted(vaultId: string, name: string, deletedAt: number, scheduledPurgeAt: number): Promise<boolean> {
    const result = await this.db.query(this.sql.setDeleted, [vaultId, name.toLowerCase(), deletedAt, scheduledPurgeAt]);
    return (result.rowCount ?? 0) > 0;
  }

  async getDeleted(vaultId: string, name: string): Promise<DeletedObjectRecord | null> {
    const row = await this.db.one<DeletedRow>(this.sql.deleted, [vaultId, name.toLowerCase()]);
    return row ? toDeleted(row) : null;
  }

  async listDeleted(vaultId: string, after: string | null, limit: number): Promise<ObjectPage<DeletedObjectRecord>> {
    const rows = await this.db.rows<DeletedRow>(this.sql.pageDeleted, [vaultId, textKey(after ?? ""), pageLimit(limit)]);
    return page(rows, limit, toDeleted, (row) => row.name_key);
  }

  async recover(vaultId: string, name: string): Promise<boolean> {
    const result = await this.db.query(this.sql.undelete, [vaultId, name.toLowerCase()]);
    return (result.rowCount ?? 0) > 0;
  }

  async purge(vaultId: string, name: string): Promise<boolean> {
    return this.db.tx((client) => this.purgeOne(client, vaultId, name.toLowerCase()));
  }

  /**
   * Each expired object goes in its own transaction (as in SQLite), so a large backlog doesn't hold one long
   * transaction; an object recovered meanwhile is skipped because purgeOne re-checks `deleted_at` under its lock.
   */
  async purgeExpired(now: number): Promise<number> {
    const due = await this.db.rows<{ vault_id: string; name_key: string }>(
      this.sql.expired,
      // purge_at is an integer, so `<= now` equals `<= floor(now)`; a fractional BIGINT parameter would not parse.
      [Math.floor(now)],
    );
    let count = 0;
    for (const row of due) if (await this.db.tx((client) => this.purgeOne(client, row.vault_id, row.name_key))) count++;
    return count;
  }

  private async purgeOne(client: Queryable, vaultId: string, key: string): Promise<boolean> {
    const removed = await client.query(this.sql.dropObject, [vaultId, key]);
    if ((removed.rowCount ?? 0) === 0) return false;
    await client.query(this.sql.dropVersions, [vaultId, key]);
    return true;
  }
}

function metaText(record: ObjectVersionRecord): string | null {
  return record.meta == null ? null : JSON.stringify(record.meta);
}

/** Parameters $1…$13 of the versions INSERT, shared by putVersion and restore. */
function insertValues(record: ObjectVersionRecord, key: string): unknown[] {
  return [
    record.vaultId,
    key,
    record.version,
    record.name,
    record.sealedValue,
    record.contentType,
    metaText(record),
    record.tags === null ? null : JSON.stringify(record.tags),
    record.attributes.enabled,
    record.attributes.nbf,
    record.attributes.exp,
    record.createdAt,
    record.updatedAt,
  ];
}
