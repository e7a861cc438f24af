/** The version cache of the SQLite versioned-object store: a cached version never outlives what storage says. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { ObjectVersionRecord } from "../types.js";
import { openSqliteStore } from "./open.js";

function version(name: string, v: string, enabled = true): ObjectVersionRecord {
  return {
    vaultId: "vault-1",
    name,
    version: v,
    sealedValue: Buffer.from(`sealed ${v}`),
    contentType: null,
    meta: { kty: "EC" },
    tags: null,
    attributes: { enabled, nbf: null, exp: null },
    createdAt: 1,
    updatedAt: 1,
  };
}

test("explicit versions read from memory stay fresh across update, delete, recover and purge", { timeout: 10_000 }, async () => {
  const store = openSqliteStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kluis-version-cache-")), "kluis.db"));
  try {
    const keys = store.keys;
    await keys.putVersion(version("Key1", "aaaa"));
    await keys.putVersion(version("Key1", "bbbb"));
    assert.equal((await keys.getVersion("vault-1", "key1", "AAAA"))?.version, "aaaa");
    assert.equal((await keys.getVersion("vault-1", "KEY1", "aaaa"))?.attributes.enabled, true, "second read (cached)");

    await keys.updateVersion({ ...version("Key1", "aaaa", false), updatedAt: 2 });
    assert.equal((await keys.getVersion("vault-1", "key1", "aaaa"))?.attributes.enabled, false, "re-read after update is fresh");

    assert.equal(await keys.markDeleted("vault-1", "key1", 10, 20), true);
    assert.equal(await keys.getVersion("vault-1", "key1", "aaaa"), null, "a deleted key's version does not answer");
    assert.equal(await keys.recover("vault-1", "key1"), true);
    assert.equal((await keys.getVersion("vault-1", "key1", "bbbb"))?.version, "bbbb", "recovered");

    await keys.markDeleted("vault-1", "key1", 10, 20);
    assert.equal(await keys.purge("vault-1", "key1"), true);
    await keys.putVersion(version("Key1", "cccc"));
    assert.equal(await keys.getVersion("vault-1", "key1", "bbbb"), null, "a purged version does not come back with its name");
    assert.equal((await keys.getVersion("vault-1", "key1", "cccc"))?.version, "cccc");

    // Expiry-driven purges drop cached versions too.
    await keys.getVersion("vault-1", "key1", "cccc");
    await keys.markDeleted("vault-1", "key1", 10, 20);
    assert.equal(await keys.purgeExpired(30), 1);
    await keys.putVersion(version("Key1", "dddd"));
    assert.equal(await keys.getVersion("vault-1", "key1", "cccc"), null);
  } finally {
    await store.close();
  }
});
