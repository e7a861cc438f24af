import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { retryAfterSeconds, WindowCounters } from "./window-counters.js";

describe("WindowCounters", { timeout: 10_000 }, () => {
  it("counts within a window and starts again after it", () => {
    const counters = new WindowCounters(1000, 10);
    assert.deepEqual(counters.add("a", 1, 0), { count: 1, resetInMs: 1000 });
    assert.deepEqual(counters.add("a", 2, 400), { count: 3, resetInMs: 600 });
    assert.deepEqual(counters.add("a", 1, 1000), { count: 1, resetInMs: 1000 });
  });

  it("tryTake refuses what would pass the limit and does not count the refusal", () => {
    const counters = new WindowCounters(1000, 10);
    assert.deepEqual(counters.tryTake("v", 1, 2, 0), { ok: true });
    assert.deepEqual(counters.tryTake("v", 1, 2, 10), { ok: true });
    assert.deepEqual(counters.tryTake("v", 1, 2, 20), { ok: false, resetInMs: 980 });
    assert.deepEqual(counters.tryTake("v", 1, 2, 30), { ok: false, resetInMs: 970 });
    assert.deepEqual(counters.tryTake("v", 1, 2, 1000), { ok: true });
  });

  it("holds at most maxKeys keys, whatever a flood brings", () => {
    const counters = new WindowCounters(60_000, 100);
    for (let i = 0; i < 10_000; i++) counters.add(`addr-${i}`);
    assert.equal(counters.size, 100);
  });

  it("Retry-After is whole seconds, at least one", () => {
    assert.equal(retryAfterSeconds(0), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(59_000), 59);
  });
});
