/**
 * Composition of the key cryptography services (operations, rotation) over the key lifecycle: the prepared-key
 * cache wired to the change feed, the worker pool for RSA private-key operations, the rotation service with the
 * job's clock, and the job itself.
 */
import type { ServerConfig } from "../config/config.js";
import { RsaPrivatePool } from "../crypto/rsa-private-pool.js";
import { invalidateOn, type ChangeFeed } from "../domain/change-feed.js";
import { KeyOperationService, type KeyLifecycle, type KeyPublicMeta } from "../domain/keys/key-operation-service.js";
import { KeyRotationService } from "../domain/keys/key-rotation-service.js";
import { PreparedKeyCache } from "../domain/keys/prepared-key-cache.js";
import type { ObjectVersionRecord, Store, VaultRecord } from "../storage/types.js";
import { startKeyRotationJob, type KeyRotationJob } from "./key-rotation-job.js";

export interface KeyCryptoServices {
  keyOperations: KeyOperationService;
  keyRotation: KeyRotationService;
}

export interface KeyCryptoRuntime {
  services: KeyCryptoServices;
  /** Starts automatic rotation on this node. */
  startJob(): KeyRotationJob;
  close(): Promise<void>;
}

export function keyCryptoServices(
  config: ServerConfig,
  store: Store,
  changes: ChangeFeed,
  keys: KeyLifecycle,
  metaOf: (record: ObjectVersionRecord) => KeyPublicMeta,
  subscriptionId: string,
): KeyCryptoRuntime {
  const cache = new PreparedKeyCache(config.keyCache);
  // Workers keep their copies of keys within the prepared-key cache's bounds.
  const rsaPool = new RsaPrivatePool({ ...config.rsaWorkers, keyLimits: { maxKeys: config.keyCache.entries, idleMs: config.keyCache.idleMs } });
  const unsubscribe = invalidateOn(changes, "key", cache);
  // The job runs rarely and vaults are few: a listing beats a lookup index that storage does not have.
  const vaultById = async (id: string): Promise<VaultRecord | null> => (await store.vaults.listBySubscription(subscriptionId)).find((v) => v.id === id && v.deletedAt === null) ?? null;
  const rotationNow = () => Math.floor(Date.now() / 1000) + config.rotationClockOffsetSeconds;
  const keyRotation = new KeyRotationService(keys, store.keyRotationPolicies, vaultById, rotationNow);
  return {
    services: { keyOperations: new KeyOperationService(keys, metaOf, cache, rsaPool), keyRotation },
    startJob: () => startKeyRotationJob(keyRotation, config.rotationCheckMs),
    close: async () => {
      unsubscribe();
      cache.close();
      await rsaPool.close();
    },
  };
}
