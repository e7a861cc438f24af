/**
 * A logged-in session: the profile plus an HTTP client, with one method per API surface (ARM, Graph, vault data
 * plane) that attaches the right token, caches tokens in the profile until five minutes before expiry, and
 * retries once with a fresh token when the server rejects a cached one (after a server re-key, say).
 * Tokens go only where they belong: ARM and Graph tokens to the configured server's origin, vault tokens to vault
 * hosts of the cloud's suffix after their challenge (vault-guard.ts).
 */
import path from "node:path";
import { resolveDataDir, resolvePort } from "../config/config.js";
import { RESOURCES, isFresh, requestToken, tokenClaims } from "./auth.js";
import { CliError, NotLoggedInError, UsageError } from "./errors.js";
import { HttpClient, toRequestError, type HttpResponse } from "./http.js";
import { readProfile, writeProfile, type Profile } from "./profile.js";
import { assertVaultHost, assertVaultNameArgument, challengedResource } from "./vault-guard.js";

export const API_VERSIONS = {
  resources: "2022-09-01",
  subscriptions: "2022-12-01",
  keyVault: "2023-07-01",
  compute: "2024-03-01",
  metadata: "2019-05-01",
  vaultData: "7.6",
} as const;

/** Options every command accepts, as az's global arguments. */
export interface GlobalOptions {
  output?: string;
  query?: string;
  dataDir?: string;
  port?: string;
  debug?: boolean;
}

export interface ServerLocation {
  serverUrl: string;
  dataDir: string;
  caFile: string;
}

/** The authority/management host is always "localhost"; only the port and the data directory vary. */
export function serverLocation(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): ServerLocation {
  const dataDir = resolveDataDir(globals.dataDir, env);
  return { serverUrl: `https://localhost:${resolvePort(globals.port, env)}`, dataDir, caFile: caFileOf(dataDir) };
}

export function caFileOf(dataDir: string): string {
  return path.join(path.resolve(dataDir), "tls", "ca.pem");
}

type Method = "GET" | "PUT" | "POST" | "PATCH" | "DELETE";

export class Session {
  readonly http: HttpClient;
  /** False when flags or environment point this one command at another server: then nothing is cached on disk. */
  private readonly persistent: boolean;
  /** Vault hosts whose challenge this command has checked, with the resource it named (one command, few hosts). */
  private readonly challenged = new Map<string, string>();

  private constructor(
    private readonly profile: Profile,
    readonly location: ServerLocation,
    debug: boolean,
  ) {
    this.http = new HttpClient({ caFile: location.caFile, debug });
    this.persistent = location.serverUrl === profile.serverUrl;
  }

