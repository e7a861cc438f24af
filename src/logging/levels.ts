/**
 * Levels for the server's diagnostic log, which is written through pino (logging/logger.ts): one JSON object per
 * line on stderr. Debug lines are written only when the operator asks for them (`--log-level debug`); they carry
 * routine events such as a client going away, which are not failures of the server and must not read as such.
 */
import { logger } from "./logger.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Writes one line if `level` is enabled; `fields` must never hold a secret, token or body. A request is named by
 * `requestId`, as in every other log line.
 */
export function log(level: LogLevel, fields: Record<string, unknown>): void {
  const { message, ...rest } = fields;
  logger[level](rest, typeof message === "string" ? message : undefined);
}
