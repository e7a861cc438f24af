/**
 * Soft-deleted vaults, as ARM's `deletedVaults` shows them: listed per subscription, addressed by location and
 * name, recovered by a vault PUT with `createMode: "recover"` (secrets and all come back, since they are keyed by
 * the vault's internal id, which a recover keeps), purged on request or when the retention period ends.
 */
import type { Store, VaultRecord } from "../storage/types.js";
import type { ChangeFeed } from "./change-feed.js";
import { DomainError } from "./errors.js";
import { normalizeLocation } from "./names.js";

const DAY_MS = 86_400_000;

export interface DeletedVault {
  vault: VaultRecord;
  /** Both in milliseconds since the epoch. */
  deletedAt: number;
  scheduledPurgeAt: number;
}

export class DeletedVaultService {
  constructor(
    private readonly store: Store,
    /** Vault lookups are cached on every node (VaultService.byName); a recover or purge must reach those caches. */
    private readonly changes: ChangeFeed,
  ) {}

  async list(subscriptionId: string): Promise<DeletedVault[]> {
    return (await this.store.vaults.listDeleted(subscriptionId)).map(describe);
  }

  async get(subscriptionId: string, location: string, name: string): Promise<DeletedVault> {
    const vault = await this.store.vaults.getDeletedByName(name);
    if (!vault || vault.subscriptionId !== subscriptionId || vault.location !== normalizeLocation(location)) {
      throw deletedVaultNotFound(subscriptionId, location, name);
    }
    return describe(vault);
  }

  /** True when a deleted vault holds this name: creating a vault of that name must recover or purge it first. */
  async holdsName(name: string): Promise<boolean> {
    return (await this.store.vaults.getDeletedByName(name)) !== null;
  }

  /**
   * Brings the vault back as it was (properties, access policies, tags, secrets); the PUT body that asked for the
   * recover changes none of it, as in Azure. It returns to the resource group it was deleted from.
   */
  async recover(subscriptionId: string, resourceGroup: string, name: string, callerObjectId: string): Promise<VaultRecord> {
    const deleted = await this.store.vaults.getDeletedByName(name);
    if (!deleted || deleted.subscriptionId !== subscriptionId) {
      throw new DomainError(
        "ResourceNotFound",
        `The vault '${name}' could not be recovered: no deleted vault of that name exists in subscription '${subscriptionId}'.`,
      );
    }
    if (deleted.resourceGroup.toLowerCase() !== resourceGroup.toLowerCase()) {
      throw new DomainError(
        "BadRequest",
        `The deleted vault '${deleted.name}' belongs to resource group '${deleted.resourceGroup}'; recover it into that resource group.`,
      );
    }
    const recovered: VaultRecord = { ...deleted, deletedAt: null, updatedAt: Date.now(), updatedBy: callerObjectId };
    await this.store.vaults.update(recovered);
    await this.changes.publish("vault", deleted.name.toLowerCase());
    // A purge may have removed the row between our read and our update, which then changed nothing.
    const live = await this.store.vaults.getByName(deleted.name);
    if (!live || live.id !== deleted.id) throw deletedVaultNotFound(subscriptionId, deleted.location, name);
    return live;
  }

  /** Purges the vault and everything in it, unless purge protection holds it until its scheduled purge date. */
  async purge(subscriptionId: string, location: string, name: string, now = Date.now()): Promise<void> {
    const { vault, scheduledPurgeAt } = await this.get(subscriptionId, location, name);
    if (vault.properties.enablePurgeProtection === true && now < scheduledPurgeAt) {
      throw new DomainError("InvalidOperation", "Operation 'DeletedVaultPurge' is not allowed: purge protection is enabled for this vault. It will be purged automatically at its scheduled purge date.");
    }
    if (!(await this.store.vaults.purgeDeleted(vault.id))) throw deletedVaultNotFound(subscriptionId, location, name);
    await this.changes.publish("vault", vault.name.toLowerCase());
  }

  /** The retention sweep: purges every deleted vault of the subscription whose scheduled purge date has come. */
  async purgeExpired(subscriptionId: string, now = Date.now()): Promise<number> {
    let count = 0;
    for (const deleted of await this.list(subscriptionId)) {
      if (deleted.scheduledPurgeAt <= now && (await this.store.vaults.purgeDeleted(deleted.vault.id))) count++;
    }
    return count;
  }
}

function describe(vault: VaultRecord): DeletedVault {
  const deletedAt = vault.deletedAt ?? 0;
  return { vault, deletedAt, scheduledPurgeAt: deletedAt + vault.properties.softDeleteRetentionInDays * DAY_MS };
}

function deletedVaultNotFound(subscriptionId: string, location: string, name: string): DomainError {
  return new DomainError(
    "ResourceNotFound",
    `The Resource 'Microsoft.KeyVault/locations/${normalizeLocation(location)}/deletedVaults/${name}' under subscription '${subscriptionId}' was not found.`,
  );
}
