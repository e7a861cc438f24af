/**
 * Keys: create (RSA, EC), import, versions, update, rotate and soft delete with Azure's semantics (the soft-delete
 * rules are the secrets' own, versioned-objects.ts). The private JWK is sealed before it reaches storage, bound to
 * vault, name and version under a context distinct from secrets', and opened only for an operation that needs it
 * (cryptography, backup); the public fields live in the record's `meta` (key-meta.ts).
 */
import { generateKeyAsync, importPrivateJwk, keySize, publicJwkOf, RSA_KEY_SIZES, type KeyJwk, type KeyPairJwk } from "../../crypto/key-material.js";
import { newVersion } from "../../crypto/secrets.js";
import type { DeletedObjectRecord, ObjectAttributesRecord, ObjectVersionRecord, VaultRecord, VersionedObjectStore } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { Keyring } from "../keyring.js";
import { assertObjectName } from "../names.js";
import { KEY_KIND, nowSeconds, parseAttributes, parseTags, VersionedObjects } from "../versioned-objects.js";
import {
  fromKeyMaterial,
  hardwareNotAllowed,
  parseCurve,
  parseExportable,
  parseKeyOps,
  parseKeySize,
  parseKeyType,
  parsePublicExponent,
  parseReleasePolicy,
} from "./key-input.js";
import { keyMetaOf, metaFor, type KeyMeta, type ReleasePolicy } from "./key-meta.js";

export { keyMetaOf, type KeyMeta } from "./key-meta.js";

/** Body of `POST /keys/{name}/create`, in Azure's wire names. */
export interface KeyCreateInput {
  kty?: unknown;
  key_size?: unknown;
  public_exponent?: unknown;
  crv?: unknown;
  key_ops?: unknown;
  attributes?: unknown;
  tags?: unknown;
  release_policy?: unknown;
}

/** Body of `PUT /keys/{name}` (import). */
export interface KeyImportInput {
  key?: unknown;
  Hsm?: unknown;
  attributes?: unknown;
  tags?: unknown;
  release_policy?: unknown;
}

/** Body of `PATCH /keys/{name}/{version}`. */
export interface KeyUpdateInput {
  key_ops?: unknown;
  attributes?: unknown;
  tags?: unknown;
  release_policy?: unknown;
}

const NEW_ATTRIBUTES: ObjectAttributesRecord = { enabled: true, nbf: null, exp: null };

export function keySealContext(vaultId: string, name: string, version: string): string {
  return `kluis:key:${vaultId}:${name.toLowerCase()}:${version}`;
}

/**
 * Told after a key changed in a way that caches of its material or policies must follow (wired by the composition
 * root to the change feed and to the rotation policies: a purged key takes its policy with it).
 */
export type KeyChangeListener = (event: "updated" | "deleted" | "purged" | "rotated", vault: VaultRecord, name: string) => Promise<void>;

export class KeyService {
  private readonly objects: VersionedObjects;

  constructor(
    store: VersionedObjectStore,
    private readonly keyring: Keyring,
    private readonly changed: KeyChangeListener = async () => undefined,
  ) {
    this.objects = new VersionedObjects(store, KEY_KIND);
  }

  async create(vault: VaultRecord, name: string, input: KeyCreateInput): Promise<ObjectVersionRecord> {
    assertObjectName(name);
    await this.refuseManaged(vault, name, "create");
    const kty = parseKeyType(input.kty);
    const size = kty === "RSA" ? parseKeySize(input.key_size) : undefined;
    const publicExponent = kty === "RSA" ? parsePublicExponent(input.public_exponent) : undefined;
    const crv = kty === "EC" ? parseCurve(input.crv) : undefined;
    const keyOps = parseKeyOps(input.key_ops, kty);
    const attributes = parseAttributes(input.attributes, NEW_ATTRIBUTES);
    const tags = parseTags(KEY_KIND, input.tags);
    const { exportable, releasePolicy } = parseRelease(input.attributes, input.release_policy);
    let pair: KeyPairJwk;
    try {
      pair = await generateKeyAsync({ kty, size, crv, publicExponent });
    } catch (error) {
      throw fromKeyMaterial(error);
    }
    await this.forgetLeftovers(vault, name);
    return this.store(vault, name, pair, metaFor(pair.publicJwk, keyOps, exportable, releasePolicy), attributes, tags);
  }

