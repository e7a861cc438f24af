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
  /** Failed client authentications allowed per client id and per source address within a window. */
  signInFailureLimits: SignInFailureLimits;
  /** `azure`: apply Key Vault's per-vault service limits (429 + Retry-After); `none` (default): no vault limits. */
  limits: "none" | "azure";
  /** Internal, for tests: multiplies Key Vault's limits (env KLUIS_LIMITS_SCALE) and shortens their window. */
  limitsScale: number;
  limitsWindowSeconds: number;
  /** Port of the Prometheus `/metrics` listener; 0 (default) serves no metrics. */
  metricsPort: number;
  /** Address the metrics listener binds to; loopback unless told otherwise. */
  metricsHost: string;
}

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
  metadata?: boolean;
  resetAdminCredential?: boolean;
  limits?: string;
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
    metadata: flags.metadata ?? env.KLUIS_METADATA !== "0",
    resetAdminCredential: flags.resetAdminCredential ?? false,
    signInFailureLimits: parseSignInFailureLimits(flags.signInFailureLimits ?? env.KLUIS_SIGN_IN_FAILURE_LIMITS),
    limits: parseLimitsMode(flags.limits ?? env.KLUIS_LIMITS),
    limitsScale: positiveNumber(env.KLUIS_LIMITS_SCALE, 1, "KLUIS_LIMITS_SCALE"),
    limitsWindowSeconds: positiveNumber(env.KLUIS_LIMITS_WINDOW_SECONDS, 10, "KLUIS_LIMITS_WINDOW_SECONDS"),
    metricsPort: parsePort(flags.metricsPort ?? env.KLUIS_METRICS_PORT, 0),
    metricsHost: flags.metricsHost ?? env.KLUIS_METRICS_HOST ?? "127.0.0.1",
  };
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

function positiveNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`invalid ${name}: ${value}`);
  return n;
}

/** Where the CLI keeps its login profile, as az keeps ~/.azure. */
export function cliConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KLUIS_CONFIG_DIR ?? path.join(env.HOME ?? ".", ".kluis");
}
