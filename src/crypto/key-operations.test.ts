/**
 * Key operations against independent implementations: node:crypto over the original message, and the openssl CLI.
 * A signature over a digest is only right if a verifier that hashes the message itself accepts it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { type CurveName, generateKey, type KeyJwk, publicKeyObject } from "./key-material.js";
import {
  decrypt,
  digestLength,
  encrypt,
  type EncryptionAlgorithm,
  KeyOperationError,
  prepareKey,
  sign,
  type SignatureAlgorithm,
  unwrapKey,
  verify,
  wrapKey,
} from "./key-operations.js";

const TIMEOUT = { timeout: 120_000 };
const MESSAGE = Buffer.from("Kluis signs what Key Vault signs", "utf8");
const HASH: Record<SignatureAlgorithm, "sha256" | "sha384" | "sha512"> = {
  RS256: "sha256", RS384: "sha384", RS512: "sha512", PS256: "sha256", PS384: "sha384", PS512: "sha512",
  ES256: "sha256", ES384: "sha384", ES512: "sha512", ES256K: "sha256",
};
const EC_CURVE: Partial<Record<SignatureAlgorithm, CurveName>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521", ES256K: "P-256K" };
const EC_WIDTH: Record<CurveName, number> = { "P-256": 32, "P-384": 48, "P-521": 66, "P-256K": 32 };
const RSA_ALGS: SignatureAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_ALGS: SignatureAlgorithm[] = ["ES256", "ES384", "ES512", "ES256K"];

const rsa2048 = generateKey({ kty: "RSA", size: 2048 });
const rsa3072 = generateKey({ kty: "RSA", size: 3072 });
const ecKeys = Object.fromEntries((["P-256", "P-384", "P-521", "P-256K"] as const).map((crv) => [crv, generateKey({ kty: "EC", crv })])) as Record<
  CurveName,
  ReturnType<typeof generateKey>
>;

function digestOf(alg: SignatureAlgorithm, message = MESSAGE): Buffer {
  return crypto.createHash(HASH[alg]).update(message).digest();
}

function keyFor(alg: SignatureAlgorithm): ReturnType<typeof generateKey> {
  const crv = EC_CURVE[alg];
  return crv === undefined ? rsa2048 : ecKeys[crv];
}

/** node:crypto's verification of `signature` over the original MESSAGE, as a relying party would do it. */
function nodeVerifiesMessage(alg: SignatureAlgorithm, publicJwk: KeyJwk, signature: Buffer, message = MESSAGE): boolean {
  const key = publicKeyObject(publicJwk);
  if (alg.startsWith("PS")) {
    const saltLength = digestLength(alg);
    return crypto.verify(HASH[alg], message, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  }
  if (alg.startsWith("ES")) return crypto.verify(HASH[alg], message, { key, dsaEncoding: "ieee-p1363" }, signature);
  return crypto.verify(HASH[alg], message, key, signature);
}

function nodeSignsMessage(alg: SignatureAlgorithm, privateKey: crypto.KeyObject, saltLength?: number): Buffer {
  if (alg.startsWith("PS")) {
    return crypto.sign(HASH[alg], MESSAGE, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength ?? digestLength(alg) });
  }
  if (alg.startsWith("ES")) return crypto.sign(HASH[alg], MESSAGE, { key: privateKey, dsaEncoding: "ieee-p1363" });
  return crypto.sign(HASH[alg], MESSAGE, privateKey);
}

function flipped(data: Buffer, index: number): Buffer {
  const copy = Buffer.from(data);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

function assertOperationError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KeyOperationError, `a KeyOperationError, got ${String(error)}`);
    assert.equal(error.code, "BadParameter");
    assert.match(error.message, pattern);
    return true;
  });
}

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-keyops-"));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** r‖s → DER SEQUENCE of two INTEGERs, the form openssl dgst reads (short lengths suffice up to P-384). */
function p1363ToDer(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Buffer): Buffer => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const trimmed = bytes.subarray(i);
    const body = trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const content = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, content.length]), content]);
}

