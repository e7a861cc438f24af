/**
 * Integrity of authorization data against someone who can write the database but does not hold the root key:
 * an access policy added to a vault's row, an administrator flag set on a principal, a role assignment forged as
 * a row — each is detected on read, counts for nothing, and is reported in the server log by kind and id only.
 * Rows from before the check get their MAC once, at the first start that has it.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { claims, createVault, secretClient, token } from "../harness/clients.js";
import { createPrincipal, probe, tokenFor, type CreatedPrincipal } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

describe("authorization rows are MACed under the root key", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let outsider: CreatedPrincipal;
  let adminOid: string;

  /** Edits the stopped server's database as an attacker with file access would, then starts it again. */
  async function tamper(edit: (db: Database.Database) => void): Promise<void> {
    await server.stop();
    const db = new Database(path.join(server.dataDir, "kluis.db"));
    try {
      edit(db);
    } finally {
      db.close();
    }
    server = await startServer({ dataDir: server.dataDir, port: server.port, seedTls: false });
  }
  const editDoc = (db: Database.Database, table: string, where: string, param: string, change: (doc: Record<string, any>) => void) => {
    const row = db.prepare(`SELECT doc FROM ${table} WHERE ${where} = ?`).get(param) as { doc: string };
    const doc = JSON.parse(row.doc) as Record<string, any>;
    change(doc);
    db.prepare(`UPDATE ${table} SET doc = ? WHERE ${where} = ?`).run(JSON.stringify(doc), param);
  };
  const outsiderReads = async () => probe("GET", `${server.vaultUrl("mac-kv")}/secrets/s?api-version=7.5`, { bearer: await tokenFor(server, `https://vault.localhost:${server.port}`, outsider) });

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
    await createVault(server, management, "rg-mac", "mac-kv", [adminOid]);
    await secretClient(server, "mac-kv").setSecret("s", "guarded");
    outsider = await createPrincipal(server, await token(server, "https://graph.microsoft.com"), "mac-outsider");
  });
  after(() => server.stop());

  it("an access policy written into the vault's row grants nothing", async () => {
    assert.equal((await outsiderReads()).status, 403);
    await tamper((db) =>
      editDoc(db, "vaults", "name_key", "mac-kv", (doc) => {
        doc.properties.accessPolicies.push({ tenantId: server.tenantId, objectId: outsider.objectId, permissions: { secrets: ["get", "list"] } });
      }),
    );
    const reply = await outsiderReads();
    assert.notEqual(reply.status, 200, "the forged policy must not open the vault");
    assert.match(server.output(), /"event":"row-integrity-failed","kind":"vault"/);
    assert.doesNotMatch(server.output(), /mac-outsider|guarded/, "the log names kind and id only");
  });

  it("an administrator flag set on a principal's row gives no administrator", async () => {
    await tamper((db) => editDoc(db, "principals", "object_id", outsider.objectId, (doc) => (doc.admin = true)));
    const reply = await probe("GET", `${server.url}/subscriptions/${server.subscriptionId}/resourcegroups?api-version=2022-09-01`, {
      bearer: await tokenFor(server, "https://management.azure.com", outsider).catch(() => "no-token"),
    });
    assert.ok(reply.status === 401 || reply.status === 403, `${reply.status} ${reply.text}`);
    assert.match(server.output(), /"event":"row-integrity-failed","kind":"principal"/);
  });

  it("a role assignment inserted as a row grants nothing, and an untampered row still works", async () => {
    const assignments = `${server.url}/subscriptions/${server.subscriptionId}/providers/Microsoft.Authorization/roleAssignments`;
    const legit = await probe("PUT", `${assignments}/${randomUUID()}?api-version=2022-04-01`, {
      bearer: await token(server, "https://management.azure.com"),
      body: { properties: { roleDefinitionId: `/subscriptions/${server.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}`, principalId: adminOid } },
    });
    assert.equal(legit.status, 201, legit.text);
    await tamper((db) => {
      const id = randomUUID();
      const doc = {
        id,
        scope: `/subscriptions/${server.subscriptionId}`,
        roleDefinitionId: `/subscriptions/${server.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
        principalId: adminOid,
        principalType: "ServicePrincipal",
        description: null,
        createdAt: Date.now(),
        createdBy: adminOid,
      };
      db.prepare("INSERT INTO role_assignments (id, doc) VALUES (?, ?)").run(id, JSON.stringify(doc));
    });
    const listed = await probe("GET", `${assignments}?api-version=2022-04-01`, {
      bearer: await token(server, "https://management.azure.com"),
    });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.body.value.map((a: { name: string }) => a.name), [legit.body.name], "the forged assignment is not served; the real one is");
    assert.match(server.output(), /"event":"row-integrity-failed","kind":"role-assignment"/);
  });

  it("rows from before the check are sealed once at start; after that a row without its MAC is refused", async () => {
    // Undo the earlier tampering first (a fresh vault row stays; the forged rows go), then strip every MAC and
    // the upgrade marker, as a database written by an older Kluis looks.
    await tamper((db) => {
      editDoc(db, "vaults", "name_key", "mac-kv", (doc) => (doc.properties.accessPolicies = doc.properties.accessPolicies.filter((p: { objectId: string }) => p.objectId !== outsider.objectId)));
      editDoc(db, "principals", "object_id", outsider.objectId, (doc) => (doc.admin = false));
      db.prepare("DELETE FROM role_assignments").run();
      for (const table of ["vaults", "principals"]) {
        for (const row of db.prepare(`SELECT rowid, doc FROM ${table}`).all() as { rowid: number; doc: string }[]) {
          const { integrity: _dropped, ...doc } = JSON.parse(row.doc) as Record<string, unknown>;
          db.prepare(`UPDATE ${table} SET doc = ? WHERE rowid = ?`).run(JSON.stringify(doc), row.rowid);
        }
      }
      db.prepare("DELETE FROM settings WHERE key = 'row-integrity.v1'").run();
    });
    assert.equal((await secretClient(server, "mac-kv").getSecret("s")).value, "guarded", "the upgraded rows are trusted");
    assert.equal((await outsiderReads()).status, 403);
    await tamper((db) => editDoc(db, "vaults", "name_key", "mac-kv", (doc) => delete doc.integrity));
    await assert.rejects(secretClient(server, "mac-kv").getSecret("s"), "a row that lost its MAC after the upgrade is refused");
  });
});
