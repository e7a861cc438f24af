/** KeyService against a throwaway SQLite store: the seam D2 uses (find, openPrivateJwk, rotate, keyMetaOf) and sealing at rest. */
import assert from "node:assert/strict";
import crypto, { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { publicKeyObject } from "../../crypto/key-material.js";
import { openSqliteStore } from "../../storage/sqlite/open.js";
import type { Store, VaultRecord } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import { Keyring } from "../keyring.js";
import { keyMetaOf, KeyService } from "./key-service.js";

function vault(name: string): VaultRecord {
  return {
    id: randomUUID(),
    name,
    subscriptionId: "sub-a",
    resourceGroup: "rg",
    location: "westus",
    tags: {},
    properties: {
      tenantId: "t",
      sku: { family: "A", name: "standard" },
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 7,
      enableRbacAuthorization: false,
      enablePurgeProtection: null,
      publicNetworkAccess: "Enabled",
    },
    createdAt: 0,
    createdBy: "x",
    updatedAt: 0,
    updatedBy: "x",
    deletedAt: null,
  };
}

describe("KeyService (domain)", { timeout: 60_000 }, () => {
  let dir: string;
  let store: Store;
  let keys: KeyService;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-keys-"));
    store = openSqliteStore(path.join(dir, "kluis.db"));
    keys = new KeyService(store.keys, new Keyring(store.dataKeys, randomBytes(32)));
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("openPrivateJwk returns the private half of the stored public key; at rest it is sealed to vault, name and version", async () => {
    const v = vault("seal-kv");
    const created = await keys.create(v, "Signer", { kty: "EC", crv: "P-256" });
    const found = await keys.find(v, "signer", created.version);
    const jwk = await keys.openPrivateJwk(v, found);
    const meta = keyMetaOf(found);
    assert.deepEqual({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, { kty: meta.kty, crv: meta.crv, x: meta.x, y: meta.y });
    const signature = crypto.sign("sha256", Buffer.from("m"), crypto.createPrivateKey({ key: { ...jwk, crv: "P-256" }, format: "jwk" }));
    assert.ok(crypto.verify("sha256", Buffer.from("m"), publicKeyObject({ kty: "EC", crv: "P-256", x: meta.x!, y: meta.y! }), signature));
    assert.ok(!found.sealedValue.toString("latin1").includes(jwk.d!), "the private scalar is not stored in the clear");
    await assert.rejects(keys.openPrivateJwk(vault("other-kv"), found), "another vault's context does not open it");
    await assert.rejects(keys.openPrivateJwk(v, { ...found, version: "0".repeat(32) }), "another version's context does not open it");
  });

  it("rotate keeps type, size, operations and tags; the new version has its own material and the given expiry", async () => {
    const v = vault("rotate-kv");
    const first = await keys.create(v, "Rotating", { kty: "RSA", key_size: 3072, key_ops: ["sign"], tags: { a: "1" } });
    const rotated = await keys.rotate(v, "rotating", 2_000_000_000);
    assert.notEqual(rotated.version, first.version);
    assert.equal(rotated.name, "Rotating");
    const [before, after] = [keyMetaOf(first), keyMetaOf(rotated)];
    assert.equal(Buffer.from(after.n!, "base64url").length, 384);
    assert.notEqual(after.n, before.n);
    assert.deepEqual(after.key_ops, ["sign"]);
    assert.deepEqual(rotated.tags, { a: "1" });
    assert.equal(rotated.attributes.exp, 2_000_000_000);
    assert.equal((await keys.find(v, "Rotating")).version, rotated.version);
    await assert.rejects(keys.rotate(v, "missing"), (e: DomainError) => e.code === "KeyNotFound");
  });
});

describe("KeyService and rotation policies", { timeout: 60_000 }, () => {
  let dir: string;
  let store: Store;
  let keys: KeyService;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-keys-policy-"));
    store = openSqliteStore(path.join(dir, "kluis.db"));
    // As the composition root wires it (server/start.ts): a purged key takes its rotation policy with it.
    keys = new KeyService(store.keys, new Keyring(store.dataKeys, randomBytes(32)), async (event, v, name) => {
      if (event === "purged") await store.keyRotationPolicies.delete(v.id, name);
    });
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const policy = (vaultId: string, name: string) => ({ vaultId, name, policy: { lifetimeActions: [] }, dueAt: null, createdAt: 1, updatedAt: 1 });

  it("a purge removes the key's policy; a deleted key keeps it; a new key of a purged-by-date name starts without one", async () => {
    const v = vault("policy-kv");
    await keys.create(v, "Kept", { kty: "EC" });
    await store.keyRotationPolicies.put(policy(v.id, "Kept"));
    await keys.delete(v, "Kept");
    await assert.rejects(keys.create(v, "kept", { kty: "EC" }), (e: DomainError) => e.code === "Conflict");
    assert.ok(await store.keyRotationPolicies.get(v.id, "Kept"), "a deleted key keeps its policy");
    await keys.recover(v, "Kept");
    await keys.delete(v, "Kept");
    await keys.purge(v, "Kept");
    assert.equal(await store.keyRotationPolicies.get(v.id, "Kept"), null);

    await keys.create(v, "Expiring", { kty: "EC" });
    await store.keyRotationPolicies.put(policy(v.id, "Expiring"));
    await keys.delete(v, "Expiring");
    await store.keys.purgeExpired(Math.floor(Date.now() / 1000) + 8 * 86_400);
    await keys.create(v, "Expiring", { kty: "EC" });
    assert.equal(await store.keyRotationPolicies.get(v.id, "Expiring"), null);
  });
});
