/** The VaultStore's soft-delete part of the storage contract suite (see store-contract.ts). */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { keyVersion, rotationPolicy, secret, T0, vault, type ContractIt } from "./fixtures.js";

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

    test("purgeDeleted removes the vault's keys, key versions and rotation policies too; other vaults keep theirs", async (store) => {
      const gone = vault("purge-keys", { deletedAt: T0 });
      const keep = vault("keep-keys");
      await store.vaults.insert(gone);
      await store.vaults.insert(keep);
      await store.keys.putVersion(keyVersion(gone.id, "k"));
      const oldVersion = keyVersion(gone.id, "k");
      await store.keys.putVersion(oldVersion);
      await store.keys.putVersion(keyVersion(gone.id, "deleted-k"));
      await store.keys.markDeleted(gone.id, "deleted-k", T0, T0 + 1);
      await store.keyRotationPolicies.put(rotationPolicy(gone.id, "k", { dueAt: 1 }));
      const keptKey = keyVersion(keep.id, "k");
      const keptPolicy = rotationPolicy(keep.id, "k", { dueAt: 1 });
      await store.keys.putVersion(keptKey);
      await store.keyRotationPolicies.put(keptPolicy);
      assert.equal(await store.keys.getLatest(gone.id, "k") !== null, true, "read (and cached) before the purge");
      assert.equal(await store.vaults.purgeDeleted(gone.id), true);
      assert.equal(await store.keys.getLatest(gone.id, "k"), null);
      assert.equal(await store.keys.getVersion(gone.id, "k", oldVersion.version), null);
      assert.deepEqual(await store.keys.listLatest(gone.id, null, 10), { items: [], next: null });
      assert.deepEqual(await store.keys.listDeleted(gone.id, null, 10), { items: [], next: null });
      assert.equal(await store.keyRotationPolicies.get(gone.id, "k"), null);
      assert.deepEqual(await store.keys.getLatest(keep.id, "k"), keptKey);
      assert.deepEqual(await store.keyRotationPolicies.get(keep.id, "k"), keptPolicy);
      // The purged vault's policy is gone from the due set too: only the kept vault's is claimed.
      assert.deepEqual((await store.keyRotationPolicies.claimDue(2, 3, 10)).map((p) => p.vaultId), [keep.id]);
      // The same key name under a new vault with the purged vault's id starts empty (nothing left behind).
      await store.keys.restore([keyVersion(gone.id, "k")]);
    });

    test("purgeDeleted refuses a live vault (e.g. recovered meanwhile): nothing removed", async (store) => {
      const live = vault("recovered");
      await store.vaults.insert(live);
      const kept = secret(live.id, "s");
      await store.secrets.putVersion(kept);
      const keptKey = keyVersion(live.id, "k");
      await store.keys.putVersion(keptKey);
      await store.keyRotationPolicies.put(rotationPolicy(live.id, "k"));
      assert.equal(await store.vaults.purgeDeleted(live.id), false);
      assert.deepEqual(await store.keys.getLatest(live.id, "k"), keptKey);
      assert.notEqual(await store.keyRotationPolicies.get(live.id, "k"), null);
      assert.equal(await store.vaults.purgeDeleted("missing"), false);
      assert.deepEqual(await store.vaults.getByName("recovered"), live);
      assert.deepEqual(await store.secrets.getLatest(live.id, "s"), kept);
    });
  });
}
