/**
 * Microsoft.Authorization routes: role assignments and role definitions under every scope shape Kluis has
 * (subscription, resource group, vault, secret, key, certificate, virtual machine; role definitions also at the
 * tenant root).
 * The router matches path patterns, so each scope shape gets its own routes. Writing an assignment needs
 * Microsoft.Authorization/roleAssignments/write at its scope — checked by the pipeline like every permission.
 */
import { parseAssignmentFilter, parseDefinitionFilter } from "../../domain/role-assignments.js";
import type { RequestContext, Route } from "../../http/types.js";
import type { AppServices } from "../app-services.js";
import { armBody, groupOf, subscriptionOf } from "../management/routes.js";
import { assignmentJson, definitionJson } from "./wire.js";
import { roleAssignmentBody } from "../management/body-schemas.js";

const manage = (action: string) => ({ kind: "management", action }) as const;
const AUTHENTICATED = { kind: "authenticated" } as const;
const PROVIDER = "providers/Microsoft.Authorization";

type ScopeResolver = (ctx: RequestContext, app: AppServices) => Promise<string>;

const SUB = "/subscriptions/{subscriptionId}";
const RG = `${SUB}/resourcegroups/{resourceGroupName}`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/{vaultName}`;

const subscriptionScope: ScopeResolver = async (ctx, app) => `/subscriptions/${subscriptionOf(ctx, app)}`;
const groupScope: ScopeResolver = async (ctx, app) => `/subscriptions/${app.tenant.subscriptionId}/resourceGroups/${await groupOf(ctx, app)}`;
const vaultScope: ScopeResolver = async (ctx, app) => {
  const vault = await app.vaults.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vaultName!);
  return `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault.name}`;
};

/** Canonical scope (stored names and casing) for each scope shape; resolving it checks that the resource exists. */
const SCOPES: { prefix: string; resolve: ScopeResolver }[] = [
  { prefix: SUB, resolve: subscriptionScope },
  { prefix: RG, resolve: groupScope },
  { prefix: VAULT, resolve: vaultScope },
  // Secrets and keys need not exist yet: an assignment may be made for an object about to be created.
  { prefix: `${VAULT}/secrets/{secretName}`, resolve: async (ctx, app) => `${await vaultScope(ctx, app)}/secrets/${ctx.params.secretName!}` },
  { prefix: `${VAULT}/keys/{keyName}`, resolve: async (ctx, app) => `${await vaultScope(ctx, app)}/keys/${ctx.params.keyName!}` },
  { prefix: `${VAULT}/certificates/{certificateName}`, resolve: async (ctx, app) => `${await vaultScope(ctx, app)}/certificates/${ctx.params.certificateName!}` },
  {
    prefix: `${RG}/providers/Microsoft.Compute/virtualMachines/{vmName}`,
    resolve: async (ctx, app) => {
      const m = await app.machines.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vmName!);
      return `/subscriptions/${m.subscriptionId}/resourceGroups/${m.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${m.name}`;
    },
  },
];

function definitionRoutes(prefix: string, base: (ctx: RequestContext, app: AppServices) => Promise<string>): Route<AppServices>[] {
  return [
    {
      method: "GET",
      path: `${prefix}/${PROVIDER}/roleDefinitions`,
      operation: "ListRoleDefinitions",
      permission: AUTHENTICATED,
      handler: async (ctx, app) => {
        const root = await base(ctx, app);
        const filter = parseDefinitionFilter(ctx.query.get("$filter"));
        const roles = filter.customOnly ? [] : app.roles.definitions(filter.roleName);
        return { status: 200, body: { value: roles.map((r) => definitionJson(r, `${root}/${PROVIDER}/roleDefinitions/${r.id}`)) } };
      },
    },
    {
      method: "GET",
      path: `${prefix}/${PROVIDER}/roleDefinitions/{roleDefinitionId}`,
      operation: "GetRoleDefinition",
      permission: AUTHENTICATED,
      handler: async (ctx, app) => {
        const root = await base(ctx, app);
        const role = app.roles.definition(ctx.params.roleDefinitionId!);
        return { status: 200, body: definitionJson(role, `${root}/${PROVIDER}/roleDefinitions/${role.id}`) };
      },
    },
  ];
}

function assignmentRoutes(prefix: string, resolve: ScopeResolver): Route<AppServices>[] {
  const one = `${prefix}/${PROVIDER}/roleAssignments/{roleAssignmentName}`;
  return [
    {
      method: "PUT",
      path: one,
      operation: "CreateRoleAssignment",
      permission: manage("Microsoft.Authorization/roleAssignments/write"),
      body: roleAssignmentBody,
      handler: async (ctx, app) => {
        const scope = await resolve(ctx, app);
        const { assignment, created } = await app.roles.create(scope, ctx.params.roleAssignmentName!, await armBody(ctx), ctx.principal!.objectId);
        return { status: created ? 201 : 200, body: assignmentJson(assignment) };
      },
    },
    {
      method: "GET",
      path: one,
      operation: "GetRoleAssignment",
      permission: manage("Microsoft.Authorization/roleAssignments/read"),
      handler: async (ctx, app) => ({ status: 200, body: assignmentJson(await app.roles.get(await resolve(ctx, app), ctx.params.roleAssignmentName!)) }),
    },
    {
      method: "DELETE",
      path: one,
      operation: "DeleteRoleAssignment",
      permission: manage("Microsoft.Authorization/roleAssignments/delete"),
      handler: async (ctx, app) => {
        const removed = await app.roles.delete(await resolve(ctx, app), ctx.params.roleAssignmentName!);
        return removed ? { status: 200, body: assignmentJson(removed) } : { status: 204 };
      },
    },
    {
      method: "GET",
      path: `${prefix}/${PROVIDER}/roleAssignments`,
      operation: "ListRoleAssignments",
      permission: manage("Microsoft.Authorization/roleAssignments/read"),
      handler: async (ctx, app) => {
        const scope = await resolve(ctx, app);
        const found = await app.roles.list(scope, parseAssignmentFilter(ctx.query.get("$filter")));
        return { status: 200, body: { value: found.map(assignmentJson) } };
      },
    },
  ];
}

export const authorizationRoutes: Route<AppServices>[] = [
  ...definitionRoutes("", async () => ""),
  ...SCOPES.flatMap(({ prefix, resolve }) => [...assignmentRoutes(prefix, resolve), ...definitionRoutes(prefix, resolve)]),
];

