/**
 * Certificate issuers and certificate contacts of a vault, as data. Their RBAC data actions are Azure's own
 * (certificatecas/…, certificatecontacts/…), not the certificates/… ones. These literal paths come before the
 * lifecycle's `/certificates/{name}` routes in the router.
 *
 * An issuer's name is `{issuerName}`, not `{name}`: the pipeline authorizes a route with a `name` against that
 * certificate (RBAC scope …/certificates/<name>), and an issuer is a vault-wide object, not a certificate.
 */
import type { Permission } from "../../../domain/authz.js";
import type { Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { nextLink, pageRequest } from "../collection-wire.js";
import { vaultOf } from "../vault-context.js";
import { body } from "./lifecycle-routes.js";
import { contactsJson, issuerBundle, issuerItem } from "./wire.js";

const permission = (action: string, dataAction: string): Permission => ({ kind: "data", collection: "certificates", action, dataAction: `Microsoft.KeyVault/vaults/${dataAction}` });

export const certificateIssuerRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/certificates/contacts",
    operation: "GetCertificateContacts",
    permission: permission("managecontacts", "certificates/read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: contactsJson(uri, await app.certificateIssuers.contacts(vault)) };
    },
  },
  {
    method: "PUT",
    path: "/certificates/contacts",
    operation: "SetCertificateContacts",
    permission: permission("managecontacts", "certificatecontacts/write"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: contactsJson(uri, await app.certificateIssuers.setContacts(vault, await body(ctx))) };
    },
  },
  {
    method: "DELETE",
    path: "/certificates/contacts",
    operation: "DeleteCertificateContacts",
    permission: permission("managecontacts", "certificatecontacts/write"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: contactsJson(uri, await app.certificateIssuers.deleteContacts(vault)) };
    },
  },
  {
    method: "GET",
    path: "/certificates/issuers",
    operation: "GetCertificateIssuers",
    permission: permission("listissuers", "certificatecas/read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.certificateIssuers.list(vault, page.after, page.limit);
      return { status: 200, body: { value: result.items.map((d) => issuerItem(uri, d)), nextLink: nextLink(`${uri}certificates/issuers`, apiVersion, page.limit, result.next) } };
    },
  },
  {
    method: "GET",
    path: "/certificates/issuers/{issuerName}",
    operation: "GetCertificateIssuer",
    permission: permission("getissuers", "certificatecas/read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: issuerBundle(uri, await app.certificateIssuers.get(vault, ctx.params.issuerName!)) };
    },
  },
  {
    method: "PUT",
    path: "/certificates/issuers/{issuerName}",
    operation: "SetCertificateIssuer",
    permission: permission("setissuers", "certificatecas/write"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: issuerBundle(uri, await app.certificateIssuers.set(vault, ctx.params.issuerName!, await body(ctx), "set")) };
    },
  },
  {
    method: "PATCH",
    path: "/certificates/issuers/{issuerName}",
    operation: "UpdateCertificateIssuer",
    permission: permission("setissuers", "certificatecas/write"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: issuerBundle(uri, await app.certificateIssuers.set(vault, ctx.params.issuerName!, await body(ctx), "update")) };
    },
  },
  {
    method: "DELETE",
    path: "/certificates/issuers/{issuerName}",
    operation: "DeleteCertificateIssuer",
    permission: permission("deleteissuers", "certificatecas/delete"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: issuerBundle(uri, await app.certificateIssuers.delete(vault, ctx.params.issuerName!)) };
    },
  },
];
