/**
 * A `kluis server` process the test controls directly: it can be signalled, and a start that is expected to fail
 * can be awaited to its exit. (harness/server.ts hides the process; these tests are about the process itself.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CLI } from "./server.js";

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the server prints that it listens, or with its exit when it stops first. */
  started: Promise<"listening" | { code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnServer(dataDir: string, port: number, args: string[] = []): ServerProcess {
  const tlsSeed = process.env.KLUIS_TEST_TLS_DIR;
  if (tlsSeed && !fs.existsSync(path.join(dataDir, "tls"))) fs.cpSync(tlsSeed, path.join(dataDir, "tls"), { recursive: true });
  const child = spawn(process.execPath, [CLI, "server", "--data-dir", dataDir, "--port", String(port), "--no-access-log", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env },
  });
  let log = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const started = new Promise<"listening" | { code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (/subscription:\s+\S+/.test(log)) resolve("listening");
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(resolve);
  });
  return { child, output: () => log, started, exited };
}

/** Starts a server expected to refuse: returns its exit and output, killing it (and failing) if it listens or hangs. */
export async function expectRefusal(dataDir: string, port: number, args: string[] = [], timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const server = spawnServer(dataDir, port, args);
  const timer = setTimeout(() => server.child.kill("SIGKILL"), timeoutMs);
  try {
    const outcome = await server.started;
    if (outcome === "listening") {
      server.child.kill("SIGKILL");
      await server.exited;
      throw new Error(`the server started instead of refusing:\n${server.output()}`);
    }
    if (outcome.signal === "SIGKILL") throw new Error(`the server neither started nor exited within ${timeoutMs} ms:\n${server.output()}`);
    return { code: outcome.code, output: server.output() };
  } finally {
    clearTimeout(timer);
  }
}
