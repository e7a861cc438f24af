/**
 * Certificates as the official CertificateClient sees them, under every service version the installed
 * @azure/keyvault-certificates knows: create (Self and Kluis issuers, with the SDK's poller), the Unknown issuer's
 * CSR merged after signing by a CA made in the test with openssl, cancel and delete of an operation, import of PFX
 * (with a password) and PEM made by openssl, get/list/versions/update/policy, delete/recover/purge (the key and
 * secret follow), backup/restore, contacts and issuers. What the vault holds is cross-checked with node:crypto.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RestError } from "@azure/core-rest-pipeline";
import { CertificateClient, type CertificatePolicy } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { adminCredential, claims, createKeyVault, token } from "../harness/clients.js";
import { startServer, type KluisServer } from "../harness/server.js";

const poll = { intervalInMs: 50 };
const SERVICE_VERSIONS = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"] as const;

const statusOf = (status: number, code?: string) => (error: RestError) => {
  assert.equal(error.statusCode, status, error.message);
  if (code !== undefined) assert.equal((error.details as { error?: { code?: string } } | undefined)?.error?.code, code, error.message);
  return true;
};

function openssl(args: string[], cwd: string, input?: string): string {
  return execFileSync("openssl", args, { cwd, timeout: 20_000, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-cert-sdk-"));

describe("CertificateClient, every method, every service version", { timeout: 600_000 }, () => {
  let server: KluisServer;
  let management: string;
  let adminOid: string;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const serviceVersion of SERVICE_VERSIONS) {
    it(`serviceVersion ${serviceVersion}`, { timeout: 120_000 }, async () => {
      const vaultName = `certs-${serviceVersion.replace(/[^0-9a-z]/gi, "").toLowerCase()}`;
      await createKeyVault(server, management, "rg-certs", vaultName, adminOid);
      const options = { serviceVersion, retryOptions: { maxRetries: 0 } };
      const client = new CertificateClient(server.vaultUrl(vaultName), adminCredential(server), options);
      const secrets = new SecretClient(server.vaultUrl(vaultName), adminCredential(server), { retryOptions: { maxRetries: 0 } });
      const keys = new KeyClient(server.vaultUrl(vaultName), adminCredential(server), { retryOptions: { maxRetries: 0 } });

      // beginCreateCertificate, issuer Self: the poller sees the operation complete
      const policy: CertificatePolicy = {
        issuerName: "Self",
        subject: "CN=web.example.test, O=Kluis Test",
        subjectAlternativeNames: { dnsNames: ["web.example.test", "www.example.test"], emails: ["ops@example.test"], userPrincipalNames: ["svc@example.test"] },
        validityInMonths: 6,
        keyType: "RSA",
        keySize: 2048,
        exportable: true,
        contentType: "application/x-pkcs12",
        keyUsage: ["digitalSignature", "keyEncipherment"],
        enhancedKeyUsage: ["1.3.6.1.5.5.7.3.1"],
        lifetimeActions: [{ action: "AutoRenew", lifetimePercentage: 80 }],
      };
      const poller = await client.beginCreateCertificate("Web", policy, { ...poll, tags: { team: "a" } });
      const created = await poller.pollUntilDone();
      assert.equal(created.name, "Web");
      assert.equal(created.keyId, `${server.vaultUrl(vaultName)}/keys/Web/${created.properties.version}`);
      assert.equal(created.secretId, `${server.vaultUrl(vaultName)}/secrets/Web/${created.properties.version}`);
      assert.deepEqual(created.properties.tags, { team: "a" });
      const x509 = new crypto.X509Certificate(Buffer.from(created.cer!));
      assert.match(x509.subject, /CN=web\.example\.test/);
      assert.match(x509.subjectAltName ?? "", /DNS:web\.example\.test, DNS:www\.example\.test/);
      assert.match(x509.subjectAltName ?? "", /email:ops@example\.test/);
      assert.equal(Buffer.from(created.properties.x509Thumbprint!).toString("hex"), crypto.createHash("sha1").update(created.cer!).digest("hex"));
      assert.equal(created.properties.notBefore?.getTime(), new Date(x509.validFrom).getTime());
      assert.equal(created.properties.expiresOn?.getTime(), new Date(x509.validTo).getTime());
      assert.equal(created.policy?.subject, "CN=web.example.test, O=Kluis Test");
      assert.deepEqual(created.policy?.subjectAlternativeNames?.dnsNames, ["web.example.test", "www.example.test"]);
      assert.equal(created.policy?.validityInMonths, 6);
      assert.equal(created.policy?.lifetimeActions?.[0]?.action, "AutoRenew");
      assert.ok(x509.verify(x509.publicKey), "self-signed");
      const operation = (await client.getCertificateOperation("Web")).getOperationState().certificateOperation;
      assert.equal(operation?.status, "completed");
      assert.equal(operation?.target, `${server.vaultUrl(vaultName)}/certificates/Web`);

      // the secret is the PFX with the private key of the certificate; the key is the certificate's key, managed
      const secret = await secrets.getSecret("Web");
      assert.equal(secret.properties.contentType, "application/x-pkcs12");
      assert.equal(secret.properties.managed, true);
      assert.equal(secret.properties.certificateKeyId, created.keyId);
      const pfxFile = path.join(tmp, `${vaultName}.pfx`);
      fs.writeFileSync(pfxFile, Buffer.from(secret.value!, "base64"));
      const pem = openssl(["pkcs12", "-in", pfxFile, "-nodes", "-passin", "pass:"], tmp);
      const privateKey = crypto.createPrivateKey(pem);
      assert.ok(crypto.createPublicKey(privateKey).equals(x509.publicKey), "the secret's key is the certificate's");
      const key = await keys.getKey("Web");
      assert.equal(key.properties.managed, true);
      assert.equal(Buffer.from(key.key!.n!).toString("base64url"), (x509.publicKey.export({ format: "jwk" }) as { n: string }).n);
      await assert.rejects(secrets.setSecret("Web", "overwrite"), statusOf(403, "Forbidden"));
      await assert.rejects(keys.beginDeleteKey("Web"), statusOf(403, "Forbidden"));

      // get, versions, policy, update
      const second = await (await client.beginCreateCertificate("Web", policy, poll)).pollUntilDone();
      assert.notEqual(second.properties.version, created.properties.version);
      assert.equal((await client.getCertificate("web")).properties.version, second.properties.version);
      assert.equal((await client.getCertificateVersion("Web", created.properties.version!)).properties.x509Thumbprint?.toString(), created.properties.x509Thumbprint?.toString());
      const versions: string[] = [];
      for await (const p of client.listPropertiesOfCertificateVersions("Web")) versions.push(p.version!);
      assert.deepEqual(versions.sort(), [created.properties.version!, second.properties.version!].sort());
      const gotPolicy = await client.getCertificatePolicy("Web");
      assert.equal(gotPolicy.issuerName, "Self");
      // (this SDK's updateCertificatePolicy drops the reply's body, so the policy is read back)
      await client.updateCertificatePolicy("Web", { ...gotPolicy, validityInMonths: 3 } as CertificatePolicy);
      assert.equal((await client.getCertificatePolicy("Web")).validityInMonths, 3);
      const disabled = await client.updateCertificateProperties("Web", created.properties.version!, { enabled: false, tags: { team: "b" } });
      assert.equal(disabled.properties.enabled, false);
      assert.deepEqual(disabled.properties.tags, { team: "b" });
      await assert.rejects(secrets.getSecret("Web", { version: created.properties.version! }), statusOf(403), "the secret follows the certificate's enabled");

      // issuer Unknown: the CSR, signed by a CA the test makes with openssl, merges
      const pending = await client.beginCreateCertificate("Csr", { issuerName: "Unknown", subject: "CN=csr.example.test" }, poll);
      const state = (await client.getCertificateOperation("Csr")).getOperationState().certificateOperation!;
      assert.equal(state.status, "inProgress");
      assert.ok(pending);
      const dir = fs.mkdtempSync(path.join(tmp, "ca-"));
      fs.writeFileSync(path.join(dir, "req.der"), Buffer.from(state.csr!));
      openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test CA", "-days", "2"], dir);
      openssl(["x509", "-req", "-inform", "DER", "-in", "req.der", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.der", "-outform", "DER", "-days", "1"], dir);
      const caDer = new crypto.X509Certificate(fs.readFileSync(path.join(dir, "ca.pem"))).raw;
      const merged = await client.mergeCertificate("Csr", [fs.readFileSync(path.join(dir, "leaf.der")), caDer]);
      assert.match(new crypto.X509Certificate(Buffer.from(merged.cer!)).issuer, /CN=Test CA/);
      const wrongLeaf = openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null", "-subj", "/CN=other", "-outform", "DER", "-out", "other.der"], dir);
      assert.equal(wrongLeaf, "");
      await client.beginCreateCertificate("Csr2", { issuerName: "Unknown", subject: "CN=csr2" }, poll);
      await assert.rejects(client.mergeCertificate("Csr2", [fs.readFileSync(path.join(dir, "other.der"))]), statusOf(400, "BadParameter"));
      // cancel and delete an operation
      const operationPoller = await client.getCertificateOperation("Csr2");
      await operationPoller.cancelOperation();
      const cancelled = operationPoller.getOperationState().certificateOperation;
      assert.equal(cancelled?.cancellationRequested, true);
      assert.equal(cancelled?.status, "cancelled");
      assert.equal((await client.deleteCertificateOperation("Csr2")).name, "Csr2");
      await assert.rejects(client.getCertificateOperation("Csr2"), statusOf(404));

      // import: a PFX with a password and a PEM bundle, both made by openssl; a wrong password is a 400
      openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "imp.key", "-out", "imp.pem", "-subj", "/CN=imported.example.test", "-days", "30"], dir);
      openssl(["pkcs12", "-export", "-in", "imp.pem", "-inkey", "imp.key", "-out", "imp.pfx", "-passout", "pass:s3cret"], dir);
      const imported = await client.importCertificate("Imported", fs.readFileSync(path.join(dir, "imp.pfx")), { password: "s3cret" });
      assert.equal(Buffer.from(imported.cer!).toString("base64"), new crypto.X509Certificate(fs.readFileSync(path.join(dir, "imp.pem"))).raw.toString("base64"));
      assert.equal(imported.policy?.subject, "CN=imported.example.test");
      await assert.rejects(client.importCertificate("Wrong", fs.readFileSync(path.join(dir, "imp.pfx")), { password: "nope" }), statusOf(400, "BadParameter"));
      const pemBundle = fs.readFileSync(path.join(dir, "imp.key"), "utf8") + fs.readFileSync(path.join(dir, "imp.pem"), "utf8");
      const importedPem = await client.importCertificate("ImportedPem", Buffer.from(pemBundle), { policy: { contentType: "application/x-pem-file", issuerName: "Unknown", subject: "CN=imported.example.test" } });
      assert.equal((await secrets.getSecret("ImportedPem")).properties.contentType, "application/x-pem-file");
      assert.ok(importedPem.properties.version);

      // list
      const names: string[] = [];
      for await (const p of client.listPropertiesOfCertificates()) names.push(p.name!);
      assert.deepEqual(names.sort(), ["Csr", "Imported", "ImportedPem", "Web"].sort());

      // delete / deleted / recover / purge: the key and the secret follow
      const deleted = await (await client.beginDeleteCertificate("Imported", poll)).pollUntilDone();
      assert.equal(deleted.recoveryId, `${server.vaultUrl(vaultName)}/deletedcertificates/Imported`);
      assert.equal((await client.getDeletedCertificate("Imported")).name, "Imported");
      const deletedNames: string[] = [];
      for await (const d of client.listDeletedCertificates()) deletedNames.push(d.name!);
      assert.deepEqual(deletedNames, ["Imported"]);
      await assert.rejects(secrets.getSecret("Imported"), statusOf(404));
      await (await client.beginRecoverDeletedCertificate("Imported", poll)).pollUntilDone();
      assert.equal((await secrets.getSecret("Imported")).properties.managed, true);
      await (await client.beginDeleteCertificate("Imported", poll)).pollUntilDone();
      await client.purgeDeletedCertificate("Imported");
      await assert.rejects(client.getDeletedCertificate("Imported"), statusOf(404));
      await assert.rejects(keys.getDeletedKey("Imported"), statusOf(404));

      // backup / restore
      const backup = await client.backupCertificate("Csr");
      await (await client.beginDeleteCertificate("Csr", poll)).pollUntilDone();
      await client.purgeDeletedCertificate("Csr");
      const restored = await client.restoreCertificateBackup(backup!);
      assert.equal(restored.properties.version, merged.properties.version);
      assert.equal((await keys.getKey("Csr")).properties.version, merged.properties.version);

      // contacts and issuers
      await assert.rejects(client.getContacts(), statusOf(404));
      await client.setContacts([{ email: "pki@example.test", name: "PKI", phone: "555" }]);
      assert.deepEqual((await client.getContacts())?.map((c) => c?.email), ["pki@example.test"]);
      await client.deleteContacts();
      const issuer = await client.createIssuer("Corp", "Kluis", { accountId: "acct", password: "pw", enabled: true });
      assert.equal(issuer.provider, "Kluis");
      const gotIssuer = await client.getIssuer("Corp");
      assert.equal(gotIssuer.accountId, "acct");
      assert.equal(gotIssuer.password, undefined, "an issuer's password is never returned");
      // (this SDK's updateIssuer drops `enabled: false`, so an update of the account is what goes over the wire)
      const updatedIssuer = await client.updateIssuer("Corp", { accountId: "acct2" });
      assert.equal(updatedIssuer.accountId, "acct2");
      assert.equal(updatedIssuer.enabled, true);
      const issuers: string[] = [];
      // (this SDK hands out the list's raw items: id and provider, no name)
      for await (const i of client.listPropertiesOfIssuers()) issuers.push(`${i.id} ${i.provider}`);
      assert.deepEqual(issuers, [`${server.vaultUrl(vaultName)}/certificates/issuers/Corp Kluis`]);
      await client.deleteIssuer("Corp");
      await assert.rejects(client.getIssuer("Corp"), statusOf(404));
    });
  }

  it("the Kluis issuer: verifies against the tenant's issuing CA, and a Node HTTPS server serving it is trusted by a client that trusts only that CA", async () => {
    await createKeyVault(server, management, "rg-certs", "certs-ca", adminOid);
    const client = new CertificateClient(server.vaultUrl("certs-ca"), adminCredential(server), { retryOptions: { maxRetries: 0 } });
    const secrets = new SecretClient(server.vaultUrl("certs-ca"), adminCredential(server), { retryOptions: { maxRetries: 0 } });
    const cert = await (await client.beginCreateCertificate("Tls", { issuerName: "Kluis", subject: "CN=localhost", subjectAlternativeNames: { dnsNames: ["localhost"] }, contentType: "application/x-pem-file", keyType: "EC", keyCurveName: "P-256" }, poll)).pollUntilDone();
    const caPem = await (await fetch(`${server.url}/${server.tenantId}/kluis/issuing-ca.pem`)).text();
    const ca = new crypto.X509Certificate(caPem);
    const leaf = new crypto.X509Certificate(Buffer.from(cert.cer!));
    assert.ok(leaf.verify(ca.publicKey), "issued by the tenant's issuing CA");
    assert.ok(leaf.checkIssued(ca));
    const bundle = (await secrets.getSecret("Tls")).value!;
    const https = await import("node:https");
    const httpsServer = https.createServer({ key: bundle, cert: bundle }, (_req, res) => res.end("hello over Kluis TLS"));
    await new Promise<void>((resolve) => httpsServer.listen(0, "127.0.0.1", resolve));
    try {
      const port = (httpsServer.address() as { port: number }).port;
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.get({ host: "127.0.0.1", servername: "localhost", port, ca: caPem, timeout: 10_000, headers: { host: "localhost" } }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
      });
      assert.equal(body, "hello over Kluis TLS");
      // and a client that does not trust the issuing CA refuses the same server
      await assert.rejects(
        new Promise((resolve, reject) => https.get({ host: "127.0.0.1", servername: "localhost", port, ca: [], timeout: 10_000 }, resolve).on("error", reject)),
        /self-signed|unable to (get|verify)/i,
      );
    } finally {
      httpsServer.close();
    }
  });
});
