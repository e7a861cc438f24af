/**
 * The latest version of recently read objects (one cache per collection: secrets, keys), kept in memory: reads
 * dominate, and a read served from here skips a two-index join and the row's decoding. Safe because SQLite has
 * exactly one writer (this process) and every write path of the versioned-object store drops the entries it touches.
 * Bounded, so 100,000 objects don't all end up in memory; cached records are shared and must be treated as immutable.
 */
import type { ObjectVersionRecord } from "../types.js";

export const LATEST_CACHE_ENTRIES = 10_000;

export class LatestCache {
  private readonly entries = new Map<string, ObjectVersionRecord | null>();

  constructor(private readonly limit = LATEST_CACHE_ENTRIES) {}

  static key(vaultId: string, nameKey: string): string {
    return `${vaultId}\u0000${nameKey}`;
  }

  get(key: string): ObjectVersionRecord | null | undefined {
    return this.entries.get(key);
  }

  set(key: string, record: ObjectVersionRecord | null): void {
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, record);
  }

  drop(vaultId: string, nameKey: string): void {
    this.entries.delete(LatestCache.key(vaultId, nameKey));
  }

  clear(): void {
    this.entries.clear();
  }
}
