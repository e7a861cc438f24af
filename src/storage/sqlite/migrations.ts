/**
 * Versioned schema migrations for SQLite. Each entry runs once, in order, inside a transaction with the bump of
 * `user_version`, so a crash mid-migration leaves the previous schema intact.
 */
import type Database from "better-sqlite3";

export const MIGRATIONS: string[] = [
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE data_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;
  CREATE TABLE principals (
    object_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL UNIQUE,
    app_object_id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE TABLE resource_groups (
    subscription_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (subscription_id, name_key)
  ) STRICT;
  CREATE TABLE vaults (
    id TEXT PRIMARY KEY,
    name_key TEXT NOT NULL UNIQUE,
    subscription_id TEXT NOT NULL,
    deleted_at INTEGER,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE TABLE machines (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    group_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    identity_header BLOB NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (subscription_id, group_key, name_key)
  ) STRICT;
  CREATE TABLE secrets (
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    latest_version TEXT NOT NULL,
    deleted_at INTEGER,
    purge_at INTEGER,
    PRIMARY KEY (vault_id, name_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX secrets_purge ON secrets (purge_at) WHERE purge_at IS NOT NULL;
  CREATE TABLE secret_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    content_type TEXT,
    tags TEXT,
    enabled INTEGER NOT NULL,
    nbf INTEGER,
    exp INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (vault_id, name_key, version)
  ) STRICT;
  CREATE INDEX secret_versions_by_name ON secret_versions (vault_id, name_key, seq);
  `,
  // 2: role assignments (RBAC).
  `
  CREATE TABLE role_assignments (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL) STRICT;
  `,
  // 3: the latest version by rowid, so reading a secret is a primary-key lookup plus a rowid fetch instead of a
  // second walk of the (vault, name, version) text index.
  `
  ALTER TABLE secrets ADD COLUMN latest_seq INTEGER;
  UPDATE secrets SET latest_seq = (
    SELECT v.seq FROM secret_versions v
    WHERE v.vault_id = secrets.vault_id AND v.name_key = secrets.name_key AND v.version = secrets.latest_version
  );
  `,
  // 4: client-assertion ids, kept until they expire so a replay is refused after a restart too.
  `
  CREATE TABLE replays (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
  CREATE INDEX replays_expiry ON replays (expires_at);
  `,
  // 5: keys, a second collection of versioned objects in the secrets' final layout (latest_seq included), a `meta`
  // JSON column on both version tables for a collection's own public fields, and the keys' rotation policies.
  `
  ALTER TABLE secret_versions ADD COLUMN meta TEXT;
  CREATE TABLE keys (
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    latest_version TEXT NOT NULL,
    latest_seq INTEGER NOT NULL,
    deleted_at INTEGER,
    purge_at INTEGER,
    PRIMARY KEY (vault_id, name_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX keys_purge ON keys (purge_at) WHERE purge_at IS NOT NULL;
  CREATE TABLE key_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    content_type TEXT,
    meta TEXT,
    tags TEXT,
    enabled INTEGER NOT NULL,
    nbf INTEGER,
    exp INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (vault_id, name_key, version)
  ) STRICT;
  CREATE INDEX key_versions_by_name ON key_versions (vault_id, name_key, seq);
  CREATE TABLE key_rotation_policies (
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    policy TEXT NOT NULL,
    due_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, name_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX key_rotation_policies_due ON key_rotation_policies (due_at) WHERE due_at IS NOT NULL;
  `,
  // 6: a counter every committed write bumps, also recorded beside the file, so a lost WAL is noticed at open
  // (integrity.ts).
  `
  CREATE TABLE write_counter (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL) STRICT;
  INSERT INTO write_counter (id, n) VALUES (1, 0);
  `,
  // 7: certificates, a third collection of versioned objects in the keys' layout, and the vault documents (a
  // certificate's policy and pending operation, issuers, contacts), with an index for the due-document claim.
  `
  CREATE TABLE certificates (
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    latest_version TEXT NOT NULL,
    latest_seq INTEGER NOT NULL,
    deleted_at INTEGER,
    purge_at INTEGER,
    PRIMARY KEY (vault_id, name_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX certificates_purge ON certificates (purge_at) WHERE purge_at IS NOT NULL;
  CREATE TABLE certificate_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vault_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    content_type TEXT,
    meta TEXT,
    tags TEXT,
    enabled INTEGER NOT NULL,
    nbf INTEGER,
    exp INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (vault_id, name_key, version)
  ) STRICT;
  CREATE INDEX certificate_versions_by_name ON certificate_versions (vault_id, name_key, seq);
  CREATE TABLE vault_documents (
    vault_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    sealed BLOB,
    due_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, kind, name_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX vault_documents_due ON vault_documents (kind, due_at) WHERE due_at IS NOT NULL;
  `,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
