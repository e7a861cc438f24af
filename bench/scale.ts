/**
 * 4. Scale: 100,000 secrets (three versions each) in one vault, against a data directory holding a 100-secret
 * vault. Both servers run side by side while measured: start-up (spawn → /healthz), resident memory after start
 * and after load, listing everything through 25-item pages, and random reads.
 *
 * Loading goes straight through Kluis's own modules (SecretService → Keyring → SqliteVersionedObjects) into the server's
 * data directory while the server is stopped: the same sealing, the same rows, same root key; only the HTTP
 * layer is skipped and commits are batched, so 300,000 versions load in seconds instead of minutes of fsyncs.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { Keyring } from "../src/domain/keyring.js";
import { SecretService } from "../src/domain/secrets.js";
import { loadRootKey } from "../src/server/bootstrap.js";
import { SqliteDataKeys, SqliteVaults } from "../src/storage/sqlite/records.js";
import { SECRET_TABLES } from "../src/storage/collections.js";
import { SqliteVersionedObjects } from "../src/storage/sqlite/versioned-objects.js";
import { adminToken, API, createVault, freshDataDir, putSecrets, secretValue, startKluis, VAULT_RESOURCE, type Kluis } from "./kluis.js";
import { load } from "./load.js";
import { sleep } from "./lib/proc.js";
import { rps, type Row } from "./report.js";

export const SCALE_COUNT = Number(process.env.BENCH_SCALE_SECRETS ?? 100_000);
const SMALL_COUNT = 100;
const VERSIONS = 3;
const BATCH = 5000;
const STARTS = 3;
const CONNECTIONS = 16;

async function loadDirect(dataDir: string, vaultName: string, count: number): Promise<number> {
  const began = Date.now();
  const db = new Database(path.join(dataDir, "kluis.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  const vault = await new SqliteVaults(db).getByName(vaultName);
  if (!vault) throw new Error(`vault ${vaultName} missing`);
  const secrets = new SecretService(new SqliteVersionedObjects(db, SECRET_TABLES), new Keyring(new SqliteDataKeys(db), loadRootKey(dataDir, undefined)));
  const older = secretValue(256);
  const latest = secretValue(1024);
  for (let start = 0; start < count; start += BATCH) {
    db.exec("BEGIN IMMEDIATE");
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      for (let v = 1; v <= VERSIONS; v++) await secrets.set(vault, `b${i}`, { value: v === VERSIONS ? latest : older });
    }
    db.exec("COMMIT");
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return (Date.now() - began) / 1000;
}

/** Starts the data directory STARTS times; returns the last (running) server and every start-up time. */
async function startRepeatedly(dataDir: string): Promise<{ k: Kluis; times: number[] }> {
  const times: number[] = [];
  for (let i = 0; ; i++) {
    const k = await startKluis({ dataDir });
    times.push(k.startupMs);
    if (i === STARTS - 1) return { k, times };
    await k.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function listAll(k: Kluis, vault: string, bearer: string): Promise<{ seconds: number; items: number; pages: number }> {
  let url: string | null = `${k.vaultUrl(vault)}/secrets?${API}&maxresults=25`;
  let items = 0;
  let pages = 0;
  const began = process.hrtime.bigint();
  while (url) {
    const page: { value: unknown[]; nextLink: string | null } = (await k.client.ok("GET", url, { headers: { authorization: `Bearer ${bearer}` } })).json();
    items += page.value.length;
    pages++;
    url = page.nextLink;
  }
  return { seconds: Number(process.hrtime.bigint() - began) / 1e9, items, pages };
}

export async function benchScale(): Promise<{ rows: Row[]; loadSeconds: number }> {
  // The 100-secret case, through the API.
  const smallDir = freshDataDir("small");
  let first = await startKluis({ dataDir: smallDir });
  await createVault(first, "bench", "small");
  await putSecrets(first, "small", await adminToken(first, VAULT_RESOURCE), Array.from({ length: SMALL_COUNT }, (_, i) => `n${i}`), 1024);
  await first.stop();
  // The 100k case: vault made through ARM, secrets loaded directly while the server is down.
  const bigDir = freshDataDir("big");
  first = await startKluis({ dataDir: bigDir });
  await createVault(first, "bench", "big");
  await first.stop();
  const loadSeconds = await loadDirect(bigDir, "big", SCALE_COUNT);

  const small = await startRepeatedly(smallDir);
  const big = await startRepeatedly(bigDir);
  const rows: Row[] = [];
  try {
    await sleep(500);
    const rssStart = { small: small.k.rss(), big: big.k.rss() };
    const tokens = { small: await adminToken(small.k, VAULT_RESOURCE), big: await adminToken(big.k, VAULT_RESOURCE) };
    const read = (k: Kluis, vault: string, prefix: string, count: number, bearer: string) =>
      load({ url: `${k.vaultUrl(vault)}/secrets/${prefix}0?${API}`, pathTemplate: `/secrets/${prefix}{n}?${API}`, pathCount: count, connections: CONNECTIONS, headers: { authorization: `Bearer ${bearer}` } });
    const readSmall = await read(small.k, "small", "n", SMALL_COUNT, tokens.small);
    const readBig = await read(big.k, "big", "b", SCALE_COUNT, tokens.big);
    const listed = await listAll(big.k, "big", tokens.big);
    if (listed.items !== SCALE_COUNT) throw new Error(`listing returned ${listed.items} of ${SCALE_COUNT} secrets`);
    const listedSmall = await listAll(small.k, "small", tokens.small);
    const rssLoad = { small: small.k.rss(), big: big.k.rss() };
    const n = `${SCALE_COUNT / 1000}k`;
    const startBig = median(big.times);
    rows.push(
      {
        section: "4",
        measure: `start-up, ${n} secrets`,
        kluis: { value: startBig, unit: "ms" },
        baseline: { value: median(small.times), unit: "ms", label: "100 secrets" },
        ratio: startBig / median(small.times),
        target: "<1000 ms",
        met: startBig < 1000,
        note: `median of ${STARTS}: ${big.times.map((t) => Math.round(t)).join("/")} ms`,
      },
      { section: "4", measure: `RSS after start, ${n}`, kluis: { value: rssStart.big, unit: "MB" }, baseline: { value: rssStart.small, unit: "MB", label: "100 secrets" }, ratio: rssStart.big / rssStart.small, target: "<250 MB", met: rssStart.big < 250 },
      { section: "4", measure: `RSS after load, ${n}`, kluis: { value: rssLoad.big, unit: "MB" }, baseline: { value: rssLoad.small, unit: "MB", label: "100 secrets" }, ratio: rssLoad.big / rssLoad.small, target: "<250 MB", met: rssLoad.big < 250 },
      {
        section: "4",
        measure: `list all ${n} (maxresults=25)`,
        kluis: { value: listed.seconds, unit: "s" },
        baseline: { value: listedSmall.seconds * 1000, unit: "ms", label: "100 secrets" },
        note: `${listed.pages} pages, ${Math.round(listed.pages / listed.seconds)} pages/s`,
      },
      {
        section: "4",
        measure: `random read, ${n}, ${CONNECTIONS} conn`,
        kluis: rps(readBig),
        baseline: { ...rps(readSmall), label: "100 secrets" },
        ratio: readBig.rps / readSmall.rps,
        target: ">=0.9x 100-secret",
        met: readBig.rps >= 0.9 * readSmall.rps,
      },
    );
  } finally {
    await small.k.stop();
    await big.k.stop();
  }
  return { rows, loadSeconds };
}
