/**
 * The vault data plane: `https://<vault>.<suffix>`, one surface for its collections: secrets, keys and
 * certificates, sibling route tables. Resolves the vault from the host, answers the bearer challenge
 * before anything else (clients send their first request without a token), verifies the token for the vault
 * audiences and checks the api-version.
 */
import { DomainError } from "../../domain/errors.js";
import { isVaultName } from "../../domain/names.js";
import type { Principal } from "../../domain/principal.js";
import { peekClaims, TokenRejected } from "../../crypto/tokens.js";
import type { Surface } from "../../http/pipeline.js";
import { bearerToken } from "../../http/bearer.js";
import { Router } from "../../http/router.js";
import type { RequestContext } from "../../http/types.js";
import type { VaultRecord } from "../../storage/types.js";
import type { AppServices } from "../app-services.js";
import { checkVaultApiVersion } from "./api-version.js";
import { certificateIssuerRoutes } from "./certificates/issuer-routes.js";
import { certificateLifecycleRoutes } from "./certificates/lifecycle-routes.js";
import { certificateOperationRoutes } from "./certificates/operation-routes.js";
import { keyBackupRoutes } from "./keys/backup-routes.js";
import { keyLifecycleRoutes } from "./keys/lifecycle-routes.js";
import { keyOperationRoutes } from "./keys/operation-routes.js";
import { keyRotationRoutes } from "./keys/rotation-routes.js";
import { secretBackupRoutes } from "./secrets/backup-routes.js";
import { secretRoutes } from "./secrets/routes.js";

export function vaultSurface(app: AppServices): Surface<AppServices> {
  const suffix = `.${app.endpoints.vaultSuffix}`;
  return {
    name: "vault",
    // The router takes the first match: literal routes (…/rotationpolicy, /certificates/issuers) come before the
    // lifecycle's {name} and {version} ones.
    router: new Router([
      ...secretRoutes,
      ...secretBackupRoutes,
      ...keyOperationRoutes,
      ...keyRotationRoutes,
      ...keyBackupRoutes,
      ...keyLifecycleRoutes,
      ...certificateIssuerRoutes,
      ...certificateOperationRoutes,
      ...certificateLifecycleRoutes,
    ]),
    services: app,
    authorizer: app.authorizer,
    async prepare(ctx) {
      const name = ctx.hostname.slice(0, -suffix.length);
      // The name is the client's choice: check it by the vault-name rule before it reaches a lookup or a cache.
      const vault = isVaultName(name) ? await app.vaults.byName(name) : null;
      if (!vault) {
        throw new DomainError("VaultNotFound", `The vault '${quotedName(name)}' was not found. Check the vault name in the request URL.`);
      }
      ctx.scope.vault = vault;
      ctx.scope.vaultUri = app.endpoints.vaultUri(vault.name);
      const token = bearerToken(ctx);
      if (!token) throw new DomainError("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
      ctx.scope.bearer = token;
      return undefined;
    },
    authenticate: (ctx) => authenticate(ctx, app),
    validate(ctx, route) {
      ctx.scope.apiVersion = checkVaultApiVersion(ctx.query.get("api-version"));
      // Counted after authentication, so that requests without a valid token cannot spend a vault's budget.
      app.vaultLimits?.take((ctx.scope.vault as VaultRecord).name.toLowerCase(), route.operation, ctx.path);
    },
    finish(ctx, reply) {
      if (reply.status !== 401) return reply;
      const vault = ctx.scope.vault as VaultRecord | undefined;
      const tenant = vault?.properties.tenantId ?? app.authority.tenantId;
      const challenge = `Bearer authorization="${app.endpoints.authorityUrl}/${tenant}", resource="${app.endpoints.vaultResource}"`;
      return { ...reply, headers: { ...reply.headers, "www-authenticate": challenge } };
    },
  };
}

/** A name longer than any vault name is cut in the reply: an 8 KB host name is not echoed back whole. */
function quotedName(name: string): string {
  return name.length > 24 ? `${name.slice(0, 24)}…` : name;
}

async function authenticate(ctx: RequestContext, app: AppServices): Promise<Principal> {
  const token = ctx.scope.bearer as string;
  let principal: Principal;
  try {
    principal = await app.authority.authenticate(token, app.endpoints.audiences.vault);
  } catch (error) {
    if (error instanceof TokenRejected) throw new DomainError("Unauthorized", vaultTokenMessage(error, token, app));
    throw error;
  }
  const vault = ctx.scope.vault as VaultRecord;
  if (principal.tenantId !== vault.properties.tenantId) {
    throw new DomainError("Unauthorized", `AKV10032: Invalid issuer. Expected one of ${app.authority.acceptedIssuers.join(", ")}, found ${principal.issuer}.`);
  }
  return principal;
}

function vaultTokenMessage(error: TokenRejected, token: string, app: AppServices): string {
  const claims = peekClaims(token);
  switch (error.reason) {
    case "audience":
      return `AKV10022: Invalid audience. Expected ${app.endpoints.vaultResource}, found: ${String(claims?.aud ?? "")}.`;
    case "issuer":
      return `AKV10032: Invalid issuer. Expected one of ${app.authority.acceptedIssuers.join(", ")}, found ${String(claims?.iss ?? "")}.`;
    case "expired":
      return "AKV10020: The access token has expired.";
    case "not-yet-valid":
      return "AKV10020: The access token is not yet valid.";
    case "algorithm":
      return "AKV10021: The access token's signing algorithm is not accepted.";
    case "signature":
      return "AKV10021: The access token's signature could not be verified.";
    case "revoked":
      return "AKV10021: The access token has been revoked: its principal no longer exists or its credentials were reset.";
    default:
      return "AKV10021: The access token is malformed.";
  }
}

