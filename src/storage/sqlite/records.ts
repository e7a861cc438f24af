/** SQLite stores for the small aggregates: each row keeps its lookup keys as columns and the rest as a JSON doc. */
import type Database from "better-sqlite3";
import { VAULT_CONTENT_TABLES } from "../collections.js";
import {
  StoreError,
  type DataKeyRecord,
  type DataKeyStore,
  type MachineRecord,
  type MachineStore,
  type PrincipalRecord,
  type PrincipalStore,
  type ResourceGroupRecord,
  type ResourceGroupStore,
  type SettingsStore,
  type VaultRecord,
  type VaultStore,
} from "../types.js";

type Row = Record<string, unknown>;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && "code" in error && String((error as { code: unknown }).code).startsWith("SQLITE_CONSTRAINT");
}

export class SqliteSettings implements SettingsStore {
  private readonly select;
  private readonly insert;
  constructor(db: Database.Database) {
    this.select = db.prepare<[string], { value: string }>("SELECT value FROM settings WHERE key = ?");
    this.insert = db.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING");
  }
  async get(key: string): Promise<string | null> {
    return this.select.get(key)?.value ?? null;
  }
  async putIfAbsent(key: string, value: string): Promise<string> {
    this.insert.run(key, value);
    return (this.select.get(key) as { value: string }).value;
  }
}

export class SqliteDataKeys implements DataKeyStore {
  private readonly byId;
  private readonly newest;
  private readonly add;
  constructor(db: Database.Database) {
    this.byId = db.prepare<[number], { id: number; wrapped: Buffer; created_at: number }>("SELECT * FROM data_keys WHERE id = ?");
    this.newest = db.prepare<[], { id: number; wrapped: Buffer; created_at: number }>("SELECT * FROM data_keys ORDER BY id DESC LIMIT 1");
    this.add = db.prepare("INSERT INTO data_keys (wrapped, created_at) VALUES (?, ?)");
  }
  private static record(row: { id: number; wrapped: Buffer; created_at: number } | undefined): DataKeyRecord | null {
    return row ? { id: row.id, wrapped: row.wrapped, createdAt: row.created_at } : null;
  }
  async get(id: number): Promise<DataKeyRecord | null> {
    return SqliteDataKeys.record(this.byId.get(id));
  }
  async latest(): Promise<DataKeyRecord | null> {
    return SqliteDataKeys.record(this.newest.get());
  }
  async insert(wrapped: Buffer, createdAt: number): Promise<DataKeyRecord> {
    const info = this.add.run(wrapped, createdAt);
    return { id: Number(info.lastInsertRowid), wrapped, createdAt };
  }
}

export class SqlitePrincipals implements PrincipalStore {
  private readonly byObject;
  private readonly byApp;
  private readonly byAppObject;
  private readonly all;
  private readonly add;
  private readonly change;
  private readonly remove;
  constructor(db: Database.Database) {
    this.byObject = db.prepare<[string], { doc: string }>("SELECT doc FROM principals WHERE object_id = ?");
    this.byApp = db.prepare<[string], { doc: string }>("SELECT doc FROM principals WHERE app_id = ?");
    this.byAppObject = db.prepare<[string], { doc: string }>("SELECT doc FROM principals WHERE app_object_id = ?");
    this.all = db.prepare<[], { doc: string }>("SELECT doc FROM principals ORDER BY rowid");
    this.add = db.prepare("INSERT INTO principals (object_id, app_id, app_object_id, doc) VALUES (?, ?, ?, ?)");
    this.change = db.prepare("UPDATE principals SET doc = ? WHERE object_id = ?");
    this.remove = db.prepare("DELETE FROM principals WHERE object_id = ?");
  }
  private static parse(row: { doc: string } | undefined): PrincipalRecord | null {
    return row ? (JSON.parse(row.doc) as PrincipalRecord) : null;
  }
  async get(objectId: string) {
    return SqlitePrincipals.parse(this.byObject.get(objectId));
  }
  async getByAppId(appId: string) {
    return SqlitePrincipals.parse(this.byApp.get(appId));
  }
  async getByAppObjectId(appObjectId: string) {
    return SqlitePrincipals.parse(this.byAppObject.get(appObjectId));
  }
  async list() {
    return this.all.all().map((row) => JSON.parse(row.doc) as PrincipalRecord);
  }
  async insert(record: PrincipalRecord) {
    try {
      this.add.run(record.objectId, record.appId, record.appObjectId, JSON.stringify(record));
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError("conflict", "principal exists");
      throw error;
    }
  }
  async update(record: PrincipalRecord) {
    this.change.run(JSON.stringify(record), record.objectId);
  }
  async delete(objectId: string) {
    this.remove.run(objectId);
  }
}

