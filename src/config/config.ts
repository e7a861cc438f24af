/**
 * The only reader of process.env for the server and the CLI: flags win over environment, environment over defaults.
 */
import os from "node:os";
import path from "node:path";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "../logging/levels.js";

export interface ServerConfig {
  dataDir: string;
  port: number;
  /** Addresses the HTTPS port binds to; loopback (both families) unless told otherwise. */
  hosts: string[];
  /** Public name of the authority/management host, e.g. "localhost". */
  authorityHost: string;
  /** DNS suffix under which vaults live: `<vault>.<vaultSuffix>`. */
  vaultSuffix: string;
  certFile?: string;
  keyFile?: string;
  storage?: string;
  rootKey?: string;
  accessLog: boolean;
  /** Threshold of the diagnostic log on stderr; `debug` adds routine events such as client disconnects. */
  logLevel: LogLevel;
  /** Serve the per-machine metadata endpoints (see docs/deployment.md for several nodes on one host). */
  metadata: boolean;
  /** Rotate the administrator's secret and write a new admin.json, even though the administrator exists. */
  resetAdminCredential: boolean;
  /** How long connections may take and how many may be open (docs/security.md, "Connection limits"). */
  limits: ConnectionLimits;
  /** Refuse a request (503) whose audit record can't be written; off: log the failure and serve it anyway. */
  auditFailClosed: boolean;
  /** Size at which an audit file (SQLite deployments) is closed and the next one begun. */
  auditMaxFileBytes?: number;
  /** Failed client authentications allowed per client id and per source address within a window. */
  signInFailureLimits: SignInFailureLimits;
  /** `azure`: apply Key Vault's per-vault service limits (429 + Retry-After); `none` (default): no vault limits. */
  serviceLimits: "none" | "azure";
  /** Internal, for tests: multiplies Key Vault's limits (env KLUIS_LIMITS_SCALE) and shortens their window. */
  limitsScale: number;
  limitsWindowSeconds: number;
  /** Port of the Prometheus `/metrics` listener; 0 (default) serves no metrics. */
  metricsPort: number;
  /** Address the metrics listener binds to; loopback unless told otherwise. */
  metricsHost: string;
  /**
   * Prepared private keys kept in memory between operations (domain/keys/prepared-key-cache.ts): most entries
   * (0 = no cache: key material lives only for one operation) and the idle time after which an entry goes.
   */
  keyCache: { entries: number; idleMs: number };
  /**
   * Worker threads for RSA private-key operations beside the event loop (crypto/rsa-private-pool.ts); 0 = all on
   * the event loop. The default leaves one core to the event loop, which takes the jobs the workers cannot.
   */
  rsaWorkers: { size: number };
  /** How often this node looks for keys whose rotation policy has fallen due. */
  rotationCheckMs: number;
  /**
   * How often this node looks for certificate operations to complete and renewals that have fallen due (a create
   * also starts its own completion at once; the tick takes over operations whose node stopped).
   */
  certificateCheckMs: number;
  /** Test hook: seconds added to the rotation job's clock, so that tests see days pass (0 in production). */
  rotationClockOffsetSeconds: number;
}

/** Bounds on what one client can hold on the HTTPS port; times in seconds. */
export interface ConnectionLimits {
  /** From accepting the TCP connection to the end of the TLS handshake. */
  handshakeTimeout: number;
  /** From the start of a request (or of the connection) to the end of its headers. */
  headerTimeout: number;
  /** From the end of the headers to the end of the body. */
  bodyTimeout: number;
  /** A kept-alive connection with no request in progress. */
  idleTimeout: number;
  /** Open connections per listening address. */
  maxConnections: number;
  /** Open connections from one client address (per listening address). */
  maxConnectionsPerClient: number;
  /** On SIGTERM/SIGINT, how long requests in flight may run before their connections are closed. */
  shutdownTimeout: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  handshakeTimeout: 10,
  headerTimeout: 10,
  bodyTimeout: 30,
  // Longer than the 60 s idle timeout of common load balancers, so the balancer, not Kluis, closes an idle
  // connection and never sends a request on one Kluis is closing.
  idleTimeout: 65,
  maxConnections: 1024,
  maxConnectionsPerClient: 256,
  shutdownTimeout: 30,
};

export interface SignInFailureLimits {
  /** Failures allowed per client id (or machine) within the window. */
  perClient: number;
  /** Failures allowed per source address within the window, whatever client they name. */
  perAddress: number;
  windowSeconds: number;
}

