/**
 * Opens the audit log that goes with the storage: JSON-lines files in `<data-dir>/audit/` for SQLite (one node),
 * the `audit_log` table for PostgreSQL (every node appends to the same chain).
 */
import os from "node:os";
import path from "node:path";
import type { ServerConfig } from "../config/config.js";
import { AuditWriter, type AuditSink } from "../audit/audit-writer.js";
import { FileAuditSink } from "../audit/file-sink.js";
import { RequestAudit } from "../http/request-audit.js";
import { parsePostgresUrl } from "./open-storage.js";

export interface OpenedAudit {
  audit: RequestAudit;
  close(): Promise<void>;
}

export async function openAudit(config: ServerConfig, kind: "sqlite" | "postgres"): Promise<OpenedAudit> {
  const node = `${os.hostname()}:${process.pid}`;
  let sink: AuditSink;
  if (kind === "postgres") {
    const { url, schema } = parsePostgresUrl(config.storage!);
    const { PgAuditStore } = await import("../storage/postgres/audit.js");
    const { PostgresAuditSink } = await import("../audit/postgres-sink.js");
    sink = new PostgresAuditSink(PgAuditStore.open(url, schema), node);
  } else {
    sink = FileAuditSink.open(auditDir(config.dataDir), { node, maxFileBytes: config.auditMaxFileBytes });
  }
  const writer = new AuditWriter(sink);
  return { audit: new RequestAudit(writer, config.auditFailClosed), close: () => writer.close() };
}

export function auditDir(dataDir: string): string {
  return path.join(dataDir, "audit");
}
