/**
 * Key Vault key material: generation, import validation and conversion between Azure's JsonWebKey (base64url fields)
 * and node:crypto KeyObjects. Pure: no I/O, no storage, no caching (callers that need speed cache KeyObjects).
 * Errors carry Azure's code and a message that never contains key material.
 */
import crypto, { type KeyObject } from "node:crypto";

export type KeyKind = "RSA" | "EC";
/** Azure's curve names; P-256K is secp256k1 (JOSE says `secp256k1`, Azure's wire says `P-256K`). */
export type CurveName = "P-256" | "P-384" | "P-521" | "P-256K";

/** Azure's JsonWebKey fields, base64url without padding. `kid` and `key_ops` belong to the domain. */
export interface KeyJwk {
  kty: KeyKind;
  n?: string;
  e?: string;
  d?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  p?: string;
  q?: string;
  crv?: CurveName;
  x?: string;
  y?: string;
}

export interface KeySpec {
  kty: KeyKind;
  size?: number;
  crv?: CurveName;
  publicExponent?: number;
}

export interface KeyPairJwk {
  privateJwk: KeyJwk;
  publicJwk: KeyJwk;
}

export interface ImportedKey extends KeyPairJwk {
  kty: KeyKind;
  size?: number;
  crv?: CurveName;
}

export class KeyMaterialError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "KeyMaterialError";
    this.code = code;
  }
}

export const RSA_KEY_SIZES: readonly number[] = [2048, 3072, 4096];
export const DEFAULT_RSA_KEY_SIZE = 2048;
export const DEFAULT_CURVE: CurveName = "P-256";
export const CURVE_NAMES: readonly CurveName[] = ["P-256", "P-384", "P-521", "P-256K"];

interface CurveInfo {
  /** OpenSSL's name, as node:crypto's generateKeyPair and createECDH take it. */
  openssl: string;
  /** JOSE's name, as node:crypto's JWK import and export use it. */
  jose: string;
  /** Bytes in a coordinate, a private scalar, and half of an r‖s signature. */
  bytes: number;
}

const CURVES: Record<CurveName, CurveInfo> = {
  "P-256": { openssl: "prime256v1", jose: "P-256", bytes: 32 },
  "P-384": { openssl: "secp384r1", jose: "P-384", bytes: 48 },
  "P-521": { openssl: "secp521r1", jose: "P-521", bytes: 66 },
  "P-256K": { openssl: "secp256k1", jose: "secp256k1", bytes: 32 },
};

export function curveInfo(crv: CurveName): CurveInfo {
  return CURVES[crv];
}

export function isCurveName(value: unknown): value is CurveName {
  return typeof value === "string" && Object.hasOwn(CURVES, value);
}

const RSA_PRIVATE_FIELDS = ["d", "p", "q", "dp", "dq", "qi"] as const;

function invalidKey(detail: string): KeyMaterialError {
  return new KeyMaterialError("BadParameter", `The JSON Web Key is invalid: ${detail}`);
}

// ---- generation -------------------------------------------------------------------------------------------------

function keygenArgs(spec: KeySpec): ["rsa", crypto.RSAKeyPairKeyObjectOptions] | ["ec", crypto.ECKeyPairKeyObjectOptions] {
  if (spec.kty === "RSA") {
    const size = spec.size ?? DEFAULT_RSA_KEY_SIZE;
    if (!RSA_KEY_SIZES.includes(size)) {
      throw new KeyMaterialError("BadParameter", `Unsupported key size (${String(size)}). Supported sizes are [2048, 3072, 4096]`);
    }
    const publicExponent = spec.publicExponent ?? 65537;
    // Only odd exponents of at least 3 make an RSA key; Azure's keys use 65537.
    if (!Number.isSafeInteger(publicExponent) || publicExponent < 3 || publicExponent % 2 === 0 || publicExponent > 0xffffffff) {
      throw new KeyMaterialError("BadParameter", `Unsupported public exponent (${String(publicExponent)}).`);
    }
    return ["rsa", { modulusLength: size, publicExponent }];
  }
  if (spec.kty === "EC") {
    const crv = spec.crv ?? DEFAULT_CURVE;
    if (!isCurveName(crv)) {
      throw new KeyMaterialError("BadParameter", `Unsupported curve '${String(crv)}'. Supported curves are [P-256, P-384, P-521, P-256K]`);
    }
    return ["ec", { namedCurve: CURVES[crv].openssl }];
  }
  throw new KeyMaterialError("BadParameter", `Unsupported key type '${String((spec as { kty: unknown }).kty)}'.`);
}

