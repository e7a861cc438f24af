/**
 * `kluis audit show | verify`: operator commands that read the audit log where the server keeps it — the files in
 * the data directory (SQLite deployments) or the `audit_log` table of the PostgreSQL storage URL — directly, not
 * through the server. Like `kluis server`, they run on the server's host.
 */
import type { Command } from "commander";
import { resolveDataDir, resolveStorage } from "../../config/config.js";
import type { AuditRecord } from "../../audit/record.js";
import type { AuditSource } from "../../audit/sources.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";

const SOURCE_HELP =
  "Reads the audit log directly from the data directory (<data-dir>/audit/*.jsonl) or, with --storage " +
  "(env KLUIS_STORAGE), from the PostgreSQL database the servers share: run it on the server's host, as `kluis server`.";

interface SourceOptions {
  storage?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description(`Read and verify the audit log. ${SOURCE_HELP}`);

  onAction<SourceOptions & { vault?: string; caller?: string; since?: string }>(
    leafCommand(audit, "show", `Show audit records, oldest first. ${SOURCE_HELP}`)
      .option("--vault <name>", "only records of this vault")
      .option("--caller <objectId>", "only records of this caller (object id)")
      .option("--since <time>", "only records from this time on: ISO 8601 (2026-12-02T10:00Z) or a duration back from now (30m, 2h, 7d)")
      .option("--storage <url>", "PostgreSQL storage URL of the servers (env KLUIS_STORAGE; default: the data directory's files)"),
    async (options) => {
      const since = options.since === undefined ? undefined : parseSince(options.since);
      const vault = options.vault?.toLowerCase();
      const caller = options.caller?.toLowerCase();
      const records: AuditRecord[] = [];
      await withSource(options, async (source) => {
        for await (const line of source.lines()) {
          let record: AuditRecord;
          try {
            record = JSON.parse(line.text) as AuditRecord;
          } catch {
            continue; // `audit verify` reports unreadable lines; show lists what can be read.
          }
          if (since !== undefined && Date.parse(record.time) < since) continue;
          if (vault !== undefined && record.vault?.toLowerCase() !== vault) continue;
          if (caller !== undefined && record.caller?.objectId.toLowerCase() !== caller) continue;
          records.push(record);
        }
      });
      const format = (options.output ?? "json").toLowerCase();
      return format === "table" || format === "tsv" ? records.map(flatten) : records;
    },
  );

  onAction<SourceOptions & { expectHead?: string }>(
    leafCommand(
      audit,
      "verify",
      `Check the audit log's hash chain: exits 1 naming the first record that was removed, reordered, altered or torn. ${SOURCE_HELP}`,
    )
      .option("--expect-head <hash>", "a head hash recorded earlier (anchored elsewhere) that must still be in the chain")
      .option("--storage <url>", "PostgreSQL storage URL of the servers (env KLUIS_STORAGE; default: the data directory's files)"),
    async (options) =>
      withSource(options, async (source) => {
        const { verifyChain } = await import("../../audit/verify.js");
        const result = await verifyChain(source.lines(), options.expectHead);
        if (!result.ok) {
          const which = result.seq === null ? "a record" : `record ${result.seq}`;
          const request = result.requestId ? `, request ${result.requestId}` : "";
          throw new CliError(`audit log broken at ${which} (${result.location}${request}): ${result.reason}. ${result.records} records before it are intact.`);
        }
        const stored = await source.storedHead();
        if (stored && (stored.seq !== result.head.seq || stored.hash !== result.head.hash)) {
          throw new CliError(
            `audit log broken at its end: the stored head names record ${stored.seq} but the last record is ${result.head.seq}: records at the end were removed or the head was altered.`,
          );
        }
        if (result.anchorFound === false) {
          throw new CliError(`audit log broken: the expected head ${options.expectHead!} is not in the chain, so the chain was rewritten or cut before it.`);
        }
        return { ok: true, records: result.records, headSeq: result.head.seq, headHash: result.head.hash, source: source.description };
      }),
  );
}

async function withSource<T>(options: SourceOptions & { dataDir?: string }, use: (source: AuditSource) => Promise<T>): Promise<T> {
  const { openAuditSource } = await import("../../audit/sources.js");
  let source: AuditSource;
  try {
    source = await openAuditSource(resolveDataDir(options.dataDir), resolveStorage(options.storage));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  try {
    return await use(source);
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** ISO 8601, or a duration back from now: 90s, 30m, 2h, 7d. */
export function parseSince(value: string, now = Date.now()): number {
  const duration = /^(\d+)([smhd])$/.exec(value.trim());
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as "s" | "m" | "h" | "d"];
    return now - Number(duration[1]) * unit;
  }
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new UsageError(`argument --since: invalid value: '${value}' (ISO 8601 time or a duration such as 30m, 2h, 7d)`);
  return millis;
}

function flatten(record: AuditRecord): Record<string, string | number | boolean | null> {
  return {
    seq: record.seq,
    time: record.time,
    phase: record.phase,
    status: record.status,
    operation: record.operation,
    vault: record.vault,
    objectName: record.objectName,
    objectVersion: record.objectVersion,
    callerObjectId: record.caller?.objectId ?? null,
    callerAppId: record.caller?.appId ?? null,
    managedIdentity: record.caller?.managedIdentity ?? null,
    source: record.source,
    requestId: record.requestId,
  };
}
