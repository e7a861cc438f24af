/**
 * Turns requests into audit entries and applies the audit's failure policy.
 *
 * Ordering: a route that may change state (any method but GET/HEAD, unless the route says it only reads — the
 * vault's cryptographic operations are POSTs that change nothing) gets an "intent" record before its handler
 * runs, and a "result" record once the reply is known. With fail-closed (the default), an intent that cannot be
 * written stops the request with 503 before anything changes. Reads and refusals (401/403/404 …) get only a result
 * record, written before the reply leaves: if it can't be written, a fail-closed read answers 503 instead, so no
 * value goes out unrecorded. A write's result record that fails after the change was made can't undo the change:
 * the reply stands, the failure is logged, and the intent record (with no result beside it) still shows who
 * attempted what.
 *
 * Anonymous reads of public documents (health, discovery, signing keys, cloud metadata) are not recorded: they
 * concern no caller and no object, and would drown the log in probes.
 */
import { DomainError } from "../domain/errors.js";
import type { AuditEntry } from "../audit/record.js";
import type { AuditWriter } from "../audit/audit-writer.js";
import { azureErrorReply } from "./errors.js";
import type { Reply, RequestContext, Route } from "./types.js";
import { logger } from "../logging/logger.js";

const MAX_PATH = 512;
const MAX_NAME = 256;
/** At most one log line per this interval while audit writes fail (fail-open), with a count of what was lost. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export class RequestAudit {
  private readonly publicReads = new WeakSet<RequestContext>();
  /** Requests whose route may change state: they get an intent record, and their records are synced at once. */
  private readonly writes = new WeakSet<RequestContext>();
  private failures = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly writer: AuditWriter,
    /** Fail-closed: a request whose record can't be written is refused (503); fail-open logs and goes on. */
    private readonly failClosed: boolean,
  ) {}

  /** Called once the request is authorized, just before its handler. */
  async beforeHandler(ctx: RequestContext, surface: string, route: Route<unknown>): Promise<void> {
    if (!changesState(ctx.method, route)) {
      if (route.permission.kind === "public") this.publicReads.add(ctx);
      return;
    }
    this.writes.add(ctx);
    try {
      await this.writer.append(entryOf(ctx, surface, "intent", null), true);
    } catch (error) {
      this.failed(ctx, error);
      if (this.failClosed) throw unavailable();
    }
  }

  /** Called with the reply about to be sent; returns the reply to send instead. */
  async afterReply(ctx: RequestContext, surface: string, reply: Reply): Promise<Reply> {
    if (this.publicReads.has(ctx)) return reply;
    try {
      await this.writer.append(entryOf(ctx, surface, "result", reply.status), this.writes.has(ctx));
      return reply;
    } catch (error) {
      this.failed(ctx, error);
      return this.failClosed && !this.writes.has(ctx) ? azureErrorReply(unavailable()) : reply;
    }
  }

  private failed(ctx: RequestContext, error: unknown): void {
    this.failures++;
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLog = now;
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ component: "audit", requestId: ctx.requestId, failClosed: this.failClosed, failures: this.failures }, `audit record not written: ${message}`);
    this.failures = 0;
  }
}

function unavailable(): DomainError {
  return new DomainError("ServiceUnavailable", "The audit log could not be written, so the request was not carried out. Retry the request later.");
}

function changesState(method: string, route: Route<unknown>): boolean {
  if (route.readsOnly) return false;
  return method !== "GET" && method !== "HEAD";
}

function entryOf(ctx: RequestContext, surface: string, phase: AuditEntry["phase"], status: number | null): AuditEntry {
  const principal = ctx.principal;
  const vault = (ctx.scope.vault as { name?: string } | undefined)?.name ?? ctx.params.vaultName ?? (surface === "vault" ? hostLabel(ctx.hostname) : undefined);
  return {
    time: new Date().toISOString(),
    phase,
    requestId: ctx.requestId,
    surface,
    method: ctx.method,
    operation: typeof ctx.scope.operation === "string" ? ctx.scope.operation : null,
    path: cut(ctx.path, MAX_PATH),
    vault: vault ? cut(vault, MAX_NAME) : null,
    objectName: pick(ctx.params.name ?? ctx.params.secretName ?? ctx.params.issuerName),
    objectVersion: pick(ctx.params.version),
    caller: principal
      ? { objectId: principal.objectId, appId: principal.appId, managedIdentity: principal.kind === "ManagedIdentity", resourceId: principal.resourceId ?? null }
      : null,
    source: ctx.req.socket?.remoteAddress ?? null,
    status,
  };
}

/**
 * The vault label of a vault-surface host, read no further than a record keeps: a flood of 8 KB host names must
 * not turn into 8 KB copies per request (garbage that grows the heap, though nothing is retained).
 */
function hostLabel(hostname: string): string {
  const dot = hostname.indexOf(".");
  const end = dot === -1 ? hostname.length : dot;
  return end > MAX_NAME ? `${hostname.slice(0, MAX_NAME)}…` : hostname.slice(0, end);
}

function pick(value: string | undefined): string | null {
  return value === undefined ? null : cut(value, MAX_NAME);
}

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
