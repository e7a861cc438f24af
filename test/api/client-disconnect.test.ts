/**
 * A client that goes away mid-request is ordinary, not a server failure: it costs one debug line (when debug logging
 * is on) and never an error line or a stack trace, and the server keeps serving.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { claims, createVault, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

const DISCONNECTS = 10;

/** Sends headers promising `declared` bytes, then a few of them, then disconnects without the rest. */
function slowBodyThenGone(server: KluisServer, host: string, head: string, declared: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: server.port, servername: "localhost" }, () => {
      socket.write(`${head}\r\nHost: ${host}\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write("grant_type=client_cred");
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 150);
    });
    socket.on("error", reject);
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stackLines = (log: string) => log.split("\n").filter((line) => /^\s+at /.test(line) || line.includes("\\n    at "));
const errorLines = (log: string) => log.split("\n").filter((line) => /"level":"error"/.test(line));
const debugLines = (log: string) => log.split("\n").filter((line) => /"level":"debug"/.test(line));

describe("client disconnects", { timeout: 60_000 }, () => {
  let quiet: KluisServer;
  let verbose: KluisServer;
  before(async () => {
    [quiet, verbose] = await Promise.all([startServer(), startServer({ args: ["--log-level", "debug"] })]);
  });
  after(async () => {
    await Promise.all([quiet?.stop(), verbose?.stop()]);
  });

  async function disconnectMidBody(server: KluisServer): Promise<void> {
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-gone", "gone-vault", [String(claims(management).oid)]);
    const bearer = await token(server, `https://vault.localhost:${server.port}`);
    for (let i = 0; i < DISCONNECTS / 2; i++) {
      await slowBodyThenGone(server, `localhost:${server.port}`, `POST /${server.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded`, 10_000);
      await slowBodyThenGone(
        server,
        `gone-vault.vault.localhost:${server.port}`,
        `PUT /secrets/s${i}?api-version=7.4 HTTP/1.1\r\nAuthorization: Bearer ${bearer}\r\nContent-Type: application/json`,
        10_000,
      );
    }
  }

  it("logs no error and no stack trace for clients that disconnect mid-body, and keeps serving", { timeout: 30_000 }, async () => {
    await disconnectMidBody(quiet);
    await new Promise((r) => setTimeout(r, 500));
    const log = quiet.output();
    assert.deepEqual(errorLines(log), [], log);
    assert.deepEqual(stackLines(log), [], log);
    assert.deepEqual(debugLines(log), [], "debug lines only when asked for");
    const health = await fetch(`${quiet.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it("at debug level, writes one line per disconnect, without a stack", { timeout: 30_000 }, async () => {
    await disconnectMidBody(verbose);
    await waitFor(() => debugLines(verbose.output()).length >= DISCONNECTS, 5_000);
    const log = verbose.output();
    const lines = debugLines(log);
    assert.equal(lines.length, DISCONNECTS, log);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.match(String(entry.msg), /client disconnected/, line);
      assert.equal(typeof entry.requestId, "string", line);
      assert.ok(!String(line).includes(" at "), line);
    }
    assert.deepEqual(errorLines(log), [], log);
    assert.deepEqual(stackLines(log), [], log);
  });
});
