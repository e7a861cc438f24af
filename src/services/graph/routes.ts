/** A Microsoft Graph subset for service principals: what `create-for-rbac` and `--spn` lookups need. */
import { X509Certificate } from "node:crypto";
import { DomainError } from "../../domain/errors.js";
import { readJsonObject } from "../../http/body.js";
import type { RequestContext, Route } from "../../http/types.js";
import type { PrincipalRecord } from "../../storage/types.js";
import type { AppServices } from "../app-services.js";
import { applicationBody, passwordBody, servicePrincipalBody } from "./body-schemas.js";

const directory = (action: string) => ({ kind: "management", action }) as const;

function applicationJson(p: PrincipalRecord) {
  return {
    id: p.appObjectId,
    appId: p.appId,
    displayName: p.displayName,
    createdDateTime: new Date(p.createdAt).toISOString(),
    signInAudience: "AzureADMyOrg",
    keyCredentials: p.certificates.map((key) => ({ type: "AsymmetricX509Cert", usage: "Verify", key })),
  };
}

function servicePrincipalJson(p: PrincipalRecord) {
  return {
    id: p.objectId,
    appId: p.appId,
    displayName: p.displayName,
    servicePrincipalType: p.kind === "ManagedIdentity" ? "ManagedIdentity" : "Application",
    servicePrincipalNames: [p.appId, ...(p.resourceId ? [p.resourceId] : [])],
    appOwnerOrganizationId: p.tenantId,
    accountEnabled: true,
  };
}

const body = (ctx: RequestContext) => readJsonObject(ctx, "graph");

/** Supports the filters az sends: appId eq '…' and servicePrincipalNames/any(c:c eq '…'). */
function filterPrincipals(all: PrincipalRecord[], filter: string | undefined): PrincipalRecord[] {
  if (!filter) return all;
  const byAppId = /^appId eq '([^']*)'$/i.exec(filter.trim());
  if (byAppId) return all.filter((p) => p.appId === byAppId[1]);
  const byName = /^servicePrincipalNames\/any\(\w+:\w+ eq '([^']*)'\)$/i.exec(filter.trim());
  if (byName) return all.filter((p) => servicePrincipalJson(p).servicePrincipalNames.includes(byName[1]!));
  const byDisplay = /^displayName eq '([^']*)'$/i.exec(filter.trim());
  if (byDisplay) return all.filter((p) => p.displayName === byDisplay[1]);
  throw new DomainError("BadRequest", `Unsupported or invalid query filter clause specified: '${filter}'.`);
}

function decodeCertificates(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new DomainError("BadRequest", "keyCredentials must be an array.");
  return raw.map((entry) => {
    const key = (entry as { key?: unknown }).key;
    if (typeof key !== "string" || key.length === 0) throw new DomainError("BadRequest", "Each key credential needs a base64 'key' (a DER certificate).");
    try {
      new X509Certificate(Buffer.from(key, "base64"));
    } catch {
      throw new DomainError("BadRequest", "Key credential's key is not a valid base64-encoded DER X.509 certificate.");
    }
    return key;
  });
}

export const graphRoutes: Route<AppServices>[] = [
  {
    // Every Kluis token is app-only (a service principal or a managed identity): Graph answers /me for those with
    // this error, and az (keyvault create, role assignments) catches it and looks the principal up by its appId
    // through servicePrincipals?$filter=servicePrincipalNames/any(...) instead.
    method: "GET",
    path: "/v1.0/me",
    operation: "GetSignedInUser",
    permission: { kind: "authenticated" },
    handler: async () => {
      throw new DomainError("BadRequest", "/me request is only valid with delegated authentication flow.");
    },
  },
  {
    method: "POST",
    path: "/v1.0/applications",
    operation: "CreateApplication",
    permission: directory("microsoft.directory/applications/create"),
    body: applicationBody,
    handler: async (ctx, app) => {
      const input = await body(ctx);
      if (typeof input.displayName !== "string" || !input.displayName.trim()) throw new DomainError("BadRequest", "The property 'displayName' is required.");
      const principal = await app.directory.createApplication(input.displayName, { certificates: decodeCertificates(input.keyCredentials) });
      return { status: 201, body: applicationJson(principal) };
    },
  },
  {
    method: "POST",
    path: "/v1.0/applications/{id}/addPassword",
    operation: "AddApplicationPassword",
    permission: directory("microsoft.directory/applications/credentials/update"),
    body: passwordBody,
    handler: async (ctx, app) => {
      const principal = await app.directory.getByAppObjectId(ctx.params.id!);
      if (!principal) throw new DomainError("NotFound", `Resource '${ctx.params.id}' does not exist or one of its queried reference-property objects are not present.`);
      const { password } = await app.directory.addPassword(principal.objectId);
      const now = new Date();
      const end = new Date(now.getTime() + 365 * 86_400_000);
      return {
        status: 200,
        body: { customKeyIdentifier: null, displayName: null, endDateTime: end.toISOString(), hint: password.slice(0, 3), keyId: crypto.randomUUID(), secretText: password, startDateTime: now.toISOString() },
        headers: { "cache-control": "no-store" },
      };
    },
  },
  {
    method: "POST",
    path: "/v1.0/servicePrincipals",
    operation: "CreateServicePrincipal",
    permission: directory("microsoft.directory/servicePrincipals/create"),
    body: servicePrincipalBody,
    handler: async (ctx, app) => {
      const appId = (await body(ctx)).appId;
      const principal = typeof appId === "string" ? await app.directory.getByAppId(appId) : null;
      if (!principal) throw new DomainError("BadRequest", "The appId of an existing application is required.");
      // The application and its service principal are created together; this returns the existing one.
      return { status: 201, body: servicePrincipalJson(principal) };
    },
  },
  {
    method: "GET",
    path: "/v1.0/servicePrincipals",
    operation: "ListServicePrincipals",
    permission: directory("microsoft.directory/servicePrincipals/standard/read"),
    handler: async (ctx, app) => ({ status: 200, body: { value: filterPrincipals(await app.directory.list(), ctx.query.get("$filter")).map(servicePrincipalJson) } }),
  },
  {
    method: "GET",
    path: "/v1.0/servicePrincipals/{id}",
    operation: "GetServicePrincipal",
    permission: directory("microsoft.directory/servicePrincipals/standard/read"),
    handler: async (ctx, app) => {
      const principal = await app.directory.get(ctx.params.id!);
      if (!principal) throw new DomainError("NotFound", `Resource '${ctx.params.id}' does not exist or one of its queried reference-property objects are not present.`);
      return { status: 200, body: servicePrincipalJson(principal) };
    },
  },
];
