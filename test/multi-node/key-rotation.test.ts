/**
 * Automatic key rotation on two `kluis server` processes sharing one PostgreSQL schema: both run the rotation job
 * every 100 ms with the job's clock eight days ahead (KLUIS_INTERNAL_CLOCK_OFFSET_S), and every due key gets exactly
 * one new version, whichever node claimed it.
 *
 * Server: KLUIS_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test); the schema kluis_kr_<random> is
 * dropped at the end. KLUIS_TEST_POSTGRES=skip skips this file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { arm, claims, token } from "../harness/clients.js";
import { probe } from "../harness/probes.js";
import { testSchema } from "../harness/postgres-schema.js";
import { startServer, type KluisServer } from "../harness/server.js";

const pgSchema = testSchema("kluis_kr");
const VAULT = `kr${randomBytes(4).toString("hex")}`;
const KEYS = ["k1", "k2", "k3", "k4", "k5", "k6"];
const env = { KLUIS_INTERNAL_CLOCK_OFFSET_S: String(8 * 86_400), KLUIS_INTERNAL_ROTATION_CHECK_MS: "100" };

/** Keys rotated by a node, from the rotation job's log lines. */
function rotatedBy(server: KluisServer): number {
  return [...server.output().matchAll(/"component":"key-rotation","rotated":(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe("automatic key rotation over PostgreSQL, two nodes", { skip: pgSchema.skip, timeout: 120_000 }, () => {
  let a: KluisServer;
  let b: KluisServer;

  before(async () => {
    a = await startServer({ storage: pgSchema.storage, env });
    b = await startServer({ storage: pgSchema.storage, joinOf: a, seedTls: false, env });
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await pgSchema.drop();
  });

  it("every due key gets exactly one new version, whichever node claims it", async () => {
    const management = await token(a, "https://management.azure.com");
    const rg = `/subscriptions/${a.subscriptionId}/resourcegroups/key-rotation`;
    assert.ok((await arm(a, management, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" })).status < 300);
    const vault = await arm(a, management, "PUT", `${rg}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2023-07-01`, {
      location: "westus",
      properties: {
        tenantId: a.tenantId,
        sku: { family: "A", name: "standard" },
        accessPolicies: [{ tenantId: a.tenantId, objectId: String(claims(management).oid), permissions: { keys: ["all"] } }],
      },
    });
    assert.ok(vault.status < 300, JSON.stringify(vault.body));
    // Each node's authority names itself as issuer: a token per node.
    const bearers = new Map([a, b].map((s) => [s, token(s, `https://vault.localhost:${s.port}`)]));
    const call = async (server: KluisServer, method: string, path: string, body?: unknown) => {
      const reply = await probe(method, `${server.vaultUrl(VAULT)}${path}?api-version=7.6`, { bearer: await bearers.get(server)!, body });
      assert.ok(reply.status < 300, `${method} ${path}: ${reply.status} ${reply.text}`);
      return reply.body;
    };
    const policy = { lifetimeActions: [{ trigger: { timeAfterCreate: "P7D" }, action: { type: "Rotate" } }], attributes: { expiryTime: "P30D" } };
    for (const [i, name] of KEYS.entries()) {
      const node = i % 2 === 0 ? a : b;
      await call(node, "POST", `/keys/${name}/create`, { kty: "EC", crv: "P-256" });
      await call(node, "PUT", `/keys/${name}/rotationpolicy`, policy);
    }
    const versions = async (name: string) => ((await call(b, "GET", `/keys/${name}/versions`)) as { value: unknown[] }).value.length;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await Promise.all(KEYS.map(versions))).some((n) => n < 2)) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500)); // fifteen more ticks on each node
    assert.deepEqual(await Promise.all(KEYS.map(versions)), KEYS.map(() => 2), "each key has exactly one new version");
    assert.equal(rotatedBy(a) + rotatedBy(b), KEYS.length, `node A rotated ${rotatedBy(a)}, node B ${rotatedBy(b)}`);
  });
});
