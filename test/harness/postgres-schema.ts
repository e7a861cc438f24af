/**
 * A throwaway PostgreSQL schema for one test file: KLUIS_TEST_POSTGRES names the server (default
 * postgres://postgres@127.0.0.1:5432/test; `skip` skips the file), the schema is `<prefix>_<random>`, and `drop()`
 * removes it with everything in it at the end.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

const setting = process.env.KLUIS_TEST_POSTGRES;

export interface TestSchema {
  /** The `skip` option for node:test: a reason when KLUIS_TEST_POSTGRES=skip, else false. */
  skip: string | false;
  /** The server's URL (without the schema). */
  server: string;
  schema: string;
  /** The storage URL for `kluis server --storage`: the server with `?schema=`. */
  storage: string;
  drop(): Promise<void>;
}

export function testSchema(prefix: string): TestSchema {
  const server = setting && setting !== "skip" ? setting : "postgres://postgres@127.0.0.1:5432/test";
  const schema = `${prefix}_${randomBytes(4).toString("hex")}`;
  const url = new URL(server);
  url.searchParams.set("schema", schema);
  return {
    skip: setting === "skip" ? "KLUIS_TEST_POSTGRES=skip" : false,
    server,
    schema,
    storage: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
