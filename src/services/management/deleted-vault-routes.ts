/**
 * ARM's deleted vaults (Microsoft.KeyVault/deletedVaults, api 2023-07-01 shapes): list, get, purge; and the vault
 * PUT that either creates/updates a vault or, with `properties.createMode: "recover"`, brings a deleted one back.
 */
import type { DeletedVault } from "../../domain/deleted-vaults.js";
import { DomainError } from "../../domain/errors.js";
import type { Reply, RequestContext, Route } from "../../http/types.js";
import type { AppServices } from "../app-services.js";
import { armBody, groupOf, subscriptionOf } from "./routes.js";
import { vaultArmId, vaultJson } from "./wire.js";

const manage = (action: string) => ({ kind: "management", action }) as const;
const DELETED_VAULT = "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{vaultName}";

export function deletedVaultJson({ vault, deletedAt, scheduledPurgeAt }: DeletedVault) {
  return {
    id: `/subscriptions/${vault.subscriptionId}/providers/Microsoft.KeyVault/locations/${vault.location}/deletedVaults/${vault.name}`,
    name: vault.name,
    type: "Microsoft.KeyVault/deletedVaults",
    properties: {
      vaultId: vaultArmId(vault),
      location: vault.location,
      deletionDate: isoSeconds(deletedAt),
      scheduledPurgeDate: isoSeconds(scheduledPurgeAt),
      tags: vault.tags,
      purgeProtectionEnabled: vault.properties.enablePurgeProtection === true,
    },
  };
}

/** ARM writes these dates without fractions: 2017-01-01T00:00:59Z. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * The vault PUT. `createMode: "recover"` recovers the deleted vault of that name; any other create of a name held
 * by a deleted vault fails as Azure fails it, telling the caller to recover or purge.
 */
export async function putVault(ctx: RequestContext, app: AppServices): Promise<Reply> {
  const group = await groupOf(ctx, app);
  const input = await armBody(ctx);
  const properties = input.properties;
  const createMode = typeof properties === "object" && properties !== null ? (properties as Record<string, unknown>).createMode : undefined;
  const name = ctx.params.vaultName!;
  if (typeof createMode === "string" && createMode.toLowerCase() === "recover") {
    const vault = await app.deletedVaults.recover(app.tenant.subscriptionId, group, name, ctx.principal!.objectId);
    return { status: 200, body: vaultJson(vault, app.endpoints.vaultUri(vault.name)) };
  }
  if (createMode !== undefined && createMode !== null && (typeof createMode !== "string" || createMode.toLowerCase() !== "default")) {
    throw new DomainError("BadRequest", `The value '${String(createMode)}' of property 'createMode' is not valid. Valid values: default, recover.`);
  }
  try {
    const { vault, created } = await app.vaults.put(app.tenant.subscriptionId, group, name, input, ctx.principal!.objectId);
    return { status: created ? 201 : 200, body: vaultJson(vault, app.endpoints.vaultUri(vault.name)) };
  } catch (error) {
    if (error instanceof DomainError && error.code === "VaultAlreadyExists" && (await app.deletedVaults.holdsName(name))) {
      throw new DomainError(
        "ConflictError",
        "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. " +
          "Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.",
      );
    }
    throw error;
  }
}

export const deletedVaultRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/deletedVaults",
    operation: "ListDeletedVaults",
    permission: manage("Microsoft.KeyVault/deletedVaults/read"),
    handler: async (ctx, app) => ({ status: 200, body: { value: (await app.deletedVaults.list(subscriptionOf(ctx, app))).map(deletedVaultJson) } }),
  },
  {
    method: "GET",
    path: DELETED_VAULT,
    operation: "GetDeletedVault",
    permission: manage("Microsoft.KeyVault/locations/deletedVaults/read"),
    handler: async (ctx, app) => ({
      status: 200,
      body: deletedVaultJson(await app.deletedVaults.get(subscriptionOf(ctx, app), ctx.params.location!, ctx.params.vaultName!)),
    }),
  },
  {
    method: "POST",
    path: `${DELETED_VAULT}/purge`,
    operation: "PurgeDeletedVault",
    permission: manage("Microsoft.KeyVault/locations/deletedVaults/purge/action"),
    // Azure runs this as a long-running operation; it is done when we answer, and a 200 ends the clients' pollers.
    handler: async (ctx, app) => {
      await app.deletedVaults.purge(subscriptionOf(ctx, app), ctx.params.location!, ctx.params.vaultName!);
      return { status: 200 };
    },
  },
];
