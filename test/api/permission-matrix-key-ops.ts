/**
 * The keys operations of the permission matrix (see permission-matrix-ops.ts), with Azure's key permissions and data
 * actions: the lifecycle (KEY_OPERATIONS) and cryptography, random bytes and rotation policy (KEY_CRYPTO_OPERATIONS).
 */
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

const POLICIES = "Microsoft.KeyVault/vaults/keyrotationpolicies";
const digest = crypto.createHash("sha256").update("matrix").digest().toString("base64url");
const secret = Buffer.from("matrix secret").toString("base64url");

/** An RSA key that allows every cryptographic operation; returns its version. */
async function createCryptoKey(kv: Kv, name: string): Promise<string> {
  const created = await kv.ok({ method: "POST", path: `/keys/${name}/create`, body: { kty: "RSA", key_ops: ["encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify"] } });
  return String(created.body.key.kid).split("/").pop()!;
}

const cryptoOp = (label: string, policy: string, dataAction: string, request: (kv: Kv, name: string, version: string) => Request | Promise<Request>): Operation => ({
  collection: "keys",
  label,
  policy,
  dataAction,
  okStatus: 200,
  prepare: async (kv, name) => request(kv, name, await createCryptoKey(kv, name)),
});

export const KEY_CRYPTO_OPERATIONS: Operation[] = [
  cryptoOp("encrypt", "encrypt", `${K}/encrypt/action`, (_kv, n) => ({ method: "POST", path: `/keys/${n}/encrypt`, body: { alg: "RSA-OAEP", value: secret } })),
  cryptoOp("encrypt version", "encrypt", `${K}/encrypt/action`, (_kv, n, v) => ({ method: "POST", path: `/keys/${n}/${v}/encrypt`, body: { alg: "RSA-OAEP-256", value: secret } })),
  cryptoOp("decrypt", "decrypt", `${K}/decrypt/action`, async (kv, n, v) => {
    const encrypted = await kv.ok({ method: "POST", path: `/keys/${n}/${v}/encrypt`, body: { alg: "RSA-OAEP", value: secret } });
    return { method: "POST", path: `/keys/${n}/${v}/decrypt`, body: { alg: "RSA-OAEP", value: encrypted.body.value } };
  }),
  cryptoOp("wrap", "wrapkey", `${K}/wrap/action`, (_kv, n) => ({ method: "POST", path: `/keys/${n}/wrapkey`, body: { alg: "RSA1_5", value: secret } })),
  cryptoOp("unwrap", "unwrapkey", `${K}/unwrap/action`, async (kv, n, v) => {
    const wrapped = await kv.ok({ method: "POST", path: `/keys/${n}/${v}/wrapkey`, body: { alg: "RSA-OAEP", value: secret } });
    return { method: "POST", path: `/keys/${n}/${v}/unwrapkey`, body: { alg: "RSA-OAEP", value: wrapped.body.value } };
  }),
  cryptoOp("sign", "sign", `${K}/sign/action`, (_kv, n, v) => ({ method: "POST", path: `/keys/${n}/${v}/sign`, body: { alg: "RS256", value: digest } })),
  cryptoOp("sign latest", "sign", `${K}/sign/action`, (_kv, n) => ({ method: "POST", path: `/keys/${n}/sign`, body: { alg: "PS256", value: digest } })),
  cryptoOp("verify", "verify", `${K}/verify/action`, async (kv, n, v) => {
    const signed = await kv.ok({ method: "POST", path: `/keys/${n}/${v}/sign`, body: { alg: "RS256", value: digest } });
    return { method: "POST", path: `/keys/${n}/${v}/verify`, body: { alg: "RS256", digest, value: signed.body.value } };
  }),
  { ...cryptoOp("random bytes", "get", "Microsoft.KeyVault/vaults/rng/action", () => ({ method: "POST", path: "/rng", body: { count: 16 } })), vaultWide: true },
  cryptoOp("get rotation policy", "getrotationpolicy", `${POLICIES}/read`, (_kv, n) => ({ method: "GET", path: `/keys/${n}/rotationpolicy` })),
  cryptoOp("set rotation policy", "setrotationpolicy", `${POLICIES}/write`, (_kv, n) => ({
    method: "PUT",
    path: `/keys/${n}/rotationpolicy`,
    body: { lifetimeActions: [{ trigger: { timeAfterCreate: "P60D" }, action: { type: "Rotate" } }], attributes: { expiryTime: "P90D" } },
  })),
];
