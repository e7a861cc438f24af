/**
 * Official Azure client packages from the npm registry, installed into a scratch folder (never the repository's
 * node_modules), so code can run against whatever versions the registry resolves today.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Installs `packages` (newest unless a spec pins them) into a fresh folder under os.tmpdir(); returns it. */
export function installLatest(packages: string[], timeoutMs = 240_000): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-azure-latest-"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "kluis-azure-latest", private: true, type: "module" }));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packages.map((p) => (/@[^/]+@/.test(p) || !p.startsWith("@") ? p : `${p}@latest`))], {
    cwd: dir,
    encoding: "utf8",
    timeout: timeoutMs,
  });
  if (result.status !== 0) throw new Error(`npm install ${packages.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr.slice(-2000)}`);
  return dir;
}

/** The versions of `packages` installed under `dir`'s node_modules. */
export function installedVersions(dir: string, packages: string[]): Record<string, string> {
  return Object.fromEntries(
    packages.map((p) => [p, (JSON.parse(fs.readFileSync(path.join(dir, "node_modules", p, "package.json"), "utf8")) as { version: string }).version]),
  );
}
