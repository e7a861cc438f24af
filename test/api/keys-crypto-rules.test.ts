/**
 * Key cryptography's rules on raw requests: bad input answers Azure's 400/403 (never a 5xx) and leaves the key as
 * it was; key_ops, enabled and the nbf/exp window decide which operations a version allows (expired and not yet
 * valid keys still decrypt, unwrap and verify); random bytes outside 1–128; and automatic rotation with the
 * rotation job's clock moved eight days ahead (KLUIS_INTERNAL_CLOCK_OFFSET_S).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { claims, putVault, token } from "../harness/clients.js";
import { assertAzureError, probe, type Probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const GROUP = "rg-crypto-rules";
const DAY = 86_400;
const b64 = (bytes: Buffer) => bytes.toString("base64url");
const sha = (bits: number, text = "data") => crypto.createHash(`sha${bits}`).update(text).digest();

/** A vault the administrator has every key permission on, and raw calls into it. */
async function keyVault(server: KluisServer, vault: string) {
  const management = await token(server, "https://management.azure.com");
  await putVault(server, management, GROUP, vault, {
    accessPolicies: [{ tenantId: server.tenantId, objectId: String(claims(management).oid), permissions: { keys: ["all"] } }],
  });
  const bearer = await token(server, `https://vault.localhost:${server.port}`);
  const call = (method: string, path: string, body?: unknown): Promise<Probe> => probe(method, `${server.vaultUrl(vault)}${path}?api-version=7.6`, { bearer, body });
  const ok = async (method: string, path: string, body?: unknown): Promise<Probe> => {
    const reply = await call(method, path, body);
    assert.ok(reply.status < 300, `${method} ${path}: ${reply.status} ${reply.text}`);
    return reply;
  };
  const create = async (name: string, body: Record<string, unknown>) => (await ok("POST", `/keys/${name}/create`, body)).body;
  return { call, ok, create };
}

