/**
 * Memory under abuse without a token: a client may put any name in the Host header. Names that break the vault-name
 * rule must be refused before any lookup, and the lookups of well-formed unknown names must not accumulate. A 20 s
 * flood of random host names (loopback, a bounded number of requests) may grow the server's RSS by < 30 MB.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import { probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const FLOOD_MS = 20_000;
const MAX_REQUESTS = 300_000;
const WORKERS = 16;
const MAX_GROWTH_MB = 30;

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  assert.ok(kb > 0, "VmRSS readable");
  return kb / 1024;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
function randomLabel(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

/** Alternates 8 KB names (which break the rule) and well-formed 24-character names of vaults that don't exist. */
function randomHost(i: number, port: number): string {
  const name = i % 2 === 0 ? `k${randomLabel(8 * 1024)}` : `k${randomLabel(23)}`;
  return `${name}.vault.localhost:${port}`;
}

async function flood(server: KluisServer, durationMs: number, maxRequests: number): Promise<{ sent: number; statuses: Map<number, number> }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: WORKERS });
  const deadline = Date.now() + durationMs;
  const statuses = new Map<number, number>();
  let sent = 0;
  const one = (host: string) =>
    new Promise<void>((resolve) => {
      const req = https.request(
        { host: "127.0.0.1", servername: "localhost", port: server.port, path: "/secrets/x?api-version=7.4", headers: { host }, agent },
        (res) => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          res.resume();
          res.on("end", resolve);
          res.on("error", () => resolve());
        },
      );
      req.on("error", () => {
        statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < deadline && sent < maxRequests) await one(randomHost(sent++, server.port));
    }),
  );
  agent.destroy();
  return { sent, statuses };
}

/** One GET to the server's loopback address with `host` in the Host header (no DNS lookup of it). */
function getWithHost(server: KluisServer, host: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: "127.0.0.1", servername: "localhost", port: server.port, path, headers: { host } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on("error", reject);
  });
}

describe("host-name flood", { timeout: 180_000 }, () => {
  let server: KluisServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it("refuses a host name that breaks the vault-name rule as an unknown vault, without echoing it whole", { timeout: 10_000 }, async () => {
    const long = `k${"a".repeat(4000)}`;
    for (const name of ["ab", "a--b", "1abc", long]) {
      const reply = await getWithHost(server, `${name}.vault.localhost:${server.port}`, "/secrets/x?api-version=7.4");
      assert.equal(reply.status, 404, reply.text);
      const error = (JSON.parse(reply.text) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "VaultNotFound", reply.text);
      assert.ok(error.message.includes("was not found"), reply.text);
      assert.ok(reply.text.length < 400, `the reply echoes the whole host name: ${reply.text.length} characters`);
    }
  });

  it(`grows by less than ${MAX_GROWTH_MB} MB of RSS under ${FLOOD_MS / 1000} s of random host names`, { timeout: 150_000 }, async () => {
    // Warm-up of the same length: TLS, JIT, the allocator and the garbage collector's heap sizing settle first. Each
    // refused request is audited, and that garbage keeps ~40 MB of RSS around until V8 collects it (measured with a
    // forced GC: heap used 16 → 18 MB, RSS back within 4 MB); what a second flood of as many requests adds is what
    // the server keeps. (Equal counts, not equal times: on a loaded machine the two floods differ in pace.)
    const warmUp = await flood(server, FLOOD_MS, MAX_REQUESTS);
    const before = rssMb(server.pid);
    const { sent, statuses } = await flood(server, FLOOD_MS * 3, warmUp.sent);
    const afterFlood = rssMb(server.pid);
    const growth = afterFlood - before;
    console.log(`host flood: ${sent} requests, statuses ${JSON.stringify([...statuses])}, RSS ${before.toFixed(1)} → ${afterFlood.toFixed(1)} MB (+${growth.toFixed(1)})`);
    assert.ok(sent > 1000, `the flood sent only ${sent} requests`);
    assert.deepEqual([...statuses.keys()], [404], `every flooded request is a 404: ${JSON.stringify([...statuses])}`);
    assert.ok(growth < MAX_GROWTH_MB, `RSS grew by ${growth.toFixed(1)} MB (${before.toFixed(1)} → ${afterFlood.toFixed(1)})`);
    // Still serving: the health endpoint answers.
    assert.equal((await probe("GET", `${server.url}/healthz`)).status, 200);
  });
});
