/**
 * A key's rotation policy (`GET`/`PUT /keys/{name}/rotationpolicy`), as route data. Azure checks these against
 * their own access-policy permissions (getrotationpolicy, setrotationpolicy) and RBAC data actions
 * (keyrotationpolicies/read, keyrotationpolicies/write: Key Vault Crypto Officer has them, Crypto User does not).
 */
import type { RotationPolicyView } from "../../../domain/keys/key-rotation-service.js";
import { readJsonObject } from "../../../http/body.js";
import type { Route } from "../../../http/types.js";
import type { AppServices } from "../../app-services.js";
import { vaultOf } from "../vault-context.js";

const POLICIES = "Microsoft.KeyVault/vaults/keyrotationpolicies";

/** Key Vault's KeyRotationPolicy JSON. */
export function rotationPolicyJson(uri: string, policy: RotationPolicyView): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  if (policy.expiryTime !== null) attributes.expiryTime = policy.expiryTime;
  if (policy.created !== undefined) attributes.created = policy.created;
  if (policy.updated !== undefined) attributes.updated = policy.updated;
  return { id: `${uri}keys/${policy.name}/rotationpolicy`, lifetimeActions: policy.lifetimeActions, attributes };
}

export const keyRotationRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/keys/{name}/rotationpolicy",
    operation: "GetKeyRotationPolicy",
    permission: { kind: "data", collection: "keys", action: "getrotationpolicy", dataAction: `${POLICIES}/read` },
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      return { status: 200, body: rotationPolicyJson(uri, await app.keyRotation.getPolicy(vault, ctx.params.name!)) };
    },
  },
  {
    method: "PUT",
    path: "/keys/{name}/rotationpolicy",
    operation: "UpdateKeyRotationPolicy",
    permission: { kind: "data", collection: "keys", action: "setrotationpolicy", dataAction: `${POLICIES}/write` },
    handler: async (ctx, app) => {
      const { vault, uri } = vaultOf(ctx);
      const input = await readJsonObject(ctx, "keyvault");
      return { status: 200, body: rotationPolicyJson(uri, await app.keyRotation.setPolicy(vault, ctx.params.name!, input)) };
    },
  },
];