describe("key cryptography rules", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let kv: Awaited<ReturnType<typeof keyVault>>;

  before(async () => {
    server = await startServer();
    kv = await keyVault(server, "crypto-rules-kv");
  });
  after(() => server.stop());

  it("bad input: 400 BadParameter with Azure's messages, never a 5xx, and the key unchanged", async () => {
    await kv.create("rsa", { kty: "RSA", key_size: 2048 });
    await kv.create("ec", { kty: "EC", crv: "P-256" });
    const before = (await kv.ok("GET", "/keys/rsa")).body;
    const cases: [string, unknown, string | RegExp][] = [
      ["/keys/rsa/sign", { alg: "RS256", value: b64(sha(384)) }, "Invalid length of 'value': 48 bytes. RS256 requires 32 bytes"],
      ["/keys/ec/sign", { alg: "ES256", value: b64(sha(512)) }, "ES256 requires 32 bytes"],
      ["/keys/rsa/sign", { alg: "ES256", value: b64(sha(256)) }, "Key and signing algorithm are incompatible"],
      ["/keys/ec/sign", { alg: "PS256", value: b64(sha(256)) }, "can only be used with key type 'RSA'"],
      ["/keys/ec/sign", { alg: "ES384", value: b64(sha(384)) }, "can only be used with curve 'P-384'"],
      ["/keys/rsa/encrypt", { alg: "A256GCM", value: b64(Buffer.from("x")) }, "Invalid algorithm 'A256GCM'"],
      ["/keys/rsa/sign", { alg: "HS256", value: b64(sha(256)) }, "Invalid algorithm 'HS256'"],
      ["/keys/rsa/sign", { value: b64(sha(256)) }, "'alg' is required"],
      ["/keys/rsa/sign", { alg: "RS256" }, "'value' is required"],
      ["/keys/rsa/sign", { alg: "RS256", value: 42 }, "'value' is required"],
      ["/keys/rsa/sign", { alg: "RS256", value: "not base64!" }, "not valid base64url"],
      ["/keys/rsa/verify", { alg: "RS256", value: b64(Buffer.alloc(256)) }, "'digest' is required"],
      ["/keys/rsa/encrypt", { alg: "RSA-OAEP", value: b64(Buffer.alloc(300)) }, "Invalid length of 'value': 300 bytes"],
      ["/keys/rsa/decrypt", { alg: "RSA-OAEP", value: b64(crypto.randomBytes(256)) }, "The decryption operation failed"],
      ["/keys/rsa/unwrapkey", { alg: "RSA1_5", value: b64(crypto.randomBytes(200)) }, "The decryption operation failed"],
      ["/keys/rsa/sign", "not json", "not valid JSON"],
      ["/keys/rsa/sign", [1, 2], "must be a JSON object"],
    ];
    for (const [path, body, message] of cases) assertAzureError(await kv.call("POST", path, body), 400, "BadParameter", message);
    // An EC key's operations are sign and verify (Azure's default key_ops for EC): encrypt is refused before its alg.
    assertAzureError(await kv.call("POST", "/keys/ec/encrypt", { alg: "RSA-OAEP", value: b64(Buffer.from("x")) }), 403, "Forbidden", "Operation encrypt is not permitted", "KeyOperationForbidden");
    // A signature of the wrong length or over another digest is not an error: verify says false.
    assert.deepEqual((await kv.ok("POST", "/keys/rsa/verify", { alg: "RS256", digest: b64(sha(256)), value: b64(Buffer.alloc(10)) })).body, { value: false });
    assert.deepEqual((await kv.ok("POST", "/keys/ec/verify", { alg: "ES256", digest: b64(sha(256)), value: b64(Buffer.alloc(64)) })).body, { value: false });
    assert.deepEqual((await kv.ok("GET", "/keys/rsa")).body, before, "bad input changed the key");
    assertAzureError(await kv.call("POST", "/keys/absent/sign", { alg: "RS256", value: b64(sha(256)) }), 404, "KeyNotFound", "absent");
    const version = String(before.key.kid).split("/").pop();
    assertAzureError(await kv.call("POST", `/keys/rsa/${"0".repeat(32)}/sign`, { alg: "RS256", value: b64(sha(256)) }), 404, "KeyNotFound", "rsa");
    const signed = await kv.ok("POST", `/keys/rsa/${version}/sign`, { alg: "RS256", value: b64(sha(256)) });
    assert.equal(signed.body.kid, before.key.kid);
    // An empty version segment (what a client sends for a version-less key id) means the latest version.
    assert.equal((await kv.ok("POST", "/keys/rsa//sign", { alg: "RS256", value: b64(sha(256)) })).body.kid, before.key.kid);
  });

  it("key_ops: an operation outside them is 403 KeyOperationForbidden; updating key_ops allows it", async () => {
    const key = await kv.create("sign-only", { kty: "RSA", key_ops: ["sign", "verify"] });
    const plaintext = { alg: "RSA-OAEP", value: b64(Buffer.from("secret")) };
    for (const op of ["encrypt", "wrapkey"]) {
      assertAzureError(await kv.call("POST", `/keys/sign-only/${op}`, plaintext), 403, "Forbidden", /Operation (encrypt|wrapKey) is not permitted on this key\./, "KeyOperationForbidden");
    }
    assertAzureError(await kv.call("POST", "/keys/sign-only/decrypt", { alg: "RSA-OAEP", value: b64(Buffer.alloc(256)) }), 403, "Forbidden", "Operation decrypt is not permitted", "KeyOperationForbidden");
    assert.deepEqual((await kv.ok("GET", "/keys/sign-only")).body, key, "a refused operation changed the key");
    await kv.ok("PATCH", "/keys/sign-only", { key_ops: ["sign", "verify", "encrypt", "decrypt"] });
    const encrypted = await kv.ok("POST", "/keys/sign-only/encrypt", plaintext);
    assert.equal(Buffer.from((await kv.ok("POST", "/keys/sign-only/decrypt", { alg: "RSA-OAEP", value: encrypted.body.value })).body.value, "base64url").toString(), "secret");
  });

  it("a disabled key refuses every operation with 403 KeyDisabled, and works again once enabled", async () => {
    await kv.create("disabled", { kty: "EC", crv: "P-256" });
    const signed = (await kv.ok("POST", "/keys/disabled/sign", { alg: "ES256", value: b64(sha(256)) })).body.value;
    const disabled = (await kv.ok("PATCH", "/keys/disabled", { attributes: { enabled: false } })).body;
    for (const [op, body] of [
      ["sign", { alg: "ES256", value: b64(sha(256)) }],
      ["verify", { alg: "ES256", digest: b64(sha(256)), value: signed }],
    ] as const) {
      assertAzureError(await kv.call("POST", `/keys/disabled/${op}`, body), 403, "Forbidden", `Operation ${op} is not allowed on a disabled key.`, "KeyDisabled");
    }
    assert.deepEqual((await kv.ok("GET", "/keys/disabled")).body, disabled, "a refused operation changed the key");
    await kv.ok("PATCH", "/keys/disabled", { attributes: { enabled: true } });
    assert.deepEqual((await kv.ok("POST", "/keys/disabled/verify", { alg: "ES256", digest: b64(sha(256)), value: signed })).body, { value: true });
  });

  it("expired and not-yet-valid keys refuse encrypt, wrapKey and sign (403) but still decrypt, unwrap and verify", async () => {
    const now = Math.floor(Date.now() / 1000);
    await kv.create("window", { kty: "RSA" });
    const secret = b64(Buffer.from("old data"));
    const encrypted = (await kv.ok("POST", "/keys/window/encrypt", { alg: "RSA-OAEP-256", value: secret })).body.value;
    const wrapped = (await kv.ok("POST", "/keys/window/wrapkey", { alg: "RSA-OAEP", value: secret })).body.value;
    const signature = (await kv.ok("POST", "/keys/window/sign", { alg: "PS256", value: b64(sha(256)) })).body.value;
    for (const [attributes, inner, phrase] of [
      [{ exp: now - 60 }, "KeyExpired", "an expired key"],
      [{ exp: null, nbf: now + DAY }, "KeyNotYetValid", "a not yet valid key"],
    ] as const) {
      const state = (await kv.ok("PATCH", "/keys/window", { attributes })).body;
      for (const [op, name, body] of [
        ["encrypt", "encrypt", { alg: "RSA-OAEP-256", value: secret }],
        ["wrapkey", "wrapKey", { alg: "RSA-OAEP", value: secret }],
        ["sign", "sign", { alg: "PS256", value: b64(sha(256)) }],
      ] as const) {
        assertAzureError(await kv.call("POST", `/keys/window/${op}`, body), 403, "Forbidden", `Operation ${name} is not allowed on ${phrase}.`, inner);
      }
      assert.equal((await kv.ok("POST", "/keys/window/decrypt", { alg: "RSA-OAEP-256", value: encrypted })).body.value, secret, inner);
      assert.equal((await kv.ok("POST", "/keys/window/unwrapkey", { alg: "RSA-OAEP", value: wrapped })).body.value, secret, inner);
      assert.deepEqual((await kv.ok("POST", "/keys/window/verify", { alg: "PS256", digest: b64(sha(256)), value: signature })).body, { value: true }, inner);
      assert.deepEqual((await kv.ok("GET", "/keys/window")).body, state, "a refused operation changed the key");
    }
  });

  it("random bytes: 1 to 128, anything else 400 BadParameter", async () => {
    assert.equal(Buffer.from((await kv.ok("POST", "/rng", { count: 17 })).body.value, "base64url").length, 17);
    for (const count of [0, 129, -1, 1.5, "8", null]) {
      assertAzureError(await kv.call("POST", "/rng", { count }), 400, "BadParameter", "between 1 and 128");
    }
    assertAzureError(await kv.call("POST", "/rng", {}), 400, "BadParameter", "'count'");
  });

  it("rotation policy: Azure's validation, 404 for a key that does not exist, a refused policy changes nothing", async () => {
    await kv.create("policy-rules", { kty: "EC" });
    const bad: [unknown, string][] = [
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: "P6D" }, action: { type: "Rotate" } }] }, "at least 7 days"],
      [{ lifetimeActions: [{ trigger: { timeBeforeExpiry: "P30D" }, action: { type: "Rotate" } }] }, "'expiryTime'"],
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: "P30D" }, action: { type: "Notify" } }], attributes: { expiryTime: "P90D" } }, "'timeBeforeExpiry'"],
      [{ attributes: { expiryTime: "P7D" } }, "at least 28 days"],
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: "ninety days" }, action: { type: "Rotate" } }] }, "ISO 8601"],
    ];
    for (const [body, message] of bad) assertAzureError(await kv.call("PUT", "/keys/policy-rules/rotationpolicy", body), 400, "BadParameter", message);
    assert.deepEqual((await kv.ok("GET", "/keys/policy-rules/rotationpolicy")).body.attributes, {}, "a refused policy was stored");
    assertAzureError(await kv.call("GET", "/keys/absent/rotationpolicy"), 404, "KeyNotFound", "absent");
    assertAzureError(await kv.call("PUT", "/keys/absent/rotationpolicy", { lifetimeActions: [] }), 404, "KeyNotFound", "absent");
  });
});

