/**
 * A start on damaged or mismatched state refuses, loudly, instead of making a new tenant or serving an older one
 * (issue 10, items 3 and 4): a data directory without its database, a database without its root key, the wrong
 * root key, a truncated file, and a write-ahead log lost after acknowledged writes. Each refusal exits non-zero,
 * names the file and says what to do, and leaves the data directory as it found it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import { claims, createVault, token } from "../harness/clients.js";
import { expectRefusal } from "../harness/server-process.js";
import { freePort, startServer, type KluisServer } from "../harness/server.js";

const TIMEOUT = { timeout: 60_000 };

/** A deployment that has run: a tenant, an administrator, a vault with one secret; stopped cleanly. */
async function deployment(): Promise<KluisServer> {
  const server = await startServer();
  const management = await token(server, "https://management.azure.com");
  await createVault(server, management, "rg-safety", "safety-vault", [String(claims(management).oid)]);
  await putSecret(server, await token(server, "https://vault.azure.net"), "first", "one");
  await server.stop();
  return server;
}

async function putSecret(server: KluisServer, bearer: string, name: string, value: string): Promise<void> {
  const response = await fetch(`${server.vaultUrl("safety-vault")}/secrets/${name}?api-version=7.4`, {
    method: "PUT",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify({ value }),
  });
  assert.equal(response.status, 200);
}

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of ["root.key", "admin.json", "kluis.db", "tls/ca.pem"]) {
    const file = path.join(dir, name);
    files[name] = fs.existsSync(file) ? fs.readFileSync(file).toString("base64") : "(absent)";
  }
  return files;
}

describe("refusing to start on damaged or mismatched state", { timeout: 180_000 }, () => {
  const servers: KluisServer[] = [];
  after(async () => {
    for (const server of servers) await server.kill();
  });

  it("refuses a data directory whose database is missing, and makes no new tenant", TIMEOUT, async () => {
    const server = await deployment();
    const db = path.join(server.dataDir, "kluis.db");
    fs.renameSync(db, path.join(server.dataDir, "elsewhere.db"));
    const before = snapshot(server.dataDir);
    const refused = await expectRefusal(server.dataDir, server.port);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /kluis\.db is missing/);
    assert.match(refused.output, /did not mount|restore it from a backup/);
    assert.deepEqual(snapshot(server.dataDir), before, "admin.json, root.key and the CA are untouched and no database was created");
  });

  it("refuses an empty database file beside admin.json", TIMEOUT, async () => {
    const server = await deployment();
    fs.rmSync(path.join(server.dataDir, "root.key"));
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(path.join(server.dataDir, `kluis.db${suffix}`), { force: true });
    fs.writeFileSync(path.join(server.dataDir, "kluis.db"), "");
    const refused = await expectRefusal(server.dataDir, server.port);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /kluis\.db is empty, but .* holds admin\.json/);
    assert.equal(fs.existsSync(path.join(server.dataDir, "root.key")), false, "no root key was made");
  });

  it("refuses a database whose root.key is missing, and writes no new key", TIMEOUT, async () => {
    const server = await deployment();
    fs.rmSync(path.join(server.dataDir, "root.key"));
    const refused = await expectRefusal(server.dataDir, server.port);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /root key .*root\.key is missing/);
    assert.equal(fs.existsSync(path.join(server.dataDir, "root.key")), false);
  });

  it("says 'this root key does not open this database' for the wrong root key", TIMEOUT, async () => {
    const server = await deployment();
    const keyFile = path.join(server.dataDir, "root.key");
    const original = fs.readFileSync(keyFile);
    fs.writeFileSync(keyFile, randomBytes(32).toString("base64"), { mode: 0o600 });
    const refused = await expectRefusal(server.dataDir, server.port);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /this root key does not open this database/);
    assert.doesNotMatch(refused.output, /unable to authenticate data|Unsupported state/);
    // The right key still opens it: nothing was changed by the refused start.
    fs.writeFileSync(keyFile, original, { mode: 0o600 });
    await server.restart();
    servers.push(server);
    await server.stop();
  });

  it("refuses a truncated database, naming the file and the repair", TIMEOUT, async () => {
    const server = await deployment();
    const db = path.join(server.dataDir, "kluis.db");
    assert.equal(fs.existsSync(`${db}-wal`), false, "a clean stop checkpoints the log into the file");
    fs.truncateSync(db, Math.floor(fs.statSync(db).size / 2));
    const refused = await expectRefusal(server.dataDir, server.port);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, new RegExp(`the database ${db.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")} is damaged`));
    assert.match(refused.output, /Restore .*kluis\.db from a backup/);
  });

  it("refuses a database whose write-ahead log was lost after acknowledged writes", TIMEOUT, async () => {
    const server = await startServer();
    servers.push(server);
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-safety", "safety-vault", [String(claims(management).oid)]);
    const bearer = await token(server, "https://vault.azure.net");
    for (let i = 0; i < 5; i++) await putSecret(server, bearer, `acknowledged-${i}`, `value-${i}`);
    await server.kill();
    const wal = path.join(server.dataDir, "kluis.db-wal");
    assert.ok(fs.statSync(wal).size > 0, "the acknowledged writes are in the log, not yet in the file");
    fs.rmSync(wal);
    fs.rmSync(path.join(server.dataDir, "kluis.db-shm"), { force: true });
    const refused = await expectRefusal(server.dataDir, server.port);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /kluis\.db is missing committed writes/);
    assert.match(refused.output, /kluis\.db-wal was lost or damaged/);
    assert.match(refused.output, /Restore .*kluis\.db from a backup/);
  });

  it("keeps starting after a SIGKILL when the log is intact", TIMEOUT, async () => {
    const server = await startServer();
    servers.push(server);
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-safety", "safety-vault", [String(claims(management).oid)]);
    await putSecret(server, await token(server, "https://vault.azure.net"), "kept", "yes");
    await server.kill();
    await server.restart();
    const response = await fetch(`${server.vaultUrl("safety-vault")}/secrets/kept?api-version=7.4`, { headers: { authorization: `Bearer ${await token(server, "https://vault.azure.net")}` } });
    assert.equal(response.status, 200);
  });
});

