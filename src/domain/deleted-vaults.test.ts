/** Retention of deleted vaults and the subscription binding of secret backups, against a throwaway SQLite store. */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openSqliteStore } from "../storage/sqlite/open.js";
import type { Store, VaultRecord } from "../storage/types.js";
import { LocalChangeFeed } from "./change-feed.js";
import { DeletedVaultService } from "./deleted-vaults.js";
import { DomainError } from "./errors.js";
import { Keyring } from "./keyring.js";
import { SecretBackups } from "./secret-backup.js";
import { SecretService } from "./secrets.js";

const DAY = 86_400_000;

function vault(name: string, overrides: Partial<VaultRecord> = {}): VaultRecord {
  return {
    id: randomUUID(),
    name,
    subscriptionId: "sub-a",
    resourceGroup: "rg",
    location: "westus",
    tags: {},
    properties: {
      tenantId: "t",
      sku: { family: "A", name: "standard" },
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 7,
      enableRbacAuthorization: false,
      enablePurgeProtection: null,
      publicNetworkAccess: "Enabled",
    },
    createdAt: 0,
    createdBy: "x",
    updatedAt: 0,
    updatedBy: "x",
    deletedAt: null,
    ...overrides,
  };
}

describe("deleted vaults and backups (domain)", { timeout: 30_000 }, () => {
  let dir: string;
  let store: Store;
  let keyring: Keyring;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-domain-"));
    store = openSqliteStore(path.join(dir, "kluis.db"));
    keyring = new Keyring(store.dataKeys, randomBytes(32));
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("purgeExpired purges deleted vaults (and their secrets) whose retention is over, purge protection or not", async () => {
    const now = Date.now();
    const secrets = new SecretService(store.secrets, keyring);
    const due = vault("due-vault", { deletedAt: now - 7 * DAY, properties: { ...vault("x").properties, enablePurgeProtection: true } });
    const early = vault("early-vault", { deletedAt: now - 7 * DAY + 60_000 });
    const live = vault("live-vault");
    for (const v of [due, early, live]) await store.vaults.insert(v);
    await secrets.set({ ...due, deletedAt: null }, "inside", { value: "v" });
    const service = new DeletedVaultService(store, new LocalChangeFeed());
    await assert.rejects(service.purge("sub-a", "westus", "due-vault", now - 60_000), (e: DomainError) => e.code === "InvalidOperation");
    assert.equal(await service.purgeExpired("sub-a", now), 1);
    assert.equal(await store.vaults.getDeletedByName("due-vault"), null);
    assert.equal(await store.secrets.getLatest(due.id, "inside"), null);
    assert.deepEqual((await service.list("sub-a")).map((d) => d.vault.name), ["early-vault"]);
    assert.equal(await service.purgeExpired("sub-b", now + 365 * DAY), 0);
  });

  it("a backup restores into any vault of its subscription, and into no vault of another", async () => {
    const secrets = new SecretService(store.secrets, keyring);
    const backups = new SecretBackups(store.secrets, keyring);
    const source = vault("source-vault");
    await secrets.set(source, "Moving", { value: "m1" });
    const blob = (await backups.backup(source, "moving")).toString("base64url");
    const foreign = vault("foreign-vault", { subscriptionId: "sub-b" });
    await assert.rejects(backups.restore(foreign, blob), (e: DomainError) => e.code === "BadParameter" && /corrupt/.test(e.message));
    const sibling = vault("sibling-vault");
    const restored = await backups.restore(sibling, blob);
    assert.equal(restored.name, "Moving");
    assert.equal((await secrets.get(sibling, "MOVING")).value, "m1");
    await assert.rejects(backups.restore(sibling, blob), (e: DomainError) => e.code === "Conflict");
  });
});
