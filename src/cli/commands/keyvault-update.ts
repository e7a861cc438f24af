/** `kluis keyvault update` — change a vault's properties, e.g. switch its data plane to RBAC. */
import type { Command } from "commander";
import { parseBoolean, parseInteger } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { UsageError } from "../errors.js";
import { API_VERSIONS } from "../session.js";
import { locateVault } from "./keyvault.js";

interface UpdateOptions {
  name: string;
  resourceGroup?: string;
  enableRbacAuthorization?: string | boolean;
  enablePurgeProtection?: string | boolean;
  retentionDays?: string;
  publicNetworkAccess?: string;
}

export function registerKeyvaultUpdate(keyvault: Command): void {
  onAction<UpdateOptions>(
    leafCommand(keyvault, "update", "Update a vault's properties.")
      .requiredOption("-n, --name <name>", "name of the vault")
      .option("-g, --resource-group <group>", "the vault's resource group (found by name when omitted)")
      .option("--enable-rbac-authorization [bool]", "authorize data-plane calls by RBAC instead of access policies")
      .option("--enable-purge-protection [bool]", "forbid purging deleted objects before the retention ends")
      .option("--retention-days <days>", "soft-delete retention in days, 7 to 90")
      .option("--public-network-access <value>", "Enabled or Disabled"),
    async (options, context) => {
      const properties: Record<string, unknown> = {};
      const rbac = parseBoolean("--enable-rbac-authorization", options.enableRbacAuthorization);
      if (rbac !== undefined) properties.enableRbacAuthorization = rbac;
      const purge = parseBoolean("--enable-purge-protection", options.enablePurgeProtection);
      if (purge !== undefined) properties.enablePurgeProtection = purge;
      const retention = parseInteger("--retention-days", options.retentionDays, 7, 90);
      if (retention !== undefined) properties.softDeleteRetentionInDays = retention;
      if (options.publicNetworkAccess !== undefined) {
        const value = options.publicNetworkAccess.toLowerCase();
        if (value !== "enabled" && value !== "disabled") {
          throw new UsageError(`argument --public-network-access: invalid choice: '${options.publicNetworkAccess}' (choose from 'Disabled', 'Enabled')`);
        }
        properties.publicNetworkAccess = value === "enabled" ? "Enabled" : "Disabled";
      }
      const session = context.session();
      const path = await locateVault(session, options.name, options.resourceGroup);
      return session.arm("PATCH", path, API_VERSIONS.keyVault, { properties });
    },
  );
}
