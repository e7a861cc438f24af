/**
 * Every in-memory cache of the server is one of these: named (for logs and, later, metrics), and bounded both in
 * entries and in (estimated) bytes, so no input — random host names, many tokens, large secret values — can grow
 * the process without limit. Least recently used entries go first.
 */
import { LRUCache } from "lru-cache";

export interface CacheLimits {
  /** Stable name, e.g. "vault-lookups"; shows in logs and metrics. */
  readonly name: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export interface CacheStats {
  name: string;
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
}

/** Keys and values are never null or undefined (lru-cache's own constraint): wrap a nullable value in an object. */
export class BoundedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  readonly name: string;
  private readonly lru: LRUCache<K, V>;

  constructor(
    private readonly limits: CacheLimits,
    sizeOf: (value: V, key: K) => number = (value, key) => estimateBytes(key) + estimateBytes(value),
  ) {
    this.name = limits.name;
    this.lru = new LRUCache<K, V>({
      max: limits.maxEntries,
      maxSize: limits.maxBytes,
      // lru-cache refuses sizes below 1; an entry larger than the whole budget is simply not kept.
      sizeCalculation: (value, key) => Math.max(1, Math.ceil(sizeOf(value, key))),
    });
  }

  get(key: K): V | undefined {
    return this.lru.get(key);
  }

  set(key: K, value: V): void {
    this.lru.set(key, value);
  }

  delete(key: K): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  /** Drops every entry for which `predicate` holds (a scan: for rare invalidations, not per request). */
  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    const doomed: K[] = [];
    for (const [key, value] of this.lru.entries()) if (predicate(value, key)) doomed.push(key);
    for (const key of doomed) this.lru.delete(key);
  }

  get size(): number {
    return this.lru.size;
  }

  stats(): CacheStats {
    return { name: this.name, entries: this.lru.size, bytes: this.lru.calculatedSize, maxEntries: this.limits.maxEntries, maxBytes: this.limits.maxBytes };
  }
}

const OBJECT_OVERHEAD = 32;
const MAX_DEPTH = 6;

/**
 * A rough, cheap estimate of what a value holds in memory: string lengths, buffer lengths, a fixed overhead per
 * object and property. Exactness doesn't matter; proportionality to what an attacker can make large does.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  if (value === null || value === undefined) return 8;
  switch (typeof value) {
    case "string":
      return 16 + value.length * 2;
    case "number":
    case "boolean":
    case "bigint":
      return 8;
    case "object": {
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return OBJECT_OVERHEAD + value.byteLength;
      if (depth >= MAX_DEPTH) return OBJECT_OVERHEAD;
      let total = OBJECT_OVERHEAD;
      if (Array.isArray(value)) {
        for (const item of value) total += 8 + estimateBytes(item, depth + 1);
        return total;
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) total += 8 + k.length * 2 + estimateBytes(v, depth + 1);
      return total;
    }
    default:
      return OBJECT_OVERHEAD;
  }
}
