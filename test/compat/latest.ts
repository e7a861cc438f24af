/**
 * `npm run compat:latest`: installs the newest official @azure clients into a scratch folder and runs the SDK
 * suites (test/api) against them instead of the versions pinned in package-lock.json. Needs the npm registry,
 * so it is not part of `npm test`. Prints the versions it ran with.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { installedVersions, installLatest } from "./azure-clients.js";

const PACKAGES = ["@azure/identity", "@azure/keyvault-secrets", "@azure/keyvault-keys", "@azure/keyvault-certificates", "@azure/arm-keyvault", "@azure/arm-resources"];
const repo = path.resolve(import.meta.dirname, "../..");

const dir = installLatest(PACKAGES);
console.log(`newest clients in ${dir}:`);
for (const [name, version] of Object.entries(installedVersions(dir, PACKAGES))) console.log(`  ${name} ${version}`);

const suites = fs
  .readdirSync(path.join(repo, "test/api"))
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.join("test/api", f))
  .sort();
const redirect = pathToFileURL(path.join(repo, "test/compat/redirect-azure.mjs")).href;
const result = spawnSync(process.execPath, ["--import", "tsx", "test/run.ts", ...(process.argv.length > 2 ? process.argv.slice(2) : suites)], {
  cwd: repo,
  stdio: "inherit",
  env: { ...process.env, KLUIS_AZURE_CLIENTS_DIR: dir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${redirect}`.trim() },
});
fs.rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
