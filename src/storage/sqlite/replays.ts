/** SQLite store of one-time identifiers: a primary key decides who claimed first; expired ones are swept on the way. */
import type Database from "better-sqlite3";
import type { ReplayStore } from "../types.js";

export class SqliteReplays implements ReplayStore {
  private readonly sweep;
  private readonly insert;
  private readonly claimTx;

  constructor(db: Database.Database) {
    this.sweep = db.prepare("DELETE FROM replays WHERE expires_at <= ?");
    this.insert = db.prepare("INSERT INTO replays (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING");
    this.claimTx = db.transaction((key: string, expiresAt: number, now: number) => {
      this.sweep.run(now);
      return this.insert.run(key, expiresAt).changes > 0;
    });
  }

  async claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    return this.claimTx.immediate(key, expiresAt, now);
  }
}
