/** PostgreSQL store of one-time identifiers: the primary key decides, across nodes, who claimed first. */
import type { ReplayStore } from "../types.js";
import type { Db } from "./db.js";

export class PgReplays implements ReplayStore {
  constructor(private readonly db: Db) {}

  async claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    // An expired entry may be taken over; a live one may not. One statement, so two nodes can't both win.
    const rows = await this.db.rows<{ key: string }>(
      `INSERT INTO replays (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replays.expires_at <= $3
       RETURNING key`,
      [key, expiresAt, now],
    );
    // Sweep expired ids on about one claim in a hundred: the table stays small without a timer on every node.
    if (rows.length > 0 && Math.random() < 0.01) await this.db.query("DELETE FROM replays WHERE expires_at <= $1", [now]);
    return rows.length > 0;
  }
}
