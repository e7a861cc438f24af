/**
 * `kluis keyvault key …` through the built CLI against a real server: every verb, az's output shapes and formats,
 * and cross-checks that cannot be faked — a signature made by the vault verifies with openssl and node:crypto
 * against the key `key download` wrote; data encrypted locally with that public key decrypts through the CLI; a
 * key the test made and imported signs so that the test's own public key verifies it. Bad flags fail as az fails.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { kluis, kluisOk, startServer, tempDir, type CliResult, type KluisServer } from "../harness/server.js";

const VAULT = "keys-cli-kv";
const JWK_FIELDS = ["crv", "d", "dp", "dq", "e", "k", "keyOps", "kid", "kty", "n", "p", "q", "qi", "t", "x", "y"];
const PRIVATE_FIELDS = ["d", "dp", "dq", "k", "p", "q", "qi", "t"];
/** Each test runs a dozen or more CLI processes, each a fresh Node start. */
const T = { timeout: 120_000 };

function sha256(data: Buffer | string): Buffer {
  return crypto.createHash("sha256").update(data).digest();
}

describe("kluis keyvault key", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let home: string;
  const cli = (...args: string[]): CliResult => kluisOk(server, home, args);
  const run = (...args: string[]): CliResult => kluis(server, home, args);
  const key = (verb: string, ...args: string[]): CliResult => cli("keyvault", "key", ...verb.split(" "), ...args);
  const named = (name: string) => ["--vault-name", VAULT, "--name", name];
  const file = (name: string) => path.join(home, name);

  before(async () => {
    server = await startServer();
    home = tempDir("keys-cli");
    cli("login");
    cli("group", "create", "--name", "rg-keys", "--location", "westeurope");
    cli("keyvault", "create", "--name", VAULT, "--resource-group", "rg-keys");
  }, T);
  after(() => server.stop());

  it("create: an RSA-2048 key by default, printed as az prints it, never with a private field", T, () => {
    const created = key("create", ...named("rsa-default")).json<any>();
    assert.deepEqual(Object.keys(created).sort(), ["attributes", "key", "managed", "releasePolicy", "tags"]);
    assert.deepEqual(Object.keys(created.key).sort(), JWK_FIELDS);
    for (const field of PRIVATE_FIELDS) assert.equal(created.key[field], null, field);
    assert.equal(created.key.kty, "RSA");
    assert.equal(created.key.e, "AQAB");
    assert.match(created.key.n, /^[A-Za-z0-9+/]+={0,2}$/, "standard base64, as az prints bytes");
    assert.equal(Buffer.from(created.key.n, "base64").length, 256);
    assert.match(created.key.kid, new RegExp(`^https://${VAULT}\\.vault\\.localhost:${server.port}/keys/rsa-default/[0-9a-f]{32}$`));
    assert.deepEqual([...created.key.keyOps].sort(), ["decrypt", "encrypt", "sign", "unwrapKey", "verify", "wrapKey"]);
    assert.deepEqual(Object.keys(created.attributes).sort(), ["created", "enabled", "expires", "exportable", "hsmPlatform", "notBefore", "recoverableDays", "recoveryLevel", "updated"]);
    assert.equal(created.attributes.enabled, true);
    assert.equal(created.attributes.recoveryLevel, "Recoverable+Purgeable");
    assert.equal(created.attributes.recoverableDays, 90);
    assert.match(created.attributes.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.equal(created.tags, null);
  });

  it("create: EC from --curve alone, with --ops, --tags, --expires, --not-before, --disabled", T, () => {
    const created = key("create", ...named("ec"), "--curve", "p-256", "--ops", "sign", "verify", "--tags", "env=test", "team",
      "--expires", "2099-01-02T03:04:05Z", "--not-before", "2020-01-01T00:00:00Z").json<any>();
    assert.equal(created.key.kty, "EC");
    assert.equal(created.key.crv, "P-256");
    assert.equal(Buffer.from(created.key.x, "base64").length, 32);
    assert.deepEqual(created.key.keyOps, ["sign", "verify"]);
    assert.deepEqual(created.tags, { env: "test", team: "" });
    assert.equal(created.attributes.expires, "2099-01-02T03:04:05+00:00");
    assert.equal(created.attributes.notBefore, "2020-01-01T00:00:00+00:00");
    const disabled = key("create", ...named("off"), "--kty", "RSA", "--size", "3072", "--disabled").json<any>();
    assert.equal(disabled.attributes.enabled, false);
    assert.equal(Buffer.from(disabled.key.n, "base64").length, 384);
  });

  it("bad flags fail as az fails: argparse errors exit 2, service errors exit 1, nothing is created", T, () => {
    const badKty = run("keyvault", "key", "create", ...named("bad"), "--kty", "DSA");
    assert.equal(badKty.status, 2);
    assert.equal(badKty.stderr.trim(), "ERROR: argument --kty: invalid choice: 'DSA' (choose from 'EC', 'EC-HSM', 'RSA', 'RSA-HSM', 'oct', 'oct-HSM')");
    const badCurve = run("keyvault", "key", "create", ...named("bad"), "--curve", "P-192");
    assert.equal(badCurve.status, 2);
    assert.match(badCurve.stderr, /^ERROR: argument --curve: invalid choice: 'P-192'/);
    const badOps = run("keyvault", "key", "create", ...named("bad"), "--ops", "sign", "fly");
    assert.equal(badOps.status, 2);
    assert.match(badOps.stderr, /argument --ops: invalid choice: 'fly'/);
    assert.equal(run("keyvault", "key", "create", ...named("bad"), "--size", "big").status, 2);
    const badSize = run("keyvault", "key", "create", ...named("bad"), "--size", "1000");
    assert.equal(badSize.status, 1);
    assert.match(badSize.stderr, /^ERROR: \(\w+\) /);
    const noName = run("keyvault", "key", "show", "--vault-name", VAULT);
    assert.equal(noName.status, 2);
    assert.equal(noName.stderr.trim(), "ERROR: usage error: --id ID | --vault-name VAULT --name NAME [--version VERSION]");
    assert.equal(run("keyvault", "key", "show", "--id", "https://x.vault.localhost/keys/a", "--name", "a").status, 2);
    assert.equal(run("keyvault", "key", "show", "--id", "https://x.vault.localhost/secrets/a").status, 2);
    const unknown = run("keyvault", "key", "create", ...named("bad"), "--colour", "red");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^ERROR: unknown option '--colour'/);
    const missing = run("keyvault", "key", "show", ...named("nope"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^ERROR: \(KeyNotFound\) /);
    const names = key("list", "--vault-name", VAULT).json<any[]>().map((k) => k.name);
    assert.ok(!names.includes("bad"), "no key was created by a refused command");
  });

  it("show, list, list-versions with --id, --version, --maxresults, -o table|tsv and --query", T, () => {
    const first = key("show", ...named("rsa-default")).json<any>();
    const second = key("create", ...named("rsa-default")).json<any>();
    assert.notEqual(second.key.kid, first.key.kid);
    assert.equal(key("show", "--id", first.key.kid).json<any>().key.kid, first.key.kid);
    assert.equal(key("show", ...named("rsa-default"), "--version", first.key.kid.split("/").pop()).json<any>().key.n, first.key.n);
    assert.equal(key("show", ...named("rsa-default")).json<any>().key.kid, second.key.kid);
    assert.equal(key("show", ...named("rsa-default"), "--query", "key.kty", "-o", "tsv").stdout, "RSA\n");

    const list = key("list", "--vault-name", VAULT).json<any[]>();
    const item = list.find((k) => k.name === "rsa-default");
    assert.deepEqual(Object.keys(item).sort(), ["attributes", "kid", "managed", "name", "releasePolicy", "tags"]);
    assert.equal(item.kid, `${server.vaultUrl(VAULT)}/keys/rsa-default`);
    assert.equal(key("list", "--id", `${server.vaultUrl(VAULT)}/`, "--maxresults", "1").json<any[]>().length, 1);
    const table = key("list", "--vault-name", VAULT, "-o", "table").stdout.split("\n");
    assert.match(table[0]!, /^Kid\s+Name$/);
    assert.ok(table.some((line) => line.endsWith(" rsa-default")));
    const tsv = key("list", "--vault-name", VAULT, "--query", "[].name", "-o", "tsv").stdout.trim().split("\n").sort();
    assert.deepEqual(tsv, ["ec", "off", "rsa-default"]);

    const versions = key("list-versions", ...named("rsa-default")).json<any[]>();
    assert.deepEqual(versions.map((v) => v.kid).sort(), [first.key.kid, second.key.kid].sort());
    assert.equal(key("list-versions", ...named("rsa-default"), "--maxresults", "1").json<any[]>().length, 1);
  });

  it("set-attributes changes enabled, ops and tags of the current version", T, () => {
    const updated = key("set-attributes", ...named("ec"), "--enabled", "false", "--ops", "verify", "--tags", "env=prod").json<any>();
    assert.equal(updated.attributes.enabled, false);
    assert.deepEqual(updated.key.keyOps, ["verify"]);
    assert.deepEqual(updated.tags, { env: "prod" });
    const back = key("set-attributes", ...named("ec"), "--enabled", "--ops", "sign", "verify").json<any>();
    assert.equal(back.attributes.enabled, true);
    assert.deepEqual(back.key.keyOps, ["sign", "verify"]);
    assert.equal(run("keyvault", "key", "set-attributes", ...named("ec"), "--enabled", "maybe").status, 2);
  });

  it("sign → download: the vault's RS256 signature verifies with openssl and node:crypto against the downloaded PEM", T, () => {
    const data = Buffer.from("kluis signs this");
    const signed = key("sign", ...named("rsa-default"), "--algorithm", "RS256", "--digest", sha256(data).toString("base64")).json<any>();
    assert.deepEqual(Object.keys(signed).sort(), ["algorithm", "keyId", "signature"]);
    assert.equal(signed.algorithm, "RS256");
    assert.equal(signed.keyId, key("show", ...named("rsa-default")).json<any>().key.kid);
    const signature = Buffer.from(signed.signature, "base64");
    assert.equal(signature.length, 256);

    const pem = file("rsa.pem");
    key("download", ...named("rsa-default"), "--file", pem);
    assert.match(fs.readFileSync(pem, "utf8"), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.ok(crypto.verify("sha256", data, fs.readFileSync(pem), signature), "node:crypto verifies the vault's signature");
    fs.writeFileSync(file("data.bin"), data);
    fs.writeFileSync(file("sig.bin"), signature);
    const openssl = spawnSync("openssl", ["dgst", "-sha256", "-verify", pem, "-signature", file("sig.bin"), file("data.bin")], { encoding: "utf8" });
    assert.equal(openssl.status, 0, openssl.stderr);
    assert.match(openssl.stdout, /Verified OK/);

    const again = run("keyvault", "key", "download", ...named("rsa-default"), "--file", pem);
    assert.equal(again.status, 1);
    assert.equal(again.stderr.trim(), `ERROR: File or directory named '${pem}' already exists.`);

    assert.equal(key("verify", ...named("rsa-default"), "-a", "RS256", "--digest", sha256(data).toString("base64"), "--signature", signed.signature).json<any>().isValid, true);
    const forged = key("verify", ...named("rsa-default"), "-a", "RS256", "--digest", sha256("other").toString("base64"), "--signature", signed.signature).json<any>();
    assert.deepEqual(Object.keys(forged).sort(), ["algorithm", "isValid", "keyId"]);
    assert.equal(forged.isValid, false);
  });

  it("sign with EC: an ES256 r‖s signature verifies against the DER download", T, () => {
    const data = Buffer.from("ec data");
    const signed = key("sign", ...named("ec"), "-a", "ES256", "--digest", sha256(data).toString("base64")).json<any>();
    const der = file("ec.der");
    key("download", ...named("ec"), "--file", der, "--encoding", "DER");
    const publicKey = crypto.createPublicKey({ key: fs.readFileSync(der), format: "der", type: "spki" });
    assert.ok(crypto.verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(signed.signature, "base64")));
    const wrongLength = run("keyvault", "key", "sign", ...named("ec"), "-a", "ES256", "--digest", Buffer.alloc(20).toString("base64"));
    assert.equal(wrongLength.status, 1);
    assert.match(wrongLength.stderr, /^ERROR: \(\w+\) /);
    assert.equal(run("keyvault", "key", "sign", ...named("ec"), "-a", "XS256", "--digest", "AAAA").status, 2);
    assert.equal(run("keyvault", "key", "sign", ...named("ec"), "-a", "ES256", "--digest", "not base64!").status, 2);
  });

  it("encrypt/decrypt: plaintext and base64 round trips, and data encrypted locally with the downloaded key decrypts", T, () => {
    const encrypted = key("encrypt", ...named("rsa-default"), "-a", "RSA-OAEP-256", "--value", "hello keys", "--data-type", "plaintext").json<any>();
    assert.deepEqual(Object.keys(encrypted).sort(), ["aad", "algorithm", "iv", "kid", "result", "tag"]);
    assert.equal(encrypted.algorithm, "RSA-OAEP-256");
    assert.equal(encrypted.iv, null);
    assert.equal(Buffer.from(encrypted.result, "base64").length, 256);
    const decrypted = key("decrypt", ...named("rsa-default"), "-a", "RSA-OAEP-256", "--value", encrypted.result, "--data-type", "plaintext").json<any>();
    assert.deepEqual(decrypted, { algorithm: "RSA-OAEP-256", kid: encrypted.kid, result: "hello keys" });
    const asBase64 = key("decrypt", ...named("rsa-default"), "-a", "RSA-OAEP-256", "--value", encrypted.result).json<any>();
    assert.equal(Buffer.from(asBase64.result, "base64").toString(), "hello keys");

    const local = crypto.publicEncrypt({ key: fs.readFileSync(file("rsa.pem")), oaepHash: "sha1", padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from("made here"));
    const opened = key("decrypt", ...named("rsa-default"), "-a", "RSA-OAEP", "--value", local.toString("base64"), "--data-type", "plaintext").json<any>();
    assert.equal(opened.result, "made here");

    const bad = run("keyvault", "key", "encrypt", ...named("rsa-default"), "-a", "RSA-OAEP", "--value", "sécret value!");
    assert.equal(bad.status, 2);
    assert.doesNotMatch(bad.stderr, /sécret/, "the value is not echoed");
    assert.equal(run("keyvault", "key", "encrypt", ...named("rsa-default"), "-a", "RSA-OAEP", "--value", "AAAA", "--data-type", "hex").status, 2);
  });

  it("import: a PEM made here (encrypted, or as a string) signs so that the test's own public key verifies it", T, () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(file("mine.pem"), rsa.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw1234" }));
    const imported = key("import", ...named("mine"), "--pem-file", file("mine.pem"), "--pem-password", "pw1234", "--ops", "sign", "verify").json<any>();
    assert.equal(imported.key.kty, "RSA");
    for (const field of PRIVATE_FIELDS) assert.equal(imported.key[field], null, field);
    const jwk = rsa.publicKey.export({ format: "jwk" });
    assert.equal(Buffer.from(imported.key.n, "base64").toString("base64url"), jwk.n);
    const data = Buffer.from("imported");
    const signed = key("sign", ...named("mine"), "-a", "PS256", "--digest", sha256(data).toString("base64")).json<any>();
    assert.ok(crypto.verify("sha256", data, { key: rsa.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signed.signature, "base64")));

    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
    const pem = ec.privateKey.export({ type: "sec1", format: "pem" }).toString();
    const ecKey = key("import", ...named("mine-ec"), "--pem-string", pem).json<any>();
    assert.equal(ecKey.key.crv, "P-384");
    const ecSigned = key("sign", ...named("mine-ec"), "-a", "ES384", "--digest", crypto.createHash("sha384").update(data).digest("base64")).json<any>();
    assert.ok(crypto.verify("sha384", data, { key: ec.publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(ecSigned.signature, "base64")));

    const wrong = run("keyvault", "key", "import", ...named("mine"), "--pem-file", file("mine.pem"), "--pem-password", "nope");
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^ERROR: Import failed: /);
    assert.doesNotMatch(wrong.stdout + wrong.stderr, /PRIVATE KEY/);
    assert.equal(run("keyvault", "key", "import", ...named("mine")).status, 2);
    assert.equal(run("keyvault", "key", "import", ...named("mine"), "--pem-string", pem, "--pem-file", file("mine.pem")).status, 2);
  });

  it("random: --count bytes in base64; out of range is the service's 400", T, () => {
    const random = key("random", "--vault-name", VAULT, "--count", "32").json<any>();
    assert.deepEqual(Object.keys(random), ["value"]);
    assert.equal(Buffer.from(random.value, "base64").length, 32);
    assert.notEqual(key("random", "--id", server.vaultUrl(VAULT), "--count", "32").json<any>().value, random.value);
    const tooMany = run("keyvault", "key", "random", "--vault-name", VAULT, "--count", "1000");
    assert.equal(tooMany.status, 1);
    assert.match(tooMany.stderr, /^ERROR: \(\w+\) /);
    assert.equal(run("keyvault", "key", "random", "--vault-name", VAULT, "--count", "many").status, 2);
  });

  it("rotate and rotation-policy show/update (JSON file in Key Vault's shape, or show's output as a string)", T, () => {
    const before = key("list-versions", ...named("ec")).json<any[]>().length;
    const rotated = key("rotate", ...named("ec")).json<any>();
    assert.equal(rotated.key.crv, "P-256");
    assert.deepEqual(rotated.key.keyOps, ["sign", "verify"]);
    assert.equal(key("list-versions", ...named("ec")).json<any[]>().length, before + 1);

    const policyFile = file("policy.json");
    fs.writeFileSync(policyFile, JSON.stringify({
      lifetimeActions: [
        { trigger: { timeAfterCreate: "P90D" }, action: { type: "Rotate" } },
        { trigger: { timeBeforeExpiry: "P30D" }, action: { type: "Notify" } },
      ],
      attributes: { expiryTime: "P2Y" },
    }));
    const updated = key("rotation-policy update", ...named("ec"), "--value", policyFile).json<any>();
    assert.deepEqual(Object.keys(updated).sort(), ["createdOn", "expiresIn", "id", "lifetimeActions", "updatedOn"]);
    assert.equal(updated.expiresIn, "P2Y");
    assert.equal(updated.id, `${server.vaultUrl(VAULT)}/keys/ec/rotationpolicy`);
    assert.deepEqual(updated.lifetimeActions, [
      { action: "Rotate", timeAfterCreate: "P90D", timeBeforeExpiry: null },
      { action: "Notify", timeAfterCreate: null, timeBeforeExpiry: "P30D" },
    ]);
    const shown = key("rotation-policy show", ...named("ec")).json<any>();
    assert.deepEqual(shown.lifetimeActions, updated.lifetimeActions);
    const changed = { ...shown, lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P1Y", timeBeforeExpiry: null }] };
    assert.equal(key("rotation-policy update", ...named("ec"), "--value", JSON.stringify(changed)).json<any>().lifetimeActions[0].timeAfterCreate, "P1Y");
    assert.equal(run("keyvault", "key", "rotation-policy", "update", ...named("ec"), "--value", "{not json").status, 2);
    const refused = run("keyvault", "key", "rotation-policy", "update", ...named("ec"), "--value", JSON.stringify({ lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P1D" }] }));
    assert.equal(refused.status, 1, "the service refuses a rotation sooner than 7 days");
    assert.match(refused.stderr, /^ERROR: \(\w+\) /);
  });

  it("backup → delete → show-deleted/list-deleted → purge → restore; delete → recover", T, () => {
    const backup = file("ec.backup");
    key("backup", ...named("ec"), "--file", backup);
    assert.equal(fs.statSync(backup).mode & 0o777, 0o600);
    const kid = key("show", ...named("ec")).json<any>().key.kid;
    const deleted = key("delete", ...named("ec")).json<any>();
    assert.equal(deleted.recoveryId, `${server.vaultUrl(VAULT)}/deletedkeys/ec`);
    assert.match(deleted.deletedDate, /\+00:00$/);
    assert.match(deleted.scheduledPurgeDate, /\+00:00$/);
    assert.equal(deleted.key.kid, kid);
    assert.equal(key("show-deleted", "--id", deleted.recoveryId).json<any>().key.kid, kid);
    const listed = key("list-deleted", "--vault-name", VAULT).json<any[]>();
    assert.deepEqual(listed.map((k) => k.name), ["ec"]);
    assert.equal(listed[0].recoveryId, deleted.recoveryId);
    assert.equal(run("keyvault", "key", "show", ...named("ec")).status, 1);
    assert.equal(key("purge", ...named("ec")).stdout, "");
    assert.deepEqual(key("list-deleted", "--vault-name", VAULT).json<any[]>(), []);
    const restored = key("restore", "--vault-name", VAULT, "--file", backup).json<any>();
    assert.equal(restored.key.kid, kid);

    key("delete", ...named("off"));
    const recovered = key("recover", ...named("off")).json<any>();
    assert.equal(recovered.key.kty, "RSA");
    assert.equal(recovered.recoveryId, undefined);
    assert.equal(key("show", ...named("off")).json<any>().attributes.enabled, false);
  });
});
