/**
 * Local certificate files for `keyvault certificate import`, `download` and `pending merge`, with node:crypto only.
 * As in az: a file to import is PEM when it holds a PEM certificate (sent as text, content type
 * application/x-pem-file), else PKCS#12 (sent in base64, application/x-pkcs12), and the service checks the rest
 * (the private key, the password); `download` writes the DER certificate as is or as PEM with base64 lines of 76
 * characters, the way Python's base64.encodebytes wraps them. Error messages never include file contents.
 */
import crypto from "node:crypto";
import { CliError, UsageError } from "../errors.js";

export const PEM_CONTENT_TYPE = "application/x-pem-file";
export const PFX_CONTENT_TYPE = "application/x-pkcs12";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

export interface ImportPayload {
  /** The PEM text, or the PFX in base64. */
  value: string;
  contentType: typeof PEM_CONTENT_TYPE | typeof PFX_CONTENT_TYPE;
}

/** The DER certificates of the PEM blocks in `text`, in file order. */
function pemCertificates(text: string): Buffer[] {
  return [...text.matchAll(PEM_CERTIFICATE)].map((match) => Buffer.from(match[1]!.replace(/\s+/g, ""), "base64"));
}

function assertCertificate(der: Buffer, file: string): void {
  try {
    new crypto.X509Certificate(der);
  } catch {
    throw new CliError(`'${file}' holds a PEM block that is not an X.509 certificate.`);
  }
}

/** The file given to `certificate import --file` → the value and content type Key Vault's import takes. */
export function importPayload(bytes: Buffer, file: string): ImportPayload {
  const text = bytes.toString("utf8");
  const certificates = pemCertificates(text);
  if (certificates.length > 0) {
    for (const der of certificates) assertCertificate(der, file);
    // az normalises Windows line ends, so that the PEM stored in the secret is the same from every platform.
    return { value: text.replace(/\r\n/g, "\n"), contentType: PEM_CONTENT_TYPE };
  }
  if (text.includes("-----BEGIN")) throw new CliError(`'${file}' is a PEM file without a certificate: a PEM import needs the private key and its certificate.`);
  // PKCS#12 is DER: an ASN.1 SEQUENCE. Anything else is neither format, which the service would only say later.
  if (bytes.length < 4 || bytes[0] !== 0x30) {
    throw new CliError(`We could not parse the provided certificate as .pem or .pfx. Please verify the certificate with OpenSSL.`);
  }
  return { value: bytes.toString("base64"), contentType: PFX_CONTENT_TYPE };
}

export const DOWNLOAD_ENCODINGS = ["PEM", "DER"] as const;

/** The certificate's `cer` (base64 DER) → the bytes `certificate download` writes. */
export function certificateFile(cer: string, encoding: (typeof DOWNLOAD_ENCODINGS)[number]): Buffer {
  const der = Buffer.from(cer, "base64");
  if (encoding === "DER") return der;
  const lines = der.toString("base64").match(/.{1,76}/g) ?? [];
  return Buffer.from(`-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`, "utf8");
}

/**
 * The file of `pending merge --file`: one or more PEM certificates (the signed certificate first, then its chain),
 * or one DER certificate → the base64 DER list (x5c) that Key Vault's merge takes.
 */
export function mergeChain(bytes: Buffer, file: string): string[] {
  const pem = pemCertificates(bytes.toString("latin1"));
  const ders = pem.length > 0 ? pem : [bytes];
  for (const der of ders) {
    try {
      new crypto.X509Certificate(der);
    } catch {
      throw new UsageError(`argument --file: '${file}' is neither PEM certificates nor one DER certificate.`);
    }
  }
  return ders.map((der) => der.toString("base64"));
}
