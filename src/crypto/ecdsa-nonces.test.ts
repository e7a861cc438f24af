/** Batched ECDSA nonces: each k in [1, n−1], never repeated, and its inverse right. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { p256, p521 } from "@noble/curves/nist.js";
import { invert, NoncePool } from "./ecdsa-nonces.js";

for (const [name, noble] of [["P-256", p256], ["P-521", p521]] as const) {
  test(`${name}: nonces are in range, distinct, and come with their inverses`, { timeout: 10_000 }, () => {
    const order = noble.Point.Fn.ORDER;
    const pool = new NoncePool({ order, bits: noble.Point.Fn.BITS, bytes: noble.Point.Fn.BYTES });
    const seen = new Set<bigint>();
    for (let i = 0; i < 100; i++) {
      const { k, kInverse } = pool.take();
      assert.ok(k > 0n && k < order);
      assert.equal((k * kInverse) % order, 1n, `nonce ${i}`);
      assert.ok(!seen.has(k), "a nonce is used once");
      seen.add(k);
    }
  });
}

test("the inverse is the modular inverse", { timeout: 10_000 }, () => {
  const order = p256.Point.Fn.ORDER;
  for (const a of [1n, 2n, order - 1n, 123456789n]) assert.equal((a * invert(a, order)) % order, 1n);
});