export class SqliteGroups implements ResourceGroupStore {
  private readonly one;
  private readonly all;
  private readonly exists;
  private readonly upsert;
  private readonly remove;
  constructor(db: Database.Database) {
    this.one = db.prepare<[string, string], { doc: string }>("SELECT doc FROM resource_groups WHERE subscription_id = ? AND name_key = ?");
    this.all = db.prepare<[string], { doc: string }>("SELECT doc FROM resource_groups WHERE subscription_id = ? ORDER BY name_key");
    this.exists = db.prepare<[string, string], Row>("SELECT 1 FROM resource_groups WHERE subscription_id = ? AND name_key = ?");
    this.upsert = db.prepare(
      "INSERT INTO resource_groups (subscription_id, name_key, doc) VALUES (?, ?, ?) ON CONFLICT (subscription_id, name_key) DO UPDATE SET doc = excluded.doc",
    );
    this.remove = db.prepare("DELETE FROM resource_groups WHERE subscription_id = ? AND name_key = ?");
  }
  async get(subscriptionId: string, name: string) {
    const row = this.one.get(subscriptionId, name.toLowerCase());
    return row ? (JSON.parse(row.doc) as ResourceGroupRecord) : null;
  }
  async list(subscriptionId: string) {
    return this.all.all(subscriptionId).map((row) => JSON.parse(row.doc) as ResourceGroupRecord);
  }
  async put(record: ResourceGroupRecord) {
    const key = record.name.toLowerCase();
    const created = this.exists.get(record.subscriptionId, key) === undefined;
    this.upsert.run(record.subscriptionId, key, JSON.stringify(record));
    return created;
  }
  async delete(subscriptionId: string, name: string) {
    this.remove.run(subscriptionId, name.toLowerCase());
  }
}

