/** Key material: generation, JWK import validation and conversion, checked against node:crypto's own keys. */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, it } from "node:test";
import {
  type CurveName,
  generateKey,
  generateKeyAsync,
  importPrivateJwk,
  KeyMaterialError,
  keySize,
  privateKeyObject,
  publicJwkOf,
  publicKeyObject,
} from "./key-material.js";

const OPENSSL_CURVE: Record<CurveName, string> = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1", "P-256K": "secp256k1" };
const TIMEOUT = { timeout: 120_000 };

function nodeJwk(type: "rsa" | "ec", options: { modulusLength?: number; namedCurve?: string }): crypto.JsonWebKey {
  const { privateKey } =
    type === "rsa"
      ? crypto.generateKeyPairSync("rsa", { modulusLength: options.modulusLength! })
      : crypto.generateKeyPairSync("ec", { namedCurve: options.namedCurve! });
  return privateKey.export({ format: "jwk" });
}

/** Throws the KeyMaterialError `code` with a message matching `pattern`, and never echoes key material. */
function assertRefused(input: unknown, pattern: RegExp, secret?: string): void {
  assert.throws(
    () => importPrivateJwk(input),
    (error: unknown) => {
      assert.ok(error instanceof KeyMaterialError, `a KeyMaterialError, got ${String(error)}`);
      assert.equal(error.code, "BadParameter");
      assert.match(error.message, pattern);
      if (secret !== undefined) assert.equal(error.message.includes(secret), false, "no key material in the message");
      return true;
    },
  );
}

const RSA_JWK = nodeJwk("rsa", { modulusLength: 2048 });
const EC_JWK = nodeJwk("ec", { namedCurve: "prime256v1" });

describe("generateKey", TIMEOUT, () => {
  for (const size of [2048, 3072]) {
    it(`makes RSA-${size} keys with e = AQAB whose halves belong together`, () => {
      const { privateJwk, publicJwk } = generateKey({ kty: "RSA", size });
      assert.equal(keySize(privateJwk), size);
      assert.equal(publicJwk.e, "AQAB");
      assert.deepEqual(Object.keys(publicJwk).sort(), ["e", "kty", "n"]);
      for (const field of ["d", "p", "q", "dp", "dq", "qi"] as const) assert.ok(privateJwk[field], field);
      const signature = crypto.sign("sha256", Buffer.from("m"), privateKeyObject(privateJwk));
      assert.ok(crypto.verify("sha256", Buffer.from("m"), publicKeyObject(publicJwk), signature));
    });
  }

  it("defaults to RSA-2048 and P-256", () => {
    assert.equal(keySize(generateKey({ kty: "RSA" }).publicJwk), 2048);
    assert.equal(generateKey({ kty: "EC" }).publicJwk.crv, "P-256");
  });

  for (const crv of ["P-256", "P-384", "P-521", "P-256K"] as const) {
    it(`makes EC ${crv} keys named as Azure names them`, () => {
      const { privateJwk, publicJwk } = generateKey({ kty: "EC", crv });
      assert.equal(publicJwk.crv, crv);
      assert.deepEqual(Object.keys(publicJwk).sort(), ["crv", "kty", "x", "y"]);
      assert.equal(privateKeyObject(privateJwk).asymmetricKeyDetails?.namedCurve, OPENSSL_CURVE[crv]);
      const signature = crypto.sign("sha256", Buffer.from("m"), privateKeyObject(privateJwk));
      assert.ok(crypto.verify("sha256", Buffer.from("m"), publicKeyObject(publicJwk), signature));
    });
  }

  it("makes RSA-4096 asynchronously, the event loop still turning meanwhile", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const { privateJwk } = await generateKeyAsync({ kty: "RSA", size: 4096 });
    clearInterval(timer);
    assert.equal(keySize(privateJwk), 4096);
    assert.ok(ticks > 0, "timers ran while the key was made");
    assert.equal((await generateKeyAsync({ kty: "EC", crv: "P-521" })).publicJwk.crv, "P-521");
  });

  it("refuses sizes, curves and types Azure does not offer", async () => {
    for (const spec of [{ kty: "RSA", size: 1024 }, { kty: "RSA", size: 2049 }, { kty: "EC", crv: "P-192" }, { kty: "oct" }]) {
      assert.throws(() => generateKey(spec as never), KeyMaterialError, JSON.stringify(spec));
      await assert.rejects(generateKeyAsync(spec as never), KeyMaterialError, JSON.stringify(spec));
    }
  });
});

