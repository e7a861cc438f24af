/** The Key Vault secrets API as data: each route names its operation and the access-policy permission it needs. */
import { readJsonObject } from "../../../http/body.js";
import type { RequestContext, Reply, Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { nextLink, pageRequest } from "../collection-wire.js";
import { shapeFor } from "../shapes.js";
import { collectionPermission, vaultOf } from "../vault-context.js";
import { deletedSecretBundle, deletedSecretItem, secretBundle, secretItem } from "./wire.js";

const secrets = collectionPermission("secrets");

const body = (ctx: RequestContext) => readJsonObject(ctx, "keyvault");

const ok = (body: unknown): Reply => ({ status: 200, body });

/** The secret JSON as the request's api-version defines it (see vault/shapes.ts). */
export const shaped = <T extends Record<string, unknown>>(ctx: RequestContext, json: T): T => shapeFor("secrets", vaultOf(ctx).apiVersion, json);

export const secretRoutes: Route<AppServices>[] = [
  {
    method: "PUT",
    path: "/secrets/{name}",
    operation: "SetSecret",
    permission: secrets("set", "setSecret/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const { record, value } = await app.secrets.set(vault, ctx.params.name!, await body(ctx));
      return ok(shaped(ctx, secretBundle(uri, vault, record, value)));
    },
  },
  {
    method: "GET",
    path: "/secrets/{name}",
    operation: "GetSecret",
    permission: secrets("get", "getSecret/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const { record, value } = await app.secrets.get(vault, ctx.params.name!);
      return ok(shaped(ctx, secretBundle(uri, vault, record, value)));
    },
  },
  {
    method: "GET",
    path: "/secrets/{name}/versions",
    operation: "GetSecretVersions",
    permission: secrets("list", "readMetadata/action"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const name = ctx.params.name!;
      const result = await app.secrets.listVersions(vault, name, page.after, page.limit);
      return ok({
        value: result.items.map((r) => shaped(ctx, secretItem(uri, vault, r, true))),
        nextLink: nextLink(`${uri}secrets/${name}/versions`, apiVersion, page.limit, result.next),
      });
    },
  },
  {
    method: "GET",
    path: "/secrets/{name}/{version}",
    operation: "GetSecretVersion",
    permission: secrets("get", "getSecret/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const { record, value } = await app.secrets.get(vault, ctx.params.name!, ctx.params.version);
      return ok(shaped(ctx, secretBundle(uri, vault, record, value)));
    },
  },
  {
    method: "PATCH",
    path: "/secrets/{name}/{version}",
    operation: "UpdateSecret",
    permission: secrets("set", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const record = await app.secrets.update(vault, ctx.params.name!, ctx.params.version, await body(ctx));
      return ok(shaped(ctx, secretBundle(uri, vault, record)));
    },
  },
  {
    method: "PATCH",
    path: "/secrets/{name}",
    operation: "UpdateSecret",
    permission: secrets("set", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const record = await app.secrets.update(vault, ctx.params.name!, undefined, await body(ctx));
      return ok(shaped(ctx, secretBundle(uri, vault, record)));
    },
  },
  {
    method: "GET",
    path: "/secrets",
    operation: "GetSecrets",
    permission: secrets("list", "readMetadata/action"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.secrets.listLatest(vault, page.after, page.limit);
      return ok({ value: result.items.map((r) => shaped(ctx, secretItem(uri, vault, r, false))), nextLink: nextLink(`${uri}secrets`, apiVersion, page.limit, result.next) });
    },
  },
  {
    method: "DELETE",
    path: "/secrets/{name}",
    operation: "DeleteSecret",
    permission: secrets("delete", "delete"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shaped(ctx, deletedSecretBundle(uri, vault, await app.secrets.delete(vault, ctx.params.name!))));
    },
  },
  {
    method: "GET",
    path: "/deletedsecrets",
    operation: "GetDeletedSecrets",
    permission: secrets("list", "readMetadata/action"),
    handler: async (ctx, app) => {
      const { vault, uri, apiVersion } = vaultOf(ctx);
      const page = pageRequest(ctx.query);
      const result = await app.secrets.listDeleted(vault, page.after, page.limit);
      return ok({
        value: result.items.map((d) => shaped(ctx, deletedSecretItem(uri, vault, d))),
        nextLink: nextLink(`${uri}deletedsecrets`, apiVersion, page.limit, result.next),
      });
    },
  },
  {
    method: "GET",
    path: "/deletedsecrets/{name}",
    operation: "GetDeletedSecret",
    permission: secrets("list", "readMetadata/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shaped(ctx, deletedSecretBundle(uri, vault, await app.secrets.getDeleted(vault, ctx.params.name!))));
    },
  },
  {
    method: "POST",
    path: "/deletedsecrets/{name}/recover",
    operation: "RecoverDeletedSecret",
    permission: secrets("recover", "recover/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(shaped(ctx, secretBundle(uri, vault, await app.secrets.recover(vault, ctx.params.name!))));
    },
  },
  {
    method: "DELETE",
    path: "/deletedsecrets/{name}",
    operation: "PurgeDeletedSecret",
    permission: secrets("purge", "purge/action"),
    handler: async (ctx, app) => {
      const { vault } = vaultOf(ctx);
      await app.secrets.purge(vault, ctx.params.name!);
      return { status: 204 };
    },
  },
];
