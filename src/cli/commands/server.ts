/**
 * `kluis server`: runs the server in this process. The server modules are imported only here, lazily, so
 * that every other command starts fast and never loads storage drivers it does not use.
 */
import path from "node:path";
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
  limits?: string;
  signInFailureLimits?: string;
  metricsPort?: string;
  metricsHost?: string;
}

export function registerServerCommand(program: Command): void {
  const server = program
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
    .option("--log-level <level>", "diagnostic log threshold: debug, info, warn or error (env KLUIS_LOG_LEVEL, default info)")
    .option("--no-metadata", "do not serve machines' metadata endpoints on this node (env KLUIS_METADATA=0)")
    .option("--reset-admin-credential", "give the administrator a new secret and write it to admin.json (invalidates other copies)")
    .option("--handshake-timeout <seconds>", "time allowed for a TLS handshake (env KLUIS_HANDSHAKE_TIMEOUT, default 10)")
    .option("--header-timeout <seconds>", "time allowed to send a request's headers (env KLUIS_HEADER_TIMEOUT, default 10)")
    .option("--body-timeout <seconds>", "time allowed to send a request's body after its headers (env KLUIS_BODY_TIMEOUT, default 30)")
    .option("--idle-timeout <seconds>", "how long an idle kept-alive connection stays open (env KLUIS_IDLE_TIMEOUT, default 65)")
    .option("--max-connections <n>", "open connections per listening address (env KLUIS_MAX_CONNECTIONS, default 1024)")
    .option("--max-connections-per-client <n>", "open connections from one client address (env KLUIS_MAX_CONNECTIONS_PER_CLIENT, default 256)")
    .option("--shutdown-timeout <seconds>", "on SIGTERM, how long requests in flight may finish (env KLUIS_SHUTDOWN_TIMEOUT, default 30)")
    .option("--audit-fail-open", "serve requests even when their audit record can't be written (logged); default: refuse with 503 (env KLUIS_AUDIT_FAIL_OPEN=1)")
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
        logLevel: options.logLevel,
        metadata: command.getOptionValueSource("metadata") === "cli" ? options.metadata : undefined,
        resetAdminCredential: options.resetAdminCredential === true,
        handshakeTimeout: options.handshakeTimeout,
        headerTimeout: options.headerTimeout,
        bodyTimeout: options.bodyTimeout,
        idleTimeout: options.idleTimeout,
        maxConnections: options.maxConnections,
        maxConnectionsPerClient: options.maxConnectionsPerClient,
        shutdownTimeout: options.shutdownTimeout,
        auditFailOpen: options.auditFailOpen === true ? true : undefined,
        serviceLimits: options.limits,
        signInFailureLimits: options.signInFailureLimits,
        metricsPort: options.metricsPort,
        metricsHost: options.metricsHost,
      };
      const { startServer } = await import("../../server/start.js");
      const server = await startServer(serverConfig(flags));
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        // A second signal while draining means "now".
        if (stopping) process.exit(130);
        stopping = true;
        process.stderr.write(`${signal}: draining (new connections refused, /readyz 503); requests in flight get ${server.app.config.limits.shutdownTimeout} s\n`);
        server.close().then(
          (finished) => {
            process.stderr.write(finished ? "stopped: every request finished\n" : "stopped: shutdown timeout reached, remaining connections closed\n");
            process.exit(0);
          },
          (error: unknown) => {
            process.stderr.write(`ERROR: shutdown failed: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  server
    .command("backup")
    .description(
      "Copy a running (or stopped) server's SQLite database to FILE as one consistent snapshot, without stopping it. " +
        "The root key is not in the copy: back it up separately. For PostgreSQL, see docs/deployment.md.",
    )
    .option("--data-dir <dir>", "the server's data directory (env KLUIS_DATA_DIR, default ./.kluis)")
    .requiredOption("--to <file>", "the backup file to write (must not exist)")
    .action(async (_options: unknown, command: Command) => {
      // `--data-dir` is also an option of `server`, which commander hands it to: read both levels.
      const options = command.optsWithGlobals<{ dataDir?: string; to: string }>();
      const { dataDir } = serverConfig({ dataDir: options.dataDir });
      const { backupSqlite, BackupError } = await import("../../storage/sqlite/backup.js");
      try {
        const result = await backupSqlite(path.join(dataDir, "kluis.db"), options.to);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } catch (error) {
        if (!(error instanceof BackupError) && !(error instanceof Error && "code" in error)) throw error;
        process.stderr.write(`ERROR: backup failed: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
