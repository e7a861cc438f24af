/**
 * Certificate credentials (private_key_jwt): an application registered with a certificate through the directory API
 * signs in with the official ClientCertificateCredential; forged and replayed assertions are refused.
 */
import "reflect-metadata"; // @peculiar/x509 resolves its providers through tsyringe, which needs this polyfill first.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, createPrivateKey, randomUUID, webcrypto, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import type { RestError } from "@azure/core-rest-pipeline";
import { ClientCertificateCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { SignJWT } from "jose";
import { arm, claims, createVault, secretClient, token } from "../harness/clients.js";
import { REPO, startServer, tempDir, type KluisServer } from "../harness/server.js";

x509.cryptoProvider.set(webcrypto as never);
const run = promisify(execFile);

interface TestCertificate {
  certPem: string;
  keyPem: string;
  /** base64 DER, as Graph's keyCredentials carry it */
  der: string;
  privateKey: KeyObject;
}

async function makeCertificate(commonName: string): Promise<TestCertificate> {
  const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: alg,
    keys,
  });
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
  return { certPem: cert.toString("pem"), keyPem, der: Buffer.from(cert.rawData).toString("base64"), privateKey: createPrivateKey(keyPem) };
}

describe("client certificate credentials against kluis", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let certificate: TestCertificate;
  let appId: string;
  let tokenUrl: string;

  /** A client assertion as msal builds one (RS256 with x5t#S256), signed by `key`, naming `cert`'s thumbprint. */
  const assertion = (cert: TestCertificate, key: KeyObject, claimsOverride: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const thumbprint = createHash("sha256").update(Buffer.from(cert.der, "base64")).digest("base64url");
    return new SignJWT({ aud: tokenUrl, iss: appId, sub: appId, jti: randomUUID(), nbf: now, exp: now + 600, ...claimsOverride })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", "x5t#S256": thumbprint })
      .sign(key);
  };
  const redeem = async (clientAssertion: string, scope = "https://vault.azure.net/.default") => {
    const response = await fetch(tokenUrl, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: appId,
        scope,
        client_assertion: clientAssertion,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    server = await startServer();
    tokenUrl = `${server.url}/${server.tenantId}/oauth2/v2.0/token`;
    certificate = await makeCertificate("kluis-cert-app");
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-cert", "cert-vault", [String(claims(management).oid)]);
    await secretClient(server, "cert-vault").setSecret("db-password", "s3cret");

    const graph = await token(server, "https://graph.microsoft.com");
    const created = await fetch(`${server.url}/v1.0/applications`, {
      method: "POST",
      headers: { authorization: `Bearer ${graph}`, "content-type": "application/json" },
      body: JSON.stringify({ displayName: "cert-app", keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: certificate.der }] }),
    });
    assert.equal(created.status, 201);
    const application = (await created.json()) as { appId: string; keyCredentials: { key: string }[] };
    appId = application.appId;
    assert.deepEqual(application.keyCredentials.map((k) => k.key), [certificate.der]);

    const found = await fetch(`${server.url}/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}`, { headers: { authorization: `Bearer ${graph}` } });
    const principals = ((await found.json()) as { value: { id: string }[] }).value;
    assert.equal(principals.length, 1);
    const vault = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-cert/providers/Microsoft.KeyVault/vaults/cert-vault`;
    const policy = await arm(server, management, "PUT", `${vault}/accessPolicies/add?api-version=2023-07-01`, {
      properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: principals[0]!.id, permissions: { secrets: ["get"] } }] },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
  });
  after(() => server.stop());

  // First on purpose: the server's replay memory is then empty, so forgetting this entry too early would show.
  it("refuses a replay of an assertion just past its exp (still inside the allowed clock skew)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await assertion(certificate, certificate.privateKey, { nbf: now - 120, exp: now - 5 });
    const first = await redeem(signed);
    assert.equal(first.status, 200, `accepted within clock skew: ${JSON.stringify(first.body)}`);
    const second = await redeem(signed);
    assert.equal(second.status, 401, JSON.stringify(second.body));
    assert.equal(second.body.error, "invalid_client");
  });

  it("ClientCertificateCredential signs in and SecretClient reads a secret", async () => {
    const credential = new ClientCertificateCredential(server.tenantId, appId, { certificate: `${certificate.certPem}\n${certificate.keyPem}` }, {
      authorityHost: server.url,
      disableInstanceDiscovery: true,
    });
    const client = new SecretClient(server.vaultUrl("cert-vault"), credential, { retryOptions: { maxRetries: 0 } });
    assert.equal((await client.getSecret("db-password")).value, "s3cret");
    // get only: the policy grants nothing else
    await assert.rejects(client.setSecret("db-password", "x"), (error: RestError) => error.statusCode === 403);
    const issued = await credential.getToken("https://vault.azure.net/.default");
    assert.equal(claims(issued.token).appid ?? claims(issued.token).azp, appId);
  });

  it("Debian's Python CertificateCredential (MSAL Python 1.21: x5t in padded base64, one assertion reused) reads the secret and gets an ARM token", { timeout: 60_000 }, async () => {
    const pem = path.join(tempDir("py-cert"), "app.pem");
    fs.writeFileSync(pem, `${certificate.certPem}\n${certificate.keyPem}`, { mode: 0o600 });
    const args = [server.url, server.tenantId, appId, pem, server.vaultUrl("cert-vault"), "db-password", "false"];
    const { stdout, stderr } = await run("/usr/bin/python3", [path.join(REPO, "test/fixtures/cert_read_secret.py"), ...args], { timeout: 50_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").pop() ?? "null"), { ok: true, value: "s3cret", management: true }, stderr);
  });

  it("accepts a hand-made RS256 assertion, and refuses the very same assertion the second time", async () => {
    const signed = await assertion(certificate, certificate.privateKey);
    const first = await redeem(signed);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(typeof first.body.access_token, "string");
    const second = await redeem(signed);
    assert.equal(second.status, 401, JSON.stringify(second.body));
    assert.equal(second.body.error, "invalid_client");
  });

  it("an assertion buys one token per resource: MSAL Python presents its assertion again for each new scope", async () => {
    const signed = await assertion(certificate, certificate.privateKey);
    assert.equal((await redeem(signed)).status, 200);
    const forArm = await redeem(signed, "https://management.azure.com/.default");
    assert.equal(forArm.status, 200, JSON.stringify(forArm.body));
    for (const scope of ["https://vault.azure.net/.default", "https://vault.azure.net//.default", "https://management.azure.com/.default"]) {
      const again = await redeem(signed, scope);
      assert.equal(again.status, 401, `${scope}: ${JSON.stringify(again.body)}`);
      assert.equal(again.body.error, "invalid_client");
    }
  });

  it("still refuses the replay after a restart: used assertion ids are kept in storage", async () => {
    const signed = await assertion(certificate, certificate.privateKey);
    assert.equal((await redeem(signed)).status, 200);
    await server.restart();
    const replay = await redeem(signed);
    assert.equal(replay.status, 401, JSON.stringify(replay.body));
    assert.equal(replay.body.error, "invalid_client");
  });

  it("refuses a replay of an assertion that carries no jti", async () => {
    const signed = await assertion(certificate, certificate.privateKey, { jti: undefined });
    const first = await redeem(signed);
    const second = await redeem(signed);
    assert.ok(first.status !== 200 || second.status !== 200, "the same assertion must not buy two tokens");
    assert.equal(second.status, 401, JSON.stringify(second.body));
    assert.equal(second.body.error, "invalid_client");
  });

  it("refuses an assertion signed by a different key, with invalid_client", async () => {
    const impostor = await makeCertificate("impostor");
    const forged = await redeem(await assertion(certificate, impostor.privateKey));
    assert.equal(forged.status, 401, JSON.stringify(forged.body));
    assert.equal(forged.body.error, "invalid_client");
    assert.ok(!("access_token" in forged.body));
    const unregistered = await redeem(await assertion(impostor, impostor.privateKey));
    assert.equal(unregistered.status, 401, JSON.stringify(unregistered.body));
    assert.equal(unregistered.body.error, "invalid_client");

    const credential = new ClientCertificateCredential(server.tenantId, appId, { certificate: `${impostor.certPem}\n${impostor.keyPem}` }, {
      authorityHost: server.url,
      disableInstanceDiscovery: true,
    });
    await assert.rejects(credential.getToken("https://vault.azure.net/.default"), /invalid_client|AADSTS700027/);
  });

  it("refuses assertions for the wrong audience or issuer", async () => {
    const wrongAudience = await redeem(await assertion(certificate, certificate.privateKey, { aud: "https://login.microsoftonline.com/common/oauth2/v2.0/token" }));
    assert.equal(wrongAudience.status, 401);
    assert.equal(wrongAudience.body.error, "invalid_client");
    const wrongIssuer = await redeem(await assertion(certificate, certificate.privateKey, { iss: server.admin.appId, sub: server.admin.appId }));
    assert.equal(wrongIssuer.status, 401);
    assert.equal(wrongIssuer.body.error, "invalid_client");
  });

  it("refuses to register a key credential that is not a certificate", async () => {
    const graph = await token(server, "https://graph.microsoft.com");
    const response = await fetch(`${server.url}/v1.0/applications`, {
      method: "POST",
      headers: { authorization: `Bearer ${graph}`, "content-type": "application/json" },
      body: JSON.stringify({ displayName: "bogus", keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: Buffer.from("not a certificate").toString("base64") }] }),
    });
    assert.equal(response.status, 400);
  });
});
