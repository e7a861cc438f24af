/**
 * `kluis keyvault create | show | list | delete | set-policy | delete-policy` (and list-deleted | recover | purge,
 * in keyvault-deleted.ts) — the Microsoft.KeyVault
 * management plane. Like az, `create` grants the creator every permission (unless --no-self-perms or RBAC),
 * and a vault can be named without its resource group: it is then found among the subscription's vaults.
 */
import type { Command } from "commander";
import { ALL_PERMISSIONS, parseBoolean, parseInteger, parsePermissions, parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, RequestError, UsageError } from "../errors.js";
import { API_VERSIONS, type Session } from "../session.js";
import { getGroup } from "./group.js";
import { resolveServicePrincipal } from "./ad.js";
import { registerKeyvaultUpdate } from "./keyvault-update.js";
import { registerDeletedVaultCommands } from "./keyvault-deleted.js";

export interface AccessPolicy {
  tenantId: string;
  objectId: string;
  permissions: Partial<Record<keyof typeof ALL_PERMISSIONS, string[]>>;
}

export interface Vault {
  id: string;
  name: string;
  location: string;
  resourceGroup?: string;
  properties: { vaultUri: string; accessPolicies?: AccessPolicy[]; enableRbacAuthorization?: boolean };
}

function subscriptionPath(session: Session): string {
  return `/subscriptions/${encodeURIComponent(session.subscriptionId)}`;
}

function vaultPath(session: Session, group: string, name: string): string {
  return `${subscriptionPath(session)}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.KeyVault/vaults/${encodeURIComponent(name)}`;
}

export function resourceGroupOf(id: string): string | undefined {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
}

/** The vault's ARM path: straight from `--resource-group`, else by finding the name among the subscription's vaults. */
export async function locateVault(session: Session, name: string, group: string | undefined): Promise<string> {
  if (group !== undefined) return vaultPath(session, group, name);
  const vaults = await session.armList<Vault>(`${subscriptionPath(session)}/providers/Microsoft.KeyVault/vaults`, API_VERSIONS.keyVault);
  const found = vaults.find((vault) => vault.name.toLowerCase() === name.toLowerCase());
  if (found === undefined) throw new CliError(`The Vault '${name}' not found within subscription.`);
  return found.id;
}

async function showVault(session: Session, name: string, group: string | undefined): Promise<Vault> {
  return session.arm<Vault>("GET", await locateVault(session, name, group), API_VERSIONS.keyVault);
}

/** `--object-id` or `--spn` (an application id or service principal name, looked up in the directory). */
async function principalObjectId(session: Session, options: { objectId?: string; spn?: string; upn?: string }): Promise<string> {
  const given = [options.objectId, options.spn, options.upn].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError("usage error: --object-id ID | --spn SPN | --upn UPN");
  if (options.upn !== undefined) throw new CliError("User principals are not supported: use --object-id or --spn.");
  if (options.objectId !== undefined) return options.objectId;
  return (await resolveServicePrincipal(session, options.spn ?? "")).id;
}

interface CreateOptions {
  name: string;
  resourceGroup: string;
  location?: string;
  sku: string;
  tags?: string[];
  enableRbacAuthorization?: string | boolean;
  retentionDays?: string;
  enablePurgeProtection?: string | boolean;
  selfPerms: boolean;
}

