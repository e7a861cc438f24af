/**
 * Reading an audit log back, for the operator commands `kluis audit show | verify`: the files of a data directory
 * or the table of a PostgreSQL storage URL, read directly (these commands run on the server's host, like
 * `kluis server`, with access to what it stores).
 */
import fs from "node:fs";
import path from "node:path";
import { readAuditFiles } from "./file-sink.js";
import type { ChainHead } from "./record.js";
import type { StoredLine } from "./verify.js";

export interface AuditSource {
  /** What is being read, for messages. */
  readonly description: string;
  lines(): AsyncIterable<StoredLine>;
  /** The chain's head as stored apart from the records (PostgreSQL), to catch records cut off the end. */
  storedHead(): Promise<ChainHead | null>;
  close(): Promise<void>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

export async function openAuditSource(dataDir: string, storage: string | undefined): Promise<AuditSource> {
  if (storage && POSTGRES_URL.test(storage)) {
    const { parsePostgresUrl } = await import("../server/open-storage.js");
    const { PgAuditStore } = await import("../storage/postgres/audit.js");
    const { url, schema } = parsePostgresUrl(storage);
    const store = PgAuditStore.open(url, schema);
    const redacted = new URL(url);
    redacted.password = "";
    return {
      description: `table audit_log at ${redacted.host}${redacted.pathname}${schema ? ` (schema ${schema})` : ""}`,
      async *lines() {
        for await (const row of store.lines()) yield { location: `audit_log seq ${row.seq}`, text: row.line };
      },
      storedHead: () => store.head(),
      close: () => store.close(),
    };
  }
  if (storage && storage !== "sqlite") throw new Error(`unsupported storage '${storage}': use postgres://… or leave it unset for the data directory`);
  const dir = path.join(dataDir, "audit");
  if (!fs.existsSync(dir)) throw new Error(`no audit log in ${dir}`);
  return {
    description: dir,
    lines: () => readAuditFiles(dir),
    storedHead: async () => null,
    close: async () => {},
  };
}