function opensslVerifies(alg: SignatureAlgorithm, publicJwk: KeyJwk, signature: Buffer): boolean {
  return withTempDir((dir) => {
    const files = { key: path.join(dir, "key.pem"), sig: path.join(dir, "sig.bin"), msg: path.join(dir, "msg.bin") };
    fs.writeFileSync(files.key, publicKeyObject(publicJwk).export({ type: "spki", format: "pem" }));
    fs.writeFileSync(files.sig, alg.startsWith("ES") ? p1363ToDer(signature) : signature);
    fs.writeFileSync(files.msg, MESSAGE);
    const pss = alg.startsWith("PS") ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", `rsa_pss_saltlen:${digestLength(alg)}`] : [];
    const run = spawnSync("openssl", ["dgst", `-${HASH[alg]}`, ...pss, "-verify", files.key, "-signature", files.sig, files.msg], { timeout: 30_000 });
    return run.status === 0 && run.stdout.toString().includes("Verified OK");
  });
}

describe("sign and verify over a digest", TIMEOUT, () => {
  for (const alg of [...RSA_ALGS, ...EC_ALGS]) {
    it(`${alg}: sign(digest) verifies with node:crypto over the original message, and verify() agrees`, () => {
      const { privateJwk, publicJwk } = keyFor(alg);
      const signature = sign(privateJwk, alg, digestOf(alg));
      const crv = EC_CURVE[alg];
      assert.equal(signature.length, crv === undefined ? 256 : 2 * EC_WIDTH[crv]);
      assert.ok(nodeVerifiesMessage(alg, publicJwk, signature), "node:crypto verifies the message");
      assert.equal(nodeVerifiesMessage(alg, publicJwk, signature, Buffer.from("another message")), false);
      assert.ok(verify(publicJwk, alg, digestOf(alg), signature));
    });

    it(`${alg}: a signature node:crypto makes over the message verifies with verify(digest); tampering fails cleanly`, () => {
      const { privateJwk, publicJwk } = keyFor(alg);
      const signature = nodeSignsMessage(alg, crypto.createPrivateKey({ key: privateKeyJwkForNode(privateJwk), format: "jwk" }));
      const digest = digestOf(alg);
      assert.ok(verify(publicJwk, alg, digest, signature));
      assert.equal(verify(publicJwk, alg, flipped(digest, 3), signature), false, "another digest");
      assert.equal(verify(publicJwk, alg, digest, flipped(signature, 7)), false, "a flipped bit");
      assert.equal(verify(publicJwk, alg, digest, signature.subarray(1)), false, "a short signature");
      assert.equal(verify(publicJwk, alg, digest, Buffer.alloc(signature.length, 0xff)), false, "a signature out of range");
      assert.equal(verify(publicJwk, alg, digest, Buffer.alloc(0)), false, "an empty signature");
      const other = EC_CURVE[alg] === undefined ? rsa3072.publicJwk : generateKey({ kty: "EC", crv: EC_CURVE[alg]! }).publicJwk;
      if (EC_CURVE[alg] !== undefined) assert.equal(verify(other, alg, digest, signature), false, "another key");
    });
  }

  for (const alg of ["RS256", "PS384", "ES512"] as SignatureAlgorithm[]) {
    it(`${alg}: keys of other sizes, odd modulus lengths included`, () => {
      const keys = alg.startsWith("ES") ? [generateKey({ kty: "EC", crv: "P-521" })] : [rsa3072, nodeKeyPair(2049), nodeKeyPair(4096)];
      for (const { privateJwk, publicJwk } of keys) {
        const signature = sign(privateJwk, alg, digestOf(alg));
        assert.ok(nodeVerifiesMessage(alg, publicJwk, signature));
        assert.ok(verify(publicJwk, alg, digestOf(alg), signature));
      }
    });
  }

  it("PS256 verify accepts any salt length, as OpenSSL's auto-detection does", () => {
    const privateKey = crypto.createPrivateKey({ key: privateKeyJwkForNode(rsa2048.privateJwk), format: "jwk" });
    for (const saltLength of [0, 20, crypto.constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
      assert.ok(verify(rsa2048.publicJwk, "PS256", digestOf("PS256"), nodeSignsMessage("PS256", privateKey, saltLength)), String(saltLength));
    }
  });

  it("ECDSA signatures are randomized, and PSS salts are fresh", () => {
    for (const alg of ["ES256", "PS256"] as SignatureAlgorithm[]) {
      const { privateJwk } = keyFor(alg);
      assert.notDeepEqual(sign(privateJwk, alg, digestOf(alg)), sign(privateJwk, alg, digestOf(alg)));
    }
    assert.deepEqual(sign(rsa2048.privateJwk, "RS256", digestOf("RS256")), sign(rsa2048.privateJwk, "RS256", digestOf("RS256")));
  });

  it("node:crypto cannot sign a prehash with an EC key: sign(null, digest) signs SHA-256 of the digest", () => {
    const { privateJwk, publicJwk } = ecKeys["P-256"];
    const nodeKey = crypto.createPrivateKey({ key: privateKeyJwkForNode(privateJwk), format: "jwk" });
    const signature = crypto.sign(null, digestOf("ES256"), { key: nodeKey, dsaEncoding: "ieee-p1363" });
    assert.equal(nodeVerifiesMessage("ES256", publicJwk, signature), false, "not a signature over the message");
    assert.equal(verify(publicJwk, "ES256", digestOf("ES256"), signature), false, "not a signature over the digest");
  });

  for (const alg of ["RS256", "PS256", "ES256"] as SignatureAlgorithm[]) {
    it(`${alg}: the openssl CLI verifies the signature over the message`, { skip: !hasOpenssl && "openssl is not installed" }, () => {
      const { privateJwk, publicJwk } = keyFor(alg);
      const signature = sign(privateJwk, alg, digestOf(alg));
      assert.ok(opensslVerifies(alg, publicJwk, signature), "openssl says Verified OK");
      assert.equal(opensslVerifies(alg, publicJwk, flipped(signature, 5)), false, "openssl refuses a tampered signature");
    });
  }

  it("refuses digests of the wrong length for the algorithm, with Azure's message", () => {
    for (const alg of [...RSA_ALGS, ...EC_ALGS]) {
      const { privateJwk, publicJwk } = keyFor(alg);
      for (const length of [0, 10, 20, 32, 48, 64, 65].filter((n) => n !== digestLength(alg))) {
        const expected = new RegExp(`^Invalid length of 'value': ${length} bytes\\. ${alg} requires ${digestLength(alg)} bytes, encoded with base64url\\.$`);
        assertOperationError(() => sign(privateJwk, alg, Buffer.alloc(length, 1)), expected);
        assertOperationError(() => verify(publicJwk, alg, Buffer.alloc(length, 1), Buffer.alloc(64)), expected);
      }
    }
  });

  it("refuses an algorithm that does not fit the key", () => {
    assertOperationError(() => sign(ecKeys["P-256"].privateJwk, "RS256", digestOf("RS256")), /^Key and signing algorithm are incompatible\. .*type 'EC'.*'RS256'.*'RSA'/);
    assertOperationError(() => sign(rsa2048.privateJwk, "ES256", digestOf("ES256")), /incompatible\. .*type 'RSA'.*'ES256'.*'EC'/);
    assertOperationError(() => sign(ecKeys["P-384"].privateJwk, "ES256", digestOf("ES256")), /uses curve 'P-384', and algorithm 'ES256' can only be used with curve 'P-256'\.$/);
    assertOperationError(
      () => verify(ecKeys["P-256"].publicJwk, "ES256K", digestOf("ES256K"), Buffer.alloc(64), "https://v.vault.azure.net/keys/k/1"),
      /^Key and signing algorithm are incompatible\. Key https:\/\/v\.vault\.azure\.net\/keys\/k\/1 uses curve 'P-256', and algorithm 'ES256K' can only be used with curve 'P-256K'\.$/,
    );
    assertOperationError(() => sign(ecKeys["P-521"].privateJwk, "ES384", digestOf("ES384")), /curve 'P-384'/);
    assertOperationError(() => sign(rsa2048.privateJwk, "HS256" as SignatureAlgorithm, digestOf("RS256")), /^Invalid algorithm 'HS256'/);
    assertOperationError(() => sign(rsa2048.publicJwk, "RS256", digestOf("RS256")), /private part/);
  });
});

describe("encrypt, decrypt, wrap and unwrap", TIMEOUT, () => {
  const OAEP_HASH: Record<EncryptionAlgorithm, "sha1" | "sha256" | undefined> = { RSA1_5: undefined, "RSA-OAEP": "sha1", "RSA-OAEP-256": "sha256" };
  const OVERHEAD: Record<EncryptionAlgorithm, number> = { RSA1_5: 11, "RSA-OAEP": 42, "RSA-OAEP-256": 66 };
  const ALGS: EncryptionAlgorithm[] = ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"];

  function nodeEncrypt(alg: EncryptionAlgorithm, publicJwk: KeyJwk, plaintext: Buffer): Buffer {
    const padding = alg === "RSA1_5" ? crypto.constants.RSA_PKCS1_PADDING : crypto.constants.RSA_PKCS1_OAEP_PADDING;
    return crypto.publicEncrypt({ key: publicKeyObject(publicJwk), padding, oaepHash: OAEP_HASH[alg] }, plaintext);
  }

  for (const alg of ALGS) {
    it(`${alg}: node:crypto's publicEncrypt decrypts here, for every plaintext length up to the limit`, () => {
      const { privateJwk, publicJwk } = rsa2048;
      for (const length of [0, 1, 16, 32, 256 - OVERHEAD[alg]]) {
        const plaintext = crypto.randomBytes(length);
        assert.deepEqual(decrypt(privateJwk, alg, nodeEncrypt(alg, publicJwk, plaintext)), plaintext, String(length));
      }
    });

    it(`${alg}: encrypt round-trips through decrypt and wrapKey through unwrapKey, with fresh randomness`, () => {
      for (const { privateJwk, publicJwk } of [rsa2048, rsa3072]) {
        const plaintext = crypto.randomBytes(32);
        const a = encrypt(publicJwk, alg, plaintext);
        assert.notDeepEqual(encrypt(publicJwk, alg, plaintext), a);
        assert.deepEqual(decrypt(privateJwk, alg, a), plaintext);
        assert.deepEqual(unwrapKey(privateJwk, alg, wrapKey(publicJwk, alg, plaintext)), plaintext);
      }
    });

    it(`${alg}: plaintext over k − ${OVERHEAD[alg]} octets is refused with an error, not a crash`, () => {
      const limit = 256 - OVERHEAD[alg];
      assert.equal(encrypt(rsa2048.publicJwk, alg, Buffer.alloc(limit, 7)).length, 256);
      assertOperationError(() => encrypt(rsa2048.publicJwk, alg, Buffer.alloc(limit + 1, 7)), new RegExp(`^Invalid length of 'value': ${limit + 1} bytes\\. ${alg} allows at most ${limit} bytes`));
      assertOperationError(() => wrapKey(rsa2048.publicJwk, alg, Buffer.alloc(limit + 1, 7)), /Invalid length/);
    });

    it(`${alg}: tampered, truncated, oversized and out-of-range ciphertexts all fail with one generic error`, () => {
      const { privateJwk, publicJwk } = rsa2048;
      const ciphertext = encrypt(publicJwk, alg, Buffer.from("secret"));
      const generic = /^The decryption operation failed: the ciphertext is not valid for this key and algorithm\.$/;
      for (const bad of [flipped(ciphertext, 100), flipped(ciphertext, 255), Buffer.concat([ciphertext, Buffer.from([0])]), Buffer.alloc(0), Buffer.alloc(256, 0xff)]) {
        assertOperationError(() => decrypt(privateJwk, alg, bad), generic);
      }
      assertOperationError(() => decrypt(rsa3072.privateJwk, alg, ciphertext), generic);
    });
  }

  it("RSA-OAEP and RSA-OAEP-256 ciphertexts decrypt with node:crypto's privateDecrypt", () => {
    const privateKey = crypto.createPrivateKey({ key: privateKeyJwkForNode(rsa2048.privateJwk), format: "jwk" });
    for (const alg of ["RSA-OAEP", "RSA-OAEP-256"] as const) {
      const plaintext = crypto.randomBytes(48);
      const decrypted = crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[alg] }, encrypt(rsa2048.publicJwk, alg, plaintext));
      assert.deepEqual(decrypted, plaintext);
    }
  });

  it("RSA1_5 ciphertexts decrypt with the openssl CLI", { skip: !hasOpenssl && "openssl is not installed" }, () => {
    const plaintext = crypto.randomBytes(40);
    withTempDir((dir) => {
      const keyFile = path.join(dir, "key.pem");
      const inFile = path.join(dir, "ct.bin");
      fs.writeFileSync(keyFile, crypto.createPrivateKey({ key: privateKeyJwkForNode(rsa2048.privateJwk), format: "jwk" }).export({ type: "pkcs8", format: "pem" }));
      fs.writeFileSync(inFile, encrypt(rsa2048.publicJwk, "RSA1_5", plaintext));
      const run = spawnSync("openssl", ["pkeyutl", "-decrypt", "-inkey", keyFile, "-in", inFile, "-pkeyopt", "rsa_padding_mode:pkcs1"], { timeout: 30_000 });
      assert.equal(run.status, 0, run.stderr.toString());
      assert.deepEqual(run.stdout, plaintext);
    });
  });

  it("RSA1_5 decoding checks every part of the padding", () => {
    const { privateJwk, publicJwk } = rsa2048;
    const raw = (em: Buffer): Buffer => crypto.publicEncrypt({ key: publicKeyObject(publicJwk), padding: crypto.constants.RSA_NO_PADDING }, em);
    const encoded = (psLength: number, message: Buffer, header = [0x00, 0x02]): Buffer =>
      Buffer.concat([Buffer.from(header), Buffer.alloc(psLength, 0x5a), Buffer.from([0]), message, Buffer.alloc(256 - 3 - psLength - message.length, 0x33)]).subarray(0, 256);
    const m = Buffer.from("m");
    // Exactly eight padding octets is the minimum PKCS#1 allows; the message is everything after the separator.
    assert.deepEqual(decrypt(privateJwk, "RSA1_5", raw(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(8, 0x5a), Buffer.from([0]), Buffer.alloc(245, 0x33)]))), Buffer.alloc(245, 0x33));
    assert.deepEqual(decrypt(privateJwk, "RSA1_5", raw(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(252, 0x5a), Buffer.from([0]), m]))), m);
    assert.deepEqual(decrypt(privateJwk, "RSA1_5", raw(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(253, 0x5a), Buffer.from([0])]))), Buffer.alloc(0));
    const invalid = [
      encoded(7, m), // too little padding
      encoded(20, m, [0x00, 0x01]), // signature padding type
      encoded(20, m, [0x01, 0x02]), // leading octet not zero — still below n for this key
      Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(254, 0x5a)]), // no separator
    ];
    for (const em of invalid) assertOperationError(() => decrypt(privateJwk, "RSA1_5", raw(em)), /^The decryption operation failed/);
  });

  it("refuses EC keys and unknown algorithms", () => {
    assertOperationError(() => encrypt(ecKeys["P-256"].publicJwk, "RSA-OAEP", Buffer.from("x")), /^Key and encryption algorithm are incompatible\. .*'EC'.*'RSA-OAEP'.*'RSA'/);
    assertOperationError(() => decrypt(ecKeys["P-256"].privateJwk, "RSA1_5", Buffer.alloc(256)), /incompatible/);
    assertOperationError(() => encrypt(rsa2048.publicJwk, "A256GCM" as EncryptionAlgorithm, Buffer.from("x")), /^Invalid algorithm 'A256GCM'/);
    assertOperationError(() => unwrapKey(rsa2048.publicJwk, "RSA-OAEP", Buffer.alloc(256)), /private part/);
  });
});

