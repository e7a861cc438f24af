/** Builds the request context: parsed host, path and query, and lazily read, size-limited bodies. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { DomainError } from "../domain/errors.js";
import type { RequestContext } from "./types.js";

/** The client went away before its request was complete: routine, not a failure of the server. */
export class ClientDisconnected extends Error {
  override readonly name = "ClientDisconnected";
  constructor() {
    super("client disconnected before the request was complete");
  }
}

/** Large enough for any Key Vault request (certificate imports included), small enough to refuse floods. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function createContext(req: IncomingMessage): RequestContext {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new Map<string, string>();
  if (q !== -1) {
    // URLSearchParams percent-decodes keys too, so `api%2Dversion` arrives as `api-version`.
    for (const [key, value] of new URLSearchParams(rawUrl.slice(q + 1))) {
      const k = key.toLowerCase();
      if (!query.has(k)) query.set(k, value);
    }
  }
  let bodyPromise: Promise<Buffer> | undefined;
  const readBody = () => (bodyPromise ??= readLimited(req));
  const segments = pathSegments(rawPath);
  return {
    req,
    method: (req.method ?? "GET").toUpperCase(),
    hostname: parseHostname(req.headers.host ?? ""),
    segments,
    path: segments.length === 0 ? "/" : `/${segments.map((s) => s.replace(/\//g, "%2F")).join("/")}`,
    query,
    requestId: randomUUID(),
    params: {},
    scope: {},
    header: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    json: async () => {
      const body = await readBody();
      if (body.length === 0) return undefined;
      try {
        return JSON.parse(body.toString("utf8")) as unknown;
      } catch {
        throw new DomainError("BadParameter", "The request body is not valid JSON.");
      }
    },
    form: async () => new URLSearchParams((await readBody()).toString("utf8")),
  };
}

function parseHostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]")).toLowerCase();
  const colon = host.lastIndexOf(":");
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

/**
 * Split first, decode each segment after: `/secrets/a%2Fv1` is two segments, the second `a/v1`, so an encoded `/`
 * can never make a path select another route (it reaches the handler as part of a name, which refuses it).
 */
function pathSegments(rawPath: string): string[] {
  return rawPath
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!s.includes("%")) return s;
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

function readLimited(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new DomainError("RequestTooLarge", `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        reject(new DomainError("RequestTooLarge", `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    // A connection reset or closed mid-body ends here (Node's "aborted" error, or a close without "end").
    req.on("error", () => reject(new ClientDisconnected()));
    req.on("close", () => {
      if (!req.complete) reject(new ClientDisconnected());
    });
  });
}
