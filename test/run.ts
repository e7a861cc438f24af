/**
 * `npm test` entry: makes one throwaway CA for the run, then runs every test with that CA trusted the way real
 * clients trust it (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE), since Node reads those only at start-up.
 * Each server a test starts gets a fresh data directory seeded with this TLS material.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeTestTls } from "./harness/test-tls.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-test-"));
const caFile = await writeTestTls(path.join(root, "tls"));
// Node 20's test runner takes no globs: list the test files ourselves.
const repo = path.resolve(import.meta.dirname, "..");
const found = ["src", "test"].flatMap((dir) =>
  (fs.readdirSync(path.join(repo, dir), { recursive: true }) as string[]).filter((f) => f.endsWith(".test.ts")).map((f) => path.join(dir, f)),
);
const files = process.argv.length > 2 ? process.argv.slice(2) : found.sort();
/**
 * Every suite and top-level test sets its own `{ timeout }`. Node 20 applies --test-timeout to each test file as a
 * whole (not to the tests inside it), so this is the backstop for what a suite's timeout does not cover: a hook
 * (before/after) that hangs.
 */
const FILE_TIMEOUT_MS = 15 * 60 * 1000;
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", `--test-timeout=${FILE_TIMEOUT_MS}`, "--test-reporter=spec", ...files],
  {
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: caFile,
      REQUESTS_CA_BUNDLE: caFile,
      SSL_CERT_FILE: caFile,
      KLUIS_TEST_TLS_DIR: path.join(root, "tls"),
    },
  },
);
fs.rmSync(root, { recursive: true, force: true });
process.exit(result.status ?? 1);
