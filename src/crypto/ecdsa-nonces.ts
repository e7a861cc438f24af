/**
 * ECDSA nonces k with their inverses k⁻¹ mod n, drawn in batches (ecdsa-digest.ts signs with them). Per signature,
 * a 32-byte draw from OpenSSL's CSPRNG cost ~30 µs and the BigInt inverse ~45 µs — together more than k·G itself,
 * and a fifth of a whole signing request. A batch takes one CSPRNG draw for all its nonces and one inverse for all
 * of them (Montgomery's batch-inversion trick: invert the product, then peel off each factor with two
 * multiplications), so both costs are shared by BATCH signatures.
 *
 * The trade-off: up to BATCH unused nonces (and inverses) wait in this process's memory, as the cached private
 * scalar itself does; each is used once and dropped. The inverse runs on the product of random nonces, so its
 * timing says nothing about any one of them.
 */
import crypto from "node:crypto";

export interface NonceCurve {
  order: bigint;
  bits: number;
  bytes: number;
}

export interface Nonce {
  k: bigint;
  kInverse: bigint;
}

const BATCH = 32;

export function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`);
}

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * a⁻¹ mod m by the extended Euclidean algorithm, with plain variables: destructuring pairs allocate an array per
 * step, a quarter slower. (Fermat through OpenSSL's modexp measured about the same here, with a Buffer round trip.)
 */
export function invert(a: bigint, m: bigint): bigint {
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

export class NoncePool {
  private readonly ready: Nonce[] = [];

  constructor(private readonly curve: NonceCurve) {}

  take(): Nonce {
    if (this.ready.length === 0) this.refill();
    return this.ready.pop()!;
  }

  private refill(): void {
    const { order } = this.curve;
    const ks = this.randomScalars(BATCH);
    // prefix[i] = k₀·…·kᵢ; one inverse of the whole product, then kᵢ⁻¹ = prefix[i−1]·(k₀·…·kᵢ)⁻¹ from the end.
    const prefix: bigint[] = [];
    let product = 1n;
    for (const k of ks) {
      product = (product * k) % order;
      prefix.push(product);
    }
    let inverse = invert(product, order);
    for (let i = ks.length - 1; i >= 0; i--) {
      const kInverse = i === 0 ? inverse : (inverse * prefix[i - 1]!) % order;
      inverse = (inverse * ks[i]!) % order;
      this.ready.push({ k: ks[i]!, kInverse });
    }
  }

  /** Uniformly random scalars in [1, n−1] (FIPS 186-5 A.3.2): the order's bit length, redrawn while out of range. */
  private randomScalars(count: number): bigint[] {
    const { order, bits, bytes } = this.curve;
    const topMask = 0xff >> (bytes * 8 - bits);
    const scalars: bigint[] = [];
    while (scalars.length < count) {
      const pool = crypto.randomBytes(bytes * (count - scalars.length));
      for (let offset = 0; offset < pool.length; offset += bytes) {
        pool[offset] = pool[offset]! & topMask;
        const k = toBigInt(pool.subarray(offset, offset + bytes));
        if (k > 0n && k < order) scalars.push(k);
      }
      pool.fill(0);
    }
    return scalars;
  }
}
