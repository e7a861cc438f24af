/** Opens the embedded SQLite database: WAL, full fsync on commit (an acknowledged write survives a crash). */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Store } from "../types.js";
import { migrate } from "./migrations.js";
import { SqliteDataKeys, SqliteGroups, SqliteMachines, SqlitePrincipals, SqliteSettings, SqliteVaults } from "./records.js";
import { KEY_TABLES, SECRET_TABLES } from "../collections.js";
import { SqliteVersionedObjects } from "./versioned-objects.js";
import { SqliteRotationPolicies } from "./rotation-policies.js";
import { SqliteReplays } from "./replays.js";
import { SqliteRoleAssignments } from "./role-assignments.js";

export function openSqliteStore(file: string): Store {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  fs.chmodSync(file, 0o600);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  // 16 MiB of page cache (negative = KiB; SQLite's default is 2 MiB): the hot index pages of 100,000 secrets, while
  // resident memory stays within budget (values themselves are read through the OS page cache).
  db.pragma("cache_size = -16384");
  const secrets = new SqliteVersionedObjects(db, SECRET_TABLES);
  const keys = new SqliteVersionedObjects(db, KEY_TABLES);
  return {
    settings: new SqliteSettings(db),
    dataKeys: new SqliteDataKeys(db),
    principals: new SqlitePrincipals(db),
    groups: new SqliteGroups(db),
    // Purging a vault removes its secrets and keys; the read caches of both stores must forget them too.
    vaults: new SqliteVaults(db, () => {
      secrets.forgetCached();
      keys.forgetCached();
    }),
    machines: new SqliteMachines(db),
    secrets,
    keys,
    keyRotationPolicies: new SqliteRotationPolicies(db),
    roleAssignments: new SqliteRoleAssignments(db),
    replays: new SqliteReplays(db),
    close: async () => {
      db.close();
    },
  };
}
