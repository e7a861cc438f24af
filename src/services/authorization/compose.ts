/** Builds the authorization services for the composition root: the assignment cache, the authorizer, the role service. */
import { Authorizer } from "../../domain/authz.js";
import { invalidateOn, type ChangeFeed } from "../../domain/change-feed.js";
import { RoleAssignmentCache } from "../../domain/role-assignment-cache.js";
import { RoleAssignmentService, type PrincipalLookup } from "../../domain/role-assignments.js";
import type { Store } from "../../storage/types.js";

export function authorizationServices(
  store: Store,
  principals: PrincipalLookup,
  tenant: { tenantId: string; subscriptionId: string },
  changes: ChangeFeed,
): { authorizer: Authorizer; roles: RoleAssignmentService } {
  const cache = new RoleAssignmentCache(store.roleAssignments);
  // Any node's change (this one's included) drops the whole cached set; the 1 s TTL covers lost notifications.
  invalidateOn(changes, "role-assignment", cache);
  const roles = new RoleAssignmentService(store.roleAssignments, principals, tenant.tenantId, tenant.subscriptionId, async (id) => {
    cache.invalidate();
    await changes.publish("role-assignment", id);
  });
  return { authorizer: new Authorizer(cache), roles };
}
