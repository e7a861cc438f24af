/** verifyClientAssertion: the certificate is found by its thumbprint in every encoding clients send. */
import "reflect-metadata"; // @peculiar/x509 resolves its providers through tsyringe, which needs this polyfill first.
import assert from "node:assert/strict";
import { createHash, createPrivateKey, randomUUID, webcrypto, type KeyObject } from "node:crypto";
import { before, describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { SignJWT } from "jose";
import { AssertionRejected, normalizeThumbprint, verifyClientAssertion } from "./client-assertion.js";

x509.cryptoProvider.set(webcrypto as never);

const CLIENT_ID = "33333333-3333-3333-3333-333333333333";
const AUDIENCE = "https://localhost:8443/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token";

interface Certificate {
  der: Buffer;
  key: KeyObject;
}

async function selfSigned(): Promise<Certificate> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=assertion-test",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: alg,
    keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { der: Buffer.from(cert.rawData), key: createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }) };
}

/** Standard base64 differs from base64url only where the digest has a `+` or `/`: make sure both thumbprints do. */
async function certificateWithDistinctEncodings(): Promise<Certificate> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const cert = await selfSigned();
    const differs = (alg: string) => /[+/]/.test(createHash(alg).update(cert.der).digest("base64"));
    if (differs("sha1") && differs("sha256")) return cert;
  }
  throw new Error("no certificate with + or / in both thumbprints after 50 attempts");
}

const ENCODINGS: Record<string, (digest: Buffer) => string> = {
  "base64url, unpadded (msal-node)": (d) => d.toString("base64url"),
  "base64url, padded": (d) => d.toString("base64url").padEnd(Math.ceil(d.length / 3) * 4, "="),
  "base64, padded (MSAL Python 1.21)": (d) => d.toString("base64"),
  "base64, unpadded": (d) => d.toString("base64").replace(/=+$/, ""),
};

describe("verifyClientAssertion thumbprints", { timeout: 30_000 }, () => {
  let cert: Certificate;
  let other: Certificate;
  const sign = (header: Record<string, string>, key = cert.key) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ aud: AUDIENCE, iss: CLIENT_ID, sub: CLIENT_ID, jti: randomUUID(), nbf: now, exp: now + 600 })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", ...header })
      .sign(key);
  };
  const verify = (assertion: string) =>
    verifyClientAssertion(assertion, [other.der.toString("base64"), cert.der.toString("base64")], { clientId: CLIENT_ID, audiences: [AUDIENCE] });

  before(async () => {
    cert = await certificateWithDistinctEncodings();
    other = await selfSigned();
  });

  for (const [name, encode] of Object.entries(ENCODINGS)) {
    it(`accepts x5t (SHA-1) as ${name}`, { timeout: 10_000 }, async () => {
      const result = await verify(await sign({ x5t: encode(createHash("sha1").update(cert.der).digest()) }));
      assert.ok(result.jti);
    });
    it(`accepts x5t#S256 (SHA-256) as ${name}`, { timeout: 10_000 }, async () => {
      const result = await verify(await sign({ "x5t#S256": encode(createHash("sha256").update(cert.der).digest()) }));
      assert.ok(result.jti);
    });
  }

  it("refuses a thumbprint of no registered certificate, and a SHA-1 value sent as x5t#S256", { timeout: 10_000 }, async () => {
    const unknown = await selfSigned();
    const headers: Record<string, string>[] = [
      { x5t: createHash("sha1").update(unknown.der).digest("base64") },
      { "x5t#S256": createHash("sha1").update(cert.der).digest("base64") },
    ];
    for (const header of headers) {
      await assert.rejects(verify(await sign(header)), (error: unknown) => error instanceof AssertionRejected && /not registered/.test(error.message));
    }
  });

  it("refuses a matching thumbprint on an assertion signed by another key", { timeout: 10_000 }, async () => {
    const header = { "x5t#S256": createHash("sha256").update(cert.der).digest("base64") };
    await assert.rejects(verify(await sign(header, other.key)), (error: unknown) => error instanceof AssertionRejected && /signature/.test(error.message));
  });

  it("rounds a fractional exp up (MSAL Python sends time.time() + 600)", { timeout: 10_000 }, async () => {
    const exp = Math.floor(Date.now() / 1000) + 600.25;
    const signed = await new SignJWT({ aud: AUDIENCE, iss: CLIENT_ID, sub: CLIENT_ID, jti: randomUUID(), exp })
      .setProtectedHeader({ alg: "ES256", x5t: createHash("sha1").update(cert.der).digest("base64") })
      .sign(cert.key);
    assert.equal((await verify(signed)).exp, Math.ceil(exp));
  });

  it("normalizes only well-formed base64 alphabets", () => {
    assert.equal(normalizeThumbprint("ab+/cd=="), "ab-_cd");
    assert.equal(normalizeThumbprint("ab-_cd"), "ab-_cd");
    for (const bad of ["", "ab cd", "ab=cd", "abc===", "ab.cd", 42, undefined]) assert.equal(normalizeThumbprint(bad), undefined, String(bad));
  });
});