function pairFromPrivateKey(privateKey: KeyObject): KeyPairJwk {
  const privateJwk = jwkFromNode(privateKey.export({ format: "jwk" }));
  return { privateJwk, publicJwk: publicJwkOf(privateJwk) };
}

/** A new key pair. Synchronous RSA-4096 generation takes about a second: servers use generateKeyAsync. */
export function generateKey(spec: KeySpec): KeyPairJwk {
  const [type, options] = keygenArgs(spec);
  const { privateKey } = type === "rsa" ? crypto.generateKeyPairSync(type, options) : crypto.generateKeyPairSync(type, options);
  return pairFromPrivateKey(privateKey);
}

/**
 * As generateKey, on libuv's thread pool so a large RSA key does not block the event loop. The job hands back DER,
 * not a KeyObject: a KeyObject made by an async key-generation job shares its lock with that job, and Node 20 can
 * collect the job while that lock is held for a JWK export — the finalizer then waits on the lock forever and the
 * whole process hangs (seen here: `~KeyGenJob` under `ExportJWKEcKey`). A KeyObject made from the DER has its own.
 */
export async function generateKeyAsync(spec: KeySpec): Promise<KeyPairJwk> {
  const [type, options] = keygenArgs(spec);
  const encoding = { publicKeyEncoding: { type: "spki", format: "der" }, privateKeyEncoding: { type: "pkcs8", format: "der" } } as const;
  const der = await new Promise<Buffer>((resolve, reject) => {
    const done = (error: Error | null, _publicKey: Buffer, privateKey: Buffer): void => (error ? reject(error) : resolve(privateKey));
    if (type === "rsa") crypto.generateKeyPair("rsa", { ...options, ...encoding }, done);
    else crypto.generateKeyPair("ec", { ...options, ...encoding }, done);
  });
  return pairFromPrivateKey(crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
}

// ---- conversion -------------------------------------------------------------------------------------------------

/** node:crypto's exported JWK → ours (curve renamed to Azure's, fields kept as node wrote them: base64url). */
function jwkFromNode(jwk: crypto.JsonWebKey): KeyJwk {
  if (jwk.kty === "RSA") {
    const out: KeyJwk = { kty: "RSA", n: jwk.n!, e: jwk.e! };
    for (const field of RSA_PRIVATE_FIELDS) if (jwk[field] !== undefined) out[field] = jwk[field];
    return out;
  }
  const crv = (Object.keys(CURVES) as CurveName[]).find((name) => CURVES[name].jose === jwk.crv);
  if (jwk.kty !== "EC" || crv === undefined) throw new KeyMaterialError("BadParameter", "Unsupported key type.");
  const out: KeyJwk = { kty: "EC", crv, x: jwk.x!, y: jwk.y! };
  if (jwk.d !== undefined) out.d = jwk.d;
  return out;
}

/** Ours → node:crypto's JWK input (curve renamed to JOSE's). */
function jwkForNode(jwk: KeyJwk, includePrivate: boolean): crypto.JsonWebKey {
  if (jwk.kty === "RSA") {
    const out: crypto.JsonWebKey = { kty: "RSA", n: jwk.n, e: jwk.e };
    if (includePrivate) for (const field of RSA_PRIVATE_FIELDS) out[field] = jwk[field];
    return out;
  }
  if (jwk.kty === "EC" && jwk.crv !== undefined && isCurveName(jwk.crv)) {
    const out: crypto.JsonWebKey = { kty: "EC", crv: CURVES[jwk.crv].jose, x: jwk.x, y: jwk.y };
    if (includePrivate) out.d = jwk.d;
    return out;
  }
  throw new KeyMaterialError("BadParameter", "Unsupported key type.");
}

/** The public half of a JWK: RSA n,e; EC crv,x,y. */
export function publicJwkOf(privateJwk: KeyJwk): KeyJwk {
  if (privateJwk.kty === "RSA") return { kty: "RSA", n: privateJwk.n!, e: privateJwk.e! };
  return { kty: "EC", crv: privateJwk.crv!, x: privateJwk.x!, y: privateJwk.y! };
}

export function privateKeyObject(jwk: KeyJwk): KeyObject {
  if (jwk.d === undefined) throw new KeyMaterialError("BadParameter", "The key has no private part.");
  try {
    return crypto.createPrivateKey({ key: jwkForNode(jwk, true), format: "jwk" });
  } catch (error) {
    if (error instanceof KeyMaterialError) throw error;
    throw invalidKey("the private key cannot be loaded.");
  }
}

export function publicKeyObject(jwk: KeyJwk): KeyObject {
  try {
    return crypto.createPublicKey({ key: jwkForNode(jwk, false), format: "jwk" });
  } catch (error) {
    if (error instanceof KeyMaterialError) throw error;
    throw invalidKey("the public key cannot be loaded.");
  }
}

export function base64UrlToBuffer(value: string): Buffer {
  return Buffer.from(value, "base64url");
}

/** Bits in an RSA modulus (leading zero octets, which some encoders add, do not count). */
export function keySize(jwk: KeyJwk): number {
  if (jwk.kty !== "RSA" || jwk.n === undefined) throw new KeyMaterialError("BadParameter", "Key size applies to RSA keys only.");
  const n = base64UrlToBuffer(jwk.n);
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

// ---- import -----------------------------------------------------------------------------------------------------

const BASE64_ANY = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** A JWK field as Azure's service reads it: base64url, or (tolerated) standard base64, with or without padding. */
function decodeField(jwk: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const value = jwk[field];
  if (value === undefined || value === null) {
    if (required) throw invalidKey(`the property '${field}' is missing.`);
    return undefined;
  }
  if (typeof value !== "string") throw invalidKey(`the property '${field}' is not a string.`);
  const unpadded = value.replace(/=+$/, "");
  if (!BASE64_ANY.test(value) || unpadded.length === 0 || unpadded.length % 4 === 1) {
    throw invalidKey(`the property '${field}' is not valid base64url.`);
  }
  return Buffer.from(unpadded.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

function toBase64Url(value: bigint, length?: number): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if (length !== undefined && bytes.length < length) bytes = Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
  return bytes.toString("base64url");
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return ((oldS % m) + m) % m;
}

/**
 * Recovers p and q from n, e and d (NIST SP 800-56B rev. 2, appendix C), for JWKs that carry only d.
 * Bases 2, 3, 4, ... find a factor within a few tries when d is right.
 */
function factorModulus(n: bigint, e: bigint, d: bigint): [bigint, bigint] | undefined {
  const k = d * e - 1n;
  if (k <= 0n || k % 2n !== 0n) return undefined;
  let t = k;
  let twos = 0;
  while (t % 2n === 0n) {
    t /= 2n;
    twos++;
  }
  // Refuse a d that is not e's inverse before searching: one exponentiation, so bad input costs little.
  const probe = 0x10001n % n;
  if (modPow(modPow(probe, e, n), d, n) !== probe) return undefined;
  // Each base splits n with probability at least 1/2 when d is right; 64 bases fail about once in 2^64.
  for (let g = 2n; g < 66n; g++) {
    let x = modPow(g, t, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 0; i < twos; i++) {
      const y = (x * x) % n;
      if (y === 1n) {
        const p = gcd(x - 1n, n);
        return p > 1n && p < n ? [p, n / p] : undefined;
      }
      if (y === n - 1n) break;
      x = y;
    }
  }
  return undefined;
}

function importRsa(jwk: Record<string, unknown>): ImportedKey {
  const nBytes = decodeField(jwk, "n", true)!;
  const eBytes = decodeField(jwk, "e", true)!;
  const dBytes = decodeField(jwk, "d", false);
  if (dBytes === undefined) throw invalidKey("the private key (d) is missing; import requires the private part.");
  const n = toBigInt(nBytes);
  const e = toBigInt(eBytes);
  const d = toBigInt(dBytes);
  const bits = n === 0n ? 0 : n.toString(2).length;
  if (bits < 1024 || bits > 4096) throw new KeyMaterialError("BadParameter", `Unsupported key size (${String(bits)}).`);
  if (e < 3n || e % 2n === 0n || d <= 1n || d >= n) throw invalidKey("the RSA parameters are inconsistent.");
  const given = Object.fromEntries((["p", "q", "dp", "dq", "qi"] as const).map((f) => [f, decodeField(jwk, f, false)]));
  let p: bigint;
  let q: bigint;
  if (given.p !== undefined && given.q !== undefined) {
    p = toBigInt(given.p);
    q = toBigInt(given.q);
  } else {
    const factors = factorModulus(n, e, d);
    if (factors === undefined) throw invalidKey("the RSA parameters are inconsistent.");
    [p, q] = factors;
  }
  // The public part must belong to the private part: n = pq, and e·d ≡ 1 modulo lcm(p−1, q−1).
  if (p <= 1n || q <= 1n || p * q !== n) throw invalidKey("the RSA parameters are inconsistent.");
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  if ((e * d) % lambda !== 1n % lambda) throw invalidKey("the RSA parameters are inconsistent.");
  const dp = d % (p - 1n);
  const dq = d % (q - 1n);
  const qi = modInverse(q, p);
  if (
    (given.dp !== undefined && toBigInt(given.dp) !== dp) ||
    (given.dq !== undefined && toBigInt(given.dq) !== dq) ||
    (given.qi !== undefined && toBigInt(given.qi) !== qi)
  ) {
    throw invalidKey("the RSA parameters are inconsistent.");
  }
  const privateJwk: KeyJwk = {
    kty: "RSA",
    n: toBase64Url(n),
    e: toBase64Url(e),
    d: toBase64Url(d),
    p: toBase64Url(p),
    q: toBase64Url(q),
    dp: toBase64Url(dp),
    dq: toBase64Url(dq),
    qi: toBase64Url(qi),
  };
  privateKeyObject(privateJwk); // node:crypto must accept it too
  return { privateJwk, publicJwk: publicJwkOf(privateJwk), kty: "RSA", size: bits };
}

/** An EC field of the curve's size: shorter encodings (leading zeros dropped by some encoders) are re-padded. */
function fixedWidth(bytes: Buffer, width: number, field: string): Buffer {
  if (bytes.length > width) throw invalidKey(`the property '${field}' has the wrong length for the curve.`);
  return bytes.length === width ? bytes : Buffer.concat([Buffer.alloc(width - bytes.length), bytes]);
}

function importEc(jwk: Record<string, unknown>): ImportedKey {
  const crv = jwk.crv;
  if (crv === undefined || crv === null) throw invalidKey("the property 'crv' is missing.");
  if (!isCurveName(crv)) {
    throw new KeyMaterialError("BadParameter", `Unsupported curve '${String(crv).slice(0, 32)}'. Supported curves are [P-256, P-384, P-521, P-256K]`);
  }
  const { openssl, bytes: width } = CURVES[crv];
  const x = fixedWidth(decodeField(jwk, "x", true)!, width, "x");
  const y = fixedWidth(decodeField(jwk, "y", true)!, width, "y");
  const dBytes = decodeField(jwk, "d", false);
  if (dBytes === undefined) throw invalidKey("the private key (d) is missing; import requires the private part.");
  const d = fixedWidth(dBytes, width, "d");
  // The public point must be the private scalar times the generator.
  let derived: Buffer;
  try {
    const ecdh = crypto.createECDH(openssl);
    ecdh.setPrivateKey(d);
    derived = ecdh.getPublicKey();
  } catch {
    throw invalidKey("the private key (d) is not valid for the curve.");
  }
  if (!derived.equals(Buffer.concat([Buffer.from([4]), x, y]))) throw invalidKey("the public key does not match the private key.");
  const privateJwk: KeyJwk = { kty: "EC", crv, x: x.toString("base64url"), y: y.toString("base64url"), d: d.toString("base64url") };
  privateKeyObject(privateJwk);
  return { privateJwk, publicJwk: publicJwkOf(privateJwk), kty: "EC", crv };
}

/**
 * Validates the JsonWebKey of an import request and returns it canonical (base64url, no padding, all RSA CRT
 * parameters present, EC fields of the curve's width). `-HSM` key types are accepted as plain material; the
 * domain decides what a standard vault does with them. The private part is required.
 */
export function importPrivateJwk(input: unknown): ImportedKey {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw invalidKey("a JSON object is required.");
  const jwk = input as Record<string, unknown>;
  const kty = jwk.kty;
  if (kty === undefined || kty === null) throw invalidKey("the property 'kty' is missing.");
  if (kty === "RSA" || kty === "RSA-HSM") return importRsa(jwk);
  if (kty === "EC" || kty === "EC-HSM") return importEc(jwk);
  throw new KeyMaterialError("BadParameter", `Unsupported key type '${typeof kty === "string" ? kty.slice(0, 32) : typeof kty}'. Supported key types are [RSA, RSA-HSM, EC, EC-HSM]`);
}
