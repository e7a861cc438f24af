/**
 * RSA encodings that node:crypto does not offer over inputs Key Vault gives: signatures over a digest the client
 * already computed (EMSA-PKCS1-v1_5 and EMSA-PSS, RFC 8017 §9), and PKCS#1 v1.5 decryption, which Node 20 refuses
 * through privateDecrypt since CVE-2023-46809. Each is applied around raw RSA (RSA_NO_PADDING) by key-operations.ts.
 */
import crypto from "node:crypto";

export type HashName = "sha256" | "sha384" | "sha512";

export const HASH_BYTES: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** DER of DigestInfo's AlgorithmIdentifier and OCTET STRING header, per hash (RFC 8017 §9.2, note 1). */
const DIGEST_INFO_PREFIX: Record<HashName, Buffer> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** EMSA-PKCS1-v1_5: 00 01 FF…FF 00 DigestInfo, `k` bytes long; undefined when the key is too small for it. */
export function emsaPkcs1v15(hash: HashName, digest: Buffer, k: number): Buffer | undefined {
  const t = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
  if (k < t.length + 11) return undefined;
  const em = Buffer.alloc(k, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - t.length - 1] = 0x00;
  t.copy(em, k - t.length);
  return em;
}

function mgf1(hash: HashName, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0, produced = 0; produced < length; i++, produced += HASH_BYTES[hash]) {
    counter.writeUInt32BE(i);
    blocks.push(crypto.createHash(hash).update(seed).update(counter).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function pssHash(hash: HashName, digest: Buffer, salt: Buffer): Buffer {
  return crypto.createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
}

/**
 * EMSA-PSS encoding with MGF1 over the same hash and a salt as long as the hash (Key Vault's choice), left-padded
 * to `k` bytes for raw RSA. `modBits` is the modulus length in bits. Undefined when the key is too small.
 */
export function emsaPssEncode(hash: HashName, digest: Buffer, modBits: number, k: number): Buffer | undefined {
  const hLen = HASH_BYTES[hash];
  const sLen = hLen;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) return undefined;
  const salt = crypto.randomBytes(sLen);
  const h = pssHash(hash, digest, salt);
  const db = Buffer.alloc(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  salt.copy(db, db.length - sLen);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = db[i]! ^ mask[i]!;
  db[0] = db[0]! & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  return em.length === k ? em : Buffer.concat([Buffer.alloc(k - em.length), em]);
}

/**
 * EMSA-PSS verification over a `k`-byte raw RSA output, recovering the salt length from the encoding (as OpenSSL's
 * RSA_PSS_SALTLEN_AUTO does) so signatures made with any salt length verify, Key Vault's hash-length salt included.
 */
export function emsaPssVerify(hash: HashName, digest: Buffer, raw: Buffer, modBits: number): boolean {
  const hLen = HASH_BYTES[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  // When modBits ≡ 1 (mod 8) the raw output carries one extra leading zero octet.
  if (raw.length < emLen) return false;
  for (let i = 0; i < raw.length - emLen; i++) if (raw[i] !== 0) return false;
  const em = raw.subarray(raw.length - emLen);
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const unusedBits = 8 * emLen - emBits;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((maskedDb[0]! & ~(0xff >> unusedBits) & 0xff) !== 0) return false;
  const mask = mgf1(hash, h, maskedDb.length);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ mask[i]!;
  db[0] = db[0]! & (0xff >> unusedBits);
  let separator = 0;
  while (separator < db.length && db[separator] === 0) separator++;
  if (separator === db.length || db[separator] !== 0x01) return false;
  const salt = db.subarray(separator + 1);
  return crypto.timingSafeEqual(pssHash(hash, digest, salt), h);
}

/**
 * EME-PKCS1-v1_5 decoding of a `k`-byte raw RSA output: 00 02 PS(≥ 8 nonzero octets) 00 M. Branch-free over the
 * encoded message, so the time taken does not tell which check failed; the caller reports every failure alike.
 */
export function emePkcs1v15Decode(em: Buffer): Buffer | undefined {
  const k = em.length;
  let bad = (em[0]! | (em[1]! ^ 0x02)) !== 0 ? 1 : 0;
  let separatorIndex = 0;
  let lookingForSeparator = 1;
  for (let i = 2; i < k; i++) {
    const isZero = ((em[i]! - 1) >>> 31) & 1; // 1 when the octet is zero
    const found = isZero & lookingForSeparator;
    separatorIndex = (separatorIndex & (found - 1)) | (i & -found);
    lookingForSeparator &= ~isZero & 1;
  }
  bad |= lookingForSeparator; // no separator at all
  bad |= ((separatorIndex - 10) >>> 31) & 1; // fewer than 8 padding octets
  if (bad !== 0 || k < 11) return undefined;
  return Buffer.from(em.subarray(separatorIndex + 1));
}