describe("automatic rotation with the rotation clock eight days ahead; no prepared-key cache", { timeout: 120_000 }, () => {
  let server: KluisServer;

  before(async () => {
    server = await startServer({ env: { KLUIS_INTERNAL_CLOCK_OFFSET_S: String(8 * DAY), KLUIS_INTERNAL_ROTATION_CHECK_MS: "200", KLUIS_KEY_CACHE_ENTRIES: "0" } });
  });
  after(() => server.stop());

  it("with the prepared-key cache off (KLUIS_KEY_CACHE_ENTRIES=0) every operation opens the key and still works", async () => {
    const kv = await keyVault(server, "no-cache-kv");
    await kv.create("plain", { kty: "RSA", key_ops: ["encrypt", "decrypt", "sign", "verify"] });
    for (let i = 0; i < 3; i++) {
      const encrypted = (await kv.ok("POST", "/keys/plain/encrypt", { alg: "RSA-OAEP", value: b64(Buffer.from(`m${i}`)) })).body.value;
      assert.equal(Buffer.from((await kv.ok("POST", "/keys/plain/decrypt", { alg: "RSA-OAEP", value: encrypted })).body.value, "base64url").toString(), `m${i}`);
      const signature = (await kv.ok("POST", "/keys/plain/sign", { alg: "RS512", value: b64(sha(512)) })).body.value;
      assert.deepEqual((await kv.ok("POST", "/keys/plain/verify", { alg: "RS512", digest: b64(sha(512)), value: signature })).body, { value: true });
    }
    await kv.ok("DELETE", "/keys/plain");
    assertAzureError(await kv.call("POST", "/keys/plain/sign", { alg: "RS512", value: b64(sha(512)) }), 404, "KeyNotFound", "plain");
  });

  it("a key whose policy says Rotate after 7 days gets exactly one new version, expiring per expiryTime; Notify-only keys do not", async () => {
    const kv = await keyVault(server, "auto-rotation-kv");
    const first = await kv.create("auto", { kty: "RSA", key_ops: ["sign", "verify"], tags: { team: "a" } });
    await kv.create("notify-only", { kty: "EC" });
    await kv.ok("PUT", "/keys/notify-only/rotationpolicy", { lifetimeActions: [{ trigger: { timeBeforeExpiry: "P30D" }, action: { type: "Notify" } }], attributes: { expiryTime: "P90D" } });
    const setAt = Math.floor(Date.now() / 1000);
    await kv.ok("PUT", "/keys/auto/rotationpolicy", { lifetimeActions: [{ trigger: { timeAfterCreate: "P7D" }, action: { type: "Rotate" } }], attributes: { expiryTime: "P28D" } });
    const deadline = Date.now() + 10_000;
    let versions: { kid: string }[] = [];
    while (Date.now() < deadline) {
      versions = (await kv.ok("GET", "/keys/auto/versions")).body.value;
      if (versions.length > 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(versions.length, 2, "no automatic rotation within 10 s");
    await new Promise((r) => setTimeout(r, 1500)); // several more ticks: the next rotation is 7 (job) days away
    assert.equal((await kv.ok("GET", "/keys/auto/versions")).body.value.length, 2, "rotated more than once");
    const latest = (await kv.ok("GET", "/keys/auto")).body;
    assert.notEqual(latest.key.kid, first.key.kid);
    assert.deepEqual(latest.key.key_ops, ["sign", "verify"]);
    assert.deepEqual(latest.tags, { team: "a" });
    // expiryTime P28D from the rotation clock's now (real time + 8 days).
    assert.ok(Math.abs(latest.attributes.exp - (setAt + 36 * DAY)) < 120, `exp ${latest.attributes.exp}, expected about ${setAt + 36 * DAY}`);
    assert.equal((await kv.ok("GET", "/keys/notify-only/versions")).body.value.length, 1, "Notify rotated a key");
  });
});
