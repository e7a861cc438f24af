/** The VaultDocumentStore part of the storage contract suite (see store-contract.ts). */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { ObjectPage, VaultDocumentRecord, VaultDocumentStore } from "../../src/storage/types.js";
import { certificateVersion, T0, vault, vaultDocument, type ContractIt } from "./fixtures.js";

const VAULT = "vault-1";
const POLICY = "certificate-policy";
const OPERATION = "certificate-operation";
const NOW = 1_800_000_000;
const LEASE = NOW + 600;

const documentKey = (d: VaultDocumentRecord) => `${d.vaultId}/${d.kind}/${d.name.toLowerCase()}`;
const byKey = (a: VaultDocumentRecord, b: VaultDocumentRecord) => documentKey(a).localeCompare(documentKey(b));

/** Claims `kind` with small batches from several concurrent callers until nothing is due; returns every claim made. */
export async function drainDocumentsConcurrently(
  claimers: VaultDocumentStore[],
  kind: string,
  now: number,
  leaseUntil: number,
  batch: number,
): Promise<VaultDocumentRecord[]> {
  const taken: VaultDocumentRecord[] = [];
  await Promise.all(
    claimers.map(async (claimer) => {
      for (let round = 0; round < 1000; round++) {
        const claimed = await claimer.claimDue(kind, now, leaseUntil, batch);
        if (claimed.length === 0) return;
        taken.push(...claimed);
      }
      assert.fail("claiming does not terminate");
    }),
  );
  return taken;
}

async function listAll(documents: VaultDocumentStore, vaultId: string, kind: string, limit: number): Promise<{ pages: ObjectPage<VaultDocumentRecord>[] }> {
  const pages: ObjectPage<VaultDocumentRecord>[] = [];
  let after: string | null = null;
  do {
    const page: ObjectPage<VaultDocumentRecord> = await documents.list(vaultId, kind, after, limit);
    pages.push(page);
    after = page.next;
    assert.ok(pages.length < 100, "paging does not terminate");
  } while (after !== null);
  return { pages };
}

