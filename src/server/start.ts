/** The composition root: builds storage, services and surfaces, then listens. */
import fs from "node:fs";
import path from "node:path";
import type { ServerConfig } from "../config/config.js";
import { unwrapDataKey } from "../crypto/envelope.js";
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
import { log, setLogLevel } from "../logging/levels.js";
import { runPipeline, sendReply, type Surface } from "../http/pipeline.js";
import type { AppServices } from "../services/app-services.js";
import { authorizationServices } from "../services/authorization/compose.js";
import { authoritySurface } from "../services/authority-surface.js";
import { endpointsFor } from "../services/endpoints.js";
import { Authority } from "../services/identity/authority.js";
import { MetadataServers } from "../services/metadata/server.js";
import { vaultSurface } from "../services/vault/surface.js";
import { SignInFailures } from "../services/limits/sign-in-failures.js";
import { VaultLimits } from "../services/limits/vault-limits.js";
import { accessLogger, logger } from "../logging/logger.js";
import { recordRequest, recordThrottled } from "../metrics/registry.js";
import { timedStore } from "../metrics/store-timing.js";
import type { MachineRecord, Store } from "../storage/types.js";
import { ensureAdmin, loadRootKey, loadTenant } from "./bootstrap.js";
import { missingRootKey, requireTenantFor, wrongRootKey } from "./data-guard.js";
import { openListeners, type RequestHandler } from "./listeners.js";
import { openAudit } from "./open-audit.js";
import { openStorage } from "./open-storage.js";
import { listenMetrics, metricsUrl } from "./metrics-listener.js";
import { certificateServices } from "./certificate-services.js";
import { keyCryptoServices } from "./key-crypto-services.js";
import { ensureSharedTls } from "./shared-tls.js";

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface RunningServer {
  app: AppServices;
  /**
   * Graceful stop: /readyz answers 503, no new connections, requests in flight finish (up to the configured
   * shutdown timeout), then everything closes. Resolves to whether every request finished in time.
   */
  close(): Promise<boolean>;
}

