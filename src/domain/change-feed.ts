/**
 * Cache invalidation between nodes. Each node keeps short-lived caches (vault lookups, verified tokens, role
 * assignments); when one node changes what a cache holds, it publishes the change and every node (itself included)
 * drops the entry. With SQLite there is one node, so the feed is in-process; with PostgreSQL it travels over
 * LISTEN/NOTIFY (storage/postgres/change-feed.ts).
 *
 * Notifications are best effort: a node that misses one (listening connection down) is told `{ kind: "all" }` once
 * it is back, and while `live` is false caches must not trust an entry for longer than a second.
 */

import { logger } from "../logging/logger.js";

/** `key`: a vault key changed (updated, disabled, deleted, purged, rotated); its change key is domain/keys `keyChangeKey`. */
export type ChangeKind = "vault" | "principal" | "role-assignment" | "settings" | "machine" | "key";

/** `key` names the entry (lower-cased vault name, principal object id, …); `all` means "flush everything". */
export type Change = { kind: ChangeKind; key: string } | { kind: "all" };

export type ChangeHandler = (change: Change) => void;

export interface ChangeFeed {
  /** True while changes from every node are being delivered; false means caches fall back to a short TTL. */
  readonly live: boolean;
  /** Tells every node, this one included; never throws (a lost notification is covered by the TTL fallback). */
  publish(kind: ChangeKind, key: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(handler: ChangeHandler): () => void;
  close(): Promise<void>;
}

/** Longest a cache may trust an entry while the feed is not live. */
export const FALLBACK_TTL_MS = 1000;

/** Calls each handler, isolating them: one failing cache must not keep the others stale. */
export class Subscribers {
  private readonly handlers = new Set<ChangeHandler>();

  add(handler: ChangeHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  emit(change: Change): void {
    for (const handler of this.handlers) {
      try {
        handler(change);
      } catch (error) {
        logger.error({ component: "change-feed", error: error instanceof Error ? error.message : String(error) }, "change handler failed");
      }
    }
  }
}

/** One process, one node: changes are delivered synchronously and the feed is always live. */
export class LocalChangeFeed implements ChangeFeed {
  readonly live = true;
  private readonly subscribers = new Subscribers();

  async publish(kind: ChangeKind, key: string): Promise<void> {
    this.subscribers.emit({ kind, key });
  }

  subscribe(handler: ChangeHandler): () => void {
    return this.subscribers.add(handler);
  }

  async close(): Promise<void> {}
}

/**
 * Wires a cache with an `invalidate(key?)` method (no key = everything) to one kind of change, e.g.
 * `invalidateOn(feed, "role-assignment", roleAssignmentCache)`.
 */
export function invalidateOn(feed: ChangeFeed, kind: ChangeKind, cache: { invalidate(key?: string): void }): () => void {
  return feed.subscribe((change) => {
    if (change.kind === "all") cache.invalidate();
    else if (change.kind === kind) cache.invalidate(change.key);
  });
}
