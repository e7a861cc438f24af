/** Secret backup and restore (Key Vault's `POST /secrets/{name}/backup` and `POST /secrets/restore`), as route data. */
import { DomainError } from "../../domain/errors.js";
import type { RequestContext, Route } from "../../http/types.js";
import type { VaultRecord } from "../../storage/types.js";
import type { AppServices } from "../app-services.js";
import { secretBundle } from "./wire.js";

const secrets = (action: string) => ({ kind: "data", collection: "secrets", action }) as const;

function vaultOf(ctx: RequestContext): { vault: VaultRecord; uri: string } {
  return { vault: ctx.scope.vault as VaultRecord, uri: ctx.scope.vaultUri as string };
}

export const secretBackupRoutes: Route<AppServices>[] = [
  {
    method: "POST",
    path: "/secrets/{name}/backup",
    operation: "BackupSecret",
    permission: secrets("backup"),
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
    permission: secrets("restore"),
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const parsed = await ctx.json();
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new DomainError("BadParameter", "The request body must be a JSON object.");
      }
      // Like recover, restore answers with the bundle of the latest version but without its value.
      const record = await app.secretBackups.restore(vault, (parsed as Record<string, unknown>).value);
      return { status: 200, body: secretBundle(uri, vault, record) };
    },
  },
];
