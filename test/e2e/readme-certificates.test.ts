/**
 * The README's "Certificates" section, run verbatim: after the tutorial's own commands (group, vault, machine,
 * identity), its certificate commands as bash runs them with `kluis` the built CLI, its `serve.mjs` on the machine
 * with the unmodified SDK, and its curl against that HTTPS service trusting only Kluis's issuing CA. The only
 * substitutions are a reader's: the server's port for 8443 and the printed principal id for `<principal id>`.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { block, substitute } from "./readme-blocks.js";
import { followTutorial, startReader, type Reader } from "./readme-reader.js";

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
  let reader: Reader;
  let principalId: string;

  before(async () => {
    reader = await startReader("readme-certs");
  });
  after(async () => {
    for (const pid of processesIn(reader.work)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await reader.stop();
  });

  it("the tutorial's commands make the vault and the machine with its identity", { timeout: 120_000 }, () => {
    principalId = followTutorial(reader);
  });

  it("issues the certificate from Kluis's CA, grants the machine the secret, saves the CA", { timeout: 120_000 }, () => {
    const code = block("sh", "kluis keyvault certificate create --vault-name my-vault --name web").code;
    const result = reader.bash(substitute(code, [["<principal id>", principalId]]));
    assert.equal(result.status, 0, result.stderr);
    const ca = new crypto.X509Certificate(fs.readFileSync(path.join(reader.work, "kluis-issuing-ca.pem")));
    assert.match(ca.subject, /CN=Kluis Issuing CA/);
    assert.ok(ca.ca);
  });

  it("the machine's service serves HTTPS with it; curl trusting only the issuing CA gets its answer", { timeout: 120_000 }, () => {
    const { work } = reader;
    fs.writeFileSync(path.join(work, "serve.mjs"), substitute(block("js", "https.createServer").code, [[":8443", `:${reader.server.port}`]]));
    const result = reader.bash(block("sh", "node serve.mjs").code);
    assert.equal(result.status, 0, `${result.stderr}\n${fs.existsSync(path.join(work, "serve.log")) ? fs.readFileSync(path.join(work, "serve.log"), "utf8") : ""}`);
    assert.equal(result.stdout, "hello from web\n");
  });
});
