/**
 * Authorization, in one place. Every route declares the permission it needs; the dispatcher calls `authorize`
 * before the handler runs, so no handler checks permissions on its own.
 */
import { DomainError } from "./errors.js";
import type { Principal } from "./principal.js";
import type { VaultRecord } from "../storage/types.js";

export type DataCollection = "secrets" | "keys" | "certificates";

export type Permission =
  /** No caller identity needed (discovery, token endpoint, health). */
  | { kind: "public" }
  /** Any verified principal of the tenant; the handler shows only what the caller may see. */
  | { kind: "authenticated" }
  /** Management plane and directory: an ARM action such as Microsoft.KeyVault/vaults/write. */
  | { kind: "management"; action: string }
  /** Vault data plane: an access-policy permission such as secrets/get. */
  | { kind: "data"; collection: DataCollection; action: string };

export function authorizeManagement(principal: Principal, action: string, scope: string): void {
  if (principal.admin) return;
  throw new DomainError(
    "AuthorizationFailed",
    `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action ` +
      `'${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

export function authorizeData(principal: Principal, vault: VaultRecord, collection: DataCollection, action: string): void {
  const granted = vault.properties.accessPolicies.some(
    (policy) =>
      policy.objectId === principal.objectId &&
      policy.tenantId === principal.tenantId &&
      (policy.permissions[collection] ?? []).some((p) => {
        const permission = p.toLowerCase();
        return permission === action || permission === "all";
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
