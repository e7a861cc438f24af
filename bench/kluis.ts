/**
 * A Kluis server under test: spawned from the built CLI on loopback, timed from spawn to the first healthy
 * /healthz, and driven through its public protocols only (token endpoint, ARM, vault data plane).
 */
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { Client, pool } from "./lib/http.js";
import { freePort, rssMb, start, waitUntil, type Child } from "./lib/proc.js";

export interface Kluis {
  child: Child;
  port: number;
  dataDir: string;
  caFile: string;
  client: Client;
  tenantId: string;
  subscriptionId: string;
  admin: { appId: string; password: string };
  /** Milliseconds from spawn to the first 200 from /healthz. */
  startupMs: number;
  authorityUrl: string;
  vaultUrl(name: string): string;
  rss(): number;
  stop(): Promise<void>;
}

export const VAULT_RESOURCE = "https://vault.azure.net";
export const API = "api-version=7.4";

/** Every directory made by freshDataDir, for the orchestrator to remove at the end. */
export const createdDirs: string[] = [];

export function freshDataDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kluis-bench-${tag}-`));
  createdDirs.push(dir);
  return dir;
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Only this probe skips verification: on a first start the CA does not exist until the server makes it.
    const req = https.get({ host: "127.0.0.1", port, path: "/healthz", headers: { host: `localhost:${port}` }, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
  });
}

export async function startKluis(options: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<Kluis> {
  const dataDir = options.dataDir ?? freshDataDir("data");
  const port = await freePort();
  const began = process.hrtime.bigint();
  const child = start(
    [...(options.nodeArgs ?? []), "dist/cli/main.js", "server", "--data-dir", dataDir, "--port", String(port), "--no-access-log", ...(options.args ?? [])],
    options.env,
  );
  await waitUntil(child, () => healthy(port), 60_000, 2);
  const startupMs = Number(process.hrtime.bigint() - began) / 1e6;
  await waitUntil(child, () => /subscription:\s+(\S+)/.test(child.output()), 5_000);
  const subscriptionId = /subscription:\s+(\S+)/.exec(child.output())![1]!;
  const admin = JSON.parse(fs.readFileSync(path.join(dataDir, "admin.json"), "utf8")) as { tenantId: string; appId: string; password: string };
  const caFile = path.join(dataDir, "tls", "ca.pem");
  const client = new Client(fs.readFileSync(caFile, "utf8"));
  return {
    child,
    port,
    dataDir,
    caFile,
    client,
    tenantId: admin.tenantId,
    subscriptionId,
    admin,
    startupMs,
    authorityUrl: `https://localhost:${port}`,
    vaultUrl: (name) => `https://${name}.vault.localhost:${port}`,
    rss: () => rssMb(child.proc.pid),
    stop: async () => {
      client.close();
      await child.stop();
    },
  };
}

export function tokenForm(k: Kluis, resource: string, appId = k.admin.appId, secret = k.admin.password): string {
  return new URLSearchParams({ grant_type: "client_credentials", client_id: appId, client_secret: secret, scope: `${resource}/.default` }).toString();
}

export function tokenUrl(k: Kluis): string {
  return `${k.authorityUrl}/${k.tenantId}/oauth2/v2.0/token`;
}

export async function adminToken(k: Kluis, resource: string): Promise<string> {
  const reply = await k.client.ok("POST", tokenUrl(k), { headers: { "content-type": "application/x-www-form-urlencoded" }, body: tokenForm(k, resource) });
  return reply.json<{ access_token: string }>().access_token;
}

export function oidOf(jwt: string): string {
  return String((JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as { oid: string }).oid);
}

export function armCall(k: Kluis, bearer: string, method: string, pathAndQuery: string, body?: unknown) {
  return arm(k, bearer, method, pathAndQuery, body);
}

async function arm(k: Kluis, bearer: string, method: string, pathAndQuery: string, body?: unknown) {
  return k.client.ok(method, `${k.authorityUrl}${pathAndQuery}`, {
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Creates resource group `group` and vault `vault` granting the administrator every secret permission. */
export async function createVault(k: Kluis, group: string, vault: string): Promise<void> {
  const mgmt = await adminToken(k, "https://management.azure.com");
  const rg = `/subscriptions/${k.subscriptionId}/resourcegroups/${group}`;
  await arm(k, mgmt, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" });
  await arm(k, mgmt, "PUT", `${rg}/providers/Microsoft.KeyVault/vaults/${vault}?api-version=2023-07-01`, {
    location: "westus",
    properties: {
      tenantId: k.tenantId,
      sku: { family: "A", name: "standard" },
      accessPolicies: [{ tenantId: k.tenantId, objectId: oidOf(mgmt), permissions: { secrets: ["all"] } }],
    },
  });
}

/** A secret value of `bytes` printable characters. */
export function secretValue(bytes: number, seed = 0): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < bytes; i++) s += alphabet[(i * 7 + seed) % alphabet.length];
  return s;
}

export async function putSecrets(k: Kluis, vault: string, bearer: string, names: string[], bytes: number): Promise<void> {
  await pool(names.length, 16, async (i) => {
    await k.client.ok("PUT", `${k.vaultUrl(vault)}/secrets/${names[i]}?${API}`, {
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      body: JSON.stringify({ value: secretValue(bytes, i) }),
    });
  });
}

/** Creates `count` machines with system-assigned identities; returns their metadata endpoints. */
export async function createMachines(k: Kluis, group: string, count: number): Promise<string[]> {
  const mgmt = await adminToken(k, "https://management.azure.com");
  await arm(k, mgmt, "PUT", `/subscriptions/${k.subscriptionId}/resourcegroups/${group}?api-version=2022-09-01`, { location: "westus" });
  const endpoints: string[] = new Array<string>(count);
  await pool(count, 8, async (i) => {
    const vm = `/subscriptions/${k.subscriptionId}/resourcegroups/${group}/providers/Microsoft.Compute/virtualMachines/vm${i}?api-version=2024-03-01`;
    await arm(k, mgmt, "PUT", vm, { location: "westus", properties: { hardwareProfile: { vmSize: "Standard_B1s" } } });
    const patched = (await arm(k, mgmt, "PATCH", vm, { identity: { type: "SystemAssigned" } })).json<{ properties: { metadataEndpoint: string } }>();
    endpoints[i] = patched.properties.metadataEndpoint;
  });
  return endpoints;
}
