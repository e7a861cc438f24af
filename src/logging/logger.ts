/**
 * The server's structured logs, through pino: one JSON object per line, `level` as a word, `time` in ISO form.
 * Requests are logged to stdout (the access log), everything else to stderr. A request is always named by the
 * field `requestId` (the value of its `x-ms-request-id`). Log lines carry names, ids and statuses, never a secret
 * value, a token, a client secret or a request body.
 */
import pino, { type Logger } from "pino";

const options = {
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
};

/** Warnings and errors of the server and its components (`component` says which). */
export const logger: Logger = pino({ ...options, level: process.env.KLUIS_LOG_LEVEL ?? "info" }, pino.destination({ dest: 2, sync: true }));

/** One line per request answered (off with `--no-access-log`). */
export const accessLogger: Logger = pino(options, pino.destination({ dest: 1, sync: true }));
