/** Microsoft.Authorization JSON shapes (api-version 2022-04-01): role assignments and role definitions. */
import type { RoleDefinition } from "../../domain/roles.js";
import type { RoleAssignmentRecord } from "../../storage/types.js";

const PROVIDER = "providers/Microsoft.Authorization";
/** When Azure created the built-in Key Vault roles; every built-in role here reports it. */
const BUILT_IN_CREATED = "2020-05-19T17:52:46.2349235Z";

export function assignmentJson(a: RoleAssignmentRecord) {
  const created = new Date(a.createdAt).toISOString();
  const scope = a.scope === "/" ? "" : a.scope;
  return {
    properties: {
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: null,
      conditionVersion: null,
      createdOn: created,
      updatedOn: created,
      createdBy: a.createdBy,
      updatedBy: a.createdBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description,
    },
    id: `${scope}/${PROVIDER}/roleAssignments/${a.id}`,
    type: "Microsoft.Authorization/roleAssignments",
    name: a.id,
  };
}

/** `id` is where it was read: `/subscriptions/{s}/providers/…/roleDefinitions/{guid}` or the tenant root's. */
export function definitionJson(role: RoleDefinition, id: string) {
  return {
    properties: {
      roleName: role.roleName,
      type: "BuiltInRole",
      description: role.description,
      assignableScopes: ["/"],
      permissions: role.permissions.map((p) => ({ actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions })),
      createdOn: BUILT_IN_CREATED,
      updatedOn: BUILT_IN_CREATED,
      createdBy: null,
      updatedBy: null,
    },
    id,
    type: "Microsoft.Authorization/roleDefinitions",
    name: role.id,
  };
}
