/**
 * Client-credentials token requests against the server's Entra-like authority, and reading claims out of the
 * tokens it issues. The CLI only reads claims (never verifies signatures): the token came straight from the
 * server over TLS, and the server is the one that verifies it on every call.
 */
import type { HttpClient } from "./http.js";
import { CliError } from "./errors.js";
import type { CachedToken } from "./profile.js";

/** The audiences the server knows, under their Azure names, so that tokens look like Azure's to every client. */
export const RESOURCES = {
  management: "https://management.azure.com",
  vault: "https://vault.azure.net",
  graph: "https://graph.microsoft.com",
} as const;

export interface ClientCredentials {
  serverUrl: string;
  tenantId: string;
  appId: string;
  secret: string;
}

export async function requestToken(http: HttpClient, credentials: ClientCredentials, resource: string): Promise<CachedToken> {
  const url = `${credentials.serverUrl}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`;
  const response = await http.call({
    method: "POST",
    url,
    form: {
      grant_type: "client_credentials",
      client_id: credentials.appId,
      client_secret: credentials.secret,
      scope: `${resource}/.default`,
    },
  });
  const body = response.body as { access_token?: unknown; expires_in?: unknown } | undefined;
  if (typeof body?.access_token !== "string") throw new CliError("The token endpoint returned no access token.");
  const lifetime = Number(body.expires_in ?? 3599);
  return { accessToken: body.access_token, expiresOn: Math.floor(Date.now() / 1000) + (Number.isFinite(lifetime) ? lifetime : 3599) };
}

/** Reads a JWT's payload without verifying it; undefined when it is not a JWT. */
export function tokenClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** az refreshes a token five minutes before it expires, so that it never expires in flight. */
export const TOKEN_REFRESH_MARGIN_SECONDS = 300;

export function isFresh(token: CachedToken | undefined, nowSeconds = Date.now() / 1000): token is CachedToken {
  return token !== undefined && token.expiresOn - TOKEN_REFRESH_MARGIN_SECONDS > nowSeconds;
}
