/** PEM bundles as Key Vault's application/x-pem-file secrets hold them: a PKCS#8 private key, then the certificates. */
import crypto, { type KeyObject } from "node:crypto";
import { leafFirst } from "./chain.js";
import { CertificateInputError, PEM_UNREADABLE } from "./errors.js";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const KEY_LABELS = new Set(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]);

function base64Body(body: string): Buffer {
  const text = body.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new CertificateInputError(PEM_UNREADABLE);
  return Buffer.from(text, "base64");
}

/**
 * Reads a PEM bundle: exactly one unencrypted private key (PKCS#8 "PRIVATE KEY", or PKCS#1 "RSA PRIVATE KEY" /
 * SEC1 "EC PRIVATE KEY") and at least one "CERTIFICATE", in any order; certificates come back leaf first. Other
 * blocks (EC PARAMETERS, ...) are skipped. CertificateInputError with Azure's PEM message for unreadable content.
 */
export function parsePemBundle(pem: string): { privateKey: KeyObject; certificates: Buffer[] } {
  const keys: KeyObject[] = [];
  const certificates: Buffer[] = [];
  for (const match of String(pem).matchAll(BLOCK)) {
    const label = match[1]!;
    if (label === "CERTIFICATE") {
      certificates.push(base64Body(match[2]!));
    } else if (KEY_LABELS.has(label)) {
      try {
        keys.push(crypto.createPrivateKey({ key: match[0], format: "pem" }));
      } catch {
        throw new CertificateInputError(PEM_UNREADABLE);
      }
    } else if (label === "ENCRYPTED PRIVATE KEY") {
      throw new CertificateInputError("The PEM content holds an encrypted private key; import it unencrypted or as a PFX with a password.");
    }
  }
  if (certificates.length === 0) throw new CertificateInputError(PEM_UNREADABLE);
  if (keys.length !== 1) {
    throw new CertificateInputError(keys.length === 0 ? "The PEM content has no private key." : "The PEM content has more than one private key.");
  }
  const privateKey = keys[0]!;
  return { privateKey, certificates: leafFirst(privateKey, certificates, PEM_UNREADABLE) };
}

function pemBlock(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A PEM bundle: the PKCS#8 "PRIVATE KEY" block, then each certificate of `chain` (leaf first) as "CERTIFICATE". */
export function pemBundle(privateKey: KeyObject, chain: Buffer[]): string {
  const key = privateKey.export({ type: "pkcs8", format: "der" });
  return [pemBlock("PRIVATE KEY", key), ...chain.map((der) => pemBlock("CERTIFICATE", der))].join("");
}
