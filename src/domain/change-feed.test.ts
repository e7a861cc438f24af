import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePostgresUrl } from "../server/open-storage.js";
import { invalidateOn, LocalChangeFeed } from "./change-feed.js";

describe("change feed", () => {
  it("delivers local changes synchronously, and `all` flushes", async () => {
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

describe("storage URL", () => {
  it("takes ?schema= off the PostgreSQL URL and keeps the rest", () => {
    assert.deepEqual(parsePostgresUrl("postgres://u@h:5433/db?schema=kluis_a&sslmode=require"), {
      url: "postgres://u@h:5433/db?sslmode=require",
      schema: "kluis_a",
    });
    assert.deepEqual(parsePostgresUrl("postgres://u@h/db"), { url: "postgres://u@h/db", schema: undefined });
  });
});
