/**
 * The complete secrets API as the official SecretClient sees it: every method, under every service version the
 * installed @azure/keyvault-secrets offers; nextLink paging while the set changes between pages; and backup /
 * restore (round trip, into a second vault, conflicts, tampered blobs), plus purge protection.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { RestError } from "@azure/core-rest-pipeline";
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { adminCredential, arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { assertAzureError, probe, type ProbeOptions } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

type ServiceVersion = NonNullable<SecretClientOptions["serviceVersion"]>;

/**
 * The service versions the installed client declares, read from its own typings so that a new one is not missed.
 * Found through module resolution, so `npm run compat:latest` reads the newest client's typings.
 */
function installedServiceVersions(): ServiceVersion[] {
  const typings = fs.readFileSync(fileURLToPath(new URL("secretsModels.d.ts", import.meta.resolve("@azure/keyvault-secrets"))), "utf8");
  const union = /serviceVersion\?:\s*([^;]+);/.exec(typings)?.[1] ?? "";
  const versions = [...union.matchAll(/"([^"]+)"/g)].map((m) => m[1] as ServiceVersion);
  assert.ok(versions.includes("7.0") && versions.length >= 8, `unexpected serviceVersion list: ${union}`);
  return versions;
}

const statusOf = (status: number, code?: string, inner?: string) => (error: RestError) => {
  assert.equal(error.statusCode, status, error.message);
  const details = error.details as { error?: { code?: string; innerError?: { code?: string } } } | undefined;
  if (code !== undefined) assert.equal(details?.error?.code, code, error.message);
  if (inner !== undefined) assert.equal(details?.error?.innerError?.code, inner, error.message);
  return true;
};

const poll = { intervalInMs: 20 };

describe("SecretClient, every method, every service version", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let management: string;
  let adminOid: string;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
  });
  after(() => server.stop());

  for (const serviceVersion of installedServiceVersions()) {
    it(`serviceVersion ${serviceVersion}`, async () => {
      const vaultName = `sv-${serviceVersion.replace(/\./g, "")}`;
      await createVault(server, management, "rg-versions", vaultName, [adminOid]);
      const client = new SecretClient(server.vaultUrl(vaultName), adminCredential(server), { serviceVersion, retryOptions: { maxRetries: 0 } });
      const nbf = new Date(Math.floor(Date.now() / 1000 - 60) * 1000);
      const exp = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);

      // setSecret, getSecret (latest, by version, any case), updateSecretProperties
      const v1 = await client.setSecret("Multi", "one", { contentType: "text/plain", tags: { n: "1" }, notBefore: nbf, expiresOn: exp });
      assert.equal(v1.properties.notBefore?.getTime(), nbf.getTime());
      assert.equal(v1.properties.expiresOn?.getTime(), exp.getTime());
      assert.equal(v1.properties.createdOn!.getTime() % 1000, 0, "created is in whole seconds");
      const v2 = await client.setSecret("Multi", "two");
      assert.equal((await client.getSecret("multi")).value, "two");
      assert.equal((await client.getSecret("MULTI", { version: v1.properties.version })).value, "one");
      const updated = await client.updateSecretProperties("Multi", v1.properties.version!, { enabled: false, tags: { n: "one" }, contentType: "x" });
      assert.equal(updated.enabled, false);
      assert.deepEqual(updated.tags, { n: "one" });
      await assert.rejects(client.getSecret("Multi", { version: v1.properties.version }), statusOf(403, "Forbidden", "SecretDisabled"));
      await client.updateSecretProperties("Multi", v1.properties.version!, { enabled: true });
      await client.setSecret("other", "o");

      // listPropertiesOfSecrets / listPropertiesOfSecretVersions, by page
      const names: string[] = [];
      for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 1 })) {
        assert.ok(page.length <= 1);
        names.push(...page.map((p) => p.name));
      }
      assert.deepEqual(names.sort(), ["Multi", "other"]);
      const versions: string[] = [];
      for await (const page of client.listPropertiesOfSecretVersions("multi").byPage({ maxPageSize: 1 })) versions.push(...page.map((p) => p.version!));
      assert.deepEqual(versions.sort(), [v1.properties.version, v2.properties.version].sort());

      // backupSecret, then the delete / recover / purge cycle
      const backup = await client.backupSecret("Multi");
      assert.ok(backup instanceof Uint8Array && backup.length > 0);
      const deleted = await (await client.beginDeleteSecret("Multi", poll)).pollUntilDone();
      assert.equal(deleted.name, "Multi");
      assert.ok(deleted.deletedOn instanceof Date && deleted.scheduledPurgeDate instanceof Date);
      assert.equal(deleted.recoveryId, `${server.vaultUrl(vaultName)}/deletedsecrets/Multi`);
      assert.equal((await client.getDeletedSecret("multi")).properties.version, v2.properties.version);
      const deletedNames: string[] = [];
      for await (const page of client.listDeletedSecrets().byPage({ maxPageSize: 1 })) deletedNames.push(...page.map((d) => d.name));
      assert.deepEqual(deletedNames, ["Multi"]);
      const recovered = await (await client.beginRecoverDeletedSecret("Multi", poll)).pollUntilDone();
      assert.equal(recovered.version, v2.properties.version);
      assert.equal((await client.getSecret("Multi")).value, "two");
      await (await client.beginDeleteSecret("Multi", poll)).pollUntilDone();
      await client.purgeDeletedSecret("Multi");
      await assert.rejects(client.getDeletedSecret("Multi"), statusOf(404, "SecretNotFound"));

      // restoreSecretBackup: every version comes back with its id, timestamps and attributes
      const restored = await client.restoreSecretBackup(backup);
      assert.equal(restored.name, "Multi");
      assert.equal(restored.version, v2.properties.version);
      assert.equal(restored.createdOn?.getTime(), v2.properties.createdOn?.getTime());
      const after: Record<string, { tags?: Record<string, string>; contentType?: string; notBefore?: Date }> = {};
      for await (const p of client.listPropertiesOfSecretVersions("Multi")) after[p.version!] = p;
      assert.deepEqual(Object.keys(after).sort(), versions.sort());
      assert.deepEqual(after[v1.properties.version!]?.tags, { n: "one" });
      assert.equal(after[v1.properties.version!]?.contentType, "x");
      assert.equal(after[v1.properties.version!]?.notBefore?.getTime(), nbf.getTime());
      assert.equal((await client.getSecret("Multi", { version: v1.properties.version })).value, "one");
      assert.equal((await client.getSecret("Multi")).value, "two");
      await assert.rejects(client.restoreSecretBackup(backup), statusOf(409, "Conflict"));
    });
  }
});

