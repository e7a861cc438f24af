/**
 * JWT issuance and verification for the identity authority. RS256 only, as Entra signs; verification pins the
 * algorithm, resolves the key by `kid` among our own keys only, and checks iss, aud, exp and nbf.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, errors as joseErrors, exportJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from "jose";

export const TOKEN_ALG = "RS256";
/** Clock skew tolerated on exp/nbf, as Entra-protected services allow. */
export const CLOCK_SKEW_SECONDS = 300;

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

export async function loadSigningKey(pkcs8Pem: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(pkcs8Pem);
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, use: "sig", alg: TOKEN_ALG } };
}

export async function signToken(key: SigningKey, claims: JWTPayload, lifetimeSeconds: number, now = nowSeconds()): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALG, typ: "JWT", kid: key.kid })
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(key.privateKey);
}

export type TokenFailure = "malformed" | "algorithm" | "signature" | "issuer" | "audience" | "expired" | "not-yet-valid" | "revoked";

export class TokenRejected extends Error {
  override readonly name = "TokenRejected";
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifyOptions {
  /** Every issuer accepted: an authority's v1 and v2 issuers name the same signer. */
  issuers: string[];
  audiences: string[];
  now?: number;
}

/** Verifies a token against our keys; throws TokenRejected naming the first check that failed. */
export async function verifyToken(token: string, keys: ReadonlyMap<string, KeyObject>, options: VerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.get(header.kid);
        if (!key) throw new TokenRejected("signature", "the token was not signed by a key of this authority");
        return key;
      },
      {
        algorithms: [TOKEN_ALG],
        issuer: options.issuers,
        audience: options.audiences,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: options.now === undefined ? undefined : new Date(options.now * 1000),
        requiredClaims: ["exp", "nbf", "iat", "oid", "tid"],
      },
    );
    return payload;
  } catch (error) {
    throw toRejection(error);
  }
}

function toRejection(error: unknown): TokenRejected {
  if (error instanceof TokenRejected) return error;
  if (error instanceof joseErrors.JWTExpired) return new TokenRejected("expired", "the token has expired");
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new TokenRejected("algorithm", "the token's algorithm is not allowed");
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenRejected("signature", "the token's signature is invalid");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return new TokenRejected("audience", "the token's audience is not accepted");
    if (error.claim === "iss") return new TokenRejected("issuer", "the token's issuer is not accepted");
    if (error.claim === "nbf") return new TokenRejected("not-yet-valid", "the token is not valid yet");
    return new TokenRejected("malformed", `the token's ${error.claim} claim is invalid`);
  }
  return new TokenRejected("malformed", "the token is malformed");
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Reads a token's claims without verifying them — only to name the audience or issuer in an error message. */
export function peekClaims(token: string): JWTPayload | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return parsed && typeof parsed === "object" ? (parsed as JWTPayload) : undefined;
  } catch {
    return undefined;
  }
}
