/**
 * Raw-socket clients that misbehave on purpose (slowloris, slow bodies, half-finished TLS handshakes), each
 * measuring how long the server holds the connection. Every loop is bounded by `limitMs`: a server that never
 * closes costs the test `limitMs`, and the measurement says so.
 */
import net from "node:net";
import tls from "node:tls";

export interface Held {
  /** Milliseconds from the start of the abuse until the server closed the connection, or `limitMs`. */
  ms: number;
  /** Whether the server closed it (false: still open at `limitMs`, and the test closed it). */
  closedByServer: boolean;
}

const TRICKLE_MS = 200;

/** Resolves when `socket` closes or `limitMs` passes; calls `tick` every TRICKLE_MS meanwhile. */
function hold(socket: net.Socket, limitMs: number, tick?: () => void): Promise<Held> {
  const started = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ ms: Date.now() - started, closedByServer });
    };
    const timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) tick?.();
    }, TRICKLE_MS);
    const limit = setTimeout(() => finish(false), limitMs);
    // Read (and drop) what the server sends, e.g. its 408, so its close is seen even when we send nothing more.
    socket.resume();
    socket.once("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
}

export function connectTls(port: number, options: { localAddress?: string } = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host: "127.0.0.1", port, localAddress: options.localAddress });
    const socket = tls.connect({ socket: tcp, servername: "localhost", rejectUnauthorized: false });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("closed before the TLS handshake finished")));
  });
}

/** Headers that never end: one more header line every TRICKLE_MS. */
export async function slowHeaders(port: number, limitMs: number): Promise<Held> {
  const socket = await connectTls(port);
  socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
  let i = 0;
  return hold(socket, limitMs, () => socket.write(`X-Slow-${i++}: a\r\n`));
}

/** A body declared with Content-Length, sent one byte every TRICKLE_MS. */
export async function slowBody(port: number, path: string, limitMs: number): Promise<Held> {
  const socket = await connectTls(port);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n`);
  return hold(socket, limitMs, () => socket.write("a"));
}

/** A chunked body whose first chunk declares about 4 GB, of which a few bytes arrive. */
export async function hugeChunk(port: number, path: string, limitMs: number): Promise<Held> {
  const socket = await connectTls(port);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\nabc`);
  return hold(socket, limitMs);
}

/** A TCP connection that starts a TLS handshake (a record header, no more) and stops. */
export async function partialHandshake(port: number, limitMs: number): Promise<Held> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
  return hold(socket, limitMs);
}

/** A TLS connection that never sends a request. */
export async function silentAfterHandshake(port: number, limitMs: number): Promise<Held> {
  return hold(await connectTls(port), limitMs);
}

/** One complete request on a kept-alive connection, then silence. */
export async function idleAfterRequest(port: number, limitMs: number): Promise<Held> {
  const socket = await connectTls(port);
  socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  return hold(socket, limitMs);
}
