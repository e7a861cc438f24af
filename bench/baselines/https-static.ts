/**
 * The HTTPS ceiling: a bare node:https server with the same certificate and key as Kluis, answering every request
 * with a static JSON body of the same size as a Kluis secret bundle. Prints {"port":N} once listening.
 *
 * Usage: node --import tsx bench/baselines/https-static.ts --cert server.pem --key server.key --bytes N
 */
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { argValue, JSON_HEADERS, staticBody } from "./static-body.js";

const body = staticBody(Number(argValue("bytes") ?? 1024));
const headers = JSON_HEADERS(body);
const server = https.createServer({ cert: fs.readFileSync(argValue("cert")!), key: fs.readFileSync(argValue("key")!), minVersion: "TLSv1.2" }, (_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
// "::" takes both families, like Kluis listening on 127.0.0.1 and ::1, whichever the client's resolver picks.
server.listen(0, "::", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on("SIGTERM", () => process.exit(0));