async function createVault(session: Session, options: CreateOptions): Promise<unknown> {
  const sku = options.sku.toLowerCase();
  if (sku !== "standard" && sku !== "premium") throw new UsageError(`argument --sku: invalid choice: '${options.sku}' (choose from 'premium', 'standard')`);
  const rbac = parseBoolean("--enable-rbac-authorization", options.enableRbacAuthorization) ?? false;
  const purgeProtection = parseBoolean("--enable-purge-protection", options.enablePurgeProtection);
  const retention = parseInteger("--retention-days", options.retentionDays, 7, 90) ?? 90;
  const path = vaultPath(session, options.resourceGroup, options.name);
  await refuseExistingVault(session, path, options.name);
  const location = options.location ?? (await getGroup(session, options.resourceGroup)).location;
  // As az: without RBAC the creator gets every permission, so that the vault is usable right away.
  const accessPolicies: AccessPolicy[] =
    rbac || !options.selfPerms
      ? []
      : [
          {
            tenantId: session.tenantId,
            objectId: await session.objectId(),
            permissions: {
              keys: [...ALL_PERMISSIONS.keys],
              secrets: [...ALL_PERMISSIONS.secrets],
              certificates: [...ALL_PERMISSIONS.certificates],
              storage: [...ALL_PERMISSIONS.storage],
            },
          },
        ];
  const body = {
    location,
    tags: parseTags(options.tags),
    properties: {
      tenantId: session.tenantId,
      sku: { family: "A", name: sku },
      accessPolicies,
      enableSoftDelete: true,
      softDeleteRetentionInDays: retention,
      enableRbacAuthorization: rbac,
      ...(purgeProtection !== undefined ? { enablePurgeProtection: purgeProtection } : {}),
    },
  };
  return session.arm("PUT", path, API_VERSIONS.keyVault, body);
}

/**
 * ARM's PUT is create-or-update, so a second `create` would silently replace the vault's access policies (and with
 * them every grant made since). az looks first and refuses; so do we. Only "not found" lets creation go on.
 */
async function refuseExistingVault(session: Session, path: string, name: string): Promise<void> {
  try {
    await session.arm("GET", path, API_VERSIONS.keyVault);
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) return;
    throw error;
  }
  throw new CliError(`The specified vault: ${name} already exists`);
}

interface PolicyOptions {
  name: string;
  resourceGroup?: string;
  objectId?: string;
  spn?: string;
  upn?: string;
  secretPermissions?: string[];
  keyPermissions?: string[];
  certificatePermissions?: string[];
  storagePermissions?: string[];
}

async function setPolicy(session: Session, options: PolicyOptions): Promise<unknown> {
  const permissions = {
    keys: parsePermissions("keys", options.keyPermissions),
    secrets: parsePermissions("secrets", options.secretPermissions),
    certificates: parsePermissions("certificates", options.certificatePermissions),
    storage: parsePermissions("storage", options.storagePermissions),
  };
  if (Object.values(permissions).every((list) => list === undefined)) {
    throw new UsageError("usage error: specify at least one of --key-permissions, --secret-permissions, --certificate-permissions, --storage-permissions");
  }
  const objectId = await principalObjectId(session, options);
  const path = await locateVault(session, options.name, options.resourceGroup);
  const policy: AccessPolicy = { tenantId: session.tenantId, objectId, permissions: dropUndefined(permissions) };
  await session.arm("PUT", `${path}/accessPolicies/add`, API_VERSIONS.keyVault, { properties: { accessPolicies: [policy] } });
  return session.arm("GET", path, API_VERSIONS.keyVault);
}

async function deletePolicy(session: Session, options: PolicyOptions): Promise<unknown> {
  const objectId = await principalObjectId(session, options);
  const path = await locateVault(session, options.name, options.resourceGroup);
  const vault = await session.arm<Vault>("GET", path, API_VERSIONS.keyVault);
  const existing = vault.properties.accessPolicies?.find((p) => p.objectId.toLowerCase() === objectId.toLowerCase());
  // az treats a missing policy as nothing to do and prints the vault as it is.
  if (existing === undefined) return vault;
  // Sending the policy's own permissions removes all of them, whichever way the server reads a partial remove.
  const policy: AccessPolicy = { tenantId: existing.tenantId, objectId: existing.objectId, permissions: existing.permissions };
  await session.arm("PUT", `${path}/accessPolicies/remove`, API_VERSIONS.keyVault, { properties: { accessPolicies: [policy] } });
  return session.arm("GET", path, API_VERSIONS.keyVault);
}