  async import(vault: VaultRecord, name: string, input: KeyImportInput): Promise<ObjectVersionRecord> {
    assertObjectName(name);
    if (input.Hsm !== undefined && input.Hsm !== null && typeof input.Hsm !== "boolean") throw new DomainError("BadParameter", "The property 'Hsm' must be a boolean.");
    if (input.key === undefined || input.key === null) throw new DomainError("BadParameter", "The JSON Web Key (key) is required.");
    await this.refuseManaged(vault, name, "import");
    const kty = (input.key as { kty?: unknown }).kty;
    if (input.Hsm === true || kty === "RSA-HSM" || kty === "EC-HSM") throw hardwareNotAllowed();
    if (typeof input.key === "object" && !Array.isArray(input.key) && kty !== "RSA" && kty !== "EC") parseKeyType(kty);
    let imported;
    try {
      imported = importPrivateJwk(input.key);
    } catch (error) {
      throw fromKeyMaterial(error);
    }
    const keyOps = parseKeyOps((input.key as { key_ops?: unknown }).key_ops, imported.kty);
    const attributes = parseAttributes(input.attributes, NEW_ATTRIBUTES);
    const tags = parseTags(KEY_KIND, input.tags);
    const { exportable, releasePolicy } = parseRelease(input.attributes, input.release_policy);
    await this.forgetLeftovers(vault, name);
    return this.store(vault, name, imported, metaFor(imported.publicJwk, keyOps, exportable, releasePolicy), attributes, tags);
  }

  /** A version of a live key (the latest when `version` is absent); 404 KeyNotFound otherwise. Disabled keys too. */
  find(vault: VaultRecord, name: string, version?: string): Promise<ObjectVersionRecord> {
    return this.objects.find(vault, name, version);
  }

  /** The private JWK of a version, unsealed (seal context bound to vault id, name, version). Never log or return it. */
  async openPrivateJwk(vault: VaultRecord, record: ObjectVersionRecord): Promise<KeyJwk> {
    const json = await this.keyring.openString(record.sealedValue, keySealContext(vault.id, record.name, record.version));
    return JSON.parse(json) as KeyJwk;
  }

  /** A new version with the latest's type, size or curve, operations, tags and release settings. */
  async rotate(vault: VaultRecord, name: string, expiresAt?: number | null): Promise<ObjectVersionRecord> {
    const latest = await this.find(vault, name);
    const meta = keyMetaOf(latest);
    if (meta.managed) throw managedByKeyVault("rotate");
    let pair: KeyPairJwk;
    if (meta.kty === "RSA") {
      // An imported key may have a size Key Vault does not generate; the new version takes the next one it does.
      const size = keySize({ kty: "RSA", n: meta.n!, e: meta.e! });
      pair = await generateKeyAsync({ kty: "RSA", size: RSA_KEY_SIZES.find((s) => s >= size) ?? RSA_KEY_SIZES[RSA_KEY_SIZES.length - 1] });
    } else {
      pair = await generateKeyAsync({ kty: "EC", crv: meta.crv });
    }
    const attributes: ObjectAttributesRecord = { enabled: true, nbf: null, exp: expiresAt ?? null };
    const rotated = await this.store(vault, latest.name, pair, metaFor(pair.publicJwk, [...meta.key_ops], meta.exportable, meta.release_policy), attributes, latest.tags);
    await this.changed("rotated", vault, latest.name);
    return rotated;
  }

  listLatest(vault: VaultRecord, after: string | null, limit: number) {
    return this.objects.listLatest(vault, after, limit);
  }

  listVersions(vault: VaultRecord, name: string, after: string | null, limit: number) {
    return this.objects.listVersions(vault, name, after, limit);
  }

  async update(vault: VaultRecord, name: string, version: string | undefined, input: KeyUpdateInput): Promise<ObjectVersionRecord> {
    const record = await this.find(vault, name, version);
    const meta = keyMetaOf(record);
    const keyOps = input.key_ops === undefined ? meta.key_ops : parseKeyOps(input.key_ops, meta.kty);
    const attributes = parseAttributes(input.attributes, record.attributes);
    const tags = input.tags === undefined ? record.tags : parseTags(KEY_KIND, input.tags);
    const exportable = parseExportable(input.attributes, meta.exportable);
    if (exportable !== meta.exportable && meta.exportable !== undefined) throw new DomainError("BadParameter", "The attribute 'exportable' can't be changed once a key version exists.");
    let releasePolicy = meta.release_policy;
    if (input.release_policy !== undefined && input.release_policy !== null) {
      if (meta.release_policy?.immutable) throw new DomainError("BadParameter", "The release policy of this key is immutable and can't be changed.");
      releasePolicy = parseReleasePolicy(input.release_policy);
    }
    if (exportable === true && releasePolicy === undefined) throw releasePolicyRequired();
    const updated: ObjectVersionRecord = {
      ...record,
      meta: { ...meta, key_ops: keyOps, ...(exportable === undefined ? {} : { exportable }), ...(releasePolicy === undefined ? {} : { release_policy: releasePolicy }) },
      tags,
      attributes,
      updatedAt: nowSeconds(),
    };
    await this.objects.store.updateVersion(updated);
    await this.changed("updated", vault, record.name);
    return updated;
  }

  async delete(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    await this.refuseManaged(vault, name, "delete");
    return this.deleteManaged(vault, name);
  }

  /** Deletes whatever key of that name, managed or not: for the certificate that owns it. */
  async deleteManaged(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    const deleted = await this.objects.delete(vault, name);
    await this.changed("deleted", vault, deleted.latest.name);
    return deleted;
  }

  getDeleted(vault: VaultRecord, name: string): Promise<DeletedObjectRecord> {
    return this.objects.getDeleted(vault, name);
  }

