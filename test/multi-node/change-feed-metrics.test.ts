/**
 * The change-feed lag metric: two nodes on one PostgreSQL schema, each with its own /metrics; a change made through
 * one node is observed, with its lag, by the other. Server: KLUIS_TEST_POSTGRES (default
 * postgres://postgres@127.0.0.1:5432/test); a fresh schema per run, dropped afterwards.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { claims, createVault, token } from "../harness/clients.js";
import { freePort, startServer, type KluisServer } from "../harness/server.js";

const setting = process.env.KLUIS_TEST_POSTGRES;
const PG_URL = setting && setting !== "skip" ? setting : "postgres://postgres@127.0.0.1:5432/test";
const schema = `kluis_lag_${randomBytes(4).toString("hex")}`;

async function lagCount(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const line = text.split("\n").find((l) => l.startsWith("kluis_change_feed_lag_seconds_count "));
  return line ? Number(line.split(" ")[1]) : 0;
}

describe("change-feed lag metric", { skip: setting === "skip" ? "KLUIS_TEST_POSTGRES=skip" : false, timeout: 120_000 }, () => {
  let a: KluisServer;
  let b: KluisServer;
  let metricsB: number;

  before(async () => {
    const url = new URL(PG_URL);
    url.searchParams.set("schema", schema);
    a = await startServer({ storage: url.toString(), args: ["--metrics-port", String(await freePort())] });
    metricsB = await freePort();
    b = await startServer({ storage: url.toString(), joinOf: a, seedTls: false, args: ["--metrics-port", String(metricsB)] });
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  it("a change published by one node is counted, with its lag, by the other", async () => {
    const before = await lagCount(metricsB);
    const management = await token(a, "https://management.azure.com");
    await createVault(a, management, "rg-lag", `lag${randomBytes(3).toString("hex")}`, [String(claims(management).oid)]);
    const deadline = Date.now() + 10_000;
    let count = before;
    while (count <= before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      count = await lagCount(metricsB);
    }
    assert.ok(count > before, `node b saw no change through the feed (count ${count})`);
  });
});
