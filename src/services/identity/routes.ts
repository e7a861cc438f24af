/** Entra-compatible discovery and token routes of the identity authority. */
import type { Route } from "../../http/types.js";
import { certificatePem } from "../../domain/certificates/issuing-ca.js";
import { DomainError } from "../../domain/errors.js";
import type { AppServices } from "../app-services.js";
import { instanceDiscovery } from "./instance-discovery.js";
import { issueToken } from "./token-endpoint.js";

const PUBLIC = { kind: "public" } as const;

function openIdConfiguration(app: AppServices, tenant: string, version: 1 | 2) {
  const base = `${app.endpoints.authorityUrl}/${tenant}`;
  const v = version === 2 ? "/v2.0" : "";
  return {
    issuer: app.authority.issuerFor(version),
    authorization_endpoint: `${base}/oauth2${v}/authorize`,
    token_endpoint: `${base}/oauth2${v}/token`,
    jwks_uri: `${base}/discovery${v}/keys`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", version === 2 ? "azp" : "appid", "ver"],
    tenant_region_scope: "NA",
    cloud_instance_name: "kluis",
    request_uri_parameter_supported: false,
  };
}

export const identityRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/{tenant}/v2.0/.well-known/openid-configuration",
    operation: "OpenIdConfiguration",
    permission: PUBLIC,
    handler: async (ctx, app) => ({ status: 200, body: openIdConfiguration(app, ctx.params.tenant!, 2) }),
  },
  {
    method: "GET",
    path: "/{tenant}/.well-known/openid-configuration",
    operation: "OpenIdConfigurationV1",
    permission: PUBLIC,
    handler: async (ctx, app) => ({ status: 200, body: openIdConfiguration(app, ctx.params.tenant!, 1) }),
  },
  { method: "GET", path: "/{tenant}/discovery/v2.0/keys", operation: "Keys", permission: PUBLIC, handler: async (_ctx, app) => ({ status: 200, body: app.authority.jwks(2) }) },
  { method: "GET", path: "/{tenant}/discovery/keys", operation: "KeysV1", permission: PUBLIC, handler: async (_ctx, app) => ({ status: 200, body: app.authority.jwks(1) }) },
  // `/common/discovery/instance` is the address MSAL uses; Entra answers under any tenant segment.
  { method: "GET", path: "/{tenant}/discovery/instance", operation: "InstanceDiscovery", permission: PUBLIC, handler: instanceDiscovery },
  { method: "POST", path: "/{tenant}/oauth2/v2.0/token", operation: "Token", permission: PUBLIC, handler: (ctx, app) => issueToken(ctx, app, 2) },
  { method: "POST", path: "/{tenant}/oauth2/token", operation: "TokenV1", permission: PUBLIC, handler: (ctx, app) => issueToken(ctx, app, 1) },
  {
    // Kluis's own: the certificate of the tenant's issuing CA (the built-in `Kluis` certificate issuer), public
    // like a CA certificate is, for clients to trust the certificates the tenant's vaults issue.
    method: "GET",
    path: "/{tenant}/kluis/issuing-ca.pem",
    operation: "IssuingCaCertificate",
    permission: PUBLIC,
    handler: async (ctx, app) => {
      if (ctx.params.tenant!.toLowerCase() !== app.authority.tenantId.toLowerCase()) throw new DomainError("NotFound", "No such tenant.");
      const pem = certificatePem(await app.issuingCas.certificate(app.authority.tenantId));
      return { status: 200, text: pem, headers: { "content-type": "application/x-pem-file" } };
    },
  },
];
