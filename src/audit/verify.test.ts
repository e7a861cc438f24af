import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chain, EMPTY_HEAD, toLine, type AuditEntry } from "./record.js";
import { verifyChain, type StoredLine } from "./verify.js";

function entry(i: number): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 11, 2, 12, 0, i)).toISOString(),
    phase: "result",
    requestId: `r${i}`,
    surface: "vault",
    method: "GET",
    operation: "GetSecret",
    path: `/secrets/s${i}`,
    vault: "v",
    objectName: `s${i}`,
    objectVersion: null,
    caller: { objectId: "o", appId: "a", managedIdentity: false, resourceId: null },
    source: "127.0.0.1",
    status: 200,
  };
}

async function* linesOf(texts: string[]): AsyncGenerator<StoredLine> {
  for (let i = 0; i < texts.length; i++) yield { location: `f:${i + 1}`, text: texts[i]! };
}

describe("audit chain", { timeout: 10_000 }, () => {
  const { records, head } = chain([1, 2, 3, 4].map(entry), EMPTY_HEAD, "n");
  const texts = records.map((r) => toLine(r).trimEnd());

  it("verifies as written, also when appended in two batches", async () => {
    const first = chain([1, 2].map(entry), EMPTY_HEAD, "n");
    const second = chain([3, 4].map(entry), first.head, "m");
    const result = await verifyChain(linesOf([...first.records, ...second.records].map((r) => toLine(r).trimEnd())));
    assert.equal(result.ok, true);
    assert.deepEqual(result.ok && result.head.seq, 4);
    assert.equal((await verifyChain(linesOf(texts))).ok, true);
    assert.deepEqual(head.seq, 4);
  });

  it("names the first record that does not fit", async () => {
    const removed = await verifyChain(linesOf([texts[0]!, texts[2]!, texts[3]!]));
    assert.equal(!removed.ok && removed.location, "f:2");
    const swapped = await verifyChain(linesOf([texts[0]!, texts[2]!, texts[1]!, texts[3]!]));
    assert.equal(!swapped.ok && swapped.seq, 3);
    const edited = await verifyChain(linesOf(texts.map((t, i) => (i === 2 ? t.replace('"status":200', '"status":404') : t))));
    assert.equal(!edited.ok && edited.location, "f:3");
    const added = await verifyChain(linesOf(texts.map((t, i) => (i === 1 ? t.replace('{"caller"', '{"extra":1,"caller"') : t))));
    assert.equal(!added.ok && added.location, "f:2");
    const torn = await verifyChain(linesOf([...texts.slice(0, 3), texts[3]!.slice(0, 40)]));
    assert.equal(!torn.ok && torn.location, "f:4");
  });

  it("finds an anchored head, and misses one that was never there", async () => {
    const anchored = await verifyChain(linesOf(texts), records[1]!.hash);
    assert.equal(anchored.ok && anchored.anchorFound, true);
    const missing = await verifyChain(linesOf(texts), "f".repeat(64));
    assert.equal(missing.ok && missing.anchorFound, false);
  });
});
