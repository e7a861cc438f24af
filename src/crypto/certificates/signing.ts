/**
 * Signing and verifying X.509 structures with node:crypto, one code path for every key type. WebCrypto (and so
 * @peculiar/x509's generator) cannot sign with secp256k1, so the layer encodes with @peculiar/asn1-* and signs here.
 */
import crypto, { type KeyObject } from "node:crypto";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { CertificateInputError } from "./errors.js";

const SHA_WITH_RSA: Record<string, string> = {
  sha1: "1.2.840.113549.1.1.5",
  sha256: "1.2.840.113549.1.1.11",
  sha384: "1.2.840.113549.1.1.12",
  sha512: "1.2.840.113549.1.1.13",
};
const ECDSA_WITH: Record<string, string> = {
  sha1: "1.2.840.10045.4.1",
  sha256: "1.2.840.10045.4.3.2",
  sha384: "1.2.840.10045.4.3.3",
  sha512: "1.2.840.10045.4.3.4",
};
/** Hash by curve: SHA-256 for P-256 and P-256K, SHA-384 for P-384, SHA-512 for P-521 (Azure's pairing). */
const CURVE_HASH: Record<string, string> = { prime256v1: "sha256", secp256k1: "sha256", secp384r1: "sha384", secp521r1: "sha512" };

/** The hash and signatureAlgorithm a private (or public) key signs with. */
export interface SignatureScheme {
  hash: string;
  algorithm: AlgorithmIdentifier;
}

/** sha256WithRSAEncryption (PKCS#1 v1.5) for RSA; ecdsa-with-SHA256/384/512 by curve for EC. */
export function signatureSchemeOf(key: KeyObject): SignatureScheme {
  if (key.asymmetricKeyType === "rsa") {
    // RFC 4055: the parameters of the RSA PKCS#1 v1.5 signature algorithms are an explicit NULL.
    return { hash: "sha256", algorithm: new AlgorithmIdentifier({ algorithm: SHA_WITH_RSA.sha256!, parameters: null }) };
  }
  if (key.asymmetricKeyType === "ec") {
    const hash = CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (hash) return { hash, algorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH[hash]! }) };
  }
  throw new CertificateInputError("The key type is not supported for certificates (RSA 2048-4096 or EC P-256, P-384, P-521, P-256K).");
}

/** Signs DER bytes (a TBSCertificate or CertificationRequestInfo); ECDSA signatures are DER (r, s). */
export function signDer(privateKey: KeyObject, tbs: ArrayBuffer | Buffer): { algorithm: AlgorithmIdentifier; signature: Buffer } {
  const scheme = signatureSchemeOf(privateKey);
  const signature = crypto.sign(scheme.hash, Buffer.from(tbs as ArrayBuffer), { key: privateKey, dsaEncoding: "der" });
  return { algorithm: scheme.algorithm, signature };
}

/** The hash a signatureAlgorithm OID names, or undefined for algorithms this layer does not verify (e.g. RSA-PSS). */
function hashOfSignatureOid(oid: string): string | undefined {
  for (const table of [SHA_WITH_RSA, ECDSA_WITH]) {
    const found = Object.entries(table).find(([, value]) => value === oid);
    if (found) return found[0];
  }
  return undefined;
}

/** True when `signature` over `tbs` verifies with `publicKey` under the named signatureAlgorithm OID. */
export function verifyDer(publicKey: KeyObject, algorithmOid: string, tbs: ArrayBuffer | Buffer, signature: ArrayBuffer | Buffer): boolean {
  const hash = hashOfSignatureOid(algorithmOid);
  if (!hash) return false;
  try {
    return crypto.verify(hash, Buffer.from(tbs as ArrayBuffer), { key: publicKey, dsaEncoding: "der" }, Buffer.from(signature as ArrayBuffer));
  } catch {
    return false;
  }
}

/** 16 random bytes with the top bit clear, so the DER INTEGER is positive and exactly 16 bytes long at most. */
export function randomSerialNumber(): ArrayBuffer {
  const bytes = crypto.randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // never a leading zero byte: DER would want it dropped
  return new Uint8Array(bytes).buffer;
}

/** now + months calendar months (UTC), clamped to the month's last day (Jan 31 + 1 month = Feb 28/29), whole seconds. */
export function addCalendarMonths(now: Date, months: number): Date {
  const start = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const target = new Date(start);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return target;
}

/** now truncated to whole seconds (certificates carry seconds only). */
export function wholeSeconds(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}