export class SqliteVaults implements VaultStore {
  private readonly byName;
  private readonly bySubscription;
  private readonly add;
  private readonly change;
  private readonly remove;
  private readonly deletedBySubscription;
  private readonly deletedByName;
  private readonly purgeTx;
  constructor(
    db: Database.Database,
    private readonly onPurge: () => void = () => undefined,
  ) {
    this.deletedBySubscription = db.prepare<[string], { doc: string }>(
      "SELECT doc FROM vaults WHERE subscription_id = ? AND deleted_at IS NOT NULL ORDER BY name_key",
    );
    this.deletedByName = db.prepare<[string], { doc: string }>("SELECT doc FROM vaults WHERE name_key = ? AND deleted_at IS NOT NULL");
    const dropVault = db.prepare("DELETE FROM vaults WHERE id = ? AND deleted_at IS NOT NULL");
    const dropContents = VAULT_CONTENT_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE vault_id = ?`));
    this.purgeTx = db.transaction((id: string): boolean => {
      if (dropVault.run(id).changes === 0) return false;
      for (const drop of dropContents) drop.run(id);
      return true;
    });
    this.byName = db.prepare<[string], { doc: string }>("SELECT doc FROM vaults WHERE name_key = ? AND deleted_at IS NULL");
    this.bySubscription = db.prepare<[string], { doc: string }>(
      "SELECT doc FROM vaults WHERE subscription_id = ? AND deleted_at IS NULL ORDER BY name_key",
    );
    this.add = db.prepare("INSERT INTO vaults (id, name_key, subscription_id, deleted_at, doc) VALUES (?, ?, ?, ?, ?)");
    this.change = db.prepare("UPDATE vaults SET deleted_at = ?, doc = ? WHERE id = ?");
    this.remove = db.prepare("DELETE FROM vaults WHERE id = ?");
  }
  async getByName(name: string) {
    const row = this.byName.get(name.toLowerCase());
    return row ? (JSON.parse(row.doc) as VaultRecord) : null;
  }
  async listBySubscription(subscriptionId: string) {
    return this.bySubscription.all(subscriptionId).map((row) => JSON.parse(row.doc) as VaultRecord);
  }
  async insert(record: VaultRecord) {
    try {
      this.add.run(record.id, record.name.toLowerCase(), record.subscriptionId, record.deletedAt, JSON.stringify(record));
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError("conflict", "vault name taken");
      throw error;
    }
  }
  async update(record: VaultRecord) {
    this.change.run(record.deletedAt, JSON.stringify(record), record.id);
  }
  async delete(id: string) {
    this.remove.run(id);
  }
  async listDeleted(subscriptionId: string) {
    return this.deletedBySubscription.all(subscriptionId).map((row) => JSON.parse(row.doc) as VaultRecord);
  }
  async getDeletedByName(name: string) {
    const row = this.deletedByName.get(name.toLowerCase());
    return row ? (JSON.parse(row.doc) as VaultRecord) : null;
  }
  async purgeDeleted(id: string) {
    const purged = this.purgeTx.immediate(id);
    if (purged) this.onPurge();
    return purged;
  }
}

export class SqliteMachines implements MachineStore {
  private readonly one;
  private readonly inGroup;
  private readonly inSubscription;
  private readonly all;
  private readonly add;
  private readonly change;
  private readonly remove;
  constructor(db: Database.Database) {
    const cols = "doc, identity_header";
    this.one = db.prepare<[string, string, string], MachineRow>(
      `SELECT ${cols} FROM machines WHERE subscription_id = ? AND group_key = ? AND name_key = ?`,
    );
    this.inGroup = db.prepare<[string, string], MachineRow>(
      `SELECT ${cols} FROM machines WHERE subscription_id = ? AND group_key = ? ORDER BY name_key`,
    );
    this.inSubscription = db.prepare<[string], MachineRow>(`SELECT ${cols} FROM machines WHERE subscription_id = ? ORDER BY group_key, name_key`);
    this.all = db.prepare<[], MachineRow>(`SELECT ${cols} FROM machines`);
    this.add = db.prepare(
      "INSERT INTO machines (id, subscription_id, group_key, name_key, identity_header, doc) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.change = db.prepare("UPDATE machines SET doc = ?, identity_header = ? WHERE id = ?");
    this.remove = db.prepare("DELETE FROM machines WHERE id = ?");
  }
  async get(subscriptionId: string, resourceGroup: string, name: string) {
    return machine(this.one.get(subscriptionId, resourceGroup.toLowerCase(), name.toLowerCase()));
  }
  async list(subscriptionId: string, resourceGroup?: string) {
    const rows = resourceGroup === undefined ? this.inSubscription.all(subscriptionId) : this.inGroup.all(subscriptionId, resourceGroup.toLowerCase());
    return rows.map((row) => machine(row) as MachineRecord);
  }
  async listAll() {
    return this.all.all().map((row) => machine(row) as MachineRecord);
  }
  async insert(record: MachineRecord) {
    try {
      this.add.run(
        record.id,
        record.subscriptionId,
        record.resourceGroup.toLowerCase(),
        record.name.toLowerCase(),
        record.identityHeaderSealed,
        machineDoc(record),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError("conflict", "machine exists");
      throw error;
    }
  }
  async update(record: MachineRecord) {
    this.change.run(machineDoc(record), record.identityHeaderSealed, record.id);
  }
  async delete(id: string) {
    this.remove.run(id);
  }
}

interface MachineRow {
  doc: string;
  identity_header: Buffer;
}

function machineDoc(record: MachineRecord): string {
  const { identityHeaderSealed: _sealed, ...rest } = record;
  return JSON.stringify(rest);
}

function machine(row: MachineRow | undefined): MachineRecord | null {
  if (!row) return null;
  return { ...(JSON.parse(row.doc) as Omit<MachineRecord, "identityHeaderSealed">), identityHeaderSealed: row.identity_header };
}
