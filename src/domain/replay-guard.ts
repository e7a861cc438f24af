/** Remembers client-assertion ids until they expire, so a captured assertion can't be replayed. */
import { OAuthError } from "./errors.js";

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  check(clientId: string, jti: string | undefined, exp: number, now = Math.floor(Date.now() / 1000)): void {
    if (jti === undefined) return;
    for (const [key, expiry] of this.seen) {
      if (expiry > now) break; // insertion order roughly follows expiry; stop at the first live entry
      this.seen.delete(key);
    }
    const key = `${clientId}:${jti}`;
    if (this.seen.has(key)) throw new OAuthError(401, "invalid_client", "The client assertion was already used.");
    this.seen.set(key, exp);
  }
}
