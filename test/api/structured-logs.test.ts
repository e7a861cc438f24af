/**
 * Structured logs: the default access log is one JSON object per request, with `requestId` equal to the reply's
 * `x-ms-request-id`, a level word and an ISO time, and never a token, secret value or client secret.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { claims, createVault, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VALUE = "logged-nowhere-4b1d";

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("structured logs", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let bearer: string;

  before(async () => {
    server = await startServer({ accessLog: true });
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-logs", "logs-kv", [String(claims(management).oid)]);
    bearer = await token(server, "https://vault.azure.net");
  });
  after(() => server.stop());

  it("logs each request as JSON with requestId = x-ms-request-id, and no value or token", async () => {
    const put = await fetch(`${server.vaultUrl("logs-kv")}/secrets/logged?api-version=7.4`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      body: JSON.stringify({ value: VALUE }),
    });
    assert.equal(put.status, 200);
    const requestId = put.headers.get("x-ms-request-id")!;
    const deadline = Date.now() + 5000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < deadline) {
      line = jsonLines(server.output()).find((l) => l.requestId === requestId);
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line, `no access log line for ${requestId}:\n${server.output().slice(-2000)}`);
    assert.equal(line.level, "info");
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(line.operation, "SetSecret");
    assert.equal(line.status, 200);
    assert.equal(line.method, "PUT");
    assert.equal(line.rid, undefined, "one request id field name: requestId");
    const output = server.output();
    for (const needle of [VALUE, bearer, server.admin.password]) assert.ok(!output.includes(needle));
  });

  it("names every request of the access log by requestId", () => {
    const requests = jsonLines(server.output()).filter((l) => l.status !== undefined);
    assert.ok(requests.length >= 3);
    for (const l of requests) assert.match(String(l.requestId), /^[0-9a-f-]{36}$/);
  });
});
