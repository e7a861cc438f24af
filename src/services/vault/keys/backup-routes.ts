/** Key backup and restore (Key Vault's `POST /keys/{name}/backup` and `POST /keys/restore`), as route data. */
import { readJsonObject } from "../../../http/body.js";
import type { Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { collectionPermission, vaultOf } from "../vault-context.js";
import { shapedKey } from "./lifecycle-routes.js";
import { keyBundle } from "./wire.js";

const keys = collectionPermission("keys");

export const keyBackupRoutes: Route<AppServices>[] = [
  {
    method: "POST",
    path: "/keys/{name}/backup",
    operation: "BackupKey",
    permission: keys("backup", "backup/action"),
    handler: async (ctx, app) => {
      const { vault } = vaultOf(ctx);
      const blob = await app.keyBackups.backup(vault, ctx.params.name!);
      return { status: 200, body: { value: blob.toString("base64url") } };
    },
  },
  {
    method: "POST",
    path: "/keys/restore",
    operation: "RestoreKey",
    permission: keys("restore", "restore/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const parsed = await readJsonObject(ctx, "keyvault");
      return { status: 200, body: shapedKey(ctx, keyBundle(uri, vault, await app.keyBackups.restore(vault, parsed.value))) };
    },
  },
];
