/**
 * Machines (ARM virtual machines): each gets its own metadata endpoint on loopback, and optionally a
 * system-assigned managed identity that the endpoint issues tokens for.
 */
import { randomBytes } from "node:crypto";
import { BoundedCache } from "../cache/bounded-cache.js";
import { constantTimeEqual, newId } from "../crypto/secrets.js";
import { StoreError, type MachineRecord, type PrincipalRecord, type Store } from "../storage/types.js";
import type { ChangeFeed } from "./change-feed.js";
import type { Directory } from "./directory.js";
import { DomainError } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { parseTags } from "./groups.js";
import { assertMachineName, normalizeLocation } from "./names.js";

/** Starts and stops the per-machine metadata endpoints; implemented by the server's composition root. */
export interface MetadataHost {
  /** Binds the machine's endpoint, on `preferredPort` if given and free; returns the port bound. */
  bind(machine: MachineRecord, preferredPort: number): Promise<number>;
  unbind(machineId: string): Promise<void>;
}

/** The key under which a machine's changes are published (and its metadata snapshot cached). */
export function machineKey(m: Pick<MachineRecord, "subscriptionId" | "resourceGroup" | "name">): string {
  return `${m.subscriptionId}/${m.resourceGroup}/${m.name}`.toLowerCase();
}

export function machineArmId(m: Pick<MachineRecord, "subscriptionId" | "resourceGroup" | "name">): string {
  return `/subscriptions/${m.subscriptionId}/resourceGroups/${m.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${m.name}`;
}

const HEADER_CONTEXT = (id: string) => `kluis:identity-header:${id}`;

export class MachineService {
  /** Unsealed identity headers by machine id: one unseal per machine, not per App Service token request. */
  private readonly headers = new BoundedCache<string, string>({ name: "machine-identity-headers", maxEntries: 10_000, maxBytes: 4 * 1024 * 1024 });

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly keyring: Keyring,
    private readonly changes: ChangeFeed,
    private host: MetadataHost | undefined = undefined,
  ) {}

  attachHost(host: MetadataHost): void {
    this.host = host;
  }

  async create(subscriptionId: string, resourceGroup: string, name: string, body: unknown): Promise<{ machine: MachineRecord; created: boolean }> {
    assertMachineName(name);
    const input = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    if (typeof input.location !== "string" || !input.location.trim()) {
      throw new DomainError("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'location' not found in JSON.'");
    }
    const existing = await this.store.machines.get(subscriptionId, resourceGroup, name);
    const properties = { ...sanitizeProperties(input.properties), vmId: existing?.properties.vmId ?? newId() };
    if (existing) {
      const updated = { ...existing, properties, tags: parseTags(input.tags) ?? existing.tags };
      await this.store.machines.update(updated);
      await this.changes.publish("machine", machineKey(updated));
      return { machine: updated, created: false };
    }
    const id = newId();
    const header = randomBytes(24).toString("base64url");
    const machine: MachineRecord = {
      id,
      subscriptionId,
      resourceGroup,
      name,
      location: normalizeLocation(input.location),
      tags: parseTags(input.tags) ?? {},
      properties,
      identityPrincipalId: null,
      metadataPort: 0,
      identityHeaderSealed: await this.keyring.seal(header, HEADER_CONTEXT(id)),
      createdAt: Date.now(),
    };
    machine.metadataPort = await this.requireHost().bind(machine, 0);
    try {
      await this.store.machines.insert(machine);
    } catch (error) {
      await this.requireHost().unbind(id);
      if (error instanceof StoreError && error.kind === "conflict") throw new DomainError("Conflict", `The machine '${name}' already exists.`);
      throw error;
    }
    if (input.identity !== undefined) return { machine: await this.setIdentity(subscriptionId, resourceGroup, name, input.identity), created: true };
    return { machine, created: true };
  }

  async get(subscriptionId: string, resourceGroup: string, name: string): Promise<MachineRecord> {
    const machine = await this.store.machines.get(subscriptionId, resourceGroup, name);
    if (!machine) {
      throw new DomainError(
        "ResourceNotFound",
        `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return machine;
  }

  list(subscriptionId: string, resourceGroup?: string): Promise<MachineRecord[]> {
    return this.store.machines.list(subscriptionId, resourceGroup);
  }

  /** Applies an ARM `identity` block: SystemAssigned creates the managed identity once; None removes it. */
  async setIdentity(subscriptionId: string, resourceGroup: string, name: string, identity: unknown): Promise<MachineRecord> {
    const machine = await this.get(subscriptionId, resourceGroup, name);
    const type = typeof identity === "object" && identity !== null ? (identity as { type?: unknown }).type : undefined;
    const wanted = typeof type === "string" ? type.replace(/\s/g, "").toLowerCase() : "";
    if (wanted === "systemassigned" || wanted === "systemassigned,userassigned") {
      if (machine.identityPrincipalId) return machine;
      const principal = await this.directory.createManagedIdentity(machineArmId(machine), machine.name);
      const updated = { ...machine, identityPrincipalId: principal.objectId };
      await this.store.machines.update(updated);
      await this.changes.publish("machine", machineKey(updated));
      return updated;
    }
    if (wanted === "none") {
      if (machine.identityPrincipalId) await this.directory.delete(machine.identityPrincipalId);
      const updated = { ...machine, identityPrincipalId: null };
      await this.store.machines.update(updated);
      await this.changes.publish("machine", machineKey(updated));
      return updated;
    }
    throw new DomainError("BadRequest", `The identity type '${String(type)}' is not supported. Use 'SystemAssigned' or 'None'.`);
  }

  async delete(subscriptionId: string, resourceGroup: string, name: string): Promise<void> {
    const machine = await this.get(subscriptionId, resourceGroup, name);
    await this.requireHost().unbind(machine.id);
    if (machine.identityPrincipalId) await this.directory.delete(machine.identityPrincipalId);
    await this.store.machines.delete(machine.id);
    this.headers.delete(machine.id);
    await this.changes.publish("machine", machineKey(machine));
  }

  /** The machine's managed identity, or null when it has none. */
  async identity(machine: MachineRecord): Promise<PrincipalRecord | null> {
    return machine.identityPrincipalId ? this.directory.get(machine.identityPrincipalId) : null;
  }

  async identityHeader(machine: MachineRecord): Promise<string> {
    const cached = this.headers.get(machine.id);
    if (cached) return cached;
    const header = await this.keyring.openString(machine.identityHeaderSealed, HEADER_CONTEXT(machine.id));
    this.headers.set(machine.id, header);
    return header;
  }

  async identityHeaderMatches(machine: MachineRecord, presented: string): Promise<boolean> {
    return constantTimeEqual(presented, await this.identityHeader(machine));
  }

  private requireHost(): MetadataHost {
    if (!this.host) throw new Error("metadata host not attached");
    return this.host;
  }
}

/** Keeps the descriptive ARM properties; never stores an admin password. */
function sanitizeProperties(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return {};
  const props = { ...(raw as Record<string, unknown>) };
  const os = props.osProfile;
  if (typeof os === "object" && os !== null) {
    const { adminPassword: _password, customData: _custom, ...rest } = os as Record<string, unknown>;
    props.osProfile = rest;
  }
  delete props.provisioningState;
  delete props.metadataEndpoint;
  return props;
}
