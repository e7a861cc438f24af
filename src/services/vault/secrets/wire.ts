/** Key Vault's JSON shapes for secrets: bundles, list items and deleted bundles. */
import { isManaged } from "../../../domain/secrets.js";
import { objectAttributes } from "../collection-wire.js";
import type { DeletedSecretRecord, SecretVersionRecord, VaultRecord } from "../../../storage/types.js";

export const secretAttributes = objectAttributes;

/** The secret bundle; `value` only on reads and writes of a value, never on updates or lists. */
export function secretBundle(vaultUri: string, vault: VaultRecord, record: SecretVersionRecord, value?: string) {
  const bundle: Record<string, unknown> = {};
  if (value !== undefined) bundle.value = value;
  bundle.id = `${vaultUri}secrets/${record.name}/${record.version}`;
  if (record.contentType !== null) bundle.contentType = record.contentType;
  bundle.attributes = secretAttributes(vault, record);
  if (record.tags !== null) bundle.tags = record.tags;
  if (isManaged(record)) {
    // A certificate's secret names the certificate's key, of the same name and version.
    bundle.kid = `${vaultUri}keys/${record.name}/${record.version}`;
    bundle.managed = true;
  }
  return bundle;
}

export function secretItem(vaultUri: string, vault: VaultRecord, record: SecretVersionRecord, withVersion: boolean) {
  const item: Record<string, unknown> = {
    id: `${vaultUri}secrets/${record.name}${withVersion ? `/${record.version}` : ""}`,
    attributes: secretAttributes(vault, record),
  };
  if (record.contentType !== null) item.contentType = record.contentType;
  if (record.tags !== null) item.tags = record.tags;
  if (isManaged(record)) item.managed = true;
  return item;
}

export function deletedSecretBundle(vaultUri: string, vault: VaultRecord, deleted: DeletedSecretRecord) {
  return {
    recoveryId: `${vaultUri}deletedsecrets/${deleted.latest.name}`,
    deletedDate: deleted.deletedAt,
    scheduledPurgeDate: deleted.scheduledPurgeAt,
    ...secretBundle(vaultUri, vault, deleted.latest),
  };
}

export function deletedSecretItem(vaultUri: string, vault: VaultRecord, deleted: DeletedSecretRecord) {
  return {
    recoveryId: `${vaultUri}deletedsecrets/${deleted.latest.name}`,
    deletedDate: deleted.deletedAt,
    scheduledPurgeDate: deleted.scheduledPurgeAt,
    ...secretItem(vaultUri, vault, deleted.latest, false),
  };
}
