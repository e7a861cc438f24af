/** Request handling of a machine's metadata endpoint: validation as IMDS does it, tokens cached per identity. */
import type { IncomingMessage } from "node:http";
import { BoundedCache } from "../../cache/bounded-cache.js";
import { OAuthError } from "../../domain/errors.js";
import { machineArmId, machineKey } from "../../domain/machines.js";
import type { MachineRecord, PrincipalRecord } from "../../storage/types.js";
import type { AppServices } from "../app-services.js";
import type { IssuedToken } from "../identity/authority.js";
import { assertKnownResource } from "../identity/resources.js";

/** Reuse a cached token while it has more than this left, as IMDS does. */
const REFRESH_MARGIN_SECONDS = 300;
const IMDS_API_VERSIONS = /^20\d\d-\d\d-\d\d$/;
/**
 * A machine and its identity change rarely but are needed on every request. Changes anywhere invalidate a snapshot
 * through the change feed; this bound covers notifications lost while the feed is down.
 */
const SNAPSHOT_TTL_MS = 1000;
/** Per identity and resource; only resources Kluis knows get here (assertKnownResource runs before a token is made). */
const tokenCache = new BoundedCache<string, IssuedToken>({ name: "metadata-tokens", maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 });

interface Snapshot {
  machine: MachineRecord | null;
  principal: PrincipalRecord | null;
  at: number;
}

/** Machines and their identities as the metadata endpoints last read them; invalidated through the change feed. */
export class MachineSnapshots {
  private readonly entries = new BoundedCache<string, Snapshot>({ name: "machine-snapshots", maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });

  async get(app: AppServices, key: MachineKey): Promise<Snapshot> {
    const id = machineKey(key);
    const hit = this.entries.get(id);
    const now = Date.now();
    if (hit && now - hit.at < SNAPSHOT_TTL_MS) return hit;
    const machine = await app.store.machines.get(key.subscriptionId, key.resourceGroup, key.name);
    const fresh = { machine, principal: machine ? await app.machines.identity(machine) : null, at: now };
    this.entries.set(id, fresh);
    return fresh;
  }

  invalidate(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}

export interface MetadataReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const invalid = (description: string) => new OAuthError(400, "invalid_request", description);

export interface MachineKey {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export async function handleMetadataRequest(req: IncomingMessage, app: AppServices, snapshots: MachineSnapshots, key: MachineKey): Promise<MetadataReply> {
  if (req.headers["x-forwarded-for"] !== undefined) {
    throw invalid("Requests carrying an X-Forwarded-For header are refused: the metadata endpoint serves only this machine.");
  }
  // Split by hand rather than through `new URL`: this runs for every token a fleet asks for.
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const pathname = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const params = new Map<string, string>();
  if (q !== -1) for (const [k, v] of new URLSearchParams(rawUrl.slice(q + 1))) params.set(k.toLowerCase(), v);
  const path = pathname.replace(/\/+$/, "").toLowerCase();
  const { machine, principal } = await snapshots.get(app, key);
  if (!machine) throw new OAuthError(404, "not_found", "This machine no longer exists.");

