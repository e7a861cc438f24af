/**
 * `kluis server`: runs the server in this process. The server modules are imported only here, lazily, so
 * that every other command starts fast and never loads storage drivers it does not use.
 */
import type { Command } from "commander";
import { serverConfig, type ServerFlags } from "../../config/config.js";

interface ServerOptions {
  dataDir?: string;
  port?: string;
  host?: string[];
  cert?: string;
  key?: string;
  vaultSuffix?: string;
  authorityHost?: string;
  storage?: string;
  accessLog?: boolean;
  metadata?: boolean;
  resetAdminCredential?: boolean;
  limits?: string;
  signInFailureLimits?: string;
  metricsPort?: string;
  metricsHost?: string;
}

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("Run the Kluis server (identity authority, management plane, vaults, metadata endpoints).")
    .option("--data-dir <dir>", "where the database, TLS files and admin.json live (env KLUIS_DATA_DIR, default ./.kluis)")
    .option("--port <port>", "HTTPS port (env KLUIS_PORT, default 8443)")
    .option("--host <addresses...>", "addresses to listen on (env KLUIS_HOSTS, default 127.0.0.1 ::1)")
    .option("--cert <file>", "TLS certificate (PEM) to serve instead of the generated one")
    .option("--key <file>", "private key (PEM) of --cert")
    .option("--vault-suffix <suffix>", "DNS suffix of vault hosts (default vault.localhost)")
    .option("--authority-host <host>", "public host name of the authority (default localhost)")
    .option("--storage <url>", "storage URL, e.g. postgres://… (default: SQLite in the data directory)")
    .option("--no-access-log", "do not log each request")
    .option("--no-metadata", "do not serve machines' metadata endpoints on this node (env KLUIS_METADATA=0)")
    .option("--reset-admin-credential", "give the administrator a new secret and write it to admin.json (invalidates other copies)")
    .option("--limits <mode>", "azure: answer Key Vault's per-vault service limits with 429 + Retry-After, counted per node (env KLUIS_LIMITS, default none)")
    .option("--sign-in-failure-limits <limits>", "failed client sign-ins allowed per client id, per source address, per window: <client>,<address>,<seconds> (env KLUIS_SIGN_IN_FAILURE_LIMITS, default 20,100,60)")
    .option("--metrics-port <port>", "serve Prometheus /metrics on this port, plain http (env KLUIS_METRICS_PORT, default 0 = off)")
    .option("--metrics-host <address>", "address of the metrics listener (env KLUIS_METRICS_HOST, default 127.0.0.1)")
    .action(async (options: ServerOptions, command: Command) => {
      const flags: ServerFlags = {
        dataDir: options.dataDir,
        port: options.port,
        host: options.host,
        cert: options.cert,
        key: options.key,
        vaultSuffix: options.vaultSuffix,
        authorityHost: options.authorityHost,
        storage: options.storage,
        // commander defaults a --no-* flag to true; only an explicit flag may override KLUIS_ACCESS_LOG.
        accessLog: command.getOptionValueSource("accessLog") === "cli" ? options.accessLog : undefined,
        metadata: command.getOptionValueSource("metadata") === "cli" ? options.metadata : undefined,
        resetAdminCredential: options.resetAdminCredential === true,
        limits: options.limits,
        signInFailureLimits: options.signInFailureLimits,
        metricsPort: options.metricsPort,
        metricsHost: options.metricsHost,
      };
      const { startServer } = await import("../../server/start.js");
      const server = await startServer(serverConfig(flags));
      let stopping = false;
      const stop = (): void => {
        // A second Ctrl-C while closing means "now".
        if (stopping) process.exit(130);
        stopping = true;
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`ERROR: shutdown failed: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
}
