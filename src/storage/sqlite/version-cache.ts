/**
 * Explicitly addressed versions (`GET /keys/{name}/{version}`, `POST /keys/{name}/{version}/sign`, a secret read
 * by version) kept in memory, as latest-cache.ts keeps the latest ones: clients of key cryptography always name the
 * version (the `kid`), so without this every sign costs a two-table join and the row's decoding.
 *
 * Only a version's row lives here, not whether its object is live: the store checks liveness through the latest
 * cache first (which every name-level write — delete, recover, purge, put — already drops), so soft delete needs no
 * scan here. What must drop entries: updateVersion (the row's attributes change: re-reads stay fresh) and purge (the
 * name may come back with other versions, and a purged version must not answer again). Safe because SQLite has one
 * writer, this process. Bounded in entries and bytes; cached records are shared and must be treated as immutable.
 */
import { BoundedCache } from "../../cache/bounded-cache.js";
import type { ObjectVersionRecord } from "../types.js";

export const VERSION_CACHE_ENTRIES = 4096;
export const VERSION_CACHE_BYTES = 16 * 1024 * 1024;

export class VersionCache {
  private readonly entries: BoundedCache<string, ObjectVersionRecord>;

  /** `noun`: the collection's object, naming the cache (`secret-versions`, `key-versions`). */
  constructor(noun: string, limit = VERSION_CACHE_ENTRIES, maxBytes = VERSION_CACHE_BYTES) {
    this.entries = new BoundedCache({ name: `${noun}-versions`, maxEntries: limit, maxBytes });
  }

  /** `nameKey` and `version` lower-cased, as the store keys them. */
  static key(vaultId: string, nameKey: string, version: string): string {
    return `${vaultId}\u0000${nameKey}\u0000${version}`;
  }

  get(key: string): ObjectVersionRecord | undefined {
    return this.entries.get(key);
  }

  set(key: string, record: ObjectVersionRecord): void {
    this.entries.set(key, record);
  }

  drop(vaultId: string, nameKey: string, version: string): void {
    this.entries.delete(VersionCache.key(vaultId, nameKey, version.toLowerCase()));
  }

  /** Every version of the given names (`vaultId\0nameKey`): one scan, for purges, which are rare. */
  dropNames(names: ReadonlySet<string>): void {
    if (names.size === 0 || this.entries.size === 0) return;
    this.entries.deleteWhere((_record, key) => names.has(key.slice(0, key.lastIndexOf("\u0000"))));
  }

  clear(): void {
    this.entries.clear();
  }
}
