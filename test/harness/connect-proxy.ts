/**
 * An HTTPS (CONNECT) proxy on loopback that plays DNS for a test: each allowed `host:port` is tunnelled to a local
 * port, and every other destination is refused with 403 — so a client given this proxy cannot reach anything off
 * this machine, and the test can see every destination the client tried.
 */
import http from "node:http";
import net from "node:net";

export interface ConnectProxy {
  port: number;
  /** Every CONNECT target asked for, in order, allowed or not. */
  requested: string[];
  /** The CONNECT targets refused because they were not in the map. */
  refused: string[];
  close(): Promise<void>;
}

export async function connectProxy(routes: Record<string, number>): Promise<ConnectProxy> {
  const requested: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end("only CONNECT");
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = (req.url ?? "").toLowerCase();
    requested.push(target);
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    const port = routes[target];
    if (port === undefined) {
      refused.push(target);
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(port, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    requested,
    refused,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
