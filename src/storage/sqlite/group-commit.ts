/**
 * Group commit: writes that arrive in the same turn of the event loop share one transaction, so one fsync
 * (synchronous=FULL) makes them all durable. Each write runs in its own savepoint, so one that fails (a conflict)
 * rolls back alone and only its caller sees the error. Every promise settles after the commit, never before:
 * an acknowledged write is on disk.
 */
import type Database from "better-sqlite3";

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private readonly flushAll: (batch: Pending<T>[]) => unknown[];

  /** `write` must be a better-sqlite3 transaction function: called inside the batch it becomes a savepoint. */
  constructor(db: Database.Database, write: (item: T) => void) {
    this.flushAll = db.transaction((batch: Pending<T>[]) =>
      batch.map(({ item }) => {
        try {
          write(item);
          return undefined;
        } catch (error) {
          return error ?? new Error("write failed");
        }
      }),
    );
  }

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    let outcomes: unknown[];
    try {
      outcomes = (this.flushAll as unknown as { immediate(b: Pending<T>[]): unknown[] }).immediate(batch);
    } catch (error) {
      // The commit itself failed: nothing in the batch is durable.
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => (outcomes[i] === undefined ? pending.resolve() : pending.reject(outcomes[i])));
  }
}
