/** The composition root: builds storage, services and surfaces, then listens. */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import path from "node:path";
import type { ServerConfig } from "../config/config.js";
import { Directory } from "../domain/directory.js";
import { GroupService } from "../domain/groups.js";
import { Keyring } from "../domain/keyring.js";
import { MachineService } from "../domain/machines.js";
import { ReplayGuard } from "../domain/replay-guard.js";
import { SecretService } from "../domain/secrets.js";
import { VaultService } from "../domain/vaults.js";
import { createContext } from "../http/context.js";
import { runPipeline, sendReply, type Surface } from "../http/pipeline.js";
import type { AppServices } from "../services/app-services.js";
import { authoritySurface } from "../services/authority-surface.js";
import { endpointsFor } from "../services/endpoints.js";
import { Authority } from "../services/identity/authority.js";
import { MetadataServers } from "../services/metadata/server.js";
import { vaultSurface } from "../services/vault-secrets/surface.js";
import { openSqliteStore } from "../storage/sqlite/open.js";
import type { Store } from "../storage/types.js";
import { ensureAdmin, ensureTls, loadRootKey, loadTenant } from "./bootstrap.js";

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface RunningServer {
  app: AppServices;
  close(): Promise<void>;
}

async function openStore(config: ServerConfig): Promise<Store> {
  if (config.storage && /^postgres(ql)?:\/\//.test(config.storage)) {
    const { openPostgresStore } = await import("../storage/postgres/open.js");
    return openPostgresStore(config.storage);
  }
  return openSqliteStore(path.join(config.dataDir, "kluis.db"));
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const rootKey = loadRootKey(config.dataDir, config.rootKey);
  const store = await openStore(config);
  const tenant = await loadTenant(store.settings);
  const keyring = new Keyring(store.dataKeys, rootKey);
  const directory = new Directory(store.principals, tenant.tenantId);
  const endpoints = endpointsFor(config);
  const authority = await Authority.open({
    settings: store.settings,
    keyring,
    tenantId: tenant.tenantId,
    baseUrl: endpoints.authorityUrl,
    resolveAdmin: async (objectId) => (await directory.get(objectId))?.admin === true,
  });
  const adminFile = await ensureAdmin(store.settings, directory, config.dataDir);
  const tls = await ensureTls(config.dataDir, config, { certFile: config.certFile, keyFile: config.keyFile });

  const machines = new MachineService(store, directory, keyring);
  const app: AppServices = {
    config,
    endpoints,
    tenant,
    store,
    keyring,
    authority,
    directory,
    groups: new GroupService(store),
    vaults: new VaultService(store, tenant.tenantId),
    machines,
    secrets: new SecretService(store.secrets, keyring),
    replayGuard: new ReplayGuard(),
  };
  const metadata = new MetadataServers(() => app);
  machines.attachHost(metadata);
  for (const machine of await store.machines.listAll()) {
    const port = await metadata.bind(machine, machine.metadataPort);
    if (port !== machine.metadataPort) await store.machines.update({ ...machine, metadataPort: port });
  }

  const vault = vaultSurface(app);
  const authorityHost = authoritySurface(app);
  const vaultSuffix = `.${config.vaultSuffix}`;
  const handler: RequestHandler = (req, res) => {
    const started = process.hrtime.bigint();
    const ctx = createContext(req);
    const surface: Surface<AppServices> = ctx.hostname.endsWith(vaultSuffix) ? vault : authorityHost;
    void runPipeline(surface, ctx).then((reply) => {
      sendReply(res, ctx, reply);
      if (config.accessLog) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        process.stdout.write(
          `${JSON.stringify({ t: new Date().toISOString(), rid: ctx.requestId, host: ctx.hostname, method: ctx.method, path: ctx.path, op: ctx.scope.operation ?? null, status: reply.status, ms: Math.round(ms * 100) / 100 })}\n`,
        );
      }
    });
  };

  const servers = await Promise.all(config.hosts.map((host) => listenHttps(host, config.port, tls, handler)));
  const purge = setInterval(() => void store.secrets.purgeExpired(Math.floor(Date.now() / 1000)).catch(() => undefined), PURGE_INTERVAL_MS);
  purge.unref();

  console.log(`kluis server listening on ${config.hosts.map((h) => `https://${h.includes(":") ? `[${h}]` : h}:${config.port}`).join(", ")}`);
  console.log(`  authority and management: ${endpoints.authorityUrl}`);
  console.log(`  vaults:                   https://<vault>.${endpoints.vaultDns}/`);
  console.log(`  tenant:                   ${tenant.tenantId}`);
  console.log(`  subscription:             ${tenant.subscriptionId}`);
  console.log(`  CA certificate:           ${tls.caFile ?? "(brought by operator)"}`);
  console.log(`  administrator credential: ${adminFile}`);
  console.log(`  data directory:           ${config.dataDir}`);

  return {
    app,
    close: async () => {
      clearInterval(purge);
      await metadata.closeAll();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
      await store.close();
    },
  };
}

function listenHttps(host: string, port: number, tls: { cert: string; key: string }, handler: RequestHandler): Promise<https.Server> {
  const server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
