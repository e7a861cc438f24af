/**
 * The authority host (`https://localhost:8443`): identity authority (public), management plane (management
 * audience) and directory (Graph audience), plus health and cloud-metadata endpoints.
 */
import { DomainError } from "../domain/errors.js";
import type { Principal } from "../domain/principal.js";
import { peekClaims, TokenRejected } from "../crypto/tokens.js";
import type { Surface } from "../http/pipeline.js";
import { bearerToken } from "../http/bearer.js";
import { Router } from "../http/router.js";
import type { RequestContext, Route } from "../http/types.js";
import type { AppServices } from "./app-services.js";
import { checkArmApiVersion, forEveryGraphVersion, graphVersionOf } from "./api-versions.js";
import { graphRoutes } from "./graph/routes.js";
import { identityRoutes } from "./identity/routes.js";
import { deletedVaultRoutes } from "./management/deleted-vault-routes.js";
import { authorizationRoutes } from "./authorization/routes.js";
import { cloudMetadataFor, type CloudMetadata } from "./management/cloud-metadata.js";
import { machineRoutes } from "./management/machine-routes.js";
import { managedHsmRoutes } from "./management/managed-hsm-routes.js";
import { managementRoutes } from "./management/routes.js";
import { vaultSecretRoutes } from "./management/vault-secret-routes.js";

const PUBLIC = { kind: "public" } as const;

function cloudMetadata(app: AppServices): CloudMetadata {
  const url = app.endpoints.authorityUrl;
  return {
    name: "Kluis",
    portal: url,
    authentication: { loginEndpoint: `${url}/`, audiences: ["https://management.core.windows.net/", "https://management.azure.com/"], tenant: app.authority.tenantId, identityProvider: "AAD" },
    graph: `${url}/`,
    graphAudience: "https://graph.microsoft.com",
    microsoftGraphResourceId: `${url}/`,
    resourceManager: `${url}/`,
    suffixes: { keyVaultDns: app.endpoints.vaultDns, mhsmDns: `managedhsm.${app.endpoints.vaultDns}` },
  };
}

const miscRoutes: Route<AppServices>[] = [
  { method: "GET", path: "/healthz", operation: "Health", permission: PUBLIC, handler: async () => ({ status: 200, body: { status: "ok" } }) },
  {
    method: "GET",
    path: "/readyz",
    operation: "Ready",
    permission: PUBLIC,
    handler: async (_ctx, app) => {
      if (app.lifecycle.draining) return { status: 503, body: { status: "shutting down" } };
      await app.store.settings.get("tenant.id");
      return { status: 200, body: { status: "ready" } };
    },
  },
  { method: "GET", path: "/metadata/endpoints", operation: "CloudMetadata", permission: PUBLIC, handler: async (ctx, app) => ({ status: 200, body: cloudMetadataFor(ctx.query.get("api-version"), cloudMetadata(app)) }) },
];

export function authoritySurface(app: AppServices): Surface<AppServices> {
  return {
    name: "authority",
    router: new Router([...miscRoutes, ...identityRoutes, ...managementRoutes, ...deletedVaultRoutes, ...vaultSecretRoutes, ...managedHsmRoutes, ...machineRoutes, ...authorizationRoutes, ...forEveryGraphVersion(graphRoutes)]),
    services: app,
    authorizer: app.authorizer,
    authenticate: (ctx) => authenticate(ctx, app),
    validate(ctx, route) {
      if (/^\/(subscriptions|providers)(\/|$)/i.test(route.path)) {
        ctx.scope.apiVersion = checkArmApiVersion(route.path, ctx.query.get("api-version")).behavesAs;
      }
    },
  };
}

async function authenticate(ctx: RequestContext, app: AppServices): Promise<Principal> {
  const token = bearerToken(ctx);
  if (!token) throw new DomainError("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
  const graph = graphVersionOf(ctx.path) !== undefined;
  try {
    return await app.authority.authenticate(token, graph ? app.endpoints.audiences.graph : app.endpoints.audiences.management);
  } catch (error) {
    if (!(error instanceof TokenRejected)) throw error;
    if (error.reason === "expired") throw new DomainError("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time.");
    if (error.reason === "audience") throw new DomainError("InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource.");
    if (error.reason === "issuer") {
      const found = String(peekClaims(token)?.iss ?? "");
      throw new DomainError(
        "InvalidAuthenticationTokenTenant",
        `The access token is from the wrong issuer '${found}'. It must match the tenant '${app.authority.issuerV1}' associated with this subscription. ` +
          `Please use the authority (URL) '${app.endpoints.authorityUrl}/${app.authority.tenantId}' to get the token.`,
      );
    }
    throw new DomainError("InvalidAuthenticationToken", `The access token is invalid: ${error.message}.`);
  }
}
