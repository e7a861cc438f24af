/**
 * `/metrics` in Prometheus text format on its own loopback port (`--metrics-port`): request counts and latency by
 * surface, operation and status, tokens issued, cache hits and misses, storage latency and throttled requests.
 * Never on the HTTPS port, off by default, and free of secret values and tokens.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { claims, createVault, secretClient, token } from "../harness/clients.js";
import { freePort, startServer, type KluisServer } from "../harness/server.js";

const VAULT = "metrics-kv";
const SECRET_VALUE = "metrics-secret-value-7f3a";

/** The value of one series, e.g. `kluis_tokens_issued_total{client_auth="secret"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let metricsPort: number;
  let vaultToken: string;
  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  before(async () => {
    metricsPort = await freePort();
    server = await startServer({ args: ["--metrics-port", String(metricsPort), "--sign-in-failure-limits", "2,100,60"] });
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-metrics", VAULT, [String(claims(management).oid)]);
    vaultToken = await token(server, "https://vault.azure.net");
    const client = secretClient(server, VAULT);
    await client.setSecret("watched", SECRET_VALUE);
    for (let i = 0; i < 3; i++) assert.equal((await client.getSecret("watched")).value, SECRET_VALUE);
  });
  after(() => server.stop());

  it("announces the listener on loopback", () => {
    assert.match(server.output(), new RegExp(`metrics:\\s+http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
  });

  it("counts requests and their latency by surface, operation and status", async () => {
    const text = await scrape();
    assert.ok((sample(text, 'kluis_http_requests_total{surface="vault",operation="GetSecret",status="200"}') ?? 0) >= 3, text.slice(0, 2000));
    assert.ok((sample(text, 'kluis_http_requests_total{surface="vault",operation="SetSecret",status="200"}') ?? 0) >= 1);
    assert.ok((sample(text, 'kluis_http_request_duration_seconds_count{surface="vault",operation="GetSecret",status="200"}') ?? 0) >= 3);
    assert.ok(sample(text, 'kluis_http_request_duration_seconds_bucket{le="0.1",surface="vault",operation="GetSecret",status="200"}') !== undefined);
    // The SDK's first request of each client carries no token: the challenge is counted as a 401.
    assert.ok((sample(text, 'kluis_http_requests_total{surface="vault",operation="Unmatched",status="401"}') ?? 0) >= 1);
    assert.ok((sample(text, 'kluis_http_requests_total{surface="authority",operation="Token",status="200"}') ?? 0) >= 1);
  });

  it("counts tokens issued, cache hits and misses, and storage latency", async () => {
    const text = await scrape();
    assert.ok((sample(text, 'kluis_tokens_issued_total{client_auth="secret"}') ?? 0) >= 2);
    assert.ok((sample(text, 'kluis_cache_lookups_total{cache="vault-lookups",result="hit"}') ?? 0) >= 1);
    assert.ok((sample(text, 'kluis_cache_lookups_total{cache="vault-lookups",result="miss"}') ?? 0) >= 1);
    assert.ok((sample(text, 'kluis_cache_lookups_total{cache="verified-tokens",result="hit"}') ?? 0) >= 1);
    assert.ok((sample(text, 'kluis_cache_entries{cache="vault-lookups"}') ?? 0) >= 1);
    assert.ok(text.split("\n").some((l) => l.startsWith('kluis_storage_operation_duration_seconds_count{aggregate="secrets",')), "storage calls timed");
    assert.ok(sample(text, "kluis_process_resident_memory_bytes") !== undefined, "process metrics");
  });

  it("counts throttled requests", async () => {
    const before = sample(await scrape(), 'kluis_throttled_requests_total{limit="sign-in"}') ?? 0;
    for (let i = 0; i < 4; i++) {
      await fetch(`${server.url}/${server.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: server.admin.appId, client_secret: `wrong-${i}`, scope: "https://vault.azure.net/.default" }),
      });
    }
    assert.equal(sample(await scrape(), 'kluis_throttled_requests_total{limit="sign-in"}'), before + 2, "2 failures allowed, 2 throttled");
  });

  it("holds no secret value, token or client secret", async () => {
    const text = await scrape();
    for (const needle of [SECRET_VALUE, vaultToken, server.admin.password, "wrong-"]) assert.ok(!text.includes(needle));
  });

  it("is served on its own port only: the HTTPS port answers 404, other paths on the metrics port too", async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    assert.equal((await fetch(`${server.vaultUrl(VAULT)}/metrics`, { headers: { authorization: `Bearer ${vaultToken}` } })).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404);
  });
});

describe("metrics are off by default", { timeout: 60_000 }, () => {
  it("a server without --metrics-port announces no metrics listener", async () => {
    const server = await startServer();
    try {
      assert.doesNotMatch(server.output(), /metrics:/);
    } finally {
      await server.stop();
    }
  });
});