  /** Deleted keys, without those of certificates (Azure lists those only as deleted certificates). */
  async listDeleted(vault: VaultRecord, after: string | null, limit: number) {
    const page = await this.objects.listDeleted(vault, after, limit);
    return { ...page, items: page.items.filter((d) => !keyMetaOf(d.latest).managed) };
  }

  async recover(vault: VaultRecord, name: string): Promise<ObjectVersionRecord> {
    if (keyMetaOf((await this.objects.getDeleted(vault, name)).latest).managed) throw managedByKeyVault("recover");
    return this.objects.recover(vault, name);
  }

  /** Recovers whatever deleted key of that name: for the certificate that owns it. */
  recoverManaged(vault: VaultRecord, name: string): Promise<ObjectVersionRecord> {
    return this.objects.recover(vault, name);
  }

  async purge(vault: VaultRecord, name: string): Promise<void> {
    if (keyMetaOf((await this.objects.getDeleted(vault, name)).latest).managed) throw managedByKeyVault("purge");
    await this.purgeManaged(vault, name);
  }

  /** Purges whatever deleted key of that name: for the certificate that owns it. */
  async purgeManaged(vault: VaultRecord, name: string): Promise<void> {
    await this.objects.purge(vault, name);
    await this.changed("purged", vault, name);
  }

  /**
   * A certificate's key version: the certificate's version id, its key pair, operations from its key usages, and
   * `managed` set so that the key's own create, import, rotate and delete refuse it (Azure's 403).
   */
  async putManaged(vault: VaultRecord, name: string, version: string, privateJwk: KeyJwk, keyOps: string[], exportable: boolean, attributes: ObjectAttributesRecord, tags: Record<string, string> | null): Promise<ObjectVersionRecord> {
    await this.forgetLeftovers(vault, name);
    const pair = { privateJwk, publicJwk: publicJwkOf(privateJwk) };
    const meta: KeyMeta = { ...metaFor(pair.publicJwk, keyOps, exportable, undefined), managed: true };
    const record = await this.store(vault, name, pair, meta, attributes, tags, version);
    await this.changed("updated", vault, name);
    return record;
  }

  /** Sets `enabled` on one version whatever owns it (a certificate's update reaches its key this way). */
  async setEnabled(vault: VaultRecord, name: string, version: string, enabled: boolean): Promise<void> {
    const record = await this.objects.store.getVersion(vault.id, name, version);
    if (!record || record.attributes.enabled === enabled) return;
    await this.objects.store.updateVersion({ ...record, attributes: { ...record.attributes, enabled }, updatedAt: nowSeconds() });
    await this.changed("updated", vault, name);
  }

  private async refuseManaged(vault: VaultRecord, name: string, operation: string): Promise<void> {
    const latest = await this.objects.store.getLatest(vault.id, name);
    if (latest && keyMetaOf(latest).managed) throw managedByKeyVault(operation);
  }

  /**
   * The retention job purges deleted keys by date, not by name, so nobody is told: when a name with neither a live
   * nor a deleted key gets its first version, whatever an earlier key of that name left (its rotation policy,
   * cached material) is dropped now, as a purge would have. A deleted key keeps its policy for recovery (the put
   * refuses that name anyway).
   */
  private async forgetLeftovers(vault: VaultRecord, name: string): Promise<void> {
    const store = this.objects.store;
    if (!(await store.getLatest(vault.id, name)) && !(await store.getDeleted(vault.id, name))) await this.changed("purged", vault, name);
  }

  private async store(
    vault: VaultRecord,
    name: string,
    pair: KeyPairJwk,
    meta: KeyMeta,
    attributes: ObjectAttributesRecord,
    tags: Record<string, string> | null,
    version = newVersion(),
  ): Promise<ObjectVersionRecord> {
    const now = nowSeconds();
    const record: ObjectVersionRecord = {
      vaultId: vault.id,
      name,
      version,
      sealedValue: await this.keyring.seal(JSON.stringify(pair.privateJwk), keySealContext(vault.id, name, version)),
      contentType: null,
      meta: meta as unknown as Record<string, unknown>,
      tags,
      attributes,
      createdAt: now,
      updatedAt: now,
    };
    await this.objects.put(record);
    return record;
  }
}

function parseRelease(attributes: unknown, rawPolicy: unknown): { exportable: boolean | undefined; releasePolicy: ReleasePolicy | undefined } {
  const exportable = parseExportable(attributes, undefined);
  const releasePolicy = parseReleasePolicy(rawPolicy);
  if (exportable === true && releasePolicy === undefined) throw releasePolicyRequired();
  return { exportable, releasePolicy };
}

/** Azure's answer to changing a certificate's key through the keys API. */
export function managedByKeyVault(operation: string): DomainError {
  return new DomainError("Forbidden", `Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`, "KeyManagedByKeyVault");
}

function releasePolicyRequired(): DomainError {
  return new DomainError("BadParameter", "Release policy must be provided when creating the first version of an exportable key.");
}