/** A failed start closes whatever it had opened (listeners, metadata endpoints, the change feed, storage), then rethrows. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  setLogLevel(config.logLevel);
  const opened: (() => Promise<unknown>)[] = [];
  try {
    return await start(config, opened);
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function start(config: ServerConfig, opened: (() => Promise<unknown>)[]): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const storageOpened = await openStorage(config);
  const { changes, kind: storageKind, description: storage } = storageOpened;
  opened.push(() => storageOpened.store.close(), () => changes.close());
  const existing = await storageOpened.store.settings.get("tenant.id");
  requireTenantFor(config.dataDir, storage, existing !== null);
  const tenant = await loadTenant(storageOpened.store.settings);
  // Only storage with nothing sealed in it may get a new root key: any other would open nothing stored.
  const sealed = await storageOpened.store.dataKeys.latest();
  const rootKey = loadRootKey(config.dataDir, config.rootKey, sealed ? (file) => missingRootKey(file, storage) : undefined);
  if (sealed && !rootKeyOpens(rootKey, sealed.wrapped)) {
    throw wrongRootKey(config.rootKey ? "KLUIS_ROOT_KEY" : path.join(config.dataDir, "root.key"), storage);
  }
  // Authorization rows (principals, vaults with their policies, role assignments) are MACed under the root key:
  // rows older than that check get theirs once, then every read is checked (domain/row-integrity.ts).
  const rowKey = deriveRowMacKey(rootKey);
  await sealUnprotectedRows(storageOpened.store, rowKey, tenant.subscriptionId);
  const guarded = guardAuthorizationRows(storageOpened.store, rowKey);
  const store = config.metricsPort ? timedStore(guarded) : guarded;
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
  const lifecycle = { draining: false };

  const machines = new MachineService(store, directory, keyring, changes);
  const keys = new KeyService(store.keys, keyring, async (event, vault, name) => {
    // A purged key takes its rotation policy with it; every change drops the key's prepared material on every node.
    if (event === "purged") await store.keyRotationPolicies.delete(vault.id, name);
    await changes.publish("key", keyChangeKey(vault.id, name));
  });
  const keyCrypto = keyCryptoServices(config, store, changes, keys, keyMetaOf, tenant.subscriptionId);
  // Its RSA worker threads would keep a process whose start failed alive.
  opened.push(() => keyCrypto.close());
  const secrets = new SecretService(store.secrets, keyring);
  const certificates = certificateServices(config, store, keyring, keys, secrets, tenant.subscriptionId);
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
    secrets,
    secretBackups: new SecretBackups(store.secrets, keyring),
    keys,
    keyBackups: new KeyBackups(store.keys, keyring),
    deletedVaults: new DeletedVaultService(store, changes),
    replayGuard: new ReplayGuard(store.replays),
    lifecycle,
    ...keyCrypto.services,
    ...certificates.services,
    ...authorizationServices(store, directory, tenant, changes),
    signInFailures: new SignInFailures(config.signInFailureLimits),
    vaultLimits: config.serviceLimits === "azure" ? new VaultLimits({ scale: config.limitsScale, windowSeconds: config.limitsWindowSeconds }) : undefined,
  };
  app.signInFailures.onThrottled = () => recordThrottled("sign-in");
  if (app.vaultLimits) app.vaultLimits.onThrottled = (cls) => recordThrottled(`vault-${cls}`);
  const metadata = new MetadataServers(() => app);
  opened.push(() => metadata.closeAll());
  invalidateOn(changes, "machine", metadata.snapshots);
  // A machine's identity is a principal: when one goes, no snapshot may keep offering it.
  invalidateOn(changes, "principal", { invalidate: () => metadata.snapshots.invalidate() });
  machines.attachHost(metadata);
  if (config.metadata) {
    for (const machine of await store.machines.listAll()) await bindMetadata(metadata, store.machines, machine, storageKind === "postgres");
  }

  const { audit, close: closeAudit } = await openAudit(config, storageKind);
  const vault: Surface<AppServices> = { ...vaultSurface(app), audit };
  const authorityHost: Surface<AppServices> = { ...authoritySurface(app), audit };
  const vaultSuffix = `.${config.vaultSuffix}`;
  const handler: RequestHandler = (req, res) => {
    const started = process.hrtime.bigint();
    const ctx = createContext(req);
    const surface: Surface<AppServices> = ctx.hostname.endsWith(vaultSuffix) ? vault : authorityHost;
    runPipeline(surface, ctx)
      .then((reply) => {
        if (res.destroyed) return; // the client went away (logged at debug level by the pipeline)
        sendReply(res, ctx, reply);
        recordRequest(surface.name, String(ctx.scope.operation ?? "Unmatched"), reply.status, Number(process.hrtime.bigint() - started) / 1e9);
        if (config.accessLog) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          accessLogger.info({ requestId: ctx.requestId, host: ctx.hostname, method: ctx.method, path: ctx.path, operation: ctx.scope.operation ?? null, status: reply.status, ms: Math.round(ms * 100) / 100 });
        }
      })
      // The pipeline itself never rejects; this catches a failure to write the reply (the client went away while it
      // was written), which must cost that one connection, not the process, and is no failure of the server.
      .catch((error: unknown) => {
        log("debug", { requestId: ctx.requestId, message: `reply not delivered: ${error instanceof Error ? error.message : "write failed"}` });
        res.destroy();
      });
  };

  const listeners = await openListeners(config.hosts, config.port, tls, config.limits, handler);
  opened.push(() => listeners.drain(0));
  const metricsServer = config.metricsPort ? await listenMetrics(config.metricsHost, config.metricsPort) : undefined;
  if (metricsServer) opened.push(() => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
  // Retention: deleted secrets, keys and certificates, and deleted vaults with everything in them, go once their purge date has come.
  const purge = setInterval(() => {
    const now = Math.floor(Date.now() / 1000);
    void store.secrets.purgeExpired(now).catch(() => undefined);
    void store.keys.purgeExpired(now).catch(() => undefined);
    void store.certificates.purgeExpired(now).catch(() => undefined);
    void app.deletedVaults.purgeExpired(tenant.subscriptionId).catch(() => undefined);
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const rotationJob = keyCrypto.startJob();
  opened.push(() => rotationJob.stop());
  const certificateJob = certificates.startJob();
  opened.push(() => certificateJob.stop());

  console.log(`kluis server listening on ${config.hosts.map((h) => `https://${h.includes(":") ? `[${h}]` : h}:${config.port}`).join(", ")}`);
  console.log(`  authority and management: ${endpoints.authorityUrl}`);
  console.log(`  vaults:                   https://<vault>.${endpoints.vaultDns}/`);
  console.log(`  tenant:                   ${tenant.tenantId}`);
  console.log(`  subscription:             ${tenant.subscriptionId}`);
  console.log(`  CA certificate:           ${tls.caFile ?? "(brought by operator)"}`);
  console.log(`  administrator credential: ${adminFile ?? "(none on this node: copy admin.json from the first node, or start with --reset-admin-credential)"}`);
  console.log(`  data directory:           ${config.dataDir}`);
  if (metricsServer) console.log(`  metrics:                  ${metricsUrl(metricsServer)}`);
  if (app.vaultLimits) console.log("  limits:                   Key Vault service limits (azure), counted on this node");

  return {
    app,
    close: async () => {
      lifecycle.draining = true;
      clearInterval(purge);
      await rotationJob.stop();
      await certificateJob.stop();
      const finished = await listeners.drain(config.limits.shutdownTimeout * 1000);
      await keyCrypto.close();
      await metadata.closeAll();
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      }
      await changes.close();
      // Requests in flight have finished (or were cut at the deadline): their audit records are the last ones.
      await closeAudit();
      await store.close();
      return finished;
    },
  };
}

/** Whether `rootKey` unwraps a data key stored under the deployment's root key. */
function rootKeyOpens(rootKey: Buffer, wrapped: Buffer): boolean {
  try {
    unwrapDataKey(rootKey, wrapped);
    return true;
  } catch {
    return false;
  }
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
    logger.warn({ component: "metadata", machine: machine.name, port: machine.metadataPort }, `metadata endpoint not served by this node (${code ?? String(error)})`);
  }
}
