/**
 * The X.509 / PKCS layer for Key Vault certificates: pure functions over node:crypto KeyObjects and DER Buffers
 * (no I/O). Bad input throws CertificateInputError, whose message is safe to show a client.
 */
export { CertificateInputError, PEM_UNREADABLE, PFX_BAD_PASSWORD, PFX_UNREADABLE } from "./errors.js";
export { type CertificateSpec, checkSpec, KEY_USAGE_NAMES, type KeyUsageName, nameToString, parseSubject } from "./spec.js";
export {
  type CertificateIssuer,
  type CertificateKeys,
  certificateSigningRequest,
  issueCertificate,
  newCertificateAuthority,
  selfSignedCertificate,
} from "./build.js";
export { type CertificateFacts, type CsrFacts, csrFacts, describeCertificate, type ExtensionFacts, keyMatchesCertificate } from "./describe.js";
export { buildPfx, parsePfx } from "./pkcs12.js";
export { parsePemBundle, pemBundle } from "./pem.js";
