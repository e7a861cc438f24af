/**
 * Storage contracts, one interface per aggregate. Implementations hold no business rules: they return null for
 * not-found and throw only StoreError (conflict | unavailable). Secret values arrive here already sealed.
 */

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly kind: "conflict" | "unavailable",
    message: string,
  ) {
    super(message);
  }
}

export interface SettingsStore {
  get(key: string): Promise<string | null>;
  /** Stores `value` unless the key exists; returns the value that is stored afterwards (first writer wins). */
  putIfAbsent(key: string, value: string): Promise<string>;
}

export interface DataKeyRecord {
  id: number;
  wrapped: Buffer;
  createdAt: number;
}

export interface DataKeyStore {
  get(id: number): Promise<DataKeyRecord | null>;
  latest(): Promise<DataKeyRecord | null>;
  insert(wrapped: Buffer, createdAt: number): Promise<DataKeyRecord>;
}

export type PrincipalKind = "ServicePrincipal" | "ManagedIdentity";

export interface PrincipalRecord {
  objectId: string;
  appId: string;
  appObjectId: string;
  tenantId: string;
  displayName: string;
  kind: PrincipalKind;
  /** Tenant administrator: may use the management plane and the directory. */
  admin: boolean;
  secretDigests: string[];
  /** DER certificates (base64) registered for client assertions. */
  certificates: string[];
  /** For managed identities: the ARM id of the resource the identity belongs to. */
  resourceId: string | null;
  createdAt: number;
  /** Unix seconds of the last credential reset: tokens issued before it are refused. Absent in older records. */
  credentialsResetAt?: number | null;
  /** MAC of the row under a key derived from the root key (domain/row-integrity.ts); absent in rows written before it. */
  integrity?: string;
}

export interface PrincipalStore {
  get(objectId: string): Promise<PrincipalRecord | null>;
  getByAppId(appId: string): Promise<PrincipalRecord | null>;
  getByAppObjectId(appObjectId: string): Promise<PrincipalRecord | null>;
  list(): Promise<PrincipalRecord[]>;
  insert(record: PrincipalRecord): Promise<void>;
  update(record: PrincipalRecord): Promise<void>;
  delete(objectId: string): Promise<void>;
}

export interface ResourceGroupRecord {
  subscriptionId: string;
  name: string;
  location: string;
  tags: Record<string, string> | null;
  /** The id of the resource that manages the group (ARM's managedBy); absent in records written before it existed. */
  managedBy?: string | null;
  createdAt: number;
}

export interface ResourceGroupStore {
  get(subscriptionId: string, name: string): Promise<ResourceGroupRecord | null>;
  list(subscriptionId: string): Promise<ResourceGroupRecord[]>;
  /** Inserts or replaces (ARM PUT semantics); returns true when it was created. */
  put(record: ResourceGroupRecord): Promise<boolean>;
  delete(subscriptionId: string, name: string): Promise<void>;
}

export interface AccessPolicyEntry {
  tenantId: string;
  objectId: string;
  applicationId?: string | null;
  permissions: { keys?: string[]; secrets?: string[]; certificates?: string[]; storage?: string[] };
}

export interface VaultProperties {
  tenantId: string;
  sku: { family: string; name: string };
  accessPolicies: AccessPolicyEntry[];
  enabledForDeployment: boolean;
  enabledForDiskEncryption: boolean;
  enabledForTemplateDeployment: boolean;
  enableSoftDelete: boolean;
  softDeleteRetentionInDays: number;
  enableRbacAuthorization: boolean;
  enablePurgeProtection: boolean | null;
  publicNetworkAccess: string;
}

export interface VaultRecord {
  /** Internal id, stable for the vault's life; secrets are keyed by it, not by name. */
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  properties: VaultProperties;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  deletedAt: number | null;
  /** MAC of the row under a key derived from the root key (domain/row-integrity.ts); absent in rows written before it. */
  integrity?: string;
}

