/**
 * Opens the PostgreSQL store: a connection pool, migrations applied under an advisory lock, and the same stores as
 * SQLite. Several nodes may share one database (and one schema).
 */
import pg from "pg";
import type { Store } from "../types.js";
import { Db } from "./db.js";
import { migrate } from "./migrations.js";
import { PgDataKeys, PgGroups, PgMachines, PgPrincipals, PgSettings, PgVaults } from "./records.js";
import { CERT_TABLES, KEY_TABLES, SECRET_TABLES } from "../collections.js";
import { PgVersionedObjects } from "./versioned-objects.js";
import { PgRotationPolicies } from "./rotation-policies.js";
import { PgVaultDocuments } from "./vault-documents.js";
import { PgReplays } from "./replays.js";
import { PgRoleAssignments } from "./role-assignments.js";

export interface PostgresStoreOptions {
  /** Schema for all tables; created when missing and put on every pooled connection's search_path. */
  schema?: string;
}

/** Lower-case unquoted identifier: the same name whether PostgreSQL reads it quoted or not (search_path folds case). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const schema = options.schema ?? null;
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name '${schema}': use 1-63 of a-z, 0-9 and '_', not starting with a digit`);
  }
  const config: pg.PoolConfig = {
    connectionString: url,
    // Fail over to StoreError("unavailable") instead of waiting forever on a black-holed host or a drained pool:
    // the request answers 503 + Retry-After quickly and the Azure SDKs retry, rather than the client timing out.
    connectionTimeoutMillis: 2_000,
    // A connection whose server vanished without a FIN would hang a query until TCP gives up (minutes).
    query_timeout: 15_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: "kluis",
  };
  // A startup parameter applies to every connection the pool ever opens, before its first query, with no extra
  // round trip (a SET in the pool's "connect" event would race with queries on reconnect).
  if (schema !== null) config.options = `-c search_path=${schema}`;
  const pool = new pg.Pool(config);
  // An idle pooled client whose server went away emits "error"; without a listener that would crash the process.
  // The pool already drops such clients, and the next query reports StoreError("unavailable") if the server is
  // still gone.
  pool.on("error", () => {});

  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }

  const db = new Db(pool);
  let closed: Promise<void> | null = null;
  return {
    settings: new PgSettings(db),
    dataKeys: new PgDataKeys(db),
    principals: new PgPrincipals(db),
    groups: new PgGroups(db),
    vaults: new PgVaults(db),
    machines: new PgMachines(db),
    secrets: new PgVersionedObjects(db, SECRET_TABLES),
    keys: new PgVersionedObjects(db, KEY_TABLES),
    certificates: new PgVersionedObjects(db, CERT_TABLES),
    keyRotationPolicies: new PgRotationPolicies(db),
    vaultDocuments: new PgVaultDocuments(db),
    roleAssignments: new PgRoleAssignments(db),
    replays: new PgReplays(db),
    close: () => (closed ??= pool.end()),
  };
}
