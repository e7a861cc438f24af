/**
 * Vaults: creation under Azure's naming rules, global (case-insensitive) name uniqueness, access policies, soft
 * delete. The data plane looks vaults up by name on every request, so lookups are cached and the cache is
 * refreshed on every change made through this service.
 */
import { BoundedCache } from "../cache/bounded-cache.js";
import { newId } from "../crypto/secrets.js";
import { cacheMetrics } from "../metrics/registry.js";
import { StoreError, type AccessPolicyEntry, type Store, type VaultProperties, type VaultRecord } from "../storage/types.js";
import { LocalChangeFeed, type ChangeFeed } from "./change-feed.js";
import { DomainError } from "./errors.js";
import { parseTags } from "./groups.js";
import { assertVaultName, isVaultName, normalizeLocation } from "./names.js";
import { PERMISSIONS_BY_COLLECTION } from "./permissions.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CACHE_TTL_MS = 1000;

export type PolicyOperation = "add" | "replace" | "remove";

export class VaultService {
  /**
   * Negative answers are cached too (a client retrying an unknown vault must not cost a query each time); names
   * are checked by the vault-name rule before they get here, and the cache is bounded, so random names can't grow it.
   */
  private readonly cache = new BoundedCache<string, { vault: VaultRecord | null; at: number }>({ name: "vault-lookups", maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });
  private readonly cacheMetrics = cacheMetrics("vault-lookups", () => this.cache.size);
  /** Bumped on every invalidation: a lookup that started before one must not cache what it read. */
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly tenantId: string,
    private readonly changes: ChangeFeed = new LocalChangeFeed(),
  ) {
    // Other nodes' changes arrive here; the TTL below bounds staleness when a notification is lost.
    changes.subscribe((change) => {
      if (change.kind === "all") this.forget(null);
      else if (change.kind === "vault") this.forget(change.key);
    });
  }

  /** For the data plane: the live vault with this name, or null. Cached briefly; changes here refresh it at once. */
  async byName(name: string): Promise<VaultRecord | null> {
    if (!isVaultName(name)) return null;
    const key = name.toLowerCase();
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < CACHE_TTL_MS) {
      this.cacheMetrics.hit();
      return hit.vault;
    }
    this.cacheMetrics.miss();
    const generation = this.generation;
    const vault = await this.store.vaults.getByName(key);
    if (generation === this.generation) this.cache.set(key, { vault, at: now });
    return vault;
  }

  /** Drops this node's cached lookup of `name` and tells the other nodes to drop theirs. */
  async changed(name: string): Promise<void> {
    await this.changes.publish("vault", name.toLowerCase());
  }

  private forget(key: string | null): void {
    this.generation++;
    if (key === null) this.cache.clear();
    else this.cache.delete(key);
  }

  async get(subscriptionId: string, resourceGroup: string, name: string): Promise<VaultRecord> {
    const vault = await this.store.vaults.getByName(name);
    if (!vault || vault.subscriptionId !== subscriptionId || vault.resourceGroup.toLowerCase() !== resourceGroup.toLowerCase()) {
      throw new DomainError(
        "ResourceNotFound",
        `The Resource 'Microsoft.KeyVault/vaults/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return vault;
  }

  async list(subscriptionId: string, resourceGroup?: string): Promise<VaultRecord[]> {
    const all = await this.store.vaults.listBySubscription(subscriptionId);
    return resourceGroup === undefined ? all : all.filter((v) => v.resourceGroup.toLowerCase() === resourceGroup.toLowerCase());
  }

  /** ARM PUT: creates the vault, or replaces the properties of the caller's existing vault of that name. */
  async put(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    body: unknown,
    callerObjectId: string,
  ): Promise<{ vault: VaultRecord; created: boolean }> {
    assertVaultName(name);
    const input = asObject(body, "request body");
    if (typeof input.location !== "string" || !input.location.trim()) {
      throw new DomainError("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'location' not found in JSON.'");
    }
    const existing = await this.store.vaults.getByName(name);
    const now = Date.now();
    if (existing && (existing.subscriptionId !== subscriptionId || existing.resourceGroup.toLowerCase() !== resourceGroup.toLowerCase())) {
      throw vaultExists(name);
    }
    const properties = this.parseProperties(input.properties, existing?.properties);
    const vault: VaultRecord = {
      id: existing?.id ?? newId(),
      name: existing?.name ?? name,
      subscriptionId,
      resourceGroup,
      location: normalizeLocation(input.location),
      tags: parseTags(input.tags) ?? {},
      properties,
      createdAt: existing?.createdAt ?? now,
      createdBy: existing?.createdBy ?? callerObjectId,
      updatedAt: now,
      updatedBy: callerObjectId,
      deletedAt: null,
    };
    if (existing) {
      await this.store.vaults.update(vault);
    } else {
      try {
        await this.store.vaults.insert(vault);
      } catch (error) {
        if (error instanceof StoreError && error.kind === "conflict") throw vaultExists(name);
        throw error;
      }
    }
    await this.changed(vault.name);
    return { vault, created: !existing };
  }

  /** ARM PATCH: merges the given properties and tags into the vault. */
  async patch(subscriptionId: string, resourceGroup: string, name: string, body: unknown, callerObjectId: string): Promise<VaultRecord> {
    const vault = await this.get(subscriptionId, resourceGroup, name);
    const input = asObject(body, "request body");
    const merged = { ...vault.properties, ...(input.properties === undefined ? {} : asObject(input.properties, "properties")) };
    const updated: VaultRecord = {
      ...vault,
      tags: input.tags === undefined ? vault.tags : (parseTags(input.tags) ?? {}),
      properties: this.parseProperties(merged, vault.properties),
      updatedAt: Date.now(),
      updatedBy: callerObjectId,
    };
    await this.save(updated);
    return updated;
  }

  async updateAccessPolicies(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    operation: PolicyOperation,
    policies: unknown,
    callerObjectId: string,
  ): Promise<{ vault: VaultRecord; policies: AccessPolicyEntry[] }> {
    const vault = await this.get(subscriptionId, resourceGroup, name);
    const entries = parsePolicies(policies);
    let next: AccessPolicyEntry[];
    if (operation === "replace") next = entries;
    else next = entries.reduce((acc, entry) => (operation === "add" ? addPolicy(acc, entry) : removePolicy(acc, entry)), vault.properties.accessPolicies);
    const updated: VaultRecord = { ...vault, properties: { ...vault.properties, accessPolicies: next }, updatedAt: Date.now(), updatedBy: callerObjectId };
    await this.save(updated);
    return { vault: updated, policies: entries };
  }

  /**
   * Deletes the vault softly (soft delete is always on, see parseProperties): it stays recoverable and keeps its
   * name taken until purged.
   */
  async delete(subscriptionId: string, resourceGroup: string, name: string): Promise<VaultRecord> {
    const vault = await this.get(subscriptionId, resourceGroup, name);
    await this.save({ ...vault, deletedAt: Date.now() });
    return vault;
  }

  private async save(vault: VaultRecord): Promise<void> {
    await this.store.vaults.update(vault);
    await this.changed(vault.name);
  }

  private parseProperties(raw: unknown, previous: VaultProperties | undefined): VaultProperties {
    const input = raw === undefined ? {} : asObject(raw, "properties");
    const tenantId = typeof input.tenantId === "string" ? input.tenantId.toLowerCase() : (previous?.tenantId ?? this.tenantId);
    if (tenantId !== this.tenantId) {
      throw new DomainError("BadRequest", `The tenant '${tenantId}' is not the tenant of this subscription ('${this.tenantId}').`);
    }
    const retention = input.softDeleteRetentionInDays ?? previous?.softDeleteRetentionInDays ?? 90;
    if (typeof retention !== "number" || !Number.isInteger(retention) || retention < 7 || retention > 90) {
      throw new DomainError("BadRequest", "The property 'softDeleteRetentionInDays' must be an integer between 7 and 90.");
    }
    const purgeProtection = bool(input.enablePurgeProtection, previous?.enablePurgeProtection ?? null);
    if (previous?.enablePurgeProtection === true && purgeProtection !== true) {
      throw new DomainError("BadRequest", "Once enabled, purge protection cannot be disabled.");
    }
    if (input.enableSoftDelete === false && previous?.enableSoftDelete !== false) {
      throw new DomainError("BadRequest", "Soft delete is always enabled and cannot be turned off.");
    }
    const sku = input.sku === undefined ? (previous?.sku ?? { family: "A", name: "standard" }) : parseSku(input.sku);
    return {
      tenantId,
      sku,
      accessPolicies: input.accessPolicies === undefined ? (previous?.accessPolicies ?? []) : parsePolicies(input.accessPolicies),
      enabledForDeployment: bool(input.enabledForDeployment, previous?.enabledForDeployment ?? false) === true,
      enabledForDiskEncryption: bool(input.enabledForDiskEncryption, previous?.enabledForDiskEncryption ?? false) === true,
      enabledForTemplateDeployment: bool(input.enabledForTemplateDeployment, previous?.enabledForTemplateDeployment ?? false) === true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: retention,
      enableRbacAuthorization: bool(input.enableRbacAuthorization, previous?.enableRbacAuthorization ?? false) === true,
      enablePurgeProtection: purgeProtection,
      publicNetworkAccess: typeof input.publicNetworkAccess === "string" ? input.publicNetworkAccess : (previous?.publicNetworkAccess ?? "Enabled"),
    };
  }
}

function vaultExists(name: string): DomainError {
  return new DomainError(
    "VaultAlreadyExists",
    `The vault name '${name}' is already in use. Vault names are globaly unique so it is possible that the name is already taken. ` +
      "If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged " +
      "after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. " +
      "For more information about VaultAlreadyExists, soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740",
  );
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DomainError("InvalidRequestContent", `The request content was invalid and could not be deserialized: '${what}' must be a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function bool(value: unknown, fallback: boolean | null): boolean | null {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new DomainError("InvalidRequestContent", "Boolean vault properties must be true or false.");
  return value;
}

function parseSku(raw: unknown): { family: string; name: string } {
  const sku = asObject(raw, "sku");
  const name = typeof sku.name === "string" ? sku.name.toLowerCase() : "";
  if (name !== "standard" && name !== "premium") throw new DomainError("BadRequest", "The SKU name must be 'standard' or 'premium'.");
  return { family: "A", name };
}

function parsePolicies(raw: unknown): AccessPolicyEntry[] {
  if (!Array.isArray(raw)) throw new DomainError("InvalidRequestContent", "The property 'accessPolicies' must be an array.");
  if (raw.length > 1024) throw new DomainError("BadRequest", "A vault can have at most 1024 access policies.");
  return raw.map((item) => {
    const entry = asObject(item, "access policy");
    if (typeof entry.objectId !== "string" || !GUID.test(entry.objectId)) {
      throw new DomainError("BadRequest", "An access policy's 'objectId' must be a GUID.");
    }
    if (typeof entry.tenantId !== "string" || !GUID.test(entry.tenantId)) {
      throw new DomainError("BadRequest", "An access policy's 'tenantId' must be a GUID.");
    }
    const permissions = asObject(entry.permissions ?? {}, "permissions");
    const out: AccessPolicyEntry["permissions"] = {};
    for (const collection of ["keys", "secrets", "certificates", "storage"] as const) {
      const list = permissions[collection];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new DomainError("BadRequest", `Access policy permissions '${collection}' must be an array.`);
      out[collection] = list.map((p) => {
        const permission = typeof p === "string" ? p.toLowerCase() : "";
        if (!PERMISSIONS_BY_COLLECTION[collection].includes(permission)) {
          throw new DomainError("BadRequest", `Invalid permission '${String(p)}' for ${collection}. Valid values: ${PERMISSIONS_BY_COLLECTION[collection].join(", ")}.`);
        }
        return permission;
      });
    }
    return {
      tenantId: entry.tenantId.toLowerCase(),
      objectId: entry.objectId.toLowerCase(),
      applicationId: typeof entry.applicationId === "string" ? entry.applicationId : null,
      permissions: out,
    };
  });
}

function addPolicy(policies: AccessPolicyEntry[], entry: AccessPolicyEntry): AccessPolicyEntry[] {
  const index = policies.findIndex((p) => p.objectId === entry.objectId && p.tenantId === entry.tenantId);
  if (index === -1) return [...policies, entry];
  const current = policies[index]!;
  const merged: AccessPolicyEntry["permissions"] = { ...current.permissions };
  for (const collection of ["keys", "secrets", "certificates", "storage"] as const) {
    const extra = entry.permissions[collection];
    if (extra) merged[collection] = [...new Set([...(current.permissions[collection] ?? []), ...extra])];
  }
  return policies.map((p, i) => (i === index ? { ...current, permissions: merged } : p));
}

function removePolicy(policies: AccessPolicyEntry[], entry: AccessPolicyEntry): AccessPolicyEntry[] {
  return policies.filter((p) => !(p.objectId === entry.objectId && p.tenantId === entry.tenantId));
}