export interface VaultStore {
  /** By name, case-insensitively, among vaults that are not deleted. */
  getByName(name: string): Promise<VaultRecord | null>;
  listBySubscription(subscriptionId: string): Promise<VaultRecord[]>;
  /** Throws StoreError("conflict") when the name is taken (case-insensitively) by a live or deleted vault. */
  insert(record: VaultRecord): Promise<void>;
  update(record: VaultRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Soft-deleted vaults of the subscription, ordered by lower-cased name. */
  listDeleted(subscriptionId: string): Promise<VaultRecord[]>;
  /** The soft-deleted vault of this name (case-insensitively), or null. */
  getDeletedByName(name: string): Promise<VaultRecord | null>;
  /**
   * Removes a soft-deleted vault together with everything stored under its id (secrets, keys and certificates, all
   * versions, rotation policies, vault documents), in one transaction; false (and nothing removed) when no deleted vault has that id, e.g. it was recovered meanwhile.
   */
  purgeDeleted(id: string): Promise<boolean>;
}

export interface MachineRecord {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  /** ARM properties as given at creation (hardware, storage, OS profiles). */
  properties: Record<string, unknown>;
  /** Object id of the system-assigned identity, if any. */
  identityPrincipalId: string | null;
  metadataPort: number;
  /** Sealed secret that clients present as X-IDENTITY-HEADER. */
  identityHeaderSealed: Buffer;
  createdAt: number;
}

export interface MachineStore {
  get(subscriptionId: string, resourceGroup: string, name: string): Promise<MachineRecord | null>;
  list(subscriptionId: string, resourceGroup?: string): Promise<MachineRecord[]>;
  listAll(): Promise<MachineRecord[]>;
  insert(record: MachineRecord): Promise<void>;
  update(record: MachineRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface ObjectAttributesRecord {
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
}

/**
 * One version of a vault object (a secret, a key or a certificate). `sealedValue` is the sealed secret value or the
 * sealed private JWK (certificates keep their private key in the key, and leave it unused). `meta` holds a
 * collection's own public fields as JSON (keys: kty, key_ops, public JWK, exportable, release policy; certificates:
 * cer, x5t, contentType); secrets leave it null.
 */
export interface ObjectVersionRecord {
  vaultId: string;
  name: string;
  version: string;
  sealedValue: Buffer;
  contentType: string | null;
  meta?: Record<string, unknown> | null;
  tags: Record<string, string> | null;
  attributes: ObjectAttributesRecord;
  createdAt: number;
  updatedAt: number;
}

export interface DeletedObjectRecord {
  latest: ObjectVersionRecord;
  deletedAt: number;
  scheduledPurgeAt: number;
}

export interface ObjectPage<T> {
  items: T[];
  /** Key to continue after, or null at the end. */
  next: string | null;
}

/** A collection of versioned objects with soft delete: the vault's secrets, its keys and its certificates, each one such store. */
export interface VersionedObjectStore {
  /** Adds a version and makes it the latest. Throws StoreError("conflict") when the name is deleted-but-recoverable. */
  putVersion(record: ObjectVersionRecord): Promise<void>;
  getLatest(vaultId: string, name: string): Promise<ObjectVersionRecord | null>;
  getVersion(vaultId: string, name: string, version: string): Promise<ObjectVersionRecord | null>;
  /** Latest versions of live objects ordered by lower-cased name, strictly after `after`. */
  listLatest(vaultId: string, after: string | null, limit: number): Promise<ObjectPage<ObjectVersionRecord>>;
  /** Versions of one live object in creation order, strictly after the position `after`. */
  listVersions(vaultId: string, name: string, after: string | null, limit: number): Promise<ObjectPage<ObjectVersionRecord>>;
  /** Replaces a version's mutable fields (contentType, meta, tags, attributes, updatedAt). */
  updateVersion(record: ObjectVersionRecord): Promise<void>;
  /** Moves a live object to the deleted state; returns false when there was none. */
  markDeleted(vaultId: string, name: string, deletedAt: number, scheduledPurgeAt: number): Promise<boolean>;
  getDeleted(vaultId: string, name: string): Promise<DeletedObjectRecord | null>;
  listDeleted(vaultId: string, after: string | null, limit: number): Promise<ObjectPage<DeletedObjectRecord>>;
  recover(vaultId: string, name: string): Promise<boolean>;
  /** Removes a deleted object and all its versions for good. */
  purge(vaultId: string, name: string): Promise<boolean>;
  /** Purges every deleted object whose scheduled purge time has passed; returns how many. */
  purgeExpired(now: number): Promise<number>;
  /**
   * Restores an object from a backup: inserts `versions` (all of one name, oldest first) atomically, the last one
   * becoming the latest, keeping their version ids and timestamps. Throws StoreError("conflict") when the name
   * exists in the vault, live or deleted; nothing is written then.
   */
  restore(versions: ObjectVersionRecord[]): Promise<void>;
}

export type SecretAttributesRecord = ObjectAttributesRecord;
export type SecretVersionRecord = ObjectVersionRecord;
export type DeletedSecretRecord = DeletedObjectRecord;
export type SecretPage<T> = ObjectPage<T>;
export type SecretStore = VersionedObjectStore;

/** A key's rotation policy, and when the automatic-rotation job should next look at the key. */
export interface RotationPolicyRecord {
  vaultId: string;
  /** The key's name as first given (looked up case-insensitively). */
  name: string;
  /** The policy as the domain shapes it (lifetimeActions, attributes.expiryTime, created/updated). */
  policy: Record<string, unknown>;
  /** Unix seconds at which a Rotate action falls due, or null when the policy has none. */
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface RotationPolicyStore {
  get(vaultId: string, name: string): Promise<RotationPolicyRecord | null>;
  /** Inserts or replaces the policy of one key. */
  put(record: RotationPolicyRecord): Promise<void>;
  /** Removes the policy of one key (when the key is purged); false when there was none. */
  delete(vaultId: string, name: string): Promise<boolean>;
  /**
   * Atomically takes up to `limit` policies with `dueAt <= now`, moving their `dueAt` to `leaseUntil` so that no
   * other node takes them meanwhile (the job sets the real next due time after rotating); returns those taken.
   */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<RotationPolicyRecord[]>;
}

/**
 * A small per-name document of a vault that is not a versioned object: a certificate's policy or pending operation,
 * an issuer, the contacts. The body is opaque JSON (the domain shapes it).
 */
export interface VaultDocumentRecord {
  vaultId: string;
  /** "certificate-policy" | "certificate-operation" | "certificate-issuer" | "certificate-contacts" (a constant, never input). */
  kind: string;
  /** As given by the last put or insert; looked up case-insensitively (by the lower-cased name). */
  name: string;
  body: Record<string, unknown>;
  /** A sealed part (issuer credentials, a pending private key), or null. */
  sealed: Buffer | null;
  /** Unix seconds at which a background job should look at this document (auto-renew, pending completion), or null. */
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface VaultDocumentStore {
  get(vaultId: string, kind: string, name: string): Promise<VaultDocumentRecord | null>;
  /** Inserts or replaces the document of that vault, kind and lower-cased name; stores record.name as given. */
  put(record: VaultDocumentRecord): Promise<void>;
  /** Inserts only when absent; false (nothing written) when one of that vault, kind and name exists. */
  insert(record: VaultDocumentRecord): Promise<boolean>;
  /** Returns false when there was none. */
  delete(vaultId: string, kind: string, name: string): Promise<boolean>;
  /** Documents of one kind in one vault, ordered by lower-cased name, strictly after `after` (a name key). */
  list(vaultId: string, kind: string, after: string | null, limit: number): Promise<ObjectPage<VaultDocumentRecord>>;
  /**
   * Atomically takes up to `limit` documents of `kind` with `dueAt <= now` (any vault; the earliest due are taken
   * first), moving their dueAt to `leaseUntil` so no other node takes them meanwhile; returns those taken (with
   * dueAt = leaseUntil, in no particular order).
   */
  claimDue(kind: string, now: number, leaseUntil: number, limit: number): Promise<VaultDocumentRecord[]>;
}

export interface RoleAssignmentRecord {
  /** The assignment's name: a GUID, lower-case. */
  id: string;
  /** The ARM resource id the assignment applies to (and below), e.g. /subscriptions/{s}/resourceGroups/{rg}. */
  scope: string;
  /** Full role-definition id: /subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}. */
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  description: string | null;
  createdAt: number;
  createdBy: string;
  /** MAC of the row under a key derived from the root key (domain/row-integrity.ts); absent in rows written before it. */
  integrity?: string;
}

export interface RoleAssignmentStore {
  get(id: string): Promise<RoleAssignmentRecord | null>;
  /** Every assignment, in creation order (the set is small: the authorizer caches all of it). */
  list(): Promise<RoleAssignmentRecord[]>;
  /** Throws StoreError("conflict") when the id is taken. */
  insert(record: RoleAssignmentRecord): Promise<void>;
  /** Returns false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Rewrites an assignment's stored row in place (same id, same position); false when there was none. */
  replace(record: RoleAssignmentRecord): Promise<boolean>;
}

/** One-time identifiers (client-assertion `jti`s): shared by every node, so a replay is refused everywhere. */
export interface ReplayStore {
  /** Records `key` until `expiresAt` (Unix seconds); false when it is already recorded and not yet expired. */
  claim(key: string, expiresAt: number, now: number): Promise<boolean>;
}

export interface Store {
  settings: SettingsStore;
  dataKeys: DataKeyStore;
  principals: PrincipalStore;
  groups: ResourceGroupStore;
  vaults: VaultStore;
  machines: MachineStore;
  secrets: VersionedObjectStore;
  keys: VersionedObjectStore;
  certificates: VersionedObjectStore;
  keyRotationPolicies: RotationPolicyStore;
  vaultDocuments: VaultDocumentStore;
  roleAssignments: RoleAssignmentStore;
  replays: ReplayStore;
  close(): Promise<void>;
}
