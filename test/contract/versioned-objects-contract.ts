/**
 * The VersionedObjectStore part of the storage contract suite (see store-contract.ts), run once per collection:
 * store.secrets, store.keys and store.certificates must behave alike, each on its own tables.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { ObjectPage, ObjectVersionRecord, Store, VersionedObjectStore } from "../../src/storage/types.js";
import { certificateVersion, hexVersion, keyVersion, rejectsWith, secret as secretVersion, T0, type ContractIt } from "./fixtures.js";

export type Collection = "secrets" | "keys" | "certificates";

const BUILDERS = { secrets: secretVersion, keys: keyVersion, certificates: certificateVersion } as const;

const VAULT = "vault-1";

async function collect<T>(fetch: (after: string | null) => Promise<ObjectPage<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page: ObjectPage<T> = await fetch(after);
    items.push(...page.items);
    after = page.next;
    pages++;
    assert.ok(pages < 1000, "paging does not terminate");
  } while (after !== null);
  return { items, pages };
}

export function registerVersionedObjectContract(test: ContractIt, collection: Collection): void {
  /** A fresh, valid version for this collection (keys and certificates carry meta, secrets don't). */
  const secret = (vaultId: string, name: string, overrides: Partial<ObjectVersionRecord> = {}) => BUILDERS[collection](vaultId, name, overrides);
  const of = (store: Store): VersionedObjectStore => store[collection];
  async function putNames(store: Store, names: string[], vaultId = VAULT): Promise<ObjectVersionRecord[]> {
    const records: ObjectVersionRecord[] = [];
    for (const name of names) {
      const record = secret(vaultId, name);
      await of(store).putVersion(record);
      records.push(record);
    }
    return records;
  }

  describe(collection, () => {
    test("putVersion then getLatest and getVersion; lookups are case-insensitive; missing → null", async (store) => {
      const v1 = secret(VAULT, "My-Secret");
      await of(store).putVersion(v1);
      assert.deepEqual(await of(store).getLatest(VAULT, "my-secret"), v1);
      assert.deepEqual(await of(store).getVersion(VAULT, "MY-SECRET", v1.version), v1);
      assert.deepEqual(await of(store).getVersion(VAULT, "my-secret", v1.version.toUpperCase()), v1);
      const v2 = secret(VAULT, "my-SECRET", { createdAt: T0 + 1, updatedAt: T0 + 1 });
      await of(store).putVersion(v2);
      assert.deepEqual(await of(store).getLatest(VAULT, "My-Secret"), v2);
      assert.deepEqual(await of(store).getVersion(VAULT, "my-secret", v1.version), v1);
      assert.equal(await of(store).getLatest(VAULT, "other"), null);
      assert.equal(await of(store).getLatest("vault-2", "my-secret"), null);
      assert.equal(await of(store).getVersion(VAULT, "my-secret", hexVersion()), null);
      assert.equal(await of(store).getVersion("vault-2", "my-secret", v1.version), null);
    });

    test("every write shows in the next read of the latest version (no stale read caches)", async (store) => {
      const v1 = secret(VAULT, "cached");
      await of(store).putVersion(v1);
      assert.deepEqual(await of(store).getLatest(VAULT, "cached"), v1);
      const v2 = secret(VAULT, "cached", { createdAt: T0 + 1, updatedAt: T0 + 1 });
      await of(store).putVersion(v2);
      assert.equal((await of(store).getLatest(VAULT, "CACHED"))?.version, v2.version, "put");
      await of(store).updateVersion({ ...v2, contentType: "changed", updatedAt: T0 + 2 });
      assert.equal((await of(store).getLatest(VAULT, "cached"))?.contentType, "changed", "update");
      await of(store).markDeleted(VAULT, "cached", T0 + 3, T0 + 100);
      assert.equal(await of(store).getLatest(VAULT, "cached"), null, "delete");
      await of(store).recover(VAULT, "cached");
      assert.equal((await of(store).getLatest(VAULT, "cached"))?.version, v2.version, "recover");
      await of(store).markDeleted(VAULT, "cached", T0 + 3, T0 + 100);
      await of(store).purge(VAULT, "cached");
      assert.equal(await of(store).getLatest(VAULT, "cached"), null, "purge");
      const restored = secret(VAULT, "cached", { createdAt: T0 + 5, updatedAt: T0 + 5 });
      await of(store).restore([restored]);
      assert.equal((await of(store).getLatest(VAULT, "cached"))?.version, restored.version, "restore");
      await of(store).markDeleted(VAULT, "cached", T0 + 6, T0 + 7);
      await of(store).purgeExpired(T0 + 8);
      await of(store).restore([secret(VAULT, "cached", { createdAt: T0 + 9, updatedAt: T0 + 9 })]);
      assert.equal((await of(store).getLatest(VAULT, "cached"))?.createdAt, T0 + 9, "purge by retention, then restore");
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
      await of(store).putVersion(full);
      await of(store).putVersion(bare);
      const gotFull = await of(store).getLatest(VAULT, "full");
      assert.deepEqual(gotFull, full);
      assert.ok(Buffer.isBuffer(gotFull?.sealedValue));
      assert.deepEqual(await of(store).getLatest(VAULT, "bare"), bare);
    });

    test("putVersion of an existing version of the name → StoreError conflict", async (store) => {
      const v1 = secret(VAULT, "dup");
      await of(store).putVersion(v1);
      await rejectsWith(of(store).putVersion(secret(VAULT, "DUP", { version: v1.version })), "conflict");
      assert.deepEqual(await of(store).getLatest(VAULT, "dup"), v1);
    });

    test("listLatest: live objects of the vault, ordered by lower-cased name (byte order)", async (store) => {
      await putNames(store, ["ab", "Charlie", "a-c", "a0", "bravo", "A1"]);
      await putNames(store, ["other-vault-secret"], "vault-2");
      await of(store).putVersion(secret(VAULT, "bravo", { contentType: "newest" }));
      await putNames(store, ["deleted"]);
      await of(store).markDeleted(VAULT, "deleted", T0, T0 + 1000);
      const page = await of(store).listLatest(VAULT, null, 100);
      assert.deepEqual(
        page.items.map((s) => s.name),
        ["a-c", "a0", "A1", "ab", "bravo", "Charlie"],
      );
      assert.equal(page.next, null);
      assert.equal(page.items.find((s) => s.name === "bravo")?.contentType, "newest");
      assert.deepEqual(await of(store).listLatest("vault-3", null, 10), { items: [], next: null });
    });

    test("listLatest pages with limit and continuation; next is null on the last page", async (store) => {
      const names = Array.from({ length: 7 }, (_, i) => `secret-${i}`);
      await putNames(store, [...names].reverse());
      const first = await of(store).listLatest(VAULT, null, 3);
      assert.deepEqual(first.items.map((s) => s.name), names.slice(0, 3));
      assert.equal(first.next, "secret-2");
      const { items, pages } = await collect((after) => of(store).listLatest(VAULT, after, 3));
      assert.deepEqual(items.map((s) => s.name), names);
      assert.equal(pages, 3);
      // Exactly `limit` remaining: that page is the last one.
      const exact = await of(store).listLatest(VAULT, "secret-3", 3);
      assert.deepEqual(exact.items.map((s) => s.name), ["secret-4", "secret-5", "secret-6"]);
      assert.equal(exact.next, null);
      assert.deepEqual(await of(store).listLatest(VAULT, "zzz", 3), { items: [], next: null });
    });

    test("listLatest continuation neither skips nor repeats names when names come and go between pages", async (store) => {
      await putNames(store, ["b", "d", "f", "h", "j", "l"]);
      const first = await of(store).listLatest(VAULT, null, 2);
      assert.deepEqual(first.items.map((s) => s.name), ["b", "d"]);
      assert.equal(typeof first.next, "string");
      await putNames(store, ["a", "c", "e", "k"]); // before and after the cursor
      await of(store).markDeleted(VAULT, "f", T0, T0 + 1);
      await of(store).markDeleted(VAULT, "b", T0, T0 + 1);
      await of(store).putVersion(secret(VAULT, "h")); // a new version of a remaining name
      const rest = await collect((after) => of(store).listLatest(VAULT, after ?? first.next, 2));
      assert.deepEqual(rest.items.map((s) => s.name), ["e", "h", "j", "k", "l"]);
    });

    test("listVersions: creation order, paged by seq continuation; other names and vaults excluded", async (store) => {
      const versions: ObjectVersionRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const record = secret(VAULT, i % 2 === 0 ? "Multi" : "MULTI", { createdAt: T0 + i, updatedAt: T0 + i });
        await of(store).putVersion(record);
        versions.push(record);
        await putNames(store, [`noise-${i}`]);
        await putNames(store, ["multi"], "vault-2");
      }
      const first = await of(store).listVersions(VAULT, "multi", null, 2);
      assert.deepEqual(first.items, versions.slice(0, 2));
      assert.match(first.next ?? "", /^\d+$/);
      const { items, pages } = await collect((after) => of(store).listVersions(VAULT, "Multi", after, 2));
      assert.deepEqual(items, versions);
      assert.equal(pages, 3);
      // Keys increase along the pages.
      const second = await of(store).listVersions(VAULT, "multi", first.next, 2);
      assert.ok(Number(second.next) > Number(first.next));
      const all = await of(store).listVersions(VAULT, "multi", null, 5);
      assert.equal(all.next, null);
      assert.deepEqual(await of(store).listVersions(VAULT, "none", null, 5), { items: [], next: null });
    });

    test("updateVersion changes mutable fields of that version only", async (store) => {
      const v1 = secret(VAULT, "upd");
      const v2 = secret(VAULT, "upd");
      await of(store).putVersion(v1);
      await of(store).putVersion(v2);
      const changed: ObjectVersionRecord = {
        ...v1,
        name: "UPD",
        contentType: null,
        tags: { new: "tag" },
        attributes: { enabled: false, nbf: 1, exp: 2 },
        updatedAt: T0 + 99,
      };
      await of(store).updateVersion(changed);
      const got = await of(store).getVersion(VAULT, "upd", v1.version);
      assert.deepEqual(got, { ...changed, name: v1.name });
      assert.deepEqual(await of(store).getLatest(VAULT, "upd"), v2);
      await of(store).updateVersion({ ...v2, tags: null, contentType: "x" });
      assert.deepEqual(await of(store).getLatest(VAULT, "upd"), { ...v2, tags: null, contentType: "x" });
    });

    test("markDeleted hides the object; getDeleted shows its latest version and schedule", async (store) => {
      const v2 = secret(VAULT, "Gone");
      await of(store).putVersion(secret(VAULT, "gone"));
      await of(store).putVersion(v2);
      assert.equal(await of(store).getDeleted(VAULT, "gone"), null);
      assert.equal(await of(store).markDeleted(VAULT, "GONE", T0 + 10, T0 + 20), true);
      assert.equal(await of(store).getLatest(VAULT, "gone"), null);
      assert.equal(await of(store).getVersion(VAULT, "gone", v2.version), null);
      assert.deepEqual(await of(store).listVersions(VAULT, "gone", null, 10), { items: [], next: null });
      assert.deepEqual(await of(store).getDeleted(VAULT, "gOnE"), { latest: v2, deletedAt: T0 + 10, scheduledPurgeAt: T0 + 20 });
      assert.equal(await of(store).markDeleted(VAULT, "gone", T0 + 30, T0 + 40), false);
      assert.equal(await of(store).markDeleted(VAULT, "never", T0, T0), false);
      assert.equal(await of(store).getDeleted("vault-2", "gone"), null);
    });

    test("listDeleted: deleted objects only, ordered by lower-cased name, paged", async (store) => {
      await putNames(store, ["d-one", "D-Two", "d-three", "live", "d-four"]);
      await putNames(store, ["d-other"], "vault-2");
      await of(store).markDeleted("vault-2", "d-other", T0, T0);
      for (const [i, name] of ["d-one", "d-two", "d-three", "d-four"].entries()) {
        await of(store).markDeleted(VAULT, name, T0 + i, T0 + 100 + i);
      }
      const first = await of(store).listDeleted(VAULT, null, 3);
      assert.deepEqual(first.items.map((d) => d.latest.name), ["d-four", "d-one", "d-three"]);
      assert.equal(first.next, "d-three");
      const { items, pages } = await collect((after) => of(store).listDeleted(VAULT, after, 3));
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
      await of(store).markDeleted(VAULT, "locked", T0, T0 + 1000);
      await rejectsWith(of(store).putVersion(secret(VAULT, "LOCKED")), "conflict");
      assert.equal(await of(store).recover(VAULT, "locked"), true);
      assert.equal((await of(store).listVersions(VAULT, "locked", null, 10)).items.length, 1);
    });

    test("recover brings the object back with all its versions", async (store) => {
      const versions = [secret(VAULT, "phoenix"), secret(VAULT, "phoenix")];
      for (const v of versions) await of(store).putVersion(v);
      assert.equal(await of(store).recover(VAULT, "phoenix"), false);
      await of(store).markDeleted(VAULT, "phoenix", T0, T0 + 1);
      assert.equal(await of(store).recover(VAULT, "PHOENIX"), true);
      assert.equal(await of(store).getDeleted(VAULT, "phoenix"), null);
      assert.deepEqual(await of(store).getLatest(VAULT, "phoenix"), versions[1]);
      assert.deepEqual((await of(store).listVersions(VAULT, "phoenix", null, 10)).items, versions);
      assert.equal(await of(store).recover(VAULT, "phoenix"), false);
      assert.equal(await of(store).recover(VAULT, "never"), false);
      // Deletable again after recovery.
      assert.equal(await of(store).markDeleted(VAULT, "phoenix", T0 + 2, T0 + 3), true);
    });

    test("purge removes a deleted object and all its versions; live objects are not purged", async (store) => {
      const old = [secret(VAULT, "purged"), secret(VAULT, "purged")];
      for (const v of old) await of(store).putVersion(v);
      await putNames(store, ["alive"]);
      assert.equal(await of(store).purge(VAULT, "alive"), false);
      assert.notEqual(await of(store).getLatest(VAULT, "alive"), null);
      await of(store).markDeleted(VAULT, "purged", T0, T0 + 1);
      assert.equal(await of(store).purge(VAULT, "Purged"), true);
      assert.equal(await of(store).getDeleted(VAULT, "purged"), null);
      assert.equal(await of(store).purge(VAULT, "purged"), false);
      assert.deepEqual(await of(store).listDeleted(VAULT, null, 10), { items: [], next: null });
      // The name is free again and starts with no history.
      const fresh = secret(VAULT, "purged", { version: (old[0] as ObjectVersionRecord).version });
      await of(store).putVersion(fresh);
      assert.deepEqual((await of(store).listVersions(VAULT, "purged", null, 10)).items, [fresh]);
      assert.equal(await of(store).getVersion(VAULT, "purged", (old[1] as ObjectVersionRecord).version), null);
    });

    test("purgeExpired purges only deleted objects whose purge time has come", async (store) => {
      const now = T0 + 10_000;
      await putNames(store, ["past", "due-now", "future", "live"]);
      await putNames(store, ["other-past"], "vault-2");
      await of(store).markDeleted(VAULT, "past", T0, now - 1);
      await of(store).markDeleted(VAULT, "due-now", T0, now);
      await of(store).markDeleted(VAULT, "future", T0, now + 1);
      await of(store).markDeleted("vault-2", "other-past", T0, T0);
      assert.equal(await of(store).purgeExpired(now), 3);
      assert.deepEqual((await of(store).listDeleted(VAULT, null, 10)).items.map((d) => d.latest.name), ["future"]);
      assert.equal(await of(store).getDeleted("vault-2", "other-past"), null);
      assert.notEqual(await of(store).getLatest(VAULT, "live"), null);
      assert.equal(await of(store).purgeExpired(now), 0);
      assert.equal(await of(store).purgeExpired(now + 1), 1);
      assert.deepEqual(await of(store).listDeleted(VAULT, null, 10), { items: [], next: null });
    });

    test("20 concurrent putVersion on one name: all kept, latest is the last by seq", async (store) => {
      const records = Array.from({ length: 20 }, (_, i) => secret(VAULT, i % 2 ? "Hot" : "hot", { createdAt: T0 + i, updatedAt: T0 + i }));
      await Promise.all(records.map((record) => of(store).putVersion(record)));
      const all = await collect((after) => of(store).listVersions(VAULT, "hot", after, 7));
      assert.equal(all.items.length, 20);
      assert.deepEqual(
        new Set(all.items.map((v) => v.version)),
        new Set(records.map((r) => r.version)),
      );
      assert.deepEqual(await of(store).getLatest(VAULT, "hot"), all.items[19]);
      const listed = await of(store).listLatest(VAULT, null, 10);
      assert.deepEqual(listed.items, [all.items[19]]);
    });

    test("concurrent putVersion on different names all land", async (store) => {
      const records = Array.from({ length: 20 }, (_, i) => secret(VAULT, `par-${String(i).padStart(2, "0")}`));
      await Promise.all(records.map((record) => of(store).putVersion(record)));
      const all = await collect((after) => of(store).listLatest(VAULT, after, 6));
      assert.deepEqual(all.items, records);
    });

    test("restore inserts every version in order, keeping ids and timestamps; the last is the latest", async (store) => {
      const versions = [0, 1, 2].map((i) =>
        secret(VAULT, "Restored", { createdAt: T0 + i * 10, updatedAt: T0 + i * 10 + 5, tags: i === 1 ? null : { i: String(i) }, attributes: { enabled: i !== 0, nbf: null, exp: i === 2 ? T0 * 2 : null } }),
      );
      await of(store).restore(versions);
      assert.deepEqual(await of(store).getLatest(VAULT, "restored"), versions[2]);
      assert.deepEqual((await collect((after) => of(store).listVersions(VAULT, "RESTORED", after, 2))).items, versions);
      for (const v of versions) assert.deepEqual(await of(store).getVersion(VAULT, "restored", v.version), v);
      assert.deepEqual((await of(store).listLatest(VAULT, null, 10)).items, [versions[2]]);
      const next = secret(VAULT, "restored", { createdAt: T0 + 100, updatedAt: T0 + 100 });
      await of(store).putVersion(next);
      assert.deepEqual(await of(store).getLatest(VAULT, "restored"), next);
      await of(store).restore([]);
    });

    test("restore of a name that exists, live or deleted (any case) → StoreError conflict, nothing written", async (store) => {
      const [live] = await putNames(store, ["live-one"]);
      const [gone] = await putNames(store, ["gone-one"]);
      await of(store).markDeleted(VAULT, "gone-one", T0, T0 + 1000);
      const attempt = secret(VAULT, "LIVE-ONE");
      await rejectsWith(of(store).restore([attempt]), "conflict");
      assert.equal(await of(store).getVersion(VAULT, "live-one", attempt.version), null);
      assert.deepEqual(await of(store).getLatest(VAULT, "live-one"), live);
      const again = [secret(VAULT, "Gone-One"), secret(VAULT, "Gone-One")];
      await rejectsWith(of(store).restore(again), "conflict");
      assert.deepEqual((await of(store).getDeleted(VAULT, "gone-one"))?.latest, gone);
      await of(store).restore([secret("vault-2", "live-one")]);
      assert.notEqual(await of(store).getLatest("vault-2", "live-one"), null);
    });

    test("restore with a repeated version id → conflict, nothing written", async (store) => {
      const v = secret(VAULT, "twice");
      await rejectsWith(of(store).restore([v, { ...v, createdAt: T0 + 1 }]), "conflict");
      assert.equal(await of(store).getLatest(VAULT, "twice"), null);
      await of(store).putVersion(secret(VAULT, "twice"));
    });

    test("meta round-trips as JSON; updateVersion replaces it, for that version only", async (store) => {
      const meta = { kty: "EC", key_ops: ["sign", "verify"], crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", nested: { list: [1, null, true], text: "ü€ \u0000 \"q\"" } };
      const v1 = secret(VAULT, "Meta", { meta });
      const v2 = secret(VAULT, "meta", { meta: null });
      await of(store).putVersion(v1);
      await of(store).putVersion(v2);
      assert.deepEqual((await of(store).getVersion(VAULT, "meta", v1.version))?.meta, meta);
      assert.equal((await of(store).getLatest(VAULT, "meta"))?.meta, null);
      const changed = { ...meta, key_ops: ["verify"], release_policy: { contentType: "application/json; charset=utf-8", data: "e30" } };
      await of(store).updateVersion({ ...v1, meta: changed, updatedAt: T0 + 5 });
      assert.deepEqual(await of(store).getVersion(VAULT, "meta", v1.version), { ...v1, meta: changed, updatedAt: T0 + 5 });
      assert.deepEqual(await of(store).getLatest(VAULT, "meta"), v2);
      await of(store).updateVersion({ ...v2, meta: { exportable: true } });
      assert.deepEqual((await of(store).getLatest(VAULT, "meta"))?.meta, { exportable: true }, "latest after update");
      assert.deepEqual((await of(store).listVersions(VAULT, "meta", null, 10)).items.map((v) => v.meta), [changed, { exportable: true }]);
      await of(store).updateVersion({ ...v1, meta: null });
      assert.equal((await of(store).getVersion(VAULT, "meta", v1.version))?.meta, null);
      await of(store).markDeleted(VAULT, "meta", T0, T0 + 1);
      assert.deepEqual((await of(store).getDeleted(VAULT, "meta"))?.latest.meta, { exportable: true });
    });

    test("a record without meta reads back with meta null", async (store) => {
      const { meta: _meta, ...bare } = secret(VAULT, "no-meta");
      await of(store).putVersion(bare);
      assert.deepEqual(await of(store).getLatest(VAULT, "no-meta"), { ...bare, meta: null });
    });

    test("the collection is separate from the others: same names and version ids, own versions, own deletes", async (store) => {
      // A certificate's version id is also its key's and its secret's: the collections must not clash on it.
      const mine = secret(VAULT, "shared-name");
      const others = (Object.keys(BUILDERS) as Collection[]).filter((c) => c !== collection);
      const theirs = others.map((c) => ({ store: store[c], record: BUILDERS[c](VAULT, "shared-name", { version: mine.version }) }));
      await of(store).putVersion(mine);
      for (const other of theirs) await other.store.putVersion(other.record);
      assert.deepEqual(await of(store).getLatest(VAULT, "shared-name"), mine);
      assert.deepEqual(await of(store).getVersion(VAULT, "shared-name", mine.version), mine);
      for (const other of theirs) {
        assert.deepEqual(await other.store.getLatest(VAULT, "shared-name"), other.record);
        assert.deepEqual(await other.store.getVersion(VAULT, "shared-name", mine.version), other.record);
      }
      await of(store).markDeleted(VAULT, "shared-name", T0, T0);
      for (const other of theirs) assert.deepEqual(await other.store.getLatest(VAULT, "shared-name"), other.record);
      assert.equal(await of(store).purgeExpired(T0 + 1), 1);
      for (const other of theirs) {
        assert.deepEqual((await other.store.listLatest(VAULT, null, 10)).items, [other.record]);
        assert.deepEqual(await other.store.listDeleted(VAULT, null, 10), { items: [], next: null });
      }
    });

    test("concurrent restores of one name: exactly one lands", async (store) => {
      const attempts = Array.from({ length: 8 }, () => [secret(VAULT, "race"), secret(VAULT, "race")]);
      const results = await Promise.allSettled(attempts.map((versions) => of(store).restore(versions)));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.equal((r.reason as { kind?: string }).kind, "conflict");
      const winner = attempts[results.findIndex((r) => r.status === "fulfilled")]!;
      assert.deepEqual((await of(store).listVersions(VAULT, "race", null, 10)).items, winner);
    });
  });
}
