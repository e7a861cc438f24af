/**
 * Two `kluis server` processes sharing one PostgreSQL schema, reached through a TCP relay the test can cut.
 * Black-box: everything goes through HTTPS like any client, and the database only through the relay.
 *
 * Server: KLUIS_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test); the schema kluis_mn_<random> is
 * dropped at the end. KLUIS_TEST_POSTGRES=skip skips this file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";
import { tcpRelay, type TcpRelay } from "../harness/tcp-relay.js";

const setting = process.env.KLUIS_TEST_POSTGRES;
const PG_URL = setting && setting !== "skip" ? setting : "postgres://postgres@127.0.0.1:5432/test";
const schema = `kluis_mn_${randomBytes(4).toString("hex")}`;
const API = "api-version=7.5";
const ARM_API = "api-version=2023-07-01";
const VAULT_RESOURCE = "https://vault.azure.net";

let relay: TcpRelay;
let a: KluisServer;
let b: KluisServer;
let adminOid: string;
const vault = `mn${randomBytes(4).toString("hex")}`;
const group = "multi-node";
const figures: Record<string, string> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function getRaw(server: KluisServer, bearer: string, name: string): Promise<{ status: number; headers: Headers; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${server.vaultUrl(vault)}/secrets/${name}?${API}`, { headers: { authorization: `Bearer ${bearer}` } });
  await response.arrayBuffer();
  return { status: response.status, headers: response.headers, ms: performance.now() - started };
}

async function policy(server: KluisServer, operation: "add" | "remove"): Promise<void> {
  const bearer = await token(server, server.url);
  const response = await arm(
    server,
    bearer,
    "PUT",
    `/subscriptions/${server.subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/${operation}?${ARM_API}`,
    { properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: adminOid, permissions: { secrets: ["all"] } }] } },
  );
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

/** Polls `probe` every 20 ms until it returns true or `limitMs` passes; returns the elapsed time or null. */
async function within(limitMs: number, probe: () => Promise<boolean>): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started <= limitMs) {
    if (await probe()) return performance.now() - started;
    await sleep(20);
  }
  return null;
}