function dropUndefined<T extends object>(record: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function withPolicyOptions(command: Command): Command {
  return command
    .requiredOption("-n, --name <name>", "name of the vault")
    .option("-g, --resource-group <group>", "the vault's resource group (found by name when omitted)")
    .option("--object-id <id>", "object id of the principal to grant")
    .option("--spn <spn>", "application id or service principal name of the principal")
    .option("--upn <upn>", "user principal name (not supported: Kluis has no users)");
}

export function registerKeyvaultCommands(program: Command): Command {
  const keyvault = program.command("keyvault").description("Manage vaults, their secrets, keys and certificates.");

  onAction<CreateOptions>(
    leafCommand(keyvault, "create", "Create a vault; the creator gets every permission.")
      .requiredOption("-n, --name <name>", "name of the vault (3-24 letters, digits and dashes)")
      .requiredOption("-g, --resource-group <group>", "resource group to create the vault in")
      .option("-l, --location <location>", "location (default: the resource group's)")
      .option("--sku <sku>", "standard or premium", "standard")
      .option("--tags <tags...>", "space-separated tags: key[=value]")
      .option("--enable-rbac-authorization [bool]", "authorize data-plane calls by RBAC instead of access policies")
      .option("--retention-days <days>", "soft-delete retention in days, 7 to 90", "90")
      .option("--enable-purge-protection [bool]", "forbid purging deleted objects before the retention ends")
      .option("--no-self-perms", "do not grant the creator an access policy"),
    (options, context) => createVault(context.session(), options),
  );

  onAction<{ name: string; resourceGroup?: string }>(
    leafCommand(keyvault, "show", "Show a vault.")
      .requiredOption("-n, --name <name>", "name of the vault")
      .option("-g, --resource-group <group>", "the vault's resource group (found by name when omitted)"),
    (options, context) => showVault(context.session(), options.name, options.resourceGroup),
  );

  onAction<{ resourceGroup?: string }>(
    leafCommand(keyvault, "list", "List vaults of a resource group or of the subscription.").option(
      "-g, --resource-group <group>",
      "only this resource group's vaults",
    ),
    async (options, context) => {
      const session = context.session();
      const scope =
        options.resourceGroup === undefined ? subscriptionPath(session) : `${subscriptionPath(session)}/resourceGroups/${encodeURIComponent(options.resourceGroup)}`;
      return session.armList(`${scope}/providers/Microsoft.KeyVault/vaults`, API_VERSIONS.keyVault);
    },
  );

  onAction<{ name: string; resourceGroup?: string; yes?: boolean }>(
    leafCommand(keyvault, "delete", "Delete a vault (soft delete).")
      .requiredOption("-n, --name <name>", "name of the vault")
      .option("-g, --resource-group <group>", "the vault's resource group (found by name when omitted)")
      .option("-y, --yes", "accepted for symmetry with group delete; az does not prompt here"),
    async (options, context) => {
      const session = context.session();
      await session.arm("DELETE", await locateVault(session, options.name, options.resourceGroup), API_VERSIONS.keyVault);
      return undefined;
    },
  );

  onAction<PolicyOptions>(
    withPolicyOptions(leafCommand(keyvault, "set-policy", "Grant a principal permissions on a vault's keys, secrets or certificates."))
      .option("--secret-permissions <permissions...>", `any of: ${ALL_PERMISSIONS.secrets.join(" ")} all`)
      .option("--key-permissions <permissions...>", "any key permission, or all")
      .option("--certificate-permissions <permissions...>", "any certificate permission, or all")
      .option("--storage-permissions <permissions...>", "any storage permission, or all"),
    (options, context) => setPolicy(context.session(), options),
  );

  onAction<PolicyOptions>(
    withPolicyOptions(leafCommand(keyvault, "delete-policy", "Remove a principal's access policy from a vault.")),
    (options, context) => deletePolicy(context.session(), options),
  );

  registerDeletedVaultCommands(keyvault);
  registerKeyvaultUpdate(keyvault);
  return keyvault;
}
