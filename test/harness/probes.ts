/** Raw HTTP probes for negative tests: every reply is checked to be no 5xx, and errors are checked field by field. */
import assert from "node:assert/strict";
import { token } from "./clients.js";
import type { KluisServer } from "./server.js";

export interface Probe {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: any;
}

export interface ProbeOptions {
  bearer?: string;
  /** Sent as is when a string or Buffer, as JSON otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Sends one request; fails the test on any 5xx, which bad input must never cause. */
export async function probe(method: string, url: string, options: ProbeOptions = {}): Promise<Probe> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  let body: string | Buffer | undefined;
  if (typeof options.body === "string" || Buffer.isBuffer(options.body)) body = options.body;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  assert.ok(response.status < 500, `${method} ${url} answered ${response.status}: ${text}`);
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Asserts an Azure-style error: `{"error":{"code","message","innererror"?:{"code"}}}`. */
export function assertAzureError(reply: Probe, status: number, code: string, fragment: string | RegExp, inner?: string): void {
  const where = `${reply.status} ${reply.text}`;
  assert.equal(reply.status, status, where);
  assert.equal(reply.body?.error?.code, code, where);
  const message = String(reply.body?.error?.message ?? "");
  if (typeof fragment === "string") assert.ok(message.includes(fragment), `expected message containing ${JSON.stringify(fragment)}: ${where}`);
  else assert.match(message, fragment, where);
  if (inner !== undefined) assert.equal(reply.body?.error?.innererror?.code, inner, where);
}

/** Asserts an OAuth-style error from the token endpoint: `{error, error_description, error_codes, …}`. */
export function assertOAuthError(reply: Probe, status: number, error: string, fragment: string): void {
  const where = `${reply.status} ${reply.text}`;
  assert.equal(reply.status, status, where);
  assert.equal(reply.body?.error, error, where);
  assert.ok(String(reply.body?.error_description ?? "").includes(fragment), `expected description containing ${JSON.stringify(fragment)}: ${where}`);
  assert.ok(Array.isArray(reply.body?.error_codes), where);
  for (const field of ["timestamp", "trace_id", "correlation_id"]) assert.equal(typeof reply.body?.[field], "string", `${field}: ${where}`);
  assert.equal(reply.body?.access_token, undefined, where);
}

export interface CreatedPrincipal {
  appId: string;
  password: string;
  objectId: string;
}

/** Creates an ordinary (non-administrator) service principal through the directory API, as `create-for-rbac` does. */
export async function createPrincipal(server: KluisServer, graphToken: string, displayName: string): Promise<CreatedPrincipal> {
  const created = await probe("POST", `${server.url}/v1.0/applications`, { bearer: graphToken, body: { displayName } });
  assert.equal(created.status, 201, created.text);
  const password = await probe("POST", `${server.url}/v1.0/applications/${created.body.id}/addPassword`, { bearer: graphToken, body: {} });
  assert.equal(password.status, 200, password.text);
  const appId = String(created.body.appId);
  const secretText = String(password.body.secretText);
  const listed = await probe("GET", `${server.url}/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}`, { bearer: graphToken });
  assert.equal(listed.status, 200, listed.text);
  return { appId, password: secretText, objectId: String(listed.body.value[0].id) };
}

/** A token for `resource` on behalf of `principal`. */
export function tokenFor(server: KluisServer, resource: string, principal: CreatedPrincipal): Promise<string> {
  return token(server, resource, principal.appId, principal.password);
}

export function decodeSegment(jwt: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[index]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

export function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}
