/**
 * `kluis keyvault certificate …` through the built CLI against a real server: every verb, az's output shapes, and
 * cross-checks that cannot be faked — openssl reads what `download` wrote and finds the thumbprint `show` printed;
 * the managed secret holds a PFX whose certificate is that one and whose key is the managed key's; a certificate of
 * the built-in issuer "Kluis" verifies against `issuer show-ca`; a CSR from a pending operation, signed here by
 * openssl, merges. Bad flags fail as az fails, without stack traces.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openssl, toPem } from "../harness/openssl.js";
import { kluis, kluisOk, startServer, tempDir, type CliResult, type KluisServer } from "../harness/server.js";

const VAULT = "certs-cli-kv";
/** Each test runs a dozen or more CLI processes, each a fresh Node start. */
const T = { timeout: 180_000 };

function sha1Hex(der: Buffer): string {
  return crypto.createHash("sha1").update(der).digest("hex").toUpperCase();
}

function policyWith(changes: { subject?: string; issuer?: string; keyType?: string; curve?: string; contentType?: string; dnsNames?: string[] }): string {
  return JSON.stringify({
    issuerParameters: { name: changes.issuer ?? "Self" },
    keyProperties: { exportable: true, keyType: changes.keyType ?? "RSA", ...(changes.curve ? { curve: changes.curve } : { keySize: 2048 }), reuseKey: false },
    secretProperties: { contentType: changes.contentType ?? "application/x-pkcs12" },
    x509CertificateProperties: {
      subject: changes.subject ?? "CN=kluis.test",
      ...(changes.dnsNames ? { subjectAlternativeNames: { dnsNames: changes.dnsNames } } : {}),
      keyUsage: ["digitalSignature", "keyEncipherment"],
      ekus: ["1.3.6.1.5.5.7.3.1"],
      validityInMonths: 12,
    },
    lifetimeActions: [{ trigger: { lifetimePercentage: 80 }, action: { actionType: "EmailContacts" } }],
  });
}

