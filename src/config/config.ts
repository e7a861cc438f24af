/**
 * The only reader of process.env for the server and the CLI: flags win over environment, environment over defaults.
 */
import path from "node:path";

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
  /** Serve the per-machine metadata endpoints (see docs/deployment.md for several nodes on one host). */
  metadata: boolean;
  /** Rotate the administrator's secret and write a new admin.json, even though the administrator exists. */
  resetAdminCredential: boolean;
  /**
   * Prepared private keys kept in memory between operations (domain/keys/prepared-key-cache.ts): most entries
   * (0 = no cache: key material lives only for one operation) and the idle time after which an entry goes.
   */
  keyCache: { entries: number; idleMs: number };
  /** How often this node looks for keys whose rotation policy has fallen due. */
  rotationCheckMs: number;
  /** Test hook: seconds added to the rotation job's clock, so that tests see days pass (0 in production). */
  rotationClockOffsetSeconds: number;
}

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
  metadata?: boolean;
  resetAdminCredential?: boolean;
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
    metadata: flags.metadata ?? env.KLUIS_METADATA !== "0",
    resetAdminCredential: flags.resetAdminCredential ?? false,
    keyCache: {
      entries: nonNegativeInteger(env.KLUIS_KEY_CACHE_ENTRIES, 256, "KLUIS_KEY_CACHE_ENTRIES"),
      idleMs: nonNegativeInteger(env.KLUIS_KEY_CACHE_IDLE_MS, 30_000, "KLUIS_KEY_CACHE_IDLE_MS"),
    },
    rotationCheckMs: Math.max(100, nonNegativeInteger(env.KLUIS_INTERNAL_ROTATION_CHECK_MS, 60_000, "KLUIS_INTERNAL_ROTATION_CHECK_MS")),
    rotationClockOffsetSeconds: nonNegativeInteger(env.KLUIS_INTERNAL_CLOCK_OFFSET_S, 0, "KLUIS_INTERNAL_CLOCK_OFFSET_S"),
  };
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
