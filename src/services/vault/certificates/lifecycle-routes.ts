/**
 * The Key Vault certificates lifecycle as data: create (202 with the pending operation), import, get, list,
 * versions, update, and the soft-delete cycle. Each route names its operation, its access-policy permission and
 * its RBAC data action (Azure's certificates/… actions).
 */
import { readJsonObject } from "../../../http/body.js";
import type { Reply, RequestContext, Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { isPending } from "../../../domain/certificates/certificate-versions.js";
import { nextLink, pageRequest } from "../collection-wire.js";
import { shapeFor } from "../shapes.js";
import { collectionPermission, vaultOf } from "../vault-context.js";
import { certificateBundle, certificateItem, certificateUri, deletedCertificateBundle, deletedCertificateItem, operationJson } from "./wire.js";

const certificates = collectionPermission("certificates");

export const body = (ctx: RequestContext) => readJsonObject(ctx, "keyvault");

/** The certificate JSON as the request's api-version defines it (see vault/shapes.ts). */
export const shaped = <T extends Record<string, unknown>>(ctx: RequestContext, json: T): T => shapeFor("certificates", vaultOf(ctx).apiVersion, json);

export const ok = (json: Record<string, unknown>, ctx: RequestContext, status = 200): Reply => ({ status, body: shaped(ctx, json) });

/** A version with its certificate's policy, as GET answers it. */
async function bundleReply(ctx: RequestContext, app: AppServices, record: Parameters<typeof certificateBundle>[2], status = 200): Promise<Reply> {
  const { vault, uri } = vaultOf(ctx);
  return ok(certificateBundle(uri, vault, record, await app.certificates.policy(vault, record.name)), ctx, status);
}

export const certificateLifecycleRoutes: Route<AppServices>[] = [
  {
    method: "POST",
    path: "/certificates/{name}/create",
    operation: "CreateCertificate",
    permission: certificates("create", "create/action"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const operation = await app.certificates.create(vault, ctx.params.name!, await body(ctx));
      const location = `${certificateUri(uri, operation.name)}/pending?api-version=${encodeURIComponent(apiVersion)}`;
      return { status: 202, body: shaped(ctx, operationJson(uri, operation)), headers: { location, "retry-after": "1" } };
    },
  },
  {
    method: "POST",
    path: "/certificates/{name}/import",
    operation: "ImportCertificate",
    permission: certificates("import", "import/action"),
    handler: async (ctx, app) => bundleReply(ctx, app, await app.certificates.import(vaultOf(ctx).vault, ctx.params.name!, await body(ctx))),
  },
  {
    method: "GET",
    path: "/certificates/{name}",
    operation: "GetCertificate",
    permission: certificates("get", "read"),
    handler: async (ctx, app) => bundleReply(ctx, app, await app.certificates.find(vaultOf(ctx).vault, ctx.params.name!)),
  },
  {
    method: "GET",
    path: "/certificates/{name}/versions",
    operation: "GetCertificateVersions",
    permission: certificates("list", "read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const name = ctx.params.name!;
      const result = await app.certificates.listVersions(vault, name, page.after, page.limit);
      return {
        status: 200,
        body: { value: result.items.map((r) => shaped(ctx, certificateItem(uri, r, true))), nextLink: nextLink(`${uri}certificates/${name}/versions`, apiVersion, page.limit, result.next) },
      };
    },
  },
  {
    method: "GET",
    path: "/certificates/{name}/{version}",
    operation: "GetCertificate",
    permission: certificates("get", "read"),
    handler: async (ctx, app) => bundleReply(ctx, app, await app.certificates.find(vaultOf(ctx).vault, ctx.params.name!, ctx.params.version)),
  },
  {
    method: "PATCH",
    path: "/certificates/{name}/{version}",
    operation: "UpdateCertificate",
    permission: certificates("update", "update/action"),
    handler: async (ctx, app) => bundleReply(ctx, app, await app.certificates.update(vaultOf(ctx).vault, ctx.params.name!, ctx.params.version, await body(ctx))),
  },
  {
    method: "PATCH",
    path: "/certificates/{name}",
    operation: "UpdateCertificate",
    permission: certificates("update", "update/action"),
    handler: async (ctx, app) => bundleReply(ctx, app, await app.certificates.update(vaultOf(ctx).vault, ctx.params.name!, undefined, await body(ctx))),
  },
  {
    method: "GET",
    path: "/certificates",
    operation: "GetCertificates",
    permission: certificates("list", "read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.certificates.listLatest(vault, page.after, page.limit);
      // Certificates whose first operation is still running are listed only when asked for (includePending).
      const withPending = ctx.query.get("includePending")?.toLowerCase() === "true";
      const items = withPending ? result.items : result.items.filter((r) => !isPending(r));
      const link = nextLink(`${uri}certificates`, apiVersion, page.limit, result.next);
      return { status: 200, body: { value: items.map((r) => shaped(ctx, certificateItem(uri, r, false))), nextLink: link && withPending ? `${link}&includePending=true` : link } };
    },
  },
  {
    method: "DELETE",
    path: "/certificates/{name}",
    operation: "DeleteCertificate",
    permission: certificates("delete", "delete"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const policy = await app.certificates.policy(vault, ctx.params.name!);
      return ok(deletedCertificateBundle(uri, vault, await app.certificates.delete(vault, ctx.params.name!), policy), ctx);
    },
  },
  {
    method: "GET",
    path: "/deletedcertificates",
    operation: "GetDeletedCertificates",
    permission: certificates("list", "read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.certificates.listDeleted(vault, page.after, page.limit);
      return {
        status: 200,
        body: { value: result.items.map((d) => shaped(ctx, deletedCertificateItem(uri, d))), nextLink: nextLink(`${uri}deletedcertificates`, apiVersion, page.limit, result.next) },
      };
    },
  },
  {
    method: "GET",
    path: "/deletedcertificates/{name}",
    operation: "GetDeletedCertificate",
    permission: certificates("get", "read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const deleted = await app.certificates.getDeleted(vault, ctx.params.name!);
      return ok(deletedCertificateBundle(uri, vault, deleted, await app.certificates.policy(vault, deleted.latest.name)), ctx);
    },
  },
  {
    method: "POST",
    path: "/deletedcertificates/{name}/recover",
    operation: "RecoverDeletedCertificate",
    permission: certificates("recover", "recover/action"),
    handler: async (ctx, app) => bundleReply(ctx, app, await app.certificates.recover(vaultOf(ctx).vault, ctx.params.name!)),
  },
  {
    method: "DELETE",
    path: "/deletedcertificates/{name}",
    operation: "PurgeDeletedCertificate",
    permission: certificates("purge", "purge/action"),
    handler: async (ctx, app) => {
      await app.certificates.purge(vaultOf(ctx).vault, ctx.params.name!);
      return { status: 204 };
    },
  },
];
