/** Debian's Python azure.keyvault.keys (KeyClient, api-version 7.4-preview.1) against Kluis: create, get, list, delete, purge. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { claims, createKeyVault, token } from "../harness/clients.js";
import { REPO, startServer, type KluisServer } from "../harness/server.js";

const run = promisify(execFile);

describe("keys with Debian's Python KeyClient", { timeout: 120_000 }, () => {
  let server: KluisServer;

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    await createKeyVault(server, management, "rg-py-keys", "py-keys-kv", String(claims(management).oid));
  });
  after(() => server.stop());

  it("creates RSA and EC keys, reads and lists them, gets oct refused, deletes and purges", { timeout: 90_000 }, async () => {
    const args = [path.join(REPO, "test/fixtures/keys_basics.py"), server.url, server.tenantId, server.admin.appId, server.vaultUrl("py-keys-kv")];
    const { stdout, stderr } = await run("/usr/bin/python3", args, { env: { ...process.env, SP_SECRET: server.admin.password }, timeout: 80_000 });
    const seen = JSON.parse(stdout.trim().split("\n").pop() ?? "null");
    assert.equal(seen?.ok, true, `${stdout}\n${stderr}`);
    assert.deepEqual(seen.rsa, { kty: "RSA", n_bytes: 384, ops: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"], tags: { lang: "python" } });
    assert.match(seen.get.id, new RegExp(`^${server.vaultUrl("py-keys-kv")}/keys/py-rsa/[0-9a-f]{32}$`));
    assert.equal(seen.get.version, true);
    assert.equal(seen.get.d, null, "a get returns no private part");
    assert.deepEqual(seen.ec, { crv: "P-384", x_bytes: 48, ops: ["sign", "verify"] });
    assert.deepEqual(seen.names, ["py-ec", "py-rsa"]);
    assert.deepEqual(seen.oct, [400, "BadParameter"]);
    assert.deepEqual(seen.deleted, { recovery_id: `${server.vaultUrl("py-keys-kv")}/deletedkeys/py-ec`, version: true, listed: ["py-ec"] });
  });
});
