/**
 * Routes as data: one table per surface drives dispatch, 404/405 and the permission each operation needs.
 * Matching is by path segments, split before they are decoded (RequestContext.segments); literal segments compare
 * case-insensitively, as ARM and Key Vault do.
 */
import type { Route } from "./types.js";

interface CompiledRoute<S> {
  route: Route<S>;
  segments: { literal?: string; param?: string }[];
}

export type Match<S> =
  | { kind: "found"; route: Route<S>; params: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

export class Router<S> {
  private readonly compiled: CompiledRoute<S>[];

  constructor(routes: Route<S>[]) {
    this.compiled = routes.map((route) => ({
      route,
      segments: split(route.path).map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment)?.[1];
        return param ? { param } : { literal: segment.toLowerCase() };
      }),
    }));
  }

  match(method: string, parts: readonly string[]): Match<S> {
    const candidates: { route: Route<S>; params: Record<string, string> }[] = [];
    for (const { route, segments } of this.compiled) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const segment = segments[i]!;
        const part = parts[i]!;
        if (segment.param) params[segment.param] = part;
        else ok = segment.literal === part.toLowerCase();
      }
      if (ok) candidates.push({ route, params });
    }
    const exact = candidates.find((c) => c.route.method === method) ?? (method === "HEAD" ? candidates.find((c) => c.route.method === "GET") : undefined);
    if (exact) return { kind: "found", ...exact };
    return candidates.length ? { kind: "method-not-allowed", allowed: candidates.map((c) => c.route.method) } : { kind: "not-found" };
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}