describe("importPrivateJwk", TIMEOUT, () => {
  it("round-trips node-generated RSA keys of every size", () => {
    for (const modulusLength of [2048, 3072, 4096]) {
      const jwk = nodeJwk("rsa", { modulusLength });
      const imported = importPrivateJwk({ ...jwk, kid: "ignored", key_ops: ["sign"] });
      assert.equal(imported.kty, "RSA");
      assert.equal(imported.size, modulusLength);
      for (const field of ["n", "e", "d", "p", "q", "dp", "dq", "qi"] as const) assert.equal(imported.privateJwk[field], jwk[field], field);
      assert.deepEqual(imported.publicJwk, { kty: "RSA", n: jwk.n, e: jwk.e });
    }
  });

  it("round-trips node-generated EC keys of every curve, P-256K named as Azure names it", () => {
    for (const crv of ["P-256", "P-384", "P-521", "P-256K"] as const) {
      const jwk = nodeJwk("ec", { namedCurve: OPENSSL_CURVE[crv] });
      const imported = importPrivateJwk({ ...jwk, crv });
      assert.equal(imported.kty, "EC");
      assert.equal(imported.crv, crv);
      assert.deepEqual(imported.privateJwk, { kty: "EC", crv, x: jwk.x, y: jwk.y, d: jwk.d });
      assert.deepEqual(imported.publicJwk, publicJwkOf(imported.privateJwk));
    }
  });

  it("accepts the -HSM key types as material", () => {
    assert.equal(importPrivateJwk({ ...RSA_JWK, kty: "RSA-HSM" }).kty, "RSA");
    assert.equal(importPrivateJwk({ ...EC_JWK, kty: "EC-HSM" }).kty, "EC");
  });

  it("tolerates standard base64 with padding, and returns base64url", () => {
    const toBase64 = (value: string | undefined): string => Buffer.from(value!, "base64url").toString("base64");
    const imported = importPrivateJwk({ ...RSA_JWK, n: toBase64(RSA_JWK.n), d: toBase64(RSA_JWK.d), qi: toBase64(RSA_JWK.qi) });
    assert.equal(imported.privateJwk.n, RSA_JWK.n);
    assert.equal(imported.privateJwk.d, RSA_JWK.d);
  });

  it("completes an RSA key given only n, e and d, recovering the primes", () => {
    const imported = importPrivateJwk({ kty: "RSA", n: RSA_JWK.n, e: RSA_JWK.e, d: RSA_JWK.d });
    const primes = new Set([imported.privateJwk.p, imported.privateJwk.q]);
    assert.deepEqual(primes, new Set([RSA_JWK.p, RSA_JWK.q]));
    if (imported.privateJwk.p === RSA_JWK.p) {
      assert.equal(imported.privateJwk.dp, RSA_JWK.dp);
      assert.equal(imported.privateJwk.qi, RSA_JWK.qi);
    }
    const signature = crypto.sign("sha256", Buffer.from("m"), privateKeyObject(imported.privateJwk));
    assert.ok(crypto.verify("sha256", Buffer.from("m"), publicKeyObject(imported.publicJwk), signature));
  });

  it("re-pads EC fields whose leading zero octets an encoder dropped", () => {
    let jwk = EC_JWK;
    while (Buffer.from(jwk.d!, "base64url")[0] !== 0) jwk = nodeJwk("ec", { namedCurve: "prime256v1" });
    const short = Buffer.from(jwk.d!, "base64url").subarray(1).toString("base64url");
    assert.equal(importPrivateJwk({ ...jwk, d: short }).privateJwk.d, jwk.d);
  });

  it("refuses a key without its private part", () => {
    const { d: _d, ...rsaPublic } = RSA_JWK;
    assertRefused({ kty: "RSA", n: RSA_JWK.n, e: RSA_JWK.e }, /private/);
    assertRefused(rsaPublic, /private/);
    const { d: _ecD, ...ecPublic } = EC_JWK;
    assertRefused(ecPublic, /private/);
  });

  it("refuses unknown, missing and symmetric key types", () => {
    assertRefused({ ...RSA_JWK, kty: "DSA" }, /Unsupported key type 'DSA'/);
    assertRefused({ kty: "oct", k: "c2VjcmV0" }, /Unsupported key type 'oct'/);
    assertRefused({ kty: "oct-HSM", k: "c2VjcmV0" }, /Unsupported key type 'oct-HSM'/);
    assertRefused({ ...RSA_JWK, kty: undefined }, /'kty' is missing/);
    for (const notAnObject of [null, "jwk", 7, [RSA_JWK]]) assertRefused(notAnObject, /JSON object/);
  });

  it("refuses fields that are not base64url", () => {
    assertRefused({ ...RSA_JWK, n: "not base64!" }, /'n' is not valid base64url/);
    assertRefused({ ...RSA_JWK, e: 65537 }, /'e' is not a string/);
    assertRefused({ ...EC_JWK, x: "A" }, /'x' is not valid base64url/);
    assertRefused({ ...RSA_JWK, d: "" }, /'d' is not valid base64url/);
  });

  it("refuses a public part that does not belong to the private part", () => {
    const other = nodeJwk("rsa", { modulusLength: 2048 });
    assertRefused({ ...RSA_JWK, n: other.n }, /inconsistent/, RSA_JWK.d);
    assertRefused({ ...RSA_JWK, e: "AQAD" }, /inconsistent/, RSA_JWK.d);
    assertRefused({ ...RSA_JWK, d: other.d }, /inconsistent/, other.d);
    assertRefused({ ...RSA_JWK, dp: other.dp }, /inconsistent/, other.dp);
    assertRefused({ ...RSA_JWK, qi: other.qi }, /inconsistent/, other.qi);
    const otherEc = nodeJwk("ec", { namedCurve: "prime256v1" });
    assertRefused({ ...EC_JWK, x: otherEc.x, y: otherEc.y }, /does not match/, EC_JWK.d);
    assertRefused({ ...EC_JWK, d: otherEc.d }, /does not match/, otherEc.d);
  });

  it("refuses curves Azure does not offer, and fields too long for the curve", () => {
    assertRefused({ ...EC_JWK, crv: "P-192" }, /Unsupported curve 'P-192'/);
    assertRefused({ ...EC_JWK, crv: "secp256k1" }, /Unsupported curve 'secp256k1'/);
    assertRefused({ ...EC_JWK, crv: undefined }, /'crv' is missing/);
    assertRefused({ ...EC_JWK, crv: "P-384" }, /wrong length|does not match|not valid/);
    const long = Buffer.concat([Buffer.from([0]), Buffer.from(EC_JWK.x!, "base64url")]).toString("base64url");
    assertRefused({ ...EC_JWK, x: long }, /'x' has the wrong length/);
  });

  it("refuses RSA moduli outside 1024–4096 bits", () => {
    assertRefused(nodeJwk("rsa", { modulusLength: 512 }), /Unsupported key size \(512\)/);
  });
});

describe("keySize", TIMEOUT, () => {
  it("counts modulus bits, ignoring a leading zero octet", () => {
    const n = Buffer.from(RSA_JWK.n!, "base64url");
    assert.equal(keySize({ kty: "RSA", n: RSA_JWK.n!, e: "AQAB" }), 2048);
    assert.equal(keySize({ kty: "RSA", n: Buffer.concat([Buffer.from([0]), n]).toString("base64url"), e: "AQAB" }), 2048);
    assert.throws(() => keySize({ kty: "EC", crv: "P-256", x: "", y: "" }), KeyMaterialError);
  });
});
