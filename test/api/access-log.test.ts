/**
 * The access log as a server writes it by default (every other test server runs with --no-access-log): one JSON
 * line per request on stdout, carrying the request id the client saw, and never a secret value or a token.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { claims, createVault, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

interface AccessLine {
  time: string;
  requestId: string;
  host: string;
  method: string;
  path: string;
  operation: string | null;
  status: number;
  ms: number;
}

describe("the default access log", { timeout: 120_000 }, () => {
  let server: KluisServer;
  before(async () => {
    server = await startServer({ accessLog: true });
  });
  after(() => server?.stop());

  it("writes one line per request with its request id, operation and status, and no value or token", { timeout: 60_000 }, async () => {
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-log", "log-vault", [String(claims(management).oid)]);
    const bearer = await token(server, `https://vault.localhost:${server.port}`);
    const value = `logged-never-${randomUUID()}`;
    const vault = server.vaultUrl("log-vault");
    const requests: { rid: string; method: string; path: string; status: number; op: string | null }[] = [];
    const send = async (method: string, path: string, op: string | null, headers: Record<string, string> = {}, body?: string) => {
      const response = await fetch(`${vault}${path}?api-version=7.4`, { method, headers, body });
      await response.arrayBuffer();
      requests.push({ rid: response.headers.get("x-ms-request-id")!, method, path, status: response.status, op });
    };
    const auth = { authorization: `Bearer ${bearer}` };
    await send("PUT", "/secrets/logged", "SetSecret", { ...auth, "content-type": "application/json" }, JSON.stringify({ value }));
    await send("GET", "/secrets/logged", "GetSecret", auth);
    await send("GET", "/secrets/logged", null); // the challenge: no token
    await send("GET", "/secrets/missing", "GetSecret", auth);
    assert.deepEqual(
      requests.map((r) => r.status),
      [200, 200, 401, 404],
    );

    // The log is written after the reply: give the last line a moment to arrive.
    const deadline = Date.now() + 5_000;
    const lines = () =>
      server
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{") && l.includes('"requestId"') && l.includes('"status"'))
        .map((l) => JSON.parse(l) as AccessLine);
    while (!requests.every((r) => lines().some((l) => l.requestId === r.rid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    for (const request of requests) {
      const matching = lines().filter((l) => l.requestId === request.rid);
      assert.equal(matching.length, 1, `one access line for ${request.method} ${request.path} (${request.rid})`);
      const line = matching[0]!;
      assert.equal(line.method, request.method);
      assert.equal(line.path, request.path);
      assert.equal(line.status, request.status);
      assert.equal(line.operation, request.op);
      assert.equal(line.host, "log-vault.vault.localhost");
      assert.ok(Number.isFinite(line.ms) && line.ms >= 0, JSON.stringify(line));
      assert.ok(!Number.isNaN(Date.parse(line.time)), JSON.stringify(line));
    }
    const output = server.output();
    assert.ok(!output.includes(value), "the access log holds a secret value");
    assert.ok(!output.includes(bearer), "the access log holds a token");
    assert.ok(!output.includes(bearer.split(".")[2]!), "the access log holds a token's signature");
  });
});
