/**
 * Thin layer over pg.Pool: every query and transaction goes through here so that driver errors come out as the
 * storage contract's StoreError (conflict | unavailable) and nothing else leaks a pooled client.
 */
import type pg from "pg";
import { StoreError } from "../types.js";

/** Codes (SQLSTATE) meaning the server can't serve us right now: the HTTP layer answers 503 for these. */
const UNAVAILABLE_STATES = new Set([
  "57P01", // admin_shutdown: backend terminated (pg_terminate_backend, fast shutdown)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, shutting down, in recovery
  "53300", // too_many_connections: the server refuses new sessions
]);

/** Socket-level failures of node:net / dns while connecting or talking to the server. */
const UNAVAILABLE_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Errors pg raises itself (no SQLSTATE) when the connection dies or can't be obtained in time. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection error/i,
  /server closed the connection unexpectedly/i,
  /not queryable/i,
  /query read timeout/i, // query_timeout: the server stopped answering on an open connection
];

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code.startsWith("08") || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
    // Any other SQLSTATE is a real answer from a live server.
    if (/^[0-9A-Z]{5}$/.test(code)) return false;
  }
  // AggregateError (e.g. "localhost" resolving to both ::1 and 127.0.0.1, both refused).
  if (error instanceof AggregateError && error.errors.some(isUnavailable)) return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "23505";
}

/** Maps a driver error to the contract: StoreError stays, unique violations → conflict, lost server → unavailable. */
export function translate(error: unknown, conflictMessage = "unique constraint violated"): unknown {
  if (error instanceof StoreError) return error;
  if (isUniqueViolation(error)) return new StoreError("conflict", conflictMessage);
  if (isUnavailable(error)) {
    const store = new StoreError("unavailable", `database unavailable: ${(error as Error).message}`);
    (store as { cause?: unknown }).cause = error;
    return store;
  }
  return error;
}

export type Queryable = Pick<pg.PoolClient, "query">;

export class Db {
  constructor(readonly pool: pg.Pool) {}

  /** One statement on any pooled connection. */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], conflictMessage?: string): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw translate(error, conflictMessage);
    }
  }

  async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  async one<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> {
    return (await this.query<R>(sql, params)).rows[0];
  }

  /**
   * Runs `fn` inside BEGIN … COMMIT on one pooled connection; rolls back on any error. A connection that failed
   * at the socket level is destroyed instead of going back to the pool.
   */
  async tx<T>(fn: (client: Queryable) => Promise<T>, conflictMessage?: string): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translate(error, conflictMessage);
    }
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (isUnavailable(error)) broken = error as Error;
      else {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
      }
      throw translate(error, conflictMessage);
    } finally {
      client.release(broken);
    }
  }
}

/** pg returns BIGINT as a string (it may exceed 2^53); our timestamps and sequences fit a double. */
export function num(value: string | number): number {
  return typeof value === "number" ? value : Number(value);
}

export function numOrNull(value: string | number | null): number | null {
  return value === null ? null : num(value);
}

/**
 * Keyset paging the way the SQLite store does it: fetch limit + 1 rows (a negative LIMIT in SQLite means "no
 * limit", which PostgreSQL spells NULL), and hand back the key of the last item only when there are more.
 */
export function pageLimit(limit: number): number | null {
  return limit + 1 < 0 ? null : limit + 1;
}

/**
 * A text key from a caller (continuation token) as a parameter. PostgreSQL text can't hold NUL; no stored key
 * contains one, so comparing against the prefix before the first NUL selects exactly the same rows.
 */
export function textKey(key: string): string {
  const nul = key.indexOf("\u0000");
  return nul < 0 ? key : key.slice(0, nul);
}
