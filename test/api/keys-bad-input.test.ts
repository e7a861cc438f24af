/**
 * Keys, bad input: unknown key types, curves and sizes, malformed or public-only JWKs, too many tags, bad
 * operations and release policies — each a 4xx with Azure's code and message (never a 5xx), and the vault's keys
 * exactly as they were. Also the per-api-version shape of a key bundle.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { claims, createKeyVault, token } from "../harness/clients.js";
import { assertAzureError, probe, type Probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VAULT = "bad-keys-kv";
const tooManyTags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"]));

describe("keys: bad input changes nothing", { timeout: 180_000 }, () => {
  let server: KluisServer;
  let bearer: string;
  const kv = (method: string, path: string, body?: unknown, apiVersion = "7.6"): Promise<Probe> =>
    probe(method, `${server.vaultUrl(VAULT)}${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, { bearer, body });

  /** Everything observable about the vault's keys (live and deleted, every version of `existing`). */
  async function snapshot(): Promise<unknown> {
    const list = await kv("GET", "/keys");
    const versions = await kv("GET", "/keys/existing/versions");
    const latest = await kv("GET", "/keys/existing");
    const deleted = await kv("GET", "/deletedkeys");
    return [list.body, versions.body, latest.body, deleted.body];
  }

  before(async () => {
    server = await startServer();
    const management = await token(server, "https://management.azure.com");
    await createKeyVault(server, management, "rg-bad-keys", VAULT, String(claims(management).oid));
    bearer = await token(server, `https://vault.localhost:${server.port}`);
    assert.equal((await kv("POST", "/keys/existing/create", { kty: "EC", tags: { keep: "me" } })).status, 200);
  });
  after(() => server.stop());

  const rsaJwk = () => crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const ecJwk = () => crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });

  const cases: { label: string; method: string; path: string; body: () => unknown; status: number; code: string; message: string | RegExp; inner?: string }[] = [
    { label: "unknown kty", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "DSA" }), status: 400, code: "BadParameter", message: "Invalid kty value: DSA", inner: "KeyTypeNotSupported" },
    { label: "oct", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "oct" }), status: 400, code: "BadParameter", message: "Invalid kty value: oct", inner: "KeyTypeNotSupported" },
    { label: "oct-HSM", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "oct-HSM" }), status: 400, code: "BadParameter", message: "Invalid kty value: oct-HSM", inner: "KeyTypeNotSupported" },
    { label: "RSA-HSM", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA-HSM" }), status: 400, code: "BadParameter", message: "Hardware key operation not allowed on standard vault" },
    { label: "EC-HSM", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "EC-HSM", crv: "P-256" }), status: 400, code: "BadParameter", message: "Hardware key operation not allowed on standard vault" },
    { label: "missing kty", method: "POST", path: "/keys/existing/create", body: () => ({}), status: 400, code: "BadParameter", message: "kty" },
    { label: "kty not a string", method: "POST", path: "/keys/existing/create", body: () => ({ kty: 42 }), status: 400, code: "BadParameter", message: "Invalid kty value", inner: "KeyTypeNotSupported" },
    { label: "unknown curve", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "EC", crv: "P-999" }), status: 400, code: "BadParameter", message: "Unsupported curve 'P-999'" },
    { label: "curve not a string", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "EC", crv: ["P-256"] }), status: 400, code: "BadParameter", message: "Unsupported curve" },
    { label: "RSA 1024", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", key_size: 1024 }), status: 400, code: "BadParameter", message: "Unsupported key size (1024)" },
    { label: "RSA 2049", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", key_size: 2049 }), status: 400, code: "BadParameter", message: "Unsupported key size (2049)" },
    { label: "size not a number", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", key_size: "big" }), status: 400, code: "BadParameter", message: "Unsupported key size" },
    { label: "even public exponent", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", public_exponent: 4 }), status: 400, code: "BadParameter", message: "public exponent" },
    { label: "unknown key_ops", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", key_ops: ["sign", "launch"] }), status: 400, code: "BadParameter", message: "Invalid key operation: launch" },
    { label: "encrypt on EC", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "EC", key_ops: ["encrypt"] }), status: 400, code: "BadParameter", message: "encrypt" },
    { label: "16 tags on create", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "EC", tags: tooManyTags }), status: 400, code: "BadParameter", message: "at most 15 tags" },
    { label: "bad nbf", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "EC", attributes: { nbf: "soon" } }), status: 400, code: "BadParameter", message: "nbf" },
    { label: "exportable without release policy", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", attributes: { exportable: true } }), status: 400, code: "BadParameter", message: "Release policy must be provided" },
    { label: "release policy not JSON", method: "POST", path: "/keys/existing/create", body: () => ({ kty: "RSA", release_policy: { data: Buffer.from("nope").toString("base64url") } }), status: 400, code: "BadParameter", message: "release policy" },
    { label: "body not JSON", method: "POST", path: "/keys/existing/create", body: () => "{kty:", status: 400, code: "BadParameter", message: "not valid JSON" },
    { label: "invalid name", method: "POST", path: "/keys/bad_name/create", body: () => ({ kty: "EC" }), status: 400, code: "BadParameter", message: "invalid name" },
    { label: "import without key", method: "PUT", path: "/keys/existing", body: () => ({}), status: 400, code: "BadParameter", message: "key" },
    { label: "import public RSA only", method: "PUT", path: "/keys/existing", body: () => ({ key: { kty: "RSA", n: rsaJwk().n, e: "AQAB" } }), status: 400, code: "BadParameter", message: "private" },
    { label: "import public EC only", method: "PUT", path: "/keys/existing", body: () => { const { d: _d, ...pub } = ecJwk(); return { key: pub }; }, status: 400, code: "BadParameter", message: "private" },
    { label: "import mismatched EC", method: "PUT", path: "/keys/existing", body: () => ({ key: { ...ecJwk(), d: ecJwk().d } }), status: 400, code: "BadParameter", message: "The JSON Web Key is invalid" },
    { label: "import mismatched RSA", method: "PUT", path: "/keys/existing", body: () => ({ key: { ...rsaJwk(), d: rsaJwk().d } }), status: 400, code: "BadParameter", message: "The JSON Web Key is invalid" },
    { label: "import bad base64", method: "PUT", path: "/keys/existing", body: () => ({ key: { ...ecJwk(), x: "!!!" } }), status: 400, code: "BadParameter", message: "The JSON Web Key is invalid" },
    { label: "import unknown kty", method: "PUT", path: "/keys/existing", body: () => ({ key: { kty: "oct", k: "AAAA" } }), status: 400, code: "BadParameter", message: "Invalid kty value: oct", inner: "KeyTypeNotSupported" },
    { label: "import key not an object", method: "PUT", path: "/keys/existing", body: () => ({ key: "jwk" }), status: 400, code: "BadParameter", message: "The JSON Web Key is invalid" },
    { label: "import as HSM", method: "PUT", path: "/keys/existing", body: () => ({ key: ecJwk(), Hsm: true }), status: 400, code: "BadParameter", message: "Hardware key operation not allowed on standard vault" },
    { label: "import 16 tags", method: "PUT", path: "/keys/existing", body: () => ({ key: ecJwk(), tags: tooManyTags }), status: 400, code: "BadParameter", message: "at most 15 tags" },
    { label: "update 16 tags", method: "PATCH", path: "/keys/existing", body: () => ({ tags: tooManyTags }), status: 400, code: "BadParameter", message: "at most 15 tags" },
    { label: "update bad key_ops", method: "PATCH", path: "/keys/existing", body: () => ({ key_ops: "sign" }), status: 400, code: "BadParameter", message: "key_ops" },
    { label: "update EC with wrapKey", method: "PATCH", path: "/keys/existing", body: () => ({ key_ops: ["wrapKey"] }), status: 400, code: "BadParameter", message: "wrapKey" },
    { label: "update enabled not boolean", method: "PATCH", path: "/keys/existing", body: () => ({ attributes: { enabled: "yes" } }), status: 400, code: "BadParameter", message: "enabled" },
    { label: "update unknown version", method: "PATCH", path: "/keys/existing/0123456789abcdef0123456789abcdef", body: () => ({ tags: {} }), status: 404, code: "KeyNotFound", message: "existing/0123456789abcdef0123456789abcdef" },
    { label: "rotate unknown key", method: "POST", path: "/keys/nothing/rotate", body: () => undefined, status: 404, code: "KeyNotFound", message: "A key with (name/id) nothing was not found in this key vault." },
    { label: "restore garbage", method: "POST", path: "/keys/restore", body: () => ({ value: "bm90IGEgYmFja3Vw" }), status: 400, code: "BadParameter", message: "Backup blob contains invalid or corrupt version." },
    { label: "backup unknown key", method: "POST", path: "/keys/nothing/backup", body: () => undefined, status: 404, code: "KeyNotFound", message: "nothing" },
    { label: "recover live key", method: "POST", path: "/deletedkeys/existing/recover", body: () => undefined, status: 404, code: "KeyNotFound", message: "Deleted Key not found: existing" },
    { label: "purge live key", method: "DELETE", path: "/deletedkeys/existing", body: () => undefined, status: 404, code: "KeyNotFound", message: "existing" },
    { label: "bad maxresults", method: "GET", path: "/keys?maxresults=26", body: () => undefined, status: 400, code: "BadParameter", message: "maxresults" },
  ];

  for (const c of cases) {
    it(`${c.label}: ${c.status} ${c.code}, keys unchanged`, { timeout: 30_000 }, async () => {
      const before = await snapshot();
      assertAzureError(await kv(c.method, c.path, c.body()), c.status, c.code, c.message, c.inner);
      assert.deepEqual(await snapshot(), before);
    });
  }

  it("a secret backup does not restore as a key, nor a key backup as a secret", { timeout: 30_000 }, async () => {
    assert.equal((await kv("PUT", "/secrets/plain", { value: "v" })).status, 200);
    const secretBlob = (await kv("POST", "/secrets/plain/backup")).body.value;
    const keyBlob = (await kv("POST", "/keys/existing/backup")).body.value;
    const before = await snapshot();
    assertAzureError(await kv("POST", "/keys/restore", { value: secretBlob }), 400, "BadParameter", "corrupt");
    assertAzureError(await kv("POST", "/secrets/restore", { value: keyBlob }), 400, "BadParameter", "corrupt");
    const tampered = Buffer.from(keyBlob, "base64url");
    tampered[tampered.length - 3]! ^= 1;
    assertAzureError(await kv("POST", "/keys/restore", { value: tampered.toString("base64url") }), 400, "BadParameter", "corrupt");
    assert.deepEqual(await snapshot(), before);
  });

  it("each api-version gets its own shape: exportable and release_policy from 7.3, recoverableDays from 7.1", { timeout: 30_000 }, async () => {
    const policy = { contentType: "application/json; charset=utf-8", data: Buffer.from(JSON.stringify({ version: "1.0.0", anyOf: [] })).toString("base64url"), immutable: false };
    const created = await kv("POST", "/keys/shaped/create", { kty: "EC", release_policy: policy });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(created.body.release_policy, policy);
    const v73 = (await kv("GET", "/keys/shaped", undefined, "7.3")).body;
    assert.equal(v73.attributes.exportable, false);
    assert.deepEqual(v73.release_policy, policy);
    const v72 = (await kv("GET", "/keys/shaped", undefined, "7.2")).body;
    assert.equal(v72.attributes.exportable, undefined);
    assert.equal(v72.release_policy, undefined);
    assert.equal(v72.attributes.recoverableDays, 7);
    const v70 = (await kv("GET", "/keys/shaped", undefined, "7.0")).body;
    assert.equal(v70.attributes.recoverableDays, undefined);
    assert.equal(v70.attributes.recoveryLevel, "CustomizedRecoverable+Purgeable");
    assert.equal(v70.key.kty, "EC");
  });
});
