/** The one error the X.509 layer throws for bad input; its message is safe to show a client. */

/**
 * Bad certificate input (malformed subject, unreadable PFX/PEM, wrong password, unsupported key). The message never
 * holds key bytes or passwords; the service maps it to Azure's 400 BadParameter.
 */
export class CertificateInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertificateInputError";
  }
}

/** Azure's message for PEM content it cannot read. */
export const PEM_UNREADABLE =
  "The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.";
/** Azure's message for PKCS#12 content it cannot read (corrupt, truncated, not a PFX). */
export const PFX_UNREADABLE =
  "The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.";
/** A PFX whose MAC or key does not decrypt with the given password: the password is wrong (or missing). */
export const PFX_BAD_PASSWORD = "Unable to decrypt the certificate's private key. Please check the password.";
