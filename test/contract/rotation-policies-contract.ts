/** The RotationPolicyStore part of the storage contract suite (see store-contract.ts). */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { RotationPolicyRecord, RotationPolicyStore } from "../../src/storage/types.js";
import { rotationPolicy, type ContractIt } from "./fixtures.js";

const VAULT = "vault-1";
const NOW = 1_800_000_000;
const LEASE = NOW + 600;

const byKey = (a: RotationPolicyRecord, b: RotationPolicyRecord) => `${a.vaultId}/${a.name}`.localeCompare(`${b.vaultId}/${b.name}`);

/** Claims with small batches from several concurrent callers until nothing is due; returns every claim made. */
export async function drainConcurrently(claimers: RotationPolicyStore[], now: number, leaseUntil: number, batch: number): Promise<RotationPolicyRecord[]> {
  const taken: RotationPolicyRecord[] = [];
  await Promise.all(
    claimers.map(async (claimer) => {
      for (let round = 0; round < 1000; round++) {
        const claimed = await claimer.claimDue(now, leaseUntil, batch);
        if (claimed.length === 0) return;
        taken.push(...claimed);
      }
      assert.fail("claiming does not terminate");
    }),
  );
  return taken;
}

export function registerRotationPolicyContract(test: ContractIt): void {
  describe("key rotation policies", () => {
    test("put then get (case-insensitive name); missing → null; put replaces; delete", async (store) => {
      const policies = store.keyRotationPolicies;
      const first = rotationPolicy(VAULT, "My-Key");
      await policies.put(first);
      assert.deepEqual(await policies.get(VAULT, "my-key"), first);
      assert.deepEqual(await policies.get(VAULT, "MY-KEY"), first);
      assert.equal(await policies.get(VAULT, "other"), null);
      assert.equal(await policies.get("vault-2", "my-key"), null);
      const replaced = rotationPolicy(VAULT, "my-key", {
        policy: { lifetimeActions: [{ trigger: { timeBeforeExpiry: "P7D" }, action: { type: "Notify" } }], attributes: { expiryTime: "P1Y" }, text: "ü \u0000" },
        dueAt: null,
        updatedAt: first.updatedAt + 10,
      });
      await policies.put(replaced);
      // The name keeps the casing it was first stored with.
      assert.deepEqual(await policies.get(VAULT, "my-key"), { ...replaced, name: "My-Key" });
      assert.equal(await policies.delete(VAULT, "MY-key"), true);
      assert.equal(await policies.get(VAULT, "my-key"), null);
      assert.equal(await policies.delete(VAULT, "my-key"), false);
    });

    test("claimDue takes due policies once, leases them until leaseUntil, and leaves the rest alone", async (store) => {
      const policies = store.keyRotationPolicies;
      const past = rotationPolicy(VAULT, "past", { dueAt: NOW - 100 });
      const exactly = rotationPolicy("vault-2", "exactly-now", { dueAt: NOW });
      const future = rotationPolicy(VAULT, "future", { dueAt: NOW + 1 });
      const never = rotationPolicy(VAULT, "never", { dueAt: null });
      for (const p of [past, exactly, future, never]) await policies.put(p);

      const claimed = await policies.claimDue(NOW, LEASE, 10);
      assert.deepEqual(claimed.sort(byKey), [
        { ...past, dueAt: LEASE },
        { ...exactly, dueAt: LEASE },
      ].sort(byKey));
      assert.equal((await policies.get(VAULT, "past"))?.dueAt, LEASE);
      assert.deepEqual(await policies.get(VAULT, "future"), future);
      assert.deepEqual(await policies.get(VAULT, "never"), never);
      // Leased: not taken again until the lease runs out.
      assert.deepEqual(await policies.claimDue(NOW, LEASE, 10), []);
      assert.deepEqual(await policies.claimDue(LEASE - 1, LEASE + 600, 10), [{ ...future, dueAt: LEASE + 600 }]);
      const again = await policies.claimDue(LEASE, LEASE + 1200, 10);
      assert.deepEqual(again.map((p) => p.name).sort(), ["exactly-now", "past"]);
      assert.deepEqual(await policies.get(VAULT, "never"), never);
    });

    test("claimDue honours the limit, earliest due first", async (store) => {
      const policies = store.keyRotationPolicies;
      for (let i = 0; i < 5; i++) await policies.put(rotationPolicy(VAULT, `k${i}`, { dueAt: NOW - 10 + i }));
      const first = await policies.claimDue(NOW, LEASE, 2);
      assert.deepEqual(first.map((p) => p.name), ["k0", "k1"]);
      assert.deepEqual(await policies.claimDue(NOW, LEASE, 0), []);
      const rest = await policies.claimDue(NOW, LEASE, 10);
      assert.deepEqual(rest.map((p) => p.name).sort(), ["k2", "k3", "k4"]);
    });

    test("concurrent claimers take each due policy exactly once", async (store) => {
      const policies = store.keyRotationPolicies;
      const due = Array.from({ length: 60 }, (_, i) => rotationPolicy(VAULT, `due-${i}`, { dueAt: NOW - i }));
      const notDue = Array.from({ length: 5 }, (_, i) => rotationPolicy(VAULT, `later-${i}`, { dueAt: NOW + 1 + i }));
      for (const p of [...due, ...notDue]) await policies.put(p);
      const taken = await drainConcurrently([policies, policies, policies, policies], NOW, LEASE, 4);
      assert.equal(taken.length, due.length, "each due policy taken once");
      assert.deepEqual(new Set(taken.map((p) => p.name)), new Set(due.map((p) => p.name)));
      for (const p of notDue) assert.deepEqual(await policies.get(VAULT, p.name), p);
    });
  });
}
