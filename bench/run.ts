/**
 * `npm run bench`: Kluis against the platform's own ceiling on this machine. Starts servers on loopback with fresh
 * data directories, loads them from autocannon child processes, measures each figure beside its baseline in the
 * same run, prints one table and writes bench/results/<YYYY-MM-DD>.json.
 *
 * Environment: BENCH_DURATION (s per point, default 5), BENCH_WARMUP (s, default 1), BENCH_SCALE_SECRETS
 * (default 100000), BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test), BENCH_ONLY (comma list of
 * sections 1-6), BENCH_KEEP=1 to keep the data directories.
 */
import fs from "node:fs";
import { createdDirs, freshDataDir, startKluis } from "./kluis.js";
import { bareRsaSignRate, benchKeys } from "./keys.js";
import { benchMetadata } from "./metadata.js";
import { benchReads, setupReads } from "./read.js";
import { machineInfo, renderTable, writeResults, type Row } from "./report.js";
import { benchScale } from "./scale.js";
import { benchTokenEndpoint, signingCeiling } from "./signing.js";
import { benchPostgresWrites, benchSqliteWrites } from "./writes.js";

const only = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5,6").split(",").map((s) => s.trim()));
const began = Date.now();
const log = (message: string) => process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);

async function main(): Promise<void> {
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};

  // In-process signing loops first, while nothing else competes for the CPU.
  const ceiling = only.has("5") ? (log("5: in-process signing loops"), await signingCeiling()) : undefined;
  if (ceiling) extra.signing = ceiling;
  // The quiet-machine ceiling, for the record; section 6's ratio uses loops interleaved with its own load.
  const bareSign = only.has("6") ? (log("6: bare RSA-2048 crypto.sign loop"), bareRsaSignRate()) : undefined;
  if (bareSign !== undefined) extra.bareRsaSignQuiet = bareSign;

  if (only.has("1") || only.has("2") || only.has("5")) {
    log("starting server (fresh data directory)");
    const k = await startKluis({ dataDir: freshDataDir("main") });
    try {
      if (only.has("1")) {
        log("1: secret reads vs bare https");
        rows.push(...(await benchReads(k, await setupReads(k))));
      }
      if (only.has("2")) {
        log("2: metadata-endpoint tokens vs bare http");
        rows.push(...(await benchMetadata(k)));
      }
      if (ceiling) {
        log("5: token endpoint");
        rows.push(...(await benchTokenEndpoint(k, ceiling)));
      }
    } finally {
      await k.stop();
    }
  }
  if (bareSign !== undefined) {
    log("6: keys (starting server, fresh data directory)");
    const k = await startKluis({ dataDir: freshDataDir("keys") });
    try {
      rows.push(...(await benchKeys(k)));
    } finally {
      await k.stop();
    }
  }
  if (only.has("3")) {
    log("3: durable writes, SQLite");
    rows.push(...(await benchSqliteWrites()));
    log("3: durable writes, PostgreSQL");
    rows.push(...(await benchPostgresWrites()));
  }
  if (only.has("4")) {
    log("4: scale (loading secrets directly, then measuring)");
    const scale = await benchScale();
    extra.scaleLoadSeconds = scale.loadSeconds;
    log(`4: direct load took ${scale.loadSeconds.toFixed(1)} s`);
    rows.push(...scale.rows);
  }

  rows.sort((a, b) => a.section.localeCompare(b.section));
  const m = machineInfo();
  console.log(`\nKluis benchmark — ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}`);
  console.log(`durations ${process.env.BENCH_DURATION ?? 5} s per point after ${process.env.BENCH_WARMUP ?? 1} s warm-up; total ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
  console.log(renderTable(rows));
  const file = writeResults(rows, { ...extra, totalSeconds: (Date.now() - began) / 1000 });
  console.log(`\nresults: ${file}`);
}

try {
  await main();
} finally {
  if (process.env.BENCH_KEEP !== "1") for (const dir of createdDirs) fs.rmSync(dir, { recursive: true, force: true });
}
