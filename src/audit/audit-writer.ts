/**
 * The bounded front of an audit sink. Requests append entries and wait until their batch is durable; while one
 * batch is being written, newer entries gather for the next one, so under load one write (and one sync) serves
 * many requests. The waiting room is bounded: when it is full, an append fails at once instead of queueing, and
 * the caller treats that like any failed write (fail-closed: 503).
 */
import type { AuditEntry } from "./record.js";

/**
 * Where records end up: appends `entries` in order, chained onto the sink's head, or throws having written none.
 * `durable`: some entry belongs to a request that changes state, so the batch must reach the disk before any of its
 * requests goes on; otherwise a sink may delay the sync a little (see file-sink.ts).
 */
export interface AuditSink {
  append(entries: readonly AuditEntry[], durable: boolean): Promise<void>;
  close(): Promise<void>;
}

export class AuditUnavailable extends Error {
  override readonly name = "AuditUnavailable";
}

interface Waiting {
  entry: AuditEntry;
  durable: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface AuditWriterOptions {
  /** Entries that may wait for the next batch (default 4096). */
  maxWaiting?: number;
  /** Entries written in one batch at most (default 512). */
  maxBatch?: number;
}

export class AuditWriter {
  private waiting: Waiting[] = [];
  private writing: Promise<void> | null = null;
  private readonly maxWaiting: number;
  private readonly maxBatch: number;

  constructor(
    private readonly sink: AuditSink,
    options: AuditWriterOptions = {},
  ) {
    this.maxWaiting = options.maxWaiting ?? 4096;
    this.maxBatch = options.maxBatch ?? 512;
  }

  /** Resolves once the entry is written; rejects with the sink's error, or AuditUnavailable when full. */
  append(entry: AuditEntry, durable: boolean): Promise<void> {
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new AuditUnavailable(`audit buffer full (${this.maxWaiting} records waiting)`));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entry, durable, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Waits for what is queued, then closes the sink. */
  async close(): Promise<void> {
    await this.writing;
    await this.sink.close();
  }

  private async drain(): Promise<void> {
    // Let the requests of this tick join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        await this.sink.append(
          batch.map((w) => w.entry),
          batch.some((w) => w.durable),
        );
        for (const w of batch) w.resolve();
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const w of batch) w.reject(failure);
      }
    }
    this.writing = null;
  }
}
