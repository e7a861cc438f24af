/**
 * SQLite store of a vault's per-name documents (certificate policies, pending operations, issuers, contacts). The
 * body is opaque JSON (the domain shapes it); `sealed` holds an already-sealed part; `due_at` is a column so the
 * background jobs find due documents of one kind through an index.
 */
import type Database from "better-sqlite3";
import { VAULT_DOCUMENT_TABLE as TABLE } from "../collections.js";
import type { ObjectPage, VaultDocumentRecord, VaultDocumentStore } from "../types.js";

interface DocumentRow {
  vault_id: string;
  kind: string;
  name_key: string;
  name: string;
  body: string;
  sealed: Buffer | null;
  due_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = "vault_id, kind, name_key, name, body, sealed, due_at, created_at, updated_at";
const VALUES = "@vault_id, @kind, @name_key, @name, @body, @sealed, @due_at, @created_at, @updated_at";

function toRecord(row: DocumentRow): VaultDocumentRecord {
  return {
    vaultId: row.vault_id,
    kind: row.kind,
    name: row.name,
    body: JSON.parse(row.body) as Record<string, unknown>,
    sealed: row.sealed,
    dueAt: row.due_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(record: VaultDocumentRecord): DocumentRow {
  return {
    vault_id: record.vaultId,
    kind: record.kind,
    name_key: record.name.toLowerCase(),
    name: record.name,
    body: JSON.stringify(record.body),
    sealed: record.sealed,
    due_at: record.dueAt,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

export class SqliteVaultDocuments implements VaultDocumentStore {
  private readonly one;
  private readonly upsert;
  private readonly add;
  private readonly remove;
  private readonly pageOf;
  private readonly claimTx;

  constructor(db: Database.Database) {
    this.one = db.prepare<[string, string, string], DocumentRow>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE vault_id = ? AND kind = ? AND name_key = ?`);
    this.upsert = db.prepare(
      `INSERT INTO ${TABLE} (${COLUMNS}) VALUES (${VALUES})
       ON CONFLICT (vault_id, kind, name_key) DO UPDATE SET name = excluded.name, body = excluded.body, sealed = excluded.sealed,
         due_at = excluded.due_at, created_at = excluded.created_at, updated_at = excluded.updated_at`,
    );
    this.add = db.prepare(`INSERT INTO ${TABLE} (${COLUMNS}) VALUES (${VALUES}) ON CONFLICT (vault_id, kind, name_key) DO NOTHING`);
    this.remove = db.prepare(`DELETE FROM ${TABLE} WHERE vault_id = ? AND kind = ? AND name_key = ?`);
    this.pageOf = db.prepare<[string, string, string, number], DocumentRow>(
      `SELECT ${COLUMNS} FROM ${TABLE} WHERE vault_id = ? AND kind = ? AND name_key > ? ORDER BY name_key LIMIT ?`,
    );
    const due = db.prepare<[string, number, number], DocumentRow>(
      `SELECT ${COLUMNS} FROM ${TABLE} WHERE kind = ? AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?`,
    );
    const lease = db.prepare(`UPDATE ${TABLE} SET due_at = ? WHERE vault_id = ? AND kind = ? AND name_key = ?`);
    // One immediate transaction: the write lock is taken before the read, so two processes on one file can't both
    // read the same due rows.
    this.claimTx = db.transaction((kind: string, now: number, leaseUntil: number, limit: number): VaultDocumentRecord[] =>
      due.all(kind, now, limit).map((row) => {
        lease.run(leaseUntil, row.vault_id, row.kind, row.name_key);
        return toRecord({ ...row, due_at: leaseUntil });
      }),
    );
  }

  async get(vaultId: string, kind: string, name: string): Promise<VaultDocumentRecord | null> {
    const row = this.one.get(vaultId, kind, name.toLowerCase());
    return row ? toRecord(row) : null;
  }

  async put(record: VaultDocumentRecord): Promise<void> {
    this.upsert.run(toRow(record));
  }

  async insert(record: VaultDocumentRecord): Promise<boolean> {
    return this.add.run(toRow(record)).changes > 0;
  }

  async delete(vaultId: string, kind: string, name: string): Promise<boolean> {
    return this.remove.run(vaultId, kind, name.toLowerCase()).changes > 0;
  }

  async list(vaultId: string, kind: string, after: string | null, limit: number): Promise<ObjectPage<VaultDocumentRecord>> {
    const rows = this.pageOf.all(vaultId, kind, after ?? "", limit + 1);
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items: items.map(toRecord), next: last ? last.name_key : null };
  }

  async claimDue(kind: string, now: number, leaseUntil: number, limit: number): Promise<VaultDocumentRecord[]> {
    if (limit <= 0) return [];
    // Integer seconds, as PostgreSQL stores them (a STRICT INTEGER column refuses a fraction).
    return this.claimTx.immediate(kind, Math.floor(now), Math.ceil(leaseUntil), limit);
  }
}
