/**
 * Integrity of authorization data: every principal, vault and role-assignment row carries a MAC (crypto/row-mac.ts)
 * written here on every insert and update and checked here on every read. A row that fails — altered, forged or
 * copied under another id by someone with write access to the database but not the root key — is treated as absent
 * (fail closed: its grants and credentials count for nothing) and reported in one log line naming its kind and id.
 * Rows written before this check existed are given their MAC once, at the first start that has it.
 */
import { rowMac, rowMacMatches } from "../crypto/row-mac.js";
import type { PrincipalRecord, PrincipalStore, RoleAssignmentRecord, RoleAssignmentStore, Store, VaultRecord, VaultStore } from "../storage/types.js";

const UPGRADED_SETTING = "row-integrity.v1";

type Protected<T> = T & { integrity?: string };

class RowGuard {
  constructor(
    private readonly key: Buffer,
    private readonly report: (kind: string, id: string) => void,
  ) {}

  seal<T extends object>(kind: string, id: string, record: T): T {
    const bare = strip(record);
    return { ...bare, integrity: rowMac(this.key, kind, id, bare) } as T;
  }

  open<T extends object>(kind: string, id: (r: T) => string, record: T | null): T | null {
    if (record === null) return null;
    const { integrity, ...bare } = record as Protected<T>;
    if (rowMacMatches(this.key, kind, id(bare as T), bare, integrity)) return bare as T;
    this.report(kind, id(bare as T));
    return null;
  }

  openAll<T extends object>(kind: string, id: (r: T) => string, records: T[]): T[] {
    return records.map((r) => this.open(kind, id, r)).filter((r): r is T => r !== null);
  }
}

function strip<T extends object>(record: T): T {
  const { integrity: _ignored, ...bare } = record as Protected<T>;
  return bare as T;
}

const principalId = (p: PrincipalRecord) => p.objectId;
const vaultId = (v: VaultRecord) => v.id;
const assignmentId = (a: RoleAssignmentRecord) => a.id.toLowerCase();

function guardPrincipals(inner: PrincipalStore, guard: RowGuard): PrincipalStore {
  const open = (r: PrincipalRecord | null) => guard.open("principal", principalId, r);
  return {
    get: async (id) => open(await inner.get(id)),
    getByAppId: async (id) => open(await inner.getByAppId(id)),
    getByAppObjectId: async (id) => open(await inner.getByAppObjectId(id)),
    list: async () => guard.openAll("principal", principalId, await inner.list()),
    insert: (r) => inner.insert(guard.seal("principal", r.objectId, r)),
    update: (r) => inner.update(guard.seal("principal", r.objectId, r)),
    delete: (id) => inner.delete(id),
  };
}

function guardVaults(inner: VaultStore, guard: RowGuard): VaultStore {
  const open = (r: VaultRecord | null) => guard.open("vault", vaultId, r);
  return {
    getByName: async (name) => open(await inner.getByName(name)),
    listBySubscription: async (s) => guard.openAll("vault", vaultId, await inner.listBySubscription(s)),
    insert: (r) => inner.insert(guard.seal("vault", r.id, r)),
    update: (r) => inner.update(guard.seal("vault", r.id, r)),
    delete: (id) => inner.delete(id),
    listDeleted: async (s) => guard.openAll("vault", vaultId, await inner.listDeleted(s)),
    getDeletedByName: async (name) => open(await inner.getDeletedByName(name)),
    purgeDeleted: (id) => inner.purgeDeleted(id),
  };
}

function guardRoleAssignments(inner: RoleAssignmentStore, guard: RowGuard): RoleAssignmentStore {
  return {
    get: async (id) => guard.open("role-assignment", assignmentId, await inner.get(id)),
    list: async () => guard.openAll("role-assignment", assignmentId, await inner.list()),
    insert: (r) => inner.insert(guard.seal("role-assignment", r.id.toLowerCase(), r)),
    delete: (id) => inner.delete(id),
    replace: (r) => inner.replace(guard.seal("role-assignment", r.id.toLowerCase(), r)),
  };
}

/** Logs a failed row: its kind and id only, never its content. */
function logFailedRow(kind: string, id: string): void {
  console.error(JSON.stringify({ level: "error", event: "row-integrity-failed", kind, id, message: "row failed its integrity check and is ignored" }));
}

/**
 * The store with its authorization rows guarded. Call once at start, after `sealUnprotectedRows` has run.
 * `key` comes from crypto/row-mac.ts `deriveRowMacKey(rootKey)`.
 */
export function guardAuthorizationRows(store: Store, key: Buffer, report: (kind: string, id: string) => void = logFailedRow): Store {
  const guard = new RowGuard(key, report);
  return {
    ...store,
    principals: guardPrincipals(store.principals, guard),
    vaults: guardVaults(store.vaults, guard),
    roleAssignments: guardRoleAssignments(store.roleAssignments, guard),
  };
}

/**
 * The one-time upgrade: gives a MAC to every row written before this check existed, then records that it ran, so
 * that from then on a row without a MAC is refused like an altered one. Idempotent and safe on several nodes at
 * once (the MAC of a row is deterministic).
 */
export async function sealUnprotectedRows(store: Store, key: Buffer, subscriptionId: string): Promise<number> {
  if ((await store.settings.get(UPGRADED_SETTING)) !== null) return 0;
  const guard = new RowGuard(key, () => undefined);
  let sealed = 0;
  for (const p of (await store.principals.list()) as Protected<PrincipalRecord>[]) {
    if (p.integrity !== undefined) continue;
    await store.principals.update(guard.seal("principal", p.objectId, p));
    sealed++;
  }
  const vaults = [...(await store.vaults.listBySubscription(subscriptionId)), ...(await store.vaults.listDeleted(subscriptionId))] as Protected<VaultRecord>[];
  for (const v of vaults) {
    if (v.integrity !== undefined) continue;
    await store.vaults.update(guard.seal("vault", v.id, v));
    sealed++;
  }
  for (const a of (await store.roleAssignments.list()) as Protected<RoleAssignmentRecord>[]) {
    if (a.integrity !== undefined) continue;
    await store.roleAssignments.replace(guard.seal("role-assignment", a.id.toLowerCase(), a));
    sealed++;
  }
  await store.settings.putIfAbsent(UPGRADED_SETTING, new Date().toISOString());
  return sealed;
}
