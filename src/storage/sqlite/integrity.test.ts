/** The write counter beside the database: recorded before the writer's caller resumes, and only for commits. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { lastWriteFile } from "./integrity.js";
import { openSqliteStore } from "./open.js";

function counters(file: string): { inDatabase: number; beside: number } {
  const reader = new Database(file, { readonly: true });
  try {
    const inDatabase = Number((reader.prepare("SELECT n FROM write_counter").get() as { n: number }).n);
    return { inDatabase, beside: Number(fs.readFileSync(lastWriteFile(file), "utf8")) };
  } finally {
    reader.close();
  }
}

test("each acknowledged write is recorded beside the database before its caller resumes", { timeout: 10_000 }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kluis-integrity-")), "kluis.db");
  const store = openSqliteStore(file);
  try {
    const start = counters(file);
    assert.equal(start.beside, start.inDatabase);
    for (let i = 0; i < 5; i++) {
      await store.settings.putIfAbsent(`k${i}`, "v");
      const now = counters(file);
      assert.ok(now.inDatabase > start.inDatabase + i, "the write bumped the counter in the database");
      assert.equal(now.beside, now.inDatabase, `after write ${i}`);
    }
    // A write that changes nothing (the key exists) counts nothing.
    const before = counters(file);
    await store.settings.putIfAbsent("k0", "other");
    assert.deepEqual(counters(file), before);
  } finally {
    await store.close();
  }
});

test("a copy whose counter is behind the recorded one is refused before anything is written to it", { timeout: 10_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-integrity-"));
  const file = path.join(dir, "kluis.db");
  const store = openSqliteStore(file);
  await store.settings.putIfAbsent("a", "1");
  await store.close();
  const older = path.join(dir, "older.db");
  fs.copyFileSync(file, older);
  fs.writeFileSync(lastWriteFile(older), `${counters(file).inDatabase + 1}\n`);
  const bytes = fs.readFileSync(older);
  assert.throws(() => openSqliteStore(older), /older\.db is missing committed writes: it ends at write \d+, but write \d+ was acknowledged/);
  assert.ok(fs.readFileSync(older).equals(bytes));
});
