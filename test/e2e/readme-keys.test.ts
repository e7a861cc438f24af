/**
 * The README's "Keys" section, run verbatim: after the tutorial's own commands (group, vault, machine, identity),
 * its key commands through the built CLI, its `sign.mjs` on the machine with the unmodified SDK (the versions in
 * package-lock.json), and its shell blocks as bash runs them, with `kluis` the built CLI — as the README's
 * `alias kluis=…` makes it. The only substitutions are a reader's: the server's port for 8443 and the printed
 * principal id for `<principal id>`. The machine's signature is then checked locally against the downloaded key.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { kluis } from "../harness/server.js";
import { block, kluisArgs, kluisLines, substitute } from "./readme-blocks.js";
import { followTutorial, startReader, type Reader } from "./readme-reader.js";

describe("the README's keys tutorial, verbatim", { timeout: 300_000 }, () => {
  let reader: Reader;
  let principalId: string;
  const run = (args: string[]) => reader.run(args);
  const onMachine = (...command: string[]) => kluis(reader.server, reader.home, ["vm", "exec", "--name", "myVM", "--resource-group", "rg1", "--", ...command], { PATH: reader.env().PATH });

  before(async () => {
    reader = await startReader("readme-keys");
  });
  after(() => reader.stop());

  it("the tutorial's commands make the vault and the machine with its identity", { timeout: 120_000 }, () => {
    principalId = followTutorial(reader);
  });

  it("creates the signing key; the machine may sign only after the set-policy line", { timeout: 120_000 }, () => {
    const [create, grant, ...rest] = kluisLines(block("sh", "--key-permissions get sign").code);
    assert.deepEqual(rest, []);
    const key = run(kluisArgs(create!)).json<{ key: { kty: string; crv: string; keyOps: string[] } }>().key;
    assert.deepEqual([key.kty, key.crv, key.keyOps], ["EC", "P-256", ["sign", "verify"]]);

    fs.writeFileSync(path.join(reader.work, "sign.mjs"), substitute(block("js", "CryptographyClient").code, [[":8443", `:${reader.server.port}`]]));
    const refused = onMachine(process.execPath, path.join(reader.work, "sign.mjs"));
    assert.notEqual(refused.status, 0, "no key permission yet");
    assert.match(refused.stderr, /403|Forbidden/);

    run(kluisArgs(grant!, { "<principal id>": principalId }));
  });

  it("the machine signs with the SDK; the vault verifies it, and so does the downloaded public key", { timeout: 120_000 }, () => {
    const result = reader.bash(block("sh", "node sign.mjs").code);
    assert.equal(result.status, 0, result.stderr);
    const verified = JSON.parse(result.stdout) as { algorithm: string; isValid: boolean; keyId: string };
    assert.deepEqual(verified, { algorithm: "ES256", isValid: true, keyId: `${reader.server.vaultUrl("my-vault")}/keys/release-signing` });
    const signature = Buffer.from(fs.readFileSync(path.join(reader.work, "release.sig"), "utf8").trim(), "base64");
    const publicKey = fs.readFileSync(path.join(reader.work, "release-signing.pem"));
    assert.ok(crypto.verify("sha256", Buffer.from("release 1.0"), { key: publicKey, dsaEncoding: "ieee-p1363" }, signature));
    assert.ok(!crypto.verify("sha256", Buffer.from("release 1.1"), { key: publicKey, dsaEncoding: "ieee-p1363" }, signature));
  });

  it("the other key verbs' block runs as written", { timeout: 180_000 }, () => {
    const code = block("sh", "--name data-key --kty RSA").code;
    assert.ok(kluisLines(code).length >= 6);
    const result = reader.bash(code);
    assert.equal(result.status, 0, result.stderr);
    const kids = result.stdout.split("\n").filter((line) => line.includes("/keys/data-key/") && !line.includes('"'));
    assert.equal(kids.length, 2, "list-versions --output tsv lists the first version and the rotated one");
    assert.ok(fs.statSync(path.join(reader.work, "data-key.backup")).size > 0);
    assert.doesNotMatch(result.stdout, /"d": "/, "no private key field is printed");
  });
});
