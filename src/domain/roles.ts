/**
 * Azure's built-in role definitions that matter to a key vault, as data: the real role-definition ids (GUIDs),
 * actions and data actions, copied from Azure's published definitions. Custom roles are not supported.
 *
 * Also the one table from a data-plane operation to the RBAC data action it needs, and Azure's wildcard matching.
 */
import { BoundedCache } from "../cache/bounded-cache.js";

export interface RolePermission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** The role-definition GUID (the `name` of the ARM resource). */
  id: string;
  roleName: string;
  description: string;
  permissions: RolePermission[];
}

/** The control-plane actions every Key Vault data role carries (read the vault, deployments, support tickets). */
const KEY_VAULT_ROLE_ACTIONS = [
  "Microsoft.Authorization/*/read",
  "Microsoft.Insights/alertRules/*",
  "Microsoft.Resources/deployments/*",
  "Microsoft.Resources/subscriptions/resourceGroups/read",
  "Microsoft.Support/*",
  "Microsoft.KeyVault/checkNameAvailability/read",
  "Microsoft.KeyVault/deletedVaults/read",
  "Microsoft.KeyVault/locations/*/read",
  "Microsoft.KeyVault/vaults/*/read",
  "Microsoft.KeyVault/operations/read",
];

const RBAC_ONLY = "Only works for key vaults that use the 'Azure role-based access control' permission model.";

function role(id: string, roleName: string, description: string, permission: Partial<RolePermission>): RoleDefinition {
  return {
    id,
    roleName,
    description,
    permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...permission }],
  };
}

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner", "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.", {
    actions: ["*"],
  }),
  role(
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Contributor",
    "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    {
      actions: ["*"],
      notActions: [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
      ],
    },
  ),
  role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", "View all resources, but does not allow you to make any changes.", { actions: ["*/read"] }),
  role("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator", "Lets you manage user access to Azure resources.", {
    actions: ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
  }),
  role(
    "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Administrator",
    `Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. ${RBAC_ONLY}`,
    { actions: KEY_VAULT_ROLE_ACTIONS, dataActions: ["Microsoft.KeyVault/vaults/*"] },
  ),
  role(
    "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Reader",
    `Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. ${RBAC_ONLY}`,
    { actions: KEY_VAULT_ROLE_ACTIONS, dataActions: ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"] },
  ),
  role(
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets Officer",
    `Perform any action on the secrets of a key vault, except manage permissions. ${RBAC_ONLY}`,
    { actions: KEY_VAULT_ROLE_ACTIONS, dataActions: ["Microsoft.KeyVault/vaults/secrets/*"] },
  ),
  role("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User", `Read secret contents. ${RBAC_ONLY}`, {
    dataActions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
  }),
  role(
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Crypto Officer",
    `Perform any action on the keys of a key vault, except manage permissions. ${RBAC_ONLY}`,
    { actions: KEY_VAULT_ROLE_ACTIONS, dataActions: ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"] },
  ),
  role("12338af0-0e69-4776-bea7-57ae8d297424", "Key Vault Crypto User", `Perform cryptographic operations using keys. ${RBAC_ONLY}`, {
    dataActions: [
      "Microsoft.KeyVault/vaults/keys/read",
      "Microsoft.KeyVault/vaults/keys/update/action",
      "Microsoft.KeyVault/vaults/keys/backup/action",
      "Microsoft.KeyVault/vaults/keys/encrypt/action",
      "Microsoft.KeyVault/vaults/keys/decrypt/action",
      "Microsoft.KeyVault/vaults/keys/wrap/action",
      "Microsoft.KeyVault/vaults/keys/unwrap/action",
      "Microsoft.KeyVault/vaults/keys/sign/action",
      "Microsoft.KeyVault/vaults/keys/verify/action",
    ],
  }),
  role(
    "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Crypto Service Encryption User",
    `Read metadata of keys and perform wrap/unwrap operations. ${RBAC_ONLY}`,
    {
      actions: ["Microsoft.EventGrid/eventSubscriptions/write", "Microsoft.EventGrid/eventSubscriptions/read", "Microsoft.EventGrid/eventSubscriptions/delete"],
      dataActions: ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action", "Microsoft.KeyVault/vaults/keys/unwrap/action"],
    },
  ),
  role("08bbd89e-9f13-488c-ac41-acfcb10c90ab", "Key Vault Crypto Service Release User", `Release keys. ${RBAC_ONLY}`, {
    dataActions: ["Microsoft.KeyVault/vaults/keys/release/action"],
  }),
  role("db79e9a7-68ee-4b58-9aeb-b90e7c24fcba", "Key Vault Certificate User", `Read certificate contents. ${RBAC_ONLY}`, {
    dataActions: [
      "Microsoft.KeyVault/vaults/certificates/read",
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
      "Microsoft.KeyVault/vaults/keys/read",
    ],
  }),
  role(
    "a4417e6f-fecd-4de8-b567-7b0420556985",
    "Key Vault Certificates Officer",
    `Perform any action on the certificates of a key vault, except manage permissions. ${RBAC_ONLY}`,
    {
      actions: KEY_VAULT_ROLE_ACTIONS,
      dataActions: ["Microsoft.KeyVault/vaults/certificatecas/*", "Microsoft.KeyVault/vaults/certificates/*", "Microsoft.KeyVault/vaults/certificatecontacts/write"],
    },
  ),
];

const BY_ID = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]));

/** A role by GUID or by a full role-definition id (`…/providers/Microsoft.Authorization/roleDefinitions/<guid>`). */
export function roleById(idOrResourceId: string): RoleDefinition | undefined {
  const guid = idOrResourceId.split("/").filter(Boolean).pop() ?? "";
  return BY_ID.get(guid.toLowerCase());
}

/** Compiled action patterns; the patterns come from role definitions, few and fixed, but the cache is bounded all the same. */
const patterns = new BoundedCache<string, RegExp>({ name: "action-patterns", maxEntries: 1_000, maxBytes: 1024 * 1024 }, (_regex, pattern) => 64 + pattern.length * 4);

/** Azure's action matching: case-insensitive, `*` stands for any run of characters (slashes included). */
export function actionMatches(pattern: string, action: string): boolean {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
    patterns.set(pattern, regex);
  }
  return regex.test(action);
}

/** Whether `role` grants `action` (a control-plane action, or a data action when `data` is set). */
export function roleGrants(role: RoleDefinition, action: string, data: boolean): boolean {
  return role.permissions.some((p) => {
    const allowed = data ? p.dataActions : p.actions;
    const denied = data ? p.notDataActions : p.notActions;
    return allowed.some((a) => actionMatches(a, action)) && !denied.some((a) => actionMatches(a, action));
  });
}
