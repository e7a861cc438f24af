import type { RequestContext } from "../../http/types.js";
import type { VaultRecord } from "../../storage/types.js";

/** What the vault surface resolved before routing: the vault, its URI and the request's api-version. */
export function vaultOf(ctx: RequestContext): { vault: VaultRecord; uri: string; apiVersion: string } {
  return { vault: ctx.scope.vault as VaultRecord, uri: ctx.scope.vaultUri as string, apiVersion: ctx.scope.apiVersion as string };
}

/** The access-policy permission a secrets route needs, e.g. secrets/get. */
export const secretsPermission = (action: string) => ({ kind: "data", collection: "secrets", action }) as const;
