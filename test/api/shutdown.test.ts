/**
 * Graceful shutdown (issue 10, item 8): on SIGTERM the server stops accepting, answers /readyz with 503, lets
 * requests in flight finish (up to --shutdown-timeout), then exits 0. A start that fails half-way closes what it
 * had opened and exits, instead of hanging on a bound port.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type tls from "node:tls";
import { after, describe, it } from "node:test";
import { connectTls } from "../harness/abuse.js";
import { expectRefusal, spawnServer, type ServerProcess } from "../harness/server-process.js";
import { freePort, tempDir, type AdminCredential } from "../harness/server.js";

const TIMEOUT = { timeout: 60_000 };

async function listening(args: string[] = []): Promise<{ server: ServerProcess; port: number; dataDir: string; admin: AdminCredential }> {
  const dataDir = tempDir("shutdown");
  const port = await freePort();
  const server = spawnServer(dataDir, port, args);
  const outcome = await server.started;
  if (outcome !== "listening") throw new Error(`the server did not start:\n${server.output()}`);
  const admin = JSON.parse(fs.readFileSync(path.join(dataDir, "admin.json"), "utf8")) as AdminCredential;
  return { server, port, dataDir, admin };
}

/** Collects what the server sends until it closes the connection. */
function replyOf(socket: tls.TLSSocket): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve({ text, error: error.code ?? error.message }));
    socket.once("close", () => resolve({ text }));
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("graceful shutdown", { timeout: 120_000 }, () => {
  const started: ServerProcess[] = [];
  after(() => {
    for (const server of started) if (server.child.exitCode === null) server.child.kill("SIGKILL");
  });

  it("lets a request in flight at SIGTERM finish with 200, answers /readyz 503, refuses new connections, exits 0", TIMEOUT, async (t) => {
    const { server, port, admin } = await listening(["--shutdown-timeout", "10"]);
    started.push(server);
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: admin.appId, client_secret: admin.password, scope: "https://vault.azure.net/.default" }).toString();
    // A token request whose body is half sent when the signal arrives.
    const inFlight = await connectTls(port);
    const tokenReply = replyOf(inFlight);
    inFlight.write(`POST /${admin.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: keep-alive\r\n\r\n`);
    inFlight.write(form.slice(0, 20));
    // A readiness probe whose headers are not finished yet either.
    const probe = await connectTls(port);
    const readyReply = replyOf(probe);
    probe.write("GET /readyz HTTP/1.1\r\nHost: localhost\r\n");
    await pause(300);

    const signalled = Date.now();
    server.child.kill("SIGTERM");
    await pause(500);
    assert.equal(await refused(port), true, "a new connection is refused while draining");
    probe.write("\r\n");
    const ready = await readyReply;
    assert.match(ready.text, /^HTTP\/1\.1 503 /, `readyz while draining: ${ready.text || ready.error}`);
    assert.match(ready.text, /connection: close/i);

    inFlight.write(form.slice(20));
    const token = await tokenReply;
    assert.equal(token.error, undefined, `the request in flight was cut: ${token.error}`);
    const head = token.text.slice(0, token.text.indexOf("\r\n\r\n"));
    assert.match(head, /^HTTP\/1\.1 200 /, head);
    assert.match(token.text, /"access_token"/);
    assert.match(head, /connection: close/i, "the drained connection is not kept alive");

    const exit = await server.exited;
    t.diagnostic(`exited ${JSON.stringify(exit)} ${Date.now() - signalled} ms after SIGTERM, once the request in flight had finished`);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(server.output(), /stopped: every request finished/);
  });

  it("closes what is still open at the shutdown timeout and exits 0", TIMEOUT, async (t) => {
    const { server, port, admin } = await listening(["--shutdown-timeout", "2"]);
    started.push(server);
    const stuck = await connectTls(port);
    const reply = replyOf(stuck);
    stuck.write(`POST /${admin.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`);
    await pause(300);
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    const exit = await server.exited;
    const waited = Date.now() - signalled;
    t.diagnostic(`a request that never finished: exited ${JSON.stringify(exit)} after ${waited} ms`);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(waited >= 1_800 && waited <= 6_000, `waited ${waited} ms for a 2 s shutdown timeout`);
    await reply;
    assert.match(server.output(), /shutdown timeout reached/);
  });

  it("a start that fails on its second address closes the first and exits non-zero", TIMEOUT, async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve, reject) => blocker.once("error", reject).listen(port, "127.0.0.2", resolve));
    try {
      const result = await expectRefusal(tempDir("failed-start"), port, ["--host", "127.0.0.1", "--host", "127.0.0.2"]);
      assert.notEqual(result.code, 0);
      assert.match(result.output, /EADDRINUSE/);
    } finally {
      blocker.close();
    }
    // The first address is free again.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(port, "127.0.0.1", resolve));
    probe.close();
  });
});
