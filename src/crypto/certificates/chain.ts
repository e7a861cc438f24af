/** Putting a key's certificates in Azure's order: the leaf (the one the key belongs to) first, then its issuers. */
import { type KeyObject, X509Certificate } from "node:crypto";
import { CertificateInputError } from "./errors.js";

/**
 * Orders `certificates` leaf first: the certificate of `privateKey`, then the one that issued it, and so on; any
 * others follow in their given order. CertificateInputError when no certificate belongs to the key or one is not
 * a certificate (`unreadable` is the message for the latter, so PEM and PFX keep their own wording).
 */
export function leafFirst(privateKey: KeyObject, certificates: Buffer[], unreadable: string): Buffer[] {
  let parsed: X509Certificate[];
  try {
    parsed = certificates.map((der) => new X509Certificate(der));
  } catch {
    throw new CertificateInputError(unreadable);
  }
  const leafIndex = parsed.findIndex((cert) => safely(() => cert.checkPrivateKey(privateKey)));
  if (leafIndex < 0) throw new CertificateInputError("The private key does not match the certificate.");
  const order = [leafIndex];
  for (;;) {
    const current = parsed[order[order.length - 1]!]!;
    if (current.subject === current.issuer) break; // self-signed: the top of the chain
    const next = parsed.findIndex((cert, i) => !order.includes(i) && safely(() => current.checkIssued(cert)));
    if (next < 0) break;
    order.push(next);
  }
  parsed.forEach((_, i) => {
    if (!order.includes(i)) order.push(i);
  });
  return order.map((i) => certificates[i]!);
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
