/**
 * Per-machine metadata endpoints: plain http on 127.0.0.1 only, one port per machine, so the endpoint knows which
 * machine asks without trusting anything the caller says. Speaks Azure IMDS (`/metadata/identity/oauth2/token`,
 * `/metadata/instance`) and the App Service identity protocol (`/msi/token` with X-IDENTITY-HEADER).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OAuthError } from "../../domain/errors.js";
import type { MetadataHost } from "../../domain/machines.js";
import { StoreError, type MachineRecord } from "../../storage/types.js";
import type { AppServices } from "../app-services.js";
import { handleMetadataRequest, MachineSnapshots } from "./handlers.js";
import { recordRequest } from "../../metrics/registry.js";

export const METADATA_BIND_ADDRESS = "127.0.0.1";

export class MetadataServers implements MetadataHost {
  private readonly servers = new Map<string, http.Server>();
  readonly snapshots = new MachineSnapshots();

  constructor(private readonly app: () => AppServices) {}

  async bind(machine: MachineRecord, preferredPort: number): Promise<number> {
    const server = await this.create(machine);
    const port = await listen(server, preferredPort).catch((error: NodeJS.ErrnoException) => {
      // The remembered port was taken while we were down: take any free one; the caller records it.
      if (preferredPort !== 0 && error.code === "EADDRINUSE") return listen(server, 0);
      throw error;
    });
    this.servers.set(machine.id, server);
    return port;
  }

  /** Binds on `port` or fails (EADDRINUSE when another node on this host serves the machine already). */
  async bindExactly(machine: MachineRecord, port: number): Promise<void> {
    const server = await this.create(machine);
    await listen(server, port);
    this.servers.set(machine.id, server);
  }

  private async create(machine: MachineRecord): Promise<http.Server> {
    await this.unbind(machine.id);
    // The same header and body deadlines as the HTTPS port: a local process must not hold a machine's endpoint.
    const { headerTimeout, bodyTimeout } = this.app().config.limits;
    const timeouts = { headersTimeout: headerTimeout * 1000, requestTimeout: (headerTimeout + bodyTimeout) * 1000, connectionsCheckingInterval: Math.max(100, Math.min(1000, headerTimeout * 250)) };
    const server = http.createServer(timeouts, (req, res) => {
      const started = process.hrtime.bigint();
      res.once("finish", () => recordRequest("metadata", metadataOperation(req.url), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
      handleMetadataRequest(req, this.app(), this.snapshots, { subscriptionId: machine.subscriptionId, resourceGroup: machine.resourceGroup, name: machine.name }).then(
        (reply) => send(res, reply.status, reply.body, reply.headers),
        (error: unknown) => {
          // Storage down: 503 with Retry-After, which the Azure SDKs' managed identity credentials retry.
          if (error instanceof StoreError && error.kind === "unavailable") {
            send(res, 503, { error: "temporarily_unavailable", error_description: "The service is temporarily unavailable. Retry the request later." }, { "retry-after": "1" });
            return;
          }
          const failure = error instanceof OAuthError ? error : new OAuthError(500, "server_error", "An unexpected error occurred.");
          const retry: Record<string, string> = failure.retryAfterSeconds === undefined ? {} : { "retry-after": String(failure.retryAfterSeconds) };
          send(res, failure.status, { error: failure.error, error_description: failure.description }, retry);
        },
      ).catch(() => res.destroy()); // a reply that can't be written costs its connection, never the process
    });
    server.keepAliveTimeout = 5000;
    return server;
  }

  async unbind(machineId: string): Promise<void> {
    const server = this.servers.get(machineId);
    if (!server) return;
    this.servers.delete(machineId);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.unbind(id)));
  }
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, METADATA_BIND_ADDRESS, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A fixed operation name per metadata path, for metrics (never the raw path a caller sent). */
function metadataOperation(url: string | undefined): string {
  const path = (url ?? "/").split("?")[0]!.replace(/\/+$/, "").toLowerCase();
  if (path === "/metadata/identity/oauth2/token") return "ImdsToken";
  if (path === "/msi/token") return "AppServiceToken";
  if (path === "/metadata/instance" || path === "/metadata/instance/compute") return "Instance";
  return "Unmatched";
}