export function registerVaultDocumentContract(test: ContractIt): void {
  describe("vault documents", () => {
    test("put then get (case-insensitive name, per vault and kind); missing → null; put replaces, name included", async (store) => {
      const documents = store.vaultDocuments;
      const first = vaultDocument(VAULT, POLICY, "My-Cert");
      await documents.put(first);
      const got = await documents.get(VAULT, POLICY, "my-cert");
      assert.deepEqual(got, first);
      assert.ok(Buffer.isBuffer(got?.sealed));
      assert.deepEqual(await documents.get(VAULT, POLICY, "MY-CERT"), first);
      assert.equal(await documents.get(VAULT, POLICY, "other"), null);
      assert.equal(await documents.get(VAULT, OPERATION, "my-cert"), null);
      assert.equal(await documents.get("vault-2", POLICY, "my-cert"), null);
      const replaced = vaultDocument(VAULT, POLICY, "MY-cert", { body: { changed: [1, null, true] }, sealed: null, dueAt: null, updatedAt: first.updatedAt + 10 });
      await documents.put(replaced);
      assert.deepEqual(await documents.get(VAULT, POLICY, "my-cert"), replaced);
      assert.deepEqual((await documents.list(VAULT, POLICY, null, 10)).items, [replaced], "still one document");
    });

    test("insert writes only when absent (any case of the name); other kinds and vaults are separate", async (store) => {
      const documents = store.vaultDocuments;
      const first = vaultDocument(VAULT, OPERATION, "Pending");
      assert.equal(await documents.insert(first), true);
      assert.equal(await documents.insert(vaultDocument(VAULT, OPERATION, "PENDING", { body: { other: true } })), false);
      assert.deepEqual(await documents.get(VAULT, OPERATION, "pending"), first, "nothing written by the refused insert");
      const otherKind = vaultDocument(VAULT, POLICY, "pending");
      const otherVault = vaultDocument("vault-2", OPERATION, "pending");
      assert.equal(await documents.insert(otherKind), true);
      assert.equal(await documents.insert(otherVault), true);
      assert.deepEqual(await documents.get(VAULT, POLICY, "Pending"), otherKind);
      assert.deepEqual(await documents.get("vault-2", OPERATION, "Pending"), otherVault);
      assert.equal(await documents.delete(VAULT, OPERATION, "pending"), true);
      assert.equal(await documents.insert(first), true, "free again after delete");
    });

    test("concurrent inserts of one document: exactly one writes", async (store) => {
      const attempts = Array.from({ length: 8 }, (_, i) => vaultDocument(VAULT, OPERATION, i % 2 ? "race" : "RACE", { body: { attempt: i } }));
      const results = await Promise.all(attempts.map((d) => store.vaultDocuments.insert(d)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(await store.vaultDocuments.get(VAULT, OPERATION, "race"), attempts[results.indexOf(true)]);
    });

    test("delete: case-insensitive, true once, then false; other kinds and vaults untouched", async (store) => {
      const documents = store.vaultDocuments;
      const keptKind = vaultDocument(VAULT, OPERATION, "doc");
      const keptVault = vaultDocument("vault-2", POLICY, "doc");
      for (const d of [vaultDocument(VAULT, POLICY, "Doc"), keptKind, keptVault]) await documents.put(d);
      assert.equal(await documents.delete(VAULT, POLICY, "DOC"), true);
      assert.equal(await documents.get(VAULT, POLICY, "doc"), null);
      assert.equal(await documents.delete(VAULT, POLICY, "doc"), false);
      assert.equal(await documents.delete(VAULT, "certificate-issuer", "doc"), false);
      assert.deepEqual(await documents.get(VAULT, OPERATION, "doc"), keptKind);
      assert.deepEqual(await documents.get("vault-2", POLICY, "doc"), keptVault);
    });

    test("list: one vault and kind, ordered by lower-cased name, paged strictly after a name key", async (store) => {
      const documents = store.vaultDocuments;
      const names = ["charlie", "Bravo", "alpha", "a.b", "a_b", "a-c", "ab", "Zulu"];
      for (const name of names) await documents.put(vaultDocument(VAULT, "certificate-issuer", name));
      await documents.put(vaultDocument(VAULT, POLICY, "alpha-policy"));
      await documents.put(vaultDocument("vault-2", "certificate-issuer", "other-vault"));
      const expected = ["a-c", "a.b", "a_b", "ab", "alpha", "Bravo", "charlie", "Zulu"];
      const whole = await documents.list(VAULT, "certificate-issuer", null, 100);
      assert.deepEqual(whole.items.map((d) => d.name), expected);
      assert.equal(whole.next, null);
      const { pages } = await listAll(documents, VAULT, "certificate-issuer", 3);
      assert.deepEqual(pages.map((p) => p.items.map((d) => d.name)), [expected.slice(0, 3), expected.slice(3, 6), expected.slice(6)]);
      assert.deepEqual(pages.map((p) => p.next), ["a_b", "bravo", null]);
      // Exactly `limit` left: no further page is promised.
      assert.deepEqual(await documents.list(VAULT, "certificate-issuer", "bravo", 2), { items: whole.items.slice(6), next: null });
      assert.deepEqual((await documents.list(VAULT, "certificate-issuer", "b", 1)).items.map((d) => d.name), ["Bravo"]);
      assert.deepEqual(await documents.list(VAULT, "certificate-issuer", "zulu", 10), { items: [], next: null });
      assert.deepEqual(await documents.list(VAULT, "certificate-contacts", null, 10), { items: [], next: null });
      assert.deepEqual((await documents.list("vault-2", "certificate-issuer", null, 10)).items.map((d) => d.name), ["other-vault"]);
    });

    test("claimDue takes the kind's due documents of any vault once, leases them, and leaves the rest alone", async (store) => {
      const documents = store.vaultDocuments;
      const past = vaultDocument(VAULT, OPERATION, "past", { dueAt: NOW - 100 });
      const exactly = vaultDocument("vault-2", OPERATION, "exactly-now", { dueAt: NOW });
      const future = vaultDocument(VAULT, OPERATION, "future", { dueAt: NOW + 1 });
      const never = vaultDocument(VAULT, OPERATION, "never", { dueAt: null });
      const otherKind = vaultDocument(VAULT, POLICY, "past", { dueAt: NOW - 100 });
      for (const d of [past, exactly, future, never, otherKind]) await documents.put(d);

      const claimed = await documents.claimDue(OPERATION, NOW, LEASE, 10);
      assert.deepEqual(claimed.sort(byKey), [{ ...past, dueAt: LEASE }, { ...exactly, dueAt: LEASE }].sort(byKey));
      assert.ok(claimed.every((d) => Buffer.isBuffer(d.sealed)));
      assert.equal((await documents.get(VAULT, OPERATION, "past"))?.dueAt, LEASE);
      assert.deepEqual(await documents.get(VAULT, OPERATION, "future"), future);
      assert.deepEqual(await documents.get(VAULT, OPERATION, "never"), never);
      assert.deepEqual(await documents.get(VAULT, POLICY, "past"), otherKind, "another kind is not claimed");
      // Leased: not taken again until the lease runs out.
      assert.deepEqual(await documents.claimDue(OPERATION, NOW, LEASE, 10), []);
      assert.deepEqual(await documents.claimDue(OPERATION, LEASE - 1, LEASE + 600, 10), [{ ...future, dueAt: LEASE + 600 }]);
      const again = await documents.claimDue(OPERATION, LEASE + 0.5, LEASE + 1200.5, 10);
      assert.deepEqual(again.map((d) => d.name).sort(), ["exactly-now", "past"]);
      assert.ok(again.every((d) => d.dueAt === LEASE + 1201), "fractional seconds: claimed at or after, leased up to whole seconds");
      assert.deepEqual(await documents.claimDue(POLICY, NOW, LEASE, 10), [{ ...otherKind, dueAt: LEASE }]);
      assert.deepEqual(await documents.get(VAULT, OPERATION, "never"), never);
    });

    test("claimDue honours the limit, earliest due first", async (store) => {
      const documents = store.vaultDocuments;
      for (let i = 0; i < 5; i++) await documents.put(vaultDocument(VAULT, OPERATION, `d${i}`, { dueAt: NOW - 10 + i }));
      const first = await documents.claimDue(OPERATION, NOW, LEASE, 2);
      assert.deepEqual(first.map((d) => d.name).sort(), ["d0", "d1"]);
      assert.deepEqual(await documents.claimDue(OPERATION, NOW, LEASE, 0), []);
      const rest = await documents.claimDue(OPERATION, NOW, LEASE, 10);
      assert.deepEqual(rest.map((d) => d.name).sort(), ["d2", "d3", "d4"]);
    });

    test("concurrent claimers take each due document exactly once", async (store) => {
      const documents = store.vaultDocuments;
      const due = Array.from({ length: 60 }, (_, i) => vaultDocument(`vault-${i % 3}`, OPERATION, `due-${i}`, { dueAt: NOW - i }));
      const notDue = Array.from({ length: 5 }, (_, i) => vaultDocument(VAULT, OPERATION, `later-${i}`, { dueAt: NOW + 1 + i }));
      for (const d of [...due, ...notDue]) await documents.put(d);
      const taken = await drainDocumentsConcurrently([documents, documents, documents, documents], OPERATION, NOW, LEASE, 4);
      assert.equal(taken.length, due.length, "each due document taken once");
      assert.deepEqual(new Set(taken.map(documentKey)), new Set(due.map(documentKey)));
      for (const d of notDue) assert.deepEqual(await documents.get(VAULT, OPERATION, d.name), d);
    });

    test("purging a deleted vault removes its documents and certificates; other vaults keep theirs", async (store) => {
      const gone = vault("purge-certs", { deletedAt: T0 });
      const keep = vault("keep-certs");
      await store.vaults.insert(gone);
      await store.vaults.insert(keep);
      for (const kind of [POLICY, OPERATION]) await store.vaultDocuments.put(vaultDocument(gone.id, kind, "c", { dueAt: 1 }));
      await store.vaultDocuments.put(vaultDocument(gone.id, "certificate-contacts", "contacts"));
      const oldVersion = certificateVersion(gone.id, "c");
      await store.certificates.putVersion(oldVersion);
      await store.certificates.putVersion(certificateVersion(gone.id, "c"));
      await store.certificates.putVersion(certificateVersion(gone.id, "deleted-c"));
      await store.certificates.markDeleted(gone.id, "deleted-c", T0, T0 + 1);
      const keptDocument = vaultDocument(keep.id, OPERATION, "c", { dueAt: 1 });
      const keptCertificate = certificateVersion(keep.id, "c");
      await store.vaultDocuments.put(keptDocument);
      await store.certificates.putVersion(keptCertificate);
      assert.notEqual(await store.certificates.getVersion(gone.id, "c", oldVersion.version), null, "read (and cached) before the purge");

      assert.equal(await store.vaults.purgeDeleted(gone.id), true);
      for (const kind of [POLICY, OPERATION]) assert.equal(await store.vaultDocuments.get(gone.id, kind, "c"), null);
      assert.deepEqual(await store.vaultDocuments.list(gone.id, "certificate-contacts", null, 10), { items: [], next: null });
      assert.equal(await store.certificates.getLatest(gone.id, "c"), null);
      assert.equal(await store.certificates.getVersion(gone.id, "c", oldVersion.version), null);
      assert.deepEqual(await store.certificates.listDeleted(gone.id, null, 10), { items: [], next: null });
      assert.deepEqual(await store.vaultDocuments.get(keep.id, OPERATION, "c"), keptDocument);
      assert.deepEqual(await store.certificates.getLatest(keep.id, "c"), keptCertificate);
      // The purged vault's documents are gone from the due set too: only the kept vault's is claimed.
      assert.deepEqual((await store.vaultDocuments.claimDue(OPERATION, 2, 3, 10)).map((d) => d.vaultId), [keep.id]);
    });

    test("purgeDeleted refuses a live vault: its documents stay", async (store) => {
      const live = vault("live-certs");
      await store.vaults.insert(live);
      const kept = vaultDocument(live.id, POLICY, "c");
      await store.vaultDocuments.put(kept);
      assert.equal(await store.vaults.purgeDeleted(live.id), false);
      assert.deepEqual(await store.vaultDocuments.get(live.id, POLICY, "c"), kept);
    });
  });
}
