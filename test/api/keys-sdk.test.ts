/**
 * The keys lifecycle as the official KeyClient sees it: every lifecycle method under every service version the
 * installed @azure/keyvault-keys knows (create RSA/EC of each size and curve, oct and -HSM refused as Azure's
 * standard vault refuses them, import, get, list, update, rotate, delete/recover/purge, backup/restore), and what
 * a reply never carries: a private JWK field.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { RestError } from "@azure/core-rest-pipeline";
import { KeyClient, type JsonWebKey, type KeyVaultKey } from "@azure/keyvault-keys";
import { adminCredential, claims, createKeyVault, token } from "../harness/clients.js";
import { probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const PRIVATE_FIELDS = ["d", "p", "q", "dp", "dq", "qi"];
const RSA_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
const poll = { intervalInMs: 20 };

/** The service versions the installed client knows (its KnownVersions enum), read from its own typings. */
function installedServiceVersions(): string[] {
  const typings = fs.readFileSync(fileURLToPath(new URL("models/models.d.ts", import.meta.resolve("@azure/keyvault-keys"))), "utf8");
  const block = /enum KnownVersions \{([^}]*)\}/.exec(typings)?.[1] ?? "";
  const versions = [...block.matchAll(/=\s*"([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(versions.includes("7.5") && versions.length >= 3, `unexpected KnownVersions: ${block}`);
  return versions;
}

const statusOf = (status: number, code?: string, inner?: string, fragment?: string) => (error: RestError) => {
  assert.equal(error.statusCode, status, error.message);
  const details = error.details as { error?: { code?: string; message?: string; innerError?: { code?: string } } } | undefined;
  if (code !== undefined) assert.equal(details?.error?.code, code, error.message);
  if (inner !== undefined) assert.equal(details?.error?.innerError?.code, inner, error.message);
  if (fragment !== undefined) assert.ok(details?.error?.message?.includes(fragment), error.message);
  return true;
};

function assertPublicOnly(key: KeyVaultKey | JsonWebKey | undefined): void {
  const jwk = (key && "key" in key ? key.key : key) as Record<string, unknown> | undefined;
  assert.ok(jwk, "no key");
  for (const field of PRIVATE_FIELDS) assert.equal(jwk[field], undefined, `private field ${field} in a reply`);
}

const bytes = (value: Uint8Array | undefined) => Buffer.from(value ?? new Uint8Array());

describe("KeyClient, every lifecycle method, every service version", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let management: string;
  let adminOid: string;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
  });
  after(() => server.stop());

  const versions = installedServiceVersions();
  versions.forEach((serviceVersion, index) => {
    it(`serviceVersion ${serviceVersion}`, { timeout: 120_000 }, async () => {
      const vaultName = `keys-${serviceVersion.replace(/[^0-9a-z]/gi, "").toLowerCase()}`;
      await createKeyVault(server, management, "rg-keys", vaultName, adminOid);
      const client = new KeyClient(server.vaultUrl(vaultName), adminCredential(server), { serviceVersion, retryOptions: { maxRetries: 0 } });
      const nbf = new Date(Math.floor(Date.now() / 1000 - 60) * 1000);
      const exp = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);

      // createKey / createRsaKey: default size 2048 and exponent 65537, Azure's default operations
      const rsa = await client.createKey("Signer", "RSA", { tags: { app: "a" }, notBefore: nbf, expiresOn: exp });
      assert.equal(rsa.keyType, "RSA");
      assert.equal(bytes(rsa.key?.n).length, 256);
      assert.equal(bytes(rsa.key?.e).toString("hex"), "010001");
      assert.deepEqual(rsa.keyOperations, RSA_OPS);
      assert.equal(rsa.id, `${server.vaultUrl(vaultName)}/keys/Signer/${rsa.properties.version}`);
      assert.equal(rsa.properties.notBefore?.getTime(), nbf.getTime());
      assert.equal(rsa.properties.expiresOn?.getTime(), exp.getTime());
      assert.equal(rsa.properties.recoveryLevel, "CustomizedRecoverable+Purgeable");
      assert.equal(rsa.properties.recoverableDays, 7);
      assert.equal(rsa.properties.exportable, false);
      assert.deepEqual(rsa.properties.tags, { app: "a" });
      assertPublicOnly(rsa);
      // Each version tries one other RSA size, so that all are covered without generating 4096-bit keys four times.
      const size = [3072, 4096, 2048][index % 3]!;
      const sized = await client.createRsaKey("Sized", { keySize: size, keyOps: ["sign", "verify"] });
      assert.equal(bytes(sized.key?.n).length, size / 8);
      assert.deepEqual(sized.keyOperations, ["sign", "verify"]);

      // createEcKey: every curve, default P-256, Azure's default operations for EC
      const defaultEc = await client.createEcKey("Ec");
      assert.equal(defaultEc.key?.crv, "P-256");
      assert.deepEqual(defaultEc.keyOperations, ["sign", "verify"]);
      for (const [curve, width] of [["P-256", 32], ["P-384", 48], ["P-521", 66], ["P-256K", 32]] as const) {
        const ec = await client.createEcKey(`ec-${curve}`, { curve });
        assert.equal(ec.keyType, "EC");
        assert.equal(ec.key?.crv, curve);
        assert.equal(bytes(ec.key?.x).length, width);
        assert.equal(bytes(ec.key?.y).length, width);
        assertPublicOnly(ec);
      }

      // createOctKey and hardware keys: what Azure's standard vault answers
      await assert.rejects(client.createOctKey("Oct"), statusOf(400, "BadParameter", "KeyTypeNotSupported", "Invalid kty value: oct"));
      await assert.rejects(client.createOctKey("Oct", { hsm: true }), statusOf(400, "BadParameter", "KeyTypeNotSupported", "Invalid kty value: oct-HSM"));
      await assert.rejects(client.createRsaKey("Hsm", { hsm: true }), statusOf(400, "BadParameter", undefined, "Hardware key operation not allowed on standard vault"));
      await assert.rejects(client.createEcKey("Hsm", { hsm: true }), statusOf(400, "BadParameter", undefined, "Hardware key operation not allowed on standard vault"));
      await assert.rejects(client.getKey("Oct"), statusOf(404, "KeyNotFound"));
      await assert.rejects(client.getKey("Hsm"), statusOf(404, "KeyNotFound"));

      // importKey: the key the test made is the key the vault holds
      const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
      const local = privateKey.export({ format: "jwk" });
      const imported = await client.importKey("Imported", { kty: "EC", crv: "P-384", x: Buffer.from(local.x!, "base64url"), y: Buffer.from(local.y!, "base64url"), d: Buffer.from(local.d!, "base64url") }, { tags: { origin: "test" } });
      assert.equal(bytes(imported.key?.x).toString("base64url"), local.x);
      assert.equal(bytes(imported.key?.y).toString("base64url"), local.y);
      assert.deepEqual(imported.keyOperations, ["sign", "verify"]);
      assertPublicOnly(imported);

      // getKey: latest, by version, any case; a disabled key's public part stays readable, as in Azure
      const rsa2 = await client.createKey("Signer", "RSA");
      assert.equal((await client.getKey("signer")).properties.version, rsa2.properties.version);
      const first = await client.getKey("SIGNER", { version: rsa.properties.version! });
      assert.deepEqual(bytes(first.key?.n), bytes(rsa.key?.n));
      assertPublicOnly(first);

      // updateKeyProperties: a given version, then the latest
      const updated = await client.updateKeyProperties("Signer", rsa.properties.version!, { enabled: false, tags: { app: "b" }, keyOps: ["verify"] });
      assert.equal(updated.properties.enabled, false);
      assert.deepEqual(updated.properties.tags, { app: "b" });
      assert.deepEqual(updated.keyOperations, ["verify"]);
      assert.ok(updated.properties.updatedOn!.getTime() >= rsa.properties.updatedOn!.getTime());
      assert.equal((await client.getKey("Signer", { version: rsa.properties.version! })).properties.enabled, false);
      const latestUpdated = await client.updateKeyProperties("Signer", { expiresOn: exp });
      assert.equal(latestUpdated.properties.version, rsa2.properties.version);
      assert.equal(latestUpdated.properties.expiresOn?.getTime(), exp.getTime());

      // listPropertiesOfKeys / listPropertiesOfKeyVersions, by page
      const names: string[] = [];
      for await (const page of client.listPropertiesOfKeys().byPage({ maxPageSize: 2 })) {
        assert.ok(page.length <= 2);
        names.push(...page.map((p) => p.name));
      }
      assert.deepEqual(names.sort(), ["Ec", "ec-P-256", "ec-P-256K", "ec-P-384", "ec-P-521", "Imported", "Signer", "Sized"].sort());
      const listedVersions: string[] = [];
      for await (const page of client.listPropertiesOfKeyVersions("signer").byPage({ maxPageSize: 1 })) listedVersions.push(...page.map((p) => p.version!));
      assert.deepEqual(listedVersions, [rsa.properties.version, rsa2.properties.version]);

      // rotateKey: a new version of the same type, size, operations and tags
      const rotated = await client.rotateKey("Sized");
      assert.notEqual(rotated.properties.version, sized.properties.version);
      assert.equal(bytes(rotated.key?.n).length, size / 8);
      assert.notDeepEqual(bytes(rotated.key?.n), bytes(sized.key?.n));
      assert.deepEqual(rotated.keyOperations, ["sign", "verify"]);
      const rotatedEc = await client.rotateKey("ec-P-521");
      assert.equal(rotatedEc.key?.crv, "P-521");

      // getCryptographyClient: bound to the key's id
      const cryptoClient = client.getCryptographyClient("Signer", { keyVersion: rsa2.properties.version! });
      assert.equal(cryptoClient.keyID, rsa2.id);

      // backupKey, then the delete / recover / purge cycle
      const backup = await client.backupKey("Signer");
      assert.ok(backup instanceof Uint8Array && backup.length > 0);
      assert.ok(!Buffer.from(backup).toString("latin1").includes(bytes(rsa.key?.n).toString("base64url").slice(0, 40)), "a backup is sealed");
      const deleted = await (await client.beginDeleteKey("Signer", poll)).pollUntilDone();
      assert.equal(deleted.name, "Signer");
      assert.equal(deleted.properties.recoveryId, `${server.vaultUrl(vaultName)}/deletedkeys/Signer`);
      assert.ok(deleted.properties.deletedOn instanceof Date && deleted.properties.scheduledPurgeDate instanceof Date);
      assertPublicOnly(deleted.key);
      await assert.rejects(client.getKey("Signer"), statusOf(404, "KeyNotFound"));
      await assert.rejects(client.createKey("Signer", "RSA"), statusOf(409, "Conflict", "ObjectIsDeletedButRecoverable"));
      assert.equal((await client.getDeletedKey("signer")).properties.version, rsa2.properties.version);
      const deletedNames: string[] = [];
      for await (const page of client.listDeletedKeys().byPage({ maxPageSize: 1 })) deletedNames.push(...page.map((d) => d.name));
      assert.deepEqual(deletedNames, ["Signer"]);
      const recovered = await (await client.beginRecoverDeletedKey("Signer", poll)).pollUntilDone();
      assert.equal(recovered.properties.version, rsa2.properties.version);
      assert.equal((await client.getKey("Signer")).properties.version, rsa2.properties.version);
      await (await client.beginDeleteKey("Signer", poll)).pollUntilDone();
      await client.purgeDeletedKey("Signer");
      await assert.rejects(client.getDeletedKey("Signer"), statusOf(404, "KeyNotFound"));

      // restoreKeyBackup: every version comes back with its id, material, timestamps and attributes
      const restored = await client.restoreKeyBackup(backup);
      assert.equal(restored.name, "Signer");
      assert.equal(restored.properties.version, rsa2.properties.version);
      assert.deepEqual(bytes(restored.key?.n), bytes(rsa2.key?.n));
      assert.equal(restored.properties.createdOn?.getTime(), rsa2.properties.createdOn?.getTime());
      const old = await client.getKey("Signer", { version: rsa.properties.version! });
      assert.equal(old.properties.enabled, false);
      assert.deepEqual(old.keyOperations, ["verify"]);
      assert.deepEqual(bytes(old.key?.n), bytes(rsa.key?.n));
      await assert.rejects(client.restoreKeyBackup(backup), statusOf(409, "Conflict"));
    });
  });
});

