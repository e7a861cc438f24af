/**
 * The one expensive step of an RSA signature, decryption or unwrap — the private-key exponentiation — as a job that
 * any thread can run: key-operations.ts plans it (checks, padding) and finishes it on the caller's thread, and
 * rsa-private-pool.ts may run it on a worker thread in between. No key material beyond the KeyObject goes in; only
 * the result comes out, and a failure is `undefined` without a reason (a reason would be a padding oracle).
 */
import crypto from "node:crypto";

export interface RsaPrivateJob {
  readonly key: crypto.KeyObject;
  /** Exactly the modulus length in octets. */
  readonly input: Buffer;
  /** OAEP decryption with this hash; absent: raw RSA (m^d mod n), the caller pads or unpads. */
  readonly oaepHash?: "sha1" | "sha256";
}

export function runRsaPrivateJob(job: RsaPrivateJob): Buffer | undefined {
  try {
    if (job.oaepHash === undefined) return crypto.privateDecrypt({ key: job.key, padding: crypto.constants.RSA_NO_PADDING }, job.input);
    return crypto.privateDecrypt({ key: job.key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: job.oaepHash }, job.input);
  } catch {
    return undefined;
  }
}
