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

type PointSpec = Omit<LoadSpec, "durationSec"> & { durationSec?: number };

/**
 * Loads two targets in interleaved slices, A B B A, so that a burst of noise on this shared machine lands on both
 * about equally and the ratio between them holds. Each side gets the full duration in total. Throughput and p50
 * are the means of the slices; p99 is the worst slice's, so a noisy slice is never hidden.
 */
export async function loadPair(a: PointSpec, b: PointSpec): Promise<{ a: LoadResult; b: LoadResult }> {
  const half = (spec: PointSpec, warm: boolean) => load({ ...spec, durationSec: (spec.durationSec ?? DURATION_SEC) / 2, warmupSec: warm ? WARMUP_SEC : 0 });
  const a1 = await half(a, true);
  const b1 = await half(b, true);
  const b2 = await half(b, false);
  const a2 = await half(a, false);
  return { a: combine(a1, a2), b: combine(b1, b2) };
}

function combine(x: LoadResult, y: LoadResult): LoadResult {
  const mean = (f: (r: LoadResult) => number) => (f(x) + f(y)) / 2;
  return {
    rps: mean((r) => r.rps),
    p50: mean((r) => r.p50),
    p90: mean((r) => r.p90),
    p99: Math.max(x.p99, y.p99),
    mean: mean((r) => r.mean),
    ok: x.ok + y.ok,
    non2xx: x.non2xx + y.non2xx,
    errors: x.errors + y.errors,
    seconds: x.seconds + y.seconds,
  };
}
