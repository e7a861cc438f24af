/** ARM routes for subscriptions, resource groups and vaults. Machines are in machine-routes.ts. */
import { DomainError } from "../../domain/errors.js";
import { assertVaultName } from "../../domain/names.js";
import { readJsonObject } from "../../http/body.js";
import type { RequestContext, Route } from "../../http/types.js";
import type { AppServices } from "../app-services.js";
import { putVault } from "./deleted-vault-routes.js";
import { genericResources } from "./generic-resources.js";
import { groupJson, vaultJson } from "./wire.js";
import { accessPolicyBody, nameAvailabilityBody, resourceGroupBody, resourceGroupPatchBody, vaultBody, vaultPatchBody } from "./body-schemas.js";

const manage = (action: string) => ({ kind: "management", action }) as const;
const RG = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}";
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/{vaultName}`;

/** The subscription in the path must be ours; returns it. */
export function subscriptionOf(ctx: RequestContext, app: AppServices): string {
  const id = (ctx.params.subscriptionId ?? "").toLowerCase();
  if (id !== app.tenant.subscriptionId) throw new DomainError("SubscriptionNotFound", `The subscription '${ctx.params.subscriptionId}' could not be found.`);
  return id;
}

/** The resource group in the path must exist; returns its stored name. */
export async function groupOf(ctx: RequestContext, app: AppServices): Promise<string> {
  return (await app.groups.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!)).name;
}

function subscriptionJson(app: AppServices) {
  const s = app.tenant.subscriptionId;
  return {
    id: `/subscriptions/${s}`,
    subscriptionId: s,
    tenantId: app.authority.tenantId,
    displayName: "Kluis",
    state: "Enabled",
    subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "Kluis", spendingLimit: "Off" },
    authorizationSource: "RoleBased",
  };
}

/** ARM's request body: a JSON object; anything else (malformed JSON included) is InvalidRequestContent, as ARM answers. */
export function armBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  return readJsonObject(ctx, "arm");
}

const body = armBody;

export const managementRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/subscriptions",
    operation: "ListSubscriptions",
    // As in Azure: the subscription is listed to a principal holding a role anywhere in it (or the administrator);
    // anyone else sees an empty list rather than an error.
    permission: { kind: "authenticated" },
    handler: async (ctx, app) => {
      const principal = ctx.principal!;
      const scope = `/subscriptions/${app.tenant.subscriptionId}`;
      const visible = principal.admin || (await app.roles.list(scope, { atScope: false, principalId: principal.objectId })).length > 0;
      return { status: 200, body: { value: visible ? [subscriptionJson(app)] : [] } };
    },
  },
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}",
    operation: "GetSubscription",
    permission: manage("Microsoft.Resources/subscriptions/read"),
    handler: async (ctx, app) => (subscriptionOf(ctx, app), { status: 200, body: subscriptionJson(app) }),
  },
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/resourcegroups",
    operation: "ListResourceGroups",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/read"),
    handler: async (ctx, app) => ({ status: 200, body: { value: (await app.groups.list(subscriptionOf(ctx, app))).map(groupJson) } }),
  },
  {
    method: "PUT",
    path: RG,
    operation: "CreateResourceGroup",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/write"),
    body: resourceGroupBody,
    handler: async (ctx, app) => {
      const input = await body(ctx);
      const { group, created } = await app.groups.put(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, input.location, input.tags, input.managedBy);
      return { status: created ? 201 : 200, body: groupJson(group) };
    },
  },
  {
    method: "PATCH",
    path: RG,
    operation: "UpdateResourceGroup",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/write"),
    body: resourceGroupPatchBody,
    handler: async (ctx, app) => ({ status: 200, body: groupJson(await app.groups.patch(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, await body(ctx))) }),
  },
  {
    method: "GET",
    path: RG,
    operation: "GetResourceGroup",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/read"),
    handler: async (ctx, app) => ({ status: 200, body: groupJson(await app.groups.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!)) }),
  },
  {
    method: "HEAD",
    path: RG,
    operation: "CheckResourceGroup",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/read"),
    handler: async (ctx, app) => {
      const found = await app.store.groups.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!);
      return { status: found ? 204 : 404 };
    },
  },
  {
    method: "DELETE",
    path: RG,
    operation: "DeleteResourceGroup",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/delete"),
    handler: async (ctx, app) => {
      const subscription = subscriptionOf(ctx, app);
      const group = await app.groups.get(subscription, ctx.params.resourceGroupName!);
      // ARM deletes what a group contains along with it.
      for (const machine of await app.machines.list(subscription, group.name)) await app.machines.delete(subscription, group.name, machine.name);
      for (const vault of await app.vaults.list(subscription, group.name)) await app.vaults.delete(subscription, group.name, vault.name);
      await app.groups.delete(subscription, group.name);
      return { status: 200 };
    },
  },
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/vaults",
    operation: "ListVaultsBySubscription",
    permission: manage("Microsoft.KeyVault/vaults/read"),
    handler: async (ctx, app) => ({ status: 200, body: { value: (await app.vaults.list(subscriptionOf(ctx, app))).map((v) => vaultJson(v, app.endpoints.vaultUri(v.name))) } }),
  },
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/resources",
    operation: "ListResources",
    permission: manage("Microsoft.Resources/subscriptions/resources/read"),
    // @azure/arm-keyvault lists vaults through this generic endpoint with $filter=resourceType eq 'Microsoft.KeyVault/vaults'.
    handler: async (ctx, app) => ({ status: 200, body: { value: await genericResources(app, subscriptionOf(ctx, app), undefined, ctx.query.get("$filter")) } }),
  },
  {
    method: "GET",
    path: `${RG}/resources`,
    operation: "ListResourcesByGroup",
    permission: manage("Microsoft.Resources/subscriptions/resourceGroups/resources/read"),
    handler: async (ctx, app) => ({ status: 200, body: { value: await genericResources(app, app.tenant.subscriptionId, await groupOf(ctx, app), ctx.query.get("$filter")) } }),
  },
  {
    method: "POST",
    path: "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/checkNameAvailability",
    operation: "CheckVaultNameAvailability",
    permission: manage("Microsoft.KeyVault/checkNameAvailability/read"),
    body: nameAvailabilityBody,
    handler: async (ctx, app) => {
      subscriptionOf(ctx, app);
      const name = (await body(ctx)).name;
      if (typeof name !== "string") throw new DomainError("InvalidRequestContent", "The property 'name' is required.");
      try {
        assertVaultName(name);
      } catch (error) {
        if (error instanceof DomainError) return { status: 200, body: { nameAvailable: false, reason: "AccountNameInvalid", message: error.message } };
        throw error;
      }
      // A soft-deleted vault keeps its name until purged.
      const taken = (await app.store.vaults.getByName(name)) !== null || (await app.deletedVaults.holdsName(name));
      return { status: 200, body: taken ? { nameAvailable: false, reason: "AlreadyExists", message: `The vault name '${name}' is already in use.` } : { nameAvailable: true } };
    },
  },
  {
    method: "GET",
    path: `${RG}/providers/Microsoft.KeyVault/vaults`,
    operation: "ListVaults",
    permission: manage("Microsoft.KeyVault/vaults/read"),
    handler: async (ctx, app) => {
      const group = await groupOf(ctx, app);
      return { status: 200, body: { value: (await app.vaults.list(app.tenant.subscriptionId, group)).map((v) => vaultJson(v, app.endpoints.vaultUri(v.name))) } };
    },
  },
  {
    method: "PUT",
    path: VAULT,
    operation: "CreateOrUpdateVault",
    permission: manage("Microsoft.KeyVault/vaults/write"),
    body: vaultBody,
    // Creates, updates, or (createMode "recover") recovers a deleted vault: see deleted-vault-routes.ts.
    handler: (ctx, app) => putVault(ctx, app),
  },
  {
    method: "PATCH",
    path: VAULT,
    operation: "UpdateVault",
    permission: manage("Microsoft.KeyVault/vaults/write"),
    body: vaultPatchBody,
    handler: async (ctx, app) => {
      const group = await groupOf(ctx, app);
      const vault = await app.vaults.patch(app.tenant.subscriptionId, group, ctx.params.vaultName!, await body(ctx), ctx.principal!.objectId);
      return { status: 200, body: vaultJson(vault, app.endpoints.vaultUri(vault.name)) };
    },
  },
  {
    method: "GET",
    path: VAULT,
    operation: "GetVault",
    permission: manage("Microsoft.KeyVault/vaults/read"),
    handler: async (ctx, app) => {
      const vault = await app.vaults.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vaultName!);
      return { status: 200, body: vaultJson(vault, app.endpoints.vaultUri(vault.name)) };
    },
  },
  {
    method: "DELETE",
    path: VAULT,
    operation: "DeleteVault",
    permission: manage("Microsoft.KeyVault/vaults/delete"),
    handler: async (ctx, app) => {
      await app.vaults.delete(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vaultName!);
      return { status: 200 };
    },
  },
  {
    method: "PUT",
    path: `${VAULT}/accessPolicies/{operationKind}`,
    operation: "UpdateAccessPolicy",
    permission: manage("Microsoft.KeyVault/vaults/accessPolicies/write"),
    body: accessPolicyBody,
    handler: async (ctx, app) => {
      const kind = (ctx.params.operationKind ?? "").toLowerCase();
      if (kind !== "add" && kind !== "replace" && kind !== "remove") {
        throw new DomainError("BadRequest", `The access policy operation '${ctx.params.operationKind}' is not valid. Use add, replace or remove.`);
      }
      const input = await body(ctx);
      const properties = (input.properties ?? {}) as Record<string, unknown>;
      const { vault, policies } = await app.vaults.updateAccessPolicies(
        subscriptionOf(ctx, app),
        ctx.params.resourceGroupName!,
        ctx.params.vaultName!,
        kind,
        properties.accessPolicies,
        ctx.principal!.objectId,
      );
      const id = `${vaultJson(vault, "").id}/accessPolicies/${kind}`;
      return { status: 200, body: { id, name: kind, type: "Microsoft.KeyVault/vaults/accessPolicies", location: vault.location, properties: { accessPolicies: policies } } };
    },
  },
];
