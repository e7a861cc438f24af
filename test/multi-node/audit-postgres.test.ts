/**
 * The audit log of a PostgreSQL deployment: two `kluis server` nodes append to one chain in one table, and
 * `kluis audit verify --storage` checks it. Fresh schema per run (kluis_au_<random>), dropped at the end.
 * KLUIS_TEST_POSTGRES=skip skips this file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { claims, createVault, token } from "../harness/clients.js";
import { kluis, startServer, tempDir, type KluisServer } from "../harness/server.js";

const setting = process.env.KLUIS_TEST_POSTGRES;
const PG_URL = setting && setting !== "skip" ? setting : "postgres://postgres@127.0.0.1:5432/test";
const schema = `kluis_au_${randomBytes(4).toString("hex")}`;
const API = "api-version=7.5";

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe("audit log over PostgreSQL, two nodes", { skip: setting === "skip" ? "KLUIS_TEST_POSTGRES=skip" : false, timeout: 180_000 }, () => {
  let a: KluisServer;
  let b: KluisServer;
  let storage: string;
  const vault = `pa${randomBytes(4).toString("hex")}`;
  const value = `pg-audited-${randomBytes(12).toString("hex")}`;

  const put = async (server: KluisServer, bearer: string, name: string, secret: string) =>
    fetch(`${server.vaultUrl(vault)}/secrets/${name}?${API}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      body: JSON.stringify({ value: secret }),
    });
  const verify = (extra: string[] = []) => kluis(a, tempDir("home"), ["audit", "verify", "--storage", storage, ...extra]);

  before(async () => {
    const url = new URL(PG_URL);
    url.searchParams.set("schema", schema);
    storage = url.toString();
    a = await startServer({ storage });
    b = await startServer({ storage, joinOf: a, seedTls: false });
    const management = await token(a, a.url);
    await createVault(a, management, "rg-audit", vault, [String(claims(management).oid)]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it("both nodes append concurrently to one chain that verifies, with no value or token in it", async () => {
    const bearers = await Promise.all([token(a, "https://vault.azure.net"), token(b, "https://vault.azure.net")]);
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? put(a, bearers[0], `s${i}`, value) : put(b, bearers[1], `s${i}`, value))),
    );
    assert.deepEqual(responses.map((r) => r.status), Array(40).fill(200));
    const rows = await sql<{ line: string }>("SELECT line FROM audit_log ORDER BY seq");
    const nodes = new Set(rows.map((r) => (JSON.parse(r.line) as { node: string }).node));
    assert.equal(nodes.size, 2, `records from both nodes: ${[...nodes].join(", ")}`);
    const sets = rows.map((r) => JSON.parse(r.line) as { operation: string; phase: string; status: number }).filter((r) => r.operation === "SetSecret");
    assert.equal(sets.filter((r) => r.phase === "intent").length, 40);
    assert.equal(sets.filter((r) => r.phase === "result" && r.status === 200).length, 40);
    const text = rows.map((r) => r.line).join("\n");
    assert.ok(!text.includes(value));
    for (const bearer of bearers) assert.ok(!text.includes(bearer.split(".")[2]!));

    const result = verify();
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.json<{ records: number }>().records, rows.length);
    const shown = kluis(a, tempDir("home"), ["audit", "show", "--storage", storage, "--vault", vault]).json<unknown[]>();
    assert.ok(shown.length >= 80);
  });

  it("fail-closed: with the table gone, a write answers 503 and changes nothing", async () => {
    const bearer = await token(b, "https://vault.azure.net");
    assert.equal((await put(b, bearer, "guarded", "before")).status, 200);
    await sql("ALTER TABLE audit_log RENAME TO audit_log_aside");
    try {
      const refused = await put(b, bearer, "guarded", "after");
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "ServiceUnavailable");
    } finally {
      await sql("ALTER TABLE audit_log_aside RENAME TO audit_log");
    }
    const read = await fetch(`${b.vaultUrl(vault)}/secrets/guarded?${API}`, { headers: { authorization: `Bearer ${bearer}` } });
    const body = (await read.json()) as { value: string };
    assert.equal(body.value, "before", `${read.status} ${JSON.stringify(body)}`);
    assert.equal(verify().status, 0);
  });

  it("verify names the record after an edited, a deleted and a cut-off record", async () => {
    const [{ seq: edited } = { seq: "0" }] = await sql<{ seq: string }>(`SELECT seq FROM audit_log WHERE line LIKE '%"status":200%' ORDER BY seq OFFSET 2 LIMIT 1`);
    await sql(`UPDATE audit_log SET line = replace(line, '"status":200', '"status":403') WHERE seq = $1`, [edited]);
    const altered = verify();
    assert.equal(altered.status, 1);
    assert.match(altered.stderr, new RegExp(`record ${edited} \\(audit_log seq ${edited}\\b.*altered`));
    await sql(`UPDATE audit_log SET line = replace(line, '"status":403', '"status":200') WHERE seq = $1`, [edited]);
    assert.equal(verify().status, 0, "undoing the edit restores the chain");

    await sql("CREATE TABLE audit_copy AS SELECT * FROM audit_log");
    await sql("DELETE FROM audit_log WHERE seq = 10");
    const removed = verify();
    assert.equal(removed.status, 1);
    assert.match(removed.stderr, /record 11 \(audit_log seq 11.*removed or reordered/);
    await sql("INSERT INTO audit_log SELECT * FROM audit_copy WHERE seq = 10");
    assert.equal(verify().status, 0);

    await sql("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)");
    const cut = verify();
    assert.equal(cut.status, 1);
    assert.match(cut.stderr, /at its end/);
  });
});
