/**
 * Tokens after revocation: Kluis verifies its own tokens, so a token whose principal was removed (a machine's
 * identity, with the machine) or whose credentials were reset is refused at once instead of working until it
 * expires an hour later, as it would at Azure. Other nodes drop their cached verification through the change
 * feed's principal notice, the path the multi-node test already covers for the cached admin flag.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VM_API = "api-version=2024-03-01";
const KV_API = "api-version=2023-07-01";
const VAULT_RESOURCE = "https://vault.azure.net";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates a machine with a system-assigned identity allowed to get secrets of `vault`; returns its IMDS token. */
async function machineToken(server: KluisServer, management: string, group: string, vault: string, machine: string): Promise<{ token: string; vmPath: string }> {
  const vmPath = `/subscriptions/${server.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${machine}`;
  const created = await arm(server, management, "PUT", `${vmPath}?${VM_API}`, { location: "westus", identity: { type: "SystemAssigned" }, properties: {} });
  assert.ok(created.status === 200 || created.status === 201, JSON.stringify(created.body));
  const principalId = created.body.identity.principalId as string;
  const policy = await arm(server, management, "PUT", `/subscriptions/${server.subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/add?${KV_API}`, {
    properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: principalId, permissions: { secrets: ["get"] } }] },
  });
  assert.equal(policy.status, 200, JSON.stringify(policy.body));
  const endpoint = created.body.properties.metadataEndpoint as string;
  const reply = await fetch(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(VAULT_RESOURCE)}`, { headers: { Metadata: "true" } });
  assert.equal(reply.status, 200);
  return { token: ((await reply.json()) as { access_token: string }).access_token, vmPath };
}

/** Polls until the vault refuses `bearer` with 401; returns the delay in ms, or null after `limitMs`. */
async function refusedWithin(server: KluisServer, vault: string, bearer: string, limitMs: number): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started <= limitMs) {
    const reply = await probe("GET", `${server.vaultUrl(vault)}/secrets/s?api-version=7.5`, { bearer });
    if (reply.status === 401) {
      assert.match(reply.body.error.message, /revoked/);
      return performance.now() - started;
    }
    assert.equal(reply.status, 200, reply.text);
    await sleep(20);
  }
  return null;
}

describe("tokens after revocation (one node)", { timeout: 60_000 }, () => {
  let server: KluisServer;
  let management: string;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-revoke", "revoke-kv", [String(claims(management).oid)]);
    await secretClient(server, "revoke-kv").setSecret("s", "v");
  });
  after(() => server.stop());

  it("a deleted machine's identity token is refused at once", async () => {
    const { token: machine, vmPath } = await machineToken(server, management, "rg-revoke", "revoke-kv", "vm-gone");
    assert.equal((await probe("GET", `${server.vaultUrl("revoke-kv")}/secrets/s?api-version=7.5`, { bearer: machine })).status, 200);
    assert.equal((await arm(server, management, "DELETE", `${vmPath}?${VM_API}`)).status, 200);
    const delay = await refusedWithin(server, "revoke-kv", machine, 5000);
    assert.ok(delay !== null && delay < 1000, `refused after ${delay} ms`);
  });

  it("a token issued before the administrator's credential reset is refused after it", async () => {
    const old = await token(server, "https://management.azure.com");
    await sleep(1100); // the reset must fall in a later second than the token's iat
    await server.stop();
    const reset = await startServer({ dataDir: server.dataDir, port: server.port, args: ["--reset-admin-credential"] });
    try {
      const refused = await probe("GET", `${reset.url}/subscriptions?api-version=2022-12-01`, { bearer: old });
      assert.equal(refused.status, 401, refused.text);
      assert.equal(refused.body.error.code, "InvalidAuthenticationToken");
      assert.match(refused.body.error.message, /issued before its principal's credentials were reset/);
      const fresh = await probe("GET", `${reset.url}/subscriptions?api-version=2022-12-01`, { bearer: await token(reset, "https://management.azure.com") });
      assert.equal(fresh.status, 200, fresh.text);
    } finally {
      await reset.stop();
      server = await startServer({ dataDir: server.dataDir, port: server.port });
    }
  });
});
