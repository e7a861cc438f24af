/** The bound every cache of the server shares: entries and estimated bytes, least recently used first out. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BoundedCache, estimateBytes } from "./bounded-cache.js";

describe("bounded cache", { timeout: 10_000 }, () => {
  it("keeps at most maxEntries, dropping the least recently used", () => {
    const cache = new BoundedCache<string, { n: number }>({ name: "t", maxEntries: 3, maxBytes: 1 << 20 });
    for (const k of ["a", "b", "c"]) cache.set(k, { n: 1 });
    cache.get("a");
    cache.set("d", { n: 1 });
    assert.equal(cache.size, 3);
    assert.equal(cache.get("b"), undefined);
    assert.ok(cache.get("a"));
  });

  it("keeps at most maxBytes, and never an entry larger than the whole budget", () => {
    const cache = new BoundedCache<string, string>({ name: "t", maxEntries: 1000, maxBytes: 10_000 });
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, "x".repeat(1000));
    assert.ok(cache.stats().bytes <= 10_000, JSON.stringify(cache.stats()));
    assert.ok(cache.size < 10);
    cache.set("huge", "x".repeat(100_000));
    assert.equal(cache.get("huge"), undefined);
  });

  it("deletes by predicate", () => {
    const cache = new BoundedCache<string, { owner: string }>({ name: "t", maxEntries: 10, maxBytes: 1 << 20 });
    cache.set("1", { owner: "a" });
    cache.set("2", { owner: "b" });
    cache.set("3", { owner: "a" });
    cache.deleteWhere((v) => v.owner === "a");
    assert.deepEqual([cache.get("1"), cache.get("2")?.owner, cache.get("3")], [undefined, "b", undefined]);
  });

  it("estimates sizes in proportion to strings and buffers", () => {
    assert.ok(estimateBytes("x".repeat(8192)) > 16_000);
    assert.ok(estimateBytes({ value: Buffer.alloc(25_000) }) > 25_000);
    assert.ok(estimateBytes({ a: 1 }) < 100);
  });
});