const pgSetting = process.env.KLUIS_TEST_POSTGRES;
const PG_URL = pgSetting && pgSetting !== "skip" ? pgSetting : "postgres://postgres@127.0.0.1:5432/test";

describe("refusing to start on PostgreSQL: an empty schema, another root key", { skip: pgSetting === "skip" ? "KLUIS_TEST_POSTGRES=skip" : false, timeout: 120_000 }, () => {
  const schemas: string[] = [];
  const servers: KluisServer[] = [];
  after(async () => {
    for (const server of servers) await server.kill();
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  const storage = (schema: string) => {
    schemas.push(schema);
    const url = new URL(PG_URL);
    url.searchParams.set("schema", schema);
    return url.toString();
  };

  it("refuses when root.key is present and the schema is empty", TIMEOUT, async () => {
    const server = await startServer({ storage: storage(`kluis_safety_${randomBytes(4).toString("hex")}`) });
    servers.push(server);
    await server.stop();
    const before = snapshot(server.dataDir);
    const refused = await expectRefusal(server.dataDir, await freePort(), ["--storage", storage(`kluis_safety_${randomBytes(4).toString("hex")}`)]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /PostgreSQL database .* holds no deployment/);
    assert.doesNotMatch(refused.output, /postgres:\/\/[^@\s]*:[^@\s]*@/, "no password in the message");
    assert.deepEqual(snapshot(server.dataDir), before);
  });

  it("says 'this root key does not open this database' for a node with another root key", TIMEOUT, async () => {
    const url = storage(`kluis_safety_${randomBytes(4).toString("hex")}`);
    const server = await startServer({ storage: url });
    servers.push(server);
    await server.stop();
    fs.writeFileSync(path.join(server.dataDir, "root.key"), randomBytes(32).toString("base64"), { mode: 0o600 });
    const refused = await expectRefusal(server.dataDir, server.port, ["--storage", url]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /this root key does not open this database/);
  });
});
