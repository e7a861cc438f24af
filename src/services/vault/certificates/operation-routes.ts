/**
 * A certificate's pending operation (get, cancel, delete, merge), its policy, and backup/restore, as data. These
 * literal paths come before the lifecycle's `{version}` routes in the router.
 */
import { DomainError } from "../../../domain/errors.js";
import type { Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { collectionPermission, vaultOf } from "../vault-context.js";
import { body, ok } from "./lifecycle-routes.js";
import { certificateBundle, certificateUri, operationJson } from "./wire.js";
import { policyJson } from "../../../domain/certificates/certificate-policy.js";

const certificates = collectionPermission("certificates");

function x5cOf(raw: unknown): Buffer[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 10 || !raw.every((c) => typeof c === "string" && c.length > 0 && c.length < 64 * 1024)) {
    throw new DomainError("BadParameter", "The certificates to merge (x5c) must be a non-empty array of base64 DER certificates.");
  }
  return raw.map((c: string) => Buffer.from(c, "base64"));
}

export const certificateOperationRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/certificates/{name}/pending",
    operation: "GetCertificateOperation",
    permission: certificates("get", "read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(operationJson(uri, await app.certificateOperations.get(vault, ctx.params.name!)), ctx);
    },
  },
  {
    method: "PATCH",
    path: "/certificates/{name}/pending",
    operation: "UpdateCertificateOperation",
    permission: certificates("update", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const input = await body(ctx);
      if (typeof input.cancellation_requested !== "boolean") throw new DomainError("BadParameter", "The property 'cancellation_requested' is required and must be a boolean.");
      return ok(operationJson(uri, await app.certificateOperations.cancel(vault, ctx.params.name!, input.cancellation_requested)), ctx);
    },
  },
  {
    method: "DELETE",
    path: "/certificates/{name}/pending",
    operation: "DeleteCertificateOperation",
    permission: certificates("update", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return ok(operationJson(uri, await app.certificateOperations.remove(vault, ctx.params.name!)), ctx);
    },
  },
  {
    method: "POST",
    path: "/certificates/{name}/pending/merge",
    operation: "MergeCertificate",
    permission: certificates("create", "create/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const input = await body(ctx);
      const attributes = input.attributes as { enabled?: unknown } | undefined;
      if (attributes?.enabled !== undefined && typeof attributes.enabled !== "boolean") throw new DomainError("BadParameter", "The attribute 'enabled' must be a boolean.");
      const tags = input.tags === undefined ? undefined : (input.tags as Record<string, string> | null);
      const record = await app.certificateOperations.merge(vault, ctx.params.name!, x5cOf(input.x5c), attributes?.enabled as boolean | undefined, tags);
      return ok(certificateBundle(uri, vault, record, await app.certificates.policy(vault, record.name)), ctx, 201);
    },
  },
  {
    method: "GET",
    path: "/certificates/{name}/policy",
    operation: "GetCertificatePolicy",
    permission: certificates("get", "read"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const name = ctx.params.name!;
      return ok(policyJson(certificateUri(uri, (await app.certificates.find(vault, name)).name), await app.certificates.getPolicy(vault, name)), ctx);
    },
  },
  {
    method: "PATCH",
    path: "/certificates/{name}/policy",
    operation: "UpdateCertificatePolicy",
    permission: certificates("update", "update/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const name = ctx.params.name!;
      const policy = await app.certificates.updatePolicy(vault, name, await body(ctx));
      return ok(policyJson(certificateUri(uri, (await app.certificates.find(vault, name)).name), policy), ctx);
    },
  },
  {
    method: "POST",
    path: "/certificates/{name}/backup",
    operation: "BackupCertificate",
    permission: certificates("backup", "backup/action"),
    handler: async (ctx, app) => {
      const blob = await app.certificateBackups.backup(vaultOf(ctx).vault, ctx.params.name!);
      return { status: 200, body: { value: blob.toString("base64url") } };
    },
  },
  {
    method: "POST",
    path: "/certificates/restore",
    operation: "RestoreCertificate",
    permission: certificates("restore", "restore/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const record = await app.certificateBackups.restore(vault, (await body(ctx)).value);
      return ok(certificateBundle(uri, vault, record, await app.certificates.policy(vault, record.name)), ctx);
    },
  },
];
