/**
 * Online backup of a running server's SQLite database, through SQLite's backup API: pages are copied from a
 * separate read-only connection while the server goes on writing (WAL lets readers and the writer proceed
 * together), and the copy is one consistent snapshot — every transaction committed before the copy's last step,
 * none half-applied. The root key is not in the database and is backed up separately (docs/deployment.md).
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
}

export class BackupError extends Error {
  override readonly name = "BackupError";
}

export async function backupSqlite(source: string, target: string): Promise<BackupResult> {
  if (!fs.existsSync(source)) throw new BackupError(`There is no database at ${source}: is --data-dir the server's data directory?`);
  if (fs.existsSync(target)) throw new BackupError(`${target} exists already; choose a new file (a backup never overwrites one).`);
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true, mode: 0o700 });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  // The server holds the write lock only for moments; wait for it rather than fail on a busy step.
  db.pragma("busy_timeout = 5000");
  const partial = `${target}.partial`;
  try {
    fs.rmSync(partial, { force: true });
    // Created 0600 before SQLite writes a page into it: the copy holds sealed values, wrapped data keys and
    // principals' secret digests, as the database does.
    fs.closeSync(fs.openSync(partial, "wx", 0o600));
    const progress = await db.backup(partial);
    const copy = new Database(partial, { fileMustExist: true });
    try {
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupError(`the copy failed its integrity check (${String(check)}); the source database may be damaged`);
      // A self-contained file: no -wal beside it that a later copy could forget.
      copy.pragma("journal_mode = DELETE");
    } finally {
      copy.close();
    }
    fs.renameSync(partial, target);
    return { file: path.resolve(target), bytes: fs.statSync(target).size, pages: progress.totalPages };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
}
