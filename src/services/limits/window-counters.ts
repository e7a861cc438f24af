/**
 * Fixed-window counters keyed by a string, bounded in entries. When more keys arrive than fit, the least recently
 * used are forgotten: a flood of distinct keys can push out other counters, but never grow memory.
 */
import { LRUCache } from "lru-cache";

interface Window {
  count: number;
  resetAt: number;
}

export interface WindowState {
  count: number;
  /** Milliseconds until this key's window closes and its count starts again from zero. */
  resetInMs: number;
}

export class WindowCounters {
  private readonly windows: LRUCache<string, Window>;

  constructor(
    readonly windowMs: number,
    maxKeys: number,
  ) {
    this.windows = new LRUCache<string, Window>({ max: maxKeys });
  }

  /** Counts `amount` against `key` and returns the window's state afterwards. */
  add(key: string, amount = 1, now = Date.now()): WindowState {
    const window = this.current(key, now);
    window.count += amount;
    return { count: window.count, resetInMs: window.resetAt - now };
  }

  /**
   * Counts `amount` against `key` only if that keeps the window at or under `limit`; a refused attempt is not
   * counted (as Key Vault: requests answered 429 do not count towards its limits).
   */
  tryTake(key: string, amount: number, limit: number, now = Date.now()): { ok: true } | { ok: false; resetInMs: number } {
    const window = this.current(key, now);
    if (window.count + amount > limit) return { ok: false, resetInMs: window.resetAt - now };
    window.count += amount;
    return { ok: true };
  }

  get size(): number {
    return this.windows.size;
  }

  private current(key: string, now: number): Window {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    return window;
  }
}

/** Seconds for a Retry-After header: whole seconds, at least one. */
export function retryAfterSeconds(resetInMs: number): number {
  return Math.max(1, Math.ceil(resetInMs / 1000));
}
