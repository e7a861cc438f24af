/**
 * Microsoft.KeyVault's managed HSM listings. Kluis has no managed HSMs, so these answer what a subscription
 * without any answers: an empty list. az calls them alongside the vault listings (`keyvault list` lists
 * managedHSMs, `keyvault list-deleted` lists deletedManagedHSMs) and fails on a 404.
 */
import type { Route } from "../../http/types.js";
import type { AppServices } from "../app-services.js";
import { groupOf, subscriptionOf } from "./routes.js";

const manage = (action: string) => ({ kind: "management", action }) as const;
const PROVIDER = "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault";
const empty = { status: 200, body: { value: [] } };

export const managedHsmRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: `${PROVIDER}/managedHSMs`,
    operation: "ListManagedHsmsBySubscription",
    permission: manage("Microsoft.KeyVault/managedHSMs/read"),
    handler: async (ctx, app) => (subscriptionOf(ctx, app), empty),
  },
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.KeyVault/managedHSMs",
    operation: "ListManagedHsms",
    permission: manage("Microsoft.KeyVault/managedHSMs/read"),
    handler: async (ctx, app) => (await groupOf(ctx, app), empty),
  },
  {
    method: "GET",
    path: `${PROVIDER}/deletedManagedHSMs`,
    operation: "ListDeletedManagedHsms",
    permission: manage("Microsoft.KeyVault/deletedManagedHsms/read"),
    handler: async (ctx, app) => (subscriptionOf(ctx, app), empty),
  },
];
