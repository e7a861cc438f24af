/**
 * The load generator, in its own process: runs autocannon (keep-alive connections) against one URL after a short
 * warm-up and prints one JSON line with throughput and latency percentiles. Latencies are taken from autocannon's
 * per-response event at microsecond resolution (its own histogram keeps whole milliseconds only).
 *
 * Usage: node --import tsx bench/load-worker.ts '<LoadSpec JSON>'
 */
import { createRequire } from "node:module";

export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  warmupSec?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** When set, each request's path is `pathTemplate` with `{n}` replaced by a random integer in [0, pathCount). */
  pathTemplate?: string;
  pathCount?: number;
  /** TLS server name (SNI); defaults to the URL's host name. */
  servername?: string;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

interface AutocannonRequest {
  path?: string;
  [key: string]: unknown;
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: "done", listener: (result: { errors: number; timeouts: number; duration: number }) => void): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function run(spec: LoadSpec, durationSec: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  const requests =
    spec.pathTemplate !== undefined
      ? [
          {
            setupRequest: (req: AutocannonRequest) => ({
              ...req,
              path: spec.pathTemplate!.replace("{n}", String(Math.floor(Math.random() * (spec.pathCount ?? 1)))),
            }),
          },
        ]
      : undefined;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: durationSec,
    method: spec.method ?? "GET",
    headers: spec.headers ?? {},
    body: spec.body,
    requests,
    servername: spec.servername,
    pipelining: 1,
    timeout: 30,
  });
  const started = process.hrtime.bigint();
  instance.on("response", (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) {
      ok++;
      latencies.push(ms);
    } else non2xx++;
  });
  return new Promise((resolve) => {
    instance.on("done", (result) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const sorted = Float64Array.from(latencies).sort();
      const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
      const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
      resolve({ rps: ok / seconds, p50: pct(50), p90: pct(90), p99: pct(99), mean, ok, non2xx, errors: result.errors + result.timeouts, seconds });
    });
  });
}

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
if (spec.warmupSec) await run(spec, spec.warmupSec);
process.stdout.write(`${JSON.stringify(await run(spec, spec.durationSec))}\n`);
