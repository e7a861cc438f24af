import type { RequestContext } from "./types.js";

/** The token of an `Authorization: Bearer <token>` header, or undefined for anything else. */
export function bearerToken(ctx: RequestContext): string | undefined {
  const header = ctx.header("authorization");
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}
