/** Transport-level types shared by every surface: the request context, a reply, and a route as data. */
import type { IncomingMessage } from "node:http";
import type { Principal } from "../domain/principal.js";
import type { Permission } from "../domain/authz.js";
import type { BodySchema } from "./body-schema.js";

export interface Reply {
  status: number;
  body?: unknown;
  /** A body sent as it is, not as JSON (a PEM file); its content-type comes in `headers`. */
  text?: string;
  headers?: Record<string, string>;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly method: string;
  /** Host name, lower-cased, without port. */
  readonly hostname: string;
  /** The path's segments, split on `/` first and then percent-decoded each: a decoded segment may contain `/`. */
  readonly segments: readonly string[];
  /**
   * The decoded segments joined again, without query and trailing slash (except "/"); a `/` inside a segment stays
   * `%2F`, so the path has the same segments as the request. For messages, logs and resource-id scopes.
   */
  readonly path: string;
  /** Query parameters with percent-decoded, lower-cased keys (the JS SDK sends `api%2Dversion`). */
  readonly query: ReadonlyMap<string, string>;
  readonly requestId: string;
  params: Record<string, string>;
  principal?: Principal;
  /** Surface-specific state, e.g. the vault a data-plane request addresses. */
  scope: Record<string, unknown>;
  header(name: string): string | undefined;
  json(): Promise<unknown>;
  form(): Promise<URLSearchParams>;
}

export interface Route<S = unknown> {
  method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE" | "HEAD";
  /** Segments; `{name}` captures one segment. Literal segments match case-insensitively, as ARM does. */
  path: string;
  /** Stable operation name, used in logs and authorization messages. */
  operation: string;
  permission: Permission;
  /**
   * True for an operation that changes nothing although its method is not GET (the vault's cryptographic
   * operations and random bytes are POSTs): the audit log records it as a read (request-audit.ts).
   */
  readsOnly?: boolean;
  /** The request body's schema, checked after authorization and before the handler (see body-schema.ts). */
  body?: BodySchema;
  handler: (ctx: RequestContext, services: S) => Promise<Reply>;
}
