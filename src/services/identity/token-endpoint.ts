/** The OAuth 2.0 token endpoint: client_credentials by client secret or by signed client assertion. */
import { ASSERTION_CLOCK_TOLERANCE_SECONDS, AssertionRejected, verifyClientAssertion } from "../../crypto/client-assertion.js";
import { Directory } from "../../domain/directory.js";
import { OAuthError } from "../../domain/errors.js";
import { StoreError, type PrincipalRecord } from "../../storage/types.js";
import type { RequestContext, Reply } from "../../http/types.js";
import type { AppServices } from "../app-services.js";
import { assertKnownResource } from "./resources.js";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access"]);

/** `version` 2 takes `scope=<resource>/.default`; version 1 takes `resource=`. */
export async function issueToken(ctx: RequestContext, app: AppServices, version: 1 | 2): Promise<Reply> {
  const form = await ctx.form();
  const tenant = ctx.params.tenant ?? "";
  if (tenant.toLowerCase() !== app.authority.tenantId) {
    throw new OAuthError(400, "invalid_request", `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, [90002]);
  }
  const grantType = form.get("grant_type");
  if (grantType !== "client_credentials") {
    throw new OAuthError(400, "unsupported_grant_type", `AADSTS70003: The app requested an unsupported grant type '${grantType ?? ""}'.`, [70003]);
  }
  const clientId = required(form, "client_id");
  const resource = version === 2 ? resourceFromScope(required(form, "scope")) : required(form, "resource");
  assertKnownResource(app, resource);
  const principal = await app.directory.getByAppId(clientId);
  const address = ctx.req.socket.remoteAddress;
  if (!principal || principal.kind !== "ServicePrincipal") {
    const unknown = new OAuthError(
      400,
      "unauthorized_client",
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${app.authority.tenantId}'. ` +
        "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
        "You may have sent your authentication request to the wrong tenant.",
      [700016],
    );
    // An unknown client id is the caller's free text: it counts against the address only.
    throw refuse(app, undefined, address, unknown);
  }
  let method: "secret" | "certificate";
  try {
    method = await authenticateClient(form, principal, app, tenant, resource);
  } catch (error) {
    if (error instanceof OAuthError && error.status === 401) throw refuse(app, principal.appId, address, error);
    throw error;
  }
  const token = await app.authority.issue(principal, resource, method, version);
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    expires_in: token.expiresIn - 1,
    ext_expires_in: token.expiresIn - 1,
    access_token: token.accessToken,
  };
  if (version === 1) Object.assign(body, { expires_on: String(token.expiresOn), not_before: String(token.notBefore), resource });
  return { status: 200, body, headers: { "cache-control": "no-store, no-cache", pragma: "no-cache" } };
}

async function authenticateClient(form: URLSearchParams, principal: PrincipalRecord, app: AppServices, tenant: string, resource: string): Promise<"secret" | "certificate"> {
  const secret = form.get("client_secret");
  if (secret !== null) {
    if (Directory.secretIsValid(principal, secret)) return "secret";
    throw new OAuthError(
      401,
      "invalid_client",
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, " +
        `not the client secret ID, for a secret added to app '${principal.appId}'.`,
      [7000215],
    );
  }
  const assertion = form.get("client_assertion");
  if (assertion !== null) {
    if (form.get("client_assertion_type") !== ASSERTION_TYPE) {
      throw new OAuthError(400, "invalid_request", `AADSTS50027: client_assertion_type must be ${ASSERTION_TYPE}.`, [50027]);
    }
    const base = `${app.endpoints.authorityUrl}/${tenant}`;
    try {
      const { jti, exp } = await verifyClientAssertion(assertion, principal.certificates, {
        clientId: principal.appId,
        audiences: [`${base}/oauth2/v2.0/token`, `${base}/oauth2/token`],
      });
      // Remember the jti for as long as the assertion is still accepted: until exp plus the allowed clock skew.
      await app.replayGuard.check(principal.appId, jti, resource, exp + ASSERTION_CLOCK_TOLERANCE_SECONDS);
    } catch (error) {
      if (error instanceof StoreError) throw error; // storage down: 503, not a verdict on the client
      const text = error instanceof AssertionRejected || error instanceof OAuthError ? error.message : "Client assertion is invalid.";
      throw new OAuthError(401, "invalid_client", `AADSTS700027: ${text}`, [700027]);
    }
    return "certificate";
  }
  throw new OAuthError(
    401,
    "invalid_client",
    "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    [7000216],
  );
}

/** A failed client authentication: counted, and answered 429 once the client or its address is over the limit. */
function refuse(app: AppServices, clientId: string | undefined, address: string | undefined, failure: OAuthError): OAuthError {
  return app.signInFailures.failed(clientId, address, failure);
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) {
    throw new OAuthError(400, "invalid_request", `AADSTS900144: The request body must contain the following parameter: '${name}'.`, [900144]);
  }
  return value;
}

function resourceFromScope(scope: string): string {
  const scopes = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
  const only = scopes.length === 1 ? scopes[0]! : undefined;
  if (!only || !only.endsWith("/.default")) {
    throw new OAuthError(
      400,
      "invalid_scope",
      `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      [1002012],
    );
  }
  return only.slice(0, -"/.default".length);
}
