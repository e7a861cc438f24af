/**
 * Refuses a client assertion whose id was seen before, until it expires. The ids live in storage, so the refusal
 * holds across restarts and on every node of a deployment.
 */
import type { ReplayStore } from "../storage/types.js";
import { OAuthError } from "./errors.js";

export class ReplayGuard {
  constructor(private readonly store: ReplayStore) {}

  async check(clientId: string, jti: string | undefined, exp: number, now = Math.floor(Date.now() / 1000)): Promise<void> {
    if (jti === undefined) return;
    if (!(await this.store.claim(`assertion:${clientId}:${jti}`, exp, now))) {
      throw new OAuthError(401, "invalid_client", "The client assertion was already used.");
    }
  }
}
