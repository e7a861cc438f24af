/**
 * `kluis keyvault list-deleted | recover | purge` — soft-deleted vaults through ARM's deletedVaults, with az's
 * flags and output. As az does, recover and purge find a deleted vault's location (and recover its resource group)
 * from the subscription's deleted vaults when they are not given.
 */
import type { Command } from "commander";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError } from "../errors.js";
import { API_VERSIONS, type Session } from "../session.js";

interface DeletedVault {
  id: string;
  name: string;
  properties: { vaultId: string; location: string };
}

function providerPath(session: Session): string {
  return `/subscriptions/${encodeURIComponent(session.subscriptionId)}/providers/Microsoft.KeyVault`;
}

function deletedVaultPath(session: Session, location: string, name: string): string {
  return `${providerPath(session)}/locations/${encodeURIComponent(location)}/deletedVaults/${encodeURIComponent(name)}`;
}

function listDeleted(session: Session): Promise<DeletedVault[]> {
  return session.armList<DeletedVault>(`${providerPath(session)}/deletedVaults`, API_VERSIONS.keyVault);
}

async function findDeleted(session: Session, name: string, location: string | undefined): Promise<DeletedVault> {
  if (location !== undefined) return session.arm<DeletedVault>("GET", deletedVaultPath(session, location, name), API_VERSIONS.keyVault);
  const found = (await listDeleted(session)).find((vault) => vault.name.toLowerCase() === name.toLowerCase());
  if (found === undefined) throw new CliError(`No deleted Vault or HSM was found with name '${name}'.`);
  return found;
}

interface RecoverOptions {
  name: string;
  resourceGroup?: string;
  location?: string;
}

/** az sends a minimal vault body with createMode "recover"; the service restores the vault's own properties. */
async function recoverVault(session: Session, options: RecoverOptions): Promise<unknown> {
  const deleted = await findDeleted(session, options.name, options.location);
  const group = options.resourceGroup ?? /\/resourceGroups\/([^/]+)/i.exec(deleted.properties.vaultId)?.[1];
  if (group === undefined) throw new CliError(`The deleted vault '${deleted.name}' names no resource group.`);
  const path = `/subscriptions/${encodeURIComponent(session.subscriptionId)}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.KeyVault/vaults/${encodeURIComponent(deleted.name)}`;
  const body = {
    location: deleted.properties.location,
    properties: { tenantId: session.tenantId, sku: { family: "A", name: "standard" }, createMode: "recover" },
  };
  return session.arm("PUT", path, API_VERSIONS.keyVault, body);
}

export function registerDeletedVaultCommands(keyvault: Command): void {
  onAction<Record<string, never>>(
    leafCommand(keyvault, "list-deleted", "List soft-deleted vaults that can still be recovered or purged."),
    (_options, context) => listDeleted(context.session()),
  );

  onAction<RecoverOptions>(
    leafCommand(keyvault, "recover", "Recover a soft-deleted vault, with its secrets.")
      .requiredOption("-n, --name <name>", "name of the deleted vault")
      .option("-g, --resource-group <group>", "the vault's resource group (default: the one it was deleted from)")
      .option("-l, --location <location>", "location of the deleted vault (found by name when omitted)"),
    (options, context) => recoverVault(context.session(), options),
  );

  onAction<{ name: string; location?: string }>(
    leafCommand(keyvault, "purge", "Permanently delete a soft-deleted vault and everything in it.")
      .requiredOption("-n, --name <name>", "name of the deleted vault")
      .option("-l, --location <location>", "location of the deleted vault (found by name when omitted)"),
    async (options, context) => {
      const session = context.session();
      const deleted = await findDeleted(session, options.name, options.location);
      await session.arm("POST", `${deletedVaultPath(session, deleted.properties.location, deleted.name)}/purge`, API_VERSIONS.keyVault);
      return undefined;
    },
  );
}
