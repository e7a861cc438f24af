import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FILE_ENCODINGS, decodeToFileContent, encodeFileContent, isoTime, secretItemView, secretView } from "./secret-view.js";

describe("secret views", { timeout: 30_000 }, () => {
  it("formats Key Vault's unix seconds as Python's isoformat", () => {
    assert.equal(isoTime(1893456000), "2030-01-01T00:00:00+00:00");
    assert.equal(isoTime(1893456000.25), "2030-01-01T00:00:00.250000+00:00");
    assert.equal(isoTime(undefined), null);
  });

  it("prints a secret as az does: name split out, nulls for absent fields, value kept", () => {
    const view = secretView({
      id: "https://kv.vault.localhost:8443/secrets/AppSecret/abc",
      value: "v",
      attributes: { enabled: true, created: 1893456000, updated: 1893456000, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
    });
    assert.deepEqual(view, {
      attributes: {
        created: "2030-01-01T00:00:00+00:00",
        enabled: true,
        expires: null,
        notBefore: null,
        recoverableDays: 90,
        recoveryLevel: "Recoverable+Purgeable",
        updated: "2030-01-01T00:00:00+00:00",
      },
      contentType: null,
      id: "https://kv.vault.localhost:8443/secrets/AppSecret/abc",
      kid: null,
      managed: null,
      name: "AppSecret",
      tags: null,
      value: "v",
    });
  });

  it("adds the deletion fields to deleted items", () => {
    const view = secretItemView({ id: "https://kv/secrets/a", recoveryId: "https://kv/deletedsecrets/a", deletedDate: 0, scheduledPurgeDate: 86400 });
    assert.equal(view.recoveryId, "https://kv/deletedsecrets/a");
    assert.equal(view.scheduledPurgeDate, "1970-01-02T00:00:00+00:00");
    assert.equal("value" in view, false);
  });
});

describe("file encodings", { timeout: 30_000 }, () => {
  it("round-trips bytes through every encoding that can carry them", () => {
    const text = Buffer.from("héllo wörld\n", "utf8");
    for (const encoding of FILE_ENCODINGS) {
      if (encoding === "ascii") continue;
      assert.deepEqual(decodeToFileContent(encodeFileContent(text, encoding), encoding), text, encoding);
    }
    const binary = Buffer.from([0, 1, 0xfe, 0xff]);
    assert.equal(encodeFileContent(binary, "base64"), "AAH+/w==");
    assert.equal(encodeFileContent(binary, "hex"), "0001feff");
    assert.deepEqual(decodeToFileContent("0001feff", "hex"), binary);
  });

  it("refuses non-ASCII bytes for --encoding ascii", () => {
    assert.throws(() => encodeFileContent(Buffer.from("é"), "ascii"));
  });
});
