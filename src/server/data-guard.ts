/**
 * Refuses the starts that would quietly replace a deployment with a new one. A data directory whose database
 * volume failed to mount, or whose database was lost, looks like a first start: without these checks Kluis would
 * make a new tenant, overwrite admin.json and the CA, and every client would stop working with no hint why.
 * Likewise a lost root.key must not be replaced by a fresh one that opens nothing stored.
 */
import fs from "node:fs";
import path from "node:path";

/** A start refused on purpose; the message says what is wrong and what the operator can do. */
export class StartRefused extends Error {
  override readonly name = "StartRefused";
}

/** Files that exist only once a tenant has been made with this data directory. */
export function tenantFiles(dataDir: string): string[] {
  return ["root.key", "admin.json"].filter((file) => fs.existsSync(path.join(dataDir, file)));
}

const FRESH_START = "To start a new, empty deployment on purpose, move root.key and admin.json out of the data directory.";

/** Before opening SQLite (which would create the file): a data directory that held a tenant must still have its database. */
export function requireSqliteDatabase(dataDir: string, dbFile: string): void {
  const found = tenantFiles(dataDir);
  if (found.length === 0) return;
  const size = fs.existsSync(dbFile) ? fs.statSync(dbFile).size : -1;
  if (size > 0) return;
  throw new StartRefused(
    `the database ${dbFile} is ${size === 0 ? "empty" : "missing"}, but ${dataDir} holds ${found.join(" and ")} of an ` +
      `existing deployment. If the volume holding the database did not mount, mount it and start again; if the ` +
      `database was lost, restore it from a backup. Kluis will not make a new tenant here. ${FRESH_START}`,
  );
}

/** After opening any storage: a database or schema without a tenant must not meet a data directory that had one. */
export function requireTenantFor(dataDir: string, storage: string, hasTenant: boolean): void {
  const found = tenantFiles(dataDir);
  if (hasTenant || found.length === 0) return;
  throw new StartRefused(
    `${storage} holds no deployment (it is empty), but ${dataDir} holds ${found.join(" and ")} of an existing one. ` +
      `Point --storage at the database this data directory belongs to, or restore that database from a backup. ` +
      `Kluis will not make a new tenant here. ${FRESH_START}`,
  );
}

export function missingRootKey(file: string, storage: string): StartRefused {
  return new StartRefused(
    `the root key ${file} is missing, but ${storage} holds data encrypted under a root key. Put back the root.key ` +
      `that belongs to this database (from your backup or another node), or set KLUIS_ROOT_KEY. Kluis will not ` +
      `write a new one: it could open nothing stored.`,
  );
}

export function wrongRootKey(source: string, storage: string): StartRefused {
  return new StartRefused(
    `this root key does not open this database: the root key from ${source} cannot unwrap the data keys in ` +
      `${storage}. Use the root key this database was created with (root.key from the same backup, or the ` +
      `KLUIS_ROOT_KEY of the other nodes).`,
  );
}
