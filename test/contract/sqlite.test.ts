/** The storage contract against the embedded SQLite store, one database file per test in a temp directory. */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import { openSqliteStore } from "../../src/storage/sqlite/open.js";
import { runStoreContract } from "./store-contract.js";

const root = await fs.mkdtemp(path.join(os.tmpdir(), "kluis-contract-sqlite-"));
let counter = 0;

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

runStoreContract(
  "sqlite",
  async () => {
    const store = openSqliteStore(path.join(root, `store-${++counter}`, "kluis.db"));
    return { store, cleanup: () => store.close() };
  }
);
