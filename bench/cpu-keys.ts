/**
 * Server CPU per request for section 6's three loads (RS256 sign, ES256 sign, 1 KB secret read), from the server
 * process's utime+stime (all its threads, RSA workers included), beside the CPU of one bare RS256 crypto.sign. On
 * a shared machine the wall-clock ratios of `npm run bench` swing with other load; CPU per request does much less.
 *
 * Usage: npm run build && node --import tsx bench/cpu-keys.ts [seconds]   (KLUIS_RSA_WORKERS=… passes through)
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { setupKeys } from "./keys.js";
import { startKluis } from "./kluis.js";
import { load } from "./load.js";

const seconds = Number(process.argv[2] ?? 4);
const TICK_US = 10_000; // USER_HZ is 100 on Linux

function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

function bareSignCpuUs(): number {
  const key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const data = Buffer.from("bench");
  const before = process.cpuUsage();
  for (let i = 0; i < 2000; i++) crypto.sign("sha256", data, key);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 2000;
}

const k = await startKluis({ env: process.env });
try {
  const setup = await setupKeys(k);
  const pid = k.child.proc.pid!;
  const points = {
    RS256: setup.signSpec(setup.rsaKid, "RS256"),
    ES256: setup.signSpec(setup.ecKid, "ES256"),
    read: { url: setup.secretUrl, connections: 16, headers: { authorization: setup.headers.authorization! } },
  };
  console.log(`bare RS256 crypto.sign: ${bareSignCpuUs().toFixed(0)} µs CPU`);
  for (const [name, spec] of Object.entries(points)) {
    await load({ ...spec, durationSec: 1, warmupSec: 0 });
    const before = cpuTicks(pid);
    const r = await load({ ...spec, durationSec: seconds, warmupSec: 0 });
    const us = ((cpuTicks(pid) - before) * TICK_US) / r.ok;
    console.log(`${name.padEnd(6)} ${Math.round(r.rps)} req/s, server ${us.toFixed(0)} µs CPU/request`);
  }
} finally {
  await k.stop();
}
