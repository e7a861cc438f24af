/**
 * PostgreSQL store of a vault's per-name documents (certificate policies, pending operations, issuers, contacts),
 * shared by every node. The body is opaque JSON (TEXT, so it round-trips byte for byte); `sealed` holds an
 * already-sealed part; `due_at` is a column so the background jobs find due documents of one kind by index.
 */
import { VAULT_DOCUMENT_TABLE as TABLE } from "../collections.js";
import type { ObjectPage, VaultDocumentRecord, VaultDocumentStore } from "../types.js";
import { num, numOrNull, pageLimit, textKey, type Db } from "./db.js";

interface DocumentRow {
  vault_id: string;
  kind: string;
  name_key: string;
  name: string;
  body: string;
  sealed: Buffer | null;
  due_at: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = "vault_id, kind, name_key, name, body, sealed, due_at, created_at, updated_at";

function toRecord(row: DocumentRow): VaultDocumentRecord {
  return {
    vaultId: row.vault_id,
    kind: row.kind,
    name: row.name,
    body: JSON.parse(row.body) as Record<string, unknown>,
    sealed: row.sealed,
    dueAt: numOrNull(row.due_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** Parameters $1…$9 in COLUMNS order. */
function params(record: VaultDocumentRecord): unknown[] {
  return [
    record.vaultId,
    record.kind,
    record.name.toLowerCase(),
    record.name,
    JSON.stringify(record.body),
    record.sealed,
    record.dueAt,
    record.createdAt,
    record.updatedAt,
  ];
}

export class PgVaultDocuments implements VaultDocumentStore {
  constructor(private readonly db: Db) {}

  async get(vaultId: string, kind: string, name: string): Promise<VaultDocumentRecord | null> {
    const row = await this.db.one<DocumentRow>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE vault_id = $1 AND kind = $2 AND name_key = $3`, [
      vaultId,
      kind,
      name.toLowerCase(),
    ]);
    return row ? toRecord(row) : null;
  }

  /** One statement, so concurrent puts of one document never fail on the primary key: the later one wins. */
  async put(record: VaultDocumentRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO ${TABLE} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (vault_id, kind, name_key) DO UPDATE SET name = excluded.name, body = excluded.body, sealed = excluded.sealed,
         due_at = excluded.due_at, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      params(record),
    );
  }

  /** ON CONFLICT DO NOTHING: of concurrent inserts of one document exactly one writes, the others see false. */
  async insert(record: VaultDocumentRecord): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO ${TABLE} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (vault_id, kind, name_key) DO NOTHING`,
      params(record),
    );
    return (result.rowCount ?? 0) > 0;
  }

  async delete(vaultId: string, kind: string, name: string): Promise<boolean> {
    const result = await this.db.query(`DELETE FROM ${TABLE} WHERE vault_id = $1 AND kind = $2 AND name_key = $3`, [vaultId, kind, name.toLowerCase()]);
    return (result.rowCount ?? 0) > 0;
  }

  async list(vaultId: string, kind: string, after: string | null, limit: number): Promise<ObjectPage<VaultDocumentRecord>> {
    const rows = await this.db.rows<DocumentRow>(
      `SELECT ${COLUMNS} FROM ${TABLE} WHERE vault_id = $1 AND kind = $2 AND name_key > $3 ORDER BY name_key LIMIT $4`,
      [vaultId, kind, textKey(after ?? ""), pageLimit(limit)],
    );
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items: items.map(toRecord), next: last ? last.name_key : null };
  }

  /**
   * One statement, as the rotation policies' claim (rotation-policies.ts): the inner SELECT locks the due rows it
   * picks and skips rows another node's claim holds (SKIP LOCKED), so concurrent claimers take disjoint sets without
   * waiting; a row leased and committed by another claimer after our snapshot is re-checked against `due_at <= now`
   * on its newest version and drops out.
   */
  async claimDue(kind: string, now: number, leaseUntil: number, limit: number): Promise<VaultDocumentRecord[]> {
    if (limit <= 0) return [];
    const rows = await this.db.rows<DocumentRow>(
      `UPDATE ${TABLE} d SET due_at = $3
       FROM (
         SELECT vault_id, kind, name_key FROM ${TABLE}
         WHERE kind = $1 AND due_at IS NOT NULL AND due_at <= $2
         ORDER BY due_at
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ) due
       WHERE d.vault_id = due.vault_id AND d.kind = due.kind AND d.name_key = due.name_key
       RETURNING ${COLUMNS.split(", ").map((column) => `d.${column}`).join(", ")}`,
      // due_at is an integer, so `<= now` equals `<= floor(now)`; a fractional BIGINT parameter would not parse.
      [kind, Math.floor(now), Math.ceil(leaseUntil), limit],
    );
    return rows.map(toRecord);
  }
}
