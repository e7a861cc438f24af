/** The composition root: builds storage, services and surfaces, then listens. */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { ServerConfig } from "../config/config.js";
import { DeletedVaultService } from "../domain/deleted-vaults.js";
import { invalidateOn } from "../domain/change-feed.js";
import { Directory } from "../domain/directory.js";
import { GroupService } from "../domain/groups.js";
import { KeyBackups } from "../domain/keys/key-backup.js";
import { KeyService, keyMetaOf } from "../domain/keys/key-service.js";
import { keyChangeKey } from "../domain/keys/prepared-key-cache.js";
import { Keyring } from "../domain/keyring.js";
import { guardAuthorizationRows, sealUnprotectedRows } from "../domain/row-integrity.js";
import { deriveRowMacKey } from "../crypto/row-mac.js";
import { MachineService } from "../domain/machines.js";
import { ReplayGuard } from "../domain/replay-guard.js";
import { SecretBackups } from "../domain/secret-backup.js";
import { SecretService } from "../domain/secrets.js";
import { VaultService } from "../domain/vaults.js";
import { createContext } from "../http/context.js";
import { runPipeline, sendReply, type Surface } from "../http/pipeline.js";
import type { AppServices } from "../services/app-services.js";
import { authorizationServices } from "../services/authorization/compose.js";
import { authoritySurface } from "../services/authority-surface.js";
import { endpointsFor } from "../services/endpoints.js";
import { Authority } from "../services/identity/authority.js";
import { MetadataServers } from "../services/metadata/server.js";
import { vaultSurface } from "../services/vault/surface.js";
import type { MachineRecord, Store } from "../storage/types.js";
import { ensureAdmin, loadRootKey, loadTenant } from "./bootstrap.js";
import { openStorage } from "./open-storage.js";
import { keyCryptoServices } from "./key-crypto-services.js";
import { ensureSharedTls } from "./shared-tls.js";

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface RunningServer {
  app: AppServices;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const rootKey = loadRootKey(config.dataDir, config.rootKey);
  const opened = await openStorage(config);
  const { changes, kind: storageKind } = opened;
  const tenant = await loadTenant(opened.store.settings);
  // Authorization rows (principals, vaults with their policies, role assignments) are MACed under the root key:
  // rows older than that check get theirs once, then every read is checked (domain/row-integrity.ts).
  const rowKey = deriveRowMacKey(rootKey);
  await sealUnprotectedRows(opened.store, rowKey, tenant.subscriptionId);
  const store = guardAuthorizationRows(opened.store, rowKey);
  const keyring = new Keyring(store.dataKeys, rootKey);
  const directory = new Directory(store.principals, tenant.tenantId, changes);
  const endpoints = endpointsFor(config);
  const authority = await Authority.open({
    settings: store.settings,
    keyring,
    tenantId: tenant.tenantId,
    baseUrl: endpoints.authorityUrl,
    standingOf: async (objectId) => {
      const principal = await directory.get(objectId);
      return principal ? { admin: principal.admin, credentialsResetAt: principal.credentialsResetAt ?? null } : null;
    },
    changes,
  });
  const adminFile = await ensureAdmin(store.settings, directory, config.dataDir, config.resetAdminCredential);
  const tls = await ensureSharedTls(store.settings, keyring, config.dataDir, config, { certFile: config.certFile, keyFile: config.keyFile });

  const machines = new MachineService(store, directory, keyring, changes);
  const keys = new KeyService(store.keys, keyring, async (event, vault, name) => {
    // A purged key takes its rotation policy with it; every change drops the key's prepared material on every node.
    if (event === "purged") await store.keyRotationPolicies.delete(vault.id, name);
    await changes.publish("key", keyChangeKey(vault.id, name));
  });
  const keyCrypto = keyCryptoServices(config, store, changes, keys, keyMetaOf, tenant.subscriptionId);
  const app: AppServices = {
    config,
    endpoints,
    tenant,
    store,
    changes,
    keyring,
    authority,
    directory,
    groups: new GroupService(store),
    vaults: new VaultService(store, tenant.tenantId, changes),
    machines,
    secrets: new SecretService(store.secrets, keyring),
    secretBackups: new SecretBackups(store.secrets, keyring),
    keys,
    keyBackups: new KeyBackups(store.keys, keyring),
    deletedVaults: new DeletedVaultService(store, changes),
    replayGuard: new ReplayGuard(store.replays),
    ...keyCrypto.services,
    ...authorizationServices(store, directory, tenant, changes),
  };
  const metadata = new MetadataServers(() => app);
  invalidateOn(changes, "machine", metadata.snapshots);
  // A machine's identity is a principal: when one goes, no snapshot may keep offering it.
  invalidateOn(changes, "principal", { invalidate: () => metadata.snapshots.invalidate() });
  machines.attachHost(metadata);
  if (config.metadata) {
    for (const machine of await store.machines.listAll()) await bindMetadata(metadata, store.machines, machine, storageKind === "postgres");
  }

  const vault = vaultSurface(app);
  const authorityHost = authoritySurface(app);
  const vaultSuffix = `.${config.vaultSuffix}`;
  const handler: RequestHandler = (req, res) => {
    const started = process.hrtime.bigint();
    const ctx = createContext(req);
    const surface: Surface<AppServices> = ctx.hostname.endsWith(vaultSuffix) ? vault : authorityHost;
    runPipeline(surface, ctx)
      .then((reply) => {
        sendReply(res, ctx, reply);
        if (config.accessLog) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          process.stdout.write(
            `${JSON.stringify({ t: new Date().toISOString(), rid: ctx.requestId, host: ctx.hostname, method: ctx.method, path: ctx.path, op: ctx.scope.operation ?? null, status: reply.status, ms: Math.round(ms * 100) / 100 })}\n`,
          );
        }
      })
      // The pipeline itself never rejects; this catches a failure to write the reply (e.g. the client went away),
      // which must cost that one connection, not the process.
      .catch((error: unknown) => {
        console.error(JSON.stringify({ level: "error", rid: ctx.requestId, error: error instanceof Error ? error.message : "reply failed" }));
        res.destroy();
      });
  };

  const servers = await Promise.all(config.hosts.map((host) => listenHttps(host, config.port, tls, handler)));
  // Retention: deleted secrets and keys, and deleted vaults with everything in them, go once their purge date has come.
  const purge = setInterval(() => {
    const now = Math.floor(Date.now() / 1000);
    void store.secrets.purgeExpired(now).catch(() => undefined);
    void store.keys.purgeExpired(now).catch(() => undefined);
    void app.deletedVaults.purgeExpired(tenant.subscriptionId).catch(() => undefined);
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const rotationJob = keyCrypto.startJob();

  console.log(`kluis server listening on ${config.hosts.map((h) => `https://${h.includes(":") ? `[${h}]` : h}:${config.port}`).join(", ")}`);
  console.log(`  authority and management: ${endpoints.authorityUrl}`);
  console.log(`  vaults:                   https://<vault>.${endpoints.vaultDns}/`);
  console.log(`  tenant:                   ${tenant.tenantId}`);
  console.log(`  subscription:             ${tenant.subscriptionId}`);
  console.log(`  CA certificate:           ${tls.caFile ?? "(brought by operator)"}`);
  console.log(`  administrator credential: ${adminFile ?? "(none on this node: copy admin.json from the first node, or start with --reset-admin-credential)"}`);
  console.log(`  data directory:           ${config.dataDir}`);

  return {
    app,
    close: async () => {
      clearInterval(purge);
      await rotationJob.stop();
      keyCrypto.close();
      await metadata.closeAll();
      await changes.close();
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

/**
 * Binds a machine's metadata endpoint on its stored port. With one node, a port taken while we were down moves the
 * endpoint to a free port and the record follows. With shared storage the port is most likely held by another
 * node on this host serving the same machine: moving it would rewrite the port under that node's feet, so this
 * node skips the machine and keeps running.
 */
async function bindMetadata(metadata: MetadataServers, machines: Store["machines"], machine: MachineRecord, shared: boolean): Promise<void> {
  if (!shared) {
    const port = await metadata.bind(machine, machine.metadataPort);
    if (port !== machine.metadataPort) await machines.update({ ...machine, metadataPort: port });
    return;
  }
  try {
    await metadata.bindExactly(machine, machine.metadataPort);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(JSON.stringify({ level: "warn", component: "metadata", machine: machine.name, port: machine.metadataPort, message: `metadata endpoint not served by this node (${code ?? String(error)})` }));
  }
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
