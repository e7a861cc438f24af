import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { CliError } from "./errors.js";
import { generateRsaKeyPair, opensshPublicKey, parseOpensshRsa, resolveSshPublicKeys } from "./ssh-keys.js";

function hasSshKeygen(): boolean {
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

describe("OpenSSH public keys", { timeout: 30_000 }, () => {
  it("encodes e and n as mpints that decode back to the JWK's values", () => {
    const { publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" });
    const line = opensshPublicKey(jwk);
    assert.match(line, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+$/);
    const parsed = parseOpensshRsa(line);
    assert.equal(parsed.e, Buffer.from(jwk.e ?? "", "base64url").toString("hex"));
    assert.equal(parsed.n, Buffer.from(jwk.n ?? "", "base64url").toString("hex"));
    // The modulus has its high bit set, so its mpint carries a 0x00 prefix: 257 bytes for a 2048-bit key.
    const wire = Buffer.from(line.split(" ")[1] ?? "", "base64");
    assert.equal(wire.readUInt32BE(4 + 7 + 4 + 3), 257);
  });

  it("writes a pair that ssh-keygen agrees with", { skip: !hasSshKeygen() && "ssh-keygen not installed" }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-ssh-"));
    try {
      const pair = generateRsaKeyPair();
      fs.writeFileSync(path.join(dir, "id"), pair.privateKeyPem, { mode: 0o600 });
      const derived = execFileSync("ssh-keygen", ["-y", "-f", path.join(dir, "id")], { encoding: "utf8" }).trim();
      assert.equal(derived, pair.publicKey);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("generates ~/.ssh/id_rsa{,.pub} only when asked, with a private key only its owner reads", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-home-"));
    try {
      assert.throws(() => resolveSshPublicKeys({ home }), CliError);
      const [key] = resolveSshPublicKeys({ home, generate: true });
      const privateKey = path.join(home, ".ssh", "id_rsa");
      assert.equal(fs.statSync(privateKey).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(`${privateKey}.pub`, "utf8").trim(), key);
      // A second run reuses the existing key rather than replacing it.
      assert.deepEqual(resolveSshPublicKeys({ home, generate: true }), [key]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
