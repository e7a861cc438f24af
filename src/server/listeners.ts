/**
 * The HTTPS listeners and what bounds them. Without bounds one client can hold connections open for free: a TLS
 * handshake never finished, headers sent a byte at a time (slowloris), a body that never ends (a chunked body can
 * declare a 4 GB chunk and then send nothing), or simply thousands of idle connections. So each phase of a
 * connection has a deadline, and connections are capped in total and per client address (docs/security.md).
 *
 * Shutdown drains: stop accepting, let requests in flight finish up to a deadline, close kept-alive connections as
 * soon as they go idle, then close whatever is left.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { ConnectionLimits } from "../config/config.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listeners {
  /** Connections open now, across all listening addresses. */
  readonly connections: number;
  /**
   * Stops accepting, finishes requests in flight for up to `deadlineMs`, then closes every connection.
   * Resolves to whether every request finished in time.
   */
  drain(deadlineMs: number): Promise<boolean>;
}

/** Listens on every host, or on none: a failure on one address closes those already bound before it rejects. */
export async function openListeners(
  hosts: string[],
  port: number,
  tls: { cert: string; key: string },
  limits: ConnectionLimits,
  handler: RequestHandler,
): Promise<Listeners> {
  const perClient = new Map<string, number>();
  let connections = 0;
  let draining = false;
  let settled: (() => void) | undefined;
  const servers: https.Server[] = [];

  const admit = (socket: Socket): void => {
    const client = socket.remoteAddress ?? "unknown";
    const fromClient = perClient.get(client) ?? 0;
    // Refused before TLS, so a flood costs us an accept and a close, not a handshake.
    if (draining || connections >= limits.maxConnections || fromClient >= limits.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    connections++;
    perClient.set(client, fromClient + 1);
    socket.once("close", () => {
      connections--;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left === 0) perClient.delete(client);
      else perClient.set(client, left);
    });
  };

  const inFlight = new Set<ServerResponse>();
  // While draining, a reply closes its connection, so a client does not send its next request to a server on
  // its way out.
  const closeAfterReply = (res: ServerResponse): void => {
    if (!res.headersSent) res.setHeader("connection", "close");
  };
  const counted: RequestHandler = (req, res) => {
    inFlight.add(res);
    if (draining) closeAfterReply(res);
    res.once("close", () => {
      inFlight.delete(res);
      if (draining) {
        for (const server of servers) server.closeIdleConnections();
        if (inFlight.size === 0) settled?.();
      }
    });
    handler(req, res);
  };

  const results = await Promise.allSettled(hosts.map((host) => listen(host, port, tls, limits, counted, admit)));
  for (const result of results) if (result.status === "fulfilled") servers.push(result.value);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    await closeAll(servers);
    throw failure.reason;
  }

  return {
    get connections() {
      return connections;
    },
    async drain(deadlineMs) {
      draining = true;
      for (const res of inFlight) closeAfterReply(res);
      // close() stops accepting and, since Node 19, closes connections with no request in progress.
      const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      let timer: NodeJS.Timeout | undefined;
      const finished =
        inFlight.size === 0 ||
        (await new Promise<boolean>((resolve) => {
          settled = () => resolve(true);
          timer = setTimeout(() => resolve(false), deadlineMs);
        }));
      clearTimeout(timer);
      for (const server of servers) server.closeAllConnections();
      await closed;
      return finished;
    },
  };
}

function listen(
  host: string,
  port: number,
  tls: { cert: string; key: string },
  limits: ConnectionLimits,
  handler: RequestHandler,
  admit: (socket: Socket) => void,
): Promise<https.Server> {
  const headersMs = limits.headerTimeout * 1000;
  const server = https.createServer(
    {
      cert: tls.cert,
      key: tls.key,
      minVersion: "TLSv1.2",
      handshakeTimeout: limits.handshakeTimeout * 1000,
      headersTimeout: headersMs,
      // Node measures the whole request from its first byte: the body gets its own time on top of the headers'.
      requestTimeout: headersMs + limits.bodyTimeout * 1000,
      // Node checks the header and request deadlines on this interval (30 s by default), so a deadline is kept to
      // within a quarter of the header timeout, at most a second late.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, headersMs / 4)),
    },
    handler,
  );
  server.keepAliveTimeout = limits.idleTimeout * 1000;
  // Before the TLS layer's own listener, so a refused socket never starts a handshake.
  server.prependListener("connection", admit);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

async function closeAll(servers: https.Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
