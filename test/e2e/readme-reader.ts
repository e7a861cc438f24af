/**
 * A reader following the README's sections on top of its tutorial (readme-keys, readme-certificates): a server,
 * the reader's home and working folder (with the repository's node_modules, so that the lock file's SDK versions
 * are what `import` finds), the built CLI as `kluis`, bash as the reader's shell, and the tutorial's own commands
 * (group, vault, machine, identity) run first.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CLI, kluis, REPO, startServer, tempDir, type CliResult, type KluisServer } from "../harness/server.js";
import { block, kluisArgs, kluisLines } from "./readme-blocks.js";

export interface Reader {
  server: KluisServer;
  home: string;
  work: string;
  env(): NodeJS.ProcessEnv;
  /** The built CLI with these arguments; asserts it succeeded. */
  run(args: string[]): CliResult;
  /** A README sh block as bash runs it in the working folder, `kluis` being the built CLI. */
  bash(code: string): SpawnSyncReturns<string>;
  stop(): Promise<void>;
}

export async function startReader(name: string): Promise<Reader> {
  const server = await startServer();
  const home = tempDir(`${name}-home`);
  const work = tempDir(`${name}-work`);
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(work, "node_modules"), "dir");
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: home,
    KLUIS_CONFIG_DIR: path.join(home, ".kluis"),
    KLUIS_DATA_DIR: server.dataDir,
    KLUIS_PORT: String(server.port),
    // `node` in the README's commands is this Node.
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  });
  return {
    server,
    home,
    work,
    env,
    run(args) {
      const result = kluis(server, home, args);
      assert.equal(result.status, 0, `kluis ${args.join(" ")}: ${result.stderr}`);
      return result;
    },
    bash(code) {
      const script = ["set -euo pipefail", `kluis() { "${process.execPath}" "${CLI}" "$@"; }`, code].join("\n");
      return spawnSync("bash", ["-c", script], { cwd: work, env: env(), encoding: "utf8", timeout: 120_000 });
    },
    stop: () => server.stop(),
  };
}

/** Runs the tutorial's commands (group, vault, machine, identity); returns the machine identity's principal id. */
export function followTutorial(reader: Reader): string {
  let principalId = "";
  for (const line of kluisLines(block("sh", "kluis vm identity assign").code)) {
    const args = kluisArgs(line, principalId ? { "<principal id>": principalId } : {});
    const result = reader.run(args);
    if (args[0] === "vm" && args[1] === "identity") principalId = result.json<{ systemAssignedIdentity: string }>().systemAssignedIdentity;
  }
  assert.match(principalId, /^[0-9a-f-]{36}$/);
  return principalId;
}
