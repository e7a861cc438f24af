/**
 * 3. Durable secret writes (PUT = a new version each time) on SQLite (WAL, synchronous=FULL) and, when reachable,
 * PostgreSQL. Each is set beside the store's own ceiling on this disk: single-row durable commits of the same size
 * made directly through the driver, in process, with nothing else in the way.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { adminToken, API, createVault, freshDataDir, secretValue, startKluis, VAULT_RESOURCE, type Kluis } from "./kluis.js";
import { load } from "./load.js";
import type { Row } from "./report.js";

export const PG_URL = process.env.BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const CONNECTIONS = 16;
const NAMES = 1000;
const CEILING_MS = 3000;
const VALUE = secretValue(1024);
/** Sealed size: 33-byte envelope header plus the ciphertext. */
const BLOB = randomBytes(1024 + 33);

async function writeLoad(k: Kluis): Promise<{ rps: number; p50: number; p99: number }> {
  await createVault(k, "bench", "wvbench");
  const bearer = await adminToken(k, VAULT_RESOURCE);
  return load({
    url: `${k.vaultUrl("wvbench")}/secrets/w0?${API}`,
    pathTemplate: `/secrets/w{n}?${API}`,
    pathCount: NAMES,
    method: "PUT",
    connections: CONNECTIONS,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify({ value: VALUE }),
  });
}

/** Single-row transactions into a fresh database with Kluis's pragmas, for CEILING_MS. */
function sqliteCeiling(): number {
  const db = new Database(path.join(freshDataDir("sqlite-ceiling"), "ceiling.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL, v BLOB NOT NULL) STRICT");
  const insert = db.prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  const tx = db.transaction((i: number) => insert.run(`w${i % NAMES}`, BLOB));
  const end = Date.now() + CEILING_MS;
  const began = process.hrtime.bigint();
  let n = 0;
  while (Date.now() < end) tx(n++);
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  db.close();
  return n / seconds;
}

async function pgCeiling(url: string): Promise<number> {
  const poolDb = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  // The database is dropped WITH (FORCE) afterwards; a closing idle client must not crash the run.
  poolDb.on("error", () => {});
  await poolDb.query("CREATE TABLE bench_ceiling (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k TEXT NOT NULL, v BYTEA NOT NULL)");
  const end = Date.now() + CEILING_MS;
  const began = process.hrtime.bigint();
  let n = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) await poolDb.query("INSERT INTO bench_ceiling (k, v) VALUES ($1, $2)", [`w${n++ % NAMES}`, BLOB]);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  await poolDb.end();
  return n / seconds;
}

export async function benchSqliteWrites(): Promise<Row[]> {
  const k = await startKluis({ dataDir: freshDataDir("writes") });
  try {
    const kluis = await writeLoad(k);
    const ceiling = sqliteCeiling();
    return [
      {
        section: "3",
        measure: `secret write SQLite, ${CONNECTIONS} conn`,
        kluis: { value: kluis.rps, unit: "req/s", p50: kluis.p50, p99: kluis.p99 },
        baseline: { value: ceiling, unit: "tx/s", label: "raw 1-row tx" },
        ratio: kluis.rps / ceiling,
        target: ">=2000/s",
        met: kluis.rps >= 2000,
        note: "WAL, synchronous=FULL",
      },
    ];
  } finally {
    await k.stop();
  }
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh database kluis_bench_<ts> (the server's --storage takes a URL, not a schema), dropped afterwards. */
export async function benchPostgresWrites(): Promise<Row[]> {
  if (!(await reachable(PG_URL))) {
    return [{ section: "3", measure: "secret write PostgreSQL", kluis: { value: NaN, unit: "req/s" }, note: `skipped: ${PG_URL} unreachable` }];
  }
  const database = `kluis_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  let k: Kluis | undefined;
  try {
    k = await startKluis({ dataDir: freshDataDir("pg"), args: ["--storage", url.toString()] });
    const kluis = await writeLoad(k);
    await k.stop();
    k = undefined;
    const ceiling = await pgCeiling(url.toString());
    return [
      {
        section: "3",
        measure: `secret write PostgreSQL, ${CONNECTIONS} conn`,
        kluis: { value: kluis.rps, unit: "req/s", p50: kluis.p50, p99: kluis.p99 },
        baseline: { value: ceiling, unit: "tx/s", label: `raw 1-row insert, ${CONNECTIONS} clients` },
        ratio: kluis.rps / ceiling,
        note: "synchronous_commit default",
      },
    ];
  } finally {
    await k?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}
