/**
 * Limits failed client authentications (token endpoint, metadata endpoints) per client and per source address.
 *
 * Only failures are counted, and only failures are refused: once a client id or an address has failed more often
 * than its limit within the window, its further failures are answered 429 with Retry-After instead of 401, while a
 * request that presents the right credential is still served. Client secrets (240 bits) and identity headers
 * (192 bits) cannot be guessed, so refusing the right credential too would add no protection; it would only let
 * anyone who knows a client id (not a secret) lock that application out. What the limit buys is a flood that is
 * answered cheaply and visibly, and clients that back off (MSAL and the Azure SDKs honour Retry-After on 429).
 */
import { DEFAULT_SIGN_IN_FAILURE_LIMITS, type SignInFailureLimits } from "../../config/config.js";
import { OAuthError } from "../../domain/errors.js";
import { retryAfterSeconds, WindowCounters } from "./window-counters.js";

/** Enough for every principal of a large tenant and the addresses of a busy day; about 100 bytes each. */
const MAX_KEYS = 50_000;

export class SignInFailures {
  private readonly clients: WindowCounters;
  private readonly addresses: WindowCounters;
  /** Called once for every failure answered 429 (metrics). */
  onThrottled: () => void = () => undefined;

  constructor(private readonly limits: SignInFailureLimits = DEFAULT_SIGN_IN_FAILURE_LIMITS) {
    this.clients = new WindowCounters(limits.windowSeconds * 1000, MAX_KEYS);
    this.addresses = new WindowCounters(limits.windowSeconds * 1000, MAX_KEYS);
  }

  /**
   * Counts a failed authentication and returns the error to answer with: `failure` itself while under the limits,
   * a 429 once the client or the address is over. `client` is a known client's id only (an unknown client id is
   * the caller's free text and would let one address fill the table).
   */
  failed(client: string | undefined, address: string | undefined, failure: OAuthError): OAuthError {
    let waitMs = 0;
    if (client !== undefined) {
      const state = this.clients.add(client);
      if (state.count > this.limits.perClient) waitMs = Math.max(waitMs, state.resetInMs);
    }
    if (address !== undefined) {
      const state = this.addresses.add(address);
      if (state.count > this.limits.perAddress) waitMs = Math.max(waitMs, state.resetInMs);
    }
    if (waitMs === 0) return failure;
    this.onThrottled();
    const seconds = retryAfterSeconds(waitMs);
    // Entra's code for too many failed sign-ins is AADSTS50053; its wording here is ours (Entra's speaks of a user).
    return new OAuthError(
      429,
      failure.error,
      `AADSTS50053: Too many failed sign-in attempts for this application or from this address. Retry after ${seconds} seconds.`,
      [50053],
      seconds,
    );
  }
}
