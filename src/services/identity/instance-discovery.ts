/**
 * Instance discovery (`/common/discovery/instance`), as Entra answers it for its own hosts. MSAL asks it before
 * trusting an authority it doesn't know: msal-node always asks login.microsoftonline.com (the address is built in),
 * MSAL Python asks login.microsoftonline.com or the URL given as `instance_discovery`. Where that name resolves to
 * Kluis, or a client is pointed here, Kluis vouches for the names it answers to and refuses others as Entra does.
 *
 * What MSAL reads: msal-node needs `tenant_discovery_endpoint` and `metadata` (a list of `{preferred_network,
 * preferred_cache, aliases}`, matched against the authority's host:port); MSAL Python fetches the OpenID
 * configuration from `tenant_discovery_endpoint` and treats `error: "invalid_instance"` as untrusted.
 */
import { OAuthError } from "../../domain/errors.js";
import type { RequestContext, Reply } from "../../http/types.js";
import type { AppServices } from "../app-services.js";

const AUTHORIZE_PATH = /^\/([^/]+)\/oauth2\/(v2\.0\/)?authorize\/?$/i;

const invalidInstance = () =>
  new OAuthError(400, "invalid_instance", "AADSTS50049: Unknown or invalid instance.", [50049]);

/** The host names this server answers to as an authority: its configured name, loopback, and the one used to reach it. */
function ownHostnames(ctx: RequestContext, app: AppServices): Set<string> {
  const configured = new URL(app.endpoints.authorityUrl).hostname.toLowerCase();
  const reached = ctx.hostname.includes(":") ? `[${ctx.hostname}]` : ctx.hostname; // URL.hostname keeps IPv6 brackets
  return new Set([configured, "localhost", "127.0.0.1", "[::1]", reached.toLowerCase()].filter(Boolean));
}

export async function instanceDiscovery(ctx: RequestContext, app: AppServices): Promise<Reply> {
  const apiVersion = ctx.query.get("api-version");
  if (!apiVersion) {
    throw new OAuthError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'api-version'.", [900144]);
  }
  const given = ctx.query.get("authorization_endpoint");
  if (!given) {
    throw new OAuthError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'authorization_endpoint'.", [900144]);
  }
  let endpoint: URL;
  try {
    endpoint = new URL(given);
  } catch {
    throw invalidInstance();
  }
  const path = AUTHORIZE_PATH.exec(endpoint.pathname);
  if (endpoint.protocol !== "https:" || !path || !ownHostnames(ctx, app).has(endpoint.hostname.toLowerCase())) throw invalidInstance();
  const tenant = path[1]!;
  const v2 = path[2] !== undefined;
  // The discovery document and the preferred network name are this server's own authority URL, as configured: MSAL
  // Python drops the port from the authorize endpoint it sends, and msal-node checks the document's issuer against
  // the host it then talks to. The name the client used stays an alias, as login.windows.net is one of Entra's.
  const authority = new URL(app.endpoints.authorityUrl).host.toLowerCase();
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${app.endpoints.authorityUrl}/${tenant}${v2 ? "/v2.0" : ""}/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: authority, preferred_cache: authority, aliases: [...new Set([authority, endpoint.host.toLowerCase()])] }],
    },
  };
}
