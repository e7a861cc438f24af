/** ARM's JSON shapes for subscriptions, resource groups, vaults and virtual machines. */
import { machineArmId } from "../../domain/machines.js";
import type { MachineRecord, ResourceGroupRecord, VaultRecord } from "../../storage/types.js";

export function groupArmId(subscriptionId: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
}

export function groupJson(group: ResourceGroupRecord) {
  return {
    id: groupArmId(group.subscriptionId, group.name),
    location: group.location,
    managedBy: group.managedBy ?? null,
    name: group.name,
    properties: { provisioningState: "Succeeded" },
    tags: group.tags,
    type: "Microsoft.Resources/resourceGroups",
  };
}

export function vaultArmId(vault: VaultRecord): string {
  return `${groupArmId(vault.subscriptionId, vault.resourceGroup)}/providers/Microsoft.KeyVault/vaults/${vault.name}`;
}

export function vaultJson(vault: VaultRecord, vaultUri: string) {
  const p = vault.properties;
  return {
    id: vaultArmId(vault),
    location: vault.location,
    name: vault.name,
    properties: {
      accessPolicies: p.accessPolicies.map((a) => ({
        applicationId: a.applicationId ?? null,
        objectId: a.objectId,
        permissions: { certificates: a.permissions.certificates ?? [], keys: a.permissions.keys ?? [], secrets: a.permissions.secrets ?? [], storage: a.permissions.storage ?? [] },
        tenantId: a.tenantId,
      })),
      createMode: null,
      enablePurgeProtection: p.enablePurgeProtection,
      enableRbacAuthorization: p.enableRbacAuthorization,
      enableSoftDelete: p.enableSoftDelete,
      enabledForDeployment: p.enabledForDeployment,
      enabledForDiskEncryption: p.enabledForDiskEncryption,
      enabledForTemplateDeployment: p.enabledForTemplateDeployment,
      hsmPoolResourceId: null,
      networkAcls: null,
      privateEndpointConnections: null,
      provisioningState: "Succeeded",
      publicNetworkAccess: p.publicNetworkAccess,
      sku: p.sku,
      softDeleteRetentionInDays: p.softDeleteRetentionInDays,
      tenantId: p.tenantId,
      vaultUri,
    },
    resourceGroup: vault.resourceGroup,
    systemData: {
      createdAt: new Date(vault.createdAt).toISOString(),
      createdBy: vault.createdBy,
      createdByType: "Application",
      lastModifiedAt: new Date(vault.updatedAt).toISOString(),
      lastModifiedBy: vault.updatedBy,
      lastModifiedByType: "Application",
    },
    tags: vault.tags,
    type: "Microsoft.KeyVault/vaults",
  };
}

export function machineJson(machine: MachineRecord, tenantId: string) {
  const body: Record<string, unknown> = {
    id: machineArmId(machine),
    name: machine.name,
    type: "Microsoft.Compute/virtualMachines",
    location: machine.location,
    tags: machine.tags,
    resourceGroup: machine.resourceGroup,
    properties: {
      ...machine.properties,
      provisioningState: "Succeeded",
      // Kluis extension: where this machine's metadata endpoint (IMDS) listens.
      metadataEndpoint: `http://127.0.0.1:${machine.metadataPort}`,
    },
  };
  if (machine.identityPrincipalId) body.identity = { type: "SystemAssigned", principalId: machine.identityPrincipalId, tenantId };
  return body;
}
