/**
 * PostgreSQL stores for the small aggregates, mirroring the SQLite ones: lookup keys as columns, the rest as a JSON
 * doc. Docs are TEXT rather than JSONB so records round-trip byte for byte (JSONB reorders keys and rejects \u0000).
 * Tables listed in insertion order (principals, machines) carry an identity `seq`, SQLite's rowid.
 */
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
import { num, type Db } from "./db.js";
import { VAULT_CONTENT_TABLES } from "../collections.js";

interface DocRow {
  doc: string;
}

export class PgSettings implements SettingsStore {
  constructor(private readonly db: Db) {}
  async get(key: string): Promise<string | null> {
    return (await this.db.one<{ value: string }>("SELECT value FROM settings WHERE key = $1", [key]))?.value ?? null;
  }
  async putIfAbsent(key: string, value: string): Promise<string> {
    // One statement: a concurrent first writer makes our INSERT wait on its row and then do nothing, and the
    // SELECT of the same statement can't see that row (same snapshot), hence the second read.
    const inserted = await this.db.one<{ value: string }>(
      "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value",
      [key, value],
    );
    if (inserted) return inserted.value;
    const stored = await this.get(key);
    if (stored === null) throw new StoreError("conflict", `setting '${key}' vanished while being written`);
    return stored;
  }
}

interface DataKeyRow {
  id: string;
  wrapped: Buffer;
  created_at: string;
}

function dataKey(row: DataKeyRow | undefined): DataKeyRecord | null {
  return row ? { id: num(row.id), wrapped: row.wrapped, createdAt: num(row.created_at) } : null;
}

export class PgDataKeys implements DataKeyStore {
  constructor(private readonly db: Db) {}
  async get(id: number): Promise<DataKeyRecord | null> {
    if (!Number.isSafeInteger(id)) return null;
    return dataKey(await this.db.one<DataKeyRow>("SELECT id, wrapped, created_at FROM data_keys WHERE id = $1", [id]));
  }
  async latest(): Promise<DataKeyRecord | null> {
    return dataKey(await this.db.one<DataKeyRow>("SELECT id, wrapped, created_at FROM data_keys ORDER BY id DESC LIMIT 1"));
  }
  async insert(wrapped: Buffer, createdAt: number): Promise<DataKeyRecord> {
    const row = await this.db.one<{ id: string }>("INSERT INTO data_keys (wrapped, created_at) VALUES ($1, $2) RETURNING id", [
      wrapped,
      createdAt,
    ]);
    return { id: num((row as { id: string }).id), wrapped, createdAt };
  }
}

function parse<T>(row: DocRow | undefined): T | null {
  return row ? (JSON.parse(row.doc) as T) : null;
}

export class PgPrincipals implements PrincipalStore {
  constructor(private readonly db: Db) {}
  async get(objectId: string) {
    return parse<PrincipalRecord>(await this.db.one<DocRow>("SELECT doc FROM principals WHERE object_id = $1", [objectId]));
  }
  async getByAppId(appId: string) {
    return parse<PrincipalRecord>(await this.db.one<DocRow>("SELECT doc FROM principals WHERE app_id = $1", [appId]));
  }
  async getByAppObjectId(appObjectId: string) {
    return parse<PrincipalRecord>(await this.db.one<DocRow>("SELECT doc FROM principals WHERE app_object_id = $1", [appObjectId]));
  }
  async list() {
    return (await this.db.rows<DocRow>("SELECT doc FROM principals ORDER BY seq")).map((row) => JSON.parse(row.doc) as PrincipalRecord);
  }
  async insert(record: PrincipalRecord) {
    await this.db.query(
      "INSERT INTO principals (object_id, app_id, app_object_id, doc) VALUES ($1, $2, $3, $4)",
      [record.objectId, record.appId, record.appObjectId, JSON.stringify(record)],
      "principal exists",
    );
  }
  async update(record: PrincipalRecord) {
    // Like SQLite: only the doc changes; the lookup columns keep the values given at insert.
    await this.db.query("UPDATE principals SET doc = $1 WHERE object_id = $2", [JSON.stringify(record), record.objectId]);
  }
  async delete(objectId: string) {
    await this.db.query("DELETE FROM principals WHERE object_id = $1", [objectId]);
  }
}

export class PgGroups implements ResourceGroupStore {
  constructor(private readonly db: Db) {}
  async get(subscriptionId: string, name: string) {
    return parse<ResourceGroupRecord>(
      await this.db.one<DocRow>("SELECT doc FROM resource_groups WHERE subscription_id = $1 AND name_key = $2", [
        subscriptionId,
        name.toLowerCase(),
      ]),
    );
  }
  async list(subscriptionId: string) {
    const rows = await this.db.rows<DocRow>("SELECT doc FROM resource_groups WHERE subscription_id = $1 ORDER BY name_key", [subscriptionId]);
    return rows.map((row) => JSON.parse(row.doc) as ResourceGroupRecord);
  }
  async put(record: ResourceGroupRecord) {
    // xmax is 0 on a freshly inserted row version and set (to our own xid) when ON CONFLICT updated an existing
    // row: one atomic statement tells "created" from "replaced", even with concurrent PUTs of the same group.
    const row = await this.db.one<{ created: boolean }>(
      `INSERT INTO resource_groups (subscription_id, name_key, doc) VALUES ($1, $2, $3)
       ON CONFLICT (subscription_id, name_key) DO UPDATE SET doc = excluded.doc
       RETURNING (xmax = 0) AS created`,
      [record.subscriptionId, record.name.toLowerCase(), JSON.stringify(record)],
    );
    return row?.created === true;
  }
  async delete(subscriptionId: string, name: string) {
    await this.db.query("DELETE FROM resource_groups WHERE subscription_id = $1 AND name_key = $2", [subscriptionId, name.toLowerCase()]);
  }
}

