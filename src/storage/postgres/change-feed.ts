/**
 * The change feed over PostgreSQL LISTEN/NOTIFY, so that a change made through one node reaches the caches of every
 * node within milliseconds.
 *
 * Listening needs one connection held open for the node's life (a pooled connection would be handed to other
 * queries and lose its LISTEN), so this owns a dedicated pg.Client. When that connection drops, the feed is not
 * `live` (caches fall back to a short TTL) and it reconnects with capped exponential backoff; once listening again
 * it emits `{ kind: "all" }`, because whatever was notified while it was away is lost for good. A heartbeat query
 * notices a connection that died without a FIN (black-holed host), which would otherwise look live forever.
 *
 * Channels are database-wide while our tables are per schema, so the payload names the schema and listeners ignore
 * other schemas' changes. Publishing goes through a small pool of its own: the listening connection may be down
 * exactly when a change needs announcing.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { logger } from "../../logging/logger.js";
import { recordChangeFeedLag } from "../../metrics/registry.js";
import { Subscribers, type ChangeFeed, type ChangeHandler, type ChangeKind } from "../../domain/change-feed.js";

export const CHANNEL = "kluis_changes";
const KINDS: ReadonlySet<string> = new Set<ChangeKind>(["vault", "principal", "role-assignment", "settings", "machine"]);
const CONNECT_TIMEOUT_MS = 2000;
const HEARTBEAT_MS = 5000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

export interface PostgresChangeFeedOptions {
  schema?: string | null;
  heartbeatMs?: number;
}

interface Payload {
  /** Schema the change belongs to ("" for the default search_path). */
  s: string;
  /** Publishing node: it invalidated its own caches already. */
  o: string;
  k: ChangeKind;
  key: string;
  /** When the publishing node sent it (ms since the epoch), for the change-feed lag metric; absent from older nodes. */
  t?: number;
}

export class PostgresChangeFeed implements ChangeFeed {
  private readonly node = randomUUID();
  private readonly subscribers = new Subscribers();
  private readonly publisher: pg.Pool;
  private client: pg.Client | null = null;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly options: PostgresChangeFeedOptions = {},
  ) {
    this.publisher = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: CONNECT_TIMEOUT_MS, idleTimeoutMillis: 30_000, application_name: "kluis-changes" });
    this.publisher.on("error", () => {});
  }

  get live(): boolean {
    return this.connected;
  }

  /** First connection attempt; a failure is not fatal: the feed keeps retrying and caches run on TTLs meanwhile. */
  async start(): Promise<void> {
    await this.connect();
  }

  async publish(kind: ChangeKind, key: string): Promise<void> {
    this.subscribers.emit({ kind, key });
    const payload: Payload = { s: this.options.schema ?? "", o: this.node, k: kind, key, t: Date.now() };
    try {
      await this.publisher.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(payload)]);
    } catch (error) {
      // The write this announces has committed; other nodes see it when their cache entries expire (≤ 1 s).
      log("warn", "could not publish change", error);
    }
  }

  subscribe(handler: ChangeHandler): () => void {
    return this.subscribers.add(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = null;
    this.connected = false;
    await Promise.all([client?.end().catch(() => {}), this.publisher.end().catch(() => {})]);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: "kluis-changes" });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    client.on("notification", (message) => this.deliver(message));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client || this.closed) return;
    const recovered = this.attempt > 0;
    this.attempt = 0;
    this.connected = true;
    if (recovered) log("info", "change feed listening again", null);
    // Anything may have changed while nobody listened (or before the first LISTEN): every cache starts over.
    this.subscribers.emit({ kind: "all" });
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      client.query("SELECT 1").catch((error: unknown) => this.lost(client, error));
    }, this.options.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Called for every failure of `client`, possibly several times; only the first for the current client counts. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.connected) log("warn", "change feed connection lost; caches fall back to a 1 s TTL", error);
    this.connected = false;
    clearInterval(this.heartbeat);
    client.end().catch(() => {});
    if (this.closed) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }

  private deliver(message: pg.Notification): void {
    if (message.channel !== CHANNEL || !message.payload) return;
    let payload: Partial<Payload>;
    try {
      payload = JSON.parse(message.payload) as Partial<Payload>;
    } catch {
      return;
    }
    if (payload.s !== (this.options.schema ?? "") || payload.o === this.node) return;
    if (typeof payload.k !== "string" || !KINDS.has(payload.k) || typeof payload.key !== "string") return;
    this.subscribers.emit({ kind: payload.k, key: payload.key });
    if (typeof payload.t === "number") recordChangeFeedLag(Math.max(0, Date.now() - payload.t) / 1000);
  }
}

export async function openPostgresChangeFeed(url: string, options: PostgresChangeFeedOptions = {}): Promise<PostgresChangeFeed> {
  const feed = new PostgresChangeFeed(url, options);
  await feed.start();
  return feed;
}

function log(level: "info" | "warn", message: string, error: unknown): void {
  const detail = error === null ? {} : { error: error instanceof Error ? error.message : String(error) };
  logger[level]({ component: "change-feed", ...detail }, message);
}
