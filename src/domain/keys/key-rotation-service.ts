/**
 * Rotation policies and automatic rotation. A policy is stored with the time its Rotate action next falls due
 * (`dueAt`); the background job (server/key-rotation-job.ts) calls `rotateDue`, which claims due policies
 * atomically in storage (RotationPolicyStore.claimDue), so with several nodes on one PostgreSQL database exactly one
 * node rotates each key. Notify actions are stored and answered but send nothing: Kluis has no Event Grid.
 */
import { DomainError } from "../errors.js";
import type { ObjectVersionRecord, RotationPolicyRecord, RotationPolicyStore, VaultRecord } from "../../storage/types.js";
import type { KeyLifecycle } from "./key-operation-service.js";
import { DEFAULT_LIFETIME_ACTIONS, parseRotationPolicy, rotatedExpiry, rotationDueAt, storedPolicy, type LifetimeAction } from "./rotation-policy.js";

/** A claimed policy is leased this long: another node takes it over only if this one died mid-rotation. */
const LEASE_SECONDS = 300;
/** After a failure (vault or key gone, storage down) the policy is looked at again this much later. */
const RETRY_SECONDS = 3600;
const CLAIM_BATCH = 20;

/** A key's policy as Key Vault answers it; `created`/`updated` are absent for the default policy. */
export interface RotationPolicyView {
  name: string;
  lifetimeActions: LifetimeAction[];
  expiryTime: string | null;
  created?: number;
  updated?: number;
}

export class KeyRotationService {
  constructor(
    private readonly keys: KeyLifecycle,
    private readonly policies: RotationPolicyStore,
    private readonly vaultById: (id: string) => Promise<VaultRecord | null>,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async getPolicy(vault: VaultRecord, name: string): Promise<RotationPolicyView> {
    const latest = await this.keys.find(vault, name);
    const record = await this.policies.get(vault.id, latest.name);
    return record ? view(record) : { name: latest.name, lifetimeActions: DEFAULT_LIFETIME_ACTIONS, expiryTime: null };
  }

  async setPolicy(vault: VaultRecord, name: string, input: Record<string, unknown>): Promise<RotationPolicyView> {
    const policy = parseRotationPolicy(input);
    const latest = await this.keys.find(vault, name);
    const existing = await this.policies.get(vault.id, latest.name);
    const now = this.now();
    const record: RotationPolicyRecord = {
      vaultId: vault.id,
      name: existing?.name ?? latest.name,
      policy: { ...policy },
      dueAt: rotationDueAt(policy, { createdAt: latest.createdAt, exp: latest.attributes.exp }),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.policies.put(record);
    return view(record);
  }

  /**
   * Rotates now, giving the new version the policy's expiryTime, and reschedules the policy from the new version.
   * Used by the job; a manual rotate (POST /keys/{name}/rotate) may use it too so that expiryTime applies there.
   */
  async rotate(vault: VaultRecord, name: string): Promise<ObjectVersionRecord> {
    const now = this.now();
    const record = await this.policies.get(vault.id, name);
    const policy = record ? storedPolicy(record.policy) : null;
    const expiresAt = policy ? rotatedExpiry(policy, now) : null;
    const rotated = await this.keys.rotate(vault, name, expiresAt);
    // The job's clock decides the next due time, so that a test clock and storage's timestamps cannot disagree.
    if (record && policy) await this.reschedule(record, rotationDueAt(policy, { createdAt: now, exp: expiresAt }));
    return rotated;
  }

  /** Claims due policies and rotates their keys; returns how many keys were rotated. */
  async rotateDue(): Promise<number> {
    const now = this.now();
    let rotated = 0;
    for (const claimed of await this.policies.claimDue(now, now + LEASE_SECONDS, CLAIM_BATCH)) {
      try {
        if (await this.rotateClaimed(claimed, now)) rotated++;
      } catch (error) {
        await this.reschedule(claimed, now + RETRY_SECONDS).catch(() => undefined);
        if (!(error instanceof DomainError)) throw error;
      }
    }
    return rotated;
  }

  private async rotateClaimed(claimed: RotationPolicyRecord, now: number): Promise<boolean> {
    const vault = await this.vaultById(claimed.vaultId);
    if (!vault) {
      await this.reschedule(claimed, now + RETRY_SECONDS);
      return false;
    }
    const policy = storedPolicy(claimed.policy);
    // A manual rotation or an expiry change since the policy was scheduled moves the due time: check it again.
    const latest = await this.keys.find(vault, claimed.name);
    const due = rotationDueAt(policy, { createdAt: latest.createdAt, exp: latest.attributes.exp });
    if (due === null || due > now) {
      await this.reschedule(claimed, due);
      return false;
    }
    await this.rotate(vault, claimed.name);
    return true;
  }

  /** Sets the next due time, unless the policy was replaced meanwhile (its own dueAt then stands). */
  private async reschedule(claimed: RotationPolicyRecord, dueAt: number | null): Promise<void> {
    const current = await this.policies.get(claimed.vaultId, claimed.name);
    if (!current || current.updatedAt !== claimed.updatedAt) return;
    await this.policies.put({ ...current, dueAt });
  }
}

function view(record: RotationPolicyRecord): RotationPolicyView {
  const policy = storedPolicy(record.policy);
  return {
    name: record.name,
    lifetimeActions: policy.lifetimeActions.length ? policy.lifetimeActions : DEFAULT_LIFETIME_ACTIONS,
    expiryTime: policy.expiryTime,
    created: record.createdAt,
    updated: record.updatedAt,
  };
}
