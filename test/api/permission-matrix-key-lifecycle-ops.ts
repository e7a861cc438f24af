/**
 * The keys lifecycle operations of the permission matrix (create, import, get, list, update, rotate, delete and the
 * deleted-key cycle, backup, restore), as data beside the secrets and key-cryptography ones: the vault set-up, the
 * request, the access-policy permission and the RBAC data action each needs.
 */
import crypto from "node:crypto";
import type { Kv, Request, SecretOperation } from "./permission-matrix-ops.js";

const K = "Microsoft.KeyVault/vaults/keys";

/** Every key permission an access policy can hold, but "all". */
export const KEY_LIFECYCLE_POLICY_PERMISSIONS = [
  "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "decrypt", "encrypt",
  "unwrapkey", "wrapkey", "verify", "sign", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy",
];

async function create(kv: Kv, name: string): Promise<string> {
  const created = await kv.ok({ method: "POST", path: `/keys/${name}/create`, body: { kty: "EC" } });
  return String(created.body.key.kid).split("/").pop()!;
}

async function createDeleted(kv: Kv, name: string): Promise<void> {
  await create(kv, name);
  await kv.ok({ method: "DELETE", path: `/keys/${name}` });
}

const op = (label: string, policy: string, dataAction: string, prepare: (kv: Kv, name: string) => Promise<Request>, extra: Partial<SecretOperation> = {}): SecretOperation => ({
  collection: "keys",
  label: `key ${label}`,
  policy,
  dataAction: `${K}/${dataAction}`,
  okStatus: 200,
  prepare,
  ...extra,
});

export const KEY_LIFECYCLE_OPERATIONS: SecretOperation[] = [
  op("create", "create", "create/action", async (_kv, n) => ({ method: "POST", path: `/keys/${n}/create`, body: { kty: "EC", crv: "P-384" } })),
  op("import", "import", "import/action", async (_kv, n) => ({
    method: "PUT",
    path: `/keys/${n}`,
    body: { key: crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }) },
  })),
  op("get", "get", "read", async (kv, n) => (await create(kv, n), { method: "GET", path: `/keys/${n}` })),
  op("get version", "get", "read", async (kv, n) => ({ method: "GET", path: `/keys/${n}/${await create(kv, n)}` })),
  op("list", "list", "read", async (kv, n) => (await create(kv, n), { method: "GET", path: "/keys" }), { vaultWide: true }),
  op("list versions", "list", "read", async (kv, n) => (await create(kv, n), { method: "GET", path: `/keys/${n}/versions` })),
  op("update", "update", "update/action", async (kv, n) => ({ method: "PATCH", path: `/keys/${n}/${await create(kv, n)}`, body: { tags: { t: "1" }, key_ops: ["verify"] } })),
  op("rotate", "rotate", "rotate/action", async (kv, n) => (await create(kv, n), { method: "POST", path: `/keys/${n}/rotate` })),
  op("delete", "delete", "delete", async (kv, n) => (await create(kv, n), { method: "DELETE", path: `/keys/${n}` })),
  op("get deleted", "get", "read", async (kv, n) => (await createDeleted(kv, n), { method: "GET", path: `/deletedkeys/${n}` })),
  op("list deleted", "list", "read", async (kv, n) => (await createDeleted(kv, n), { method: "GET", path: "/deletedkeys" }), { vaultWide: true }),
  op("recover", "recover", "recover/action", async (kv, n) => (await createDeleted(kv, n), { method: "POST", path: `/deletedkeys/${n}/recover` })),
  op("purge", "purge", "purge/action", async (kv, n) => (await createDeleted(kv, n), { method: "DELETE", path: `/deletedkeys/${n}` }), { okStatus: 204 }),
  op("backup", "backup", "backup/action", async (kv, n) => (await create(kv, n), { method: "POST", path: `/keys/${n}/backup` })),
  op(
    "restore",
    "restore",
    "restore/action",
    async (kv, n) => {
      await create(kv, n);
      const blob = (await kv.ok({ method: "POST", path: `/keys/${n}/backup` })).body.value;
      await kv.ok({ method: "DELETE", path: `/keys/${n}` });
      await kv.ok({ method: "DELETE", path: `/deletedkeys/${n}` });
      return { method: "POST", path: "/keys/restore", body: { value: blob } };
    },
    { vaultWide: true },
  ),
];

/** Everything the administrator can observe about the vault's keys, live and deleted, and about `name`. */
export async function keyLifecycleSnapshot(kv: Kv, name: string): Promise<unknown> {
  const list = await kv.ok({ method: "GET", path: "/keys?maxresults=25" });
  const deleted = await kv.ok({ method: "GET", path: "/deletedkeys?maxresults=25" });
  const one = await kv.call({ method: "GET", path: `/keys/${name}` });
  const versions = one.status === 200 ? (await kv.ok({ method: "GET", path: `/keys/${name}/versions` })).body.value : null;
  const gone = await kv.call({ method: "GET", path: `/deletedkeys/${name}` });
  return { keys: list.body.value, deleted: deleted.body.value, one: [one.status, one.body], versions, gone: [gone.status, gone.body] };
}
