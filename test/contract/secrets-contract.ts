/** The SecretStore part of the storage contract suite (see store-contract.ts). */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { SecretPage, SecretVersionRecord, Store } from "../../src/storage/types.js";
import { hexVersion, rejectsWith, secret, T0, type ContractIt } from "./fixtures.js";

const VAULT = "vault-1";

async function collect<T>(fetch: (after: string | null) => Promise<SecretPage<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page: SecretPage<T> = await fetch(after);
    items.push(...page.items);
    after = page.next;
    pages++;
    assert.ok(pages < 1000, "paging does not terminate");
  } while (after !== null);
  return { items, pages };
}

async function putNames(store: Store, names: string[], vaultId = VAULT): Promise<SecretVersionRecord[]> {
  const records: SecretVersionRecord[] = [];
  for (const name of names) {
    const record = secret(vaultId, name);
    await store.secrets.putVersion(record);
    records.push(record);
  }
  return records;
}

export function registerSecretContract(test: ContractIt): void {
  describe("secrets", () => {
    test("putVersion then getLatest and getVersion; lookups are case-insensitive; missing → null", async (store) => {
      const v1 = secret(VAULT, "My-Secret");
      await store.secrets.putVersion(v1);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "my-secret"), v1);
      assert.deepEqual(await store.secrets.getVersion(VAULT, "MY-SECRET", v1.version), v1);
      assert.deepEqual(await store.secrets.getVersion(VAULT, "my-secret", v1.version.toUpperCase()), v1);
      const v2 = secret(VAULT, "my-SECRET", { createdAt: T0 + 1, updatedAt: T0 + 1 });
      await store.secrets.putVersion(v2);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "My-Secret"), v2);
      assert.deepEqual(await store.secrets.getVersion(VAULT, "my-secret", v1.version), v1);
      assert.equal(await store.secrets.getLatest(VAULT, "other"), null);
      assert.equal(await store.secrets.getLatest("vault-2", "my-secret"), null);
      assert.equal(await store.secrets.getVersion(VAULT, "my-secret", hexVersion()), null);
      assert.equal(await store.secrets.getVersion("vault-2", "my-secret", v1.version), null);
    });

    test("every write shows in the next read of the latest version (no stale read caches)", async (store) => {
      const v1 = secret(VAULT, "cached");
      await store.secrets.putVersion(v1);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "cached"), v1);
      const v2 = secret(VAULT, "cached", { createdAt: T0 + 1, updatedAt: T0 + 1 });
      await store.secrets.putVersion(v2);
      assert.equal((await store.secrets.getLatest(VAULT, "CACHED"))?.version, v2.version, "put");
      await store.secrets.updateVersion({ ...v2, contentType: "changed", updatedAt: T0 + 2 });
      assert.equal((await store.secrets.getLatest(VAULT, "cached"))?.contentType, "changed", "update");
      await store.secrets.markDeleted(VAULT, "cached", T0 + 3, T0 + 100);
      assert.equal(await store.secrets.getLatest(VAULT, "cached"), null, "delete");
      await store.secrets.recover(VAULT, "cached");
      assert.equal((await store.secrets.getLatest(VAULT, "cached"))?.version, v2.version, "recover");
      await store.secrets.markDeleted(VAULT, "cached", T0 + 3, T0 + 100);
      await store.secrets.purge(VAULT, "cached");
      assert.equal(await store.secrets.getLatest(VAULT, "cached"), null, "purge");
      const restored = secret(VAULT, "cached", { createdAt: T0 + 5, updatedAt: T0 + 5 });
      await store.secrets.restore([restored]);
      assert.equal((await store.secrets.getLatest(VAULT, "cached"))?.version, restored.version, "restore");
      await store.secrets.markDeleted(VAULT, "cached", T0 + 6, T0 + 7);
      await store.secrets.purgeExpired(T0 + 8);
      await store.secrets.restore([secret(VAULT, "cached", { createdAt: T0 + 9, updatedAt: T0 + 9 })]);
      assert.equal((await store.secrets.getLatest(VAULT, "cached"))?.createdAt, T0 + 9, "purge by retention, then restore");
    });

    test("sealed value, tags, content type and attributes round-trip", async (store) => {
      const full = secret(VAULT, "full", {
        sealedValue: Buffer.from([0, 0, 255, 10, 13, 0]),
        contentType: "application/x-pkcs12",
        tags: { a: "1", "with space": "ü€ \u0000 \"quoted\"" },
        attributes: { enabled: false, nbf: 1_700_000_000, exp: 4_102_444_800 },
        createdAt: T0 + 123,
        updatedAt: T0 + 456,
      });
      const bare = secret(VAULT, "bare", { contentType: null, tags: null, sealedValue: Buffer.alloc(0) });
      await store.secrets.putVersion(full);
      await store.secrets.putVersion(bare);
      const gotFull = await store.secrets.getLatest(VAULT, "full");
      assert.deepEqual(gotFull, full);
      assert.ok(Buffer.isBuffer(gotFull?.sealedValue));
      assert.deepEqual(await store.secrets.getLatest(VAULT, "bare"), bare);
    });

    test("putVersion of an existing version of the name → StoreError conflict", async (store) => {
      const v1 = secret(VAULT, "dup");
      await store.secrets.putVersion(v1);
      await rejectsWith(store.secrets.putVersion(secret(VAULT, "DUP", { version: v1.version })), "conflict");
      assert.deepEqual(await store.secrets.getLatest(VAULT, "dup"), v1);
    });

    test("listLatest: live secrets of the vault, ordered by lower-cased name (byte order)", async (store) => {
      await putNames(store, ["ab", "Charlie", "a-c", "a0", "bravo", "A1"]);
      await putNames(store, ["other-vault-secret"], "vault-2");
      await store.secrets.putVersion(secret(VAULT, "bravo", { contentType: "newest" }));
      await putNames(store, ["deleted"]);
      await store.secrets.markDeleted(VAULT, "deleted", T0, T0 + 1000);
      const page = await store.secrets.listLatest(VAULT, null, 100);
      assert.deepEqual(
        page.items.map((s) => s.name),
        ["a-c", "a0", "A1", "ab", "bravo", "Charlie"],
      );
      assert.equal(page.next, null);
      assert.equal(page.items.find((s) => s.name === "bravo")?.contentType, "newest");
      assert.deepEqual(await store.secrets.listLatest("vault-3", null, 10), { items: [], next: null });
    });

    test("listLatest pages with limit and continuation; next is null on the last page", async (store) => {
      const names = Array.from({ length: 7 }, (_, i) => `secret-${i}`);
      await putNames(store, [...names].reverse());
      const first = await store.secrets.listLatest(VAULT, null, 3);
      assert.deepEqual(first.items.map((s) => s.name), names.slice(0, 3));
      assert.equal(first.next, "secret-2");
      const { items, pages } = await collect((after) => store.secrets.listLatest(VAULT, after, 3));
      assert.deepEqual(items.map((s) => s.name), names);
      assert.equal(pages, 3);
      // Exactly `limit` remaining: that page is the last one.
      const exact = await store.secrets.listLatest(VAULT, "secret-3", 3);
      assert.deepEqual(exact.items.map((s) => s.name), ["secret-4", "secret-5", "secret-6"]);
      assert.equal(exact.next, null);
      assert.deepEqual(await store.secrets.listLatest(VAULT, "zzz", 3), { items: [], next: null });
    });

    test("listLatest continuation neither skips nor repeats names when names come and go between pages", async (store) => {
      await putNames(store, ["b", "d", "f", "h", "j", "l"]);
      const first = await store.secrets.listLatest(VAULT, null, 2);
      assert.deepEqual(first.items.map((s) => s.name), ["b", "d"]);
      assert.equal(typeof first.next, "string");
      await putNames(store, ["a", "c", "e", "k"]); // before and after the cursor
      await store.secrets.markDeleted(VAULT, "f", T0, T0 + 1);
      await store.secrets.markDeleted(VAULT, "b", T0, T0 + 1);
      await store.secrets.putVersion(secret(VAULT, "h")); // a new version of a remaining name
      const rest = await collect((after) => store.secrets.listLatest(VAULT, after ?? first.next, 2));
      assert.deepEqual(rest.items.map((s) => s.name), ["e", "h", "j", "k", "l"]);
    });

    test("listVersions: creation order, paged by seq continuation; other names and vaults excluded", async (store) => {
      const versions: SecretVersionRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const record = secret(VAULT, i % 2 === 0 ? "Multi" : "MULTI", { createdAt: T0 + i, updatedAt: T0 + i });
        await store.secrets.putVersion(record);
        versions.push(record);
        await putNames(store, [`noise-${i}`]);
        await putNames(store, ["multi"], "vault-2");
      }
      const first = await store.secrets.listVersions(VAULT, "multi", null, 2);
      assert.deepEqual(first.items, versions.slice(0, 2));
      assert.match(first.next ?? "", /^\d+$/);
      const { items, pages } = await collect((after) => store.secrets.listVersions(VAULT, "Multi", after, 2));
      assert.deepEqual(items, versions);
      assert.equal(pages, 3);
      // Keys increase along the pages.
      const second = await store.secrets.listVersions(VAULT, "multi", first.next, 2);
      assert.ok(Number(second.next) > Number(first.next));
      const all = await store.secrets.listVersions(VAULT, "multi", null, 5);
      assert.equal(all.next, null);
      assert.deepEqual(await store.secrets.listVersions(VAULT, "none", null, 5), { items: [], next: null });
    });

    test("updateVersion changes mutable fields of that version only", async (store) => {
      const v1 = secret(VAULT, "upd");
      const v2 = secret(VAULT, "upd");
      await store.secrets.putVersion(v1);
      await store.secrets.putVersion(v2);
      const changed: SecretVersionRecord = {
        ...v1,
        name: "UPD",
        contentType: null,
        tags: { new: "tag" },
        attributes: { enabled: false, nbf: 1, exp: 2 },
        updatedAt: T0 + 99,
      };
      await store.secrets.updateVersion(changed);
      const got = await store.secrets.getVersion(VAULT, "upd", v1.version);
      assert.deepEqual(got, { ...changed, name: v1.name });
      assert.deepEqual(await store.secrets.getLatest(VAULT, "upd"), v2);
      await store.secrets.updateVersion({ ...v2, tags: null, contentType: "x" });
      assert.deepEqual(await store.secrets.getLatest(VAULT, "upd"), { ...v2, tags: null, contentType: "x" });
    });

    test("markDeleted hides the secret; getDeleted shows its latest version and schedule", async (store) => {
      const v2 = secret(VAULT, "Gone");
      await store.secrets.putVersion(secret(VAULT, "gone"));
      await store.secrets.putVersion(v2);
      assert.equal(await store.secrets.getDeleted(VAULT, "gone"), null);
      assert.equal(await store.secrets.markDeleted(VAULT, "GONE", T0 + 10, T0 + 20), true);
      assert.equal(await store.secrets.getLatest(VAULT, "gone"), null);
      assert.equal(await store.secrets.getVersion(VAULT, "gone", v2.version), null);
      assert.deepEqual(await store.secrets.listVersions(VAULT, "gone", null, 10), { items: [], next: null });
      assert.deepEqual(await store.secrets.getDeleted(VAULT, "gOnE"), { latest: v2, deletedAt: T0 + 10, scheduledPurgeAt: T0 + 20 });
      assert.equal(await store.secrets.markDeleted(VAULT, "gone", T0 + 30, T0 + 40), false);
      assert.equal(await store.secrets.markDeleted(VAULT, "never", T0, T0), false);
      assert.equal(await store.secrets.getDeleted("vault-2", "gone"), null);
    });

    test("listDeleted: deleted secrets only, ordered by lower-cased name, paged", async (store) => {
      await putNames(store, ["d-one", "D-Two", "d-three", "live", "d-four"]);
      await putNames(store, ["d-other"], "vault-2");
      await store.secrets.markDeleted("vault-2", "d-other", T0, T0);
      for (const [i, name] of ["d-one", "d-two", "d-three", "d-four"].entries()) {
        await store.secrets.markDeleted(VAULT, name, T0 + i, T0 + 100 + i);
      }
      const first = await store.secrets.listDeleted(VAULT, null, 3);
      assert.deepEqual(first.items.map((d) => d.latest.name), ["d-four", "d-one", "d-three"]);
      assert.equal(first.next, "d-three");
      const { items, pages } = await collect((after) => store.secrets.listDeleted(VAULT, after, 3));
      assert.equal(pages, 2);
      assert.deepEqual(
        items.map((d) => [d.latest.name, d.deletedAt, d.scheduledPurgeAt]),
        [
          ["d-four", T0 + 3, T0 + 103],
          ["d-one", T0, T0 + 100],
          ["d-three", T0 + 2, T0 + 102],
          ["D-Two", T0 + 1, T0 + 101],
        ],
      );
    });

    test("putVersion on a deleted-but-recoverable name → StoreError conflict, nothing stored", async (store) => {
      await putNames(store, ["locked"]);
      await store.secrets.markDeleted(VAULT, "locked", T0, T0 + 1000);
      await rejectsWith(store.secrets.putVersion(secret(VAULT, "LOCKED")), "conflict");
      assert.equal(await store.secrets.recover(VAULT, "locked"), true);
      assert.equal((await store.secrets.listVersions(VAULT, "locked", null, 10)).items.length, 1);
    });

    test("recover brings the secret back with all its versions", async (store) => {
      const versions = [secret(VAULT, "phoenix"), secret(VAULT, "phoenix")];
      for (const v of versions) await store.secrets.putVersion(v);
      assert.equal(await store.secrets.recover(VAULT, "phoenix"), false);
      await store.secrets.markDeleted(VAULT, "phoenix", T0, T0 + 1);
      assert.equal(await store.secrets.recover(VAULT, "PHOENIX"), true);
      assert.equal(await store.secrets.getDeleted(VAULT, "phoenix"), null);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "phoenix"), versions[1]);
      assert.deepEqual((await store.secrets.listVersions(VAULT, "phoenix", null, 10)).items, versions);
      assert.equal(await store.secrets.recover(VAULT, "phoenix"), false);
      assert.equal(await store.secrets.recover(VAULT, "never"), false);
      // Deletable again after recovery.
      assert.equal(await store.secrets.markDeleted(VAULT, "phoenix", T0 + 2, T0 + 3), true);
    });

    test("purge removes a deleted secret and all its versions; live secrets are not purged", async (store) => {
      const old = [secret(VAULT, "purged"), secret(VAULT, "purged")];
      for (const v of old) await store.secrets.putVersion(v);
      await putNames(store, ["alive"]);
      assert.equal(await store.secrets.purge(VAULT, "alive"), false);
      assert.notEqual(await store.secrets.getLatest(VAULT, "alive"), null);
      await store.secrets.markDeleted(VAULT, "purged", T0, T0 + 1);
      assert.equal(await store.secrets.purge(VAULT, "Purged"), true);
      assert.equal(await store.secrets.getDeleted(VAULT, "purged"), null);
      assert.equal(await store.secrets.purge(VAULT, "purged"), false);
      assert.deepEqual(await store.secrets.listDeleted(VAULT, null, 10), { items: [], next: null });
      // The name is free again and starts with no history.
      const fresh = secret(VAULT, "purged", { version: (old[0] as SecretVersionRecord).version });
      await store.secrets.putVersion(fresh);
      assert.deepEqual((await store.secrets.listVersions(VAULT, "purged", null, 10)).items, [fresh]);
      assert.equal(await store.secrets.getVersion(VAULT, "purged", (old[1] as SecretVersionRecord).version), null);
    });

    test("purgeExpired purges only deleted secrets whose purge time has come", async (store) => {
      const now = T0 + 10_000;
      await putNames(store, ["past", "due-now", "future", "live"]);
      await putNames(store, ["other-past"], "vault-2");
      await store.secrets.markDeleted(VAULT, "past", T0, now - 1);
      await store.secrets.markDeleted(VAULT, "due-now", T0, now);
      await store.secrets.markDeleted(VAULT, "future", T0, now + 1);
      await store.secrets.markDeleted("vault-2", "other-past", T0, T0);
      assert.equal(await store.secrets.purgeExpired(now), 3);
      assert.deepEqual((await store.secrets.listDeleted(VAULT, null, 10)).items.map((d) => d.latest.name), ["future"]);
      assert.equal(await store.secrets.getDeleted("vault-2", "other-past"), null);
      assert.notEqual(await store.secrets.getLatest(VAULT, "live"), null);
      assert.equal(await store.secrets.purgeExpired(now), 0);
      assert.equal(await store.secrets.purgeExpired(now + 1), 1);
      assert.deepEqual(await store.secrets.listDeleted(VAULT, null, 10), { items: [], next: null });
    });

    test("20 concurrent putVersion on one name: all kept, latest is the last by seq", async (store) => {
      const records = Array.from({ length: 20 }, (_, i) => secret(VAULT, i % 2 ? "Hot" : "hot", { createdAt: T0 + i, updatedAt: T0 + i }));
      await Promise.all(records.map((record) => store.secrets.putVersion(record)));
      const all = await collect((after) => store.secrets.listVersions(VAULT, "hot", after, 7));
      assert.equal(all.items.length, 20);
      assert.deepEqual(
        new Set(all.items.map((v) => v.version)),
        new Set(records.map((r) => r.version)),
      );
      assert.deepEqual(await store.secrets.getLatest(VAULT, "hot"), all.items[19]);
      const listed = await store.secrets.listLatest(VAULT, null, 10);
      assert.deepEqual(listed.items, [all.items[19]]);
    });

    test("concurrent putVersion on different names all land", async (store) => {
      const records = Array.from({ length: 20 }, (_, i) => secret(VAULT, `par-${String(i).padStart(2, "0")}`));
      await Promise.all(records.map((record) => store.secrets.putVersion(record)));
      const all = await collect((after) => store.secrets.listLatest(VAULT, after, 6));
      assert.deepEqual(all.items, records);
    });

    test("restore inserts every version in order, keeping ids and timestamps; the last is the latest", async (store) => {
      const versions = [0, 1, 2].map((i) =>
        secret(VAULT, "Restored", { createdAt: T0 + i * 10, updatedAt: T0 + i * 10 + 5, tags: i === 1 ? null : { i: String(i) }, attributes: { enabled: i !== 0, nbf: null, exp: i === 2 ? T0 * 2 : null } }),
      );
      await store.secrets.restore(versions);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "restored"), versions[2]);
      assert.deepEqual((await collect((after) => store.secrets.listVersions(VAULT, "RESTORED", after, 2))).items, versions);
      for (const v of versions) assert.deepEqual(await store.secrets.getVersion(VAULT, "restored", v.version), v);
      assert.deepEqual((await store.secrets.listLatest(VAULT, null, 10)).items, [versions[2]]);
      const next = secret(VAULT, "restored", { createdAt: T0 + 100, updatedAt: T0 + 100 });
      await store.secrets.putVersion(next);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "restored"), next);
      await store.secrets.restore([]);
    });

    test("restore of a name that exists, live or deleted (any case) → StoreError conflict, nothing written", async (store) => {
      const [live] = await putNames(store, ["live-one"]);
      const [gone] = await putNames(store, ["gone-one"]);
      await store.secrets.markDeleted(VAULT, "gone-one", T0, T0 + 1000);
      const attempt = secret(VAULT, "LIVE-ONE");
      await rejectsWith(store.secrets.restore([attempt]), "conflict");
      assert.equal(await store.secrets.getVersion(VAULT, "live-one", attempt.version), null);
      assert.deepEqual(await store.secrets.getLatest(VAULT, "live-one"), live);
      const again = [secret(VAULT, "Gone-One"), secret(VAULT, "Gone-One")];
      await rejectsWith(store.secrets.restore(again), "conflict");
      assert.deepEqual((await store.secrets.getDeleted(VAULT, "gone-one"))?.latest, gone);
      await store.secrets.restore([secret("vault-2", "live-one")]);
      assert.notEqual(await store.secrets.getLatest("vault-2", "live-one"), null);
    });

    test("restore with a repeated version id → conflict, nothing written", async (store) => {
      const v = secret(VAULT, "twice");
      await rejectsWith(store.secrets.restore([v, { ...v, createdAt: T0 + 1 }]), "conflict");
      assert.equal(await store.secrets.getLatest(VAULT, "twice"), null);
      await store.secrets.putVersion(secret(VAULT, "twice"));
    });

    test("concurrent restores of one name: exactly one lands", async (store) => {
      const attempts = Array.from({ length: 8 }, () => [secret(VAULT, "race"), secret(VAULT, "race")]);
      const results = await Promise.allSettled(attempts.map((versions) => store.secrets.restore(versions)));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.equal((r.reason as { kind?: string }).kind, "conflict");
      const winner = attempts[results.findIndex((r) => r.status === "fulfilled")]!;
      assert.deepEqual((await store.secrets.listVersions(VAULT, "race", null, 10)).items, winner);
    });
  });
}
