/**
 * The audit log of a single-node (SQLite) deployment: JSON lines in `<data-dir>/audit/`, one file per UTC day and
 * a new one when a file reaches its size limit (`audit-YYYYMMDD-NNNN.jsonl`, so names sort in write order). One
 * chain runs through all files. The directory is 0700 and the files 0600.
 *
 * Each batch opens the current file by name, appends, syncs and closes it. Reopening by name means a file that
 * was deleted or replaced is noticed (a write into an unlinked inode would be lost silently), and a batch that
 * could not be written whole is cut off again, so the file never keeps half a batch the chain does not know.
 */
import fs from "node:fs";
import path from "node:path";
import { chain, EMPTY_HEAD, toLine, type AuditEntry, type AuditRecord, type ChainHead } from "./record.js";
import type { AuditSink } from "./audit-writer.js";
import type { StoredLine } from "./verify.js";

const FILE_NAME = /^audit-(\d{8})-(\d{4})\.jsonl$/;
/** How much of the newest file is read at start to find the chain's head: far more than one record. */
const TAIL_BYTES = 256 * 1024;
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Read records wait at most this long for a sync (see append). */
const SYNC_INTERVAL_MS = 1_000;

export class FileAuditSink implements AuditSink {
  private lastSync = 0;

  private constructor(
    private readonly dir: string,
    private readonly node: string,
    private readonly maxFileBytes: number,
    private head: ChainHead,
    /** The file being appended to and its size as we left it (infinite: the next batch starts the next file). */
    private current: { name: string; day: string; index: number; size: number } | null,
  ) {}

  static open(dir: string, options: { node: string; maxFileBytes?: number }): FileAuditSink {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const files = auditFiles(dir);
    let head = EMPTY_HEAD;
    let current: FileAuditSink["current"] = null;
    for (let i = files.length - 1; i >= 0; i--) {
      const found = lastRecord(path.join(dir, files[i]!));
      if (!found) continue;
      head = { seq: found.record.seq, hash: found.record.hash };
      // Append to the newest file only when it ends cleanly; after a torn write the chain goes on in a new file
      // and the torn line stays where it is, for `audit verify` to report.
      if (i === files.length - 1 && found.clean) {
        const match = FILE_NAME.exec(files[i]!)!;
        current = { name: files[i]!, day: match[1]!, index: Number(match[2]), size: fs.statSync(path.join(dir, files[i]!)).size };
      }
      break;
    }
    if (!current && files.length > 0) {
      const match = FILE_NAME.exec(files[files.length - 1]!)!;
      // Keeps the numbering moving on past the newest file, whatever state it is in.
      current = { name: files[files.length - 1]!, day: match[1]!, index: Number(match[2]), size: Number.POSITIVE_INFINITY };
    }
    return new FileAuditSink(dir, options.node, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, head, current);
  }

  async append(entries: readonly AuditEntry[], durable: boolean): Promise<void> {
    const { records, head } = chain(entries, this.head, this.node);
    const text = records.map(toLine).join("");
    const bytes = Buffer.byteLength(text);
    const file = this.fileFor(bytes);
    // Synchronous on purpose: a batch is one small append (and, for writes, one fdatasync, as SQLite's own commit
    // does on this thread anyway). Going through libuv's thread pool instead made each pool thread grow its own
    // malloc arena: +38 MB of RSS that never came back under a flood of refused requests.
    const fd = fs.openSync(path.join(this.dir, file.name), "a", 0o600);
    let before = -1;
    try {
      before = fs.fstatSync(fd).size;
      fs.writeSync(fd, text);
      const now = Date.now();
      if (durable || now - this.lastSync >= SYNC_INTERVAL_MS) {
        fs.fdatasyncSync(fd);
        this.lastSync = now;
      }
    } catch (error) {
      let cut = false;
      if (before >= 0) {
        try {
          fs.ftruncateSync(fd, before);
          cut = true;
        } catch {
          cut = false;
        }
      }
      this.current = { ...file, size: cut ? before : Number.POSITIVE_INFINITY };
      throw error;
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // the append itself succeeded or already failed; a failed close loses nothing written
      }
    }
    this.current = { ...file, size: before + bytes };
    this.head = head;
  }

  async close(): Promise<void> {}

  private fileFor(bytes: number): { name: string; day: string; index: number } {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
    const current = this.current;
    if (current && current.day === day && current.size + bytes <= this.maxFileBytes) return current;
    const index = current && current.day === day ? current.index + 1 : 1;
    const name = `audit-${day}-${String(index).padStart(4, "0")}.jsonl`;
    this.current = { name, day, index, size: 0 };
    return this.current;
  }
}

/** The audit files of `dir` in write order. */
export function auditFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => FILE_NAME.test(name))
    .sort();
}

/** Every line of every audit file, in order, for verification and `audit show`. */
export async function* readAuditFiles(dir: string): AsyncGenerator<StoredLine> {
  for (const name of auditFiles(dir)) {
    const text = await fs.promises.readFile(path.join(dir, name), "utf8");
    const lines = text.split("\n");
    // A file ends with "\n": the empty last piece is not a line; anything else there is a torn record.
    if (lines[lines.length - 1] === "") lines.pop();
    for (let i = 0; i < lines.length; i++) yield { location: `${name}:${i + 1}`, text: lines[i]! };
  }
}

function lastRecord(file: string): { record: AuditRecord; clean: boolean } | null {
  const size = fs.statSync(file).size;
  if (size === 0) return null;
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, buffer, 0, length, size - length);
  } finally {
    fs.closeSync(fd);
  }
  const text = buffer.toString("utf8");
  const clean = text.endsWith("\n");
  const lines = text.split("\n").filter((l) => l.length > 0);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const record = JSON.parse(lines[i]!) as AuditRecord;
      if (typeof record.seq === "number" && typeof record.hash === "string") return { record, clean: clean && i === lines.length - 1 };
    } catch {
      // a torn or foreign line: look further back
    }
  }
  return null;
}
