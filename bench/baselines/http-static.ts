/**
 * The plain-HTTP ceiling for the metadata endpoint: a bare node:http server on 127.0.0.1 answering every request
 * with a static JSON body of the same size as a metadata-endpoint token response. Prints {"port":N} once listening.
 *
 * Usage: node --import tsx bench/baselines/http-static.ts --bytes N
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { argValue, JSON_HEADERS, staticBody } from "./static-body.js";

const body = staticBody(Number(argValue("bytes") ?? 1024));
const headers = JSON_HEADERS(body);
const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on("SIGTERM", () => process.exit(0));
