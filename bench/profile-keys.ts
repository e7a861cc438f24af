/**
 * Profiles the key-sign path: a Kluis server under `node --cpu-prof`, 16 connections of POST …/sign (ES256 by
 * default, or RS256) for a few seconds, then the profile's top self-time functions (and per-file totals) printed.
 *
 * Usage: npm run build && node --import tsx bench/profile-keys.ts [seconds] [ES256|RS256]
 */
import fs from "node:fs";
import path from "node:path";
import { summarize } from "./lib/cpuprofile.js";
import { setupKeys } from "./keys.js";
import { freshDataDir, startKluis } from "./kluis.js";
import { load } from "./load.js";

const seconds = Number(process.argv[2] ?? 8);
const alg = process.argv[3] ?? "ES256";
const profDir = freshDataDir("prof");
const k = await startKluis({ nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profDir] });
try {
  const setup = await setupKeys(k);
  const r = await load({ ...setup.signSpec(alg === "RS256" ? setup.rsaKid : setup.ecKid, alg), durationSec: seconds });
  console.log(`under profile: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
} finally {
  await k.stop();
}

const file = fs.readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
console.log(summarize(path.join(profDir, file)));
console.log(`\nprofile: ${path.join(profDir, file)}`);
