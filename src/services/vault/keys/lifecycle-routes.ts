/**
 * The Key Vault keys lifecycle as data: create, import, get, list, update, rotate, and the soft-delete cycle. Each
 * route names its operation, its access-policy permission and its RBAC data action (Azure's keys/… actions).
 */
import { readJsonObject } from "../../../http/body.js";
import type { RequestContext, Reply, Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { nextLink, pageRequest } from "../collection-wire.js";
import { shapeFor } from "../shapes.js";
import { collectionPermission, vaultOf } from "../vault-context.js";
import { deletedKeyBundle, deletedKeyItem, keyBundle, keyItem } from "./wire.js";

const keys = collectionPermission("keys");

const body = (ctx: RequestContext) => readJsonObject(ctx, "keyvault");

const ok = (body: unknown): Reply => ({ status: 200, body });

/** The key JSON as the request's api-version defines it (see vault/shapes.ts). */
export const shapedKey = <T extends Record<string, unknown>>(ctx: RequestContext, json: T): T => shapeFor("keys", vaultOf(ctx).apiVersion, json);

export const keyLifecycleRoutes: Route<AppServices>[] = [
  {
    method: "POST",
    path: "/keys/{name}/create",
    operation: "CreateKey",
    permission: keys("create", "create/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.create(vault, ctx.params.name!, await body(ctx)))));
    },
  },
  {
    method: "PUT",
    path: "/keys/{name}",
    operation: "ImportKey",
    permission: keys("import", "import/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.import(vault, ctx.params.name!, await body(ctx)))));
    },
  },
  {
    method: "POST",
    path: "/keys/{name}/rotate",
    operation: "RotateKey",
    permission: keys("rotate", "rotate/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      // Through the rotation service: the new version gets the policy's expiryTime and the policy is rescheduled.
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keyRotation.rotate(vault, ctx.params.name!))));
    },
  },
  {
    method: "GET",
    path: "/keys/{name}",
    operation: "GetKey",
    permission: keys("get", "read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.find(vault, ctx.params.name!))));
    },
  },
  {
    method: "GET",
    path: "/keys/{name}/versions",
    operation: "GetKeyVersions",
    permission: keys("list", "read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const name = ctx.params.name!;
      const result = await app.keys.listVersions(vault, name, page.after, page.limit);
      return ok({
        value: result.items.map((r) => shapedKey(ctx, keyItem(uri, vault, r, true))),
        nextLink: nextLink(`${uri}keys/${name}/versions`, apiVersion, page.limit, result.next),
      });
    },
  },
  {
    method: "GET",
    path: "/keys/{name}/{version}",
    operation: "GetKey",
    permission: keys("get", "read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.find(vault, ctx.params.name!, ctx.params.version))));
    },
  },
  {
    method: "PATCH",
    path: "/keys/{name}/{version}",
    operation: "UpdateKey",
    permission: keys("update", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.update(vault, ctx.params.name!, ctx.params.version, await body(ctx)))));
    },
  },
  {
    method: "PATCH",
    path: "/keys/{name}",
    operation: "UpdateKey",
    permission: keys("update", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.update(vault, ctx.params.name!, undefined, await body(ctx)))));
    },
  },
  {
    method: "GET",
    path: "/keys",
    operation: "GetKeys",
    permission: keys("list", "read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.keys.listLatest(vault, page.after, page.limit);
      return ok({ value: result.items.map((r) => shapedKey(ctx, keyItem(uri, vault, r, false))), nextLink: nextLink(`${uri}keys`, apiVersion, page.limit, result.next) });
    },
  },
  {
    method: "DELETE",
    path: "/keys/{name}",
    operation: "DeleteKey",
    permission: keys("delete", "delete"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, deletedKeyBundle(uri, vault, await app.keys.delete(vault, ctx.params.name!))));
    },
  },
  {
    method: "GET",
    path: "/deletedkeys",
    operation: "GetDeletedKeys",
    permission: keys("list", "read"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.keys.listDeleted(vault, page.after, page.limit);
      return ok({
        value: result.items.map((d) => shapedKey(ctx, deletedKeyItem(uri, vault, d))),
        nextLink: nextLink(`${uri}deletedkeys`, apiVersion, page.limit, result.next),
      });
    },
  },
  {
    method: "GET",
    path: "/deletedkeys/{name}",
    operation: "GetDeletedKey",
    permission: keys("get", "read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, deletedKeyBundle(uri, vault, await app.keys.getDeleted(vault, ctx.params.name!))));
    },
  },
  {
    method: "POST",
    path: "/deletedkeys/{name}/recover",
    operation: "RecoverDeletedKey",
    permission: keys("recover", "recover/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shapedKey(ctx, keyBundle(uri, vault, await app.keys.recover(vault, ctx.params.name!))));
    },
  },
  {
    method: "DELETE",
    path: "/deletedkeys/{name}",
    operation: "PurgeDeletedKey",
    permission: keys("purge", "purge/action"),
    handler: async (ctx, app) => {
      const { vault } = vaultOf(ctx);
      await app.keys.purge(vault, ctx.params.name!);
      return { status: 204 };
    },
  },
];
