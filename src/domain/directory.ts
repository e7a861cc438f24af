/**
 * The directory: the tenant's service principals and managed identities, and how a client proves who it is.
 */
import { digestSecret, newClientSecret, newId, secretMatches } from "../crypto/secrets.js";
import { StoreError, type PrincipalKind, type PrincipalRecord, type PrincipalStore } from "../storage/types.js";
import { LocalChangeFeed, type ChangeFeed } from "./change-feed.js";
import { DomainError } from "./errors.js";

export interface NewCredential {
  principal: PrincipalRecord;
  password: string;
}

export class Directory {
  constructor(
    private readonly principals: PrincipalStore,
    readonly tenantId: string,
    /** Told of every change to a principal, so no node keeps serving what it cached about it (e.g. `admin`). */
    private readonly changes: ChangeFeed = new LocalChangeFeed(),
  ) {}

  get(objectId: string): Promise<PrincipalRecord | null> {
    return this.principals.get(objectId);
  }

  getByAppId(appId: string): Promise<PrincipalRecord | null> {
    return this.principals.getByAppId(appId);
  }

  getByAppObjectId(appObjectId: string): Promise<PrincipalRecord | null> {
    return this.principals.getByAppObjectId(appObjectId);
  }

  list(): Promise<PrincipalRecord[]> {
    return this.principals.list();
  }

  /** An application with its service principal, as Entra creates them together for `create-for-rbac`. */
  async createApplication(displayName: string, options: { admin?: boolean; certificates?: string[] } = {}): Promise<PrincipalRecord> {
    return this.insert({ displayName, kind: "ServicePrincipal", admin: options.admin ?? false, certificates: options.certificates ?? [], resourceId: null });
  }

  async createManagedIdentity(resourceId: string, displayName: string): Promise<PrincipalRecord> {
    return this.insert({ displayName, kind: "ManagedIdentity", admin: false, certificates: [], resourceId });
  }

  /** Adds a client secret; the secret is returned once and only its digest is kept. */
  async addPassword(objectId: string): Promise<NewCredential> {
    const principal = await this.principals.get(objectId);
    if (!principal) throw new DomainError("NotFound", `Resource '${objectId}' does not exist or one of its queried reference-property objects are not present.`);
    const password = newClientSecret();
    const updated = { ...principal, secretDigests: [...principal.secretDigests, digestSecret(password)] };
    await this.principals.update(updated);
    await this.changes.publish("principal", objectId);
    return { principal: updated, password };
  }

  /** Replaces every client secret with a new one (used when the administrator's credential file is lost). */
  async resetPassword(objectId: string): Promise<NewCredential> {
    const principal = await this.principals.get(objectId);
    if (!principal) throw new Error("principal to reset is missing");
    const password = newClientSecret();
    // Tokens issued before a reset belong to whoever held the old secret: Authority refuses them from now on.
    const updated = { ...principal, secretDigests: [digestSecret(password)], credentialsResetAt: Math.floor(Date.now() / 1000) };
    await this.principals.update(updated);
    await this.changes.publish("principal", objectId);
    return { principal: updated, password };
  }

  async delete(objectId: string): Promise<void> {
    await this.principals.delete(objectId);
    await this.changes.publish("principal", objectId);
  }

  /** True when `secret` is one of the principal's client secrets; compared in constant time, every digest checked. */
  static secretIsValid(principal: PrincipalRecord, secret: string): boolean {
    let valid = false;
    for (const digest of principal.secretDigests) valid = secretMatches(secret, digest) || valid;
    return valid;
  }

  private async insert(fields: {
    displayName: string;
    kind: PrincipalKind;
    admin: boolean;
    certificates: string[];
    resourceId: string | null;
  }): Promise<PrincipalRecord> {
    const record: PrincipalRecord = {
      objectId: newId(),
      appId: newId(),
      appObjectId: newId(),
      tenantId: this.tenantId,
      secretDigests: [],
      createdAt: Date.now(),
      ...fields,
    };
    try {
      await this.principals.insert(record);
    } catch (error) {
      if (error instanceof StoreError && error.kind === "conflict") throw new DomainError("Conflict", "A principal with these ids exists.");
      throw error;
    }
    return record;
  }
}
