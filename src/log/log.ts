/**
 * The server's diagnostic log: one JSON object per line on stderr, with a level. Debug lines are written only when
 * the operator asks for them (`--log-level debug`); they carry routine events such as a client going away, which
 * are not failures of the server and must not read as such.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

let threshold: LogLevel = "info";

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANK, value);
}

/** Writes one line if `level` is at or above the threshold; `fields` must never hold a secret, token or body. */
export function log(level: LogLevel, fields: Record<string, unknown>): void {
  if (RANK[level] < RANK[threshold]) return;
  process.stderr.write(`${JSON.stringify({ level, ...fields })}\n`);
}