describe("nextLink paging while the set changes, backup/restore edge cases, purge protection", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let management: string;
  let bearer: string;

  const kv = (method: string, vault: string, pathAndQuery: string, options: ProbeOptions = {}) =>
    probe(method, pathAndQuery.startsWith("https://") ? pathAndQuery : `${server.vaultUrl(vault)}${pathAndQuery}`, { bearer, ...options });
  const set = async (vault: string, name: string, value: string) => assert.equal((await kv("PUT", vault, `/secrets/${name}?api-version=7.6`, { body: { value } })).status, 200);
  const remove = async (vault: string, name: string) => assert.equal((await kv("DELETE", vault, `/secrets/${name}?api-version=7.6`)).status, 200);

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    bearer = await token(server, `https://vault.localhost:${server.port}`);
    const oid = String(claims(management).oid);
    for (const vault of ["paging-kv", "backup-a", "backup-b"]) await createVault(server, management, "rg-edge", vault, [oid]);
    const protectedVault = await arm(server, management, "PUT", `/subscriptions/${server.subscriptionId}/resourcegroups/rg-edge/providers/Microsoft.KeyVault/vaults/protected-kv?api-version=2023-07-01`, {
      location: "westus",
      properties: {
        tenantId: server.tenantId,
        sku: { family: "A", name: "standard" },
        enablePurgeProtection: true,
        softDeleteRetentionInDays: 7,
        accessPolicies: [{ tenantId: server.tenantId, objectId: oid, permissions: { secrets: ["all"] } }],
      },
    });
    assert.equal(protectedVault.status, 201, JSON.stringify(protectedVault.body));
  });
  after(() => server.stop());

  it("secrets: a name that stays is listed exactly once however names come and go between pages", async () => {
    const initial = Array.from({ length: 30 }, (_, i) => `p-${String(i).padStart(2, "0")}`);
    for (const name of initial) await set("paging-kv", name, "x");
    const seen: string[] = [];
    const removed = new Set<string>();
    let next: string | null = `${server.vaultUrl("paging-kv")}/secrets?api-version=7.6&maxresults=4`;
    let round = 0;
    while (next) {
      const page = await kv("GET", "paging-kv", next);
      assert.equal(page.status, 200, page.text);
      assert.ok(page.body.value.length <= 4);
      seen.push(...page.body.value.map((item: { id: string }) => item.id.split("/").pop()!));
      next = page.body.nextLink;
      round++;
      // Between pages: add names before and after the cursor, remove one seen and one not yet seen.
      await set("paging-kv", `a-early-${round}`, "x");
      await set("paging-kv", `z-late-${round}`, "x");
      const unseen = initial.find((n) => !seen.includes(n) && !removed.has(n) && n !== initial[29]);
      if (unseen && round % 2 === 0) {
        await remove("paging-kv", unseen);
        removed.add(unseen);
      }
      if (round === 1) await remove("paging-kv", seen[0]!);
    }
    assert.equal(new Set(seen).size, seen.length, `a name was listed twice: ${seen.join()}`);
    for (const name of initial) {
      if (removed.has(name)) assert.ok(!seen.includes(name), `${name} was removed before its page but listed`);
      else assert.ok(seen.includes(name), `${name} was skipped`);
    }
    assert.ok(seen.some((n) => n.startsWith("z-late-")), "names added after the cursor are reached");
    assert.ok(!seen.some((n) => n.startsWith("a-early-")), "names added behind the cursor are not");
  });

  it("versions: every version is listed exactly once while new versions are added between pages", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await kv("PUT", "paging-kv", "/secrets/versioned?api-version=7.6", { body: { value: `v${i}` } })).body.id.split("/").pop());
    const seen: string[] = [];
    let next: string | null = `${server.vaultUrl("paging-kv")}/secrets/versioned/versions?api-version=7.6&maxresults=2`;
    while (next) {
      const page = await kv("GET", "paging-kv", next);
      seen.push(...page.body.value.map((item: { id: string }) => item.id.split("/").pop()!));
      next = page.body.nextLink;
      if (next) ids.push((await kv("PUT", "paging-kv", "/secrets/versioned?api-version=7.6", { body: { value: "more" } })).body.id.split("/").pop());
    }
    assert.equal(new Set(seen).size, seen.length);
    assert.deepEqual(seen, ids, "every version, in creation order, the late ones included");
  });

  it("backup/restore: into a second vault of the subscription, 409 on an existing name, 400 on a changed blob", async () => {
    const a = secretClient(server, "backup-a");
    const b = secretClient(server, "backup-b");
    const first = await a.setSecret("Portable", "p1", { tags: { gen: "1" } });
    await a.setSecret("Portable", "p2", { contentType: "text/plain" });
    await a.updateSecretProperties("Portable", first.properties.version!, { enabled: false });
    const blob = await a.backupSecret("portable");
    assert.ok(blob);
    const restored = await b.restoreSecretBackup(blob);
    assert.equal(restored.vaultUrl, server.vaultUrl("backup-b"));
    assert.equal(restored.name, "Portable");
    assert.equal(restored.contentType, "text/plain");
    assert.equal((await b.getSecret("Portable")).value, "p2");
    await assert.rejects(b.getSecret("Portable", { version: first.properties.version }), statusOf(403, "Forbidden", "SecretDisabled"));
    const listed = [];
    for await (const p of b.listPropertiesOfSecretVersions("Portable")) listed.push(p);
    assert.deepEqual(listed.find((p) => p.version === first.properties.version)?.tags, { gen: "1" });

    await assert.rejects(a.restoreSecretBackup(blob), statusOf(409, "Conflict"));
    await (await a.beginDeleteSecret("Portable", poll)).pollUntilDone();
    await assert.rejects(a.restoreSecretBackup(blob), statusOf(409, "Conflict", "ObjectIsDeletedButRecoverable"));
    await a.purgeDeletedSecret("Portable");
    assert.equal((await a.restoreSecretBackup(blob)).version, restored.version);

    const restore = (value: unknown) => kv("POST", "backup-a", "/secrets/restore?api-version=7.6", { body: { value } });
    const raw = Buffer.from(blob);
    for (const offset of [raw.length - 1, Math.floor(raw.length / 2), 30]) {
      const tampered = Buffer.from(raw);
      tampered[offset] = tampered[offset]! ^ 0x01;
      assertAzureError(await restore(tampered.toString("base64url")), 400, "BadParameter", "Backup blob contains invalid or corrupt version.");
    }
    assertAzureError(await restore(raw.subarray(0, raw.length - 20).toString("base64url")), 400, "BadParameter", "corrupt");
    assertAzureError(await restore("bm90IGEgYmFja3Vw"), 400, "BadParameter", "corrupt");
    assertAzureError(await restore(42), 400, "BadParameter", "backup blob");
    assertAzureError(await kv("POST", "backup-a", "/secrets/nothing-here/backup?api-version=7.6"), 404, "SecretNotFound", "nothing-here");
  });

  it("purge protection: a deleted secret can't be purged, only recovered; recoveryLevel says so", async () => {
    const client = secretClient(server, "protected-kv");
    const secret = await client.setSecret("kept", "v");
    assert.equal(secret.properties.recoveryLevel, "CustomizedRecoverable");
    assert.equal(secret.properties.recoverableDays, 7);
    await (await client.beginDeleteSecret("kept", poll)).pollUntilDone();
    await assert.rejects(client.purgeDeletedSecret("kept"), statusOf(403, "Forbidden"));
    await (await client.beginRecoverDeletedSecret("kept", poll)).pollUntilDone();
    assert.equal((await client.getSecret("kept")).value, "v");
  });

  it("nbf/exp don't block a read, as in Azure; a disabled version does", async () => {
    const client = secretClient(server, "paging-kv");
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    assert.equal((await client.getSecret((await client.setSecret("expired", "e", { expiresOn: past })).name)).value, "e");
    assert.equal((await client.getSecret((await client.setSecret("early", "n", { notBefore: future })).name)).value, "n");
    await client.setSecret("off", "x", { enabled: false });
    await assert.rejects(client.getSecret("off"), statusOf(403, "Forbidden", "SecretDisabled"));
  });
});
