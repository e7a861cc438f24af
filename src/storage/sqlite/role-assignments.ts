/** SQLite store for role assignments: the id as key, creation order from the rowid, the rest as a JSON doc. */
import type Database from "better-sqlite3";
import { StoreError, type RoleAssignmentRecord, type RoleAssignmentStore } from "../types.js";

export class SqliteRoleAssignments implements RoleAssignmentStore {
  private readonly one;
  private readonly all;
  private readonly add;
  private readonly remove;
  private readonly change;
  constructor(db: Database.Database) {
    this.one = db.prepare<[string], { doc: string }>("SELECT doc FROM role_assignments WHERE id = ?");
    this.all = db.prepare<[], { doc: string }>("SELECT doc FROM role_assignments ORDER BY seq");
    this.add = db.prepare("INSERT INTO role_assignments (id, doc) VALUES (?, ?)");
    this.remove = db.prepare("DELETE FROM role_assignments WHERE id = ?");
    this.change = db.prepare("UPDATE role_assignments SET doc = ? WHERE id = ?");
  }
  async get(id: string): Promise<RoleAssignmentRecord | null> {
    const row = this.one.get(id.toLowerCase());
    return row ? (JSON.parse(row.doc) as RoleAssignmentRecord) : null;
  }
  async list(): Promise<RoleAssignmentRecord[]> {
    return this.all.all().map((row) => JSON.parse(row.doc) as RoleAssignmentRecord);
  }
  async insert(record: RoleAssignmentRecord): Promise<void> {
    try {
      this.add.run(record.id.toLowerCase(), JSON.stringify(record));
    } catch (error) {
      if (error instanceof Error && String((error as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
        throw new StoreError("conflict", "role assignment exists");
      }
      throw error;
    }
  }
  async delete(id: string): Promise<boolean> {
    return this.remove.run(id.toLowerCase()).changes > 0;
  }
  async replace(record: RoleAssignmentRecord): Promise<boolean> {
    return this.change.run(JSON.stringify(record), record.id.toLowerCase()).changes > 0;
  }
}
