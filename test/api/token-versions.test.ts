/**
 * Token versions as Entra shapes them: the v1 endpoint (`resource=`) issues v1 tokens with the v1 issuer, the v2
 * endpoint (`scope=`) v2 tokens with the v2 issuer, each matching its discovery document. The vault, ARM and Graph
 * accept both; a token from another issuer is refused. Graph also takes tokens for the authority URL, the
 * `microsoftGraphResourceId` the cloud metadata publishes, and answers /me as Graph does for app-only tokens.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { arm, claims, createVault, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VAULT = "versions-kv";

describe("v1 and v2 tokens", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let adminOid: string;

  const v1Token = async (resource: string): Promise<string> => {
    const response = await fetch(`${server.url}/${server.tenantId}/oauth2/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: server.admin.appId, client_secret: server.admin.password, resource }),
    });
    const body = (await response.json()) as { access_token?: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.access_token!;
  };
  const readSecret = (bearer: string) =>
    fetch(`${server.vaultUrl(VAULT)}/secrets/greeting?api-version=7.4`, { headers: { authorization: `Bearer ${bearer}` } });
  const listGroups = (bearer: string) => arm(server, bearer, "GET", `/subscriptions/${server.subscriptionId}/resourcegroups?api-version=2022-09-01`);
  const graph = (bearer: string, pathAndQuery: string) => fetch(`${server.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${bearer}` } });

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
    await createVault(server, management, "rg-versions", VAULT, [adminOid]);
    const put = await fetch(`${server.vaultUrl(VAULT)}/secrets/greeting?api-version=7.4`, {
      method: "PUT",
      headers: { authorization: `Bearer ${await token(server, "https://vault.azure.net")}`, "content-type": "application/json" },
      body: JSON.stringify({ value: "hello" }),
    });
    assert.equal(put.status, 200, await put.text());
  });
  after(() => server.stop());

  it("each endpoint issues its version, with the issuer its discovery document names", async () => {
    for (const version of [1, 2] as const) {
      const docUrl = `${server.url}/${server.tenantId}${version === 2 ? "/v2.0" : ""}/.well-known/openid-configuration`;
      const doc = (await (await fetch(docUrl)).json()) as Record<string, string>;
      const expectedIssuer = version === 1 ? `${server.url}/${server.tenantId}/` : `${server.url}/${server.tenantId}/v2.0`;
      assert.equal(doc.issuer, expectedIssuer);
      assert.equal(doc.token_endpoint, `${server.url}/${server.tenantId}/oauth2${version === 2 ? "/v2.0" : ""}/token`);
      const issued = version === 1 ? await v1Token("https://vault.azure.net") : await token(server, "https://vault.azure.net");
      const { payload } = await jwtVerify(issued, createRemoteJWKSet(new URL(doc.jwks_uri!)), { issuer: doc.issuer, audience: "https://vault.azure.net", algorithms: ["RS256"] });
      assert.equal(payload.ver, version === 1 ? "1.0" : "2.0");
      assert.equal(payload.tid, server.tenantId);
      assert.equal(payload.oid, adminOid);
      // Entra names the client appid in v1 tokens and azp in v2 tokens.
      assert.equal(version === 1 ? payload.appid : payload.azp, server.admin.appId);
      assert.equal(version === 1 ? payload.azp : payload.appid, undefined);
    }
  });

  it("the vault and ARM accept a v1 token and a v2 token alike", async () => {
    for (const bearer of [await v1Token("https://vault.azure.net"), await token(server, "https://vault.azure.net")]) {
      const read = await readSecret(bearer);
      const text = await read.text();
      assert.equal(read.status, 200, `${String(claims(bearer).ver)}: ${text}`);
      assert.equal((JSON.parse(text) as { value: string }).value, "hello");
    }
    for (const bearer of [await v1Token("https://management.azure.com/"), await token(server, "https://management.azure.com")]) {
      const groups = await listGroups(bearer);
      assert.equal(groups.status, 200, `${String(claims(bearer).ver)}: ${JSON.stringify(groups.body)}`);
    }
  });

  it("Graph takes tokens for the cloud metadata's microsoftGraphResourceId (the authority URL) as for graph.microsoft.com", async () => {
    const filter = `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`servicePrincipalNames/any(c:c eq '${server.admin.appId}')`)}`;
    const bearers = [
      await token(server, server.url), // scope https://localhost:<port>/.default
      await token(server, `${server.url}/`), // scope https://localhost:<port>//.default, as az forms it from the metadata
      await v1Token(`${server.url}/`),
      await token(server, "https://graph.microsoft.com"),
    ];
    for (const bearer of bearers) {
      const found = await graph(bearer, filter);
      const text = await found.text();
      assert.equal(found.status, 200, `${String(claims(bearer).aud)}: ${text}`);
      assert.deepEqual((JSON.parse(text) as { value: { id: string }[] }).value.map((p) => p.id), [adminOid]);
    }
  });

  it("answers /me as Graph does for app-only tokens, so az falls back to the service principal lookup", async () => {
    const bearer = await token(server, server.url);
    const me = await graph(bearer, "/v1.0/me");
    assert.equal(me.status, 400);
    const body = (await me.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "BadRequest");
    assert.equal(body.error.message, "/me request is only valid with delegated authentication flow.");
    assert.equal((await fetch(`${server.url}/v1.0/me`)).status, 401, "and without a token it is a 401");
  });

  // Last: it restarts the server under another authority name, which changes the issuer.
  it("refuses a token of another issuer at the vault and at ARM, and takes the new issuer's", async () => {
    const vaultToken = await v1Token("https://vault.azure.net");
    const managementToken = await token(server, "https://management.azure.com");
    await server.stop();
    const renamed = await startServer({ dataDir: server.dataDir, port: server.port, args: ["--authority-host", "127.0.0.1"] });
    server = renamed;
    const issuerNow = `https://127.0.0.1:${server.port}/${server.tenantId}/`;

    const read = await readSecret(vaultToken);
    assert.equal(read.status, 401);
    const vaultError = ((await read.json()) as { error: { code: string; message: string } }).error;
    assert.equal(vaultError.code, "Unauthorized");
    assert.equal(vaultError.message, `AKV10032: Invalid issuer. Expected one of ${issuerNow}, ${issuerNow}v2.0, found ${String(claims(vaultToken).iss)}.`);

    const groups = await listGroups(managementToken);
    assert.equal(groups.status, 401);
    assert.equal(groups.body.error.code, "InvalidAuthenticationTokenTenant");
    assert.match(groups.body.error.message, new RegExp(`^The access token is from the wrong issuer '${String(claims(managementToken).iss)}'`));

    const fresh = await token(server, "https://management.azure.com");
    assert.equal(claims(fresh).iss, `${issuerNow}v2.0`);
    assert.equal((await listGroups(fresh)).status, 200);
    assert.equal((await readSecret(await v1Token("https://vault.azure.net"))).status, 200);
  });
});
