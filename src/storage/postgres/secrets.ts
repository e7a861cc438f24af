/**
 * PostgreSQL secret store, same layout as SQLite: `secrets` has one row per name (latest pointer, deleted state),
 * `secret_versions` every version with its sealed value (BYTEA) and an identity `seq`. Paging is keyset-based: by
 * lower-cased name (COLLATE "C") for listLatest/listDeleted, by seq for listVersions.
 */
import { StoreError, type DeletedSecretRecord, type SecretPage, type SecretStore, type SecretVersionRecord } from "../types.js";
import { num, numOrNull, pageLimit, textKey, type Db, type Queryable } from "./db.js";

interface VersionRow {
  seq: string;
  vault_id: string;
  version: string;
  name: string;
  value: Buffer;
  content_type: string | null;
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

function toRecord(row: VersionRow): SecretVersionRecord {
  return {
    vaultId: row.vault_id,
    name: row.name,
    version: row.version,
    sealedValue: row.value,
    contentType: row.content_type,
    tags: row.tags === null ? null : (JSON.parse(row.tags) as Record<string, string>),
    attributes: { enabled: row.enabled, nbf: numOrNull(row.nbf), exp: numOrNull(row.exp) },
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function toDeleted(row: DeletedRow): DeletedSecretRecord {
  return { latest: toRecord(row), deletedAt: num(row.deleted_at), scheduledPurgeAt: num(row.purge_at) };
}

function page<R, T>(rows: R[], limit: number, map: (row: R) => T, key: (row: R) => string): SecretPage<T> {
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

const V = "v.seq, v.vault_id, v.version, v.name, v.value, v.content_type, v.tags, v.enabled, v.nbf, v.exp, v.created_at, v.updated_at";
const LATEST_JOIN = "secrets s JOIN secret_versions v ON v.seq = s.latest_seq";
const LIVE_VERSIONS = "secret_versions v JOIN secrets s ON s.vault_id = v.vault_id AND s.name_key = v.name_key AND s.deleted_at IS NULL";

export class PgSecrets implements SecretStore {
  constructor(private readonly db: Db) {}

  /**
   * Lock first, then number. The first statement takes the row lock on the secret's `secrets` row, creating a
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
  async putVersion(record: SecretVersionRecord): Promise<void> {
    const key = record.name.toLowerCase();
    await this.db.tx(async (client) => {
      const { rows } = await client.query<{ deleted_at: string | null }>(
        `INSERT INTO secrets AS s (vault_id, name_key, latest_seq, latest_version) VALUES ($1, $2, 0, '')
         ON CONFLICT (vault_id, name_key) DO UPDATE SET latest_seq = s.latest_seq
         RETURNING s.deleted_at`,
        [record.vaultId, key],
      );
      if (rows[0]?.deleted_at != null) throw new StoreError("conflict", "secret is deleted but recoverable");
      await client.query(
        `WITH v AS (
           INSERT INTO secret_versions (vault_id, name_key, version, name, value, content_type, tags, enabled, nbf, exp, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           RETURNING seq
         )
         UPDATE secrets s SET latest_seq = v.seq, latest_version = $3
         FROM v WHERE s.vault_id = $1 AND s.name_key = $2 AND s.latest_seq < v.seq`,
        insertValues(record, key),
      );
    }, "secret version exists");
  }

  /**
   * The placeholder `secrets` row is inserted first with ON CONFLICT DO NOTHING: an existing name (live or deleted)
   * returns no row and means conflict; a concurrent putVersion or restore of the same name waits on our uncommitted
   * row, then sees it. Versions are inserted in order, so their seqs keep the backup's order.
   */
  async restore(versions: SecretVersionRecord[]): Promise<void> {
    const last = versions[versions.length - 1];
    if (!last) return;
    const key = last.name.toLowerCase();
    await this.db.tx(async (client) => {
      const claimed = await client.query(
        "INSERT INTO secrets (vault_id, name_key, latest_seq, latest_version) VALUES ($1, $2, 0, '') ON CONFLICT (vault_id, name_key) DO NOTHING",
        [last.vaultId, key],
      );
      if ((claimed.rowCount ?? 0) === 0) throw new StoreError("conflict", "secret exists");
      let seq = "0";
      for (const record of versions) {
        const { rows } = await client.query<{ seq: string }>(
          `INSERT INTO secret_versions (vault_id, name_key, version, name, value, content_type, tags, enabled, nbf, exp, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq`,
          insertValues(record, key),
        );
        seq = rows[0]!.seq;
      }
      await client.query("UPDATE secrets SET latest_seq = $3, latest_version = $4 WHERE vault_id = $1 AND name_key = $2", [last.vaultId, key, seq, last.version]);
    }, "secret version exists");
  }

  async getLatest(vaultId: string, name: string) {
    const row = await this.db.one<VersionRow>(
      `SELECT ${V} FROM ${LATEST_JOIN} WHERE s.vault_id = $1 AND s.name_key = $2 AND s.deleted_at IS NULL`,
      [vaultId, name.toLowerCase()],
    );
    return row ? toRecord(row) : null;
  }

  async getVersion(vaultId: string, name: string, version: string) {
    const row = await this.db.one<VersionRow>(`SELECT ${V} FROM ${LIVE_VERSIONS} WHERE v.vault_id = $1 AND v.name_key = $2 AND v.version = $3`, [
      vaultId,
      name.toLowerCase(),
      version.toLowerCase(),
    ]);
    return row ? toRecord(row) : null;
  }

  async listLatest(vaultId: string, after: string | null, limit: number): Promise<SecretPage<SecretVersionRecord>> {
    const rows = await this.db.rows<KeyedRow>(
      `SELECT ${V}, s.name_key FROM ${LATEST_JOIN}
       WHERE s.vault_id = $1 AND s.name_key > $2 AND s.deleted_at IS NULL ORDER BY s.name_key LIMIT $3`,
      [vaultId, textKey(after ?? ""), pageLimit(limit)],
    );
    return page(rows, limit, toRecord, (row) => row.name_key);
  }

  async listVersions(vaultId: string, name: string, after: string | null, limit: number): Promise<SecretPage<SecretVersionRecord>> {
    const position = seqAfter(after);
    if (position === null) return { items: [], next: null };
    const rows = await this.db.rows<VersionRow>(
      `SELECT ${V} FROM ${LIVE_VERSIONS} WHERE v.vault_id = $1 AND v.name_key = $2 AND v.seq > $3 ORDER BY v.seq LIMIT $4`,
      [vaultId, name.toLowerCase(), position, pageLimit(limit)],
    );
    return page(rows, limit, toRecord, (row) => String(row.seq));
  }

  async updateVersion(record: SecretVersionRecord): Promise<void> {
    await this.db.query(
      `UPDATE secret_versions SET content_type = $4, tags = $5, enabled = $6, nbf = $7, exp = $8, updated_at = $9
       WHERE vault_id = $1 AND name_key = $2 AND version = $3`,
      [
        record.vaultId,
        record.name.toLowerCase(),
        record.version,
        record.contentType,
        record.tags === null ? null : JSON.stringify(record.tags),
        record.attributes.enabled,
        record.attributes.nbf,
        record.attributes.exp,
        record.updatedAt,
      ],
    );
  }

  async markDeleted(vaultId: string, name: string, deletedAt: number, scheduledPurgeAt: number): Promise<boolean> {
    const result = await this.db.query(
      "UPDATE secrets SET deleted_at = $3, purge_at = $4 WHERE vault_id = $1 AND name_key = $2 AND deleted_at IS NULL",
      [vaultId, name.toLowerCase(), deletedAt, scheduledPurgeAt],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async getDeleted(vaultId: string, name: string): Promise<DeletedSecretRecord | null> {
    const row = await this.db.one<DeletedRow>(
      `SELECT ${V}, s.name_key, s.deleted_at, s.purge_at FROM ${LATEST_JOIN}
       WHERE s.vault_id = $1 AND s.name_key = $2 AND s.deleted_at IS NOT NULL`,
      [vaultId, name.toLowerCase()],
    );
    return row ? toDeleted(row) : null;
  }

  async listDeleted(vaultId: string, after: string | null, limit: number): Promise<SecretPage<DeletedSecretRecord>> {
    const rows = await this.db.rows<DeletedRow>(
      `SELECT ${V}, s.name_key, s.deleted_at, s.purge_at FROM ${LATEST_JOIN}
       WHERE s.vault_id = $1 AND s.name_key > $2 AND s.deleted_at IS NOT NULL ORDER BY s.name_key LIMIT $3`,
      [vaultId, textKey(after ?? ""), pageLimit(limit)],
    );
    return page(rows, limit, toDeleted, (row) => row.name_key);
  }

  async recover(vaultId: string, name: string): Promise<boolean> {
    const result = await this.db.query(
      "UPDATE secrets SET deleted_at = NULL, purge_at = NULL WHERE vault_id = $1 AND name_key = $2 AND deleted_at IS NOT NULL",
      [vaultId, name.toLowerCase()],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async purge(vaultId: string, name: string): Promise<boolean> {
    return this.db.tx((client) => purgeOne(client, vaultId, name.toLowerCase()));
  }

  /**
   * Each expired secret goes in its own transaction (as in SQLite), so a large backlog doesn't hold one long
   * transaction; a secret recovered meanwhile is skipped because purgeOne re-checks `deleted_at` under its lock.
   */
  async purgeExpired(now: number): Promise<number> {
    const due = await this.db.rows<{ vault_id: string; name_key: string }>(
      "SELECT vault_id, name_key FROM secrets WHERE purge_at IS NOT NULL AND purge_at <= $1",
      // purge_at is an integer, so `<= now` equals `<= floor(now)`; a fractional BIGINT parameter would not parse.
      [Math.floor(now)],
    );
    let count = 0;
    for (const row of due) if (await this.db.tx((client) => purgeOne(client, row.vault_id, row.name_key))) count++;
    return count;
  }
}

async function purgeOne(client: Queryable, vaultId: string, key: string): Promise<boolean> {
  const removed = await client.query("DELETE FROM secrets WHERE vault_id = $1 AND name_key = $2 AND deleted_at IS NOT NULL", [vaultId, key]);
  if ((removed.rowCount ?? 0) === 0) return false;
  await client.query("DELETE FROM secret_versions WHERE vault_id = $1 AND name_key = $2", [vaultId, key]);
  return true;
}

/** Parameters $1…$12 of the secret_versions INSERT, shared by putVersion and restore. */
function insertValues(record: SecretVersionRecord, key: string): unknown[] {
  return [
    record.vaultId,
    key,
    record.version,
    record.name,
    record.sealedValue,
    record.contentType,
    record.tags === null ? null : JSON.stringify(record.tags),
    record.attributes.enabled,
    record.attributes.nbf,
    record.attributes.exp,
    record.createdAt,
    record.updatedAt,
  ];
}
