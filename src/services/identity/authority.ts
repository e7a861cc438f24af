/**
 * The identity authority: issues RS256 access tokens for principals of the tenant and verifies them for every
 * surface. The signing key is created once, sealed under the root key and shared through storage, so every node
 * signs and verifies alike.
 */
import type { KeyObject } from "node:crypto";
import type { JWTPayload } from "jose";
import { loadSigningKey, generateSigningKeyPem, nowSeconds, signToken, TokenRejected, verifyToken, type SigningKey } from "../../crypto/tokens.js";
import { randomBytes } from "node:crypto";
import { FALLBACK_TTL_MS, LocalChangeFeed, type ChangeFeed } from "../../domain/change-feed.js";
import type { Keyring } from "../../domain/keyring.js";
import type { Principal } from "../../domain/principal.js";
import type { PrincipalRecord, SettingsStore } from "../../storage/types.js";

export const TOKEN_LIFETIME_SECONDS = 3600;
const SIGNING_KEY_SETTING = "identity.signing-key";
const SIGNING_KEY_CONTEXT = "kluis:signing-key";
const VERIFIED_CACHE_LIMIT = 10_000;

/** 1: `/oauth2/token` with `resource=` (and managed identities); 2: `/oauth2/v2.0/token` with `scope=`. */
export type TokenVersion = 1 | 2;

/** What verification needs to know of a token's principal now, or null when it no longer exists. */
export type PrincipalStanding = { admin: boolean; credentialsResetAt: number | null } | null;

export interface IssuedToken {
  accessToken: string;
  expiresOn: number;
  notBefore: number;
  expiresIn: number;
  resource: string;
}

export class Authority {
  private readonly verified = new Map<string, { principal: Principal; exp: number; aud: string; at: number }>();

  private constructor(
    readonly tenantId: string,
    readonly baseUrl: string,
    private readonly signingKey: SigningKey,
    private readonly standingOf: (objectId: string) => Promise<PrincipalStanding>,
    private readonly changes: ChangeFeed,
  ) {
    // A cached verification carries the principal's standing (admin, not deleted, credentials not reset): drop it
    // when the principal changes on any node, so a removed identity's token stops working within the feed's delay.
    changes.subscribe((change) => {
      if (change.kind === "all") this.verified.clear();
      else if (change.kind === "principal") {
        for (const [token, entry] of this.verified) if (entry.principal.objectId === change.key) this.verified.delete(token);
      }
    });
  }

  static async open(options: {
    settings: SettingsStore;
    keyring: Keyring;
    tenantId: string;
    baseUrl: string;
    standingOf: (objectId: string) => Promise<PrincipalStanding>;
    changes?: ChangeFeed;
  }): Promise<Authority> {
    let stored = await options.settings.get(SIGNING_KEY_SETTING);
    if (stored === null) {
      const sealed = await options.keyring.seal(generateSigningKeyPem(), SIGNING_KEY_CONTEXT);
      stored = await options.settings.putIfAbsent(SIGNING_KEY_SETTING, sealed.toString("base64"));
    }
    const pem = await options.keyring.openString(Buffer.from(stored, "base64"), SIGNING_KEY_CONTEXT);
    return new Authority(options.tenantId, options.baseUrl, await loadSigningKey(pem), options.standingOf, options.changes ?? new LocalChangeFeed());
  }

  /**
   * The issuer of tokens from the v1 endpoint (`/oauth2/token`, and managed identities): Entra's is
   * `https://sts.windows.net/<tenant>/`; ours has the same shape on a host Kluis controls.
   */
  get issuerV1(): string {
    return `${this.baseUrl}/${this.tenantId}/`;
  }

  /** The issuer of tokens from the v2 endpoint (`/oauth2/v2.0/token`), shaped as Entra's v2 issuer. */
  get issuerV2(): string {
    return `${this.baseUrl}/${this.tenantId}/v2.0`;
  }

  issuerFor(version: TokenVersion): string {
    return version === 1 ? this.issuerV1 : this.issuerV2;
  }

  /** Both issuers sign with the same key, so every surface accepts either. */
  get acceptedIssuers(): string[] {
    return [this.issuerV1, this.issuerV2];
  }

  get keys(): ReadonlyMap<string, KeyObject> {
    return new Map([[this.signingKey.kid, this.signingKey.publicKey]]);
  }

  jwks(version: TokenVersion): { keys: object[] } {
    return { keys: [{ ...this.signingKey.publicJwk, issuer: this.issuerFor(version) }] };
  }

  /**
   * A token as the v1 or v2 endpoint issues it: `iss` and `ver` follow the endpoint, and so do the names of the
   * client claims (v1 `appid`/`appidacr`, v2 `azp`/`azpacr`), as in Entra's access tokens.
   */
  async issue(principal: PrincipalRecord, resource: string, clientAuth: "secret" | "certificate" | "managed", version: TokenVersion): Promise<IssuedToken> {
    const now = nowSeconds();
    const acr = clientAuth === "secret" ? "1" : "2";
    const claims: JWTPayload = {
      aud: resource,
      iss: this.issuerFor(version),
      tid: this.tenantId,
      oid: principal.objectId,
      sub: principal.objectId,
      ...(version === 1 ? { appid: principal.appId, appidacr: acr } : { azp: principal.appId, azpacr: acr }),
      idtyp: "app",
      uti: randomBytes(16).toString("base64url"),
      ver: version === 1 ? "1.0" : "2.0",
    };
    if (principal.kind === "ManagedIdentity" && principal.resourceId) claims.xms_mirid = principal.resourceId;
    const accessToken = await signToken(this.signingKey, claims, TOKEN_LIFETIME_SECONDS, now);
    return { accessToken, expiresOn: now + TOKEN_LIFETIME_SECONDS, notBefore: now, expiresIn: TOKEN_LIFETIME_SECONDS, resource };
  }

  /**
   * Verifies `token` for one of `audiences` and returns its principal. Successful verifications are cached by the
   * token's exact text until it expires, so a client reusing its token costs one map lookup, not an RSA verify.
   * While the change feed is down, a hit older than a second is verified afresh, so `admin` can't go stale.
   * Kluis issued the token, so it can do better than a signature check alone: a token whose principal no longer
   * exists, or that was issued before the principal's credentials were reset, is refused ("revoked").
   */
  async authenticate(token: string, audiences: readonly string[]): Promise<Principal> {
    const now = nowSeconds();
    const hit = this.verified.get(token);
    const fresh = this.changes.live || (hit !== undefined && Date.now() - hit.at < FALLBACK_TTL_MS);
    if (hit && fresh && hit.exp > now && audiences.includes(hit.aud)) return hit.principal;
    const payload = await verifyToken(token, this.keys, { issuers: this.acceptedIssuers, audiences: [...audiences], now });
    const objectId = String(payload.oid);
    const standing = await this.standingOf(objectId);
    if (!standing) throw new TokenRejected("revoked", "the token's principal no longer exists");
    if (standing.credentialsResetAt && (payload.iat ?? 0) < standing.credentialsResetAt) {
      throw new TokenRejected("revoked", "the token was issued before its principal's credentials were reset");
    }
    const principal: Principal = {
      objectId,
      appId: String(payload.appid ?? payload.azp ?? ""),
      tenantId: String(payload.tid),
      issuer: String(payload.iss),
      kind: payload.xms_mirid ? "ManagedIdentity" : "ServicePrincipal",
      admin: standing.admin,
    };
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, exp: payload.exp ?? now, aud: String(payload.aud), at: Date.now() });
    return principal;
  }
}
