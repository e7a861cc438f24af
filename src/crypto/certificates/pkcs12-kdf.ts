/** The PKCS#12 key derivation (RFC 7292 appendix B) for the PFX integrity MAC, and the MAC algorithms it serves. */
import crypto from "node:crypto";

/** Digest OIDs a PFX MAC may name, with node's hash name and the hash's block size in bytes. */
export const MAC_DIGESTS: Record<string, { hash: string; blockSize: number }> = {
  "1.3.14.3.2.26": { hash: "sha1", blockSize: 64 },
  "2.16.840.1.101.3.4.2.4": { hash: "sha224", blockSize: 64 },
  "2.16.840.1.101.3.4.2.1": { hash: "sha256", blockSize: 64 },
  "2.16.840.1.101.3.4.2.2": { hash: "sha384", blockSize: 128 },
  "2.16.840.1.101.3.4.2.3": { hash: "sha512", blockSize: 128 },
};

/**
 * A PKCS#12 password as the KDF takes it: BMPString (UTF-16BE) with a two-byte terminator; `null` is the absent
 * password (no bytes at all), which OpenSSL also tries when the password is empty.
 */
export function bmpPassword(password: string | null): Buffer {
  if (password === null) return Buffer.alloc(0);
  const utf16le = Buffer.from(`${password}\u0000`, "utf16le");
  return utf16le.swap16();
}

function repeatToMultiple(data: Buffer, blockSize: number): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const length = blockSize * Math.ceil(data.length / blockSize);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = data[i % data.length]!;
  return out;
}

/** RFC 7292 B.2: `size` bytes of key material for purpose `id` (1 key, 2 IV, 3 MAC key). */
export function pkcs12Kdf(password: Buffer, salt: Buffer, id: 1 | 2 | 3, iterations: number, size: number, hash: string, blockSize: number): Buffer {
  const diversifier = Buffer.alloc(blockSize, id);
  const input = Buffer.concat([repeatToMultiple(salt, blockSize), repeatToMultiple(password, blockSize)]);
  const blocks: Buffer[] = [];
  let produced = 0;
  while (produced < size) {
    let a = crypto.createHash(hash).update(diversifier).update(input).digest();
    for (let i = 1; i < iterations; i++) a = crypto.createHash(hash).update(a).digest();
    blocks.push(a);
    produced += a.length;
    if (produced >= size) break;
    // I_j = (I_j + B + 1) mod 2^(v*8) for each v-byte block of I, with B = A repeated to v bytes.
    const b = repeatToMultiple(a, blockSize).subarray(0, blockSize);
    for (let offset = 0; offset < input.length; offset += blockSize) {
      let carry = 1;
      for (let k = blockSize - 1; k >= 0; k--) {
        const sum = input[offset + k]! + b[k]! + carry;
        input[offset + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, size);
}

/** The PFX MAC over the AuthenticatedSafe bytes: HMAC keyed with the KDF's MAC key (id 3). */
export function pfxMac(authSafe: Buffer, password: Buffer, salt: Buffer, iterations: number, digestOid: string): Buffer | undefined {
  const digest = MAC_DIGESTS[digestOid];
  if (!digest) return undefined;
  const size = crypto.createHash(digest.hash).digest().length;
  const key = pkcs12Kdf(password, salt, 3, iterations, size, digest.hash, digest.blockSize);
  return crypto.createHmac(digest.hash, key).update(authSafe).digest();
}
