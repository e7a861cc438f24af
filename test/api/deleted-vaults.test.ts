/**
 * Soft-deleted vaults through the management plane (raw ARM, @azure/arm-keyvault) and the CLI: list, get, recover
 * with the secrets, purge, and purge protection refusing a purge.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import { adminCredential, arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { assertAzureError, probe } from "../harness/probes.js";
import { kluis, kluisOk, startServer, tempDir, type KluisServer } from "../harness/server.js";

const API = "api-version=2023-07-01";

describe("deleted vaults", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let management: string;
  let oid: string;
  let sdk: KeyVaultManagementClient;
  const sub = () => `/subscriptions/${server.subscriptionId}`;
  const vaultPath = (name: string, group = "rg-dv") => `${sub()}/resourcegroups/${group}/providers/Microsoft.KeyVault/vaults/${name}?${API}`;
  const deletedPath = (name: string, location = "westus") => `${sub()}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    oid = String(claims(management).oid);
    sdk = new KeyVaultManagementClient(adminCredential(server), server.subscriptionId, {
      endpoint: server.url,
      credentialScopes: ["https://management.azure.com/.default"],
      retryOptions: { maxRetries: 0 },
    });
  });
  after(() => server.stop());

  it("lists and gets a deleted vault in ARM's shape; its name stays taken; recover brings it back with its secrets", async () => {
    await createVault(server, management, "rg-dv", "dv-arm", [oid]);
    await secretClient(server, "dv-arm").setSecret("inside", "still here");
    const before = (await arm(server, management, "GET", vaultPath("dv-arm"))).body;
    assert.equal((await arm(server, management, "DELETE", vaultPath("dv-arm"))).status, 200);

    const listed = await arm(server, management, "GET", `${sub()}/providers/Microsoft.KeyVault/deletedVaults?${API}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.value.length, 1);
    const entry = listed.body.value[0];
    assert.equal(entry.id, deletedPath("dv-arm"));
    assert.equal(entry.name, "dv-arm");
    assert.equal(entry.type, "Microsoft.KeyVault/deletedVaults");
    assert.equal(entry.properties.vaultId, `${sub()}/resourceGroups/rg-dv/providers/Microsoft.KeyVault/vaults/dv-arm`);
    assert.equal(entry.properties.location, "westus");
    assert.equal(entry.properties.purgeProtectionEnabled, false);
    assert.deepEqual(entry.properties.tags, {});
    const deletion = Date.parse(entry.properties.deletionDate);
    assert.ok(Math.abs(Date.now() - deletion) < 60_000, entry.properties.deletionDate);
    assert.equal(Date.parse(entry.properties.scheduledPurgeDate) - deletion, 90 * 86_400_000);
    assert.match(entry.properties.deletionDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual((await arm(server, management, "GET", `${deletedPath("dv-arm")}?${API}`)).body, entry);
    assertAzureError(await probe("GET", `${server.url}${deletedPath("dv-arm", "eastus")}?${API}`, { bearer: management }), 404, "ResourceNotFound", "deletedVaults/dv-arm");
    assertAzureError(await probe("GET", `${server.url}${deletedPath("nope")}?${API}`, { bearer: management }), 404, "ResourceNotFound", "nope");

    const sdkListed = [];
    for await (const v of sdk.vaults.listDeleted()) sdkListed.push(v);
    assert.deepEqual(sdkListed.map((v) => [v.name, v.properties?.vaultId]), [["dv-arm", entry.properties.vaultId]]);
    assert.equal((await sdk.vaults.getDeleted("dv-arm", "westus")).properties?.scheduledPurgeDate?.toISOString(), new Date(entry.properties.scheduledPurgeDate).toISOString());

    const vaultBearer = await token(server, `https://vault.localhost:${server.port}`);
    assertAzureError(await probe("GET", `${server.vaultUrl("dv-arm")}/secrets/inside?api-version=7.6`, { bearer: vaultBearer }), 404, "VaultNotFound", "dv-arm");
    const retaken = await probe("PUT", `${server.url}${vaultPath("DV-ARM")}`, { bearer: management, body: { location: "westus", properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" } } } });
    assertAzureError(retaken, 409, "ConflictError", "A vault with the same name already exists in deleted state");
    const check = await arm(server, management, "POST", `${sub()}/providers/Microsoft.KeyVault/checkNameAvailability?${API}`, { name: "dv-arm", type: "Microsoft.KeyVault/vaults" });
    assert.equal(check.body.nameAvailable, false);
    await arm(server, management, "PUT", `${sub()}/resourcegroups/rg-other?api-version=2022-09-01`, { location: "westus" });
    const elsewhere = await probe("PUT", `${server.url}${vaultPath("dv-arm", "rg-other")}`, {
      bearer: management,
      body: { location: "westus", properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, createMode: "recover" } },
    });
    assertAzureError(elsewhere, 400, "BadRequest", "belongs to resource group 'rg-dv'");

    const recovered = await sdk.vaults.beginCreateOrUpdateAndWait("rg-dv", "dv-arm", {
      location: "westus",
      properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, createMode: "recover" },
    });
    assert.equal(recovered.id, before.id);
    assert.deepEqual(recovered.properties.accessPolicies?.map((p) => p.objectId), [oid]);
    assert.equal((await secretClient(server, "dv-arm").getSecret("inside")).value, "still here");
    assert.deepEqual((await arm(server, management, "GET", `${sub()}/providers/Microsoft.KeyVault/deletedVaults?${API}`)).body.value, []);
    assertAzureError(await probe("POST", `${server.url}${deletedPath("dv-arm")}/purge?${API}`, { bearer: management }), 404, "ResourceNotFound", "dv-arm");
  });

  it("purges a deleted vault with everything in it; the name is free again", async () => {
    await arm(server, management, "DELETE", vaultPath("dv-arm"));
    await sdk.vaults.beginPurgeDeletedAndWait("dv-arm", "westus");
    assertAzureError(await probe("GET", `${server.url}${deletedPath("dv-arm")}?${API}`, { bearer: management }), 404, "ResourceNotFound", "dv-arm");
    await createVault(server, management, "rg-dv", "dv-arm", [oid]);
    const names = [];
    for await (const p of secretClient(server, "dv-arm").listPropertiesOfSecrets()) names.push(p.name);
    assert.deepEqual(names, [], "the new vault of that name has none of the purged vault's secrets");
    await assert.rejects(secretClient(server, "dv-arm").getDeletedSecret("inside"));
  });

  it("refuses to purge a purge-protected deleted vault before its purge date, and still recovers it", async () => {
    const created = await arm(server, management, "PUT", vaultPath("dv-protected"), {
      location: "westus",
      tags: { keep: "yes" },
      properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, enablePurgeProtection: true, softDeleteRetentionInDays: 7, accessPolicies: [] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await arm(server, management, "DELETE", vaultPath("dv-protected"));
    const shown = (await arm(server, management, "GET", `${deletedPath("dv-protected")}?${API}`)).body;
    assert.equal(shown.properties.purgeProtectionEnabled, true);
    assert.deepEqual(shown.properties.tags, { keep: "yes" });
    assert.equal(Date.parse(shown.properties.scheduledPurgeDate) - Date.parse(shown.properties.deletionDate), 7 * 86_400_000);
    const refused = await probe("POST", `${server.url}${deletedPath("dv-protected")}/purge?${API}`, { bearer: management });
    assertAzureError(refused, 409, "InvalidOperation", "Operation 'DeletedVaultPurge' is not allowed");
    const recovered = await arm(server, management, "PUT", vaultPath("dv-protected"), {
      location: "westus",
      properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, createMode: "recover" },
    });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.equal(recovered.body.properties.enablePurgeProtection, true);
    assert.deepEqual(recovered.body.tags, { keep: "yes" });
  });

  it("kluis keyvault list-deleted | recover | purge, as az does them", () => {
    const home = tempDir("home");
    const cli = (...args: string[]) => kluisOk(server, home, args);
    cli("login");
    cli("group", "create", "--name", "rg-cli", "--location", "westeurope");
    cli("keyvault", "create", "--name", "dv-cli", "--resource-group", "rg-cli");
    cli("keyvault", "secret", "set", "--vault-name", "dv-cli", "--name", "kept", "--value", "v1");
    // The secret's own backup and restore round-trip through a file, as with az.
    const file = path.join(home, "kept.backup");
    cli("keyvault", "secret", "backup", "--vault-name", "dv-cli", "--name", "kept", "--file", file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    cli("keyvault", "secret", "delete", "--vault-name", "dv-cli", "--name", "kept");
    cli("keyvault", "secret", "purge", "--vault-name", "dv-cli", "--name", "kept");
    assert.equal(cli("keyvault", "secret", "restore", "--vault-name", "dv-cli", "--file", file).json<any>().name, "kept");
    cli("keyvault", "delete", "--name", "dv-cli");
    const listed = cli("keyvault", "list-deleted").json<any[]>();
    const mine = listed.find((v) => v.name === "dv-cli");
    assert.equal(mine?.properties.location, "westeurope");
    assert.equal(mine?.id, deletedPath("dv-cli", "westeurope"));
    assert.notEqual(kluis(server, home, ["keyvault", "secret", "show", "--vault-name", "dv-cli", "--name", "kept"]).status, 0);

    const recovered = cli("keyvault", "recover", "--name", "dv-cli").json<any>();
    assert.equal(recovered.name, "dv-cli");
    assert.equal(recovered.properties.vaultUri, `https://dv-cli.vault.localhost:${server.port}/`);
    assert.equal(cli("keyvault", "secret", "show", "--vault-name", "dv-cli", "--name", "kept").json<any>().value, "v1");

    cli("keyvault", "delete", "--name", "dv-cli");
    assert.equal(cli("keyvault", "purge", "--name", "dv-cli").stdout, "");
    assert.ok(!cli("keyvault", "list-deleted").json<any[]>().some((v) => v.name === "dv-cli"));
    const missing = kluis(server, home, ["keyvault", "recover", "--name", "dv-cli"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /No deleted Vault or HSM was found with name 'dv-cli'/);
    const wrongPlace = kluis(server, home, ["keyvault", "purge", "--name", "dv-cli", "--location", "westeurope"]);
    assert.equal(wrongPlace.status, 1);
    assert.match(wrongPlace.stderr, /ResourceNotFound/);
  });
});
