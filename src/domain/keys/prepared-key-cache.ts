/**
 * Key versions prepared for cryptography (src/crypto/key-operations.ts `prepareKey`), kept in memory between
 * operations. Opening a version costs an unseal, a JWK import and, for RSA, OpenSSL's first-use set-up of the
 * private key; per operation that halves RSA signing throughput and makes an EC signature cost more than the
 * request around it.
 *
 * The trade-off: a cached entry holds the private key as a KeyObject (and its JWK) in this process's memory until
 * it has been unused for `idleMs` (plus at most one sweep interval), instead of only for the duration of one
 * operation. Strict deployments set the size to 0, which disables the cache: every operation then opens the key
 * afresh and drops it at once.
 *
 * A version's key material never changes, so entries cannot go stale; what may change (enabled, key_ops, nbf/exp,
 * deletion) is read from storage on every operation. Invalidation through the change feed (kind "key") is hygiene:
 * material of a deleted, purged, disabled or rotated key leaves memory at once, on every node.
 */
import { LRUCache } from "lru-cache";
import type { PreparedKey } from "../../crypto/key-operations.js";

export interface PreparedKeyCacheOptions {
  /** Most versions kept; 0 turns the cache off. */
  entries: number;
  /** An entry unused this long is dropped. */
  idleMs: number;
}

export const DEFAULT_PREPARED_KEY_CACHE: PreparedKeyCacheOptions = { entries: 256, idleMs: 30_000 };

/** The change-feed key naming one key (all its versions) of a vault. */
export function keyChangeKey(vaultId: string, name: string): string {
  return `${vaultId}/${name}`.toLowerCase();
}

export class PreparedKeyCache {
  private readonly cache: LRUCache<string, PreparedKey> | null;
  /** Concurrent first uses of one version share one preparation. */
  private readonly pending = new Map<string, Promise<PreparedKey>>();
  private readonly sweeper: NodeJS.Timeout | null;
  /** Bumped by invalidate(): a preparation that started before it must not be cached. */
  private generation = 0;

  constructor(options: PreparedKeyCacheOptions = DEFAULT_PREPARED_KEY_CACHE) {
    if (options.entries <= 0) {
      this.cache = null;
      this.sweeper = null;
      return;
    }
    this.cache = new LRUCache<string, PreparedKey>({ max: options.entries, ttl: options.idleMs, updateAgeOnGet: true });
    // lru-cache drops expired entries lazily; the sweep bounds how long idle material stays in memory.
    this.sweeper = setInterval(() => this.cache?.purgeStale(), Math.max(1000, Math.min(options.idleMs, 5000)));
    this.sweeper.unref();
  }

  get enabled(): boolean {
    return this.cache !== null;
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  /**
   * The prepared version, from memory or from `open`. `needsPrivate`: an entry prepared from the public JWK alone
   * does not serve a private operation (it is replaced by one opened with the private JWK).
   */
  async get(vaultId: string, name: string, version: string, needsPrivate: boolean, open: () => Promise<PreparedKey>): Promise<PreparedKey> {
    if (!this.cache) return open();
    const key = `${keyChangeKey(vaultId, name)}/${version}`;
    const cached = this.cache.get(key);
    if (cached && (!needsPrivate || cached.privateKey !== undefined)) return cached;
    const pendingKey = `${key}/${needsPrivate ? "private" : "public"}`;
    const inFlight = this.pending.get(pendingKey);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const opening = open().then(
      (prepared) => {
        if (generation === this.generation) this.cache?.set(key, prepared);
        return prepared;
      },
    ).finally(() => this.pending.delete(pendingKey));
    this.pending.set(pendingKey, opening);
    return opening;
  }

  /** Drops every version of one key (`keyChangeKey`), or everything. */
  invalidate(changeKey?: string): void {
    this.generation++;
    if (!this.cache) return;
    if (changeKey === undefined) {
      this.cache.clear();
      return;
    }
    const prefix = `${changeKey.toLowerCase()}/`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.cache?.clear();
  }
}
