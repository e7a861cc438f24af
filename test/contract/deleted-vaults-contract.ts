/** The VaultStore's soft-delete part of the storage contract suite (see store-contract.ts). */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { secret, T0, vault, type ContractIt } from "./fixtures.js";

export function registerDeletedVaultContract(test: ContractIt): void {
  describe("deleted vaults", () => {
    test("listDeleted: deleted vaults of the subscription only, ordered by lower-cased name", async (store) => {
      const b = vault("Bravo-gone", { deletedAt: T0 + 2 });
      const a = vault("alpha-gone", { deletedAt: T0 + 1 });
      const live = vault("still-here");
      const other = vault("other-sub-gone", { subscriptionId: "sub-2", deletedAt: T0 });
      for (const v of [b, live, other, a]) await store.vaults.insert(v);
      assert.deepEqual(await store.vaults.listDeleted("sub-1"), [a, b]);
      assert.deepEqual(await store.vaults.listDeleted("sub-2"), [other]);
      assert.deepEqual(await store.vaults.listDeleted("sub-3"), []);
      const deleted = { ...live, deletedAt: T0 + 3 };
      await store.vaults.update(deleted);
      assert.deepEqual(await store.vaults.listDeleted("sub-1"), [a, b, deleted]);
    });

    test("getDeletedByName: case-insensitive, deleted vaults only", async (store) => {
      const gone = vault("Gone-Vault", { deletedAt: T0 });
      await store.vaults.insert(gone);
      await store.vaults.insert(vault("live-vault"));
      assert.deepEqual(await store.vaults.getDeletedByName("gone-vault"), gone);
      assert.deepEqual(await store.vaults.getDeletedByName("GONE-VAULT"), gone);
      assert.equal(await store.vaults.getDeletedByName("live-vault"), null);
      assert.equal(await store.vaults.getDeletedByName("missing"), null);
      await store.vaults.update({ ...gone, deletedAt: null });
      assert.equal(await store.vaults.getDeletedByName("gone-vault"), null);
      assert.deepEqual(await store.vaults.getByName("gone-vault"), { ...gone, deletedAt: null });
    });

    test("purgeDeleted removes the deleted vault and its secrets, frees the name, and leaves other vaults alone", async (store) => {
      const gone = vault("purge-me", { deletedAt: T0 });
      const keep = vault("keep-me");
      await store.vaults.insert(gone);
      await store.vaults.insert(keep);
      await store.secrets.putVersion(secret(gone.id, "a"));
      await store.secrets.putVersion(secret(gone.id, "a"));
      await store.secrets.putVersion(secret(gone.id, "b"));
      await store.secrets.markDeleted(gone.id, "b", T0, T0 + 1);
      const kept = secret(keep.id, "a");
      await store.secrets.putVersion(kept);
      assert.equal(await store.vaults.purgeDeleted(gone.id), true);
      assert.equal(await store.vaults.getDeletedByName("purge-me"), null);
      assert.deepEqual(await store.secrets.listLatest(gone.id, null, 10), { items: [], next: null });
      assert.deepEqual(await store.secrets.listDeleted(gone.id, null, 10), { items: [], next: null });
      assert.deepEqual(await store.secrets.getLatest(keep.id, "a"), kept);
      assert.equal(await store.vaults.purgeDeleted(gone.id), false);
      await store.vaults.insert(vault("PURGE-ME"));
    });

    test("purgeDeleted refuses a live vault (e.g. recovered meanwhile): nothing removed", async (store) => {
      const live = vault("recovered");
      await store.vaults.insert(live);
      const kept = secret(live.id, "s");
      await store.secrets.putVersion(kept);
      assert.equal(await store.vaults.purgeDeleted(live.id), false);
      assert.equal(await store.vaults.purgeDeleted("missing"), false);
      assert.deepEqual(await store.vaults.getByName("recovered"), live);
      assert.deepEqual(await store.secrets.getLatest(live.id, "s"), kept);
    });
  });
}
