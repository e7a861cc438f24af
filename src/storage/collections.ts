/**
 * The table pairs behind each VersionedObjectStore. Both backends use the same layout per collection: an objects
 * table with one row per name (latest pointer, deleted state) and a versions table with every version. Names are
 * constants, never input: they are spliced into SQL.
 */
export interface VersionedTables {
  /** One row per (vault_id, name_key): latest_seq, latest_version, deleted_at, purge_at. */
  readonly objects: string;
  /** Every version: sealed value, content type, meta, tags, attributes, timestamps. */
  readonly versions: string;
  /** Used in StoreError messages ("secret exists"). */
  readonly noun: string;
}

export const SECRET_TABLES: VersionedTables = { objects: "secrets", versions: "secret_versions", noun: "secret" };
export const KEY_TABLES: VersionedTables = { objects: "keys", versions: "key_versions", noun: "key" };
export const CERT_TABLES: VersionedTables = { objects: "certificates", versions: "certificate_versions", noun: "certificate" };

/** Every versioned collection, e.g. for removing all of a purged vault's objects. */
export const VERSIONED_COLLECTIONS: readonly VersionedTables[] = [SECRET_TABLES, KEY_TABLES, CERT_TABLES];

/** Table of the keys' rotation policies (same name on both backends). */
export const ROTATION_POLICY_TABLE = "key_rotation_policies";

/** Table of the per-name documents of a vault (certificate policies, pending operations, issuers, contacts). */
export const VAULT_DOCUMENT_TABLE = "vault_documents";

/**
 * Every table holding a vault's contents, keyed by vault_id, versions before their objects: purging a vault
 * deletes from each of them in one transaction.
 */
export const VAULT_CONTENT_TABLES: readonly string[] = [
  ...VERSIONED_COLLECTIONS.flatMap(({ objects, versions }) => [versions, objects]),
  ROTATION_POLICY_TABLE,
  VAULT_DOCUMENT_TABLE,
];
