/**
 * ECDSA over a digest the client already computed, with signatures in r‖s (IEEE P1363) form, as Key Vault signs.
 * node:crypto always hashes what it signs (sign(null, …) on an EC key hashes with SHA-256; verified in the tests),
 * so it cannot sign a prehash.
 *
 * Signing: the one expensive step, k·G, runs natively through node:crypto's ECDH (setPrivateKey(k) computes k·G in
 * OpenSSL); the rest is FIPS 186-5 §6.4.1 arithmetic on BigInts, with k drawn from the CSPRNG by rejection sampling
 * (FIPS 186-5 A.3.2). @noble/curves signs the same way in pure JavaScript about fifteen times slower here, which
 * would make EC signing cost more than the HTTP request around it.
 * Verification needs u1·G + u2·Q, which node:crypto does not expose: @noble/curves (audited) does it.
 */
import crypto from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import type { CurveName } from "./key-material.js";

interface EcdsaCurve {
  openssl: string;
  order: bigint;
  bits: number;
  bytes: number;
  noble: typeof p256;
}

function curve(openssl: string, noble: typeof p256): EcdsaCurve {
  return { openssl, order: noble.Point.Fn.ORDER, bits: noble.Point.Fn.BITS, bytes: noble.Point.Fn.BYTES, noble };
}

const CURVES: Record<CurveName, EcdsaCurve> = {
  "P-256": curve("prime256v1", p256),
  "P-384": curve("secp384r1", p384),
  "P-521": curve("secp521r1", p521),
  "P-256K": curve("secp256k1", secp256k1),
};

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

function toFixedBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, "0"), "hex");
}

/** bits2int of FIPS 186-5: the leftmost `bits` bits of the digest as an integer. */
function digestToInteger(digest: Buffer, bits: number): bigint {
  const value = toBigInt(digest);
  const excess = digest.length * 8 - bits;
  return excess > 0 ? value >> BigInt(excess) : value;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * a⁻¹ mod m by the extended Euclidean algorithm. Plain variables, not destructuring pairs: the pairs allocate an
 * array per step, which made this a quarter slower (and the inverse was ~5% of a signing request's CPU). Measured
 * here on P-256: this ~43 µs, Fermat through OpenSSL's modexp ~40 µs with a Buffer round trip, @noble's ~54 µs.
 */
function invert(a: bigint, m: bigint): bigint {
  let r0 = mod(a, m);
  let r1 = m;
  let s0 = 1n;
  let s1 = 0n;
  while (r1 !== 0n) {
    const quotient = r0 / r1;
    const r2 = r0 - quotient * r1;
    r0 = r1;
    r1 = r2;
    const s2 = s0 - quotient * s1;
    s0 = s1;
    s1 = s2;
  }
  return s0 < 0n ? s0 + m : s0;
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

/** A uniformly random scalar in [1, n−1]: random bits of the order's length, redrawn while out of range. */
function randomScalar(c: EcdsaCurve): bigint {
  const topMask = 0xff >> (c.bytes * 8 - c.bits);
  for (;;) {
    const bytes = crypto.randomBytes(c.bytes);
    bytes[0] = bytes[0]! & topMask;
    const k = toBigInt(bytes);
    if (k > 0n && k < c.order) return k;
  }
}

/** r‖s over `digest` with private scalar `d` (curve-width bytes). */
export function ecdsaSignDigest(crv: CurveName, d: Buffer, digest: Buffer): Buffer {
  const c = CURVES[crv];
  const privateScalar = toBigInt(d);
  const z = digestToInteger(digest, c.bits);
  for (;;) {
    const k = randomScalar(c);
    const ecdh = nonceContext(c.openssl);
    ecdh.setPrivateKey(toFixedBytes(k, c.bytes));
    const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y of k·G
    const r = mod(toBigInt(point.subarray(1, 1 + c.bytes)), c.order);
    if (r === 0n) continue;
    const s = mod(invert(k, c.order) * (z + r * privateScalar), c.order);
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
