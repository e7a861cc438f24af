/**
 * Automatic certificate renewal on PostgreSQL: node A issues certificates (validity one month, AutoRenew at 50 % of
 * the lifetime) with the real clock; then nodes B and C join its schema and run the certificate job every 100 ms with
 * the job's clock twenty days ahead (KLUIS_INTERNAL_CLOCK_OFFSET_S), so every certificate is due there. Each gets
 * exactly one new version — whichever node claimed it — with a new key and a secret of the same version, and the
 * renewed certificate is valid from the job's "now" (so it is not due again). A certificate whose action is
 * EmailContacts is recorded once as a lifetime event and keeps its one version.
 *
 * Server: KLUIS_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test); the schema kluis_cr_<random> is
 * dropped at the end. KLUIS_TEST_POSTGRES=skip skips this file.
 */
import assert from "node:assert/strict";
import crypto, { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { arm, claims, token } from "../harness/clients.js";
import { probe } from "../harness/probes.js";
import { testSchema } from "../harness/postgres-schema.js";
import { startServer, type KluisServer } from "../harness/server.js";

const pgSchema = testSchema("kluis_cr");
const VAULT = `cr${randomBytes(4).toString("hex")}`;
const NAMES = ["c1", "c2", "c3", "c4"];
const ahead = { KLUIS_INTERNAL_CLOCK_OFFSET_S: String(20 * 86_400), KLUIS_INTERNAL_CERTIFICATE_CHECK_MS: "100" };

function renewedBy(server: KluisServer): number {
  return [...server.output().matchAll(/"component":"certificates","renewed":(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe("automatic certificate renewal over PostgreSQL, three nodes", { skip: pgSchema.skip, timeout: 180_000 }, () => {
  let a: KluisServer;
  let b: KluisServer;
  let c: KluisServer;

  before(async () => {
    a = await startServer({ storage: pgSchema.storage });
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await pgSchema.drop();
  });

  it("every due certificate gets exactly one new version, with its own key and secret", { timeout: 120_000 }, async () => {
    const management = await token(a, "https://management.azure.com");
    const rg = `/subscriptions/${a.subscriptionId}/resourcegroups/cert-renewal`;
    assert.ok((await arm(a, management, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" })).status < 300);
    const vault = await arm(a, management, "PUT", `${rg}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2023-07-01`, {
      location: "westus",
      properties: {
        tenantId: a.tenantId,
        sku: { family: "A", name: "standard" },
        accessPolicies: [{ tenantId: a.tenantId, objectId: String(claims(management).oid), permissions: { certificates: ["all"], secrets: ["all"], keys: ["all"] } }],
      },
    });
    assert.ok(vault.status < 300, JSON.stringify(vault.body));
    const bearer = await token(a, `https://vault.localhost:${a.port}`);
    const call = async (method: string, path: string, body?: unknown) => {
      const reply = await probe(method, `${a.vaultUrl(VAULT)}${path}?api-version=7.6`, { bearer, body });
      assert.ok(reply.status < 300, `${method} ${path}: ${reply.status} ${reply.text}`);
      return reply.body as Record<string, any>;
    };
    const first = new Map<string, Record<string, any>>();
    // One more certificate whose lifetime action is EmailContacts: recorded as an event once, never renewed.
    await call("POST", `/certificates/notify/create`, {
      policy: { x509_props: { subject: "CN=notify", validity_months: 1 }, issuer: { name: "Self" }, lifetime_actions: [{ trigger: { days_before_expiry: 20 }, action: { action_type: "EmailContacts" } }] },
    });
    for (const [i, name] of NAMES.entries()) {
      const policy = {
        key_props: { kty: i % 2 ? "EC" : "RSA", reuse_key: false },
        x509_props: { subject: `CN=${name}.example.test`, validity_months: 1 },
        issuer: { name: i < 2 ? "Self" : "Kluis" },
        lifetime_actions: [{ trigger: { lifetime_percentage: 50 }, action: { action_type: "AutoRenew" } }],
      };
      await call("POST", `/certificates/${name}/create`, { policy });
    }
    const versions = async (name: string) => ((await call("GET", `/certificates/${name}/versions`)).value as unknown[]).length;
    const completed = async (name: string) => (await call("GET", `/certificates/${name}/pending`)).status === "completed";
    // Node A issues the first versions with the real clock; only then do B and C join, with theirs ahead.
    const issued = Date.now() + 30_000;
    while (Date.now() < issued && !(await Promise.all(NAMES.map(completed))).every(Boolean)) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await Promise.all(NAMES.map(versions)), NAMES.map(() => 1));
    [b, c] = await Promise.all([
      startServer({ storage: pgSchema.storage, joinOf: a, seedTls: false, env: ahead }),
      startServer({ storage: pgSchema.storage, joinOf: a, seedTls: false, env: ahead }),
    ]);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await Promise.all(NAMES.map(versions))).some((n) => n < 2)) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1500)); // fifteen more ticks on B and C
    assert.deepEqual(await Promise.all(NAMES.map(versions)), NAMES.map(() => 2), "each certificate has exactly one new version");
    assert.equal(renewedBy(b) + renewedBy(c), NAMES.length + 1, `node B carried out ${renewedBy(b)} lifetime actions, node C ${renewedBy(c)}`);
    const notified = [b, c].flatMap((s) => [...s.output().matchAll(/"event":"lifetime-action","action":"EmailContacts","vault":"[^"]+","certificate":"([^"]+)"/g)].map((m) => m[1]));
    assert.deepEqual(notified, ["notify"], "the EmailContacts action is recorded once, by one node");
    assert.equal(await versions("notify"), 1, "EmailContacts does not renew");
    for (const name of NAMES) {
      const latest = await call("GET", `/certificates/${name}`);
      const all = (await call("GET", `/certificates/${name}/versions`)).value as { id: string }[];
      const older = all.map((v) => v.id.split("/").pop()!).find((v) => !latest.id.endsWith(v))!;
      first.set(name, await call("GET", `/certificates/${name}/${older}`));
      const renewed = new crypto.X509Certificate(Buffer.from(latest.cer, "base64"));
      const original = new crypto.X509Certificate(Buffer.from(first.get(name)!.cer, "base64"));
      assert.ok(new Date(renewed.validFrom).getTime() > new Date(original.validFrom).getTime() + 19 * 86_400_000, "valid from the job's clock");
      assert.ok(!renewed.publicKey.equals(original.publicKey), "reuse_key false: a new key");
      const version = latest.id.split("/").pop();
      const secret = await call("GET", `/secrets/${name}/${version}`);
      assert.equal(secret.kid, latest.kid);
      const key = await call("GET", `/keys/${name}`);
      assert.equal(key.key.kid, latest.kid);
    }
  });
});
