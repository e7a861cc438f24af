/**
 * ECDSA over a digest the client already computed, with signatures in r‖s (IEEE P1363) form, as Key Vault signs.
 * node:crypto always hashes what it signs (sign(null, …) on an EC key hashes with SHA-256; verified in the tests),
 * so it cannot sign a prehash.
 *
 * Signing: the one expensive step, k·G, runs natively through node:crypto's ECDH (setPrivateKey(k) computes k·G in
 * OpenSSL); the rest is FIPS 186-5 §6.4.1 arithmetic on BigInts, with k and k⁻¹ from ecdsa-nonces.ts (drawn from
 * the CSPRNG by rejection sampling, FIPS 186-5 A.3.2, in batches). @noble/curves signs the same way in pure
 * JavaScript about fifteen times slower here, which would make EC signing cost more than the HTTP request around it.
 * Verification needs u1·G + u2·Q, which node:crypto does not expose: @noble/curves (audited) does it.
 */
import crypto from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { mod, NoncePool, toBigInt } from "./ecdsa-nonces.js";
import type { CurveName } from "./key-material.js";

interface EcdsaCurve {
  openssl: string;
  nonces: NoncePool;
  order: bigint;
  bits: number;
  bytes: number;
  noble: typeof p256;
}

function curve(openssl: string, noble: typeof p256): EcdsaCurve {
  const order = noble.Point.Fn.ORDER;
  const bits = noble.Point.Fn.BITS;
  const bytes = noble.Point.Fn.BYTES;
  return { openssl, nonces: new NoncePool({ order, bits, bytes }), order, bits, bytes, noble };
}

const CURVES: Record<CurveName, EcdsaCurve> = {
  "P-256": curve("prime256v1", p256),
  "P-384": curve("secp384r1", p384),
  "P-521": curve("secp521r1", p521),
  "P-256K": curve("secp256k1", secp256k1),
};

function toFixedBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, "0"), "hex");
}

/** bits2int of FIPS 186-5: the leftmost `bits` bits of the digest as an integer. */
function digestToInteger(digest: Buffer, bits: number): bigint {
  const value = toBigInt(digest);
  const excess = digest.length * 8 - bits;
  return excess > 0 ? value >> BigInt(excess) : value;
}

/**
 * One ECDH context per curve, reused for every k·G: creating one costs about as much as the scalar multiplication
 * itself. Safe because signing is synchronous (no other sign runs between setPrivateKey and getPublicKey); the
 * context keeps the last nonce until the next signature, which is no more exposure than the cached private scalar.
 */
const nonceContexts = new Map<string, crypto.ECDH>();

function nonceContext(openssl: string): crypto.ECDH {
  let ecdh = nonceContexts.get(openssl);
  if (!ecdh) {
    ecdh = crypto.createECDH(openssl);
    nonceContexts.set(openssl, ecdh);
  }
  return ecdh;
}

/** r‖s over `digest` with private scalar `d` (curve-width bytes). */
export function ecdsaSignDigest(crv: CurveName, d: Buffer, digest: Buffer): Buffer {
  const c = CURVES[crv];
  const privateScalar = toBigInt(d);
  const z = digestToInteger(digest, c.bits);
  for (;;) {
    const { k, kInverse } = c.nonces.take();
    const ecdh = nonceContext(c.openssl);
    ecdh.setPrivateKey(toFixedBytes(k, c.bytes));
    const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y of k·G
    const r = mod(toBigInt(point.subarray(1, 1 + c.bytes)), c.order);
    if (r === 0n) continue;
    const s = mod(kInverse * (z + r * privateScalar), c.order);
    if (s === 0n) continue;
    return Buffer.concat([toFixedBytes(r, c.bytes), toFixedBytes(s, c.bytes)]);
  }
}

/** Checks an r‖s signature over `digest` against the public point (x, y). High-S signatures verify, as in OpenSSL. */
export function ecdsaVerifyDigest(crv: CurveName, x: Buffer, y: Buffer, digest: Buffer, signature: Buffer): boolean {
  const c = CURVES[crv];
  if (signature.length !== 2 * c.bytes) return false;
  try {
    const publicPoint = Buffer.concat([Buffer.from([4]), x, y]);
    return c.noble.verify(signature, digest, publicPoint, { prehash: false, lowS: false, format: "compact" });
  } catch {
    return false;
  }
}
