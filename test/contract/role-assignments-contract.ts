/** The RoleAssignmentStore part of the storage contract suite (see store-contract.ts). */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe } from "node:test";
import type { RoleAssignmentRecord } from "../../src/storage/types.js";
import { rejectsWith, T0, type ContractIt } from "./fixtures.js";

function assignment(overrides: Partial<RoleAssignmentRecord> = {}): RoleAssignmentRecord {
  return {
    id: randomUUID(),
    scope: "/subscriptions/sub-1/resourceGroups/rg-1",
    roleDefinitionId: "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
    principalId: randomUUID(),
    principalType: "ServicePrincipal",
    description: null,
    createdAt: T0,
    createdBy: randomUUID(),
    ...overrides,
  };
}

export function registerRoleAssignmentContract(test: ContractIt): void {
  describe("role assignments", () => {
    test("empty store: get returns null, list is empty, delete reports nothing deleted", async (store) => {
      assert.equal(await store.roleAssignments.get(randomUUID()), null);
      assert.deepEqual(await store.roleAssignments.list(), []);
      assert.equal(await store.roleAssignments.delete(randomUUID()), false);
    });
    test("insert then get round-trips every field; ids compare case-insensitively", async (store) => {
      const a = assignment({ description: "ci reader", scope: "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.KeyVault/vaults/v1/secrets/s1" });
      await store.roleAssignments.insert(a);
      assert.deepEqual(await store.roleAssignments.get(a.id), a);
      assert.deepEqual(await store.roleAssignments.get(a.id.toUpperCase()), a);
    });
    test("list returns all assignments in creation order", async (store) => {
      const items = [assignment({ id: "f0000000-0000-0000-0000-000000000000" }), assignment({ id: "00000000-0000-0000-0000-00000000000f" }), assignment()];
      for (const item of items) await store.roleAssignments.insert(item);
      assert.deepEqual(await store.roleAssignments.list(), items);
    });
    test("insert with a taken id → conflict, the first stays", async (store) => {
      const a = assignment();
      await store.roleAssignments.insert(a);
      await rejectsWith(store.roleAssignments.insert({ ...a, principalId: randomUUID() }), "conflict");
      await rejectsWith(store.roleAssignments.insert({ ...assignment(), id: a.id.toUpperCase() }), "conflict");
      assert.deepEqual(await store.roleAssignments.list(), [a]);
    });
    test("delete removes exactly one and reports it", async (store) => {
      const a = assignment();
      const b = assignment();
      await store.roleAssignments.insert(a);
      await store.roleAssignments.insert(b);
      assert.equal(await store.roleAssignments.delete(a.id.toUpperCase()), true);
      assert.equal(await store.roleAssignments.delete(a.id), false);
      assert.equal(await store.roleAssignments.get(a.id), null);
      assert.deepEqual(await store.roleAssignments.list(), [b]);
    });
  });
}
