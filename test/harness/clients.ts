/** Official Azure SDK clients pointed at a Kluis server, configured only with endpoints (trust comes from the CA env). */
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import type { KluisServer } from "./server.js";

export function adminCredential(server: KluisServer): ClientSecretCredential {
  return new ClientSecretCredential(server.tenantId, server.admin.appId, server.admin.password, {
    authorityHost: server.url,
    disableInstanceDiscovery: true,
  });
}

export function secretClient(server: KluisServer, vaultName: string, credential = adminCredential(server)): SecretClient {
  return new SecretClient(server.vaultUrl(vaultName), credential, { retryOptions: { maxRetries: 0 } });
}

/** A management token for raw ARM calls, obtained through the token endpoint like any client. */
export async function token(server: KluisServer, resource: string, appId = server.admin.appId, secret = server.admin.password): Promise<string> {
  const response = await fetch(`${server.url}/${server.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: appId, client_secret: secret, scope: `${resource}/.default` }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** ARM request helper: JSON in, status and JSON out. */
export async function arm(server: KluisServer, bearer: string, method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${pathAndQuery}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Creates a resource group and a vault through ARM, granting `objectIds` every secret permission. */
export async function createVault(server: KluisServer, bearer: string, group: string, vault: string, objectIds: string[]): Promise<void> {
  await putVault(server, bearer, group, vault, { accessPolicies: objectIds.map((objectId) => ({ tenantId: server.tenantId, objectId, permissions: { secrets: ["all"] } })) });
}

/** Creates a resource group and a vault (7-day retention) through ARM, granting `objectId` every key, secret and certificate permission. */
export async function createKeyVault(server: KluisServer, bearer: string, group: string, vault: string, objectId: string): Promise<void> {
  await putVault(server, bearer, group, vault, {
    softDeleteRetentionInDays: 7,
    accessPolicies: [{ tenantId: server.tenantId, objectId, permissions: { keys: ["all"], secrets: ["all"], certificates: ["all"] } }],
  });
}

/** Creates a resource group and a vault through ARM with `properties` (access policies, retention …) over the defaults. */
export async function putVault(server: KluisServer, bearer: string, group: string, vault: string, properties: Record<string, unknown>): Promise<void> {
  const rg = `/subscriptions/${server.subscriptionId}/resourcegroups/${group}`;
  const g = await arm(server, bearer, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" });
  if (g.status >= 300) throw new Error(JSON.stringify(g.body));
  const v = await arm(server, bearer, "PUT", `${rg}/providers/Microsoft.KeyVault/vaults/${vault}?api-version=2023-07-01`, {
    location: "westus",
    properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, ...properties },
  });
  if (v.status >= 300) throw new Error(JSON.stringify(v.body));
}

export function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}
