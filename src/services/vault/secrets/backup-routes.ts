/** Secret backup and restore (Key Vault's `POST /secrets/{name}/backup` and `POST /secrets/restore`), as route data. */
import { readJsonObject } from "../../../http/body.js";
import type { Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { collectionPermission, vaultOf } from "../vault-context.js";
import { shaped } from "./routes.js";
import { secretBundle } from "./wire.js";

const secrets = collectionPermission("secrets");

export const secretBackupRoutes: Route<AppServices>[] = [
  {
    method: "POST",
    path: "/secrets/{name}/backup",
    operation: "BackupSecret",
    permission: secrets("backup", "backup/action"),
    handler: async (ctx, app) => {
      const { vault } = vaultOf(ctx);
      const blob = await app.secretBackups.backup(vault, ctx.params.name!);
      return { status: 200, body: { value: blob.toString("base64url") } };
    },
  },
  {
    method: "POST",
    path: "/secrets/restore",
    operation: "RestoreSecret",
    permission: secrets("restore", "restore/action"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const parsed = await readJsonObject(ctx, "keyvault");
      // Like recover, restore answers with the bundle of the latest version but without its value.
      const record = await app.secretBackups.restore(vault, parsed.value);
      return { status: 200, body: shaped(ctx, secretBundle(uri, vault, record)) };
    },
  },
];
