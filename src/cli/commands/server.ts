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
  metadata?: boolean;
  resetAdminCredential?: boolean;
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
    .option("--no-metadata", "do not serve machines' metadata endpoints on this node (env KLUIS_METADATA=0)")
    .option("--reset-admin-credential", "give the administrator a new secret and write it to admin.json (invalidates other copies)")
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
