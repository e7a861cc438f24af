/**
 * The CLI's only way to the server: HTTPS like any other client, trusting the public roots plus the server's
 * own CA (`<dataDir>/tls/ca.pem`), over one keep-alive agent so that a command making several calls pays the
 * TLS handshake once. Failures become az-style `(Code) message` errors; request bodies, tokens and response
 * bodies are never logged or put into a message, because they carry secrets.
 */
import dns from "node:dns";
import fs from "node:fs";
import https from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { LookupFunction } from "node:net";
import tls from "node:tls";
import { CliError, RequestError } from "./errors.js";

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, the text otherwise, undefined when empty. */
  body: unknown;
}

export interface HttpRequest {
  method: string;
  url: string;
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface HttpClientOptions {
  /** The server's CA bundle; a missing file is fine (a server run with a publicly trusted certificate). */
  caFile?: string;
  debug?: boolean;
}

/** RFC 6761: every name under .localhost is loopback. Not every resolver knows it, so say it here. */
const resolveLocalhost: LookupFunction = (hostname, options, callback) => {
  const name = hostname.endsWith(".localhost") ? "localhost" : hostname;
  // LookupFunction's callback is the union of dns.lookup's overloads; pass both through untouched.
  (dns.lookup as (host: string, opts: unknown, cb: unknown) => void)(name, options, callback);
};

export class HttpClient {
  private readonly agent: https.Agent;

  constructor(private readonly options: HttpClientOptions = {}) {
    const ca = [...tls.rootCertificates];
    if (options.caFile && fs.existsSync(options.caFile)) ca.push(fs.readFileSync(options.caFile, "utf8"));
    this.agent = new https.Agent({ keepAlive: true, ca, lookup: resolveLocalhost });
  }

  /** Sends the request and returns whatever came back, errors included; see `call` for the throwing variant. */
  send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const headers: Record<string, string> = { Accept: "application/json", ...request.headers };
    let payload: string | undefined;
    if (request.form !== undefined) {
      payload = new URLSearchParams(request.form).toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else if (request.json !== undefined) {
      payload = JSON.stringify(request.json);
      headers["Content-Type"] = "application/json";
    }
    if (payload !== undefined) headers["Content-Length"] = String(Buffer.byteLength(payload));
    if (request.token !== undefined) headers.Authorization = `Bearer ${request.token}`;
    this.debug(`Request: ${request.method} ${url.origin}${url.pathname}${url.search}`);

    return new Promise<HttpResponse>((resolve, reject) => {
      const req = https.request(url, { method: request.method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          this.debug(`Response status: ${res.statusCode ?? 0}`);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parseBody(text, res.headers["content-type"]) });
        });
      });
      req.on("error", (error: NodeJS.ErrnoException) => reject(connectionError(url, error)));
      // A server that accepts the connection but never answers should not hang a script forever.
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })));
      req.end(payload);
    });
  }

  /** Sends the request and throws a RequestError unless the status is 2xx. */
  async call(request: HttpRequest): Promise<HttpResponse> {
    const response = await this.send(request);
    if (response.status >= 200 && response.status < 300) return response;
    throw toRequestError(response);
  }

  close(): void {
    this.agent.destroy();
  }

  private debug(line: string): void {
    if (this.options.debug) process.stderr.write(`DEBUG: ${line}\n`);
  }
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === "") return undefined;
  if (contentType?.includes("json") || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

const REQUEST_TIMEOUT_MS = 120_000;

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Reads both error shapes the server speaks: ARM/Key Vault `{error:{code,message}}` and OAuth `{error, error_description}`. */
export function toRequestError(response: Pick<HttpResponse, "status" | "body">): RequestError {
  const body = response.body;
  if (typeof body === "object" && body !== null) {
    const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
    if (typeof error === "object" && error !== null) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      return new RequestError(response.status, String(code ?? response.status), String(message ?? ""));
    }
    if (typeof error === "string") {
      return new RequestError(response.status, error, typeof description === "string" ? description : error);
    }
  }
  const statusText = STATUS_TEXT[response.status] ?? "Unexpected Status";
  return new RequestError(response.status, String(response.status), `Operation returned an invalid status '${statusText}'`);
}

function connectionError(url: URL, error: NodeJS.ErrnoException): CliError {
  const where = url.origin;
  if (error.code === "ECONNREFUSED") {
    return new CliError(`Failed to connect to ${where}: connection refused. Is 'kluis server' running on that port?`);
  }
  if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") {
    return new CliError(`Failed to resolve host '${url.hostname}'.`);
  }
  if (error.code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new CliError(`The TLS certificate of ${where} does not name host '${url.hostname}'.`);
  }
  if (error.code?.includes("CERT") || error.code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE") {
    return new CliError(
      `TLS certificate of ${where} is not trusted (${error.code}). Point --data-dir at the server's data directory so that its tls/ca.pem is trusted.`,
    );
  }
  return new CliError(`Request to ${where} failed: ${error.code ?? error.message}`);
}
