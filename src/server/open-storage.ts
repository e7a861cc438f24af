/**
 * Opens the configured storage and the change feed that goes with it: SQLite in the data directory with an
 * in-process feed (one node), or PostgreSQL with a LISTEN/NOTIFY feed (any number of nodes).
 */
import path from "node:path";
import type { ServerConfig } from "../config/config.js";
import { LocalChangeFeed, type ChangeFeed } from "../domain/change-feed.js";
import { requireSqliteDatabase } from "./data-guard.js";
import { openSqliteStore } from "../storage/sqlite/open.js";
import type { Store } from "../storage/types.js";

export interface OpenedStorage {
  store: Store;
  changes: ChangeFeed;
  kind: "sqlite" | "postgres";
  /** What to call the storage in messages to the operator: the SQLite file, or the PostgreSQL URL without password. */
  description: string;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/**
 * Splits our own `schema` query parameter off a PostgreSQL URL (e.g. `postgres://u@h/db?schema=kluis_a`), so that
 * several deployments, or test runs, can share one database; the driver gets the URL without it.
 */
export function parsePostgresUrl(url: string): { url: string; schema: string | undefined } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  return { url: parsed.toString(), schema };
}

export async function openStorage(config: ServerConfig): Promise<OpenedStorage> {
  if (config.storage && POSTGRES_URL.test(config.storage)) {
    const { url, schema } = parsePostgresUrl(config.storage);
    const { openPostgresStore } = await import("../storage/postgres/open.js");
    const { openPostgresChangeFeed } = await import("../storage/postgres/change-feed.js");
    const store = await openPostgresStore(url, { schema });
    try {
      return { store, changes: await openPostgresChangeFeed(url, { schema }), kind: "postgres", description: describePostgres(url, schema) };
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  if (config.storage && config.storage !== "sqlite") {
    throw new Error(`unsupported storage '${config.storage}': use postgres://… or leave it unset for SQLite`);
  }
  const file = path.join(config.dataDir, "kluis.db");
  requireSqliteDatabase(config.dataDir, file);
  return { store: openSqliteStore(file), changes: new LocalChangeFeed(), kind: "sqlite", description: `the database ${file}` };
}

function describePostgres(url: string, schema: string | undefined): string {
  const parsed = new URL(url);
  parsed.password = "";
  return `the PostgreSQL database ${parsed.toString()}${schema ? ` (schema ${schema})` : ""}`;
}
