import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, it } from "node:test";
import { UsageError } from "../errors.js";
import { rotationPolicyBody } from "./key-crypto.js";
import { privatePemToJwk, publicKeyFile } from "./key-material.js";
import { keyItemView, keyView, rotationPolicyView, type JwkWire } from "./key-view.js";

describe("key views and material", { timeout: 30_000 }, () => {
  it("prints a key as az does: standard base64 JWK fields, every field present, private fields null whatever was sent", () => {
    const wire = { kid: "https://kv.vault.localhost/keys/k/v1", kty: "RSA", key_ops: ["sign"], n: "_-8", e: "AQAB", d: "c2VjcmV0" } as JwkWire;
    const view = keyView({ key: wire, attributes: { enabled: true, created: 1893456000 } });
    const key = view.key as Record<string, unknown>;
    assert.equal(key.n, "/+8=");
    assert.equal(key.d, null);
    assert.deepEqual(key.keyOps, ["sign"]);
    assert.equal((view.attributes as Record<string, unknown>).created, "2030-01-01T00:00:00+00:00");
    assert.deepEqual(Object.keys(view).sort(), ["attributes", "key", "managed", "releasePolicy", "tags"]);
    const deleted = keyItemView({ kid: "https://kv.vault.localhost/keys/k", recoveryId: "https://kv.vault.localhost/deletedkeys/k", deletedDate: 1893456000 });
    assert.equal(deleted.name, "k");
    assert.equal(deleted.scheduledPurgeDate, null);
  });

  it("shows a rotation policy as the SDK model, and takes both that and Key Vault's shape back", () => {
    const rest = { lifetimeActions: [{ trigger: { timeAfterCreate: "P90D" }, action: { type: "rotate" } }], attributes: { expiryTime: "P1Y", created: 1893456000 } };
    const view = rotationPolicyView(rest);
    assert.deepEqual(view.lifetimeActions, [{ action: "Rotate", timeAfterCreate: "P90D", timeBeforeExpiry: null }]);
    assert.equal(view.expiresIn, "P1Y");
    const expected = { lifetimeActions: [{ trigger: { timeAfterCreate: "P90D" }, action: { type: "Rotate" } }], attributes: { expiryTime: "P1Y" } };
    assert.deepEqual(rotationPolicyBody(view), expected);
    assert.deepEqual(rotationPolicyBody({ lifetime_actions: [{ trigger: { time_after_create: "P90D" }, action: { type: "Rotate" } }], expires_in: "P1Y" }), expected);
    assert.throws(() => rotationPolicyBody([]), UsageError);
  });

  it("turns a private PEM into Key Vault's JWK and a public JWK into SPKI, P-256K included", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    const jwk = privatePemToJwk(privateKey.export({ type: "pkcs8", format: "pem" }), undefined);
    assert.equal(jwk.crv, "P-256K");
    assert.ok(jwk.d);
    const der = publicKeyFile({ kty: "EC", crv: "P-256K", x: jwk.x, y: jwk.y }, "DER");
    assert.deepEqual(der, publicKey.export({ type: "spki", format: "der" }));
    assert.throws(() => publicKeyFile({ kty: "oct" }, "PEM"), /Unsupported key type: oct/);
    assert.throws(() => privatePemToJwk("not a pem", undefined), /^CliError: Import failed/);
  });
});
