/**
 * Opens the embedded SQLite database: WAL, full fsync on commit (an acknowledged write survives a crash), and the
 * damage checks of integrity.ts before anything is served.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Store } from "../types.js";
import { checkCommits, damaged, isDamageError, quickCheck, trackCommits } from "./integrity.js";
import { migrate } from "./migrations.js";
import { SqliteDataKeys, SqliteGroups, SqliteMachines, SqlitePrincipals, SqliteSettings, SqliteVaults } from "./records.js";
import { CERT_TABLES, KEY_TABLES, SECRET_TABLES } from "../collections.js";
import { SqliteVersionedObjects } from "./versioned-objects.js";
import { SqliteRotationPolicies } from "./rotation-policies.js";
import { SqliteVaultDocuments } from "./vault-documents.js";
import { SqliteReplays } from "./replays.js";
import { SqliteRoleAssignments } from "./role-assignments.js";

/** Throws DatabaseDamaged (naming the file and the repair) when the file is damaged or has lost commits. */
export function openSqliteStore(file: string): Store {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  let stopTracking: () => void;
  try {
    fs.chmodSync(file, 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    quickCheck(db, file);
    checkCommits(db, file);
    migrate(db);
    stopTracking = trackCommits(db, file);
  } catch (error) {
    db.close();
    throw isDamageError(error) ? damaged(file, (error as Error).message) : error;
  }
  // 16 MiB of page cache (negative = KiB; SQLite's default is 2 MiB): the hot index pages of 100,000 secrets, while
  // resident memory stays within budget (values themselves are read through the OS page cache).
  db.pragma("cache_size = -16384");
  const secrets = new SqliteVersionedObjects(db, SECRET_TABLES);
  const keys = new SqliteVersionedObjects(db, KEY_TABLES);
  const certificates = new SqliteVersionedObjects(db, CERT_TABLES);
  return {
    settings: new SqliteSettings(db),
    dataKeys: new SqliteDataKeys(db),
    principals: new SqlitePrincipals(db),
    groups: new SqliteGroups(db),
    // Purging a vault removes its secrets, keys and certificates; the read caches of those stores must forget them too.
    vaults: new SqliteVaults(db, () => {
      for (const collection of [secrets, keys, certificates]) collection.forgetCached();
    }),
    machines: new SqliteMachines(db),
    secrets,
    keys,
    certificates,
    keyRotationPolicies: new SqliteRotationPolicies(db),
    vaultDocuments: new SqliteVaultDocuments(db),
    roleAssignments: new SqliteRoleAssignments(db),
    replays: new SqliteReplays(db),
    close: async () => {
      if (!db.open) return;
      stopTracking();
      db.close();
    },
  };
}
