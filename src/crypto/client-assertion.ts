/**
 * Verifies a client assertion (private_key_jwt): a JWT the client signed with the key of a certificate it
 * registered. The certificate is chosen by the header's x5t#S256 or x5t thumbprint among the client's own.
 */
import { createHash, X509Certificate } from "node:crypto";
import { decodeProtectedHeader, jwtVerify } from "jose";

const ASSERTION_ALGS = ["RS256", "PS256", "ES256"];
/** Allowed clock skew on exp/nbf; a replay guard must remember an assertion this long past its exp. */
export const ASSERTION_CLOCK_TOLERANCE_SECONDS = 300;

export class AssertionRejected extends Error {
  override readonly name = "AssertionRejected";
}

/**
 * A thumbprint header value as the unpadded base64url Entra compares, or undefined if it is not one. MSAL Python
 * (1.21, as Debian ships it) sends standard base64 with `=` padding, msal-node unpadded base64url: Entra accepts
 * both, so the alphabet and the padding are normalised before comparing.
 */
export function normalizeThumbprint(value: unknown): string | undefined {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return value.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

function thumbprints(derBase64: string): { sha1: string; sha256: string } {
  const der = Buffer.from(derBase64, "base64");
  return {
    sha1: createHash("sha1").update(der).digest("base64url"),
    sha256: createHash("sha256").update(der).digest("base64url"),
  };
}

export async function verifyClientAssertion(
  assertion: string,
  certificates: string[],
  expected: { clientId: string; audiences: string[] },
): Promise<{ jti?: string; exp: number }> {
  let header;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw new AssertionRejected("The client assertion is not a valid JWT.");
  }
  const x5tS256 = normalizeThumbprint(header["x5t#S256"]);
  const x5t = normalizeThumbprint(header.x5t);
  const match = certificates.find((der) => {
    const t = thumbprints(der);
    return (x5tS256 !== undefined && t.sha256 === x5tS256) || (x5t !== undefined && t.sha1 === x5t);
  });
  if (!match) throw new AssertionRejected("The certificate with the assertion's thumbprint is not registered for this client.");
  const publicKey = new X509Certificate(Buffer.from(match, "base64")).publicKey;
  try {
    const { payload } = await jwtVerify(assertion, publicKey, {
      algorithms: ASSERTION_ALGS,
      audience: expected.audiences,
      issuer: expected.clientId,
      subject: expected.clientId,
      // jti is required (as Entra documents it): without one an assertion could not be guarded against replay.
      requiredClaims: ["exp", "aud", "iss", "sub", "jti"],
      clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS,
    });
    // NumericDate may have a fraction: MSAL Python sends `exp: time.time() + 600`. Rounded up, so the replay guard
    // remembers the id at least as long as the assertion is valid (and storage keeps whole seconds).
    return { jti: payload.jti, exp: Math.ceil(payload.exp ?? 0) };
  } catch {
    throw new AssertionRejected("Client assertion failed signature validation.");
  }
}
