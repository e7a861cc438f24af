/** Reading certificates and certificate requests: the facts the service shows and checks. */
import "reflect-metadata"; // @peculiar/x509 resolves its providers through tsyringe, which needs this polyfill first.
import crypto, { type KeyObject, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificationRequest } from "@peculiar/asn1-csr";
import { CertificateInputError } from "./errors.js";
import { verifyDer } from "./signing.js";
import { KEY_USAGE_NAMES, type KeyUsageName } from "./spec.js";

/** What the subject alternative names and usages extensions say. */
export interface ExtensionFacts {
  dnsNames: string[];
  emails: string[];
  upns: string[];
  /** Azure's key usage names, in bit order; empty when the extension is absent. */
  keyUsage: KeyUsageName[];
  /** Extended key usage OIDs; empty when the extension is absent. */
  ekus: string[];
}

/** The facts of one X.509 certificate. */
export interface CertificateFacts extends ExtensionFacts {
  /** RFC 4514-style text in encoded order, e.g. "CN=www.contoso.com, O=Contoso". */
  subject: string;
  issuer: string;
  /** Uppercase hex, as .NET's X509Certificate2.SerialNumber shows it. */
  serialNumber: string;
  /** Unix seconds. */
  notBefore: number;
  notAfter: number;
  /** base64url SHA-1 of the DER (Azure's x5t). */
  x5t: string;
  /** base64url SHA-256 of the DER. */
  x5t256: string;
  publicKey: KeyObject;
  /** basicConstraints CA:true. */
  isCa: boolean;
  /** Issuer equals subject and the signature verifies with the certificate's own key. */
  selfSigned: boolean;
}

/** The facts of a PKCS#10 certificate signing request (its signature verified). */
export interface CsrFacts extends ExtensionFacts {
  subject: string;
  publicKey: KeyObject;
}

function extensionFacts(extensions: readonly x509.Extension[]): ExtensionFacts {
  const facts: ExtensionFacts = { dnsNames: [], emails: [], upns: [], keyUsage: [], ekus: [] };
  for (const ext of extensions) {
    if (ext instanceof x509.SubjectAlternativeNameExtension) {
      for (const name of ext.names.items) {
        if (name.type === "dns") facts.dnsNames.push(name.value);
        else if (name.type === "email") facts.emails.push(name.value);
        else if (name.type === "upn") facts.upns.push(name.value);
      }
    } else if (ext instanceof x509.KeyUsagesExtension) {
      facts.keyUsage = KEY_USAGE_NAMES.filter((_, bit) => (ext.usages & (1 << bit)) !== 0);
    } else if (ext instanceof x509.ExtendedKeyUsageExtension) {
      facts.ekus = Array.from(ext.usages, String);
    }
  }
  return facts;
}

const base64url = (hash: string, der: Buffer): string => crypto.createHash(hash).update(der).digest("base64url");

/** A DER SEQUENCE at least: node's parsers would also take PEM text, whose bytes are not the certificate's. */
function looksLikeDer(data: Buffer): boolean {
  return Buffer.isBuffer(data) && data.length > 2 && data[0] === 0x30;
}

/** Parses a DER certificate; CertificateInputError when it is not one. */
export function describeCertificate(der: Buffer): CertificateFacts {
  let node: X509Certificate;
  let peculiar: x509.X509Certificate;
  try {
    if (!looksLikeDer(der)) throw new Error("not DER");
    node = new X509Certificate(der);
    peculiar = new x509.X509Certificate(new Uint8Array(der));
  } catch {
    throw new CertificateInputError("The certificate content is not a valid DER X.509 certificate.");
  }
  const publicKey = node.publicKey;
  let selfSigned = false;
  if (node.subject === node.issuer) {
    try {
      selfSigned = node.verify(publicKey);
    } catch {
      selfSigned = false;
    }
  }
  const basic = peculiar.getExtension(x509.BasicConstraintsExtension);
  return {
    subject: peculiar.subject,
    issuer: peculiar.issuer,
    serialNumber: node.serialNumber.toUpperCase(),
    notBefore: Math.floor(peculiar.notBefore.getTime() / 1000),
    notAfter: Math.floor(peculiar.notAfter.getTime() / 1000),
    ...extensionFacts(peculiar.extensions),
    x5t: base64url("sha1", der),
    x5t256: base64url("sha256", der),
    publicKey,
    isCa: basic?.ca === true,
    selfSigned,
  };
}

/**
 * Parses a DER PKCS#10 request and verifies its signature (RSA PKCS#1 v1.5 or ECDSA, any SHA-1/2 hash);
 * CertificateInputError when it cannot be read or the signature does not verify.
 */
export function csrFacts(der: Buffer): CsrFacts {
  let request: x509.Pkcs10CertificateRequest;
  let raw: CertificationRequest;
  let publicKey: KeyObject;
  try {
    if (!looksLikeDer(der)) throw new Error("not DER");
    raw = AsnConvert.parse(der, CertificationRequest);
    request = new x509.Pkcs10CertificateRequest(new Uint8Array(der));
    publicKey = crypto.createPublicKey({ key: Buffer.from(request.publicKey.rawData), format: "der", type: "spki" });
  } catch {
    throw new CertificateInputError("The certificate signing request is not a valid PKCS#10 request.");
  }
  const tbs = raw.certificationRequestInfoRaw ?? AsnConvert.serialize(raw.certificationRequestInfo);
  if (!verifyDer(publicKey, raw.signatureAlgorithm.algorithm, tbs, raw.signature)) {
    throw new CertificateInputError("The signature of the certificate signing request does not verify.");
  }
  return { subject: request.subject, publicKey, ...extensionFacts(request.extensions) };
}

/** True when the certificate's public key is the public half of `privateKey` (false for unreadable input). */
export function keyMatchesCertificate(privateKey: KeyObject, der: Buffer): boolean {
  try {
    return looksLikeDer(der) && new X509Certificate(der).checkPrivateKey(privateKey);
  } catch {
    return false;
  }
}
