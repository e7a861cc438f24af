/**
 * The request pipeline every HTTPS surface runs: prepare → route → authenticate → validate → authorize → check the
 * body against the route's schema → handle.
 * Errors from any step are rendered once, in the surface's wire style.
 */
import type { ServerResponse } from "node:http";
import type { Authorizer, AuthzTarget } from "../domain/authz.js";
import { DomainError, OAuthError } from "../domain/errors.js";
import type { Principal } from "../domain/principal.js";
import type { VaultRecord } from "../storage/types.js";
import { checkBody } from "./body-schema.js";
import { ClientDisconnected } from "./context.js";
import { logger } from "../logging/logger.js";
import { azureErrorReply, oauthErrorReply, toDomainError } from "./errors.js";
import type { RequestAudit } from "./request-audit.js";
import type { Router } from "./router.js";
import type { Reply, RequestContext, Route } from "./types.js";

export interface Surface<S> {
  readonly name: string;
  readonly router: Router<S>;
  readonly services: S;
  /** Decides whether the principal may run the route on its target (domain/authz.ts). */
  readonly authorizer: Authorizer;
  /** Runs before routing (vault lookup, the bearer challenge); may answer on its own by returning a reply. */
  prepare?(ctx: RequestContext): Promise<Reply | undefined>;
  /** Turns the request's credentials into a principal; throws DomainError("Unauthorized") when it can't. */
  authenticate(ctx: RequestContext): Promise<Principal>;
  /** Checks what every route of the surface requires, e.g. the api-version. */
  validate?(ctx: RequestContext, route: Route<S>): void;
  /** Adds surface headers to every reply, e.g. the challenge on a 401. */
  finish?(ctx: RequestContext, reply: Reply): Reply;
  /** Records every request in the audit log (see request-audit.ts for what, and in which order). */
  audit?: RequestAudit;
}

export async function runPipeline<S>(surface: Surface<S>, ctx: RequestContext): Promise<Reply> {
  let reply: Reply;
  try {
    reply = (await surface.prepare?.(ctx)) ?? (await route(surface, ctx));
  } catch (error) {
    if (error instanceof ClientDisconnected) {
      logger.debug({ requestId: ctx.requestId, surface: surface.name, operation: ctx.scope.operation ?? null }, error.message);
      // Nobody is left to read this, unless the client only half-closed; then it says why.
      return azureErrorReply(new DomainError("BadRequest", "The request body ended before its declared length."));
    }
    const failure = toDomainError(error);
    if (failure instanceof DomainError && failure.code === "InternalError") {
      logger.error({ requestId: ctx.requestId, surface: surface.name, operation: ctx.scope.operation, error: describe(error) }, "request failed");
    }
    reply = failure instanceof OAuthError ? oauthErrorReply(failure) : azureErrorReply(failure);
  }
  if (surface.audit) reply = await surface.audit.afterReply(ctx, surface.name, reply);
  return surface.finish ? surface.finish(ctx, reply) : reply;
}

async function route<S>(surface: Surface<S>, ctx: RequestContext): Promise<Reply> {
  const match = surface.router.match(ctx.method, ctx.segments);
  if (match.kind === "not-found") {
    throw new DomainError("NotFound", `The requested resource '${ctx.method} ${ctx.path}' was not found.`);
  }
  if (match.kind === "method-not-allowed") {
    throw new DomainError("MethodNotAllowed", `The requested resource does not support http method '${ctx.method}'.`);
  }
  const { route, params } = match;
  ctx.params = params;
  ctx.scope.operation = route.operation;
  if (route.permission.kind !== "public") ctx.principal = await surface.authenticate(ctx);
  surface.validate?.(ctx, route);
  const permission = route.permission;
  if (permission.kind === "management" || permission.kind === "data") {
    await surface.authorizer.authorize(ctx.principal!, permission, targetOf(ctx, route));
  }
  if (route.body) await checkBody(ctx, route.body);
  await surface.audit?.beforeHandler(ctx, surface.name, route as Route<unknown>);
  return route.handler(ctx, surface.services);
}

/** What the request touches: ARM paths are resource ids; a vault object is named by the route's `{name}`. */
function targetOf<S>(ctx: RequestContext, route: Route<S>): AuthzTarget {
  if (route.permission.kind !== "data") return { plane: "management", path: ctx.path };
  return { plane: "data", vault: ctx.scope.vault as VaultRecord, operation: route.operation, objectName: ctx.params.name };
}

export function sendReply(res: ServerResponse, ctx: RequestContext, reply: Reply): void {
  const headers: Record<string, string | number> = { "x-ms-request-id": ctx.requestId, ...reply.headers };
  // A string body goes out in one write with the headers; a Buffer would take a separate writev chunk.
  let payload: string | undefined;
  if ((reply.body !== undefined || reply.text !== undefined) && reply.status !== 204 && ctx.method !== "HEAD") {
    payload = reply.text ?? JSON.stringify(reply.body);
    headers["content-type"] ??= "application/json; charset=utf-8";
    headers["content-length"] = Buffer.byteLength(payload, "utf8");
  } else {
    headers["content-length"] = 0;
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function describe(error: unknown): string {
  // Stack and message of our own failures only; they never contain request bodies or secret values.
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : "non-error thrown";
}
