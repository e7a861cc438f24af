/**
 * ARM's generic resource listing (`/resources`, per subscription or group): every vault and machine, in the
 * GenericResourceExpanded shape (id, name, type, location, tags, and a machine's identity), filtered as ARM
 * filters it by `resourceType eq '…'`, `name eq '…'` or both joined with `and`.
 */
import { DomainError } from "../../domain/errors.js";
import { machineArmId } from "../../domain/machines.js";
import type { AppServices } from "../app-services.js";
import { vaultArmId } from "./wire.js";

interface GenericResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  identity?: { type: string; principalId: string; tenantId: string };
}

type Condition = { field: "resourcetype" | "name"; value: string };

function parseFilter(filter: string | undefined): Condition[] {
  if (filter === undefined || filter.trim() === "") return [];
  return filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(resourceType|name)\s+eq\s+'([^']*)'\s*$/i.exec(clause);
    if (!match) throw new DomainError("BadRequest", `Invalid $filter '${filter}': Kluis supports resourceType eq '…' and name eq '…', joined with and.`);
    return { field: match[1]!.toLowerCase() as Condition["field"], value: match[2]!.toLowerCase() };
  });
}

export async function genericResources(app: AppServices, subscriptionId: string, group: string | undefined, filter: string | undefined): Promise<GenericResource[]> {
  const conditions = parseFilter(filter);
  const vaults: GenericResource[] = (await app.vaults.list(subscriptionId, group)).map((v) => ({
    id: vaultArmId(v),
    name: v.name,
    type: "Microsoft.KeyVault/vaults",
    location: v.location,
    ...(v.tags ? { tags: v.tags } : {}),
  }));
  const machines: GenericResource[] = (await app.machines.list(subscriptionId, group)).map((m) => ({
    id: machineArmId(m),
    name: m.name,
    type: "Microsoft.Compute/virtualMachines",
    location: m.location,
    ...(m.tags ? { tags: m.tags } : {}),
    ...(m.identityPrincipalId ? { identity: { type: "SystemAssigned", principalId: m.identityPrincipalId, tenantId: app.authority.tenantId } } : {}),
  }));
  const all = [...vaults, ...machines].sort((a, b) => a.id.toLowerCase().localeCompare(b.id.toLowerCase()));
  return all.filter((r) => conditions.every((c) => (c.field === "name" ? r.name.toLowerCase() : r.type.toLowerCase()) === c.value));
}
