/** The official @azure/keyvault-secrets SecretClient against a real server: the secrets surface as SDKs see it. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import type { SecretClient } from "@azure/keyvault-secrets";
import { claims, createVault, secretClient, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

describe("SecretClient against kluis", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let client: SecretClient;

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-sdk", "sdk-vault", [String(claims(management).oid)]);
    client = secretClient(server, "sdk-vault");
  });
  after(() => server.stop());

  it("sets and gets a secret, latest and by version", async () => {
    const first = await client.setSecret("AppSecret", "MySecret", { contentType: "text/plain", tags: { env: "test" } });
    assert.equal(first.value, "MySecret");
    assert.match(first.properties.version!, /^[0-9a-f]{32}$/);
    assert.equal(first.properties.vaultUrl, server.vaultUrl("sdk-vault"));
    assert.equal(first.properties.contentType, "text/plain");
    assert.deepEqual(first.properties.tags, { env: "test" });
    assert.equal(first.properties.recoveryLevel, "Recoverable+Purgeable");
    const second = await client.setSecret("AppSecret", "MySecret2");
    assert.equal((await client.getSecret("AppSecret")).value, "MySecret2");
    assert.equal((await client.getSecret("appsecret", { version: first.properties.version })).value, "MySecret");
    assert.notEqual(first.properties.version, second.properties.version);
  });

  it("lists secrets and versions across page boundaries", async () => {
    for (let i = 0; i < 7; i++) await client.setSecret(`paged-${i}`, `value-${i}`);
    const names: string[] = [];
    let pages = 0;
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 3 })) {
      pages++;
      assert.ok(page.length <= 3);
      names.push(...page.map((p) => p.name));
    }
    assert.ok(pages >= 3, `expected several pages, got ${pages}`);
    for (let i = 0; i < 7; i++) assert.ok(names.includes(`paged-${i}`));
    assert.equal(new Set(names).size, names.length, "no secret listed twice");
    for (let i = 0; i < 4; i++) await client.setSecret("versioned", `v${i}`);
    const versions: string[] = [];
    for await (const page of client.listPropertiesOfSecretVersions("versioned").byPage({ maxPageSize: 2 })) versions.push(...page.map((p) => p.version!));
    assert.equal(versions.length, 4);
  });

  it("updates attributes, and a disabled secret can't be read", async () => {
    const secret = await client.setSecret("toggled", "x");
    const updated = await client.updateSecretProperties("toggled", secret.properties.version!, { enabled: false, tags: { a: "b" } });
    assert.equal(updated.enabled, false);
    assert.deepEqual(updated.tags, { a: "b" });
    await assert.rejects(client.getSecret("toggled"), (error: RestError) => {
      assert.equal(error.statusCode, 403);
      assert.equal((error.details as { error: { code: string } }).error.code, "Forbidden");
      return true;
    });
  });

  it("deletes a secret with the poller; the name stays reserved while recoverable", async () => {
    await client.setSecret("doomed", "bye");
    const poller = await client.beginDeleteSecret("doomed");
    const deleted = await poller.pollUntilDone();
    assert.equal(deleted.name, "doomed");
    assert.ok(deleted.recoveryId?.endsWith("/deletedsecrets/doomed"));
    assert.ok(deleted.scheduledPurgeDate instanceof Date);
    await assert.rejects(client.getSecret("doomed"), (error: RestError) => error.statusCode === 404 && (error.details as any).error.code === "SecretNotFound");
    await assert.rejects(client.setSecret("doomed", "again"), (error: RestError) => {
      assert.equal(error.statusCode, 409);
      assert.equal((error.details as any).error.innerError.code, "ObjectIsDeletedButRecoverable");
      return true;
    });
    const recovered = await (await client.beginRecoverDeletedSecret("doomed")).pollUntilDone();
    assert.equal(recovered.name, "doomed");
    assert.equal((await client.getSecret("doomed")).value, "bye");
  });

  it("refuses a missing secret, a bad name and an oversized value with Azure's errors", async () => {
    await assert.rejects(client.getSecret("nope"), (error: RestError) => error.statusCode === 404);
    await assert.rejects(client.setSecret("bad_name", "x"), (error: RestError) => {
      assert.equal(error.statusCode, 400);
      assert.equal((error.details as any).error.code, "BadParameter");
      return true;
    });
    await assert.rejects(client.setSecret("big", "x".repeat(25_601)), (error: RestError) => {
      assert.equal(error.statusCode, 400);
      assert.equal((error.details as any).error.innerError.code, "SecretTooLarge");
      return true;
    });
    await assert.rejects(client.getSecret("big"), (error: RestError) => error.statusCode === 404, "nothing was stored");
    assert.equal((await client.setSecret("just-fits", "y".repeat(25_600))).value!.length, 25_600);
  });
});
