/**
 * Authorization, in one place. Every route declares the permission it needs; the pipeline calls
 * `Authorizer.authorize` before the handler runs, so no handler checks permissions on its own.
 *
 * Management plane: the tenant admin, or Azure RBAC (role assignments at a scope containing the target path).
 * Data plane: access policies, or RBAC when the vault has enableRbacAuthorization (data actions, roles.ts).
 */
import { DomainError } from "./errors.js";
import type { Principal } from "./principal.js";
import { roleById, roleGrants } from "./roles.js";
import type { RoleAssignmentRecord, VaultRecord } from "../storage/types.js";

export type DataCollection = "secrets" | "keys" | "certificates";

export type Permission =
  /** No caller identity needed (discovery, token endpoint, health). */
  | { kind: "public" }
  /** Any verified principal of the tenant; the handler shows only what the caller may see. */
  | { kind: "authenticated" }
  /** Management plane and directory: an ARM action such as Microsoft.KeyVault/vaults/write. */
  | { kind: "management"; action: string }
  /**
   * Vault data plane: an access-policy permission such as secrets/get, and the RBAC data action that stands for
   * the same operation (Microsoft.KeyVault/vaults/secrets/getSecret/action).
   */
  | { kind: "data"; collection: DataCollection; action: string; dataAction: string };

export function authorizeManagement(principal: Principal, action: string, scope: string): void {
  if (principal.admin) return;
  throw new DomainError(
    "AuthorizationFailed",
    `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action ` +
      `'${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** Certificate issuer permissions that `manageissuers` grants all of, as in Azure's access policies. */
const ISSUER_ACTIONS = new Set(["getissuers", "listissuers", "setissuers", "deleteissuers"]);

export function authorizeData(principal: Principal, vault: VaultRecord, collection: DataCollection, action: string): void {
  const granted = vault.properties.accessPolicies.some(
    (policy) =>
      policy.objectId === principal.objectId &&
      policy.tenantId === principal.tenantId &&
      (policy.permissions[collection] ?? []).some((p) => {
        const permission = p.toLowerCase();
        return permission === action || permission === "all" || (permission === "manageissuers" && ISSUER_ACTIONS.has(action));
      }),
  );
  if (granted) return;
  throw new DomainError(
    "Forbidden",
    `The user, group or application 'appid=${principal.appId};oid=${principal.objectId};iss=${principal.issuer}' ` +
      `does not have ${collection} ${action} permission on key vault '${vault.name};location=${vault.location}'. ` +
      "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
    "ForbiddenByPolicy",
  );
}

/** Where the role assignments come from: in practice the cache in role-assignment-cache.ts. */
export interface RoleAssignmentSource {
  forPrincipal(objectId: string): Promise<RoleAssignmentRecord[]>;
}

/** What a request touches, as the pipeline derives it from the route and the request. */
export type AuthzTarget =
  /** An ARM (or directory) path; ARM paths are resource ids. */
  | { plane: "management"; path: string }
  /** A vault object; `objectName` is absent for collection-wide operations (list, restore). */
  | { plane: "data"; vault: VaultRecord; operation: string; objectName?: string };

/** `scope` contains `resourceId` when it is the same resource or one of its ancestors (case-insensitively). */
export function scopeContains(scope: string, resourceId: string): boolean {
  const s = normalizeId(scope);
  const r = normalizeId(resourceId);
  return s === "/" || r === s || r.startsWith(`${s}/`);
}

export function normalizeId(id: string): string {
  const trimmed = id.toLowerCase().replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

export function vaultResourceId(vault: VaultRecord): string {
  return `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault.name}`;
}

export class Authorizer {
  constructor(private readonly assignments: RoleAssignmentSource) {}

  /** The one entry point the pipeline calls before any handler runs. */
  async authorize(principal: Principal, permission: Permission, target: AuthzTarget): Promise<void> {
    if (permission.kind === "management" && target.plane === "management") return this.management(principal, permission.action, target.path);
    if (permission.kind === "data" && target.plane === "data") {
      if (target.vault.properties.enableRbacAuthorization) return this.rbacData(principal, permission, target);
      return authorizeData(principal, target.vault, permission.collection, permission.action);
    }
  }

  /**
   * The tenant admin may do everything; anyone else needs an assignment whose role's actions cover `action` at a
   * scope containing the path. Paths outside ARM (the directory) stay admin-only.
   */
  private async management(principal: Principal, action: string, path: string): Promise<void> {
    if (principal.admin) return;
    if (path.toLowerCase().startsWith("/subscriptions/") && (await this.granted(principal, action, path, false))) return;
    authorizeManagement(principal, action, path);
  }

  private async rbacData(
    principal: Principal,
    { collection, dataAction }: Extract<Permission, { kind: "data" }>,
    target: Extract<AuthzTarget, { plane: "data" }>,
  ): Promise<void> {
    const vaultId = vaultResourceId(target.vault);
    const resource = target.objectName === undefined ? vaultId : `${vaultId}/${collection}/${target.objectName}`;
    if (await this.granted(principal, dataAction, resource, true)) return;
    const { vault } = target;
    throw new DomainError(
      "Forbidden",
      "Caller is not authorized to perform action on resource.\r\n" +
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
        `Caller: appid=${principal.appId};oid=${principal.objectId};iss=${principal.issuer}\r\n` +
        `Action: '${dataAction}'\r\n` +
        `Resource: '${resource.toLowerCase()}'\r\n` +
        "Assignment: (not found)\r\n" +
        "DenyAssignmentId: null\r\n" +
        "DecisionReason: 'DeniedWithNoValidRBAC' \r\n" +
        `Vault: ${vault.name};location=${vault.location}\r\n`,
      "ForbiddenByRbac",
    );
  }

  private async granted(principal: Principal, action: string, resourceId: string, data: boolean): Promise<boolean> {
    for (const assignment of await this.assignments.forPrincipal(principal.objectId)) {
      if (!scopeContains(assignment.scope, resourceId)) continue;
      const role = roleById(assignment.roleDefinitionId);
      if (role && roleGrants(role, action, data)) return true;
    }
    return false;
  }
}
