/**
 * Backups as an operator takes them: `kluis server backup` copies a running SQLite server's database while
 * writes go on, and a server started on a data directory restored from it (the copy, plus the root key and
 * admin.json kept separately) serves everything acknowledged before the backup began. For PostgreSQL, the
 * documented pg_dump of the schema, restored into a fresh database, serves the same.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { claims, createVault, secretClient, token } from "../harness/clients.js";
import { CLI, startServer, tempDir, type KluisServer } from "../harness/server.js";

const run = promisify(execFile);
const PG_SETTING = process.env.KLUIS_TEST_POSTGRES;
const PG_URL = PG_SETTING && PG_SETTING !== "skip" ? PG_SETTING : "postgres://postgres@127.0.0.1:5432/test";

/** A data directory for a restored server: the separately kept root key, admin.json and TLS files. */
function restoredDataDir(from: string): string {
  const dir = tempDir("restored");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const file of ["root.key", "admin.json"]) fs.copyFileSync(path.join(from, file), path.join(dir, file));
  fs.cpSync(path.join(from, "tls"), path.join(dir, "tls"), { recursive: true });
  return dir;
}

describe("online backup of a running SQLite server", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let restored: KluisServer | undefined;

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-backup", "backup-kv", [String(claims(management).oid)]);
  });
  after(async () => {
    await restored?.stop();
    await server.stop();
  });

  it("copies while writes go on; a server on the restored copy serves every write acknowledged before it", async () => {
    const client = secretClient(server, "backup-kv");
    for (let i = 0; i < 40; i++) await client.setSecret(`before-${i}`, `value-${i}`);
    // Writes keep arriving during the backup; remember which were acknowledged before it started.
    const acknowledged: { name: string; at: number }[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 2000; i++) {
        await client.setSecret(`during-${i}`, `v-${i}`);
        acknowledged.push({ name: `during-${i}`, at: performance.now() });
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const target = path.join(tempDir("backups"), "kluis-backup.db");
    const started = performance.now();
    const { stdout } = await run(process.execPath, [CLI, "server", "backup", "--data-dir", server.dataDir, "--to", target], { timeout: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    writing = false;
    await writer;
    const result = JSON.parse(stdout) as { file: string; bytes: number; pages: number };
    assert.equal(result.file, target);
    assert.ok(result.pages > 0 && result.bytes > 0);
    assert.equal(fs.statSync(target).mode & 0o777, 0o600, "the copy holds sealed data: owner-only");
    const before = acknowledged.filter((w) => w.at < started);
    assert.ok(before.length > 0 && acknowledged.length > before.length, `writes went on around the backup (${before.length} before, ${acknowledged.length} in all)`);

    const dir = restoredDataDir(server.dataDir);
    fs.copyFileSync(target, path.join(dir, "kluis.db"));
    restored = await startServer({ dataDir: dir, seedTls: false });
    const copy = secretClient(restored, "backup-kv");
    for (let i = 0; i < 40; i++) assert.equal((await copy.getSecret(`before-${i}`)).value, `value-${i}`);
    for (const w of before) assert.equal((await copy.getSecret(w.name)).value, `v-${w.name.slice("during-".length)}`);
    console.log(`backup: ${result.pages} pages, ${before.length} writes acknowledged before it, ${acknowledged.length - before.length} during/after`);
  });

  it("never overwrites a file, and says what is wrong with a bad data directory", async () => {
    const existing = path.join(tempDir("backups"), "taken.db");
    fs.writeFileSync(existing, "keep me");
    await assert.rejects(run(process.execPath, [CLI, "server", "backup", "--data-dir", server.dataDir, "--to", existing], { timeout: 30_000 }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /exists already/);
      return true;
    });
    assert.equal(fs.readFileSync(existing, "utf8"), "keep me");
    await assert.rejects(run(process.execPath, [CLI, "server", "backup", "--data-dir", tempDir("empty"), "--to", path.join(tempDir("backups"), "x.db")], { timeout: 30_000 }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /There is no database at/);
      return true;
    });
  });
});

describe("PostgreSQL: the documented dump restores into a fresh database", { skip: PG_SETTING === "skip" ? "KLUIS_TEST_POSTGRES=skip" : false, timeout: 120_000 }, () => {
  const schema = `kluis_bk_${randomBytes(4).toString("hex")}`;
  const database = `kluis_restore_${randomBytes(4).toString("hex")}`;
  let server: KluisServer | undefined;
  let restored: KluisServer | undefined;

  const admin = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  after(async () => {
    await Promise.all([server?.stop(), restored?.stop()]);
    await admin(PG_URL, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin(PG_URL, `DROP DATABASE IF EXISTS "${database}"`);
  });

  it("pg_dump of the schema, restored with psql into a new database, serves the vault's secrets", async () => {
    const source = new URL(PG_URL);
    source.searchParams.set("schema", schema);
    server = await startServer({ storage: source.toString() });
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-pg", "pgbackup-kv", [String(claims(management).oid)]);
    await secretClient(server, "pgbackup-kv").setSecret("kept", "in-the-dump");

    // The commands docs/deployment.md gives: dump the schema, create a database, restore the dump into it.
    const dump = path.join(tempDir("pgdump"), "kluis.sql");
    await run("pg_dump", ["--dbname", PG_URL, "--schema", schema, "--no-owner", "--file", dump], { timeout: 60_000 });
    await admin(PG_URL, `CREATE DATABASE "${database}"`);
    const fresh = new URL(PG_URL);
    fresh.pathname = `/${database}`;
    await run("psql", ["--dbname", fresh.toString(), "--quiet", "--set", "ON_ERROR_STOP=1", "--file", dump], { timeout: 60_000 });
    const firstDataDir = server.dataDir;
    await server.stop();
    server = undefined;

    fresh.searchParams.set("schema", schema);
    const dir = tempDir("pg-restored");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The root key (and admin.json) are kept apart from the dump, as the database never holds the root key.
    for (const file of ["root.key", "admin.json"]) fs.copyFileSync(path.join(firstDataDir, file), path.join(dir, file));
    restored = await startServer({ storage: fresh.toString(), dataDir: dir, seedTls: false });
    assert.equal((await secretClient(restored, "pgbackup-kv").getSecret("kept")).value, "in-the-dump");
  });
});
