/**
 * The latest version of recently read objects (one cache per collection: secrets, keys), kept in memory: reads
 * dominate, and a read served from here skips a two-index join and the row's decoding. Safe because SQLite has
 * exactly one writer (this process) and every write path of the versioned-object store drops the entries it touches.
 * Bounded in entries and in bytes (a version holds up to 25 KB of sealed value), so 100,000 secrets don't all end up
 * in memory; cached records are shared and must be treated as immutable.
 */
import { BoundedCache } from "../../cache/bounded-cache.js";
import type { ObjectVersionRecord } from "../types.js";

export const LATEST_CACHE_ENTRIES = 10_000;
export const LATEST_CACHE_BYTES = 32 * 1024 * 1024;

export class LatestCache {
  /** `record: null` remembers that the name has no live version. */
  private readonly entries: BoundedCache<string, { record: ObjectVersionRecord | null }>;

  /** `noun`: the collection's object, naming the cache (`latest-secret-versions`, `latest-key-versions`). */
  constructor(noun: string, limit = LATEST_CACHE_ENTRIES, maxBytes = LATEST_CACHE_BYTES) {
    this.entries = new BoundedCache({ name: `latest-${noun}-versions`, maxEntries: limit, maxBytes });
  }

  static key(vaultId: string, nameKey: string): string {
    return `${vaultId}\u0000${nameKey}`;
  }

  get(key: string): ObjectVersionRecord | null | undefined {
    return this.entries.get(key)?.record;
  }

  set(key: string, record: ObjectVersionRecord | null): void {
    this.entries.set(key, { record });
  }

  drop(vaultId: string, nameKey: string): void {
    this.entries.delete(LatestCache.key(vaultId, nameKey));
  }

  clear(): void {
    this.entries.clear();
  }
}
