/**
 * Making certificates: self-signed, PKCS#10 requests, certificates issued by a CA, and a new CA. Structures are
 * encoded with @peculiar/asn1-x509 / asn1-csr (extensions with @peculiar/x509's classes) and signed by signing.ts.
 */
import "reflect-metadata"; // @peculiar/x509 resolves its providers through tsyringe, which needs this polyfill first.
import crypto, { type KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Attribute, Certificate, Extension, Extensions, Name, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from "@peculiar/asn1-x509";
import { Attributes, CertificationRequest, CertificationRequestInfo } from "@peculiar/asn1-csr";
import { ExtensionRequest, id_pkcs9_at_extensionRequest } from "@peculiar/asn1-pkcs9";
import { keyMatchesCertificate } from "./describe.js";
import { CertificateInputError } from "./errors.js";
import { addCalendarMonths, randomSerialNumber, signatureSchemeOf, signDer, wholeSeconds } from "./signing.js";
import { type CertificateSpec, checkSpec, KEY_USAGE_NAMES, type KeyUsageName, parseSubject } from "./spec.js";

/** A key pair as node:crypto KeyObjects. */
export interface CertificateKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A CA that issues certificates: its DER certificate and private key. */
export interface CertificateIssuer {
  certificate: Buffer;
  privateKey: KeyObject;
}

const CA_VALIDITY_MONTHS = 120;

function spkiOf(publicKey: KeyObject): SubjectPublicKeyInfo {
  if (publicKey.type === "private") publicKey = crypto.createPublicKey(publicKey);
  return AsnConvert.parse(publicKey.export({ type: "spki", format: "der" }), SubjectPublicKeyInfo);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes, as hex. */
function keyIdentifierHex(spki: SubjectPublicKeyInfo): string {
  return crypto.createHash("sha1").update(Buffer.from(spki.subjectPublicKey)).digest("hex");
}

function extension(ext: x509.Extension): Extension {
  return AsnConvert.parse(ext.rawData, Extension);
}

function keyUsageFlags(names: readonly KeyUsageName[]): number {
  return names.reduce((flags, name) => flags | (1 << KEY_USAGE_NAMES.indexOf(name)), 0);
}

/** The leaf extensions a spec asks for: SAN, keyUsage (critical), EKU, basicConstraints CA:false (critical). */
function specExtensions(spec: CertificateSpec): Extension[] {
  const extensions: Extension[] = [];
  const names: x509.JsonGeneralName[] = [
    ...spec.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...spec.emails.map((value) => ({ type: "email" as const, value })),
    ...spec.upns.map((value) => ({ type: "upn" as const, value })),
  ];
  if (names.length > 0) extensions.push(extension(new x509.SubjectAlternativeNameExtension(names, false)));
  if (spec.keyUsage.length > 0) extensions.push(extension(new x509.KeyUsagesExtension(keyUsageFlags(spec.keyUsage), true)));
  if (spec.ekus.length > 0) extensions.push(extension(new x509.ExtendedKeyUsageExtension(spec.ekus, false)));
  return extensions;
}

interface TbsParts {
  issuer: Name;
  subject: Name;
  subjectPublicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  signingKey: KeyObject;
}

function signCertificate(parts: TbsParts): Buffer {
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: randomSerialNumber(),
    signature: signatureSchemeOf(parts.signingKey).algorithm, // repeated inside the signed part (RFC 5280 §4.1.2.3)
    issuer: parts.issuer,
    validity: new Validity({ notBefore: parts.notBefore, notAfter: parts.notAfter }),
    subject: parts.subject,
    subjectPublicKeyInfo: spkiOf(parts.subjectPublicKey),
    extensions: new Extensions(parts.extensions),
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const { algorithm, signature } = signDer(parts.signingKey, tbsDer);
  const certificate = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer });
  return Buffer.from(AsnConvert.serialize(certificate));
}

/** Checks that a public key belongs to the private key (a mismatch would make a certificate nobody can use). */
function assertPair(keys: CertificateKeys): void {
  const fromPrivate = crypto.createPublicKey(keys.privateKey).export({ type: "spki", format: "der" });
  const given = (keys.publicKey.type === "private" ? crypto.createPublicKey(keys.publicKey) : keys.publicKey).export({ type: "spki", format: "der" });
  if (!fromPrivate.equals(given)) throw new CertificateInputError("The public key does not belong to the private key.");
}

/**
 * A self-signed leaf certificate (DER) for `keys` as `spec` says: serial 16 random bytes, notBefore = now (whole
 * seconds), notAfter = now + validityMonths, SAN/keyUsage/EKU from the spec, basicConstraints CA:false, SKI.
 */
