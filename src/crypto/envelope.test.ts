/** Envelope encryption: values open only with the key and the exact context they were sealed under. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sealContext } from "../domain/secrets.js";
import { KEY_BYTES, newKey, open, seal, sealedKeyId, unwrapDataKey, wrapDataKey } from "./envelope.js";

const HEADER_BYTES = 1 + 4 + 12 + 16;
const VALUE = Buffer.from("correct horse battery staple", "utf8");
const CONTEXT = sealContext("vault-1", "AppSecret", "0123456789abcdef0123456789abcdef");

function flip(blob: Buffer, index: number): Buffer {
  const copy = Buffer.from(blob);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe("envelope", { timeout: 30_000 }, () => {
  it("seals and opens a value, under a fresh iv each time", () => {
    const key = newKey();
    assert.equal(key.length, KEY_BYTES);
    const a = seal(key, 7, VALUE, CONTEXT);
    const b = seal(key, 7, VALUE, CONTEXT);
    assert.deepEqual(open(key, a, CONTEXT), VALUE);
    assert.deepEqual(open(key, b, CONTEXT), VALUE);
    assert.notDeepEqual(a, b, "two seals of one value differ");
    assert.equal(sealedKeyId(a), 7);
    assert.equal(a.length, HEADER_BYTES + VALUE.length);
    assert.equal(a.subarray(HEADER_BYTES).includes(VALUE), false, "the plaintext is not in the blob");
  });

  it("opens an empty value", () => {
    const key = newKey();
    assert.deepEqual(open(key, seal(key, 1, Buffer.alloc(0), CONTEXT), CONTEXT), Buffer.alloc(0));
  });

  it("refuses a tampered ciphertext, tag or iv", () => {
    const key = newKey();
    const blob = seal(key, 1, VALUE, CONTEXT);
    assert.throws(() => open(key, flip(blob, HEADER_BYTES + 3), CONTEXT), "ciphertext");
    assert.throws(() => open(key, flip(blob, HEADER_BYTES - 1), CONTEXT), "tag");
    assert.throws(() => open(key, flip(blob, 5), CONTEXT), "iv");
    assert.throws(() => open(key, Buffer.concat([blob, Buffer.from([0])]), CONTEXT), "appended byte");
    assert.throws(() => open(key, blob.subarray(0, blob.length - 1), CONTEXT), "truncated");
  });

  it("refuses a blob in an unknown format or too short to hold a header", () => {
    const key = newKey();
    const blob = seal(key, 1, VALUE, CONTEXT);
    const other = Buffer.from(blob);
    other[0] = 2;
    assert.throws(() => open(key, other, CONTEXT), /unrecognized sealed value/);
    assert.throws(() => sealedKeyId(blob.subarray(0, HEADER_BYTES - 1)), /unrecognized sealed value/);
  });

  it("refuses to open under another vault, name or version", () => {
    const key = newKey();
    const blob = seal(key, 1, VALUE, CONTEXT);
    assert.throws(() => open(key, blob, sealContext("vault-2", "AppSecret", "0123456789abcdef0123456789abcdef")), "other vault");
    assert.throws(() => open(key, blob, sealContext("vault-1", "OtherSecret", "0123456789abcdef0123456789abcdef")), "other name");
    assert.throws(() => open(key, blob, sealContext("vault-1", "AppSecret", "ffffffffffffffffffffffffffffffff")), "other version");
    assert.deepEqual(open(key, blob, sealContext("vault-1", "appsecret", "0123456789abcdef0123456789abcdef")), VALUE, "names are case-insensitive");
  });

  it("refuses to open with another key", () => {
    const blob = seal(newKey(), 1, VALUE, CONTEXT);
    assert.throws(() => open(newKey(), blob, CONTEXT));
  });

  it("wraps data keys under the root key only", () => {
    const root = newKey();
    const dataKey = newKey();
    const wrapped = wrapDataKey(root, dataKey);
    assert.equal(sealedKeyId(wrapped), 0);
    assert.deepEqual(unwrapDataKey(root, wrapped), dataKey);
    assert.throws(() => unwrapDataKey(newKey(), wrapped), "another root key");
    // A wrapped data key is not a secret value: its context differs.
    assert.throws(() => open(root, wrapped, CONTEXT));
    assert.throws(() => unwrapDataKey(root, seal(root, 0, dataKey, CONTEXT)));
  });
});
