/**
 * What a certificate should say (Azure's policy terms) and the parsing of Azure-style subject strings
 * ("CN=www.contoso.com, O=Contoso, S=WA, C=US") into an X.501 Name.
 */
import "reflect-metadata"; // @peculiar/x509 resolves its providers through tsyringe, which needs this polyfill first.
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Name } from "@peculiar/asn1-x509";
import { CertificateInputError } from "./errors.js";

/** Azure's key usage names, in KeyUsage bit order (bit 0 first). */
export const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

/** The content of a certificate to make, as a certificate policy describes it. */
export interface CertificateSpec {
  /** An X.500 distinguished name, Azure style: "CN=a, O=b, OU=c, L=d, S=e, C=US" (S or ST; E for email). */
  subject: string;
  /** subjectAltName dNSName entries. */
  dnsNames: string[];
  /** subjectAltName rfc822Name entries. */
  emails: string[];
  /** subjectAltName otherName UPN entries (OID 1.3.6.1.4.1.311.20.2.3, UTF8String). */
  upns: string[];
  /** The keyUsage extension (critical); empty leaves the extension out. */
  keyUsage: KeyUsageName[];
  /** The extendedKeyUsage extension, as OIDs; empty leaves it out. */
  ekus: string[];
  /** notAfter = notBefore + this many calendar months. */
  validityMonths: number;
}

/** Attribute short names Azure's subjects use, mapped to their OIDs (S and ST are both stateOrProvinceName). */
const ATTRIBUTE_OIDS: Record<string, string> = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  S: "2.5.4.8",
  ST: "2.5.4.8",
  STREET: "2.5.4.9",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  T: "2.5.4.12",
  TITLE: "2.5.4.12",
  SN: "2.5.4.4",
  SERIALNUMBER: "2.5.4.5",
  G: "2.5.4.42",
  GN: "2.5.4.42",
  I: "2.5.4.43",
  POSTALCODE: "2.5.4.17",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
  E: "1.2.840.113549.1.9.1",
  EMAIL: "1.2.840.113549.1.9.1",
  EMAILADDRESS: "1.2.840.113549.1.9.1",
};
const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;

function malformed(subject: string): CertificateInputError {
  return new CertificateInputError(`The subject name '${subject.slice(0, 200)}' is not a valid X.500 distinguished name.`);
}

/** Splits on unescaped, unquoted separators; keeps escapes (handled by unescapeValue). */
function splitUnescaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (!quoted && separators.includes(ch)) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (quoted) throw new Error("unbalanced quote");
  parts.push(current);
  return parts;
}

function unescapeValue(raw: string): string {
  const value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, "$1");
  return value.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, esc: string) => (esc.length === 2 ? String.fromCharCode(parseInt(esc, 16)) : esc));
}

/**
 * Parses an Azure-style subject into a DER-encodable Name, in the order written (first RDN first, as Azure and
 * .NET's X500DistinguishedName encode it). "+" joins attributes of one RDN. Throws CertificateInputError when the
 * subject is empty, has an unknown attribute, an empty value, or a country that is not two letters.
 */
export function parseSubject(subject: string): Name {
  if (typeof subject !== "string" || subject.trim() === "") throw malformed(String(subject));
  let rdnTexts: string[];
  try {
    rdnTexts = splitUnescaped(subject, ",;");
  } catch {
    throw malformed(subject);
  }
  const json: x509.JsonNameParams = [];
  for (const rdnText of rdnTexts) {
    const rdn: Record<string, string[]> = {};
    for (const part of splitUnescaped(rdnText, "+")) {
      const eq = part.indexOf("=");
      if (eq <= 0) throw malformed(subject);
      const key = part.slice(0, eq).trim();
      const oid = ATTRIBUTE_OIDS[key.toUpperCase()] ?? (OID_PATTERN.test(key) ? key : undefined);
      const value = unescapeValue(part.slice(eq + 1));
      if (!oid || value === "" || value.length > 256) throw malformed(subject);
      if (oid === "2.5.4.6" && !/^[A-Za-z]{2}$/.test(value)) throw malformed(subject);
      (rdn[oid] ??= []).push(value);
    }
    json.push(rdn);
  }
  // @peculiar/x509 picks the string type per attribute (PrintableString when it fits, else UTF8String; IA5 for email).
  return AsnConvert.parse(new x509.Name(json).toArrayBuffer(), Name);
}

/** A Name as text, RFC 4514 style in written order ("CN=a, O=b, ST=WA"). */
export function nameToString(name: Name | ArrayBuffer): string {
  return new x509.Name(name instanceof ArrayBuffer ? name : AsnConvert.serialize(name)).toString();
}

/** Checks a spec's fields before anything is built; throws CertificateInputError naming the bad field. */
export function checkSpec(spec: CertificateSpec): void {
  if (!Number.isInteger(spec.validityMonths) || spec.validityMonths < 1 || spec.validityMonths > 1200) {
    throw new CertificateInputError("validity_months must be a whole number of months between 1 and 1200.");
  }
  for (const usage of spec.keyUsage) {
    if (!(KEY_USAGE_NAMES as readonly string[]).includes(usage)) throw new CertificateInputError(`Unknown key usage '${String(usage).slice(0, 64)}'.`);
  }
  for (const eku of spec.ekus) {
    if (!OID_PATTERN.test(eku)) throw new CertificateInputError(`The extended key usage '${String(eku).slice(0, 64)}' is not an OID.`);
  }
  for (const dns of spec.dnsNames) {
    if (typeof dns !== "string" || dns === "" || dns.length > 253 || !/^[\x21-\x7e]+$/.test(dns)) {
      throw new CertificateInputError("A subject alternative DNS name is empty or not ASCII.");
    }
  }
  for (const email of spec.emails) {
    if (typeof email !== "string" || !/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email)) throw new CertificateInputError("A subject alternative email is not an email address.");
  }
  for (const upn of spec.upns) {
    if (typeof upn !== "string" || upn === "") throw new CertificateInputError("A subject alternative UPN is empty.");
  }
}
