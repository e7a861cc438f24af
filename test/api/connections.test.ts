/**
 * Connections are bounded (issue 10, item 6): a client that sends headers or a body a byte at a time, declares a
 * huge chunk, stops half-way through a TLS handshake, or idles after a request is cut off by the matching timeout;
 * connections beyond the caps (in total, per client address) are refused before TLS. Raw sockets on loopback; the
 * server runs with short timeouts so the test is quick, and each case says how long the connection was held.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { connectTls, hugeChunk, idleAfterRequest, partialHandshake, silentAfterHandshake, slowBody, slowHeaders, type Held } from "../harness/abuse.js";
import { startServer, type KluisServer } from "../harness/server.js";

const HANDSHAKE_S = 1;
const HEADER_S = 1;
const BODY_S = 2;
const IDLE_S = 2;
/** Node checks deadlines on an interval (a quarter of the header timeout here), the trickle adds 200 ms, and the machine is shared. */
const SLACK_MS = 2_000;
/** Without the timeouts these connections stay open for minutes; the test stops waiting here. */
const LIMIT_MS = 12_000;
const TIMEOUT = { timeout: 30_000 };

function assertCut(t: { diagnostic(message: string): void }, what: string, held: Held, withinMs: number): void {
  t.diagnostic(`${what}: held ${held.ms} ms${held.closedByServer ? "" : " (still open when the test gave up)"}`);
  assert.ok(held.closedByServer, `${what}: the server still held the connection after ${held.ms} ms`);
  assert.ok(held.ms <= withinMs, `${what}: held ${held.ms} ms, more than ${withinMs} ms`);
}

describe("connection timeouts", () => {
  let server: KluisServer;
  before(async () => {
    server = await startServer({
      args: ["--handshake-timeout", String(HANDSHAKE_S), "--header-timeout", String(HEADER_S), "--body-timeout", String(BODY_S), "--idle-timeout", String(IDLE_S)],
    });
  });
  after(() => server.stop());
  const tokenPath = () => `/${server.tenantId}/oauth2/v2.0/token`;

  it("closes slowloris headers within the header timeout", TIMEOUT, async (t) => {
    assertCut(t, "slowloris headers", await slowHeaders(server.port, LIMIT_MS), HEADER_S * 1000 + SLACK_MS);
  });

  it("closes a body sent a byte at a time within the header and body timeouts", TIMEOUT, async (t) => {
    assertCut(t, "slow body", await slowBody(server.port, tokenPath(), LIMIT_MS), (HEADER_S + BODY_S) * 1000 + SLACK_MS);
  });

  it("closes a chunked body that declares a huge chunk and sends a few bytes", TIMEOUT, async (t) => {
    assertCut(t, "huge chunk", await hugeChunk(server.port, tokenPath(), LIMIT_MS), (HEADER_S + BODY_S) * 1000 + SLACK_MS);
  });

  it("closes a TLS handshake left half-way within the handshake timeout", TIMEOUT, async (t) => {
    assertCut(t, "partial TLS handshake", await partialHandshake(server.port, LIMIT_MS), HANDSHAKE_S * 1000 + SLACK_MS);
  });

  it("closes a connection that never sends a request within the header timeout", TIMEOUT, async (t) => {
    assertCut(t, "silent after handshake", await silentAfterHandshake(server.port, LIMIT_MS), HEADER_S * 1000 + SLACK_MS);
  });

  it("closes a kept-alive connection idle after its request within the idle timeout", TIMEOUT, async (t) => {
    assertCut(t, "idle keep-alive", await idleAfterRequest(server.port, LIMIT_MS), IDLE_S * 1000 + SLACK_MS);
  });

  it("still serves a well-behaved client", TIMEOUT, async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
  });
});

/** Opens a TLS connection; resolves to it, or to null when the server refuses it before the handshake ends. */
async function tryConnect(port: number, localAddress: string): Promise<tls.TLSSocket | null> {
  try {
    return await connectTls(port, { localAddress });
  } catch {
    return null;
  }
}

describe("connection caps", { timeout: 120_000 }, () => {
  let server: KluisServer;
  const open: tls.TLSSocket[] = [];
  before(async () => {
    server = await startServer({ args: ["--max-connections", "6", "--max-connections-per-client", "4"] });
  });
  after(async () => {
    for (const socket of open) socket.destroy();
    await server.stop();
  });

  it("refuses a client address's connection beyond its cap, and the server's beyond the total", TIMEOUT, async (t) => {
    for (let i = 0; i < 4; i++) {
      const socket = await tryConnect(server.port, "127.0.0.1");
      assert.ok(socket, `connection ${i + 1} of 4 from 127.0.0.1 is accepted`);
      open.push(socket);
    }
    assert.equal(await tryConnect(server.port, "127.0.0.1"), null, "a fifth connection from 127.0.0.1 is refused");
    for (let i = 0; i < 2; i++) {
      const socket = await tryConnect(server.port, "127.0.0.2");
      assert.ok(socket, `connection ${i + 1} of 2 from 127.0.0.2 is accepted`);
      open.push(socket);
    }
    assert.equal(await tryConnect(server.port, "127.0.0.2"), null, "a seventh connection in total is refused");
    t.diagnostic("held: 4 from 127.0.0.1 and 2 from 127.0.0.2; the 5th per client and the 7th in total were refused before TLS");

    // A freed slot is usable again, and the open connections still serve requests.
    const first = open.shift()!;
    first.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const again = await tryConnect(server.port, "127.0.0.1");
    assert.ok(again, "a connection is accepted once one from the same address has closed");
    open.push(again);
    again.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    const reply = await new Promise<string>((resolve) => {
      let text = "";
      again.on("data", (d: Buffer) => (text += d.toString()));
      again.once("close", () => resolve(text));
    });
    assert.match(reply, /^HTTP\/1\.1 200 /);
  });
});
