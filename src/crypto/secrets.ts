/** Client secrets and random identifiers. Client secrets are high-entropy, so a SHA-256 digest is a safe verifier. */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

export function newClientSecret(): string {
  // 40 characters of base64url: 240 bits, shaped like Entra's generated secrets.
  return randomBytes(30).toString("base64url");
}

export function digestSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("base64");
}

/** Constant-time comparison of a presented secret with a stored digest. */
export function secretMatches(presented: string, storedDigest: string): boolean {
  const a = Buffer.from(digestSecret(presented), "base64");
  const b = Buffer.from(storedDigest, "base64");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings of any length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

/** Key Vault object versions: 32 lowercase hex characters. */
export function newVersion(): string {
  return randomBytes(16).toString("hex");
}

export function newId(): string {
  return randomUUID();
}
