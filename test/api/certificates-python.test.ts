/** Debian's Python azure.keyvault.certificates (CertificateClient) against Kluis: create Self (poller), get, policy, list, the PEM secret, delete, purge. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { claims, createKeyVault, token } from "../harness/clients.js";
import { REPO, startServer, type KluisServer } from "../harness/server.js";

const run = promisify(execFile);

describe("certificates with Debian's Python CertificateClient", { timeout: 120_000 }, () => {
  let server: KluisServer;

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    await createKeyVault(server, management, "rg-py-certs", "py-certs-kv", String(claims(management).oid));
  });
  after(() => server.stop());

  it("creates a self-signed certificate, reads it, its policy and its PEM secret, deletes and purges it", { timeout: 90_000 }, async () => {
    const args = [path.join(REPO, "test/fixtures/certificates_basics.py"), server.url, server.tenantId, server.admin.appId, server.vaultUrl("py-certs-kv")];
    const { stdout, stderr } = await run("/usr/bin/python3", args, { env: { ...process.env, SP_SECRET: server.admin.password }, timeout: 80_000 });
    const seen = JSON.parse(stdout.trim().split("\n").pop() ?? "null");
    assert.equal(seen?.ok, true, `${stdout}\n${stderr}`);
    assert.match(seen.id, new RegExp(`^${server.vaultUrl("py-certs-kv")}/certificates/py-cert/[0-9a-f]{32}$`));
    assert.equal(seen.same, true);
    const x509 = new crypto.X509Certificate(Buffer.from(seen.cer, "base64"));
    assert.match(x509.subject, /CN=py\.example\.test/);
    assert.equal(x509.subjectAltName, "DNS:py.example.test");
    assert.deepEqual(seen.policy, { subject: "CN=py.example.test", dns: ["py.example.test"], months: 2, issuer: "Self" });
    assert.deepEqual(seen.names, ["py-cert"]);
    assert.deepEqual(seen.secret, { content_type: "application/x-pem-file", pem: true });
    assert.equal(seen.deleted, `${server.vaultUrl("py-certs-kv")}/deletedcertificates/py-cert`);
  });
});
