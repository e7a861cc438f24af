/** PostgreSQL store for role assignments, the same shape as SQLite's: id as key, creation order, JSON doc. */
import type { RoleAssignmentRecord, RoleAssignmentStore } from "../types.js";
import type { Db } from "./db.js";

export class PgRoleAssignments implements RoleAssignmentStore {
  constructor(private readonly db: Db) {}
  async get(id: string): Promise<RoleAssignmentRecord | null> {
    const row = await this.db.one<{ doc: string }>("SELECT doc FROM role_assignments WHERE id = $1", [id.toLowerCase()]);
    return row ? (JSON.parse(row.doc) as RoleAssignmentRecord) : null;
  }
  async list(): Promise<RoleAssignmentRecord[]> {
    const rows = await this.db.rows<{ doc: string }>("SELECT doc FROM role_assignments ORDER BY seq");
    return rows.map((row) => JSON.parse(row.doc) as RoleAssignmentRecord);
  }
  async insert(record: RoleAssignmentRecord): Promise<void> {
    await this.db.query("INSERT INTO role_assignments (id, doc) VALUES ($1, $2)", [record.id.toLowerCase(), JSON.stringify(record)], "role assignment exists");
  }
  async replace(record: RoleAssignmentRecord): Promise<boolean> {
    const result = await this.db.query("UPDATE role_assignments SET doc = $1 WHERE id = $2", [JSON.stringify(record), record.id.toLowerCase()]);
    return (result.rowCount ?? 0) > 0;
  }
  async delete(id: string): Promise<boolean> {
    const result = await this.db.query("DELETE FROM role_assignments WHERE id = $1", [id.toLowerCase()]);
    return (result.rowCount ?? 0) > 0;
  }
}
