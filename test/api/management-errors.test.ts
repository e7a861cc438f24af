/**
 * The management plane (ARM), the directory and the identity authority under bad input: Azure's status, code and
 * message, nothing changed (state compared before and after), never a 5xx.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { claims, createVault, token } from "../harness/clients.js";
import { assertAzureError, assertOAuthError, createPrincipal, probe, tokenFor, type CreatedPrincipal, type Probe, type ProbeOptions } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const GROUP = "rg-main";
const VAULT = "mgmt-kv";
const GROUPS_API = "api-version=2022-09-01";
const VAULTS_API = "api-version=2023-07-01";

describe("management plane refuses bad input", () => {
  let server: KluisServer;
  let management: string;
  let graph: string;
  let vaultToken: string;
  let outsider: CreatedPrincipal;

  const sub = () => `/subscriptions/${server.subscriptionId}`;
  const groupPath = (group: string) => `${sub()}/resourcegroups/${group}`;
  const vaultPath = (vault: string, group = GROUP) => `${groupPath(group)}/providers/Microsoft.KeyVault/vaults/${vault}`;
  const armCall = (method: string, pathAndQuery: string, options: ProbeOptions = {}) => probe(method, `${server.url}${pathAndQuery}`, { bearer: management, ...options });
  const vaultBody = (accessPolicies: unknown[] = []) => ({ location: "westus", properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, accessPolicies } });

  /** Groups, vaults (with their access policies) and directory principals, as the administrator sees them. */
  async function snapshot() {
    const groups = await armCall("GET", `${sub()}/resourcegroups?${GROUPS_API}`);
    const vaults = await armCall("GET", `${sub()}/providers/Microsoft.KeyVault/vaults?${VAULTS_API}`);
    const principals = await probe("GET", `${server.url}/v1.0/servicePrincipals`, { bearer: graph });
    for (const reply of [groups, vaults, principals]) assert.equal(reply.status, 200, reply.text);
    const strip = (v: { systemData?: unknown }) => ({ ...v, systemData: undefined });
    return { groups: groups.body.value, vaults: vaults.body.value.map(strip), principals: principals.body.value };
  }

  async function unchanged(refuse: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    assert.equal(before.vaults.length, 1);
    await refuse();
    assert.deepEqual(await snapshot(), before, "a refused request changed the management state");
  }

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    graph = await token(server, "https://graph.microsoft.com");
    vaultToken = await token(server, `https://vault.localhost:${server.port}`);
    await createVault(server, management, GROUP, VAULT, [String(claims(management).oid)]);
    assert.equal((await armCall("PUT", `${groupPath("rg-other")}?${GROUPS_API}`, { body: { location: "westus" } })).status, 201);
    outsider = await createPrincipal(server, graph, "arm-outsider");
  });
  after(() => server.stop());

  it("answers 401 to a call without a token, or with a token for another audience", async () => {
    await unchanged(async () => {
      for (const headers of [{}, { authorization: "Basic dXNlcjpwYXNz" }] as Record<string, string>[]) {
        const reply = await probe("PUT", `${server.url}${groupPath("rg-anon")}?${GROUPS_API}`, { headers, body: { location: "westus" } });
        assertAzureError(reply, 401, "AuthenticationFailed", "The 'Authorization' header is missing");
      }
      for (const bearer of [vaultToken, graph]) {
        assertAzureError(await armCall("PUT", `${groupPath("rg-anon")}?${GROUPS_API}`, { bearer, body: { location: "westus" } }), 401, "InvalidAuthenticationTokenAudience", "wrong audience");
        assertAzureError(await armCall("GET", `${sub()}/resourcegroups?${GROUPS_API}`, { bearer }), 401, "InvalidAuthenticationTokenAudience", "wrong audience");
      }
      const [header, payload] = management.split(".");
      assertAzureError(await armCall("PUT", `${groupPath("rg-anon")}?${GROUPS_API}`, { bearer: `${header}.${payload}.`, body: { location: "westus" } }), 401, "InvalidAuthenticationToken", "The access token is invalid");
      // The directory takes only Graph tokens.
      const directory = await probe("POST", `${server.url}/v1.0/applications`, { bearer: management, body: { displayName: "sneaky" } });
      assertAzureError(directory, 401, "InvalidAuthenticationTokenAudience", "wrong audience");
    });
  });

  it("requires the api-version", async () => {
    await unchanged(async () => {
      for (const [method, path, body] of [
        ["PUT", groupPath("rg-noversion"), { location: "westus" }],
        ["GET", `${sub()}/resourcegroups`, undefined],
        ["PUT", vaultPath("noversion-kv"), vaultBody()],
        ["DELETE", vaultPath(VAULT), undefined],
      ] as const) {
        assertAzureError(await armCall(method, path, { body }), 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required");
      }
    });
  });

  it("refuses vault names that break Azure's rule", async () => {
    await unchanged(async () => {
      for (const name of ["ab", "a".repeat(25), "1abc", "abc-", "a--b", "a_b"]) {
        const reply = await armCall("PUT", `${vaultPath(name)}?${VAULTS_API}`, { body: vaultBody() });
        assertAzureError(reply, 400, "VaultNameNotValid", `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters.`);
        const check = await armCall("POST", `${sub()}/providers/Microsoft.KeyVault/checkNameAvailability?${VAULTS_API}`, { body: { name, type: "Microsoft.KeyVault/vaults" } });
        assert.equal(check.status, 200, check.text);
        assert.equal(check.body.nameAvailable, false, `${name}: ${check.text}`);
        assert.equal(check.body.reason, "AccountNameInvalid", check.text);
      }
    });
  });

  it("refuses a vault name taken in another case in another group", async () => {
    await unchanged(async () => {
      for (const name of [VAULT, VAULT.toUpperCase(), "Mgmt-KV"]) {
        const reply = await armCall("PUT", `${vaultPath(name, "rg-other")}?${VAULTS_API}`, { body: vaultBody() });
        assertAzureError(reply, 409, "VaultAlreadyExists", `The vault name '${name}' is already in use.`);
      }
      assertAzureError(await armCall("GET", `${vaultPath(VAULT, "rg-other")}?${VAULTS_API}`), 404, "ResourceNotFound", "under resource group 'rg-other' was not found");
    });
  });

  it("refuses a vault in a missing group, and creates neither", async () => {
    await unchanged(async () => {
      assertAzureError(await armCall("PUT", `${vaultPath("orphan-kv", "rg-missing")}?${VAULTS_API}`, { body: vaultBody() }), 404, "ResourceGroupNotFound", "Resource group 'rg-missing' could not be found.");
      assertAzureError(await armCall("GET", `${vaultPath("orphan-kv", "rg-missing")}?${VAULTS_API}`), 404, "ResourceNotFound", "orphan-kv");
      assertAzureError(await armCall("GET", `${groupPath("rg-missing")}?${GROUPS_API}`), 404, "ResourceGroupNotFound", "Resource group 'rg-missing' could not be found.");
    });
  });

  it("refuses bad resource group names", async () => {
    await unchanged(async () => {
      for (const [name, fragment] of [
        ["bad%20name!", "has these invalid characters: ' !'"],
        ["trailing.", "The provided resource group name 'trailing.'"],
        ["g".repeat(91), "The name can only be a letter, digit"],
        ["a%2Ab", "invalid characters: '*'"],
      ] as const) {
        assertAzureError(await armCall("PUT", `${groupPath(name)}?${GROUPS_API}`, { body: { location: "westus" } }), 400, "InvalidResourceGroup", fragment);
      }
    });
  });

  it("refuses a subscription that is not ours", async () => {
    const other = "00000000-0000-0000-0000-000000000000";
    const path = (rest: string) => `/subscriptions/${other}${rest}`;
    await unchanged(async () => {
      for (const [method, p, body] of [
        ["PUT", path(`/resourcegroups/${GROUP}?${GROUPS_API}`), { location: "westus" }],
        ["GET", path(`/resourcegroups?${GROUPS_API}`), undefined],
        ["PUT", path(`/resourcegroups/${GROUP}/providers/Microsoft.KeyVault/vaults/other-kv?${VAULTS_API}`), vaultBody()],
        ["DELETE", path(`/resourcegroups/${GROUP}?${GROUPS_API}`), undefined],
      ] as const) {
        assertAzureError(await armCall(method, p, { body }), 404, "SubscriptionNotFound", `The subscription '${other}' could not be found.`);
      }
    });
  });

  it("forbids a non-administrator principal the management plane and the directory", async () => {
    const outsiderManagement = await tokenFor(server, "https://management.azure.com", outsider);
    const outsiderGraph = await tokenFor(server, "https://graph.microsoft.com", outsider);
    const denied = (reply: Probe, action: string) =>
      assertAzureError(reply, 403, "AuthorizationFailed", `The client '${outsider.appId}' with object id '${outsider.objectId}' does not have authorization to perform action '${action}'`);
    await unchanged(async () => {
      denied(await armCall("PUT", `${groupPath("rg-sneaky")}?${GROUPS_API}`, { bearer: outsiderManagement, body: { location: "westus" } }), "Microsoft.Resources/subscriptions/resourceGroups/write");
      denied(await armCall("PUT", `${vaultPath("sneaky-kv")}?${VAULTS_API}`, { bearer: outsiderManagement, body: vaultBody() }), "Microsoft.KeyVault/vaults/write");
      const grantSelf = { properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: outsider.objectId, permissions: { secrets: ["all"] } }] } };
      denied(await armCall("PUT", `${vaultPath(VAULT)}/accessPolicies/add?${VAULTS_API}`, { bearer: outsiderManagement, body: grantSelf }), "Microsoft.KeyVault/vaults/accessPolicies/write");
      denied(await armCall("DELETE", `${groupPath(GROUP)}?${GROUPS_API}`, { bearer: outsiderManagement }), "Microsoft.Resources/subscriptions/resourceGroups/delete");
      denied(await armCall("GET", `${sub()}/resourcegroups?${GROUPS_API}`, { bearer: outsiderManagement }), "Microsoft.Resources/subscriptions/resourceGroups/read");
      denied(await probe("POST", `${server.url}/v1.0/applications`, { bearer: outsiderGraph, body: { displayName: "sneaky" } }), "microsoft.directory/applications/create");
    });
  });

  it("refuses invalid access policies without applying any of them", async () => {
    const policy = (permissions: unknown, objectId: unknown = outsider.objectId) => ({ tenantId: server.tenantId, objectId, permissions });
    await unchanged(async () => {
      for (const kind of ["add", "replace"]) {
        const put = (accessPolicies: unknown) => armCall("PUT", `${vaultPath(VAULT)}/accessPolicies/${kind}?${VAULTS_API}`, { body: { properties: { accessPolicies } } });
        // A valid entry next to the invalid one must not be applied either.
        assertAzureError(await put([policy({ secrets: ["get"] }), policy({ secrets: ["get", "fly"] })]), 400, "BadRequest", "Invalid permission 'fly' for secrets.");
        assertAzureError(await put([policy({ keys: ["set"] })]), 400, "BadRequest", "Invalid permission 'set' for keys.");
        assertAzureError(await put([policy({ secrets: "get" })]), 400, "InvalidRequestContent", "'properties.accessPolicies[0].permissions.secrets' must be of type array");
        assertAzureError(await put([policy({ secrets: ["get"] }, "not-a-guid")]), 400, "BadRequest", "'objectId' must be a GUID");
        assertAzureError(await put({ objectId: outsider.objectId }), 400, "InvalidRequestContent", "'properties.accessPolicies' must be of type array");
      }
      const bogus = await armCall("PUT", `${vaultPath(VAULT)}/accessPolicies/merge?${VAULTS_API}`, { body: { properties: { accessPolicies: [policy({ secrets: ["get"] })] } } });
      assertAzureError(bogus, 400, "BadRequest", "The access policy operation 'merge' is not valid.");
      // The same rule holds when policies come with the vault itself.
      const replaced = await armCall("PUT", `${vaultPath(VAULT)}?${VAULTS_API}`, { body: vaultBody([policy({ secrets: ["everything"] })]) });
      assertAzureError(replaced, 400, "BadRequest", "Invalid permission 'everything' for secrets.");
    });
  });

  it("refuses ARM bodies that are not JSON objects", async () => {
    await unchanged(async () => {
      for (const path of [`${groupPath("rg-json")}?${GROUPS_API}`, `${vaultPath("json-kv")}?${VAULTS_API}`, `${vaultPath(VAULT)}?${VAULTS_API}`]) {
        for (const body of ["{nope", "[]", '"westus"']) {
          assertAzureError(await armCall("PUT", path, { body }), 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized");
        }
      }
      assertAzureError(await armCall("PUT", `${groupPath("rg-json")}?${GROUPS_API}`, { body: {} }), 400, "InvalidRequestContent", "'location'");
    });
  });
});

