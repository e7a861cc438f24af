/**
 * Instance discovery: MSAL clients that validate their authority (no disableInstanceDiscovery / instance_discovery)
 * ask https://login.microsoftonline.com/common/discovery/instance first — msal-node always there, whatever the
 * authority. Here that name "resolves to Kluis" through a loopback CONNECT proxy that refuses every other
 * destination, so nothing can leave the machine and the test sees every host a client tried to reach.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { claims, createVault, token } from "../harness/clients.js";
import { connectProxy, type ConnectProxy } from "../harness/connect-proxy.js";
import { REPO, startServer, tempDir, type KluisServer } from "../harness/server.js";
import { issueServerCertificate } from "../../src/crypto/x509.js";

const run = promisify(execFile);
const VAULT = "discovery-kv";
const ENTRA = "login.microsoftonline.com";

describe("instance discovery against kluis", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let proxy: ConnectProxy;
  /** Access-log lines of requests that reached the server under `host` for `path`. */
  const served = (host: string, requestPath: string) =>
    server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { host?: string; path?: string; status?: number })
      .filter((entry) => entry.host === host && entry.path === requestPath);
  /** The access log reaches us through a pipe, a moment after the reply: wait for the line (up to 3 s). */
  const logged = async (host: string, requestPath: string, test: (entries: { status?: number }[]) => boolean): Promise<boolean> => {
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      if (test(served(host, requestPath))) return true;
    }
    return false;
  };
  const discovery = (query: string, host = server.url) => fetch(`${host}/common/discovery/instance?${query}`);

  before(async () => {
    // The operator's certificate (from the run's test CA) names login.microsoftonline.com too, so that clients accept
    // the server there; the authority itself stays https://localhost:<port>.
    const seed = process.env.KLUIS_TEST_TLS_DIR!;
    const ca = { certPem: fs.readFileSync(path.join(seed, "ca.pem"), "utf8"), keyPem: fs.readFileSync(path.join(seed, "ca.key"), "utf8") };
    const issued = await issueServerCertificate(ca, ["localhost", ENTRA, "*.vault.localhost"], ["127.0.0.1"]);
    const dir = tempDir("discovery-tls");
    fs.writeFileSync(path.join(dir, "server.pem"), `${issued.certPem.trim()}\n${ca.certPem.trim()}\n`);
    fs.writeFileSync(path.join(dir, "server.key"), issued.keyPem, { mode: 0o600 });
    server = await startServer({ accessLog: true, args: ["--cert", path.join(dir, "server.pem"), "--key", path.join(dir, "server.key")] });
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-discovery", VAULT, [String(claims(management).oid)]);
    const put = await fetch(`${server.vaultUrl(VAULT)}/secrets/found?api-version=7.4`, {
      method: "PUT",
      headers: { authorization: `Bearer ${await token(server, "https://vault.azure.net")}`, "content-type": "application/json" },
      body: JSON.stringify({ value: "via-discovery" }),
    });
    assert.equal(put.status, 200, await put.text());
    proxy = await connectProxy({
      [`${ENTRA}:443`]: server.port,
      [`localhost:${server.port}`]: server.port,
      [`${VAULT}.vault.localhost:${server.port}`]: server.port,
    });
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it("answers for its own names as Entra does, and refuses other instances with invalid_instance", async () => {
    const own = await discovery(`api-version=1.1&authorization_endpoint=${encodeURIComponent(`https://localhost:${server.port}/${server.tenantId}/oauth2/v2.0/authorize`)}`);
    assert.equal(own.status, 200);
    assert.deepEqual(await own.json(), {
      tenant_discovery_endpoint: `https://localhost:${server.port}/${server.tenantId}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: `localhost:${server.port}`, preferred_cache: `localhost:${server.port}`, aliases: [`localhost:${server.port}`] }],
    });
    // MSAL Python asks with api-version 1.0 and drops the authority's port; a v1 authorize endpoint gets the v1
    // document. Either way the answer names the server's own authority URL, port included.
    const v1 = await discovery(`api-version=1.0&authorization_endpoint=${encodeURIComponent("https://localhost/common/oauth2/authorize")}`);
    assert.deepEqual(await v1.json(), {
      tenant_discovery_endpoint: `https://localhost:${server.port}/common/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: `localhost:${server.port}`, preferred_cache: `localhost:${server.port}`, aliases: [`localhost:${server.port}`, "localhost"] }],
    });
    for (const foreign of ["https://login.example.org/common/oauth2/v2.0/authorize", `http://localhost:${server.port}/common/oauth2/v2.0/authorize`, `https://localhost:${server.port}/common/other`, "not a url"]) {
      const refused = await discovery(`api-version=1.1&authorization_endpoint=${encodeURIComponent(foreign)}`);
      assert.equal(refused.status, 400, foreign);
      const body = (await refused.json()) as { error: string; error_description: string; error_codes: number[] };
      assert.equal(body.error, "invalid_instance", foreign);
      assert.match(body.error_description, /^AADSTS50049: Unknown or invalid instance\./);
    }
    const missing = await discovery("api-version=1.1");
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, "invalid_request");
  });

  it("@azure/identity ClientSecretCredential without disableInstanceDiscovery signs in at https://localhost:<port>", async () => {
    const before = proxy.requested.length;
    const credential = new ClientSecretCredential(server.tenantId, server.admin.appId, server.admin.password, {
      authorityHost: `https://localhost:${server.port}`,
      proxyOptions: { host: "http://127.0.0.1", port: proxy.port },
    });
    const client = new SecretClient(server.vaultUrl(VAULT), credential, { retryOptions: { maxRetries: 0 } });
    assert.equal((await client.getSecret("found")).value, "via-discovery");
    // msal-node asked login.microsoftonline.com (its built-in discovery address) — which was Kluis — and nothing else
    // outside the names this server answers to.
    const tried = proxy.requested.slice(before);
    assert.ok(tried.includes(`${ENTRA}:443`), JSON.stringify(tried));
    assert.deepEqual(proxy.refused, []);
    assert.ok(await logged(ENTRA, "/common/discovery/instance", (entries) => entries.some((entry) => entry.status === 200)), "the server logged the discovery request");
  });

  it("msal-node refuses an authority that discovery does not vouch for, without contacting it", async () => {
    const before = proxy.requested.length;
    const credential = new ClientSecretCredential(server.tenantId, server.admin.appId, server.admin.password, {
      authorityHost: "https://login.example.org",
      proxyOptions: { host: "http://127.0.0.1", port: proxy.port },
    });
    // @azure/identity reports msal-node's untrusted_authority as endpoints_resolution_error.
    await assert.rejects(credential.getToken("https://vault.azure.net/.default"), /untrusted_authority|endpoints_resolution_error/);
    const tried = proxy.requested.slice(before);
    assert.deepEqual(tried, [`${ENTRA}:443`], "only the discovery endpoint was asked");
    assert.ok(await logged(ENTRA, "/common/discovery/instance", (entries) => entries.some((entry) => entry.status === 400)));
  });

  /** Debian's Python ClientSecretCredential, every request through the proxy; `discovery` as sp_read_secret.py takes it. */
  const python = async (discovery: string) => {
    const args = [path.join(REPO, "test/fixtures/sp_read_secret.py"), `https://localhost:${server.port}`, server.tenantId, server.admin.appId, server.vaultUrl(VAULT), "found", discovery];
    const env = { ...process.env, SP_SECRET: server.admin.password, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "", no_proxy: "" };
    const { stdout, stderr } = await run("/usr/bin/python3", args, { env, timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").pop() ?? "null"), { ok: true, value: "via-discovery" }, stderr);
  };

  it("Debian's Python ClientSecretCredential validating its authority (MSAL Python 1.21) gets Kluis's answer", async () => {
    const before = proxy.requested.length;
    const loggedBefore = served(ENTRA, "/common/discovery/instance").length;
    await python("default");
    assert.ok(proxy.requested.slice(before).includes(`${ENTRA}:443`));
    assert.deepEqual(proxy.refused, []);
    assert.ok(await logged(ENTRA, "/common/discovery/instance", (entries) => entries.length > loggedBefore), "MSAL Python's discovery request reached the server");
  });

  it("Debian's Python client given instance_discovery=<url> asks there, yet still asks login.microsoftonline.com for aliases", async () => {
    // MSAL Python 1.21 validates the authority at the URL given, but its token-cache lookup fetches the cloud aliases
    // from a built-in login.microsoftonline.com address unless instance_discovery is False: only False keeps a
    // client off that name where it does not resolve to Kluis (hence the README's instance_discovery=False).
    const before = proxy.requested.length;
    const loggedBefore = served("localhost", "/common/discovery/instance").length;
    await python(`https://localhost:${server.port}/common/discovery/instance`);
    assert.ok(await logged("localhost", "/common/discovery/instance", (entries) => entries.length > loggedBefore), "the given discovery URL was asked");
    assert.ok(proxy.requested.slice(before).includes(`${ENTRA}:443`));
    assert.deepEqual(proxy.refused, []);
    const offline = proxy.requested.length;
    await python("false");
    assert.ok(!proxy.requested.slice(offline).includes(`${ENTRA}:443`), "with instance_discovery=False nothing asks login.microsoftonline.com");
  });
});
