/**
 * A machine's metadata endpoint (IMDS and the App Service identity protocol) as clients see it: raw requests, then the
 * official Node and Python SDKs in child processes configured only by the environment `kluis vm exec` sets.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { REPO, startServer, type KluisServer } from "../harness/server.js";

const run = promisify(execFile);
const FIXTURES = path.join(REPO, "test/fixtures");
const VAULT_RESOURCE = "https://vault.azure.net";

interface ChildResult {
  ok: boolean;
  value?: string;
  status?: number | null;
  code?: string | null;
  message?: string;
}

/** True when a TCP connection to host:port can't be made (refused, unreachable or silently dropped). */
function connectFails(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (failed: boolean) => {
      socket.destroy();
      resolve(failed);
    };
    socket.setTimeout(2000, () => done(true));
    socket.once("connect", () => done(false));
    socket.once("error", () => done(true));
  });
}

describe("machine metadata endpoint", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let management: string;
  let vmPath: string;
  let vmArmId: string;
  let endpoint: string;
  let port: number;
  let principalId: string;
  let vmId: string;

  const imds = async (pathAndQuery: string, headers: Record<string, string> = { Metadata: "true" }) => {
    const response = await fetch(`${endpoint}${pathAndQuery}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const imdsToken = (query = "") => imds(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(VAULT_RESOURCE)}${query}`);
  const access = async () => {
    const reply = await arm(server, management, "POST", `${vmPath}/listMetadataAccess?api-version=2024-03-01`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body as { metadataEndpoint: string; identityEndpoint: string; identityHeader: string };
  };
  /** The environment a process on the machine gets: nothing of ours that an SDK could pick up, plus `extra`. */
  const machineEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)));
    return { ...env, ...extra };
  };
  const child = async (language: "node" | "python", env: NodeJS.ProcessEnv): Promise<ChildResult> => {
    const [program, script] = language === "node" ? [process.execPath, "mi-read-secret.mjs"] : ["/usr/bin/python3", "mi_read_secret.py"];
    const { stdout, stderr } = await run(program, [path.join(FIXTURES, script), server.vaultUrl("mi-vault"), "machine-secret"], { env, timeout: 60_000 });
    const line = stdout.trim().split("\n").pop() ?? "";
    try {
      return JSON.parse(line) as ChildResult;
    } catch {
      throw new Error(`${language} child printed no result:\n${stdout}\n${stderr}`);
    }
  };
  /** Node and Python, each through IMDS alone and through the full `kluis vm exec` environment (App Service wins). */
  const everyClient = async () => {
    const a = await access();
    const imdsOnly = machineEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: a.metadataEndpoint });
    const vmExec = machineEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: a.metadataEndpoint, IDENTITY_ENDPOINT: a.identityEndpoint, IDENTITY_HEADER: a.identityHeader });
    const [nodeImds, nodeVmExec, pythonImds, pythonVmExec] = await Promise.all([
      child("node", imdsOnly),
      child("node", vmExec),
      child("python", imdsOnly),
      child("python", vmExec),
    ]);
    return { nodeImds, nodeVmExec, pythonImds, pythonVmExec };
  };

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-vm", "mi-vault", [String(claims(management).oid)]);
    await secretClient(server, "mi-vault").setSecret("machine-secret", "from-the-vault");
    vmPath = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/vm1`;
    vmArmId = vmPath;
    const created = await arm(server, management, "PUT", `${vmPath}?api-version=2024-03-01`, {
      location: "westeurope",
      properties: { hardwareProfile: { vmSize: "Standard_B1s" }, osProfile: { computerName: "vm1", adminUsername: "azureuser", adminPassword: "Secr3t!Passw0rd" } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    endpoint = created.body.properties.metadataEndpoint;
    vmId = created.body.properties.vmId;
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    port = Number(new URL(endpoint).port);
    assert.equal(created.body.properties.osProfile.adminPassword, undefined, "the admin password is not echoed");
    assert.equal(created.body.identity, undefined);
  });
  after(() => server.stop());

  it("has no identity to offer before one is assigned", async () => {
    const reply = await imdsToken();
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body, { error: "invalid_request", error_description: "Identity not found" });
  });

  it("issues IMDS tokens for the system-assigned identity, every field a string, cached", async () => {
    const patched = await arm(server, management, "PATCH", `${vmPath}?api-version=2024-03-01`, { identity: { type: "SystemAssigned" } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.identity.type, "SystemAssigned");
    principalId = patched.body.identity.principalId;
    assert.match(principalId, /^[0-9a-f-]{36}$/);
    assert.equal(patched.body.identity.tenantId, server.tenantId);

    const reply = await imdsToken();
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    for (const field of ["access_token", "client_id", "expires_in", "expires_on", "not_before", "resource", "token_type"]) {
      assert.equal(typeof reply.body[field], "string", `${field} is a string`);
    }
    for (const [field, value] of Object.entries(reply.body)) assert.equal(typeof value, "string", `${field} is a string`);
    assert.equal(reply.body.token_type, "Bearer");
    assert.equal(reply.body.resource, VAULT_RESOURCE);
    const now = Date.now() / 1000;
    assert.ok(Math.abs(Number.parseInt(reply.body.expires_on, 10) - (now + Number(reply.body.expires_in))) < 5);
    assert.ok(Number.parseInt(reply.body.expires_on, 10) > now + 300);
    const jwt = claims(reply.body.access_token);
    assert.equal(jwt.aud, VAULT_RESOURCE);
    assert.equal(jwt.oid, principalId);
    assert.equal(jwt.tid, server.tenantId);
    assert.equal(jwt.xms_mirid, vmArmId);
    assert.equal(jwt.idtyp, "app");
    assert.equal(jwt.appid, reply.body.client_id);
    // Azure's IMDS hands out v1 tokens: the v1 issuer shape (Entra's is https://sts.windows.net/<tenant>/) and ver 1.0.
    assert.equal(jwt.iss, `${server.url}/${server.tenantId}/`);
    assert.equal(jwt.ver, "1.0");

    const again = await imdsToken();
    assert.equal(again.status, 200);
    assert.equal(again.body.access_token, reply.body.access_token, "the cached token is handed out again");
  });

  it("validates requests as IMDS does", async () => {
    const noHeader = await imds(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${VAULT_RESOURCE}`, {});
    assert.equal(noHeader.status, 400);
    assert.equal(noHeader.body.error_description, "Required metadata header not specified");
    const forwarded = await imds(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${VAULT_RESOURCE}`, { Metadata: "true", "X-Forwarded-For": "10.0.0.7" });
    assert.equal(forwarded.status, 400);
    assert.equal(forwarded.body.access_token, undefined);

    const first = await imdsToken();
    const ids = claims(first.body.access_token);
    for (const selector of [`&client_id=${ids.appid}`, `&object_id=${principalId}`, `&msi_res_id=${encodeURIComponent(vmArmId)}`]) {
      const matching = await imdsToken(selector);
      assert.equal(matching.status, 200, `${selector}: ${JSON.stringify(matching.body)}`);
      assert.equal(claims(matching.body.access_token).oid, principalId);
    }
    const other = "11111111-2222-3333-4444-555555555555";
    const otherVm = vmArmId.replace(/vm1$/, "vm2");
    for (const selector of [`&client_id=${other}`, `&object_id=${other}`, `&msi_res_id=${encodeURIComponent(otherVm)}`]) {
      const mismatch = await imdsToken(selector);
      assert.equal(mismatch.status, 400, selector);
      assert.equal(mismatch.body.error, "invalid_request");
      assert.equal(mismatch.body.access_token, undefined);
    }

    const unknown = await imds(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://evil.example.com")}`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, "invalid_resource");
    const noVersion = await imds(`/metadata/identity/oauth2/token?resource=${VAULT_RESOURCE}`);
    assert.equal(noVersion.status, 400);
  });

  it("speaks the App Service identity protocol with the machine's identity header", async () => {
    const a = await access();
    assert.equal(a.metadataEndpoint, endpoint);
    assert.equal(new URL(a.identityEndpoint).origin, endpoint);
    assert.ok(a.identityHeader.length >= 16);
    const url = `${a.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(VAULT_RESOURCE)}`;
    const good = await fetch(url, { headers: { "X-IDENTITY-HEADER": a.identityHeader } });
    assert.equal(good.status, 200);
    const body = (await good.json()) as Record<string, string>;
    assert.equal(claims(body.access_token!).oid, principalId);
    assert.equal(typeof body.expires_on, "string");
    assert.equal(body.resource, VAULT_RESOURCE);
    assert.equal((await fetch(url, { headers: { "X-IDENTITY-HEADER": `${a.identityHeader}x` } })).status, 401);
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { Metadata: "true" } })).status, 401, "IMDS's header is no substitute");
  });

  it("serves instance metadata", async () => {
    const reply = await imds("/metadata/instance?api-version=2021-02-01");
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.compute.name, "vm1");
    assert.equal(reply.body.compute.vmId, vmId);
    assert.equal(reply.body.compute.subscriptionId, server.subscriptionId);
    assert.equal(reply.body.compute.resourceGroupName, "rg-vm");
    assert.equal((await imds("/metadata/instance?api-version=2021-02-01", {})).status, 400);
  });

  it("listens on 127.0.0.1 only", async () => {
    assert.equal(await connectFails("127.0.0.1", port), false);
    assert.equal(await connectFails("::1", port), true, "[::1] must not reach the endpoint");
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal)
      .map((a) => a!.address);
    for (const address of external) assert.equal(await connectFails(address, port), true, `${address} must not reach the endpoint`);
  });

  it("SDK clients on the machine get 403 from the vault before the identity has a policy", async () => {
    const results = await everyClient();
    for (const [name, result] of Object.entries(results)) {
      assert.equal(result.ok, false, `${name}: ${JSON.stringify(result)}`);
      assert.equal(result.status, 403, `${name}: ${JSON.stringify(result)}`);
      assert.equal(result.code, "Forbidden", `${name}: ${JSON.stringify(result)}`);
    }
  });

  it("SDK clients on the machine read the secret once the identity may get it", async () => {
    const vault = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-vm/providers/Microsoft.KeyVault/vaults/mi-vault`;
    const policy = await arm(server, management, "PUT", `${vault}/accessPolicies/add?api-version=2023-07-01`, {
      properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: principalId, permissions: { secrets: ["get"] } }] },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const results = await everyClient();
    for (const [name, result] of Object.entries(results)) assert.deepEqual(result, { ok: true, value: "from-the-vault" }, name);
  });

  it("survives a server restart: same port, same identity", async () => {
    const before = claims((await imdsToken()).body.access_token);
    const header = (await access()).identityHeader;
    await server.restart();
    const reply = await imdsToken();
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(claims(reply.body.access_token).oid, before.oid);
    assert.equal(claims(reply.body.access_token).xms_mirid, vmArmId);
    const a = await access();
    assert.equal(a.metadataEndpoint, endpoint);
    assert.equal(a.identityHeader, header, "the identity header is stable across restarts");
    const vm = await arm(server, management, "GET", `${vmPath}?api-version=2024-03-01`);
    assert.equal(vm.body.properties.metadataEndpoint, endpoint);
    assert.equal(vm.body.identity.principalId, principalId);
    const results = await everyClient();
    for (const [name, result] of Object.entries(results)) assert.deepEqual(result, { ok: true, value: "from-the-vault" }, name);
  });

  it("deleting the machine closes its endpoint and removes its identity", async () => {
    const deleted = await arm(server, management, "DELETE", `${vmPath}?api-version=2024-03-01`);
    assert.equal(deleted.status, 200);
    assert.equal(await connectFails("127.0.0.1", port), true, "the endpoint no longer listens");
    const graph = await token(server, "https://graph.microsoft.com");
    const lookup = await fetch(`${server.url}/v1.0/servicePrincipals/${principalId}`, { headers: { authorization: `Bearer ${graph}` } });
    assert.equal(lookup.status, 404);
  });
});
