/** Runs one load point through bench/load-worker.ts in a child process and returns its figures. */
import { spawn } from "node:child_process";
import path from "node:path";
import type { LoadResult, LoadSpec } from "./load-worker.js";
import { REPO } from "./lib/proc.js";

export type { LoadResult, LoadSpec };

export const DURATION_SEC = Number(process.env.BENCH_DURATION ?? 5);
export const WARMUP_SEC = Number(process.env.BENCH_WARMUP ?? 1);

export function load(spec: Omit<LoadSpec, "durationSec"> & { durationSec?: number }): Promise<LoadResult> {
  const full: LoadSpec = { durationSec: DURATION_SEC, warmupSec: WARMUP_SEC, ...spec };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "bench/load-worker.ts"), JSON.stringify(full)], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line) return reject(new Error(`load worker exited ${code}: ${err || out}`));
      const result = JSON.parse(line) as LoadResult;
      if (result.ok === 0) return reject(new Error(`no successful responses from ${full.url} (non-2xx ${result.non2xx}, errors ${result.errors})`));
      resolve(result);
    });
  });
}
