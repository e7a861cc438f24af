/**
 * Key Vault's JSON shapes for keys: key bundles (the public JWK with `kid` and `key_ops`, never a private field),
 * list items and deleted bundles. Built in the newest shape; vault/shapes.ts trims it per api-version.
 */
import { keyMetaOf, publicJwkOfMeta } from "../../../domain/keys/key-meta.js";
import type { DeletedObjectRecord, ObjectVersionRecord, VaultRecord } from "../../../storage/types.js";
import { objectAttributes } from "../collection-wire.js";

export function keyId(vaultUri: string, record: ObjectVersionRecord): string {
  return `${vaultUri}keys/${record.name}/${record.version}`;
}

export function keyAttributes(vault: VaultRecord, record: ObjectVersionRecord) {
  return { ...objectAttributes(vault, record), exportable: keyMetaOf(record).exportable ?? false };
}

/** The public JWK as Azure returns it: kid, kty, key_ops, then n/e or crv/x/y. */
export function publicKeyJson(vaultUri: string, record: ObjectVersionRecord) {
  const meta = keyMetaOf(record);
  return { kid: keyId(vaultUri, record), kty: meta.kty, key_ops: [...meta.key_ops], ...withoutKty(publicJwkOfMeta(meta)) };
}

function withoutKty<T extends { kty: unknown }>(jwk: T): Omit<T, "kty"> {
  const { kty: _kty, ...rest } = jwk;
  return rest;
}

export function keyBundle(vaultUri: string, vault: VaultRecord, record: ObjectVersionRecord) {
  const bundle: Record<string, unknown> = {
    key: publicKeyJson(vaultUri, record),
    attributes: keyAttributes(vault, record),
  };
  if (record.tags !== null) bundle.tags = record.tags;
  const meta = keyMetaOf(record);
  if (meta.release_policy) bundle.release_policy = { ...meta.release_policy };
  if (meta.managed) bundle.managed = true;
  return bundle;
}

export function keyItem(vaultUri: string, vault: VaultRecord, record: ObjectVersionRecord, withVersion: boolean) {
  const item: Record<string, unknown> = {
    kid: withVersion ? keyId(vaultUri, record) : `${vaultUri}keys/${record.name}`,
    attributes: keyAttributes(vault, record),
  };
  if (record.tags !== null) item.tags = record.tags;
  if (keyMetaOf(record).managed) item.managed = true;
  return item;
}

function deletedFields(vaultUri: string, deleted: DeletedObjectRecord) {
  return {
    recoveryId: `${vaultUri}deletedkeys/${deleted.latest.name}`,
    deletedDate: deleted.deletedAt,
    scheduledPurgeDate: deleted.scheduledPurgeAt,
  };
}

export function deletedKeyBundle(vaultUri: string, vault: VaultRecord, deleted: DeletedObjectRecord) {
  return { ...deletedFields(vaultUri, deleted), ...keyBundle(vaultUri, vault, deleted.latest) };
}

export function deletedKeyItem(vaultUri: string, vault: VaultRecord, deleted: DeletedObjectRecord) {
  return { ...deletedFields(vaultUri, deleted), ...keyItem(vaultUri, vault, deleted.latest, false) };
}
