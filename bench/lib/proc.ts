/** Child-process plumbing: spawn, wait for a line or a health check, read resident memory, stop. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Child {
  proc: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function start(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let log = "";
  proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  return {
    proc,
    output: () => log,
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until `ready()` resolves true; fails if the child exits or the time runs out. */
export async function waitUntil(child: Child, ready: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`child exited early (${child.proc.exitCode}):\n${child.output()}`);
    if (await Promise.resolve().then(ready).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`child not ready after ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resident set size in MB, from /proc/<pid>/status (VmRSS). */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return kb ? Number(kb[1]) / 1024 : NaN;
}

// One implementation of "a free loopback port" for tests and benchmarks alike.
export { freePort } from "../../test/harness/server.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a baseline server script (prints {"port":N} when listening) and returns it with its port. */
export async function startBaseline(script: string, args: string[]): Promise<{ child: Child; port: number }> {
  const child = start(["--import", "tsx", path.join(REPO, script), ...args]);
  await waitUntil(child, () => /\{"port":\d+\}/.test(child.output()), 20_000);
  return { child, port: (JSON.parse(/\{"port":\d+\}/.exec(child.output())![0]) as { port: number }).port };
}
