/** The official ARM SDKs (@azure/arm-resources, @azure/arm-keyvault) against a real server: groups and vaults. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KeyVaultManagementClient, type Vault } from "@azure/arm-keyvault";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SecretClient } from "@azure/keyvault-secrets";
import type { RestError } from "@azure/core-rest-pipeline";
import type { ClientSecretCredential } from "@azure/identity";
import { adminCredential, claims, secretClient, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

describe("ARM SDK clients against kluis", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let credential: ClientSecretCredential;
  let resources: ResourceManagementClient;
  let keyVaults: KeyVaultManagementClient;
  let adminObjectId: string;
  const options = () => ({ endpoint: server.url, credentialScopes: ["https://management.azure.com/.default"], retryOptions: { maxRetries: 0 } });
  const vaultParameters = (objectIds: string[]) => ({
    location: "westeurope",
    tags: { team: "sdk" },
    properties: {
      tenantId: server.tenantId,
      sku: { family: "A" as const, name: "standard" as const },
      accessPolicies: objectIds.map((objectId) => ({ tenantId: server.tenantId, objectId, permissions: { secrets: ["get" as const, "set" as const, "list" as const] } })),
    },
  });

  before(async () => {
    server = await startServer();
    credential = adminCredential(server);
    resources = new ResourceManagementClient(credential, server.subscriptionId, options());
    keyVaults = new KeyVaultManagementClient(credential, server.subscriptionId, options());
    adminObjectId = String(claims(await token(server, "https://management.azure.com")).oid);
  });
  after(() => server.stop());

  it("creates, gets and checks a resource group", async () => {
    const group = await resources.resourceGroups.createOrUpdate("rg-arm", { location: "westeurope", tags: { env: "test" } });
    assert.equal(group.name, "rg-arm");
    assert.equal(group.id, `/subscriptions/${server.subscriptionId}/resourceGroups/rg-arm`);
    assert.equal(group.properties?.provisioningState, "Succeeded");
    assert.deepEqual(group.tags, { env: "test" });
    assert.equal((await resources.resourceGroups.get("rg-arm")).location, "westeurope");
    assert.equal((await resources.resourceGroups.checkExistence("rg-arm")).body, true);
    assert.equal((await resources.resourceGroups.checkExistence("rg-missing")).body, false);
    const names: string[] = [];
    for await (const g of resources.resourceGroups.list()) names.push(g.name!);
    assert.ok(names.includes("rg-arm"), names.join());
  });

  it("creates a vault with the LRO poller, gets it, and its vaultUri works with SecretClient", async () => {
    await resources.resourceGroups.createOrUpdate("rg-vaults", { location: "westeurope" });
    const created = await keyVaults.vaults.beginCreateOrUpdateAndWait("rg-vaults", "arm-vault", vaultParameters([adminObjectId]));
    assert.equal(created.name, "arm-vault");
    assert.equal(created.type, "Microsoft.KeyVault/vaults");
    assert.equal(created.id, `/subscriptions/${server.subscriptionId}/resourceGroups/rg-vaults/providers/Microsoft.KeyVault/vaults/arm-vault`);
    assert.equal(created.properties.provisioningState, "Succeeded");
    assert.equal(created.properties.tenantId, server.tenantId);
    assert.equal(created.properties.vaultUri, `${server.vaultUrl("arm-vault")}/`);
    assert.deepEqual(created.tags, { team: "sdk" });

    const fetched = await keyVaults.vaults.get("rg-vaults", "arm-vault");
    assert.equal(fetched.properties.vaultUri, created.properties.vaultUri);
    assert.equal(fetched.properties.sku.name, "standard");
    assert.deepEqual(fetched.properties.accessPolicies?.map((p) => p.objectId), [adminObjectId]);

    const client = secretClient(server, "arm-vault");
    const viaUri = new SecretClient(created.properties.vaultUri!, credential, { retryOptions: { maxRetries: 0 } });
    await client.setSecret("from-arm", "hello");
    assert.equal((await viaUri.getSecret("from-arm")).value, "hello");
  });

  it("lists vaults by subscription (generic resources filter) and by resource group", async () => {
    await resources.resourceGroups.createOrUpdate("rg-list", { location: "westeurope" });
    await keyVaults.vaults.beginCreateOrUpdateAndWait("rg-list", "list-one", vaultParameters([]));
    await keyVaults.vaults.beginCreateOrUpdateAndWait("rg-list", "list-two", vaultParameters([]));
    const all: Vault[] = [];
    for await (const v of keyVaults.vaults.listBySubscription()) all.push(v);
    const listed: string[] = [];
    for await (const v of keyVaults.vaults.list()) listed.push(v.name!);
    for (const name of ["list-one", "list-two"]) {
      assert.ok(listed.includes(name), `vaults.list: ${listed.join()}`);
      assert.ok(all.some((v) => v.name === name), `listBySubscription: ${all.map((v) => v.name).join()}`);
    }
    const inGroup: Vault[] = [];
    for await (const v of keyVaults.vaults.listByResourceGroup("rg-list")) inGroup.push(v);
    assert.deepEqual(inGroup.map((v) => v.name).sort(), ["list-one", "list-two"]);
    assert.ok(inGroup.every((v) => v.properties.vaultUri?.startsWith("https://list-")));
  });

  it("adds, replaces and removes access policies with updateAccessPolicy", async () => {
    await resources.resourceGroups.createOrUpdate("rg-policy", { location: "westeurope" });
    await keyVaults.vaults.beginCreateOrUpdateAndWait("rg-policy", "policy-vault", vaultParameters([]));
    const client = secretClient(server, "policy-vault");
    await assert.rejects(client.setSecret("x", "y"), (error: RestError) => error.statusCode === 403);

    const policy = (secrets: ("get" | "set" | "list")[]) => ({ properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: adminObjectId, permissions: { secrets } }] } });
    const added = await keyVaults.vaults.updateAccessPolicy("rg-policy", "policy-vault", "add", policy(["get", "set"]));
    assert.equal(added.name, "add");
    assert.deepEqual(added.properties.accessPolicies.map((p) => p.objectId), [adminObjectId]);
    await client.setSecret("x", "y");
    assert.equal((await client.getSecret("x")).value, "y");

    await keyVaults.vaults.updateAccessPolicy("rg-policy", "policy-vault", "replace", policy(["set"]));
    await assert.rejects(client.getSecret("x"), (error: RestError) => error.statusCode === 403, "get was replaced away");
    const vault = await keyVaults.vaults.get("rg-policy", "policy-vault");
    assert.deepEqual(vault.properties.accessPolicies?.[0]?.permissions.secrets, ["set"]);

    await keyVaults.vaults.updateAccessPolicy("rg-policy", "policy-vault", "remove", policy(["set"]));
    assert.deepEqual((await keyVaults.vaults.get("rg-policy", "policy-vault")).properties.accessPolicies, []);
    await assert.rejects(client.setSecret("x", "z"), (error: RestError) => error.statusCode === 403);
  });

  it("checks name availability, patches tags, and reports a missing vault as ResourceNotFound", async () => {
    await resources.resourceGroups.createOrUpdate("rg-misc", { location: "westeurope" });
    assert.equal((await keyVaults.vaults.checkNameAvailability({ name: "misc-vault", type: "Microsoft.KeyVault/vaults" })).nameAvailable, true);
    await keyVaults.vaults.beginCreateOrUpdateAndWait("rg-misc", "misc-vault", vaultParameters([adminObjectId]));
    const taken = await keyVaults.vaults.checkNameAvailability({ name: "misc-vault", type: "Microsoft.KeyVault/vaults" });
    assert.equal(taken.nameAvailable, false);
    assert.equal(taken.reason, "AlreadyExists");
    const patched = await keyVaults.vaults.update("rg-misc", "misc-vault", { tags: { team: "patched" } });
    assert.deepEqual(patched.tags, { team: "patched" });
    assert.deepEqual((await keyVaults.vaults.get("rg-misc", "misc-vault")).properties.accessPolicies?.map((p) => p.objectId), [adminObjectId], "a tags-only patch keeps the policies");
    await assert.rejects(keyVaults.vaults.get("rg-misc", "no-such-vault"), (error: RestError) => {
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, "ResourceNotFound");
      return true;
    });
  });

  it("deletes a vault: gone from get and lists; its secrets are no longer served", async () => {
    await resources.resourceGroups.createOrUpdate("rg-delete", { location: "westeurope" });
    await keyVaults.vaults.beginCreateOrUpdateAndWait("rg-delete", "doomed-vault", vaultParameters([adminObjectId]));
    const client = secretClient(server, "doomed-vault");
    await client.setSecret("s", "v");
    await keyVaults.vaults.delete("rg-delete", "doomed-vault");
    await assert.rejects(keyVaults.vaults.get("rg-delete", "doomed-vault"), (error: RestError) => error.statusCode === 404);
    const left: string[] = [];
    for await (const v of keyVaults.vaults.listByResourceGroup("rg-delete")) left.push(v.name!);
    assert.deepEqual(left, []);
    await assert.rejects(client.getSecret("s"), (error: RestError) => error.statusCode === 404);
  });

  it("deletes a resource group with the LRO poller", async () => {
    await resources.resourceGroups.createOrUpdate("rg-gone", { location: "westeurope" });
    await resources.resourceGroups.beginDeleteAndWait("rg-gone");
    assert.equal((await resources.resourceGroups.checkExistence("rg-gone")).body, false);
    await assert.rejects(resources.resourceGroups.get("rg-gone"), (error: RestError) => error.statusCode === 404);
  });
});
