/** The keys lifecycle operations of the permission matrix (see permission-matrix-ops.ts), with Azure's key permissions and data actions. */
import crypto from "node:crypto";
import type { Kv, Operation, Request } from "./permission-matrix-ops.js";

const K = "Microsoft.KeyVault/vaults/keys";

/** Every access-policy key permission Azure defines (besides "all"). */
export const KEY_POLICY_PERMISSIONS = [
  "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "decrypt", "encrypt", "unwrapKey",
  "wrapKey", "verify", "sign", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy",
];

async function create(kv: Kv, name: string): Promise<string> {
  const created = await kv.ok({ method: "POST", path: `/keys/${name}/create`, body: { kty: "EC" } });
  return String(created.body.key.kid).split("/").pop()!;
}

async function createDeleted(kv: Kv, name: string): Promise<void> {
  await create(kv, name);
  await kv.ok({ method: "DELETE", path: `/keys/${name}` });
}

const op = (label: string, policy: string, dataAction: string, prepare: (kv: Kv, name: string) => Promise<Request>, okStatus = 200): Operation => ({
  collection: "keys",
  label,
  policy,
  dataAction: `${K}/${dataAction}`,
  prepare,
  okStatus,
});

export const KEY_OPERATIONS: Operation[] = [
  op("create", "create", "create/action", async (_kv, n) => ({ method: "POST", path: `/keys/${n}/create`, body: { kty: "EC", crv: "P-384" } })),
  op("import", "import", "import/action", async (_kv, n) => ({
    method: "PUT",
    path: `/keys/${n}`,
    body: { key: crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }) },
  })),
  op("get", "get", "read", async (kv, n) => (await create(kv, n), { method: "GET", path: `/keys/${n}` })),
  op("get version", "get", "read", async (kv, n) => ({ method: "GET", path: `/keys/${n}/${await create(kv, n)}` })),
  op("list", "list", "read", async (kv, n) => (await create(kv, n), { method: "GET", path: "/keys" })),
  op("list versions", "list", "read", async (kv, n) => (await create(kv, n), { method: "GET", path: `/keys/${n}/versions` })),
  op("update", "update", "update/action", async (kv, n) => ({ method: "PATCH", path: `/keys/${n}/${await create(kv, n)}`, body: { tags: { t: "1" }, key_ops: ["verify"] } })),
  op("rotate", "rotate", "rotate/action", async (kv, n) => (await create(kv, n), { method: "POST", path: `/keys/${n}/rotate` })),
  op("delete", "delete", "delete", async (kv, n) => (await create(kv, n), { method: "DELETE", path: `/keys/${n}` })),
  op("get deleted", "get", "read", async (kv, n) => (await createDeleted(kv, n), { method: "GET", path: `/deletedkeys/${n}` })),
  op("list deleted", "list", "read", async (kv, n) => (await createDeleted(kv, n), { method: "GET", path: "/deletedkeys" })),
  op("recover", "recover", "recover/action", async (kv, n) => (await createDeleted(kv, n), { method: "POST", path: `/deletedkeys/${n}/recover` })),
  op("purge", "purge", "purge/action", async (kv, n) => (await createDeleted(kv, n), { method: "DELETE", path: `/deletedkeys/${n}` }), 204),
  op("backup", "backup", "backup/action", async (kv, n) => (await create(kv, n), { method: "POST", path: `/keys/${n}/backup` })),
  op("restore", "restore", "restore/action", async (kv, n) => {
    await create(kv, n);
    const blob = (await kv.ok({ method: "POST", path: `/keys/${n}/backup` })).body.value;
    await kv.ok({ method: "DELETE", path: `/keys/${n}` });
    await kv.ok({ method: "DELETE", path: `/deletedkeys/${n}` });
    return { method: "POST", path: "/keys/restore", body: { value: blob } };
  }),
];
