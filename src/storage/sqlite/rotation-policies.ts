/**
 * SQLite store of the keys' rotation policies. The policy itself is opaque JSON (the domain shapes it); `due_at` is
 * a column so the automatic-rotation job finds due policies through an index.
 */
import type Database from "better-sqlite3";
import type { RotationPolicyRecord, RotationPolicyStore } from "../types.js";

interface PolicyRow {
  vault_id: string;
  name: string;
  policy: string;
  due_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = "vault_id, name, policy, due_at, created_at, updated_at";

function toRecord(row: PolicyRow): RotationPolicyRecord {
  return {
    vaultId: row.vault_id,
    name: row.name,
    policy: JSON.parse(row.policy) as Record<string, unknown>,
    dueAt: row.due_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteRotationPolicies implements RotationPolicyStore {
  private readonly one;
  private readonly upsert;
  private readonly remove;
  private readonly claimTx;

  constructor(db: Database.Database) {
    this.one = db.prepare<[string, string], PolicyRow>(`SELECT ${COLUMNS} FROM key_rotation_policies WHERE vault_id = ? AND name_key = ?`);
    // The name keeps the casing it was first stored with, like an object's name.
    this.upsert = db.prepare(
      `INSERT INTO key_rotation_policies (vault_id, name_key, name, policy, due_at, created_at, updated_at)
       VALUES (@vault_id, @name_key, @name, @policy, @due_at, @created_at, @updated_at)
       ON CONFLICT (vault_id, name_key) DO UPDATE SET policy = excluded.policy, due_at = excluded.due_at,
         created_at = excluded.created_at, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare("DELETE FROM key_rotation_policies WHERE vault_id = ? AND name_key = ?");
    const due = db.prepare<[number, number], PolicyRow & { name_key: string }>(
      `SELECT ${COLUMNS}, name_key FROM key_rotation_policies WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?`,
    );
    const lease = db.prepare("UPDATE key_rotation_policies SET due_at = ? WHERE vault_id = ? AND name_key = ?");
    // One immediate transaction: the write lock is taken before the read, so two processes on one file can't both
    // read the same due rows.
    this.claimTx = db.transaction((now: number, leaseUntil: number, limit: number): RotationPolicyRecord[] =>
      due.all(now, limit).map((row) => {
        lease.run(leaseUntil, row.vault_id, row.name_key);
        return toRecord({ ...row, due_at: leaseUntil });
      }),
    );
  }

  async get(vaultId: string, name: string): Promise<RotationPolicyRecord | null> {
    const row = this.one.get(vaultId, name.toLowerCase());
    return row ? toRecord(row) : null;
  }

  async put(record: RotationPolicyRecord): Promise<void> {
    this.upsert.run({
      vault_id: record.vaultId,
      name_key: record.name.toLowerCase(),
      name: record.name,
      policy: JSON.stringify(record.policy),
      due_at: record.dueAt,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    });
  }

  async delete(vaultId: string, name: string): Promise<boolean> {
    return this.remove.run(vaultId, name.toLowerCase()).changes > 0;
  }

  async claimDue(now: number, leaseUntil: number, limit: number): Promise<RotationPolicyRecord[]> {
    if (limit <= 0) return [];
    // Integer seconds, as PostgreSQL stores them (a STRICT INTEGER column refuses a fraction).
    return this.claimTx.immediate(Math.floor(now), Math.ceil(leaseUntil), limit);
  }
}
