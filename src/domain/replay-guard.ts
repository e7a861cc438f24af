/**
 * Refuses a client assertion whose id was seen before for the same resource, until it expires. The ids live in
 * storage, so the refusal holds across restarts and on every node of a deployment.
 *
 * Per resource, not per assertion: MSAL Python (1.21, in Debian's azure-identity) signs one assertion and presents
 * it for every token it asks for during nine minutes, and Entra accepts that; a client asking for a vault token and
 * then an ARM token with one credential must not be refused. An assertion still buys at most one token per resource.
 */
import type { ReplayStore } from "../storage/types.js";
import { OAuthError } from "./errors.js";

export class ReplayGuard {
  constructor(private readonly store: ReplayStore) {}

  async check(clientId: string, jti: string | undefined, resource: string, exp: number, now = Math.floor(Date.now() / 1000)): Promise<void> {
    if (jti === undefined) return;
    if (!(await this.store.claim(`assertion:${clientId}:${jti}:${resource.replace(/\/+$/, "").toLowerCase()}`, exp, now))) {
      throw new OAuthError(401, "invalid_client", "The client assertion was already used.");
    }
  }
}
