/** The audit sink of PostgreSQL deployments: records chained onto the shared head inside the store's transaction. */
import type { PgAuditStore } from "../storage/postgres/audit.js";
import type { AuditSink } from "./audit-writer.js";
import { chain, toLine, type AuditEntry } from "./record.js";

export class PostgresAuditSink implements AuditSink {
  constructor(
    private readonly store: PgAuditStore,
    private readonly node: string,
  ) {}

  /** Every batch is a committed transaction, so `durable` needs nothing more here. */
  append(entries: readonly AuditEntry[], _durable: boolean): Promise<void> {
    return this.store.append((head) => {
      const linked = chain(entries, head, this.node);
      const rows = linked.records.map((r) => ({
        seq: r.seq,
        hash: r.hash,
        time: r.time,
        vault: r.vault,
        caller: r.caller?.objectId ?? null,
        line: toLine(r).trimEnd(),
      }));
      return { rows, head: linked.head };
    });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