/** Entra's smart lockout starts at 10 failures and 60 s; twice that per client leaves room for a mistyped deploy. */
export const DEFAULT_SIGN_IN_FAILURE_LIMITS: SignInFailureLimits = { perClient: 20, perAddress: 100, windowSeconds: 60 };

export interface ServerFlags {
  dataDir?: string;
  port?: string | number;
  host?: string[];
  authorityHost?: string;
  vaultSuffix?: string;
  cert?: string;
  key?: string;
  storage?: string;
  accessLog?: boolean;
  logLevel?: string;
  metadata?: boolean;
  resetAdminCredential?: boolean;
  handshakeTimeout?: string;
  headerTimeout?: string;
  bodyTimeout?: string;
  idleTimeout?: string;
  maxConnections?: string;
  maxConnectionsPerClient?: string;
  shutdownTimeout?: string;
  auditFailOpen?: boolean;
  serviceLimits?: string;
  signInFailureLimits?: string;
  metricsPort?: string | number;
  metricsHost?: string;
}

export const DEFAULT_PORT = 8443;
export const DEFAULT_DATA_DIR = ".kluis";

export function parsePort(value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${String(value)}`);
  return port;
}

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.KLUIS_DATA_DIR ?? DEFAULT_DATA_DIR);
}

export function resolvePort(flag: string | number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  return parsePort(flag ?? env.KLUIS_PORT, DEFAULT_PORT);
}

export function serverConfig(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const hosts = flags.host?.length ? flags.host : env.KLUIS_HOSTS ? env.KLUIS_HOSTS.split(",") : ["127.0.0.1", "::1"];
  return {
    dataDir: resolveDataDir(flags.dataDir, env),
    port: resolvePort(flags.port, env),
    hosts,
    authorityHost: flags.authorityHost ?? env.KLUIS_AUTHORITY_HOST ?? "localhost",
    vaultSuffix: flags.vaultSuffix ?? env.KLUIS_VAULT_SUFFIX ?? "vault.localhost",
    certFile: flags.cert ?? env.KLUIS_TLS_CERT,
    keyFile: flags.key ?? env.KLUIS_TLS_KEY,
    storage: flags.storage ?? env.KLUIS_STORAGE,
    rootKey: env.KLUIS_ROOT_KEY,
    accessLog: flags.accessLog ?? env.KLUIS_ACCESS_LOG !== "0",
    logLevel: parseLogLevel(flags.logLevel ?? env.KLUIS_LOG_LEVEL),
    metadata: flags.metadata ?? env.KLUIS_METADATA !== "0",
    resetAdminCredential: flags.resetAdminCredential ?? false,
    limits: connectionLimits(flags, env),
    auditFailClosed: !(flags.auditFailOpen ?? env.KLUIS_AUDIT_FAIL_OPEN === "1"),
    auditMaxFileBytes: env.KLUIS_AUDIT_MAX_FILE_BYTES ? positive(env.KLUIS_AUDIT_MAX_FILE_BYTES, "KLUIS_AUDIT_MAX_FILE_BYTES", 0, true) : undefined,
    signInFailureLimits: parseSignInFailureLimits(flags.signInFailureLimits ?? env.KLUIS_SIGN_IN_FAILURE_LIMITS),
    serviceLimits: parseLimitsMode(flags.serviceLimits ?? env.KLUIS_LIMITS),
    limitsScale: positive(env.KLUIS_LIMITS_SCALE, "KLUIS_LIMITS_SCALE", 1, false, "number"),
    limitsWindowSeconds: positive(env.KLUIS_LIMITS_WINDOW_SECONDS, "KLUIS_LIMITS_WINDOW_SECONDS", 10, false),
    metricsPort: parsePort(flags.metricsPort ?? env.KLUIS_METRICS_PORT, 0),
    metricsHost: flags.metricsHost ?? env.KLUIS_METRICS_HOST ?? "127.0.0.1",
    keyCache: {
      entries: nonNegativeInteger(env.KLUIS_KEY_CACHE_ENTRIES, 256, "KLUIS_KEY_CACHE_ENTRIES"),
      idleMs: nonNegativeInteger(env.KLUIS_KEY_CACHE_IDLE_MS, 30_000, "KLUIS_KEY_CACHE_IDLE_MS"),
    },
    rsaWorkers: {
      size: nonNegativeInteger(env.KLUIS_RSA_WORKERS, Math.max(1, os.availableParallelism() - 1), "KLUIS_RSA_WORKERS"),
    },
    rotationCheckMs: Math.max(100, nonNegativeInteger(env.KLUIS_INTERNAL_ROTATION_CHECK_MS, 60_000, "KLUIS_INTERNAL_ROTATION_CHECK_MS")),
    certificateCheckMs: Math.max(100, nonNegativeInteger(env.KLUIS_INTERNAL_CERTIFICATE_CHECK_MS, 5_000, "KLUIS_INTERNAL_CERTIFICATE_CHECK_MS")),
    rotationClockOffsetSeconds: nonNegativeInteger(env.KLUIS_INTERNAL_CLOCK_OFFSET_S, 0, "KLUIS_INTERNAL_CLOCK_OFFSET_S"),
  };
}

/** Flag, else environment (KLUIS_HEADER_TIMEOUT …), else the default; a value that is not a positive number fails the start. */
export function connectionLimits(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ConnectionLimits {
  const seconds = (flag: string | undefined, name: string, fallback: number): number => positive(flag ?? env[name], name, fallback, false);
  const count = (flag: string | undefined, name: string, fallback: number): number => positive(flag ?? env[name], name, fallback, true);
  return {
    handshakeTimeout: seconds(flags.handshakeTimeout, "KLUIS_HANDSHAKE_TIMEOUT", DEFAULT_LIMITS.handshakeTimeout),
    headerTimeout: seconds(flags.headerTimeout, "KLUIS_HEADER_TIMEOUT", DEFAULT_LIMITS.headerTimeout),
    bodyTimeout: seconds(flags.bodyTimeout, "KLUIS_BODY_TIMEOUT", DEFAULT_LIMITS.bodyTimeout),
    idleTimeout: seconds(flags.idleTimeout, "KLUIS_IDLE_TIMEOUT", DEFAULT_LIMITS.idleTimeout),
    maxConnections: count(flags.maxConnections, "KLUIS_MAX_CONNECTIONS", DEFAULT_LIMITS.maxConnections),
    maxConnectionsPerClient: count(flags.maxConnectionsPerClient, "KLUIS_MAX_CONNECTIONS_PER_CLIENT", DEFAULT_LIMITS.maxConnectionsPerClient),
    shutdownTimeout: seconds(flags.shutdownTimeout, "KLUIS_SHUTDOWN_TIMEOUT", DEFAULT_LIMITS.shutdownTimeout),
  };
}

/** A positive setting (a whole one when `integer`), or `fallback` when unset; anything else fails the start. */
function positive(value: string | undefined, name: string, fallback: number, integer: boolean, unit = integer ? "whole number" : "number of seconds"): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`invalid ${name.replace(/^KLUIS_/, "").toLowerCase().replaceAll("_", " ")}: ${value} (a positive ${unit})`);
  }
  return n;
}

/** The storage URL of operator tools that read the server's storage directly (`kluis audit`). */
export function resolveStorage(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? env.KLUIS_STORAGE;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined || value === "") return "info";
  const level = value.toLowerCase();
  if (!isLogLevel(level)) throw new Error(`invalid log level: ${value} (one of ${LOG_LEVELS.join(", ")})`);
  return level;
}

function parseLimitsMode(value: string | undefined): "none" | "azure" {
  if (value === undefined || value === "" || value === "none") return "none";
  if (value === "azure") return "azure";
  throw new Error(`invalid --limits: ${value} (expected azure or none)`);
}

/** `<per client>,<per address>,<window seconds>`, e.g. `20,100,60`. */
function parseSignInFailureLimits(value: string | undefined): SignInFailureLimits {
  if (value === undefined || value === "") return DEFAULT_SIGN_IN_FAILURE_LIMITS;
  const parts = value.split(",").map(Number);
  if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`invalid sign-in failure limits: ${value} (expected <per client>,<per address>,<window seconds>)`);
  }
  return { perClient: parts[0]!, perAddress: parts[1]!, windowSeconds: parts[2]! };
}

function nonNegativeInteger(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer: ${value}`);
  return n;
}

/** Where the CLI keeps its login profile, as az keeps ~/.azure. */
export function cliConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KLUIS_CONFIG_DIR ?? path.join(env.HOME ?? ".", ".kluis");
}