describe("prepared keys", TIMEOUT, () => {
  it("give the same results as JWKs, for every algorithm family", () => {
    for (const alg of ["RS256", "PS512", "ES256", "ES256K"] as SignatureAlgorithm[]) {
      const { privateJwk, publicJwk } = keyFor(alg);
      const signature = sign(prepareKey(privateJwk), alg, digestOf(alg));
      assert.ok(nodeVerifiesMessage(alg, publicJwk, signature), alg);
      assert.ok(verify(prepareKey(publicJwk), alg, digestOf(alg), signature), alg);
      assert.ok(verify(prepareKey(privateJwk), alg, digestOf(alg), signature), alg);
    }
    const plaintext = crypto.randomBytes(32);
    const prepared = prepareKey(rsa2048.privateJwk);
    assert.deepEqual(decrypt(prepared, "RSA1_5", encrypt(prepareKey(rsa2048.publicJwk), "RSA1_5", plaintext)), plaintext);
    assert.deepEqual(unwrapKey(prepared, "RSA-OAEP-256", wrapKey(prepared, "RSA-OAEP-256", plaintext)), plaintext);
  });

  it("made from a public JWK, refuse private operations", () => {
    assertOperationError(() => sign(prepareKey(rsa2048.publicJwk), "RS256", digestOf("RS256")), /private part/);
    assertOperationError(() => sign(prepareKey(ecKeys["P-256"].publicJwk), "ES256", digestOf("ES256")), /private part/);
    assertOperationError(() => decrypt(prepareKey(rsa2048.publicJwk), "RSA-OAEP", Buffer.alloc(256)), /private part/);
  });
});

function privateKeyJwkForNode(jwk: KeyJwk): crypto.JsonWebKey {
  return jwk.kty === "EC" ? { ...jwk, crv: jwk.crv === "P-256K" ? "secp256k1" : jwk.crv } : { ...jwk };
}

function nodeKeyPair(modulusLength: number): { privateJwk: KeyJwk; publicJwk: KeyJwk } {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength });
  const jwk = privateKey.export({ format: "jwk" }) as KeyJwk;
  return { privateJwk: jwk, publicJwk: { kty: "RSA", n: jwk.n!, e: jwk.e! } };
}
