/** The prepared-key cache: bounded, dropped per key through invalidate, off at size 0, one preparation per version. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateKey } from "../../crypto/key-material.js";
import { prepareKey, type PreparedKey } from "../../crypto/key-operations.js";
import { keyChangeKey, PreparedKeyCache } from "./prepared-key-cache.js";

const pair = generateKey({ kty: "EC", crv: "P-256" });
const privateKey = prepareKey(pair.privateJwk);
const publicKey = prepareKey(pair.publicJwk);

describe("prepared-key cache", { timeout: 10_000 }, () => {
  it("keeps at most `entries` versions and serves repeats from memory", async () => {
    const cache = new PreparedKeyCache({ entries: 2, idleMs: 60_000 });
    let opened = 0;
    const open = async (): Promise<PreparedKey> => (opened++, privateKey);
    for (const version of ["v1", "v2", "v1", "v2"]) await cache.get("vault", "k", version, true, open);
    assert.equal(opened, 2);
    await cache.get("vault", "k", "v3", true, open);
    assert.equal(cache.size, 2);
    cache.close();
  });

  it("shares one preparation between concurrent first uses", async () => {
    const cache = new PreparedKeyCache({ entries: 8, idleMs: 60_000 });
    let opened = 0;
    const open = async (): Promise<PreparedKey> => (opened++, await new Promise((r) => setTimeout(r, 20)), privateKey);
    await Promise.all(Array.from({ length: 10 }, () => cache.get("vault", "k", "v1", true, open)));
    assert.equal(opened, 1);
    cache.close();
  });

  it("a public-only entry does not serve a private operation", async () => {
    const cache = new PreparedKeyCache({ entries: 8, idleMs: 60_000 });
    assert.equal(await cache.get("vault", "k", "v1", false, async () => publicKey), publicKey);
    assert.equal(await cache.get("vault", "k", "v1", true, async () => privateKey), privateKey);
    assert.equal(await cache.get("vault", "k", "v1", false, async () => assert.fail("served from memory")), privateKey);
    cache.close();
  });

  it("invalidate drops every version of one key (case-insensitively) and nothing else", async () => {
    const cache = new PreparedKeyCache({ entries: 8, idleMs: 60_000 });
    const open = async () => privateKey;
    await cache.get("Vault-1", "Signing", "v1", true, open);
    await cache.get("Vault-1", "Signing", "v2", true, open);
    await cache.get("Vault-1", "other", "v1", true, open);
    cache.invalidate(keyChangeKey("Vault-1", "SIGNING"));
    assert.equal(cache.size, 1);
    cache.invalidate();
    assert.equal(cache.size, 0);
    cache.close();
  });

  it("is off with 0 entries: every use opens the key", async () => {
    const cache = new PreparedKeyCache({ entries: 0, idleMs: 60_000 });
    let opened = 0;
    for (let i = 0; i < 3; i++) await cache.get("vault", "k", "v1", true, async () => (opened++, privateKey));
    assert.equal(opened, 3);
    assert.equal(cache.enabled, false);
    cache.close();
  });
});
