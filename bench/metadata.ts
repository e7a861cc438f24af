/**
 * 2. Tokens from a machine's metadata endpoint (IMDS protocol, plain http on 127.0.0.1).
 *  - cached: the same identity and resource repeatedly, which the endpoint answers from its token cache;
 *  - uncached: every (identity, audience) pair asked exactly once across many machines, so each answer is a
 *    fresh RS256 issuance. Both against a bare node:http server answering a body of the same size, driven the
 *    same way (autocannon for cached, the same one-shot request loop for uncached).
 */
import { createMachines, VAULT_RESOURCE, type Kluis } from "./kluis.js";
import { Client, pool } from "./lib/http.js";
import { loadPair } from "./load.js";
import { startBaseline } from "./lib/proc.js";
import { rps, type Row } from "./report.js";

const IMDS_PATH = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=";
const MACHINES = Number(process.env.BENCH_MACHINES ?? 40);
const CONNECTIONS = 16;

function audiences(k: Kluis): string[] {
  const bare = [`https://vault.localhost:${k.port}`, VAULT_RESOURCE, k.authorityUrl, "https://management.azure.com", "https://management.core.windows.net", "https://graph.microsoft.com"];
  return [...bare, ...bare.map((a) => `${a}/`), "00000003-0000-0000-c000-000000000000"];
}

/** Issues `urls` once each, `CONNECTIONS` at a time, over keep-alive connections; returns rate and latencies. */
async function oneShotLoop(urls: string[]): Promise<{ rps: number; p50: number; p99: number }> {
  const client = new Client();
  const times: number[] = [];
  const began = process.hrtime.bigint();
  await pool(urls.length, CONNECTIONS, async (i) => {
    const t = process.hrtime.bigint();
    const reply = await client.request("GET", urls[i]!, { headers: { metadata: "true" } });
    if (reply.status !== 200) throw new Error(`metadata endpoint answered ${reply.status}: ${reply.text}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  });
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  client.close();
  times.sort((a, b) => a - b);
  return { rps: urls.length / seconds, p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

export async function benchMetadata(k: Kluis): Promise<Row[]> {
  const endpoints = await createMachines(k, "bench-vms", MACHINES + 1);
  const cachedUrl = `${endpoints[0]}${IMDS_PATH}${encodeURIComponent(VAULT_RESOURCE)}`;
  const probe = await k.client.ok("GET", cachedUrl, { headers: { metadata: "true" } });
  const bytes = Buffer.byteLength(probe.text);
  const bare = await startBaseline("bench/baselines/http-static.ts", ["--bytes", String(bytes)]);
  const rows: Row[] = [];
  try {
    const headers = { metadata: "true" };
    const { a: cached, b: base } = await loadPair(
      { url: cachedUrl, connections: CONNECTIONS, headers },
      { url: `http://127.0.0.1:${bare.port}${IMDS_PATH}x`, connections: CONNECTIONS, headers },
    );
    const ratio = cached.rps / base.rps;
    rows.push({
      section: "2",
      measure: `IMDS token cached, ${CONNECTIONS} conn`,
      kluis: rps(cached),
      baseline: { ...rps(base), label: "bare http" },
      ratio,
      target: ">=0.7x bare",
      met: ratio >= 0.7,
      note: `${bytes} B body`,
    });

    // Every pair once: fresh issuance each time. The bare server sees the same loop with the same count.
    const fresh = endpoints.slice(1).flatMap((ep) => audiences(k).map((a) => `${ep}${IMDS_PATH}${encodeURIComponent(a)}`));
    const uncached = await oneShotLoop(fresh);
    const bareLoop = await oneShotLoop(fresh.map((_, i) => `http://127.0.0.1:${bare.port}${IMDS_PATH}${i}`));
    rows.push({
      section: "2",
      measure: `IMDS token uncached, ${CONNECTIONS} in flight`,
      kluis: { value: uncached.rps, unit: "req/s", p50: uncached.p50, p99: uncached.p99 },
      baseline: { value: bareLoop.rps, unit: "req/s", p50: bareLoop.p50, p99: bareLoop.p99, label: "bare http" },
      ratio: uncached.rps / bareLoop.rps,
      note: `${fresh.length} first issues, ${MACHINES} identities`,
    });
  } finally {
    await bare.child.stop();
  }
  return rows;
}
