/**
 * ARM differences found with real clients, each through the client that found it: cloud metadata per api-version
 * (az's `cloud register` reads 2015-01-01), managed HSM listings (az `keyvault list` / `list-deleted`), resource
 * group PATCH and generic resource listings (@azure/arm-resources), and the vaults/secrets sub-resource
 * (@azure/arm-keyvault, what ARM templates and Bicep use), which never returns a value.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import { ResourceManagementClient } from "@azure/arm-resources";
import type { RestError } from "@azure/core-rest-pipeline";
import { adminCredential, arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { assertAzureError, createPrincipal, probe, tokenFor } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

describe("ARM, as real clients use it", () => {
  let server: KluisServer;
  let management: string;
  let resources: ResourceManagementClient;
  let keyVaults: KeyVaultManagementClient;
  const options = () => ({ endpoint: server.url, credentialScopes: ["https://management.azure.com/.default"], retryOptions: { maxRetries: 0 } });

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    resources = new ResourceManagementClient(adminCredential(server), server.subscriptionId, options());
    keyVaults = new KeyVaultManagementClient(adminCredential(server), server.subscriptionId, options());
    await createVault(server, management, "rg-compat", "compat-kv", [String(claims(management).oid)]);
  }, { timeout: 30_000 });
  after(() => server.stop());

  it("/metadata/endpoints answers each api-version with Azure's shape for it", { timeout: 10_000 }, async () => {
    const get = async (query: string) => {
      const reply = await fetch(`${server.url}/metadata/endpoints${query}`);
      return { status: reply.status, body: (await reply.json()) as any };
    };
    // What az's `cloud register --endpoint-resource-manager` reads: one legacy object.
    const legacy = await get("?api-version=2015-01-01");
    assert.equal(legacy.status, 200);
    assert.equal(Array.isArray(legacy.body), false);
    assert.deepEqual(Object.keys(legacy.body).sort(), ["authentication", "galleryEndpoint", "graphEndpoint", "portalEndpoint"]);
    assert.equal(legacy.body.authentication.loginEndpoint, `${server.url}/`);
    assert.equal(legacy.body.authentication.audiences[0], "https://management.core.windows.net/");
    // az's cloud auto-detection (2019-05-01): an array of clouds.
    const clouds = await get("?api-version=2019-05-01");
    assert.ok(Array.isArray(clouds.body) && clouds.body.length === 1);
    assert.equal(clouds.body[0].suffixes.keyVaultDns, `vault.localhost:${server.port}`);
    // Today's az (2022-09-01) and anything newer: the one cloud, as an object.
    for (const version of ["2022-09-01", "2030-01-01"]) {
      const cloud = await get(`?api-version=${version}`);
      assert.equal(Array.isArray(cloud.body), false, version);
      assert.equal(cloud.body.name, "Kluis");
      assert.equal(cloud.body.resourceManager, `${server.url}/`);
    }
    assert.ok(Array.isArray((await get("")).body), "no version: the array Kluis always answered");
    const old = await get("?api-version=2014-01-01");
    assert.equal(old.status, 400);
    assert.equal(old.body.error.code, "InvalidApiVersionParameter");
    assert.equal(old.body.error.message, "The api-version '2014-01-01' is invalid. The supported versions are '2022-09-01,2019-05-01,2015-01-01'.");
  });

  it("managed HSM listings answer an empty list, as for a subscription without HSMs", { timeout: 10_000 }, async () => {
    const all = async <T>(pages: AsyncIterable<T>) => {
      const items: T[] = [];
      for await (const item of pages) items.push(item);
      return items;
    };
    assert.deepEqual(await all(keyVaults.managedHsms.listBySubscription()), []);
    assert.deepEqual(await all(keyVaults.managedHsms.listByResourceGroup("rg-compat")), []);
    assert.deepEqual(await all(keyVaults.managedHsms.listDeleted()), []);
    await assert.rejects(all(keyVaults.managedHsms.listByResourceGroup("rg-missing")), (error: RestError) => error.statusCode === 404);
  });

  it("resourceGroups.update patches tags and managedBy, and keeps the location", { timeout: 10_000 }, async () => {
    await resources.resourceGroups.createOrUpdate("rg-patch", { location: "westus", tags: { a: "1" } });
    const patched = await resources.resourceGroups.update("rg-patch", { tags: { b: "2" } });
    assert.deepEqual(patched.tags, { b: "2" });
    assert.equal(patched.location, "westus");
    const managed = await resources.resourceGroups.update("rg-patch", { managedBy: `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat` });
    assert.equal(managed.managedBy, `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat`);
    assert.deepEqual(managed.tags, { b: "2" }, "tags not named stay");
    assert.equal((await resources.resourceGroups.get("rg-patch")).managedBy, managed.managedBy);
    await assert.rejects(resources.resourceGroups.update("rg-nowhere", { tags: {} }), (error: RestError) => error.statusCode === 404 && error.code === "ResourceGroupNotFound");
    const bad = await probe("PATCH", `${server.url}/subscriptions/${server.subscriptionId}/resourcegroups/rg-patch?api-version=2022-09-01`, { bearer: management, body: { tags: { n: 1 } } });
    assertAzureError(bad, 400, "InvalidRequestContent", "'tags.n' must be of type string");
    assert.deepEqual((await resources.resourceGroups.get("rg-patch")).tags, { b: "2" }, "a refused patch changes nothing");
  });

  it("resources.list and listByResourceGroup include machines and vaults", { timeout: 20_000 }, async () => {
    const vm = await arm(server, management, "PUT", `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat/providers/Microsoft.Compute/virtualMachines/compat-vm?api-version=2024-03-01`, {
      location: "westus",
      tags: { role: "web" },
    });
    assert.equal(vm.status, 201, JSON.stringify(vm.body));
    const listed: { id?: string; type?: string; tags?: Record<string, string> }[] = [];
    for await (const r of resources.resources.list()) listed.push(r);
    const types = listed.map((r) => r.type);
    assert.ok(types.includes("Microsoft.Compute/virtualMachines") && types.includes("Microsoft.KeyVault/vaults"), types.join());
    const inGroup: string[] = [];
    for await (const r of resources.resources.listByResourceGroup("rg-compat")) inGroup.push(r.id!);
    assert.deepEqual(inGroup.sort(), [
      `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat/providers/Microsoft.Compute/virtualMachines/compat-vm`,
      `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat/providers/Microsoft.KeyVault/vaults/compat-kv`,
    ]);
    const machines: string[] = [];
    for await (const r of resources.resources.list({ filter: "resourceType eq 'Microsoft.Compute/virtualMachines'" })) machines.push(r.name!);
    assert.deepEqual(machines, ["compat-vm"]);
    const vaults: string[] = [];
    for await (const v of keyVaults.vaults.list()) vaults.push(v.name!);
    assert.deepEqual(vaults, ["compat-kv"]);
  });

  it("vaults/secrets: createOrUpdate, get, list and update through @azure/arm-keyvault, never returning the value", { timeout: 20_000 }, async () => {
    const vaultUri = `${server.vaultUrl("compat-kv")}/`;
    const created = await keyVaults.secrets.createOrUpdate("rg-compat", "compat-kv", "seeded", { properties: { value: "from-template", contentType: "text/plain" }, tags: { src: "bicep" } });
    assert.equal(created.id, `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat/providers/Microsoft.KeyVault/vaults/compat-kv/secrets/seeded`);
    assert.equal(created.type, "Microsoft.KeyVault/vaults/secrets");
    assert.equal(created.properties.value, undefined);
    assert.equal(created.properties.secretUri, `${vaultUri}secrets/seeded`);
    assert.match(created.properties.secretUriWithVersion!, new RegExp(`^${vaultUri}secrets/seeded/[0-9a-f]{32}$`));
    assert.equal(created.properties.contentType, "text/plain");
    assert.equal(created.properties.attributes?.enabled, true);
    assert.deepEqual(created.tags, { src: "bicep" });
    // The same secret on the data plane, with its value.
    const data = secretClient(server, "compat-kv");
    assert.equal((await data.getSecret("seeded")).value, "from-template");

    const fetched = await keyVaults.secrets.get("rg-compat", "compat-kv", "seeded");
    assert.equal(fetched.properties.secretUriWithVersion, created.properties.secretUriWithVersion);
    assert.equal(fetched.properties.value, undefined);
    const raw = await arm(server, management, "GET", `${created.id}?api-version=2023-07-01`);
    assert.equal(JSON.stringify(raw.body).includes("from-template"), false, "the value never leaves ARM");

    const redeployed = await keyVaults.secrets.createOrUpdate("rg-compat", "compat-kv", "seeded", { properties: { value: "second" } });
    assert.notEqual(redeployed.properties.secretUriWithVersion, created.properties.secretUriWithVersion, "a PUT writes a new version");
    assert.equal((await data.getSecret("seeded")).value, "second");

    const disabled = await keyVaults.secrets.update("rg-compat", "compat-kv", "seeded", { properties: { attributes: { enabled: false } }, tags: { src: "patched" } });
    assert.equal(disabled.properties.attributes?.enabled, false);
    assert.deepEqual(disabled.tags, { src: "patched" });
    assert.equal(disabled.properties.secretUriWithVersion, redeployed.properties.secretUriWithVersion, "a patch without a value changes the latest version");
    const revalued = await keyVaults.secrets.update("rg-compat", "compat-kv", "seeded", { properties: { value: "third", attributes: { enabled: true } } });
    assert.notEqual(revalued.properties.secretUriWithVersion, redeployed.properties.secretUriWithVersion);
    assert.deepEqual(revalued.tags, { src: "patched" }, "a new value keeps the tags");
    assert.equal((await data.getSecret("seeded")).value, "third");

    await keyVaults.secrets.createOrUpdate("rg-compat", "compat-kv", "other", { properties: { value: "x" } });
    const names: string[] = [];
    for await (const s of keyVaults.secrets.list("rg-compat", "compat-kv", { top: 1 })) {
      assert.equal(s.properties.value, undefined);
      names.push(s.name!);
    }
    assert.deepEqual(names.sort(), ["other", "seeded"]);
    await assert.rejects(keyVaults.secrets.get("rg-compat", "compat-kv", "absent"), (error: RestError) => error.statusCode === 404 && error.code === "SecretNotFound");
    // Bad bodies are refused with a 400 and create nothing.
    const path = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat/providers/Microsoft.KeyVault/vaults/compat-kv/secrets/refused?api-version=2023-07-01`;
    for (const body of [{}, { properties: "x" }, { properties: { value: 7 } }, { properties: { value: "v", attributes: { enabled: "yes" } } }]) {
      const reply = await probe("PUT", `${server.url}${path}`, { bearer: management, body });
      assert.equal(reply.status, 400, `${JSON.stringify(body)}: ${reply.text}`);
    }
    assert.equal((await probe("GET", `${server.url}${path}`, { bearer: management })).status, 404);
    await assert.rejects(keyVaults.secrets.get("rg-compat", "no-such-kv", "seeded"), (error: RestError) => error.statusCode === 404);
  });

  it("vaults/secrets is authorized as ARM: management actions, not the vault's access policies", { timeout: 20_000 }, async () => {
    const graph = await token(server, "https://graph.microsoft.com");
    const reader = await createPrincipal(server, graph, "secrets-reader");
    const vaultId = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-compat/providers/Microsoft.KeyVault/vaults/compat-kv`;
    const secret = `${vaultId}/secrets/seeded?api-version=2023-07-01`;
    const readerArm = await tokenFor(server, "https://management.azure.com", reader);
    assertAzureError(await probe("GET", `${server.url}${secret}`, { bearer: readerArm }), 403, "AuthorizationFailed", "Microsoft.KeyVault/vaults/secrets/read");
    const assignment = await arm(server, management, "PUT", `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `/subscriptions/${server.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: reader.objectId },
    });
    assert.equal(assignment.status, 201, JSON.stringify(assignment.body));
    const read = await probe("GET", `${server.url}${secret}`, { bearer: readerArm });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.properties.value, undefined);
    const write = await probe("PUT", `${server.url}${secret}`, { bearer: readerArm, body: { properties: { value: "intruder" } } });
    assertAzureError(write, 403, "AuthorizationFailed", "Microsoft.KeyVault/vaults/secrets/write");
    assert.equal((await secretClient(server, "compat-kv").getSecret("seeded")).value, "third", "nothing changed");
  });
});
