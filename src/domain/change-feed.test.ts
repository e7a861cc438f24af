import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePostgresUrl } from "../server/open-storage.js";
import { invalidateOn, LocalChangeFeed, Subscribers, type ChangeFeed } from "./change-feed.js";

describe("change feed", { timeout: 10_000 }, () => {
  it("delivers local changes synchronously, only of the subscribed kind", async () => {
    const feed = new LocalChangeFeed();
    const seen: (string | undefined)[] = [];
    const stop = invalidateOn(feed, "role-assignment", { invalidate: (key) => seen.push(key) });
    await feed.publish("role-assignment", "r1");
    await feed.publish("vault", "v1");
    assert.deepEqual(seen, ["r1"]);
    stop();
    await feed.publish("role-assignment", "r2");
    assert.deepEqual(seen, ["r1"]);
  });

  it("`all` flushes every subscribed cache whole, whatever its kind", () => {
    // `all` is what a node hears after its feed reconnects (storage/postgres/change-feed.ts); a local feed never
    // publishes it, so this feed emits through the same Subscribers the PostgreSQL feed uses.
    const subscribers = new Subscribers();
    const feed: ChangeFeed = { live: true, publish: async () => {}, subscribe: (h) => subscribers.add(h), close: async () => {} };
    const calls: { cache: string; key: string | undefined }[] = [];
    invalidateOn(feed, "vault", { invalidate: (key) => calls.push({ cache: "vaults", key }) });
    invalidateOn(feed, "principal", { invalidate: (key) => calls.push({ cache: "principals", key }) });
    subscribers.emit({ kind: "vault", key: "v1" });
    assert.deepEqual(calls, [{ cache: "vaults", key: "v1" }]);
    subscribers.emit({ kind: "all" });
    assert.deepEqual(calls.slice(1), [
      { cache: "vaults", key: undefined },
      { cache: "principals", key: undefined },
    ]);
  });

  it("one failing handler does not starve the others", async () => {
    const feed = new LocalChangeFeed();
    let reached = false;
    feed.subscribe(() => {
      throw new Error("boom");
    });
    feed.subscribe(() => (reached = true));
    const error = console.error;
    console.error = () => {};
    try {
      await feed.publish("vault", "x");
    } finally {
      console.error = error;
    }
    assert.equal(reached, true);
  });
});

describe("storage URL", { timeout: 10_000 }, () => {
  it("takes ?schema= off the PostgreSQL URL and keeps the rest", () => {
    assert.deepEqual(parsePostgresUrl("postgres://u@h:5433/db?schema=kluis_a&sslmode=require"), {
      url: "postgres://u@h:5433/db?sslmode=require",
      schema: "kluis_a",
    });
    assert.deepEqual(parsePostgresUrl("postgres://u@h/db"), { url: "postgres://u@h/db", schema: undefined });
  });
});