  if (path === "/msi/token") return appServiceToken(req, params, app, machine, principal);
  if (req.method !== "GET") throw new OAuthError(405, "invalid_request", "Only GET is supported.");
  if (req.headers.metadata !== "true") throw invalid("Required metadata header not specified");
  const apiVersion = params.get("api-version");
  if (!apiVersion) throw invalid("Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds");
  if (!IMDS_API_VERSIONS.test(apiVersion)) throw invalid("Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds");
  if (path === "/metadata/identity/oauth2/token") {
    const identity = selectIdentity(machine, principal, params.get("client_id"), params.get("object_id") ?? params.get("principal_id"), params.get("msi_res_id") ?? params.get("mi_res_id"));
    const token = await tokenFor(app, identity, required(params, "resource"));
    return { status: 200, body: tokenJson(token, identity, true) };
  }
  if (path === "/metadata/instance" || path === "/metadata/instance/compute") {
    const compute = instanceCompute(machine, app);
    return { status: 200, body: path === "/metadata/instance" ? { compute, network: instanceNetwork() } : compute };
  }
  throw new OAuthError(404, "not_found", `The resource '${pathname}' was not found on the metadata endpoint.`);
}

async function appServiceToken(
  req: IncomingMessage,
  params: Map<string, string>,
  app: AppServices,
  machine: MachineRecord,
  principal: PrincipalRecord | null,
): Promise<MetadataReply> {
  const presented = req.headers["x-identity-header"];
  if (typeof presented !== "string" || !(await app.machines.identityHeaderMatches(machine, presented))) {
    const failure = new OAuthError(401, "unauthorized_client", "The X-IDENTITY-HEADER header is missing or does not match this machine's identity header.");
    throw app.signInFailures.failed(`machine:${machine.id}`, req.socket.remoteAddress, failure);
  }
  const apiVersion = params.get("api-version");
  if (apiVersion !== "2019-08-01") {
    throw new OAuthError(400, "invalid_request", `The HTTP resource that matches the request URI does not support the API version '${apiVersion ?? ""}'.`);
  }
  const identity = selectIdentity(machine, principal, params.get("client_id"), params.get("principal_id") ?? params.get("object_id"), params.get("mi_res_id") ?? params.get("msi_res_id"));
  const token = await tokenFor(app, identity, required(params, "resource"));
  return { status: 200, body: tokenJson(token, identity, false) };
}

function required(params: Map<string, string>, name: string): string {
  const value = params.get(name);
  if (!value) throw invalid(`Required ${name === "resource" ? "audience" : name} parameter not specified`);
  return value;
}

/** The machine's identity, if the caller's selector (if any) names it. User-assigned identities are not offered. */
function selectIdentity(machine: MachineRecord, principal: PrincipalRecord | null, clientId?: string, objectId?: string, resourceId?: string): PrincipalRecord {
  if (!principal) throw invalid("Identity not found");
  const matches =
    (clientId === undefined || clientId.toLowerCase() === principal.appId) &&
    (objectId === undefined || objectId.toLowerCase() === principal.objectId) &&
    (resourceId === undefined || resourceId.toLowerCase() === machineArmId(machine).toLowerCase());
  if (!matches) throw invalid("Identity not found");
  return principal;
}

async function tokenFor(app: AppServices, principal: PrincipalRecord, resource: string): Promise<IssuedToken> {
  const normalized = resource.trim();
  const key = `${principal.objectId} ${normalized}`;
  const now = Math.floor(Date.now() / 1000);
  const cached = tokenCache.get(key);
  if (cached && cached.expiresOn - now > REFRESH_MARGIN_SECONDS) return cached;
  assertKnownResource(app, normalized);
  // Azure's IMDS hands out v1 tokens (sts.windows.net issuer, ver 1.0) for Key Vault and ARM alike.
  const token = await app.authority.issue(principal, normalized, "managed", 1);
  tokenCache.set(key, token);
  return token;
}

/** Every field a string, as IMDS sends them (Python's client int()s expires_on; msal-node reads only expires_on). */
function tokenJson(token: IssuedToken, principal: PrincipalRecord, imds: boolean) {
  const now = Math.floor(Date.now() / 1000);
  const body: Record<string, string> = {
    access_token: token.accessToken,
    client_id: principal.appId,
    expires_in: String(Math.max(0, token.expiresOn - now)),
    expires_on: String(token.expiresOn),
    ext_expires_in: String(Math.max(0, token.expiresOn - now)),
    not_before: String(token.notBefore),
    resource: token.resource,
    token_type: "Bearer",
  };
  if (!imds) delete body.ext_expires_in;
  return body;
}

function instanceCompute(machine: MachineRecord, app: AppServices) {
  const props = machine.properties as { vmId?: string; hardwareProfile?: { vmSize?: string }; osProfile?: { computerName?: string } };
  return {
    azEnvironment: "Kluis",
    location: machine.location,
    name: machine.name,
    osType: "Linux",
    resourceGroupName: machine.resourceGroup,
    resourceId: machineArmId(machine),
    subscriptionId: machine.subscriptionId,
    tags: Object.entries(machine.tags).map(([k, v]) => `${k}:${v}`).join(";"),
    vmId: props.vmId ?? machine.id,
    vmSize: props.hardwareProfile?.vmSize ?? "",
    osProfile: { computerName: props.osProfile?.computerName ?? machine.name },
    tenantId: app.authority.tenantId,
  };
}

function instanceNetwork() {
  return { interface: [{ ipv4: { ipAddress: [{ privateIpAddress: "127.0.0.1", publicIpAddress: "127.0.0.1" }], subnet: [] }, ipv6: { ipAddress: [] } }] };
}
