/**
 * The storage contract against PostgreSQL, plus what only PostgreSQL has: concurrent migrations, schema isolation,
 * and StoreError("unavailable") when the server can't be reached.
 *
 * Server: KLUIS_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test). Every store opened here gets a fresh
 * schema kluis_test_<random>, dropped CASCADE afterwards. An unreachable server FAILS this file; set
 * KLUIS_TEST_POSTGRES=skip to skip it deliberately.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { isUnavailable, translate } from "../../src/storage/postgres/db.js";
import { MIGRATIONS } from "../../src/storage/postgres/migrations.js";
import { openPostgresStore } from "../../src/storage/postgres/open.js";
import { StoreError, type Store } from "../../src/storage/types.js";
import { rejectsWith, rotationPolicy, secret, vaultDocument } from "./fixtures.js";
import { drainConcurrently } from "./rotation-policies-contract.js";
import { drainDocumentsConcurrently } from "./vault-documents-contract.js";
import { runStoreContract } from "./store-contract.js";

const setting = process.env.KLUIS_TEST_POSTGRES;
const URL_ = setting && setting !== "skip" ? setting : "postgres://postgres@127.0.0.1:5432/test";
const skip = setting === "skip";

const runId = randomBytes(4).toString("hex");
let counter = 0;
const created = new Set<string>();
let admin: pg.Client | null = null;

function freshSchema(): string {
  const schema = `kluis_test_${runId}_${++counter}`;
  created.add(schema);
  return schema;
}

async function adminClient(): Promise<pg.Client> {
  if (admin) return admin;
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL at ${URL_} is unreachable (${String(error)}); set KLUIS_TEST_POSTGRES to a reachable server, or to "skip"`);
  }
  client.on("error", () => {});
  admin = client;
  return client;
}

async function dropSchema(schema: string): Promise<void> {
  await (await adminClient()).query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  created.delete(schema);
}

async function openFresh(): Promise<{ store: Store; cleanup(): Promise<void>; schema: string }> {
  await adminClient();
  const schema = freshSchema();
  const store = await openPostgresStore(URL_, { schema });
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

/** A TCP relay in front of PostgreSQL that the test can cut, to play an unreachable or crashed server. */
async function relay(): Promise<{ url: string; cut(): Promise<void> }> {
  const target = new URL(URL_);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(URL_);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("postgres", { timeout: 300_000, skip: skip ? "KLUIS_TEST_POSTGRES=skip" : false }, () => {
  before(async () => {
    await adminClient();
  });

  after(async () => {
    for (const schema of [...created]) await dropSchema(schema).catch(() => {});
    await admin?.end();
  });

  it("PostgreSQL is reachable", async () => {
    const { rows } = await (await adminClient()).query<{ one: number }>("SELECT 1 AS one");
    assert.equal(rows[0]?.one, 1);
  });

  runStoreContract("postgres", openFresh);

  describe("postgres: migrations and schema", () => {
    it("nodes starting at once apply each migration exactly once", async () => {
      const schema = freshSchema();
      // allSettled: on failure, close every pool that did open before the schema is dropped.
      const settled = await Promise.allSettled(Array.from({ length: 6 }, () => openPostgresStore(URL_, { schema })));
      const stores = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      try {
        for (const r of settled) if (r.status === "rejected") throw r.reason;
        const { rows } = await (await adminClient()).query<{ version: number }>(
          `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
        );
        assert.deepEqual(
          rows.map((r) => r.version),
          MIGRATIONS.map((_, i) => i + 1),
        );
        // All nodes see one database: a write through one is read through another.
        await stores[0]?.settings.putIfAbsent("k", "from-0");
        assert.equal(await stores[5]?.settings.putIfAbsent("k", "from-5"), "from-0");
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      // Reopening applies nothing new.
      const again = await openPostgresStore(URL_, { schema });
      await again.close();
      const { rows } = await (await adminClient()).query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`);
      assert.equal(rows[0].n, MIGRATIONS.length);
      await dropSchema(schema);
    });

    it("tables live in the given schema, on every pooled connection", async () => {
      const { store, schema, cleanup } = await openFresh();
      try {
        // More parallel work than the pool has connections: each one must resolve names in the schema.
        await Promise.all(Array.from({ length: 30 }, (_, i) => store.settings.putIfAbsent(`k${i}`, "v")));
        const { rows } = await (await adminClient()).query(`SELECT count(*)::int AS n FROM "${schema}".settings`);
        assert.equal(rows[0].n, 30);
        const publicTables = await (await adminClient()).query(
          "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'settings'",
        );
        assert.equal(publicTables.rowCount, 0);
      } finally {
        await cleanup();
      }
    });

    it("migration 6 keeps the data of a schema at version 5, and adds certificates and vault documents", async () => {
      const schema = freshSchema();
      const client = await adminClient();
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`SET search_path = "${schema}"`);
      try {
        await client.query("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        for (const [i, sql] of MIGRATIONS.slice(0, 5).entries()) {
          await client.query(sql);
          await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [i + 1]);
        }
        for (const [objects, versions, value] of [["secrets", "secret_versions", "secret"], ["keys", "key_versions", "key"]] as const) {
          const { rows } = await client.query<{ seq: string }>(
            `INSERT INTO ${versions} (vault_id, name_key, version, name, value, meta, enabled, created_at, updated_at)
             VALUES ('v1', 'app', $1, 'App', $2, '{"kty":"EC"}', true, 1, 1) RETURNING seq`,
            ["d".repeat(32), Buffer.from(value)],
          );
          await client.query(`INSERT INTO ${objects} (vault_id, name_key, latest_seq, latest_version) VALUES ('v1', 'app', $1, $2)`, [rows[0]!.seq, "d".repeat(32)]);
        }
        await client.query(
          `INSERT INTO key_rotation_policies (vault_id, name_key, name, policy, due_at, created_at, updated_at) VALUES ('v1', 'app', 'App', '{"a":1}', 5, 1, 1)`,
        );
      } finally {
        await client.query("RESET search_path");
      }
      const store = await openPostgresStore(URL_, { schema });
      try {
        assert.equal((await store.secrets.getLatest("v1", "app"))?.sealedValue.toString(), "secret");
        const key = await store.keys.getVersion("v1", "APP", "d".repeat(32));
        assert.equal(key?.sealedValue.toString(), "key");
        assert.deepEqual(key?.meta, { kty: "EC" });
        assert.deepEqual((await store.keyRotationPolicies.get("v1", "app"))?.policy, { a: 1 });
        assert.equal(await store.certificates.getLatest("v1", "app"), null);
        const document = vaultDocument("v1", "certificate-policy", "App");
        assert.equal(await store.vaultDocuments.insert(document), true);
        assert.deepEqual(await store.vaultDocuments.get("v1", "certificate-policy", "app"), document);
        const { rows } = await client.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
        assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((_, i) => i + 1));
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it("rejects schema names that would need quoting", async () => {
      await assert.rejects(openPostgresStore(URL_, { schema: 'bad"name' }), /invalid schema name/);
      await assert.rejects(openPostgresStore(URL_, { schema: "Upper" }), /invalid schema name/);
    });
  });

  describe("postgres: rotation claims across nodes", () => {
    it("two nodes claiming at once take each due policy exactly once; not-due ones untouched", async () => {
      const { store: first, schema, cleanup } = await openFresh();
      const second = await openPostgresStore(URL_, { schema });
      try {
        const now = 1_800_000_000;
        const due = Array.from({ length: 120 }, (_, i) => rotationPolicy(`vault-${i % 3}`, `due-${i}`, { dueAt: now - i }));
        const later = Array.from({ length: 10 }, (_, i) => rotationPolicy("vault-0", `later-${i}`, { dueAt: now + 1 + i }));
        await Promise.all([...due, ...later].map((p) => first.keyRotationPolicies.put(p)));
        // Several claimers per node, each on its own pooled connection: real concurrency between transactions.
        const claimers = [first, second, first, second, first, second].map((s) => s.keyRotationPolicies);
        const taken = await drainConcurrently(claimers, now, now + 600, 5);
        assert.equal(taken.length, due.length, "no policy taken twice");
        assert.deepEqual(new Set(taken.map((p) => `${p.vaultId}/${p.name}`)), new Set(due.map((p) => `${p.vaultId}/${p.name}`)));
        for (const p of taken) assert.equal(p.dueAt, now + 600);
        for (const p of later) assert.deepEqual(await second.keyRotationPolicies.get(p.vaultId, p.name), p);
      } finally {
        await second.close();
        await cleanup();
      }
    });
  });

  describe("postgres: vault document claims across nodes", () => {
    it("two nodes claiming at once take each due document exactly once; other kinds and not-due ones untouched", async () => {
      const { store: first, schema, cleanup } = await openFresh();
      const second = await openPostgresStore(URL_, { schema });
      try {
        const now = 1_800_000_000;
        const kind = "certificate-operation";
        const due = Array.from({ length: 120 }, (_, i) => vaultDocument(`vault-${i % 3}`, kind, `due-${i}`, { dueAt: now - i }));
        const later = Array.from({ length: 10 }, (_, i) => vaultDocument("vault-0", kind, `later-${i}`, { dueAt: now + 1 + i }));
        const otherKind = Array.from({ length: 10 }, (_, i) => vaultDocument("vault-0", "certificate-policy", `due-${i}`, { dueAt: now - i }));
        await Promise.all([...due, ...later, ...otherKind].map((d) => first.vaultDocuments.put(d)));
        // Several claimers per node, each on its own pooled connection: real concurrency between transactions.
        const claimers = [first, second, first, second, first, second].map((s) => s.vaultDocuments);
        const taken = await drainDocumentsConcurrently(claimers, kind, now, now + 600, 5);
        const keyOf = (d: { vaultId: string; name: string }) => `${d.vaultId}/${d.name}`;
        assert.equal(taken.length, due.length, "no document taken twice");
        assert.deepEqual(new Set(taken.map(keyOf)), new Set(due.map(keyOf)));
        for (const d of taken) assert.equal(d.dueAt, now + 600);
        for (const d of [...later, ...otherKind]) assert.deepEqual(await second.vaultDocuments.get(d.vaultId, d.kind, d.name), d);
      } finally {
        await second.close();
        await cleanup();
      }
    });
  });

  describe("postgres: unavailable database", () => {
    it("opening against a closed port → StoreError unavailable", async () => {
      const url = new URL(URL_);
      url.hostname = "127.0.0.1";
      url.port = String(await freePort());
      await rejectsWith(openPostgresStore(url.toString(), { schema: freshSchema() }), "unavailable");
    });

    it("server gone after opening → reads and transactional writes reject with StoreError unavailable", async () => {
      const proxy = await relay();
      const schema = freshSchema();
      const store = await openPostgresStore(proxy.url, { schema });
      try {
        await store.secrets.putVersion(secret("v", "before"));
        assert.equal(await store.settings.putIfAbsent("k", "v"), "v");
        await proxy.cut();
        await rejectsWith(store.settings.get("k"), "unavailable");
        await rejectsWith(store.secrets.putVersion(secret("v", "after")), "unavailable");
        await rejectsWith(store.secrets.getLatest("v", "before"), "unavailable");
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it("a terminated backend (57P01) → StoreError unavailable, and the pool recovers", async () => {
      // A distinct application_name (the URL's wins over the store's default) so we only kill our own sessions.
      const appName = `kluis_test_${runId}_terminate`;
      const url = new URL(URL_);
      url.searchParams.set("application_name", appName);
      const schema = freshSchema();
      const store = await openPostgresStore(url.toString(), { schema });
      try {
        await store.settings.putIfAbsent("k", "v");
        // Kill every session of this store mid-life, as a failover or admin restart would.
        await (await adminClient()).query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [appName],
        );
        // Idle clients are evicted by the pool; whichever error a caller sees must be `unavailable`, never raw.
        for (let i = 0; i < 3; i++) {
          try {
            assert.equal(await store.settings.get("k"), "v");
          } catch (error) {
            assert.ok(error instanceof StoreError && error.kind === "unavailable", String(error));
          }
        }
        assert.equal(await store.settings.get("k"), "v");
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it("classifies driver errors", () => {
      const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });
      for (const code of ["08000", "08001", "08003", "08006", "57P01", "57P02", "57P03", "ECONNREFUSED", "ECONNRESET"]) {
        assert.equal(isUnavailable(withCode(code)), true, code);
      }
      for (const code of ["23505", "42P01", "40001", "57014", "22P02"]) assert.equal(isUnavailable(withCode(code)), false, code);
      assert.equal(isUnavailable(new Error("Connection terminated unexpectedly")), true);
      assert.equal(isUnavailable(new Error("timeout exceeded when trying to connect")), true);
      assert.equal(isUnavailable(new AggregateError([withCode("ECONNREFUSED")], "")), true);
      const conflict = translate(withCode("23505"), "taken");
      assert.ok(conflict instanceof StoreError && conflict.kind === "conflict" && conflict.message === "taken");
      const other = withCode("42P01");
      assert.equal(translate(other), other);
    });
  });
});
