/**
 * Forward-compatible api-versions, through REST and the official SDKs: today's newest and tomorrow's versions work,
 * each version gets the shapes it defines (7.0 has no recoverableDays, 7.1 has), and malformed or too-old versions
 * get Azure's errors at the vault and at ARM.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import { ResourceManagementClient } from "@azure/arm-resources";
import type { PipelinePolicy, RestError } from "@azure/core-rest-pipeline";
import { SecretClient } from "@azure/keyvault-secrets";
import { adminCredential, claims, createVault, token } from "../harness/clients.js";
import { assertAzureError, probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VAULT = "versions-kv";

/** A policy that makes the SDK speak a version it does not know yet, as a newer SDK release would. */
function speaking(apiVersion: string): PipelinePolicy {
  return {
    name: `speak-${apiVersion}`,
    sendRequest(request, next) {
      const url = new URL(request.url);
      url.searchParams.set("api-version", apiVersion);
      request.url = url.toString();
      return next(request);
    },
  };
}

describe("api-versions, forward-compatible", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let management: string;
  let vaultToken: string;
  let secretId: string;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    vaultToken = await token(server, "https://vault.azure.net");
    await createVault(server, management, "rg-versions", VAULT, [String(claims(management).oid)]);
    const set = await probe("PUT", `${server.vaultUrl(VAULT)}/secrets/shaped?api-version=7.6`, { bearer: vaultToken, body: { value: "v" } });
    assert.equal(set.status, 200, set.text);
    secretId = set.body.id;
  }, { timeout: 30_000 });
  after(() => server.stop());

  const read = (apiVersion: string, path = "/secrets/shaped") => probe("GET", `${server.vaultUrl(VAULT)}${path}?api-version=${apiVersion}`, { bearer: vaultToken });

  it("gives each version the secret shape it defines: recoverableDays from 7.1, recoveryLevel from 2016-10-01", { timeout: 20_000 }, async () => {
    const at = async (version: string) => {
      const reply = await read(version);
      assert.equal(reply.status, 200, `${version}: ${reply.text}`);
      assert.equal(reply.body.id, secretId);
      assert.equal(reply.body.value, "v");
      return reply.body.attributes as Record<string, unknown>;
    };
    assert.equal((await at("7.0")).recoverableDays, undefined);
    assert.equal((await at("7.0")).recoveryLevel, "Recoverable+Purgeable");
    assert.equal((await at("7.1")).recoverableDays, 90);
    assert.equal((await at("2016-10-01")).recoverableDays, undefined);
    assert.equal((await at("2016-10-01")).recoveryLevel, "Recoverable+Purgeable");
    assert.deepEqual(Object.keys(await at("2015-06-01")).sort(), ["created", "enabled", "updated"]);
    for (const newer of ["2025-07-01", "2026-04-01", "2027-01-01-preview", "7.7"]) assert.equal((await at(newer)).recoverableDays, 90, newer);
    const listed = await read("7.0", "/secrets");
    assert.equal(listed.status, 200);
    assert.equal(listed.body.value[0].attributes.recoverableDays, undefined);
    assert.equal(listed.body.value[0].attributes.recoveryLevel, "Recoverable+Purgeable");
  });

  it("keeps the request's own version in nextLink", { timeout: 20_000 }, async () => {
    await probe("PUT", `${server.vaultUrl(VAULT)}/secrets/second?api-version=7.6`, { bearer: vaultToken, body: { value: "w" } });
    const page = await probe("GET", `${server.vaultUrl(VAULT)}/secrets?api-version=2026-04-01&maxresults=1`, { bearer: vaultToken });
    assert.equal(page.status, 200, page.text);
    assert.match(page.body.nextLink, /[?&]api-version=2026-04-01&/);
  });

  it("refuses malformed and pre-2016 versions, naming the newest version Kluis knows", { timeout: 20_000 }, async () => {
    for (const bad of ["2015-07-01", "8.0", "2025-13-01", "next"]) {
      assertAzureError(await read(bad), 400, "BadParameter", `The specified version (${bad}) is not recognized. Consider using the latest supported version (2025-07-01).`);
    }
  });

  it("SecretClient works with its default version and with versions newer than any it knows", { timeout: 30_000 }, async () => {
    const credential = adminCredential(server);
    const plain = new SecretClient(server.vaultUrl(VAULT), credential, { retryOptions: { maxRetries: 0 } });
    assert.equal((await plain.getSecret("shaped")).properties.recoverableDays, 90);
    for (const version of ["2030-01-01", "7.9"]) {
      const client = new SecretClient(server.vaultUrl(VAULT), credential, { retryOptions: { maxRetries: 0 }, additionalPolicies: [{ policy: speaking(version), position: "perCall" }] });
      const secret = await client.setSecret(`future-${version.replace(/\W/g, "")}`, version);
      assert.equal((await client.getSecret(secret.name)).value, version);
      assert.equal(secret.properties.recoverableDays, 90);
    }
    const seven = new SecretClient(server.vaultUrl(VAULT), credential, { serviceVersion: "7.0", retryOptions: { maxRetries: 0 } });
    assert.equal((await seven.getSecret("shaped")).properties.recoverableDays, undefined);
  });

  it("ARM SDKs work at newer versions and get ARM's errors at malformed or too-old ones", { timeout: 30_000 }, async () => {
    const credential = adminCredential(server);
    const options = (apiVersion: string) => ({ endpoint: server.url, credentialScopes: ["https://management.azure.com/.default"], retryOptions: { maxRetries: 0 }, apiVersion });
    const resources = new ResourceManagementClient(credential, server.subscriptionId, options("2031-05-01"));
    assert.equal((await resources.resourceGroups.createOrUpdate("rg-future", { location: "westus" })).name, "rg-future");
    const vaults = new KeyVaultManagementClient(credential, server.subscriptionId, options("2031-05-01-preview"));
    assert.equal((await vaults.vaults.get("rg-versions", VAULT)).name, VAULT);

    const ancient = new ResourceManagementClient(credential, server.subscriptionId, options("2013-03-01"));
    await assert.rejects(ancient.resourceGroups.get("rg-future"), (error: RestError) => {
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, "InvalidApiVersionParameter");
      assert.match(error.message, /^The api-version '2013-03-01' is invalid\. The supported versions are '2025-04-01,.*'\.$/);
      return true;
    });
    const dataPlaneVersion = new KeyVaultManagementClient(credential, server.subscriptionId, options("7.4"));
    await assert.rejects(dataPlaneVersion.vaults.get("rg-versions", VAULT), (error: RestError) => {
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, "NoRegisteredProviderFound");
      assert.match(error.message, /API version '7\.4' for type 'vaults'\. The supported api-versions are '2015-06-01, .*, 2024-11-01'\./);
      return true;
    });
    const missing = await probe("GET", `${server.url}/subscriptions/${server.subscriptionId}/resourcegroups/rg-future`, { bearer: management });
    assertAzureError(missing, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  });

  it("Graph serves its routes under /v1.0/ and /beta/ alike, with the Graph audience only", { timeout: 20_000 }, async () => {
    const graph = await token(server, "https://graph.microsoft.com");
    const v1 = await probe("GET", `${server.url}/v1.0/servicePrincipals`, { bearer: graph });
    const beta = await probe("GET", `${server.url}/beta/servicePrincipals`, { bearer: graph });
    assert.equal(v1.status, 200, v1.text);
    assert.equal(beta.status, 200, beta.text);
    assert.deepEqual(beta.body, v1.body);
    const created = await probe("POST", `${server.url}/beta/applications`, { bearer: graph, body: { displayName: "beta-app" } });
    assert.equal(created.status, 201, created.text);
    assertAzureError(await probe("GET", `${server.url}/beta/servicePrincipals`, { bearer: management }), 401, "InvalidAuthenticationTokenAudience", "wrong audience");
    assert.equal((await probe("GET", `${server.url}/v2.0/servicePrincipals`, { bearer: graph })).status, 404);
  });
});
