/**
 * Starts real `kluis server` processes (the built CLI) on loopback for black-box tests, and runs the built CLI
 * against them. Nothing here reaches into the server's internals: tests see only what a client sees.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO, "dist/cli/main.js");

export interface AdminCredential {
  tenantId: string;
  appId: string;
  password: string;
}

export interface KluisServer {
  port: number;
  dataDir: string;
  url: string;
  caFile: string;
  /** The server process's id, e.g. to read its memory from /proc/<pid>/status. */
  readonly pid: number;
  admin: AdminCredential;
  tenantId: string;
  subscriptionId: string;
  output(): string;
  vaultUrl(name: string): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kluis-${prefix}-`));
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  args?: string[];
  /** `--storage <url>`, e.g. a PostgreSQL URL shared by several servers. */
  storage?: string;
  /**
   * Another node of the same deployment: its root.key and admin.json are copied into this server's data directory,
   * as an operator adds a node (docs/deployment.md).
   */
  joinOf?: KluisServer;
  /** Seed tls/ with the run's test CA (default true); a joining node may start without, to get the CA from storage. */
  seedTls?: boolean;
  /** Keep the per-request access log in output() (off by default, to keep test logs short). */
  accessLog?: boolean;
  /** Extra environment for the server process, e.g. the KLUIS_INTERNAL_… test hooks. */
  env?: NodeJS.ProcessEnv;
}

/** Starts a server with a fresh data directory (seeded with the run's test CA) unless one is given. */
export async function startServer(options: StartOptions = {}): Promise<KluisServer> {
  const dataDir = options.dataDir ?? tempDir("data");
  const port = options.port ?? (await freePort());
  const tlsSeed = process.env.KLUIS_TEST_TLS_DIR;
  if (tlsSeed && options.seedTls !== false && !fs.existsSync(path.join(dataDir, "tls"))) fs.cpSync(tlsSeed, path.join(dataDir, "tls"), { recursive: true });
  if (options.joinOf) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    for (const file of ["root.key", "admin.json"]) fs.copyFileSync(path.join(options.joinOf.dataDir, file), path.join(dataDir, file));
  }
  const storageArgs = options.storage ? ["--storage", options.storage] : [];
  const logArgs = options.accessLog ? [] : ["--no-access-log"];
  let child: ChildProcess | undefined;
  let log = "";
  const launch = async () => {
    log = "";
    child = spawn(process.execPath, [CLI, "server", "--data-dir", dataDir, "--port", String(port), ...logArgs, ...storageArgs, ...(options.args ?? [])], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    await waitFor(() => /subscription:\s+(\S+)/.test(log), () => child!.exitCode !== null, 20_000, () => log);
  };
  await launch();
  const admin = JSON.parse(fs.readFileSync(path.join(dataDir, "admin.json"), "utf8")) as AdminCredential;
  const subscriptionId = /subscription:\s+(\S+)/.exec(log)![1]!;
  const exited = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve())));
  const server: KluisServer = {
    port,
    dataDir,
    url: `https://localhost:${port}`,
    caFile: path.join(dataDir, "tls", "ca.pem"),
    get pid() {
      return child!.pid!;
    },
    admin,
    tenantId: admin.tenantId,
    subscriptionId,
    output: () => log,
    vaultUrl: (name) => `https://${name}.vault.localhost:${port}`,
    stop: async () => {
      if (!child) return;
      child.kill("SIGTERM");
      await exited(child);
    },
    kill: async () => {
      if (!child) return;
      child.kill("SIGKILL");
      await exited(child);
    },
    restart: async () => {
      await server.stop();
      await launch();
    },
  };
  return server;
}

async function waitFor(ready: () => boolean, failed: () => boolean, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (failed()) throw new Error(`kluis server exited early:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`kluis server did not start in ${timeoutMs} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the built CLI against `server`, with its own home (profile) directory. */
export function kluis(server: KluisServer, home: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, HOME: home, KLUIS_CONFIG_DIR: path.join(home, ".kluis"), KLUIS_DATA_DIR: server.dataDir, KLUIS_PORT: String(server.port), ...env },
    timeout: 60_000,
  });
  return {
    status: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json: <T>() => {
      try {
        return JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(`kluis ${args.join(" ")} did not print JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
      }
    },
  };
}

/**
 * As `kluis`, without blocking this process: for tests that serve something to the CLI from this process (a fake
 * listener), which a synchronous child would starve.
 */
export function kluisAsync(server: KluisServer, home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, HOME: home, KLUIS_CONFIG_DIR: path.join(home, ".kluis"), KLUIS_DATA_DIR: server.dataDir, KLUIS_PORT: String(server.port), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        status: code ?? -1,
        stdout,
        stderr,
        json: <T>() => JSON.parse(stdout) as T,
      });
    });
  });
}

/** Runs the built CLI, failing with its output unless it exits 0. */
export function kluisOk(server: KluisServer, home: string, args: string[], env?: NodeJS.ProcessEnv): CliResult {
  const result = kluis(server, home, args, env);
  if (result.status !== 0) throw new Error(`kluis ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result;
}
