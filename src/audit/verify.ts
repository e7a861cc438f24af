/**
 * Verification of a hash chain read back from files or a table. The first record that does not fit is named with
 * where it was found; everything after it is suspect too, so verification stops there.
 */
import { canonicalJson, EMPTY_HEAD, hashOf, type AuditRecord, type ChainHead } from "./record.js";

export interface StoredLine {
  /** Where the line was read, for the report: "audit-20261202-0001.jsonl:17" or "audit_log seq 17". */
  location: string;
  text: string;
}

export type VerifyResult =
  | { ok: true; records: number; head: ChainHead; anchorFound: boolean | null }
  | { ok: false; records: number; location: string; seq: number | null; requestId: string | null; reason: string };

/**
 * Checks every record in order: it parses, its `seq` follows, its `prev` is the previous record's hash and its
 * `hash` is its own. `expectHead`, a hash recorded elsewhere earlier (an anchor), must appear in the chain:
 * a chain rewritten from an earlier point on no longer contains it.
 */
export async function verifyChain(lines: AsyncIterable<StoredLine>, expectHead?: string): Promise<VerifyResult> {
  let head = EMPTY_HEAD;
  let count = 0;
  let anchorFound = expectHead === undefined ? null : false;
  for await (const line of lines) {
    let record: AuditRecord;
    try {
      record = JSON.parse(line.text) as AuditRecord;
      if (typeof record !== "object" || record === null) throw new Error("not an object");
    } catch {
      return { ok: false, records: count, location: line.location, seq: null, requestId: null, reason: "the line is not a complete record (torn or edited)" };
    }
    const fail = (reason: string): VerifyResult => ({ ok: false, records: count, location: line.location, seq: record.seq ?? null, requestId: record.requestId ?? null, reason });
    // The stored text must be exactly the canonical form: a field added, or a value rewritten in another
    // spelling, is an alteration too, even where the hash over the known fields would still match.
    if (line.text !== canonicalJson(record) || record.hash !== hashOf(record)) return fail("its hash does not match its content: the record was altered");
    if (record.prev !== head.hash) {
      return fail(`it does not follow record ${head.seq}: a record before it was removed or reordered, or the chain was cut`);
    }
    if (record.seq !== head.seq + 1) return fail(`its sequence number ${String(record.seq)} does not follow ${head.seq}`);
    head = { seq: record.seq, hash: record.hash };
    count++;
    if (expectHead !== undefined && record.hash === expectHead) anchorFound = true;
  }
  return { ok: true, records: count, head, anchorFound };
}
