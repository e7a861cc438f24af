/**
 * Profiles the secret-read path: a Kluis server under `node --cpu-prof`, 16 connections of GET /secrets/s1 for a few
 * seconds, then the profile's top self-time functions (and per-file totals) printed.
 *
 * Usage: npm run build && node --import tsx bench/profile-read.ts [seconds] [connections]
 */
import fs from "node:fs";
import path from "node:path";
import { createdDirs, freshDataDir, startKluis } from "./kluis.js";
import { load } from "./load.js";
import { API } from "./kluis.js";
import { READ_VAULT, setupReads } from "./read.js";
import { summarize } from "./lib/cpuprofile.js";

const seconds = Number(process.argv[2] ?? 8);
const connections = Number(process.argv[3] ?? 16);
const profDir = freshDataDir("prof");
const k = await startKluis({ nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profDir] });
try {
  const setup = await setupReads(k);
  const r = await load({ url: `${k.vaultUrl(READ_VAULT)}/secrets/s1?${API}`, connections, durationSec: seconds, headers: { authorization: `Bearer ${setup.bearer}` } });
  console.log(`under profile: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
} finally {
  await k.stop();
}

const file = fs.readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
console.log(summarize(path.join(profDir, file)));
console.log(`\nprofile: ${path.join(profDir, file)}`);
if (process.env.BENCH_KEEP !== "1") for (const dir of createdDirs.filter((d) => d !== profDir)) fs.rmSync(dir, { recursive: true, force: true });
