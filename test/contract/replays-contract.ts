/** The ReplayStore part of the storage contract suite: a one-time id is claimed once until it expires. */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { T0, type ContractIt } from "./fixtures.js";

export function registerReplayContract(test: ContractIt): void {
  describe("replays", () => {
    test("a key is claimed once while it lives, and again after it expired", async (store) => {
      assert.equal(await store.replays.claim("a", T0 + 10, T0), true);
      assert.equal(await store.replays.claim("a", T0 + 10, T0 + 5), false, "replay within the lifetime");
      assert.equal(await store.replays.claim("b", T0 + 10, T0 + 5), true, "other keys are independent");
      assert.equal(await store.replays.claim("a", T0 + 30, T0 + 11), true, "expired: may be claimed anew");
      assert.equal(await store.replays.claim("a", T0 + 30, T0 + 12), false);
    });

    test("of 20 concurrent claims of one key exactly one wins", async (store) => {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.replays.claim("race", T0 + 60, T0)));
      assert.equal(results.filter(Boolean).length, 1);
    });
  });
}
