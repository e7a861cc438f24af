/**
 * 1. Secret read: GET of a 1 KB secret over HTTPS with a valid bearer token, against a bare node:https server with
 * the same certificate and key answering a static body of the same size. The two are loaded in interleaved slices
 * (A B B A) at each connection count so both see the same machine noise.
 */
import path from "node:path";
import { API, adminToken, createVault, putSecrets, VAULT_RESOURCE, type Kluis } from "./kluis.js";
import { loadPair } from "./load.js";
import { startBaseline } from "./lib/proc.js";
import { rps, type Row } from "./report.js";

export const READ_VAULT = "kvbench";

export interface ReadSetup {
  bearer: string;
  bundleBytes: number;
}

/** Vault `kv` with the 1 KB secret `s1`; returns a vault token and the size of the bundle a read returns. */
export async function setupReads(k: Kluis): Promise<ReadSetup> {
  await createVault(k, "bench", READ_VAULT);
  const bearer = await adminToken(k, VAULT_RESOURCE);
  await putSecrets(k, READ_VAULT, bearer, ["s1"], 1024);
  const first = await k.client.ok("GET", `${k.vaultUrl(READ_VAULT)}/secrets/s1?${API}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { bearer, bundleBytes: Buffer.byteLength(first.text) };
}

export async function benchReads(k: Kluis, setup: ReadSetup, connections = [1, 16, 64]): Promise<Row[]> {
  const bare = await startBaseline("bench/baselines/https-static.ts", [
    "--cert",
    path.join(k.dataDir, "tls", "server.pem"),
    "--key",
    path.join(k.dataDir, "tls", "server.key"),
    "--bytes",
    String(setup.bundleBytes),
  ]);
  const rows: Row[] = [];
  try {
    for (const c of connections) {
      const spec = { connections: c, headers: { authorization: `Bearer ${setup.bearer}` } };
      const { a: kluis, b: base } = await loadPair(
        { ...spec, url: `${k.vaultUrl(READ_VAULT)}/secrets/s1?${API}` },
        { ...spec, url: `https://${READ_VAULT}.vault.localhost:${bare.port}/secrets/s1?${API}` },
      );
      const ratio = kluis.rps / base.rps;
      const row: Row = {
        section: "1",
        measure: `secret read 1 KB, ${c} conn`,
        kluis: rps(kluis),
        baseline: { ...rps(base), label: "bare https" },
        ratio,
        note: `${setup.bundleBytes} B body`,
      };
      if (c === 64) Object.assign(row, { target: ">=0.6x bare", met: ratio >= 0.6 });
      rows.push(row);
      if (c === 16) {
        rows.push({ section: "1", measure: "secret read p99, 16 conn", kluis: { value: kluis.p99, unit: "ms" }, target: "<5 ms", met: kluis.p99 < 5 });
      }
    }
  } finally {
    await bare.child.stop();
  }
  return rows;
}
