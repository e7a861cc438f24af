/**
 * One audit record and the hash chain that links records: each record carries the hash of the one before it
 * (`prev`) and its own hash over its canonical form, so removing, reordering or editing a record breaks the chain
 * at that point. Records describe who did what to which object and how it ended — never a value, token or body.
 */
import { hash } from "node:crypto";

/** `prev` of the first record of a chain. */
export const GENESIS = "0".repeat(64);

export interface AuditCaller {
  objectId: string;
  appId: string;
  managedIdentity: boolean;
  /** The machine a managed identity belongs to (the token's `xms_mirid`), else null. */
  resourceId: string | null;
}

/** What the HTTP edge knows of one request; the chain fields are added when the record is written. */
export interface AuditEntry {
  time: string;
  /**
   * "intent": written before a state-changing handler runs (fail-closed: no record, no change);
   * "result": the outcome of every audited request (a read's record is written before its reply leaves).
   */
  phase: "intent" | "result";
  requestId: string;
  surface: string;
  method: string;
  /** The route's operation name; null when no route matched. */
  operation: string | null;
  path: string;
  vault: string | null;
  objectName: string | null;
  objectVersion: string | null;
  caller: AuditCaller | null;
  source: string | null;
  /** The reply's status; null on an intent record. */
  status: number | null;
}

export interface AuditRecord extends AuditEntry {
  /** Position in the chain, from 1. */
  seq: number;
  /** The node that wrote the record (host name and process id): informative, not part of any ordering. */
  node: string;
  prev: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS };

/**
 * Every field name a record may have, sorted. JSON.stringify with this list as replacer writes the keys in this
 * order at every level and leaves out anything else: one canonical text per record, cheaply.
 */
const RECORD_KEYS = [
  "seq", "time", "node", "phase", "requestId", "surface", "method", "operation", "path", "vault", "objectName", "objectVersion",
  "caller", "objectId", "appId", "managedIdentity", "resourceId", "source", "status", "prev", "hash",
].sort();

/** The canonical text of a record (or of a record without its hash): what is hashed and what is stored. */
export function canonicalJson(record: Omit<AuditRecord, "hash"> | AuditRecord): string {
  return JSON.stringify(record, RECORD_KEYS);
}

/** The hash of a record: SHA-256 over its canonical JSON without the `hash` field (`prev` and `seq` included). */
export function hashOf(record: Omit<AuditRecord, "hash"> | AuditRecord): string {
  const { hash: _ignored, ...rest } = record as AuditRecord;
  return sha256Hex(canonicalJson(rest));
}

/** Links `entries` onto `head`; returns the records (in order) and the new head. */
export function chain(entries: readonly AuditEntry[], head: ChainHead, node: string): { records: AuditRecord[]; head: ChainHead } {
  const records: AuditRecord[] = [];
  let current = head;
  for (const entry of entries) {
    const unsigned = { ...entry, seq: current.seq + 1, node, prev: current.hash };
    const record: AuditRecord = { ...unsigned, hash: sha256Hex(canonicalJson(unsigned)) };
    records.push(record);
    current = { seq: record.seq, hash: record.hash };
  }
  return { records, head: current };
}

/** One record as a JSONL line (canonical, so the stored text is exactly what was hashed plus the hash). */
export function toLine(record: AuditRecord): string {
  return `${canonicalJson(record)}\n`;
}

/**
 * One-shot hashing: no Hash object per record, whose native memory would wait for a garbage collection to be freed
 * (under a flood of audited requests that kept tens of MB of RSS alive).
 */
function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}
