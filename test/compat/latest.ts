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

// Check that the hook is in force: from a test file's point of view, each client resolves into the scratch folder.
const redirect = pathToFileURL(path.join(repo, "test/compat/redirect-azure.mjs")).href;
const env = { ...process.env, KLUIS_AZURE_CLIENTS_DIR: dir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${redirect}`.trim() };
const probe = `for (const p of ${JSON.stringify(PACKAGES)}) console.log(import.meta.resolve(p));`;
const resolved = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: path.join(repo, "test/api"), env, encoding: "utf8" });
const outside = resolved.stdout.split("\n").filter((line) => line && !line.startsWith(pathToFileURL(dir).href));
if (resolved.status !== 0 || outside.length > 0) throw new Error(`the @azure clients do not resolve into ${dir}: ${resolved.stdout}${resolved.stderr}`);

const suites = fs
  .readdirSync(path.join(repo, "test/api"))
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.join("test/api", f))
  .sort();
const result = spawnSync(process.execPath, ["--import", "tsx", "test/run.ts", ...(process.argv.length > 2 ? process.argv.slice(2) : suites)], { cwd: repo, stdio: "inherit", env });
fs.rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