export async function selfSignedCertificate(keys: CertificateKeys, spec: CertificateSpec, now: Date): Promise<Buffer> {
  checkSpec(spec);
  assertPair(keys);
  const subject = parseSubject(spec.subject);
  const spki = spkiOf(keys.publicKey);
  const notBefore = wholeSeconds(now);
  return signCertificate({
    issuer: subject,
    subject,
    subjectPublicKey: keys.publicKey,
    notBefore,
    notAfter: addCalendarMonths(notBefore, spec.validityMonths),
    signingKey: keys.privateKey,
    extensions: [
      ...specExtensions(spec),
      extension(new x509.BasicConstraintsExtension(false, undefined, true)),
      extension(new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(spki))),
    ],
  });
}

/**
 * A PKCS#10 request (DER) for `keys` carrying the spec's subject and, in an extensionRequest attribute, its SAN,
 * keyUsage and EKU (validityMonths is not part of a CSR).
 */
export async function certificateSigningRequest(keys: CertificateKeys, spec: CertificateSpec): Promise<Buffer> {
  checkSpec(spec);
  assertPair(keys);
  const extensions = specExtensions(spec);
  const attributes = new Attributes();
  if (extensions.length > 0) {
    const request = new ExtensionRequest(extensions);
    attributes.push(new Attribute({ type: id_pkcs9_at_extensionRequest, values: [AsnConvert.serialize(request)] }));
  }
  const info = new CertificationRequestInfo({ version: 0, subject: parseSubject(spec.subject), subjectPKInfo: spkiOf(keys.publicKey), attributes });
  const { algorithm, signature } = signDer(keys.privateKey, AsnConvert.serialize(info));
  const request = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: algorithm, signature: new Uint8Array(signature).buffer });
  return Buffer.from(AsnConvert.serialize(request));
}

function parseIssuerCertificate(der: Buffer): { subject: Name; keyIdHex: string } {
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, Certificate);
  } catch {
    throw new CertificateInputError("The issuer certificate cannot be read.");
  }
  const tbs = certificate.tbsCertificate;
  const ski = tbs.extensions?.find((ext) => ext.extnID === "2.5.29.14");
  const keyIdHex = ski
    ? new x509.SubjectKeyIdentifierExtension(AsnConvert.serialize(ski)).keyId
    : keyIdentifierHex(tbs.subjectPublicKeyInfo);
  return { subject: tbs.subject, keyIdHex };
}

/**
 * A leaf certificate (DER) for `subjectPublicKey`, signed by `issuer`: issuer name copied from the CA's subject,
 * authorityKeyIdentifier = the CA's SKI, otherwise as selfSignedCertificate. notAfter is not clamped to the CA's.
 */
export async function issueCertificate(issuer: CertificateIssuer, subjectPublicKey: KeyObject, spec: CertificateSpec, now: Date): Promise<Buffer> {
  checkSpec(spec);
  const ca = parseIssuerCertificate(issuer.certificate);
  if (!keyMatchesCertificate(issuer.privateKey, issuer.certificate)) throw new CertificateInputError("The issuer's private key does not match its certificate.");
  const notBefore = wholeSeconds(now);
  return signCertificate({
    issuer: ca.subject,
    subject: parseSubject(spec.subject),
    subjectPublicKey,
    notBefore,
    notAfter: addCalendarMonths(notBefore, spec.validityMonths),
    signingKey: issuer.privateKey,
    extensions: [
      ...specExtensions(spec),
      extension(new x509.BasicConstraintsExtension(false, undefined, true)),
      extension(new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(spkiOf(subjectPublicKey)))),
      extension(new x509.AuthorityKeyIdentifierExtension(ca.keyIdHex)),
    ],
  });
}

/**
 * A new self-signed CA: EC P-256 key, CA:true pathLen 0 (it issues leaves only), keyCertSign|cRLSign (critical),
 * SKI, valid 10 years from now.
 */
export async function newCertificateAuthority(subject: string, now: Date): Promise<{ certificate: Buffer; privateKey: KeyObject }> {
  const name = parseSubject(subject);
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const notBefore = wholeSeconds(now);
  const certificate = signCertificate({
    issuer: name,
    subject: name,
    subjectPublicKey: publicKey,
    notBefore,
    notAfter: addCalendarMonths(notBefore, CA_VALIDITY_MONTHS),
    signingKey: privateKey,
    extensions: [
      extension(new x509.BasicConstraintsExtension(true, 0, true)),
      extension(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)),
      extension(new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(spkiOf(publicKey)))),
    ],
  });
  return { certificate, privateKey };
}
