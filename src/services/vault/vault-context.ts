import type { DataCollection, Permission } from "../../domain/authz.js";
import type { RequestContext } from "../../http/types.js";
import type { VaultRecord } from "../../storage/types.js";

/** What the vault surface resolved before routing: the vault, its URI and the request's api-version. */
export function vaultOf(ctx: RequestContext): { vault: VaultRecord; uri: string; apiVersion: string } {
  return { vault: ctx.scope.vault as VaultRecord, uri: ctx.scope.vaultUri as string, apiVersion: ctx.scope.apiVersion as string };
}

/**
 * What a vault route needs, both ways Azure authorizes it: the access-policy permission (`secrets/get`) and the
 * RBAC data action (`Microsoft.KeyVault/vaults/secrets/getSecret/action`), given here relative to the collection.
 */
export function collectionPermission(collection: DataCollection) {
  return (action: string, dataAction: string): Permission => ({
    kind: "data",
    collection,
    action,
    dataAction: `Microsoft.KeyVault/vaults/${collection}/${dataAction}`,
  });
}
