/**
 * The audit log's table for PostgreSQL deployments. Every node appends to one chain: a batch locks the chain's
 * head row (`audit_head`, FOR UPDATE), links its records onto it, inserts them and moves the head, all in one
 * transaction. Appends of several nodes are thereby serialized — each waits for a short transaction, not for a
 * network round trip per record, since a batch carries every record its node gathered meanwhile.
 *
 * The chain itself (how a record is hashed) is the caller's business: storage is handed a function that turns
 * the current head into rows, and keeps no rules of its own.
 */
import pg from "pg";
import { Db, num } from "./db.js";

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditRow {
  seq: number;
  hash: string;
  /** ISO time, for `audit show --since` without parsing every line. */
  time: string;
  vault: string | null;
  caller: string | null;
  /** The record exactly as hashed: verification reads this text, never the other columns. */
  line: string;
}

const PAGE = 1000;

export class PgAuditStore {
  private constructor(
    private readonly db: Db,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * A small pool of its own: audit writes must not queue behind (or starve) the data pool. The schema's tables
   * are created by the store's migrations (migration 4), which run before this opens.
   */
  static open(url: string, schema: string | undefined): PgAuditStore {
    const config: pg.PoolConfig = { connectionString: url, max: 2, connectionTimeoutMillis: 2_000, query_timeout: 15_000, application_name: "kluis-audit" };
    if (schema) config.options = `-c search_path=${schema}`;
    const pool = new pg.Pool(config);
    pool.on("error", () => {});
    return new PgAuditStore(new Db(pool), pool);
  }

  async append(link: (head: AuditHead) => { rows: AuditRow[]; head: AuditHead }): Promise<void> {
    await this.db.tx(async (client) => {
      const { rows } = await client.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE");
      const current = rows[0];
      if (!current) throw new Error("audit_head row missing: the audit table was tampered with");
      const { rows: records, head } = link({ seq: num(current.seq), hash: current.hash });
      const values: unknown[] = [];
      const tuples = records.map((r, i) => {
        values.push(r.seq, r.hash, r.time, r.vault, r.caller, r.line);
        const b = i * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
      });
      if (tuples.length > 0) await client.query(`INSERT INTO audit_log (seq, hash, time, vault, caller, line) VALUES ${tuples.join(", ")}`, values);
      await client.query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", [head.seq, head.hash]);
    });
  }

  async head(): Promise<AuditHead | null> {
    const row = await this.db.one<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_head WHERE id = 1");
    return row ? { seq: num(row.seq), hash: row.hash } : null;
  }

  /** Every stored record in chain order, a page at a time; `since` skips older records (for display only). */
  async *lines(since?: Date): AsyncGenerator<{ seq: number; line: string }> {
    let after = 0;
    for (;;) {
      const rows = await this.db.rows<{ seq: string; line: string }>(
        since
          ? "SELECT seq, line FROM audit_log WHERE seq > $1 AND time >= $3 ORDER BY seq LIMIT $2"
          : "SELECT seq, line FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        since ? [after, PAGE, since.toISOString()] : [after, PAGE],
      );
      for (const row of rows) yield { seq: num(row.seq), line: row.line };
      if (rows.length < PAGE) return;
      after = num(rows[rows.length - 1]!.seq);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
