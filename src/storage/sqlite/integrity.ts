/**
 * Damage checks when the embedded database opens, so that a damaged file refuses to start instead of answering
 * 500s, or silently serving an older state:
 *
 * - `PRAGMA quick_check` finds a truncated or overwritten file.
 * - A write counter kept in two places finds lost commits. A commit first lands in the write-ahead log
 *   (`kluis.db-wal`) and reaches the main file only at a checkpoint. If the log is deleted or damaged (a restore
 *   that forgot it, a copy of the main file alone, a bad disk), SQLite opens the main file's older state without a
 *   word, or ignores the log from the first bad frame on. So every transaction that changes a row also bumps
 *   `write_counter.n` inside the database, and right after the commit this module writes the same number to
 *   `kluis.db.last-write` beside it. At open, a database whose counter is below the file's has lost commits that
 *   were acknowledged.
 *
 * The counter is bumped by temporary triggers created on every table at open, so tables added by later migrations
 * are covered without each store remembering to do it. The file is written after the commit (never before, so a
 * rolled-back write is never counted) and without fsync: it must survive the process (SIGKILL, a crash), which the
 * OS page cache guarantees; after a power loss it can only lag the database, which is never mistaken for damage.
 */
import fs from "node:fs";
import type Database from "better-sqlite3";

/** Raised at open: the message names the file, what is wrong and how to repair it. */
export class DatabaseDamaged extends Error {
  override readonly name = "DatabaseDamaged";
}

const COUNTER_TABLE = "write_counter";
const COUNTER_WIDTH = 20;

export function lastWriteFile(dbFile: string): string {
  return `${dbFile}.last-write`;
}

function repair(dbFile: string): string {
  return (
    `Restore ${dbFile} from a backup: stop the server, put the backup in its place and delete ` +
    `${dbFile}-wal, ${dbFile}-shm and ${lastWriteFile(dbFile)} beside it (they belong to the damaged copy).`
  );
}

/** An error SQLite raised because the file is not a sound database, rather than for any other reason. */
export function isDamageError(error: unknown): boolean {
  const code = error instanceof Error && "code" in error ? String((error as { code: unknown }).code) : "";
  return code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB";
}

export function damaged(dbFile: string, detail: string): DatabaseDamaged {
  return new DatabaseDamaged(`the database ${dbFile} is damaged (${detail}); Kluis will not start on it. ${repair(dbFile)}`);
}

/** Runs SQLite's structural check; throws DatabaseDamaged naming what it found. */
export function quickCheck(db: Database.Database, dbFile: string): void {
  const rows = db.pragma("quick_check(5)") as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((line) => line !== "ok");
  if (problems.length > 0) throw damaged(dbFile, `quick_check: ${problems.join("; ")}`);
}

/** The database's write counter; 0 before migration 5 has made it. */
function counterOf(db: Database.Database): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '${COUNTER_TABLE}'`).get();
  if (!table) return 0;
  return Number(db.prepare<[], { n: number | bigint }>(`SELECT n FROM ${COUNTER_TABLE} WHERE id = 1`).get()?.n ?? 0);
}

/**
 * Compares the database's write counter with the one recorded beside it. Call before migrations, so a refused
 * database is left exactly as found.
 */
export function checkCommits(db: Database.Database, dbFile: string): void {
  const file = lastWriteFile(dbFile);
  const stored = readRecorded(file);
  const current = counterOf(db);
  if (stored !== null && stored > current) {
    throw new DatabaseDamaged(
      `the database ${dbFile} is missing committed writes: it ends at write ${current}, but write ${stored} was ` +
        `acknowledged (${file}). Its write-ahead log ${dbFile}-wal was lost or damaged; Kluis will not start on it. ` +
        `${repair(dbFile)} If you restored an older backup on purpose, delete ${file} to accept it.`,
    );
  }
}

/**
 * Keeps the counter recorded beside the database in step with it for as long as `db` is open. Call after
 * migrations (the counter table is migration 5). Returns a function that stops tracking and closes the file.
 */
export function trackCommits(db: Database.Database, dbFile: string): () => void {
  const file = lastWriteFile(dbFile);
  const read = db.prepare<[], { n: number | bigint }>(`SELECT n FROM ${COUNTER_TABLE} WHERE id = 1`);
  const inDatabase = (): number => Number(read.get()?.n ?? 0);
  const current = inDatabase();
  const fd = fs.openSync(file, fs.existsSync(file) ? "r+" : "w", 0o600);
  let written = -1;
  const record = (n: number): void => {
    if (n <= written) return;
    fs.writeSync(fd, `${String(n).padStart(COUNTER_WIDTH, "0")}\n`, 0);
    written = n;
  };
  record(current);

  let scheduled = false;
  let stopped = false;
  // Runs once the synchronous code that committed has returned: a microtask queued during the transaction runs
  // before any continuation of the code awaiting the write, so the number is recorded before a reply can leave.
  const flush = (): void => {
    if (stopped || !db.open) return;
    if (db.inTransaction) {
      setImmediate(flush);
      return;
    }
    scheduled = false;
    record(inDatabase());
  };
  db.function("kluis_wrote", { deterministic: false }, () => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
    return null;
  });
  const tables = db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '${COUNTER_TABLE}'`)
    .all()
    .map((row) => row.name);
  for (const table of tables) {
    for (const event of ["INSERT", "UPDATE", "DELETE"]) {
      const trigger = `kluis_count_${table}_${event.toLowerCase()}`.replaceAll('"', "");
      db.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS "${trigger}" AFTER ${event} ON main."${table.replaceAll('"', '""')}" ` +
          `BEGIN UPDATE main.${COUNTER_TABLE} SET n = n + 1 WHERE id = 1; SELECT kluis_wrote(); END`,
      );
    }
  }
  return () => {
    if (stopped) return;
    stopped = true;
    if (db.open) record(inDatabase());
    fs.closeSync(fd);
  };
}

function readRecorded(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
  // Unreadable (e.g. torn by a power loss): it can prove nothing, so it is rewritten from the database.
  return /^\d+$/.test(text) ? Number(text) : null;
}
