/**
 * The server's metrics, in one prom-client registry that `/metrics` renders (server/metrics-listener.ts).
 * Label values come from fixed sets (surface and operation names from the route tables, status codes, cache names),
 * never from request data, so the number of series stays bounded whatever clients send.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "kluis_" });

const requests = new Counter({
  name: "kluis_http_requests_total",
  help: "HTTPS requests answered, by surface (authority, vault, metadata), operation and status code.",
  labelNames: ["surface", "operation", "status"] as const,
  registers: [registry],
});

const requestSeconds = new Histogram({
  name: "kluis_http_request_duration_seconds",
  help: "Time from the request's arrival to its reply, by surface, operation and status code.",
  labelNames: ["surface", "operation", "status"] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

const tokensIssued = new Counter({
  name: "kluis_tokens_issued_total",
  help: "Access tokens issued by the identity authority, by how the client authenticated (secret, certificate, managed).",
  labelNames: ["client_auth"] as const,
  registers: [registry],
});

const throttled = new Counter({
  name: "kluis_throttled_requests_total",
  help: "Requests answered 429: failed sign-ins over their limit (limit=sign-in) and Key Vault service limits (limit=vault-<class>).",
  labelNames: ["limit"] as const,
  registers: [registry],
});

const certificateEvents = new Counter({
  name: "kluis_certificate_lifetime_events_total",
  help: "Certificate lifetime actions carried out: AutoRenew (a renewal started) and EmailContacts (a notification recorded).",
  labelNames: ["action"] as const,
  registers: [registry],
});

const cacheLookups = new Counter({
  name: "kluis_cache_lookups_total",
  help: "Lookups in the server's named caches, by cache and result (hit, miss).",
  labelNames: ["cache", "result"] as const,
  registers: [registry],
});

/** Sizes of the caches that report one, read at every scrape. */
const sizes = new Map<string, () => number>();

new Gauge({
  name: "kluis_cache_entries",
  help: "Entries held by each named cache that reports its size.",
  labelNames: ["cache"] as const,
  registers: [registry],
  collect() {
    for (const [cache, size] of sizes) this.set({ cache }, size());
  },
});

const storageSeconds = new Histogram({
  name: "kluis_storage_operation_duration_seconds",
  help: "Time of storage calls, by aggregate (secrets, vaults, principals, …) and method.",
  labelNames: ["aggregate", "method"] as const,
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

const changeFeedLag = new Histogram({
  name: "kluis_change_feed_lag_seconds",
  help: "Time from a change's publication on one node to its arrival at this node (PostgreSQL change feed; node clocks must agree).",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

export function recordChangeFeedLag(seconds: number): void {
  changeFeedLag.observe(seconds);
}

export function recordRequest(surface: string, operation: string, status: number, seconds: number): void {
  const labels = { surface, operation, status: String(status) };
  requests.inc(labels);
  requestSeconds.observe(labels, seconds);
}

export function recordTokenIssued(clientAuth: string): void {
  tokensIssued.inc({ client_auth: clientAuth });
}

export function recordCertificateEvent(action: "AutoRenew" | "EmailContacts"): void {
  certificateEvents.inc({ action });
}

export function recordThrottled(limit: string): void {
  throttled.inc({ limit });
}

export function recordStorageCall(aggregate: string, method: string, seconds: number): void {
  storageSeconds.observe({ aggregate, method }, seconds);
}

/** What a cache reports: call `hit()` or `miss()` on every lookup. */
export interface CacheMetrics {
  hit(): void;
  miss(): void;
}

/**
 * Registers a cache under a fixed, explaining name (e.g. "vault-lookups", "verified-tokens") and returns its hit and
 * miss counters; `size`, if given, is read at every scrape for `kluis_cache_entries`. Registering a name again (a
 * second server in one process) returns counters of the same series.
 */
export function cacheMetrics(name: string, size?: () => number): CacheMetrics {
  if (size) sizes.set(name, size);
  const hits = cacheLookups.labels({ cache: name, result: "hit" });
  const misses = cacheLookups.labels({ cache: name, result: "miss" });
  return { hit: () => hits.inc(), miss: () => misses.inc() };
}