  /** Opens the saved login; --port/--data-dir (or their environment variables) override what login recorded. */
  static open(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Session {
    const profile = readProfile();
    if (profile === undefined) throw new NotLoggedInError();
    const portGiven = globals.port !== undefined || Boolean(env.KLUIS_PORT);
    const dataDirGiven = globals.dataDir !== undefined || Boolean(env.KLUIS_DATA_DIR);
    const given = serverLocation(globals, env);
    const location: ServerLocation = {
      serverUrl: portGiven ? given.serverUrl : profile.serverUrl,
      dataDir: dataDirGiven ? given.dataDir : profile.dataDir,
      caFile: dataDirGiven ? given.caFile : profile.caFile,
    };
    return new Session(profile, location, globals.debug ?? false);
  }

  get subscriptionId(): string {
    return this.profile.subscription.id;
  }

  get tenantId(): string {
    return this.profile.tenantId;
  }

  get appId(): string {
    return this.profile.principal.appId;
  }

  get account(): Profile {
    return this.profile;
  }

  async token(resource: string, forceRefresh = false): Promise<string> {
    const cached = this.profile.tokens[resource];
    if (!forceRefresh && this.persistent && isFresh(cached)) return cached.accessToken;
    const { appId, secret } = this.profile.principal;
    const fresh = await requestToken(this.http, { serverUrl: this.location.serverUrl, tenantId: this.tenantId, appId, secret }, resource);
    if (this.persistent) {
      this.profile.tokens[resource] = fresh;
      writeProfile(this.profile);
    }
    return fresh.accessToken;
  }

  /** The object id of the logged-in principal, from the `oid` claim az also relies on. */
  async objectId(): Promise<string> {
    const oid = tokenClaims(await this.token(RESOURCES.management))?.oid;
    if (typeof oid === "string") return oid;
    const principals = await this.graph<{ value: { id: string }[] }>("GET", `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${this.appId}'`)}`);
    const id = principals.value[0]?.id;
    if (id === undefined) throw new CliError("Unable to determine the object id of the logged-in principal.");
    return id;
  }

  /** An ARM call: `path` starts at /subscriptions; returns the parsed body (undefined for 204). */
  async arm<T = unknown>(method: Method, armPath: string, apiVersion: string, body?: unknown): Promise<T> {
    const separator = armPath.includes("?") ? "&" : "?";
    const url = `${this.location.serverUrl}${armPath}${separator}api-version=${apiVersion}`;
    const response = await this.authorized(RESOURCES.management, { method, url, json: body });
    return (await this.awaitLongRunning(method, url, response)).body as T;
  }

  /** An ARM list, following nextLink to the end. */
  async armList<T>(armPath: string, apiVersion: string): Promise<T[]> {
    const items: T[] = [];
    let page = await this.arm<{ value?: T[]; nextLink?: string | null }>("GET", armPath, apiVersion);
    items.push(...(page.value ?? []));
    while (page.nextLink) {
      const response = await this.authorized(RESOURCES.management, { method: "GET", url: new URL(page.nextLink, this.location.serverUrl).toString() });
      page = response.body as { value?: T[]; nextLink?: string | null };
      items.push(...(page.value ?? []));
    }
    return items;
  }

  async graph<T = unknown>(method: Method, graphPath: string, body?: unknown): Promise<T> {
    const response = await this.authorized(RESOURCES.graph, { method, url: `${this.location.serverUrl}${graphPath}`, json: body });
    return response.body as T;
  }

  /**
   * A vault data-plane call; `vaultUrl` is `https://<vault>.<suffix>/`, `pathAndQuery` starts with a slash (or is a
   * server's absolute nextLink). The host must be a vault of the cloud's suffix, whoever named it.
   */
  async vault<T = unknown>(method: Method, vaultUrl: string, pathAndQuery: string, body?: unknown): Promise<T> {
    const url = new URL(pathAndQuery, vaultUrl);
    const suffix = await this.vaultSuffix();
    assertVaultHost(url, suffix);
    if (!url.searchParams.has("api-version")) url.searchParams.set("api-version", API_VERSIONS.vaultData);
    const request = { method, url: url.toString(), json: body };
    const resource = await this.vaultResource(request, url, suffix);
    const response = await this.authorized(resource, request);
    return response.body as T;
  }

  /**
   * As the Key Vault SDKs do: the first request to a vault host goes without token and without body; its 401
   * challenge must name this cloud's vault resource, and the token is then asked for that resource.
   */
  private async vaultResource(request: { method: Method; url: string }, url: URL, suffix: string): Promise<string> {
    const known = this.challenged.get(url.host);
    if (known !== undefined) return known;
    const probe = await this.http.send({ method: request.method, url: request.url });
    if (probe.status !== 401) {
      if (probe.status >= 400) throw toRequestError(probe);
      throw new CliError(`${url.origin} answered without asking for a token; it is not a vault of this cloud, and no token was sent.`);
    }
    const resource = challengedResource(probe.headers["www-authenticate"], url, suffix);
    this.challenged.set(url.host, resource);
    return resource;
  }

  /** Every page of a Key Vault list, following nextLink to the end (or until `limit` items). */
  async vaultList<T>(vaultUrl: string, pathAndQuery: string, limit?: number): Promise<T[]> {
    const items: T[] = [];
    let next: string | null | undefined = new URL(pathAndQuery, vaultUrl).toString();
    while (next && (limit === undefined || items.length < limit)) {
      const page: { value?: T[]; nextLink?: string | null } = await this.vault("GET", vaultUrl, next);
      items.push(...(page.value ?? []));
      next = page.nextLink;
    }
    return limit === undefined ? items : items.slice(0, limit);
  }

  /** `https://<vault>.<suffix>/` for `--vault-name`, which must follow the vault-name rule. */
  async vaultUrl(vaultName: string): Promise<string> {
    assertVaultNameArgument(vaultName);
    return `https://${vaultName.toLowerCase()}.${await this.vaultSuffix()}/`;
  }

  /** The cloud's keyVaultDns (e.g. `vault.localhost:8443`), from the configured server's metadata. */
  private async vaultSuffix(): Promise<string> {
    let suffix = this.persistent ? this.profile.keyVaultDns : undefined;
    if (suffix === undefined) {
      suffix = await fetchKeyVaultDns(this.http, this.location.serverUrl);
      if (this.persistent) {
        this.profile.keyVaultDns = suffix;
        writeProfile(this.profile);
      }
    }
    return suffix;
  }

  close(): void {
    this.http.close();
  }

  private async authorized(resource: string, request: { method: Method; url: string; json?: unknown }): Promise<HttpResponse> {
    // ARM and Graph live on the configured server only: a nextLink or Location elsewhere gets no token.
    if (resource === RESOURCES.management || resource === RESOURCES.graph) {
      const origin = new URL(request.url).origin;
      if (origin !== new URL(this.location.serverUrl).origin) throw new CliError(`Refusing to send a token to ${origin}: it is not the configured server.`);
    }
    const first = await this.http.send({ ...request, token: await this.token(resource) });
    // A cached token the server no longer accepts (restarted with new keys, clock skew): get a new one, once.
    const response = first.status === 401 ? await this.http.send({ ...request, token: await this.token(resource, true) }) : first;
    if (response.status < 200 || response.status >= 300) throw toRequestError(response);
    return response;
  }

  /**
   * ARM may answer 202 with a Location or Azure-AsyncOperation header; az waits for the operation, and so do we.
   * A PUT/PATCH then re-reads the resource so that the command prints its final state.
   */
  private async awaitLongRunning(method: Method, url: string, response: HttpResponse): Promise<HttpResponse> {
    if (response.status !== 202) return response;
    const monitor = header(response, "azure-asyncoperation") ?? header(response, "location");
    if (monitor === undefined) return response;
    const deadline = Date.now() + 10 * 60 * 1000;
    let current = response;
    for (;;) {
      if (Date.now() > deadline) throw new CliError("Timed out waiting for the operation to finish.");
      await sleep(Math.min(Number(header(current, "retry-after") ?? 1), 5) * 1000);
      current = await this.authorized(RESOURCES.management, { method: "GET", url: new URL(monitor, url).toString() });
      const status = (current.body as { status?: string } | undefined)?.status;
      if (current.status === 202 || status === "InProgress" || status === "Running") continue;
      if (status === "Failed" || status === "Canceled") {
        const error = (current.body as { error?: { code?: string; message?: string } }).error;
        throw new CliError(`(${error?.code ?? status}) ${error?.message ?? "The operation did not succeed."}`);
      }
      break;
    }
    if (method === "PUT" || method === "PATCH") return this.authorized(RESOURCES.management, { method: "GET", url });
    return { ...current, body: undefined };
  }
}

export async function fetchKeyVaultDns(http: HttpClient, serverUrl: string): Promise<string> {
  const response = await http.call({ method: "GET", url: `${serverUrl}/metadata/endpoints?api-version=${API_VERSIONS.metadata}` });
  const clouds = response.body as { suffixes?: { keyVaultDns?: string } }[] | { suffixes?: { keyVaultDns?: string } };
  const cloud = Array.isArray(clouds) ? clouds[0] : clouds;
  const suffix = cloud?.suffixes?.keyVaultDns;
  if (typeof suffix !== "string" || suffix === "") throw new CliError("The server's metadata endpoint names no Key Vault DNS suffix.");
  // Azure writes the suffix with a leading dot (".vault.azure.net"); accept both spellings.
  return suffix.replace(/^\./, "");
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Splits a Key Vault object id `https://<vault-host>/secrets/<name>[/<version>]`. */
export function parseObjectId(id: string, collection: string): { vaultUrl: string; name: string; version?: string } {
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    throw new UsageError(`argument --id: invalid Key Vault ${collection} id: '${id}'`);
  }
  const segments = url.pathname.split("/").filter(Boolean);
  if (segments.length < 2 || segments.length > 3 || segments[0] !== collection || segments[1] === undefined) {
    throw new UsageError(`argument --id: invalid Key Vault ${collection} id: '${id}'`);
  }
  return { vaultUrl: `${url.origin}/`, name: segments[1], version: segments[2] };
}
