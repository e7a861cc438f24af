import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ThrottledError } from "../../domain/errors.js";
import { transactionClass, VaultLimits } from "./vault-limits.js";

describe("Key Vault service limits", { timeout: 10_000 }, () => {
  it("draws each operation on Azure's class", () => {
    assert.equal(transactionClass("SetSecret", "/secrets/a"), "create");
    assert.equal(transactionClass("ImportKey", "/keys/a"), "create");
    assert.equal(transactionClass("CreateKey", "/keys/a/create"), "keyCreate");
    assert.equal(transactionClass("Sign", "/keys/a/v/sign"), "keys");
    assert.equal(transactionClass("GetDeletedKey", "/deletedkeys/a"), "keys");
    assert.equal(transactionClass("GetSecret", "/secrets/a"), "other");
    assert.equal(transactionClass("GetSecret", "/secretskeys"), "other");
  });

  it("counts per vault and per class, and answers Throttled with Retry-After", () => {
    const limits = new VaultLimits({ scale: 0.001, windowSeconds: 10 });
    for (let i = 0; i < 4; i++) limits.take("a", "GetSecret", "/secrets/s");
    limits.take("a", "SetSecret", "/secrets/s"); // another class
    limits.take("b", "GetSecret", "/secrets/s"); // another vault
    assert.throws(
      () => limits.take("a", "GetSecret", "/secrets/s"),
      (error: unknown) => error instanceof ThrottledError && error.code === "Throttled" && error.retryAfterSeconds >= 1 && error.retryAfterSeconds <= 10,
    );
  });
});
