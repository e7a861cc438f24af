/**
 * AES-256-GCM envelope encryption. A root key (file or environment, never stored) wraps data keys; data keys seal
 * values. Every sealed value is bound to its context through the additional authenticated data, so a ciphertext
 * copied to another vault, name or version fails to open instead of decrypting as the wrong secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + IV_BYTES + TAG_BYTES;

export const KEY_BYTES = 32;

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Layout: version (1) | key id (4, big-endian) | iv (12) | tag (16) | ciphertext. */
export function seal(key: Buffer, keyId: number, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(FORMAT_V1, 0);
  header.writeUInt32BE(keyId, 1);
  iv.copy(header, 5);
  cipher.getAuthTag().copy(header, 5 + IV_BYTES);
  return Buffer.concat([header, body]);
}

/** The id of the key that sealed `blob`, so the caller can fetch it before opening. */
export function sealedKeyId(blob: Buffer): number {
  if (blob.length < HEADER_BYTES || blob.readUInt8(0) !== FORMAT_V1) throw new Error("unrecognized sealed value");
  return blob.readUInt32BE(1);
}

export function open(key: Buffer, blob: Buffer, context: string): Buffer {
  sealedKeyId(blob);
  const iv = blob.subarray(5, 5 + IV_BYTES);
  const tag = blob.subarray(5 + IV_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES)), decipher.final()]);
}

/** Data keys are wrapped under the root key (key id 0 in the header). */
export function wrapDataKey(rootKey: Buffer, dataKey: Buffer): Buffer {
  return seal(rootKey, 0, dataKey, "kluis:data-key");
}

export function unwrapDataKey(rootKey: Buffer, wrapped: Buffer): Buffer {
  return open(rootKey, wrapped, "kluis:data-key");
}