describe("multi-node over PostgreSQL", { skip: setting === "skip" ? "KLUIS_TEST_POSTGRES=skip" : false, timeout: 180_000 }, () => {
  before(async () => {
    const target = new URL(PG_URL);
    relay = await tcpRelay(target.hostname, Number(target.port || 5432));
    const url = new URL(PG_URL);
    url.hostname = "127.0.0.1";
    url.port = String(relay.port);
    url.searchParams.set("schema", schema);
    a = await startServer({ storage: url.toString() });
    b = await startServer({ storage: url.toString(), joinOf: a, seedTls: false });
    adminOid = String(claims(await token(a, a.url)).oid);
    await createVault(a, await token(a, a.url), group, vault, [adminOid]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.close();
    await withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    console.log(`multi-node figures: ${JSON.stringify(figures)}`);
  });

  it("a joining node with an empty data directory serves the same CA, tenant, signing key and admin", async () => {
    assert.equal(fs.readFileSync(path.join(b.dataDir, "tls", "ca.pem"), "utf8").trim(), fs.readFileSync(path.join(a.dataDir, "tls", "ca.pem"), "utf8").trim());
    assert.equal(b.tenantId, a.tenantId);
    assert.equal(b.subscriptionId, a.subscriptionId);
    const keys = await Promise.all([a, b].map(async (s) => ((await (await fetch(`${s.url}/${s.tenantId}/discovery/v2.0/keys`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)));
    assert.deepEqual(keys[0], keys[1]);
    // B found the administrator already created: it did not rotate the secret, so A's admin.json still works.
    assert.deepEqual(b.admin, a.admin);
    await token(a, a.url);
    await token(b, b.url);
  });

  it("a secret written through A is read through B", async () => {
    const writer = secretClient(a, vault);
    const reader = secretClient(b, vault);
    await reader.getSecret("absent").catch(() => undefined); // warm B's token and vault cache
    const written = await writer.setSecret("shared", "from-a");
    const started = performance.now();
    const read = await reader.getSecret("shared");
    figures.readOnBAfterWriteOnA_ms = (performance.now() - started).toFixed(1);
    assert.equal(read.value, "from-a");
    assert.equal(read.properties.version, written.properties.version);
  });

  it("an access policy removed on A is enforced on B within a second (and added back likewise)", async () => {
    const bearerB = await token(b, VAULT_RESOURCE);
    assert.equal((await getRaw(b, bearerB, "shared")).status, 200); // B has the vault, with the policy, cached now
    await policy(a, "remove");
    const denied = await within(1000, async () => (await getRaw(b, bearerB, "shared")).status === 403);
    assert.notEqual(denied, null, "B still allowed access 1 s after the policy was removed on A");
    figures.policyRemoveOnAEnforcedOnB_ms = denied!.toFixed(1);
    // Well under the 1 s cache TTL: the notification did it, not the expiry.
    assert.ok(denied! < 500, `took ${denied} ms`);
    await policy(a, "add");
    const allowed = await within(1000, async () => (await getRaw(b, bearerB, "shared")).status === 200);
    assert.notEqual(allowed, null);
    figures.policyAddOnAEnforcedOnB_ms = allowed!.toFixed(1);
  });

  it("versions written at once through both nodes are all kept, in one order every node reports", async () => {
    const clients = [secretClient(a, vault), secretClient(b, vault)];
    const writes = await Promise.all(Array.from({ length: 40 }, (_, i) => clients[i % 2]!.setSecret("raced", `v${i}`)));
    const written = new Set(writes.map((w) => w.properties.version));
    assert.equal(written.size, 40);
    const listed = await Promise.all(
      clients.map(async (client) => {
        const versions: string[] = [];
        for await (const p of client.listPropertiesOfSecretVersions("raced")) versions.push(p.version!);
        return versions;
      }),
    );
    assert.equal(listed[0]!.length, 40);
    assert.deepEqual(listed[0], listed[1]);
    assert.deepEqual(new Set(listed[0]), written);
    // The latest is the same on both, and it is the last one listed.
    const latest = await Promise.all(clients.map((c) => c.getSecret("raced")));
    assert.equal(latest[0]!.properties.version, latest[1]!.properties.version);
  });

  it("the same vault name created at once on both nodes yields exactly one vault", async () => {
    const [bearerA, bearerB] = await Promise.all([token(a, a.url), token(b, b.url)]);
    for (const [server, bearer, rg] of [[a, bearerA, "race-a"], [b, bearerB, "race-b"]] as const) {
      const g = await arm(server, bearer, "PUT", `/subscriptions/${server.subscriptionId}/resourcegroups/${rg}?api-version=2022-09-01`, { location: "westus" });
      assert.ok(g.status < 300, JSON.stringify(g.body));
    }
    for (let round = 0; round < 5; round++) {
      const name = `race${randomBytes(4).toString("hex")}`;
      const put = (server: KluisServer, bearer: string, rg: string) =>
        arm(server, bearer, "PUT", `/subscriptions/${server.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}?${ARM_API}`, {
          location: "westus",
          properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [] },
        });
      const results = await Promise.all([put(a, bearerA, "race-a"), put(b, bearerB, "race-b")]);
      const succeeded = results.filter((r) => r.status < 300);
      assert.equal(succeeded.length, 1, JSON.stringify(results.map((r) => [r.status, r.body?.error?.code])));
      const failed = results.find((r) => r.status >= 300)!;
      assert.equal(failed.status, 409);
      assert.equal(failed.body.error.code, "VaultAlreadyExists");
      const listed = await arm(a, bearerA, "GET", `/subscriptions/${a.subscriptionId}/providers/Microsoft.KeyVault/vaults?${ARM_API}`);
      assert.equal(listed.body.value.filter((v: any) => v.name === name).length, 1);
    }
  });

  it("PostgreSQL unreachable → 503 with Retry-After, fast; /readyz 503, /healthz 200; both nodes recover alone", async () => {
    const [bearerA, bearerB] = await Promise.all([token(a, VAULT_RESOURCE), token(b, VAULT_RESOURCE)]);
    await relay.cut();
    try {
      for (const [server, bearer] of [[a, bearerA], [b, bearerB]] as const) {
        // Twice: the first request may meet a pooled connection the cut just killed, the second a failed connect.
        for (let i = 0; i < 2; i++) {
          const reply = await getRaw(server, bearer, "shared");
          assert.equal(reply.status, 503);
          assert.equal(reply.headers.get("retry-after"), "1");
          assert.ok(reply.ms < 3000, `took ${reply.ms} ms`);
          figures.unavailableReply_ms = Math.max(Number(figures.unavailableReply_ms ?? 0), reply.ms).toFixed(1);
        }
        assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        const tokenReply = await fetch(`${server.url}/${server.tenantId}/oauth2/v2.0/token`, {
          method: "POST",
          body: new URLSearchParams({ grant_type: "client_credentials", client_id: server.admin.appId, client_secret: server.admin.password, scope: `${VAULT_RESOURCE}/.default` }),
        });
        assert.equal(tokenReply.status, 503);
      }
    } finally {
      await relay.restore();
    }
    const restored = performance.now();
    for (const [server, bearer] of [[a, bearerA], [b, bearerB]] as const) {
      const back = await within(15_000, async () => (await getRaw(server, bearer, "shared")).status === 200);
      assert.notEqual(back, null, "node did not recover");
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    }
    figures.recoveryAfterRestore_ms = (performance.now() - restored).toFixed(1);
    // The change feed listens again (it reconnects with backoff): a policy change on A reaches B fast once more.
    await sleep(1500);
    await getRaw(b, bearerB, "shared");
    await policy(a, "remove");
    const denied = await within(1000, async () => (await getRaw(b, bearerB, "shared")).status === 403);
    assert.notEqual(denied, null);
    figures.policyRemoveAfterOutage_ms = denied!.toFixed(1);
    await policy(a, "add");
    assert.notEqual(await within(1000, async () => (await getRaw(b, bearerB, "shared")).status === 200), null);
  });

  it("one node SIGKILLed under load: the other keeps serving, and every acknowledged write is there", async () => {
    const clients = { a: secretClient(a, vault), b: secretClient(b, vault) };
    const acknowledged: { name: string; version: string; value: string }[] = [];
    let stopA = false;
    let bFailures = 0;
    const writer = async (node: "a" | "b", worker: number): Promise<void> => {
      for (let i = 0; ; i++) {
        if (node === "a" && stopA) return;
        const name = `load-${node}-${worker}`;
        const value = `${node}-${worker}-${i}`;
        try {
          const result = await clients[node].setSecret(name, value);
          acknowledged.push({ name, version: result.properties.version!, value });
        } catch (error) {
          if (node === "b") {
            bFailures++;
            return; // B is gone; an unacknowledged write may or may not have landed, either is fine
          }
          throw error;
        }
      }
    };
    const workers = [0, 1, 2, 3].flatMap((w) => [writer("a", w), writer("b", w)]);
    await sleep(800);
    const beforeKill = acknowledged.length;
    await b.kill();
    const killedAt = acknowledged.length;
    await sleep(800);
    stopA = true;
    await Promise.all(workers);
    const aAfterKill = acknowledged.filter((w) => w.name.startsWith("load-a")).length;
    assert.ok(acknowledged.length > killedAt, "A stopped acknowledging writes after B was killed");
    assert.equal(bFailures, 4);
    figures.loadWritesBeforeKill = String(beforeKill);
    figures.loadWritesTotal = String(acknowledged.length);
    figures.loadWritesAcknowledgedByA = String(aAfterKill);
    for (const write of acknowledged) {
      const read = await clients.a.getSecret(write.name, { version: write.version });
      assert.equal(read.value, write.value);
    }
    await b.restart();
    const bearerB = await token(b, VAULT_RESOURCE);
    assert.equal((await getRaw(b, bearerB, "shared")).status, 200);
  });

  it("a second node on the same host skips a machine's taken metadata port, logs it, and keeps serving", async () => {
    const management = await token(a, a.url);
    const vmPath = `/subscriptions/${a.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/vm1`;
    const created = await arm(a, management, "PUT", `${vmPath}?api-version=2024-03-01`, { location: "westeurope", properties: { hardwareProfile: { vmSize: "Standard_B1s" } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const endpoint = created.body.properties.metadataEndpoint as string;
    await b.restart();
    assert.match(b.output(), /metadata endpoint not served by this node \(EADDRINUSE\)/);
    assert.equal((await fetch(`${b.url}/readyz`)).status, 200);
    // The stored port did not move: A keeps serving the machine where its clients expect it.
    const seen = await arm(b, await token(b, b.url), "GET", `${vmPath}?api-version=2024-03-01`);
    assert.equal(seen.body.properties.metadataEndpoint, endpoint);
    const imds = await fetch(`${endpoint}/metadata/instance?api-version=2021-02-01`, { headers: { Metadata: "true" } });
    assert.equal(imds.status, 200);
  });
});
