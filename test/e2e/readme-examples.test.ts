/**
 * The README's examples, run verbatim: its tutorial commands through the built CLI, then its Python (Sample.py with
 * the README's two lines) and JavaScript examples on the machine through `kluis vm exec`, and its service-principal
 * example. The code is read from README.md's code blocks at test time, so README drift fails here. The JavaScript
 * runs twice: with the client versions pinned in package-lock.json and with whatever `npm install` resolves today
 * (this needs the npm registry, as `npm ci` does).
 * The only substitutions are what a reader substitutes: the test server's port for 8443, the machine's metadata
 * port for `<port>`, printed ids for `<principal id>`/`<appId>`, Debian's python3 and the scripts' paths.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { installedVersions, installLatest } from "../compat/azure-clients.js";
import { kluis, REPO, startServer, tempDir, type CliResult, type KluisServer } from "../harness/server.js";
import { block, kluisArgs, kluisLines, substitute } from "./readme-blocks.js";

const PYTHON = "/usr/bin/python3";
const CLIENTS = ["@azure/identity", "@azure/keyvault-secrets"];

describe("the README's examples, verbatim", { timeout: 600_000 }, () => {
  let server: KluisServer;
  let home: string;
  let work: string;
  let latest: string;
  let metadataEndpoint: string;
  let principalId: string;
  const run = (args: string[], env?: NodeJS.ProcessEnv): CliResult => {
    const result = kluis(server, home, args, env);
    assert.equal(result.status, 0, `kluis ${args.join(" ")}: ${result.stderr}`);
    return result;
  };
  const port = (text: string) => substitute(text, [[":8443", `:${server.port}`]]);

  before(async () => {
    server = await startServer();
    home = tempDir("readme-home");
    work = tempDir("readme-work");
    // The lock file's versions: the repository's node_modules, seen from the scratch folder.
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(work, "node_modules"), "dir");
    latest = installLatest(CLIENTS);
  }, { timeout: 300_000 });
  after(async () => {
    await server.stop();
    if (latest) fs.rmSync(latest, { recursive: true, force: true });
  });

  it("the tutorial's commands set up the group, vault, secret, machine, identity and policy", { timeout: 120_000 }, () => {
    const lines = kluisLines(block("sh", "kluis vm identity assign").code);
    assert.ok(lines.length >= 7, `tutorial commands: ${JSON.stringify(lines)}`);
    for (const line of lines) {
      const args = kluisArgs(line, principalId ? { "<principal id>": principalId } : {});
      const result = run(args);
      if (args[0] === "vm" && args[1] === "create") metadataEndpoint = result.json<{ metadataEndpoint: string }>().metadataEndpoint;
      if (args[0] === "vm" && args[1] === "identity") principalId = result.json<{ systemAssignedIdentity: string }>().systemAssignedIdentity;
    }
    assert.match(metadataEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(principalId, /^[0-9a-f-]{36}$/);
  });

  it("the Python example (Sample.py with the README's two lines) prints MySecret on the machine", { timeout: 60_000 }, () => {
    const lines = substitute(port(block("python", "MSI_ENDPOINT").code), [["http://127.0.0.1:<port>", metadataEndpoint]]).trim().split("\n");
    const seed = fs.readFileSync(path.join(REPO, "test/e2e/fixtures/Sample.py"), "utf8");
    let sample = seed;
    for (const line of lines) {
      const name = /^(\w+) = /.exec(line)?.[1];
      assert.ok(name && new RegExp(`^${name} = .*$`, "m").test(seed), `Sample.py assigns ${name}`);
      sample = sample.replace(new RegExp(`^${name} = .*$`, "m"), () => line);
    }
    fs.writeFileSync(path.join(work, "Sample.py"), sample);
    const exec = kluisArgs(kluisLines(block("sh", "kluis vm exec").code)[0]!).map((a) => (a === "python3" ? PYTHON : a === "Sample.py" ? path.join(work, "Sample.py") : a));
    assert.equal(run(exec).stdout.trim(), "MySecret");
  });

  for (const which of ["lock", "latest"] as const) {
    it(`the JavaScript example prints MySecret on the machine, with the ${which} client versions`, { timeout: 60_000 }, (t) => {
      const dir = which === "lock" ? work : latest;
      t.diagnostic(`${which}: ${JSON.stringify(installedVersions(dir, CLIENTS))}`);
      const script = path.join(dir, "readme-managed-identity.mjs");
      fs.writeFileSync(script, port(block("js", "ManagedIdentityCredential").code));
      const exec = kluisArgs(kluisLines(block("sh", "kluis vm exec").code)[0]!);
      const machine = exec.slice(0, exec.indexOf("--") + 1);
      assert.equal(run([...machine, process.execPath, script]).stdout.trim(), "MySecret");
    });
  }

  it("the service-principal example reads the secret with ClientSecretCredential, with both client versions", { timeout: 90_000 }, (t) => {
    const [create, grant] = kluisLines(block("sh", "create-for-rbac").code);
    const sp = run(kluisArgs(create!)).json<{ appId: string; password: string; tenant: string }>();
    run(kluisArgs(grant!, { "<appId>": sp.appId }));
    const fragment = substitute(block("js", "ClientSecretCredential(").code, [["https://localhost:8443", server.url]]);
    const imports = [
      ...(/import\s*\{[^}]*ClientSecretCredential/.test(fragment) ? [] : ['import { ClientSecretCredential } from "@azure/identity";']),
      ...(/import\s*\{[^}]*SecretClient/.test(fragment) ? [] : ['import { SecretClient } from "@azure/keyvault-secrets";']),
    ];
    const program = [
      ...imports,
      "const { tenant, appId, password } = JSON.parse(process.env.README_SP);",
      fragment,
      'console.log((await new SecretClient(process.argv[2], credential).getSecret("AppSecret")).value);',
    ].join("\n");
    for (const dir of [work, latest]) {
      t.diagnostic(`${dir === work ? "lock" : "latest"}: ${JSON.stringify(installedVersions(dir, CLIENTS))}`);
      const script = path.join(dir, "readme-service-principal.mjs");
      fs.writeFileSync(script, program);
      const machine = ["vm", "exec", "--name", "myVM", "--resource-group", "rg1", "--"];
      // Run anywhere; on the machine only so that it trusts the CA exactly as the README's other programs do.
      const result = run([...machine, process.execPath, script, server.vaultUrl("my-vault")], { README_SP: JSON.stringify(sp) });
      assert.equal(result.stdout.trim(), "MySecret");
      assert.doesNotMatch(result.stderr, new RegExp(sp.password));
    }
  });
});
