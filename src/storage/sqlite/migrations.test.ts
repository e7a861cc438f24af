/** Migrations upgrade a database that holds data, not just an empty one. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";
import { openSqliteStore } from "./open.js";

test("migration 3 points existing secrets at their latest version by seq", { timeout: 30_000 }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kluis-migrate-")), "kluis.db");
  const db = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 2)) db.exec(sql);
  db.pragma("user_version = 2");
  const insert = db.prepare(
    `INSERT INTO secret_versions (vault_id, name_key, version, name, value, enabled, created_at, updated_at)
     VALUES ('v1', 'app', ?, 'App', ?, 1, 1, 1)`,
  );
  insert.run("a".repeat(32), Buffer.from("old"));
  insert.run("b".repeat(32), Buffer.from("new"));
  db.prepare("INSERT INTO secrets (vault_id, name_key, latest_version) VALUES ('v1', 'app', ?)").run("b".repeat(32));
  db.close();

  const store = openSqliteStore(file);
  try {
    const latest = await store.secrets.getLatest("v1", "APP");
    assert.equal(latest?.version, "b".repeat(32));
    assert.equal(latest?.sealedValue.toString(), "new");
  } finally {
    await store.close();
  }
});

test("migration 5 keeps existing secrets (meta null) and adds keys and rotation policies", { timeout: 10_000 }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kluis-migrate-")), "kluis.db");
  const db = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 4)) db.exec(sql);
  db.pragma("user_version = 4");
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO secret_versions (vault_id, name_key, version, name, value, enabled, created_at, updated_at)
       VALUES ('v1', 'app', ?, 'App', ?, 1, 1, 1)`,
    )
    .run("c".repeat(32), Buffer.from("kept"));
  db.prepare("INSERT INTO secrets (vault_id, name_key, latest_version, latest_seq) VALUES ('v1', 'app', ?, ?)").run("c".repeat(32), lastInsertRowid);
  db.close();

  const store = openSqliteStore(file);
  try {
    const latest = await store.secrets.getLatest("v1", "app");
    assert.equal(latest?.sealedValue.toString(), "kept");
    assert.equal(latest?.meta, null);
    assert.equal(await store.keys.getLatest("v1", "app"), null);
    assert.equal(await store.keyRotationPolicies.get("v1", "app"), null);
  } finally {
    await store.close();
  }
  const tables = new Database(file, { readonly: true })
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('keys', 'key_versions', 'key_rotation_policies') ORDER BY name")
    .all() as { name: string }[];
  assert.deepEqual(tables.map((t) => t.name), ["key_rotation_policies", "key_versions", "keys"]);
});

test("migration 7 keeps existing secrets, keys and rotation policies, and adds certificates and vault documents", { timeout: 10_000 }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kluis-migrate-")), "kluis.db");
  const db = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 6)) db.exec(sql);
  db.pragma("user_version = 6");
  for (const [objects, versions, value] of [["secrets", "secret_versions", "secret"], ["keys", "key_versions", "key"]] as const) {
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO ${versions} (vault_id, name_key, version, name, value, meta, enabled, created_at, updated_at)
         VALUES ('v1', 'app', ?, 'App', ?, '{"kty":"EC"}', 1, 1, 1)`,
      )
      .run("d".repeat(32), Buffer.from(value));
    db.prepare(`INSERT INTO ${objects} (vault_id, name_key, latest_version, latest_seq) VALUES ('v1', 'app', ?, ?)`).run("d".repeat(32), lastInsertRowid);
  }
  db.prepare(
    `INSERT INTO key_rotation_policies (vault_id, name_key, name, policy, due_at, created_at, updated_at) VALUES ('v1', 'app', 'App', '{"a":1}', 5, 1, 1)`,
  ).run();
  db.close();

  const store = openSqliteStore(file);
  try {
    assert.equal((await store.secrets.getLatest("v1", "app"))?.sealedValue.toString(), "secret");
    const key = await store.keys.getVersion("v1", "APP", "d".repeat(32));
    assert.equal(key?.sealedValue.toString(), "key");
    assert.deepEqual(key?.meta, { kty: "EC" });
    assert.deepEqual((await store.keyRotationPolicies.get("v1", "app"))?.policy, { a: 1 });
    assert.equal(await store.certificates.getLatest("v1", "app"), null);
    assert.equal(await store.vaultDocuments.get("v1", "certificate-policy", "app"), null);
    // The new tables take writes (and the write counter's triggers cover them: the store opened without complaint).
    const document = { vaultId: "v1", kind: "certificate-policy", name: "App", body: {}, sealed: null, dueAt: null, createdAt: 1, updatedAt: 1 };
    assert.equal(await store.vaultDocuments.insert(document), true);
    assert.deepEqual(await store.vaultDocuments.get("v1", "certificate-policy", "app"), document);
  } finally {
    await store.close();
  }
  const reader = new Database(file, { readonly: true });
  const tables = reader
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('certificates', 'certificate_versions', 'vault_documents') ORDER BY name")
    .all() as { name: string }[];
  assert.deepEqual(tables.map((t) => t.name), ["certificate_versions", "certificates", "vault_documents"]);
  assert.equal(reader.pragma("user_version", { simple: true }), MIGRATIONS.length);
  reader.close();
});
