/**
 * Key Vault's cryptographic operations on JWK key material: encrypt/decrypt and wrap/unwrap with RSA, sign/verify
 * over a digest the client computed. Pure: no I/O. Every failure is a KeyOperationError (or KeyMaterialError for
 * unusable material) carrying Azure's code; no message contains key material or operation data.
 */
import crypto from "node:crypto";
import { ecdsaSignDigest, ecdsaVerifyDigest } from "./ecdsa-digest.js";
import { base64UrlToBuffer, curveInfo, type CurveName, type KeyJwk, type KeyKind, privateKeyObject, publicKeyObject } from "./key-material.js";
import { runRsaPrivateJob, type RsaPrivateJob } from "./rsa-private-job.js";
import { emePkcs1v15Decode, emsaPkcs1v15, emsaPssEncode, emsaPssVerify, HASH_BYTES, type HashName } from "./rsa-padding.js";

export type EncryptionAlgorithm = "RSA1_5" | "RSA-OAEP" | "RSA-OAEP-256";
export type SignatureAlgorithm = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "ES256K";

export class KeyOperationError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "KeyOperationError";
    this.code = code;
  }
}

interface EncryptionScheme {
  padding: number;
  oaepHash?: "sha1" | "sha256";
  /** Octets the padding takes from the modulus: k − overhead is the largest plaintext. */
  overhead: number;
}

