/** Resource groups: ARM's containers for vaults and machines. */
import type { ResourceGroupRecord, Store } from "../storage/types.js";
import { DomainError } from "./errors.js";
import { assertGroupName, normalizeLocation } from "./names.js";

export class GroupService {
  constructor(private readonly store: Store) {}

  async put(subscriptionId: string, name: string, location: unknown, tags: unknown, managedBy?: unknown): Promise<{ group: ResourceGroupRecord; created: boolean }> {
    assertGroupName(name);
    if (typeof location !== "string" || location.trim() === "") {
      throw new DomainError("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'location' not found in JSON.'");
    }
    const existing = await this.store.groups.get(subscriptionId, name);
    if (existing && existing.location !== normalizeLocation(location)) {
      throw new DomainError(
        "InvalidResourceGroup",
        `Invalid resource group location '${normalizeLocation(location)}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    const group: ResourceGroupRecord = {
      subscriptionId,
      name: existing?.name ?? name,
      location: normalizeLocation(location),
      tags: parseTags(tags),
      managedBy: parseManagedBy(managedBy),
      createdAt: existing?.createdAt ?? Date.now(),
    };
    const created = await this.store.groups.put(group);
    return { group, created };
  }

  /** ARM's PATCH: `tags` (replacing the whole set) and `managedBy` change when given; the location never does. */
  async patch(subscriptionId: string, name: string, input: Record<string, unknown>): Promise<ResourceGroupRecord> {
    const existing = await this.get(subscriptionId, name);
    const group: ResourceGroupRecord = {
      ...existing,
      tags: input.tags === undefined ? existing.tags : parseTags(input.tags),
      managedBy: input.managedBy === undefined ? (existing.managedBy ?? null) : parseManagedBy(input.managedBy),
    };
    await this.store.groups.put(group);
    return group;
  }

  async get(subscriptionId: string, name: string): Promise<ResourceGroupRecord> {
    const group = await this.store.groups.get(subscriptionId, name);
    if (!group) throw new DomainError("ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
    return group;
  }

  list(subscriptionId: string): Promise<ResourceGroupRecord[]> {
    return this.store.groups.list(subscriptionId);
  }

  async delete(subscriptionId: string, name: string): Promise<ResourceGroupRecord> {
    const group = await this.get(subscriptionId, name);
    await this.store.groups.delete(subscriptionId, name);
    return group;
  }
}

/** The id of the resource managing the group, if any: a string, or null to clear it. */
function parseManagedBy(managedBy: unknown): string | null {
  if (managedBy === undefined || managedBy === null) return null;
  if (typeof managedBy !== "string") throw new DomainError("InvalidRequestContent", "The 'managedBy' property must be a string.");
  return managedBy;
}

export function parseTags(tags: unknown): Record<string, string> | null {
  if (tags === undefined || tags === null) return null;
  if (typeof tags !== "object" || Array.isArray(tags)) throw new DomainError("InvalidRequestContent", "The 'tags' property must be an object of strings.");
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string") throw new DomainError("InvalidRequestContent", `The value of tag '${key}' must be a string.`);
    out[key] = value;
  }
  return out;
}