export class PgVaults implements VaultStore {
  constructor(private readonly db: Db) {}
  async getByName(name: string) {
    return parse<VaultRecord>(await this.db.one<DocRow>("SELECT doc FROM vaults WHERE name_key = $1 AND deleted_at IS NULL", [name.toLowerCase()]));
  }
  async listBySubscription(subscriptionId: string) {
    const rows = await this.db.rows<DocRow>(
      "SELECT doc FROM vaults WHERE subscription_id = $1 AND deleted_at IS NULL ORDER BY name_key",
      [subscriptionId],
    );
    return rows.map((row) => JSON.parse(row.doc) as VaultRecord);
  }
  async insert(record: VaultRecord) {
    // name_key is UNIQUE over all rows, deleted ones included: a soft-deleted vault keeps its name reserved.
    await this.db.query(
      "INSERT INTO vaults (id, name_key, subscription_id, deleted_at, doc) VALUES ($1, $2, $3, $4, $5)",
      [record.id, record.name.toLowerCase(), record.subscriptionId, record.deletedAt, JSON.stringify(record)],
      "vault name taken",
    );
  }
  async update(record: VaultRecord) {
    await this.db.query("UPDATE vaults SET deleted_at = $1, doc = $2 WHERE id = $3", [record.deletedAt, JSON.stringify(record), record.id]);
  }
  async delete(id: string) {
    await this.db.query("DELETE FROM vaults WHERE id = $1", [id]);
  }
  async listDeleted(subscriptionId: string) {
    const rows = await this.db.rows<DocRow>("SELECT doc FROM vaults WHERE subscription_id = $1 AND deleted_at IS NOT NULL ORDER BY name_key", [subscriptionId]);
    return rows.map((row) => JSON.parse(row.doc) as VaultRecord);
  }
  async getDeletedByName(name: string) {
    return parse<VaultRecord>(await this.db.one<DocRow>("SELECT doc FROM vaults WHERE name_key = $1 AND deleted_at IS NOT NULL", [name.toLowerCase()]));
  }
  /**
   * The vault row goes first, under its row lock: a concurrent recover (an UPDATE of that row) either commits before
   * us, and then nothing matches, or waits and then updates nothing. Secrets, keys and rotation policies are
   * removed only once the row is gone.
   */
  async purgeDeleted(id: string) {
    return this.db.tx(async (client) => {
      const removed = await client.query("DELETE FROM vaults WHERE id = $1 AND deleted_at IS NOT NULL", [id]);
      if ((removed.rowCount ?? 0) === 0) return false;
      for (const table of VAULT_CONTENT_TABLES) await client.query(`DELETE FROM ${table} WHERE vault_id = $1`, [id]);
      return true;
    });
  }
}

interface MachineRow {
  doc: string;
  identity_header: Buffer;
}

const MACHINE_COLS = "doc, identity_header";

function machineDoc(record: MachineRecord): string {
  const { identityHeaderSealed: _sealed, ...rest } = record;
  return JSON.stringify(rest);
}

function machine(row: MachineRow): MachineRecord {
  return { ...(JSON.parse(row.doc) as Omit<MachineRecord, "identityHeaderSealed">), identityHeaderSealed: row.identity_header };
}

export class PgMachines implements MachineStore {
  constructor(private readonly db: Db) {}
  async get(subscriptionId: string, resourceGroup: string, name: string) {
    const row = await this.db.one<MachineRow>(
      `SELECT ${MACHINE_COLS} FROM machines WHERE subscription_id = $1 AND group_key = $2 AND name_key = $3`,
      [subscriptionId, resourceGroup.toLowerCase(), name.toLowerCase()],
    );
    return row ? machine(row) : null;
  }
  async list(subscriptionId: string, resourceGroup?: string) {
    const rows =
      resourceGroup === undefined
        ? await this.db.rows<MachineRow>(`SELECT ${MACHINE_COLS} FROM machines WHERE subscription_id = $1 ORDER BY group_key, name_key`, [
            subscriptionId,
          ])
        : await this.db.rows<MachineRow>(
            `SELECT ${MACHINE_COLS} FROM machines WHERE subscription_id = $1 AND group_key = $2 ORDER BY name_key`,
            [subscriptionId, resourceGroup.toLowerCase()],
          );
    return rows.map(machine);
  }
  async listAll() {
    return (await this.db.rows<MachineRow>(`SELECT ${MACHINE_COLS} FROM machines ORDER BY seq`)).map(machine);
  }
  async insert(record: MachineRecord) {
    await this.db.query(
      "INSERT INTO machines (id, subscription_id, group_key, name_key, identity_header, doc) VALUES ($1, $2, $3, $4, $5, $6)",
      [record.id, record.subscriptionId, record.resourceGroup.toLowerCase(), record.name.toLowerCase(), record.identityHeaderSealed, machineDoc(record)],
      "machine exists",
    );
  }
  async update(record: MachineRecord) {
    await this.db.query("UPDATE machines SET doc = $1, identity_header = $2 WHERE id = $3", [
      machineDoc(record),
      record.identityHeaderSealed,
      record.id,
    ]);
  }
  async delete(id: string) {
    await this.db.query("DELETE FROM machines WHERE id = $1", [id]);
  }
}
