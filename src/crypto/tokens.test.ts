/** verifyToken: only RS256 tokens signed by one of our keys, for our issuer and an accepted audience, in time. */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { before, describe, it } from "node:test";
import { SignJWT, type JWTPayload } from "jose";
import { CLOCK_SKEW_SECONDS, generateSigningKeyPem, loadSigningKey, nowSeconds, signToken, TokenRejected, verifyToken, type SigningKey, type TokenFailure } from "./tokens.js";

const ISSUER = "https://localhost:8443/11111111-1111-1111-1111-111111111111/v2.0";
const AUDIENCE = "https://vault.localhost:8443";
const CLAIMS: JWTPayload = { aud: AUDIENCE, iss: ISSUER, tid: "11111111-1111-1111-1111-111111111111", oid: "22222222-2222-2222-2222-222222222222" };
const LIFETIME = 3600;

const b64 = (value: object) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");

describe("verifyToken", { timeout: 30_000 }, () => {
  let key: SigningKey;
  let keys: Map<string, KeyObject>;
  const verify = (token: string, options: { audiences?: string[]; issuer?: string; now?: number } = {}) =>
    verifyToken(token, keys, { issuers: [options.issuer ?? ISSUER], audiences: options.audiences ?? [AUDIENCE], now: options.now });
  const rejected = async (token: Promise<string> | string, reason: TokenFailure, options?: Parameters<typeof verify>[1]) =>
    assert.rejects(verify(await token, options), (error: unknown) => {
      assert.ok(error instanceof TokenRejected, String(error));
      assert.equal(error.reason, reason);
      return true;
    });

  before(async () => {
    key = await loadSigningKey(generateSigningKeyPem());
    keys = new Map([[key.kid, key.publicKey]]);
  });

  it("accepts a token it signed and returns its claims", async () => {
    const token = await signToken(key, CLAIMS, LIFETIME);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as Record<string, unknown>;
    assert.deepEqual(header, { alg: "RS256", typ: "JWT", kid: key.kid });
    const payload = await verify(token);
    assert.equal(payload.oid, CLAIMS.oid);
    assert.equal(payload.exp! - payload.iat!, LIFETIME);
  });

  it("tolerates 300 s of clock skew on exp, and no more", async () => {
    const now = nowSeconds();
    const lapsed = (seconds: number) => signToken(key, CLAIMS, 60, now - 60 - seconds);
    await verify(await lapsed(CLOCK_SKEW_SECONDS - 10), { now });
    await rejected(lapsed(CLOCK_SKEW_SECONDS + 10), "expired", { now });
    await rejected(lapsed(86_400), "expired", { now });
  });

  it("tolerates 300 s of clock skew on nbf, and no more", async () => {
    const now = nowSeconds();
    await verify(await signToken(key, CLAIMS, LIFETIME, now + CLOCK_SKEW_SECONDS - 10), { now });
    await rejected(signToken(key, CLAIMS, LIFETIME, now + CLOCK_SKEW_SECONDS + 10), "not-yet-valid", { now });
  });

  it("refuses another audience, and accepts any of the accepted ones", async () => {
    const token = await signToken(key, { ...CLAIMS, aud: "https://management.azure.com" }, LIFETIME);
    await rejected(token, "audience");
    await verify(token, { audiences: [AUDIENCE, "https://management.azure.com"] });
  });

  it("accepts each of the accepted issuers (an authority's v1 and v2 issuers)", async () => {
    const v1 = "https://localhost:8443/11111111-1111-1111-1111-111111111111/";
    for (const iss of [v1, ISSUER]) {
      const payload = await verifyToken(await signToken(key, { ...CLAIMS, iss }, LIFETIME), keys, { issuers: [v1, ISSUER], audiences: [AUDIENCE] });
      assert.equal(payload.iss, iss);
    }
    await rejected(signToken(key, { ...CLAIMS, iss: v1 }, LIFETIME), "issuer");
  });

  it("refuses another issuer", async () => {
    await rejected(signToken(key, { ...CLAIMS, iss: "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0" }, LIFETIME), "issuer");
    await rejected(signToken(key, CLAIMS, LIFETIME), "issuer", { issuer: "https://localhost:8443/33333333-3333-3333-3333-333333333333/v2.0" });
  });

  it("refuses a token without a required claim", async () => {
    const { oid: _oid, ...withoutOid } = CLAIMS;
    await rejected(signToken(key, withoutOid, LIFETIME), "malformed");
  });

  it("refuses an unsigned token (alg none), even with our kid", async () => {
    const signed = await signToken(key, CLAIMS, LIFETIME);
    const payload = signed.split(".")[1]!;
    await rejected(`${b64({ alg: "none", typ: "JWT", kid: key.kid })}.${payload}.`, "algorithm");
    await rejected(`${b64({ alg: "none", typ: "JWT" })}.${payload}.`, "algorithm");
  });

  it("refuses an HS256 token keyed with our public key's bytes (algorithm confusion)", async () => {
    const now = nowSeconds();
    for (const secret of [
      Buffer.from(key.publicKey.export({ type: "spki", format: "pem" }).toString()),
      key.publicKey.export({ type: "spki", format: "der" }),
    ]) {
      const forged = await new SignJWT(CLAIMS).setProtectedHeader({ alg: "HS256", typ: "JWT", kid: key.kid }).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + LIFETIME).sign(secret);
      await rejected(forged, "algorithm");
    }
  });

  it("refuses a token signed by another RSA key under our kid", async () => {
    const other = await loadSigningKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    await rejected(signToken({ ...other, kid: key.kid }, CLAIMS, LIFETIME), "signature");
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const [header, , signature] = (await signToken(key, CLAIMS, LIFETIME)).split(".");
    const altered = b64({ ...CLAIMS, oid: "99999999-9999-9999-9999-999999999999", iat: nowSeconds(), nbf: nowSeconds(), exp: nowSeconds() + LIFETIME });
    await rejected(`${header}.${altered}.${signature}`, "signature");
  });

  it("refuses a token naming an unknown kid, or none", async () => {
    await rejected(signToken({ ...key, kid: "not-a-key-of-ours" }, CLAIMS, LIFETIME), "signature");
    const now = nowSeconds();
    const noKid = await new SignJWT(CLAIMS).setProtectedHeader({ alg: "RS256" }).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + LIFETIME).sign(key.privateKey);
    await rejected(noKid, "signature");
  });

  it("refuses text that is not a JWT", async () => {
    for (const junk of ["", "abc", "a.b.c", `${b64({ alg: "RS256", kid: "x" })}.not-json.sig`]) {
      await assert.rejects(verify(junk), TokenRejected, JSON.stringify(junk));
    }
  });
});