const ENCRYPTION: Record<EncryptionAlgorithm, EncryptionScheme> = {
  RSA1_5: { padding: crypto.constants.RSA_PKCS1_PADDING, overhead: 11 },
  "RSA-OAEP": { padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1", overhead: 2 * 20 + 2 },
  "RSA-OAEP-256": { padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", overhead: 2 * 32 + 2 },
};

type SignatureScheme = { kty: "RSA"; hash: HashName; pss: boolean } | { kty: "EC"; hash: HashName; crv: CurveName };

const SIGNATURE: Record<SignatureAlgorithm, SignatureScheme> = {
  RS256: { kty: "RSA", hash: "sha256", pss: false },
  RS384: { kty: "RSA", hash: "sha384", pss: false },
  RS512: { kty: "RSA", hash: "sha512", pss: false },
  PS256: { kty: "RSA", hash: "sha256", pss: true },
  PS384: { kty: "RSA", hash: "sha384", pss: true },
  PS512: { kty: "RSA", hash: "sha512", pss: true },
  ES256: { kty: "EC", hash: "sha256", crv: "P-256" },
  ES384: { kty: "EC", hash: "sha384", crv: "P-384" },
  ES512: { kty: "EC", hash: "sha512", crv: "P-521" },
  ES256K: { kty: "EC", hash: "sha256", crv: "P-256K" },
};

export const ENCRYPTION_ALGORITHMS = Object.keys(ENCRYPTION) as EncryptionAlgorithm[];
export const SIGNATURE_ALGORITHMS = Object.keys(SIGNATURE) as SignatureAlgorithm[];

export function isEncryptionAlgorithm(value: unknown): value is EncryptionAlgorithm {
  return typeof value === "string" && Object.hasOwn(ENCRYPTION, value);
}

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === "string" && Object.hasOwn(SIGNATURE, value);
}

/** The digest length, in octets, that a signature algorithm takes. */
export function digestLength(alg: SignatureAlgorithm): number {
  return HASH_BYTES[SIGNATURE[alg].hash];
}

/**
 * A key loaded once for many operations. OpenSSL sets up an RSA key's Montgomery and blinding state on its first
 * private operation, so loading the JWK per call halves RSA-2048 signing throughput: callers that keep keys around
 * (a bounded cache in the domain) pass a PreparedKey instead of the JWK. This module itself keeps nothing.
 */
export interface PreparedKey {
  readonly jwk: KeyJwk;
  readonly publicKey: crypto.KeyObject;
  /** Absent for a public JWK. */
  readonly privateKey?: crypto.KeyObject;
}

export function prepareKey(jwk: KeyJwk): PreparedKey {
  const publicKey = publicKeyObject(jwk);
  return jwk.d === undefined ? { jwk, publicKey } : { jwk, publicKey, privateKey: privateKeyObject(jwk) };
}

/** Operations take a JWK or a PreparedKey. */
export type KeyInput = KeyJwk | PreparedKey;

function isPrepared(key: KeyInput): key is PreparedKey {
  return "jwk" in key && "publicKey" in key;
}

function jwkOf(key: KeyInput): KeyJwk {
  return isPrepared(key) ? key.jwk : key;
}

function publicOf(key: KeyInput): crypto.KeyObject {
  return isPrepared(key) ? key.publicKey : publicKeyObject(key);
}

function badParameter(message: string): KeyOperationError {
  return new KeyOperationError("BadParameter", message);
}

function keyLabel(keyId: string | undefined): string {
  return keyId === undefined ? "The key" : `Key ${keyId}`;
}

function describeAlgorithm(alg: unknown): string {
  return typeof alg === "string" ? alg.slice(0, 32) : typeof alg;
}

// ---- RSA helpers ------------------------------------------------------------------------------------------------

interface RsaGeometry {
  /** Modulus length in bits. */
  bits: number;
  /** Modulus length in octets: the length of every ciphertext and signature. */
  k: number;
}

function rsaGeometry(key: crypto.KeyObject): RsaGeometry {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw badParameter("The key is not an RSA key.");
  return { bits, k: Math.ceil(bits / 8) };
}

/** Raw RSA with the public exponent (s^e mod n) on exactly k octets. */
function rsaPublicRaw(key: crypto.KeyObject, input: Buffer): Buffer | undefined {
  try {
    return crypto.publicDecrypt({ key, padding: crypto.constants.RSA_NO_PADDING }, input);
  } catch {
    return undefined;
  }
}

/** A ciphertext as k octets: shorter ones (an integer written without its leading zero octets) are re-padded. */
function fullLength(data: Buffer, k: number): Buffer | undefined {
  if (data.length === 0 || data.length > k) return undefined;
  return data.length === k ? data : Buffer.concat([Buffer.alloc(k - data.length), data]);
}

/** The private key, or a KeyOperationError when the key holds only the public part. */
function privateKeyOf(key: KeyInput): crypto.KeyObject {
  const jwk = jwkOf(key);
  if (jwk.d === undefined) throw badParameter("The operation needs the private part of the key, which this key does not hold.");
  return isPrepared(key) && key.privateKey !== undefined ? key.privateKey : privateKeyObject(jwk);
}

function requireRsa(jwk: KeyJwk, alg: EncryptionAlgorithm, keyId: string | undefined): void {
  if (jwk.kty !== "RSA") {
    throw badParameter(`Key and encryption algorithm are incompatible. ${keyLabel(keyId)} is of type '${jwk.kty}', and algorithm '${alg}' can only be used with key type 'RSA'.`);
  }
}

function encryptionScheme(alg: EncryptionAlgorithm): EncryptionScheme {
  if (!isEncryptionAlgorithm(alg)) throw badParameter(`Invalid algorithm '${describeAlgorithm(alg)}'. Supported algorithms are [RSA1_5, RSA-OAEP, RSA-OAEP-256]`);
  return ENCRYPTION[alg];
}

// ---- encrypt / decrypt / wrap / unwrap --------------------------------------------------------------------------

export function encrypt(publicKey: KeyInput, alg: EncryptionAlgorithm, plaintext: Buffer, keyId?: string): Buffer {
  const scheme = encryptionScheme(alg);
  requireRsa(jwkOf(publicKey), alg, keyId);
  const key = publicOf(publicKey);
  const { k } = rsaGeometry(key);
  const limit = k - scheme.overhead;
  if (plaintext.length > limit) {
    throw badParameter(`Invalid length of 'value': ${String(plaintext.length)} bytes. ${alg} allows at most ${String(Math.max(limit, 0))} bytes with this key.`);
  }
  try {
    return crypto.publicEncrypt({ key, padding: scheme.padding, ...(scheme.oaepHash ? { oaepHash: scheme.oaepHash } : {}) }, plaintext);
  } catch {
    throw badParameter("The encryption operation failed.");
  }
}

/**
 * A private-key operation split around its expensive step, so that the step can run elsewhere (a worker thread,
 * rsa-private-pool.ts): either already `done` (EC signatures, which are cheap), or an RSA `job` whose output
 * `finish` turns into the result (or a KeyOperationError). The sync functions below run the job inline.
 */
export type PlannedOperation = { done: Buffer } | { job: RsaPrivateJob; finish(output: Buffer | undefined): Buffer };

/** Runs a planned operation on this thread. */
export function completeInline(planned: PlannedOperation): Buffer {
  return "done" in planned ? planned.done : planned.finish(runRsaPrivateJob(planned.job));
}

export function planDecrypt(privateKey: KeyInput, alg: EncryptionAlgorithm, ciphertext: Buffer, keyId?: string): PlannedOperation {
  const scheme = encryptionScheme(alg);
  requireRsa(jwkOf(privateKey), alg, keyId);
  const key = privateKeyOf(privateKey);
  const { k } = rsaGeometry(key);
  // One message for every kind of bad ciphertext: the reason would be a padding oracle.
  const failed = (): KeyOperationError => badParameter("The decryption operation failed: the ciphertext is not valid for this key and algorithm.");
  const input = fullLength(ciphertext, k);
  if (input === undefined) throw failed();
  if (alg === "RSA1_5") {
    // Node 20 refuses privateDecrypt with RSA_PKCS1_PADDING (CVE-2023-46809): raw RSA, then EME-PKCS1-v1_5 decoding.
    return {
      job: { key, input },
      finish: (em) => {
        const message = em === undefined ? undefined : emePkcs1v15Decode(em);
        if (message === undefined) throw failed();
        return message;
      },
    };
  }
  return {
    job: { key, input, oaepHash: scheme.oaepHash },
    finish: (message) => {
      if (message === undefined) throw failed();
      return message;
    },
  };
}

export function decrypt(privateKey: KeyInput, alg: EncryptionAlgorithm, ciphertext: Buffer, keyId?: string): Buffer {
  return completeInline(planDecrypt(privateKey, alg, ciphertext, keyId));
}

/** Key Vault's wrapKey takes the same RSA algorithms as encrypt, and means the same operation on the key. */
export function wrapKey(publicKey: KeyInput, alg: EncryptionAlgorithm, keyToWrap: Buffer, keyId?: string): Buffer {
  return encrypt(publicKey, alg, keyToWrap, keyId);
}

export function unwrapKey(privateKey: KeyInput, alg: EncryptionAlgorithm, wrappedKey: Buffer, keyId?: string): Buffer {
  return decrypt(privateKey, alg, wrappedKey, keyId);
}

// ---- sign / verify ----------------------------------------------------------------------------------------------

/** The scheme of `alg`, after checking that the algorithm fits the key and the digest fits the algorithm. */
function signatureScheme(jwk: KeyJwk, alg: SignatureAlgorithm, digest: Buffer, keyId: string | undefined): SignatureScheme {
  if (!isSignatureAlgorithm(alg)) {
    throw badParameter(`Invalid algorithm '${describeAlgorithm(alg)}'. Supported algorithms are [${SIGNATURE_ALGORITHMS.join(", ")}]`);
  }
  const scheme = SIGNATURE[alg];
  if (jwk.kty !== scheme.kty) {
    throw badParameter(`Key and signing algorithm are incompatible. ${keyLabel(keyId)} is of type '${jwk.kty}', and algorithm '${alg}' can only be used with key type '${scheme.kty}'.`);
  }
  if (scheme.kty === "EC" && jwk.crv !== scheme.crv) {
    throw badParameter(`Key and signing algorithm are incompatible. ${keyLabel(keyId)} uses curve '${String(jwk.crv)}', and algorithm '${alg}' can only be used with curve '${scheme.crv}'.`);
  }
  const expected = HASH_BYTES[scheme.hash];
  if (digest.length !== expected) {
    throw badParameter(`Invalid length of 'value': ${String(digest.length)} bytes. ${alg} requires ${String(expected)} bytes, encoded with base64url.`);
  }
  return scheme;
}

function ecPart(jwk: KeyJwk, field: "x" | "y" | "d", crv: CurveName): Buffer {
  const value = jwk[field];
  const bytes = value === undefined ? undefined : base64UrlToBuffer(value);
  if (bytes === undefined || bytes.length !== curveInfo(crv).bytes) throw badParameter("The key material is not valid for its curve.");
  return bytes;
}

/** A signature over a digest the client computed, planned (see PlannedOperation); EC signatures are done at once. */
export function planSign(privateKey: KeyInput, alg: SignatureAlgorithm, digest: Buffer, keyId?: string): PlannedOperation {
  const privateJwk = jwkOf(privateKey);
  const scheme = signatureScheme(privateJwk, alg, digest, keyId);
  if (scheme.kty === "EC") {
    if (privateJwk.d === undefined) privateKeyOf(privateJwk);
    return { done: ecdsaSignDigest(scheme.crv, ecPart(privateJwk, "d", scheme.crv), digest) };
  }
  const key = privateKeyOf(privateKey);
  const { bits, k } = rsaGeometry(key);
  const encoded = scheme.pss ? emsaPssEncode(scheme.hash, digest, bits, k) : emsaPkcs1v15(scheme.hash, digest, k);
  const tooSmall = (): KeyOperationError => badParameter(`Key and signing algorithm are incompatible. ${keyLabel(keyId)} is too small for algorithm '${alg}'.`);
  if (encoded === undefined) throw tooSmall();
  return {
    job: { key, input: encoded },
    finish: (signature) => {
      if (signature === undefined) throw badParameter("The signing operation failed.");
      return signature;
    },
  };
}

/** Signs a digest the client computed; EC signatures come as r‖s of the curve's width. */
export function sign(privateKey: KeyInput, alg: SignatureAlgorithm, digest: Buffer, keyId?: string): Buffer {
  return completeInline(planSign(privateKey, alg, digest, keyId));
}

/** True when `signature` is `alg`'s signature over `digest` by the key; false for any malformed signature. */
export function verify(publicKey: KeyInput, alg: SignatureAlgorithm, digest: Buffer, signature: Buffer, keyId?: string): boolean {
  const publicJwk = jwkOf(publicKey);
  const scheme = signatureScheme(publicJwk, alg, digest, keyId);
  if (scheme.kty === "EC") {
    return ecdsaVerifyDigest(scheme.crv, ecPart(publicJwk, "x", scheme.crv), ecPart(publicJwk, "y", scheme.crv), digest, signature);
  }
  const key = publicOf(publicKey);
  const { bits, k } = rsaGeometry(key);
  if (signature.length !== k) return false;
  const raw = rsaPublicRaw(key, signature);
  if (raw === undefined) return false;
  if (scheme.pss) return emsaPssVerify(scheme.hash, digest, raw, bits);
  const expected = emsaPkcs1v15(scheme.hash, digest, k);
  return expected !== undefined && crypto.timingSafeEqual(expected, raw);
}

export type { KeyJwk, KeyKind };