describe("key replies never carry private fields", { timeout: 120_000 }, () => {
  let server: KluisServer;

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    await createKeyVault(server, management, "rg-private", "private-kv", String(claims(management).oid));
  });
  after(() => server.stop());

  it("create, import, get, list, update, rotate, delete, recover, restore: public JWK only", { timeout: 60_000 }, async () => {
    const bearer = await token(server, `https://vault.localhost:${server.port}`);
    const kv = (method: string, path: string, body?: unknown) => probe(method, `${server.vaultUrl("private-kv")}${path}${path.includes("?") ? "&" : "?"}api-version=7.6`, { bearer, body });
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const replies = [
      await kv("POST", "/keys/raw-rsa/create", { kty: "RSA" }),
      await kv("POST", "/keys/raw-ec/create", { kty: "EC", crv: "P-256K" }),
      await kv("PUT", "/keys/raw-imported", { key: privateKey.export({ format: "jwk" }) }),
      await kv("GET", "/keys/raw-rsa"),
      await kv("GET", "/keys/raw-imported"),
      await kv("PATCH", "/keys/raw-rsa", { tags: { a: "b" } }),
      await kv("POST", "/keys/raw-ec/rotate"),
      await kv("GET", "/keys"),
      await kv("GET", "/keys/raw-rsa/versions"),
    ];
    const backup = await kv("POST", "/keys/raw-imported/backup");
    replies.push(backup, await kv("DELETE", "/keys/raw-imported"), await kv("GET", "/deletedkeys/raw-imported"), await kv("GET", "/deletedkeys"));
    replies.push(await kv("POST", "/deletedkeys/raw-imported/recover"));
    await kv("DELETE", "/keys/raw-imported");
    await kv("DELETE", "/deletedkeys/raw-imported");
    replies.push(await kv("POST", "/keys/restore", { value: backup.body.value }));
    const d = String(privateKey.export({ format: "jwk" }).d);
    for (const reply of replies) {
      assert.ok(reply.status === 200, reply.text);
      for (const field of PRIVATE_FIELDS) assert.ok(!reply.text.includes(`"${field}":`), `private field ${field} in ${reply.text}`);
      assert.ok(!reply.text.includes(d.slice(0, 32)), "the private exponent appears in a reply");
    }
    const imported = replies[2]!.body;
    assert.deepEqual(Object.keys(imported.key), ["kid", "kty", "key_ops", "n", "e"]);
    assert.deepEqual(Object.keys(imported.attributes), ["enabled", "created", "updated", "recoveryLevel", "recoverableDays", "exportable"]);
    assert.equal(imported.key.n, privateKey.export({ format: "jwk" }).n);
  });
});
