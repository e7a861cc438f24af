/**
 * PostgreSQL store of the keys' rotation policies, shared by every node. The policy is opaque JSON (TEXT, so it
 * round-trips byte for byte); `due_at` is a column so the automatic-rotation job finds due policies by index.
 */
import type { RotationPolicyRecord, RotationPolicyStore } from "../types.js";
import { num, numOrNull, type Db } from "./db.js";

interface PolicyRow {
  vault_id: string;
  name: string;
  policy: string;
  due_at: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = "vault_id, name, policy, due_at, created_at, updated_at";

function toRecord(row: PolicyRow): RotationPolicyRecord {
  return {
    vaultId: row.vault_id,
    name: row.name,
    policy: JSON.parse(row.policy) as Record<string, unknown>,
    dueAt: numOrNull(row.due_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export class PgRotationPolicies implements RotationPolicyStore {
  constructor(private readonly db: Db) {}

  async get(vaultId: string, name: string): Promise<RotationPolicyRecord | null> {
    const row = await this.db.one<PolicyRow>(`SELECT ${COLUMNS} FROM key_rotation_policies WHERE vault_id = $1 AND name_key = $2`, [
      vaultId,
      name.toLowerCase(),
    ]);
    return row ? toRecord(row) : null;
  }

  /** One statement, so concurrent puts of one key never fail on the primary key: the later one wins. */
  async put(record: RotationPolicyRecord): Promise<void> {
    // The name keeps the casing it was first stored with, like an object's name.
    await this.db.query(
      `INSERT INTO key_rotation_policies (vault_id, name_key, name, policy, due_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (vault_id, name_key) DO UPDATE SET policy = excluded.policy, due_at = excluded.due_at,
         created_at = excluded.created_at, updated_at = excluded.updated_at`,
      [record.vaultId, record.name.toLowerCase(), record.name, JSON.stringify(record.policy), record.dueAt, record.createdAt, record.updatedAt],
    );
  }

  async delete(vaultId: string, name: string): Promise<boolean> {
    const result = await this.db.query("DELETE FROM key_rotation_policies WHERE vault_id = $1 AND name_key = $2", [vaultId, name.toLowerCase()]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * One statement. The inner SELECT locks the due rows it picks and skips rows another node's claim holds locked
   * (SKIP LOCKED), so concurrent claimers take disjoint sets without waiting. A row another claimer leased and
   * committed after our snapshot is re-checked against `due_at <= now` on its newest version (READ COMMITTED's
   * re-evaluation of locked rows) and so drops out: each due policy is taken exactly once per lease.
   */
  async claimDue(now: number, leaseUntil: number, limit: number): Promise<RotationPolicyRecord[]> {
    if (limit <= 0) return [];
    const rows = await this.db.rows<PolicyRow>(
      `UPDATE key_rotation_policies p SET due_at = $2
       FROM (
         SELECT vault_id, name_key FROM key_rotation_policies
         WHERE due_at IS NOT NULL AND due_at <= $1
         ORDER BY due_at
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ) due
       WHERE p.vault_id = due.vault_id AND p.name_key = due.name_key
       RETURNING p.vault_id, p.name, p.policy, p.due_at, p.created_at, p.updated_at`,
      // due_at is an integer, so `<= now` equals `<= floor(now)`; a fractional BIGINT parameter would not parse.
      [Math.floor(now), Math.ceil(leaseUntil), limit],
    );
    return rows.map(toRecord);
  }
}