describe("kluis keyvault certificate", { timeout: 900_000 }, () => {
  let server: KluisServer;
  let home: string;
  const cli = (...args: string[]): CliResult => kluisOk(server, home, args);
  const run = (...args: string[]): CliResult => kluis(server, home, args);
  const cert = (verb: string, ...args: string[]): CliResult => cli("keyvault", "certificate", ...verb.split(" "), ...args);
  const fails = (status: number, ...args: string[]): CliResult => {
    const result = run("keyvault", "certificate", ...args[0]!.split(" "), ...args.slice(1));
    assert.equal(result.status, status, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /^ERROR: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    return result;
  };
  const named = (name: string) => ["--vault-name", VAULT, "--name", name];
  const file = (name: string) => path.join(home, name);

  before(async () => {
    server = await startServer();
    home = tempDir("certs-cli");
    cli("login");
    cli("group", "create", "--name", "rg-certs", "--location", "westeurope");
    cli("keyvault", "create", "--name", VAULT, "--resource-group", "rg-certs");
  }, T);
  after(() => server.stop());

  it("get-default-policy → create: az's default policy, waited for, printed as the completed operation", T, () => {
    const policy = cert("get-default-policy").json<any>();
    assert.equal(policy.x509CertificateProperties.subject, "CN=CLIGetDefaultPolicy");
    assert.equal(cert("get-default-policy", "--scaffold").json<any>().x509CertificateProperties.validityInMonths, 24);
    fs.writeFileSync(file("default.json"), JSON.stringify(policy).replace("CN=CLIGetDefaultPolicy", "CN=web.kluis.test"));

    const operation = cert("create", ...named("web"), "--policy", `@${file("default.json")}`).json<any>();
    assert.deepEqual(Object.keys(operation).sort(), ["cancellationRequested", "csr", "error", "id", "issuerParameters", "name", "requestId", "status", "statusDetails", "target"]);
    assert.equal(operation.status, "completed");
    assert.equal(operation.name, "web");
    assert.equal(operation.id, `${server.vaultUrl(VAULT)}/certificates/web/pending`);
    assert.equal(operation.issuerParameters.name, "Self");
    assert.equal(operation.target, `${server.vaultUrl(VAULT)}/certificates/web`);
  });

  it("show: az's fields; the DER certificate, thumbprints, key and secret ids agree with each other", T, () => {
    const shown = cert("show", ...named("web")).json<any>();
    assert.deepEqual(Object.keys(shown).sort(), ["attributes", "cer", "contentType", "id", "kid", "name", "policy", "sid", "tags", "x509Thumbprint", "x509ThumbprintHex"]);
    const der = Buffer.from(shown.cer, "base64");
    const x509 = new crypto.X509Certificate(der);
    assert.match(x509.subject, /CN=web\.kluis\.test/);
    assert.equal(x509.issuer, x509.subject, "issuer Self: self-signed");
    assert.equal(shown.x509ThumbprintHex, sha1Hex(der));
    assert.equal(Buffer.from(shown.x509Thumbprint, "base64").toString("hex").toUpperCase(), sha1Hex(der));
    const version = shown.id.split("/").pop();
    assert.match(version, /^[0-9a-f]{32}$/);
    assert.equal(shown.kid, `${server.vaultUrl(VAULT)}/keys/web/${version}`);
    assert.equal(shown.sid, `${server.vaultUrl(VAULT)}/secrets/web/${version}`);
    assert.equal(shown.policy.secretProperties.contentType, "application/x-pkcs12");
    assert.equal(shown.attributes.enabled, true);
    assert.equal(shown.attributes.expires, new Date(x509.validTo).toISOString().replace(/\.000Z$/, "+00:00"));
    assert.equal(shown.policy.keyProperties.keySize, 2048);
    assert.equal(shown.policy.issuerParameters.name, "Self");
    assert.deepEqual(shown.policy.lifetimeActions[0].action, { actionType: "AutoRenew" });
    assert.equal(cert("show", "--id", shown.id).json<any>().x509ThumbprintHex, shown.x509ThumbprintHex);
    assert.equal(cert("show", ...named("web"), "--query", "x509ThumbprintHex", "-o", "tsv").stdout, `${shown.x509ThumbprintHex}\n`);

    // The key of the same name is the certificate's public key.
    const key = cli("keyvault", "key", "show", "--id", shown.kid).json<any>();
    assert.equal(key.managed, true);
    const jwk = x509.publicKey.export({ format: "jwk" });
    assert.equal(Buffer.from(key.key.n, "base64").toString("base64url"), jwk.n);
    // The secret of the same name is a PFX of that certificate and its private key.
    const secret = cli("keyvault", "secret", "show", "--id", shown.sid).json<any>();
    assert.equal(secret.contentType, "application/x-pkcs12");
    assert.equal(secret.kid, shown.kid);
    fs.writeFileSync(file("web.pfx"), Buffer.from(secret.value, "base64"));
    const pfxPem = pkcs12ToPem(file("web.pfx"));
    assert.ok(new crypto.X509Certificate(pfxPem).raw.equals(der), "the PFX holds the certificate");
    const privateKey = crypto.createPrivateKey(pfxPem);
    assert.ok(crypto.verify("sha256", Buffer.from("x"), x509.publicKey, crypto.sign("sha256", Buffer.from("x"), privateKey)), "and its key");
    assert.ok(!cli("keyvault", "secret", "list", "--vault-name", VAULT).json<any[]>().some((s) => s.name === "web"), "managed secrets are hidden");
    assert.ok(cli("keyvault", "secret", "list", "--vault-name", VAULT, "--include-managed").json<any[]>().some((s) => s.name === "web"));
  });

  function pkcs12ToPem(pfxFile: string): string {
    try {
      return openssl(["pkcs12", "-in", pfxFile, "-nodes", "-passin", "pass:"]);
    } catch {
      return openssl(["pkcs12", "-in", pfxFile, "-nodes", "-passin", "pass:", "-legacy"]);
    }
  }

  it("download: PEM (az's default) and DER, which openssl reads with the thumbprint show printed; never over a file", T, () => {
    const shown = cert("show", ...named("web")).json<any>();
    cert("download", ...named("web"), "--file", file("web.pem"));
    cert("download", ...named("web"), "-f", file("web.der"), "-e", "DER");
    assert.match(fs.readFileSync(file("web.pem"), "utf8"), /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/]{76}\n/);
    assert.ok(fs.readFileSync(file("web.der")).equals(Buffer.from(shown.cer, "base64")));
    for (const [name, form] of [["web.pem", "PEM"], ["web.der", "DER"]] as const) {
      const out = openssl(["x509", "-in", file(name), "-inform", form, "-noout", "-fingerprint", "-sha1", "-subject"]);
      assert.equal(/Fingerprint=([0-9A-F:]+)/.exec(out)?.[1]?.replace(/:/g, ""), shown.x509ThumbprintHex);
      assert.match(out, /CN ?= ?web\.kluis\.test/);
    }
    const again = fails(1, "download", ...named("web"), "--file", file("web.pem"));
    assert.equal(again.stderr.trim(), `ERROR: File or directory named '${file("web.pem")}' already exists.`);
    fails(2, "download", ...named("web"), "--file", file("web.x"), "--encoding", "PKCS7");
  });

  it("create: a new version with --validity, --tags, --disabled, an EC key and a PEM secret; list-versions, list", T, () => {
    const operation = cert("create", ...named("web"), "-p", policyWith({ subject: "CN=web2", keyType: "EC", curve: "P-256", contentType: "application/x-pem-file", dnsNames: ["a.kluis.test"] }),
      "--validity", "3", "--tags", "env=test", "--disabled").json<any>();
    assert.equal(operation.status, "completed");
    const current = cert("show", ...named("web")).json<any>();
    assert.equal(current.attributes.enabled, false);
    assert.deepEqual(current.tags, { env: "test" });
    assert.equal(current.policy.x509CertificateProperties.validityInMonths, 3);
    assert.equal(current.policy.keyProperties.curve, "P-256");
    assert.equal(current.policy.secretProperties.contentType, "application/x-pem-file");
    const x509 = new crypto.X509Certificate(Buffer.from(current.cer, "base64"));
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.match(x509.subjectAltName ?? "", /DNS:a\.kluis\.test/);
    const months = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / (86400_000 * 30.5);
    assert.ok(months > 2.5 && months < 3.5, `validity ${months} months`);

    const versions = cert("list-versions", ...named("web")).json<any[]>();
    assert.equal(versions.length, 2);
    assert.deepEqual(Object.keys(versions[0]).sort(), ["attributes", "id", "name", "tags", "x509Thumbprint", "x509ThumbprintHex"]);
    assert.equal(cert("list-versions", ...named("web"), "--maxresults", "1").json<any[]>().length, 1);
    const list = cert("list", "--vault-name", VAULT).json<any[]>();
    const item = list.find((c) => c.name === "web");
    assert.equal(item.id, `${server.vaultUrl(VAULT)}/certificates/web`);
    assert.equal(item.x509ThumbprintHex, current.x509ThumbprintHex);
    assert.equal(cert("list", "--id", `${server.vaultUrl(VAULT)}/`, "--query", "[?name=='web'].x509ThumbprintHex", "-o", "tsv").stdout.trim(), current.x509ThumbprintHex);
  });

  it("set-attributes: enabled, tags, and the policy of the certificate", T, () => {
    const updated = cert("set-attributes", ...named("web"), "--enabled", "true", "--tags", "env=prod", "team").json<any>();
    assert.equal(updated.attributes.enabled, true);
    assert.deepEqual(updated.tags, { env: "prod", team: "" });
    const withPolicy = cert("set-attributes", ...named("web"), "--policy", JSON.stringify({ x509CertificateProperties: { validityInMonths: 6 } })).json<any>();
    assert.equal(withPolicy.policy.x509CertificateProperties.validityInMonths, 6);
    fails(2, "set-attributes", ...named("web"), "--enabled", "maybe");
  });

  it("import: a PFX with a password and a PEM bundle, both made by openssl; bad files and passwords fail cleanly", T, () => {
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("imp.key"), "-out", file("imp.pem"), "-subj", "/CN=imported.kluis.test", "-days", "30"]);
    openssl(["pkcs12", "-export", "-inkey", file("imp.key"), "-in", file("imp.pem"), "-out", file("imp.pfx"), "-passout", "pass:pfx-pw"]);
    const der = new crypto.X509Certificate(fs.readFileSync(file("imp.pem"))).raw;
    const fromPfx = cert("import", ...named("imported"), "--file", file("imp.pfx"), "--password", "pfx-pw", "--tags", "src=pfx").json<any>();
    assert.equal(fromPfx.x509ThumbprintHex, sha1Hex(der));
    assert.equal(fromPfx.policy.secretProperties.contentType, "application/x-pkcs12");
    assert.deepEqual(fromPfx.tags, { src: "pfx" });
    assert.equal(fromPfx.name, "imported");
    fs.writeFileSync(file("bundle.pem"), fs.readFileSync(file("imp.key"), "utf8") + fs.readFileSync(file("imp.pem"), "utf8"));
    const fromPem = cert("import", ...named("imported-pem"), "-f", file("bundle.pem"), "--disabled").json<any>();
    assert.equal(fromPem.x509ThumbprintHex, sha1Hex(der));
    assert.equal(fromPem.policy.secretProperties.contentType, "application/x-pem-file");
    assert.equal(fromPem.attributes.enabled, false);

    const wrong = fails(1, "import", ...named("bad"), "--file", file("imp.pfx"), "--password", "nope");
    assert.doesNotMatch(wrong.stderr, /nope|pfx-pw/);
    fs.writeFileSync(file("junk.bin"), "not a certificate");
    fails(1, "import", ...named("bad"), "--file", file("junk.bin"));
    fails(1, "import", ...named("bad"), "--file", file("imp.key"));
    fails(1, "import", ...named("bad"), "--file", file("missing.pfx"));
    fails(2, "import", ...named("bad"));
    assert.ok(!cert("list", "--vault-name", VAULT).json<any[]>().some((c) => c.name === "bad"), "nothing was imported");
  });

  it("issuer Kluis: the certificate verifies against issuer show-ca with openssl", T, () => {
    const pem = cert("issuer show-ca").stdout;
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
    fs.writeFileSync(file("kluis-ca.pem"), pem);
    cert("issuer show-ca", "--file", file("kluis-ca-2.pem"));
    assert.equal(fs.readFileSync(file("kluis-ca-2.pem"), "utf8"), pem);
    const ca = new crypto.X509Certificate(pem);
    assert.ok(ca.ca);

    const operation = cert("create", ...named("issued"), "--policy", policyWith({ issuer: "Kluis", subject: "CN=issued.kluis.test", dnsNames: ["issued.kluis.test"] })).json<any>();
    assert.equal(operation.status, "completed");
    cert("download", ...named("issued"), "--file", file("issued.pem"));
    assert.match(openssl(["verify", "-CAfile", file("kluis-ca.pem"), file("issued.pem")]), /OK/);
    assert.equal(new crypto.X509Certificate(fs.readFileSync(file("issued.pem"))).issuer, ca.subject);
  });

  it("pending: issuer Unknown returns the operation with a CSR at once; openssl signs it; merge completes it; delete cancels", T, () => {
    const operation = cert("create", ...named("external"), "-p", policyWith({ issuer: "Unknown", subject: "CN=external.kluis.test" })).json<any>();
    assert.equal(operation.status, "inProgress");
    assert.equal(operation.issuerParameters.name, "Unknown");
    const shown = cert("pending show", ...named("external")).json<any>();
    assert.equal(shown.csr, operation.csr);
    assert.ok(!cert("list", "--vault-name", VAULT, "--include-pending", "false").json<any[]>().some((c) => c.name === "external"), "not issued yet");

    fs.writeFileSync(file("external.csr"), toPem("CERTIFICATE REQUEST", Buffer.from(operation.csr, "base64")));
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", file("ext-ca.key"), "-out", file("ext-ca.pem"), "-subj", "/CN=External CA", "-days", "30"]);
    openssl(["x509", "-req", "-in", file("external.csr"), "-CA", file("ext-ca.pem"), "-CAkey", file("ext-ca.key"), "-CAcreateserial", "-out", file("external.pem"), "-days", "30"]);
    fs.writeFileSync(file("external-chain.pem"), fs.readFileSync(file("external.pem"), "utf8") + fs.readFileSync(file("ext-ca.pem"), "utf8"));
    const merged = cert("pending merge", ...named("external"), "--file", file("external-chain.pem")).json<any>();
    assert.equal(merged.name, "external");
    assert.equal(merged.x509ThumbprintHex, sha1Hex(new crypto.X509Certificate(fs.readFileSync(file("external.pem"))).raw));
    assert.equal(cert("pending show", ...named("external")).json<any>().status, "completed");
    fails(2, "pending merge", ...named("external"), "--file", file("external.csr"));

    cert("create", ...named("cancelled"), "-p", policyWith({ issuer: "Unknown" }));
    const deleted = cert("pending delete", ...named("cancelled")).json<any>();
    assert.equal(deleted.name, "cancelled");
    fails(1, "pending show", ...named("cancelled"));
  });

  it("contact add | list | delete, as az: duplicates and unknown addresses are errors; the last delete empties the list", T, () => {
    const added = cert("contact add", "--vault-name", VAULT, "--email", "ops@kluis.test", "--name", "Ops", "--phone", "123").json<any>();
    assert.deepEqual(added.contactList, [{ emailAddress: "ops@kluis.test", name: "Ops", phone: "123" }]);
    assert.equal(added.id, `${server.vaultUrl(VAULT)}/certificates/contacts`);
    cert("contact add", "--vault-name", VAULT, "--email", "sec@kluis.test");
    assert.deepEqual(cert("contact list", "--vault-name", VAULT, "--query", "contactList[].emailAddress").json<any>(), ["ops@kluis.test", "sec@kluis.test"]);
    assert.match(fails(1, "contact add", "--vault-name", VAULT, "--email", "ops@kluis.test").stderr, /already exists/);
    assert.match(fails(1, "contact delete", "--vault-name", VAULT, "--email", "nobody@kluis.test").stderr, /not found/);
    assert.deepEqual(cert("contact delete", "--vault-name", VAULT, "--email", "ops@kluis.test").json<any>().contactList.map((c: any) => c.emailAddress), ["sec@kluis.test"]);
    cert("contact delete", "--vault-name", VAULT, "--email", "sec@kluis.test");
    fails(2, "contact add", "--vault-name", VAULT);
  });

  it("issuer create | show | list | update | delete and admin add | list | delete; the password is never printed", T, () => {
    const created = cert("issuer create", "--vault-name", VAULT, "--issuer-name", "corp", "--provider-name", "Kluis", "--account-id", "acct", "--password", "issuer-pw", "--organization-id", "org1").json<any>();
    assert.deepEqual(Object.keys(created).sort(), ["attributes", "credentials", "id", "organizationDetails", "provider"]);
    assert.equal(created.provider, "Kluis");
    assert.deepEqual(created.credentials, { accountId: "acct", password: null });
    assert.equal(created.organizationDetails.id, "org1");
    assert.equal(created.attributes.enabled, true);
    assert.equal(created.id, `${server.vaultUrl(VAULT)}/certificates/issuers/corp`);
    const shown = cert("issuer show", "--vault-name", VAULT, "--issuer-name", "corp");
    assert.doesNotMatch(shown.stdout, /issuer-pw/);
    assert.deepEqual(cert("issuer list", "--vault-name", VAULT).json<any[]>(), [{ id: created.id, provider: "Kluis" }]);
    const updated = cert("issuer update", "--vault-name", VAULT, "--issuer-name", "corp", "--enabled", "false", "--account-id", "acct2").json<any>();
    assert.equal(updated.attributes.enabled, false);
    assert.equal(updated.credentials.accountId, "acct2");
    fails(2, "issuer update", "--vault-name", VAULT, "--issuer-name", "corp");

    const admin = cert("issuer admin add", "--vault-name", VAULT, "--issuer-name", "corp", "--email", "admin@kluis.test", "--first-name", "Ada").json<any>();
    assert.deepEqual(admin, { emailAddress: "admin@kluis.test", firstName: "Ada", lastName: null, phone: null });
    assert.equal(cert("issuer admin list", "--vault-name", VAULT, "--issuer-name", "corp").json<any[]>().length, 1);
    cert("issuer admin delete", "--vault-name", VAULT, "--issuer-name", "corp", "--email", "admin@kluis.test");
    assert.deepEqual(cert("issuer admin list", "--vault-name", VAULT, "--issuer-name", "corp").json<any[]>(), []);

    assert.equal(cert("issuer delete", "--vault-name", VAULT, "--issuer-name", "corp").json<any>().provider, "Kluis");
    assert.match(fails(1, "issuer show", "--vault-name", VAULT, "--issuer-name", "corp").stderr, /^ERROR: \(\w+\) /);
    fails(2, "issuer create", "--vault-name", VAULT, "--issuer-name", "x");
  });

  it("backup → delete → show-deleted/list-deleted → purge → restore; delete → recover", T, () => {
    const backup = file("web.backup");
    cert("backup", ...named("web"), "--file", backup);
    assert.equal(fs.statSync(backup).mode & 0o777, 0o600);
    const id = cert("show", ...named("web")).json<any>().id;
    const deleted = cert("delete", ...named("web")).json<any>();
    assert.equal(deleted.recoveryId, `${server.vaultUrl(VAULT)}/deletedcertificates/web`);
    assert.match(deleted.deletedDate, /\+00:00$/);
    assert.match(deleted.scheduledPurgeDate, /\+00:00$/);
    assert.equal(deleted.id, id);
    assert.equal(cert("show-deleted", "--id", deleted.recoveryId).json<any>().id, id);
    const listed = cert("list-deleted", "--vault-name", VAULT).json<any[]>();
    assert.deepEqual(listed.map((c) => c.name), ["web"]);
    assert.equal(listed[0].recoveryId, deleted.recoveryId);
    fails(1, "show", ...named("web"));
    assert.equal(cert("purge", ...named("web")).stdout, "");
    assert.deepEqual(cert("list-deleted", "--vault-name", VAULT).json<any[]>(), []);
    const restored = cert("restore", "--vault-name", VAULT, "--file", backup).json<any>();
    assert.equal(restored.id, id);
    assert.equal(cert("list-versions", ...named("web")).json<any[]>().length, 2);

    cert("delete", ...named("imported"));
    const recovered = cert("recover", ...named("imported")).json<any>();
    assert.equal(recovered.name, "imported");
    assert.equal(recovered.recoveryId, undefined);
    assert.equal(cert("show", ...named("imported")).json<any>().policy.secretProperties.contentType, "application/x-pkcs12");
  });

  it("bad input fails as az fails: argparse errors exit 2, service errors exit 1, nothing is created", T, () => {
    assert.match(fails(2, "create", ...named("bad")).stderr, /--policy/);
    assert.match(fails(2, "create", ...named("bad"), "--policy", "{not json").stderr, /argument --policy/);
    assert.match(fails(2, "create", ...named("bad"), "--policy", JSON.stringify({ keyProperties: { keySise: 2048 } })).stderr, /unknown property 'keyProperties\.keySise'/);
    fails(2, "create", ...named("bad"), "--policy", policyWith({}), "--validity", "twelve");
    assert.match(fails(1, "create", ...named("bad"), "--policy", policyWith({ keyType: "DSA" })).stderr, /^ERROR: \(\w+\) /);
    assert.equal(fails(2, "show", "--vault-name", VAULT).stderr.trim(), "ERROR: usage error: --id ID | --vault-name VAULT --name NAME [--version VERSION]");
    fails(2, "show", "--id", `${server.vaultUrl(VAULT)}/keys/web`);
    assert.match(fails(1, "show", ...named("nope")).stderr, /^ERROR: \(CertificateNotFound\) /);
    fails(2, "list", "--vault-name", VAULT, "--maxresults", "many");
    fails(2, "create", ...named("bad"), "--colour", "red");
    assert.ok(!cert("list", "--vault-name", VAULT, "--include-pending").json<any[]>().some((c) => c.name === "bad"), "no certificate was created by a refused command");
  });
});
