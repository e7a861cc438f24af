/**
 * Key cryptography through @azure/keyvault-keys, black-box against the built server: every CryptographyClient
 * method for every algorithm and every service version the client knows, KeyClient's random bytes, rotation policy
 * and rotate. Cross-checks that a faked server could not pass: vault signatures verify with node:crypto and with the
 * openssl CLI against the returned public JWK, data encrypted locally decrypts in the vault, and a key the test
 * made itself and imported signs so that the test's own public key verifies.
 *
 * The crypto principal has every crypto permission but not keys/get, so the SDK cannot fetch the key and do
 * encrypt/wrap/verify locally: every operation reaches the server.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ClientSecretCredential } from "@azure/identity";
import { CryptographyClient, KeyClient, type JsonWebKey, type KeyVaultKey } from "@azure/keyvault-keys";
import { adminCredential, arm, claims, token } from "../harness/clients.js";
import { createPrincipal, type CreatedPrincipal } from "../harness/probes.js";
import { startServer, tempDir, type KluisServer } from "../harness/server.js";

const VAULT = "crypto-sdk-kv";
const GROUP = "rg-crypto-sdk";
const CRYPTO_PERMISSIONS = ["encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify"];
const ENCRYPTION = ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"] as const;
const RSA_SIGNATURES = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] as const;
const EC_SIGNATURES = [
  { alg: "ES256", crv: "P-256", hash: "sha256" },
  { alg: "ES384", crv: "P-384", hash: "sha384" },
  { alg: "ES512", crv: "P-521", hash: "sha512" },
  { alg: "ES256K", crv: "P-256K", hash: "sha256" },
] as const;

/** The service versions the installed client knows, from its own typings (a new one is not missed). */
function installedServiceVersions(): string[] {
  const typings = fs.readFileSync(fileURLToPath(new URL("models/models.d.ts", import.meta.resolve("@azure/keyvault-keys"))), "utf8");
  const known = /enum KnownVersions \{([^}]+)\}/.exec(typings)?.[1] ?? "";
  const versions = [...known.matchAll(/=\s*"([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(versions.includes("7.5") && versions.length >= 3, `unexpected KnownVersions: ${known}`);
  return versions;
}

const hashOf = (alg: string) => `sha${alg.slice(2)}`;

function digest(alg: string, data: Buffer): Buffer {
  return crypto.createHash(hashOf(alg)).update(data).digest();
}

/** The public key of a returned JWK, as node:crypto reads it (Azure says P-256K where JOSE says secp256k1). */
function publicKeyOf(jwk: JsonWebKey): crypto.KeyObject {
  const b64 = (b?: Uint8Array) => (b ? Buffer.from(b).toString("base64url") : undefined);
  const json = jwk.kty === "RSA" ? { kty: "RSA", n: b64(jwk.n), e: b64(jwk.e) } : { kty: "EC", crv: jwk.crv === "P-256K" ? "secp256k1" : jwk.crv, x: b64(jwk.x), y: b64(jwk.y) };
  return crypto.createPublicKey({ key: json as crypto.JsonWebKey, format: "jwk" });
}

/** node:crypto's own verdict on a Key Vault signature (PSS with salt = hash length, EC as r‖s). */
function nodeVerifies(alg: string, key: crypto.KeyObject, data: Buffer, signature: Uint8Array): boolean {
  const options = alg.startsWith("PS")
    ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
    : alg.startsWith("ES")
      ? { key, dsaEncoding: "ieee-p1363" as const }
      : { key };
  return crypto.verify(alg === "ES256K" ? "sha256" : hashOf(alg), data, options, signature);
}

/** r‖s → the DER SEQUENCE openssl expects. */
function ecdsaDer(signature: Uint8Array): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array) => {
    let b = Buffer.from(bytes);
    while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1);
    if (b[0]! >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe("CryptographyClient and KeyClient crypto, every algorithm and service version", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let admin: KeyClient;
  let cryptoCredential: ClientSecretCredential;
  let rsa: KeyVaultKey;
  const ec: Record<string, KeyVaultKey> = {};

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    const graph = await token(server, "https://graph.microsoft.com");
    const principal: CreatedPrincipal = await createPrincipal(server, graph, "crypto-user");
    const rg = `/subscriptions/${server.subscriptionId}/resourcegroups/${GROUP}`;
    assert.ok((await arm(server, management, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" })).status < 300);
    const entry = (objectId: string, keys: string[]) => ({ tenantId: server.tenantId, objectId, permissions: { keys, secrets: ["all"] } });
    const created = await arm(server, management, "PUT", `${rg}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2023-07-01`, {
      location: "westus",
      properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [entry(String(claims(management).oid), ["all"]), entry(principal.objectId, CRYPTO_PERMISSIONS)] },
    });
    assert.ok(created.status < 300, JSON.stringify(created.body));
    cryptoCredential = new ClientSecretCredential(server.tenantId, principal.appId, principal.password, { authorityHost: server.url, disableInstanceDiscovery: true });
    admin = new KeyClient(server.vaultUrl(VAULT), adminCredential(server), { retryOptions: { maxRetries: 0 } });
    rsa = await admin.createRsaKey("rsa-2048", { keySize: 2048 });
    for (const { crv } of EC_SIGNATURES) ec[crv] = await admin.createEcKey(`ec-${crv.replace(/-/g, "").toLowerCase()}`, { curve: crv });
  });
  after(() => server.stop());

  for (const serviceVersion of installedServiceVersions()) {
    it(`serviceVersion ${serviceVersion}: every method, every algorithm, reaching the vault`, async () => {
      const client = (key: KeyVaultKey) => new CryptographyClient(key.id!, cryptoCredential, { serviceVersion, retryOptions: { maxRetries: 0 } });
      const rsaClient = client(rsa);
      const plaintext = crypto.randomBytes(32);
      for (const algorithm of ENCRYPTION) {
        const encrypted = await rsaClient.encrypt({ algorithm, plaintext });
        assert.equal(encrypted.keyID, rsa.id, algorithm);
        assert.equal(encrypted.result.length, 256, algorithm);
        assert.deepEqual(Buffer.from((await rsaClient.decrypt({ algorithm, ciphertext: encrypted.result })).result), plaintext, algorithm);
        const wrapped = await rsaClient.wrapKey(algorithm, plaintext);
        assert.deepEqual(Buffer.from((await rsaClient.unwrapKey(algorithm, wrapped.result)).result), plaintext, algorithm);
      }
      const publicRsa = publicKeyOf(rsa.key!);
      const data = Buffer.from(`signed through ${serviceVersion}`);
      for (const algorithm of RSA_SIGNATURES) {
        const signed = await rsaClient.sign(algorithm, digest(algorithm, data));
        assert.equal(signed.keyID, rsa.id);
        assert.ok(nodeVerifies(algorithm, publicRsa, data, signed.result), `${algorithm}: node:crypto rejects the vault's signature`);
        assert.equal((await rsaClient.verify(algorithm, digest(algorithm, data), signed.result)).result, true, algorithm);
        assert.equal((await rsaClient.verify(algorithm, digest(algorithm, Buffer.from("other")), signed.result)).result, false, algorithm);
        const signedData = await rsaClient.signData(algorithm, data);
        assert.ok(nodeVerifies(algorithm, publicRsa, data, signedData.result), algorithm);
        assert.equal((await rsaClient.verifyData(algorithm, data, signedData.result)).result, true, algorithm);
        assert.equal((await rsaClient.verifyData(algorithm, Buffer.from("tampered"), signedData.result)).result, false, algorithm);
      }
      for (const { alg, crv, hash } of EC_SIGNATURES) {
        const key = ec[crv]!;
        const ecClient = client(key);
        const hashed = crypto.createHash(hash).update(data).digest();
        const signed = await ecClient.sign(alg, hashed);
        assert.equal(signed.result.length, { "P-256": 64, "P-256K": 64, "P-384": 96, "P-521": 132 }[crv], `${alg}: r‖s of the curve's width`);
        assert.ok(nodeVerifies(alg, publicKeyOf(key.key!), data, signed.result), `${alg}: node:crypto rejects the vault's signature`);
        assert.equal((await ecClient.verify(alg, hashed, signed.result)).result, true, alg);
        const signedData = await ecClient.signData(alg, data);
        assert.equal((await ecClient.verifyData(alg, data, signedData.result)).result, true, alg);
        assert.equal((await ecClient.verifyData(alg, Buffer.from("tampered"), signedData.result)).result, false, alg);
      }
    });
  }

  it("the openssl CLI verifies vault signatures (RS256, PS256, ES256) against the returned public JWK", async () => {
    const dir = tempDir("openssl");
    const data = Buffer.from("verified by openssl");
    fs.writeFileSync(path.join(dir, "data.bin"), data);
    const cases = [
      { alg: "RS256", key: rsa, der: false, extra: [] as string[] },
      { alg: "PS256", key: rsa, der: false, extra: ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] },
      { alg: "ES256", key: ec["P-256"]!, der: true, extra: [] },
    ];
    for (const { alg, key, der, extra } of cases) {
      const signed = await new CryptographyClient(key.id!, cryptoCredential).sign(alg, digest(alg, data));
      fs.writeFileSync(path.join(dir, "pub.pem"), publicKeyOf(key.key!).export({ type: "spki", format: "pem" }));
      fs.writeFileSync(path.join(dir, "sig.bin"), der ? ecdsaDer(signed.result) : signed.result);
      const out = execFileSync("openssl", ["dgst", "-sha256", "-verify", path.join(dir, "pub.pem"), ...extra, "-signature", path.join(dir, "sig.bin"), path.join(dir, "data.bin")], { encoding: "utf8" });
      assert.match(out, /Verified OK/, alg);
      fs.writeFileSync(path.join(dir, "data.bin"), Buffer.from("tampered"));
      assert.throws(() => execFileSync("openssl", ["dgst", "-sha256", "-verify", path.join(dir, "pub.pem"), ...extra, "-signature", path.join(dir, "sig.bin"), path.join(dir, "data.bin")], { stdio: "pipe" }), alg);
      fs.writeFileSync(path.join(dir, "data.bin"), data);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("data encrypted locally with the public JWK decrypts (and unwraps) in the vault", async () => {
    const publicRsa = publicKeyOf(rsa.key!);
    const remote = new CryptographyClient(rsa.id!, cryptoCredential);
    const secret = crypto.randomBytes(32);
    const local = [
      { algorithm: "RSA-OAEP-256", ciphertext: crypto.publicEncrypt({ key: publicRsa, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, secret) },
      { algorithm: "RSA-OAEP", ciphertext: crypto.publicEncrypt({ key: publicRsa, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, secret) },
      { algorithm: "RSA1_5", ciphertext: crypto.publicEncrypt({ key: publicRsa, padding: crypto.constants.RSA_PKCS1_PADDING }, secret) },
    ] as const;
    for (const { algorithm, ciphertext } of local) {
      assert.deepEqual(Buffer.from((await remote.decrypt({ algorithm, ciphertext })).result), secret, algorithm);
      assert.deepEqual(Buffer.from((await remote.unwrapKey(algorithm, ciphertext)).result), secret, algorithm);
    }
    // The administrator may get the key, so this client wraps locally (the SDK's own RSA code); the vault unwraps.
    const wrappedLocally = await new CryptographyClient(rsa.id!, adminCredential(server)).wrapKey("RSA-OAEP", secret);
    assert.deepEqual(Buffer.from((await remote.unwrapKey("RSA-OAEP", wrappedLocally.result)).result), secret);
  });

  it("a key the test made and imported signs so that the test's own public key verifies it", async () => {
    const data = Buffer.from("imported key signature");
    const made = [
      { name: "imported-rsa", pair: crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }), alg: "PS384" },
      { name: "imported-ec", pair: crypto.generateKeyPairSync("ec", { namedCurve: "P-384" }), alg: "ES384" },
    ];
    for (const { name, pair, alg } of made) {
      const jwk = pair.privateKey.export({ format: "jwk" });
      const field = (v?: string) => (v === undefined ? undefined : Buffer.from(v, "base64url"));
      const imported = await admin.importKey(name, {
        kty: jwk.kty as "RSA" | "EC",
        keyOps: ["sign", "verify"],
        ...(jwk.kty === "RSA"
          ? { n: field(jwk.n), e: field(jwk.e), d: field(jwk.d), p: field(jwk.p), q: field(jwk.q), dp: field(jwk.dp), dq: field(jwk.dq), qi: field(jwk.qi) }
          : { crv: "P-384", x: field(jwk.x), y: field(jwk.y), d: field(jwk.d) }),
      });
      assert.equal(imported.key?.d, undefined, "the private part never comes back");
      const signed = await new CryptographyClient(imported.id!, cryptoCredential).signData(alg, data);
      assert.ok(nodeVerifies(alg, pair.publicKey, data, signed.result), `${alg}: the test's own public key rejects the vault's signature`);
    }
  });

  it("KeyClient.getRandomBytes returns the requested number of random bytes", async () => {
    for (const serviceVersion of installedServiceVersions()) {
      const client = new KeyClient(server.vaultUrl(VAULT), adminCredential(server), { serviceVersion, retryOptions: { maxRetries: 0 } });
      const [one, many, again] = [await client.getRandomBytes(1), await client.getRandomBytes(128), await client.getRandomBytes(128)];
      assert.equal(one.length, 1);
      assert.equal(many.length, 128);
      assert.notDeepEqual(Buffer.from(many), Buffer.from(again));
    }
  });

  it("rotation policy: the default, update, read back, and rotateKey applying its expiryTime, on every service version", async () => {
    const name = "rotating";
    const first = await admin.createEcKey(name, { curve: "P-256" });
    const initial = await admin.getKeyRotationPolicy(name);
    const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
    assert.deepEqual(plain(initial.lifetimeActions), [{ action: "Notify", timeBeforeExpiry: "P30D" }]);
    assert.equal(initial.createdOn, undefined);
    const updated = await admin.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P30D" }, { action: "Notify", timeBeforeExpiry: "P7D" }], expiresIn: "P90D" });
    assert.equal(updated.id, `${server.vaultUrl(VAULT)}/keys/${name}/rotationpolicy`);
    assert.deepEqual(plain(updated.lifetimeActions), [{ action: "Rotate", timeAfterCreate: "P30D" }, { action: "Notify", timeBeforeExpiry: "P7D" }]);
    assert.equal(updated.expiresIn, "P90D");
    assert.ok(updated.createdOn instanceof Date && updated.updatedOn instanceof Date);
    const read = await admin.getKeyRotationPolicy(name);
    assert.deepEqual(plain(read), plain(updated));
    const rotated = await admin.rotateKey(name);
    assert.notEqual(rotated.properties.version, first.properties.version);
    assert.equal(rotated.keyType, "EC");
    const expected = Date.now() + 90 * 86_400_000;
    assert.ok(Math.abs(rotated.properties.expiresOn!.getTime() - expected) < 120_000, `expiresOn ${rotated.properties.expiresOn?.toISOString()}`);
    await assert.rejects(admin.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P1D" }] }), (e: { statusCode?: number; code?: string }) => e.statusCode === 400 && e.code === "BadParameter");
    assert.deepEqual(plain(await admin.getKeyRotationPolicy(name)), plain(updated), "a refused update changed the policy");
    for (const serviceVersion of installedServiceVersions()) {
      const client = new KeyClient(server.vaultUrl(VAULT), adminCredential(server), { serviceVersion, retryOptions: { maxRetries: 0 } });
      const days = 40 + installedServiceVersions().indexOf(serviceVersion);
      const set = await client.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: "Rotate", timeBeforeExpiry: `P${days}D` }], expiresIn: "P1Y" });
      assert.deepEqual(plain(set.lifetimeActions), [{ action: "Rotate", timeBeforeExpiry: `P${days}D` }], serviceVersion);
      assert.deepEqual(plain(await client.getKeyRotationPolicy(name)), plain(set), serviceVersion);
      const again = await client.rotateKey(name);
      assert.ok(Math.abs(again.properties.expiresOn!.getTime() - Date.now() - 365 * 86_400_000) < 2 * 86_400_000, `${serviceVersion}: ${again.properties.expiresOn?.toISOString()}`);
    }
  });
});