describe("identity authority refuses bad token requests", () => {
  let server: KluisServer;
  let tokenUrl: string;

  const form = (fields: Record<string, string>, url = tokenUrl) =>
    probe("POST", url, { body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
  const good = (): Record<string, string> => ({
    grant_type: "client_credentials",
    client_id: server.admin.appId,
    client_secret: server.admin.password,
    scope: "https://management.azure.com/.default",
  });
  const noEcho = (reply: Probe) => assert.ok(!reply.text.includes(server.admin.password), "the reply echoes the client secret");

  before(async () => {
    server = await startServer();
    tokenUrl = `${server.url}/${server.tenantId}/oauth2/v2.0/token`;
  });
  after(() => server.stop());

  it("refuses a wrong client secret, and still accepts the right one afterwards", async () => {
    const wrong = await form({ ...good(), client_secret: `${server.admin.password}x` });
    assertOAuthError(wrong, 401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    assert.deepEqual(wrong.body.error_codes, [7000215]);
    noEcho(wrong);
    assertOAuthError(await form({ ...good(), client_secret: "" }), 401, "invalid_client", "AADSTS7000215");
    const { client_secret: _secret, ...withoutSecret } = good();
    assertOAuthError(await form(withoutSecret), 401, "invalid_client", "AADSTS7000216");
    const right = await form(good());
    assert.equal(right.status, 200, right.text);
    assert.equal(typeof right.body.access_token, "string");
  });

  it("refuses an unknown client, scope, resource, tenant or grant type", async () => {
    const unknownClient = "12345678-1234-1234-1234-123456789012";
    assertOAuthError(await form({ ...good(), client_id: unknownClient }), 400, "unauthorized_client", `AADSTS700016: Application with identifier '${unknownClient}' was not found`);
    for (const scope of ["https://management.azure.com", "https://management.azure.com/user_impersonation", "https://management.azure.com/.default https://vault.azure.net/.default"]) {
      assertOAuthError(await form({ ...good(), scope }), 400, "invalid_scope", "AADSTS1002012");
    }
    assertOAuthError(await form({ ...good(), scope: "https://storage.azure.com/.default" }), 400, "invalid_resource", "AADSTS500011: The resource principal named https://storage.azure.com was not found");
    const elsewhere = await form(good(), `${server.url}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token`);
    assertOAuthError(elsewhere, 400, "invalid_request", "AADSTS90002: Tenant '00000000-0000-0000-0000-000000000000' not found");
    noEcho(elsewhere);
    assertOAuthError(await form({ ...good(), grant_type: "password" }), 400, "unsupported_grant_type", "AADSTS70003");
    const { grant_type: _grant, ...withoutGrant } = good();
    assertOAuthError(await form(withoutGrant), 400, "unsupported_grant_type", "AADSTS70003");
    const { client_id: _client, ...withoutClient } = good();
    assertOAuthError(await form(withoutClient), 400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
    const v1 = await form({ grant_type: "client_credentials", client_id: server.admin.appId, client_secret: server.admin.password }, `${server.url}/${server.tenantId}/oauth2/token`);
    assertOAuthError(v1, 400, "invalid_request", "'resource'");
    // None of that registered anyone: the directory still holds only the administrator.
    const graph = await token(server, "https://graph.microsoft.com");
    const principals = await probe("GET", `${server.url}/v1.0/servicePrincipals`, { bearer: graph });
    assert.deepEqual(principals.body.value.map((p: { appId: string }) => p.appId), [server.admin.appId]);
  });

  it("publishes discovery whose JWKS verifies the tokens it issues", async () => {
    const discovery = await probe("GET", `${server.url}/${server.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200, discovery.text);
    const config = discovery.body as Record<string, string>;
    assert.equal(config.issuer, `${server.url}/${server.tenantId}/v2.0`);
    assert.equal(config.authorization_endpoint, `${server.url}/${server.tenantId}/oauth2/v2.0/authorize`);
    assert.equal(config.token_endpoint, tokenUrl);
    assert.equal(config.jwks_uri, `${server.url}/${server.tenantId}/discovery/v2.0/keys`);
    const issued = await token(server, "https://management.azure.com");
    const jwks = createRemoteJWKSet(new URL(config.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(issued, jwks, { issuer: config.issuer, audience: "https://management.azure.com", algorithms: ["RS256"] });
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(payload.tid, server.tenantId);
    // A v2 token names its client in azp (v1 tokens use appid), as Entra's do.
    assert.equal(payload.azp, server.admin.appId);
    assert.equal(payload.ver, "2.0");
    // The published keys are public keys only.
    const keys = (await probe("GET", config.jwks_uri!)).body.keys as Record<string, unknown>[];
    assert.ok(keys.length >= 1);
    for (const key of keys) for (const field of ["d", "p", "q", "dp", "dq", "qi"]) assert.equal(key[field], undefined, `JWKS exposes ${field}`);
    // A token with a tampered payload does not verify against them.
    const [header, , signature] = issued.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...payload, azp: "someone-else" })).toString("base64url")}.${signature}`;
    await assert.rejects(jwtVerify(forged, jwks, { issuer: config.issuer }));
  });
});
