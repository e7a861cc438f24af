/**
 * The README's "Certificates" section, run verbatim: after the tutorial's own commands (group, vault, machine,
 * identity), its certificate commands as bash runs them with `kluis` the built CLI, its `serve.mjs` on the machine
 * with the unmodified SDK, and its curl against that HTTPS service trusting only Kluis's issuing CA. The only
 * substitutions are a reader's: the server's port for 8443 and the printed principal id for `<principal id>`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CLI, kluis, REPO, startServer, tempDir, type CliResult, type KluisServer } from "../harness/server.js";
import { block, kluisArgs, kluisLines, substitute } from "./readme-blocks.js";

/** Processes started in `dir` (the README's backgrounded service and its `kluis vm exec`), to stop at the end. */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe("the README's certificates tutorial, verbatim", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let home: string;
  let work: string;
  let principalId: string;
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: home,
    KLUIS_CONFIG_DIR: path.join(home, ".kluis"),
    KLUIS_DATA_DIR: server.dataDir,
    KLUIS_PORT: String(server.port),
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  });
  const run = (args: string[]): CliResult => {
    const result = kluis(server, home, args);
    assert.equal(result.status, 0, `kluis ${args.join(" ")}: ${result.stderr}`);
    return result;
  };
  const bash = (code: string) => {
    const script = ["set -euo pipefail", `kluis() { "${process.execPath}" "${CLI}" "$@"; }`, code].join("\n");
    return spawnSync("bash", ["-c", script], { cwd: work, env: env(), encoding: "utf8", timeout: 120_000 });
  };

  before(async () => {
    server = await startServer();
    home = tempDir("readme-certs-home");
    work = tempDir("readme-certs-work");
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(work, "node_modules"), "dir");
  });
  after(async () => {
    for (const pid of processesIn(work)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await server.stop();
  });

  it("the tutorial's commands make the vault and the machine with its identity", { timeout: 120_000 }, () => {
    for (const line of kluisLines(block("sh", "kluis vm identity assign").code)) {
      const args = kluisArgs(line, principalId ? { "<principal id>": principalId } : {});
      const result = run(args);
      if (args[0] === "vm" && args[1] === "identity") principalId = result.json<{ systemAssignedIdentity: string }>().systemAssignedIdentity;
    }
    assert.match(principalId, /^[0-9a-f-]{36}$/);
  });

  it("issues the certificate from Kluis's CA, grants the machine the secret, saves the CA", { timeout: 120_000 }, () => {
    const code = block("sh", "kluis keyvault certificate create --vault-name my-vault --name web").code;
    const result = bash(substitute(code, [["<principal id>", principalId]]));
    assert.equal(result.status, 0, result.stderr);
    const ca = new crypto.X509Certificate(fs.readFileSync(path.join(work, "kluis-issuing-ca.pem")));
    assert.match(ca.subject, /CN=Kluis Issuing CA/);
    assert.ok(ca.ca);
  });

  it("the machine's service serves HTTPS with it; curl trusting only the issuing CA gets its answer", { timeout: 120_000 }, () => {
    fs.writeFileSync(path.join(work, "serve.mjs"), substitute(block("js", "https.createServer").code, [[":8443", `:${server.port}`]]));
    const result = bash(block("sh", "node serve.mjs").code);
    assert.equal(result.status, 0, `${result.stderr}\n${fs.existsSync(path.join(work, "serve.log")) ? fs.readFileSync(path.join(work, "serve.log"), "utf8") : ""}`);
    assert.equal(result.stdout, "hello from web\n");
  });
});
