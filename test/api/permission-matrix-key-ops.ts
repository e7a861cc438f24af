/**
 * The key cryptography operations of the permission matrix (crypto operations, random bytes, rotation policy), as
 * data beside the secrets ones: the vault set-up, the request, the access-policy permission and the RBAC data
 * action each needs.
 */
import crypto from "node:crypto";
import type { Kv, Request, SecretOperation } from "./permission-matrix-ops.js";

const K = "Microsoft.KeyVault/vaults/keys";
const POLICIES = "Microsoft.KeyVault/vaults/keyrotationpolicies";

const digest = crypto.createHash("sha256").update("matrix").digest().toString("base64url");
const secret = Buffer.from("matrix secret").toString("base64url");

/** An RSA key `name` (every crypto operation allowed); returns its version. */
async function createKey(kv: Kv, name: string): Promise<string> {
  const created = await kv.ok({ method: "POST", path: `/keys/${name}/create`, body: { kty: "RSA", key_ops: ["encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify"] } });
  return String(created.body.key.kid).split("/").pop()!;
}

async function withKey(kv: Kv, name: string, request: (version: string) => Request | Promise<Request>): Promise<Request> {
  return request(await createKey(kv, name));
}

const op = (label: string, policy: string, dataAction: string, prepare: SecretOperation["prepare"], extra: Partial<SecretOperation> = {}): SecretOperation => ({
  collection: "keys",
  label,
  policy,
  dataAction,
  okStatus: 200,
  prepare,
  ...extra,
});

export const KEY_CRYPTO_OPERATIONS: SecretOperation[] = [
  op("encrypt", "encrypt", `${K}/encrypt/action`, (kv, n) => withKey(kv, n, () => ({ method: "POST", path: `/keys/${n}/encrypt`, body: { alg: "RSA-OAEP", value: secret } }))),
  op("encrypt version", "encrypt", `${K}/encrypt/action`, (kv, n) => withKey(kv, n, (v) => ({ method: "POST", path: `/keys/${n}/${v}/encrypt`, body: { alg: "RSA-OAEP-256", value: secret } }))),
  op("decrypt", "decrypt", `${K}/decrypt/action`, (kv, n) =>
    withKey(kv, n, async (v) => {
      const encrypted = await kv.ok({ method: "POST", path: `/keys/${n}/${v}/encrypt`, body: { alg: "RSA-OAEP", value: secret } });
      return { method: "POST", path: `/keys/${n}/${v}/decrypt`, body: { alg: "RSA-OAEP", value: encrypted.body.value } };
    }),
  ),
  op("wrap", "wrapkey", `${K}/wrap/action`, (kv, n) => withKey(kv, n, () => ({ method: "POST", path: `/keys/${n}/wrapkey`, body: { alg: "RSA1_5", value: secret } }))),
  op("unwrap", "unwrapkey", `${K}/unwrap/action`, (kv, n) =>
    withKey(kv, n, async (v) => {
      const wrapped = await kv.ok({ method: "POST", path: `/keys/${n}/${v}/wrapkey`, body: { alg: "RSA-OAEP", value: secret } });
      return { method: "POST", path: `/keys/${n}/${v}/unwrapkey`, body: { alg: "RSA-OAEP", value: wrapped.body.value } };
    }),
  ),
  op("sign", "sign", `${K}/sign/action`, (kv, n) => withKey(kv, n, (v) => ({ method: "POST", path: `/keys/${n}/${v}/sign`, body: { alg: "RS256", value: digest } }))),
  op("sign latest", "sign", `${K}/sign/action`, (kv, n) => withKey(kv, n, () => ({ method: "POST", path: `/keys/${n}/sign`, body: { alg: "PS256", value: digest } }))),
  op("verify", "verify", `${K}/verify/action`, (kv, n) =>
    withKey(kv, n, async (v) => {
      const signed = await kv.ok({ method: "POST", path: `/keys/${n}/${v}/sign`, body: { alg: "RS256", value: digest } });
      return { method: "POST", path: `/keys/${n}/${v}/verify`, body: { alg: "RS256", digest, value: signed.body.value } };
    }),
  ),
  op("random bytes", "get", "Microsoft.KeyVault/vaults/rng/action", async () => ({ method: "POST", path: "/rng", body: { count: 16 } }), { vaultWide: true }),
  op("get rotation policy", "getrotationpolicy", `${POLICIES}/read`, (kv, n) => withKey(kv, n, () => ({ method: "GET", path: `/keys/${n}/rotationpolicy` }))),
  op("set rotation policy", "setrotationpolicy", `${POLICIES}/write`, (kv, n) =>
    withKey(kv, n, () => ({
      method: "PUT",
      path: `/keys/${n}/rotationpolicy`,
      body: { lifetimeActions: [{ trigger: { timeAfterCreate: "P60D" }, action: { type: "Rotate" } }], attributes: { expiryTime: "P90D" } },
    })),
  ),
];

/** Everything the administrator can observe about the vault's keys and about `name` (versions, rotation policy). */
export async function keySnapshot(kv: Kv, name: string): Promise<unknown> {
  const list = await kv.ok({ method: "GET", path: "/keys?maxresults=25" });
  const one = await kv.call({ method: "GET", path: `/keys/${name}` });
  const versions = one.status === 200 ? (await kv.ok({ method: "GET", path: `/keys/${name}/versions` })).body.value : null;
  const policy = one.status === 200 ? (await kv.ok({ method: "GET", path: `/keys/${name}/rotationpolicy` })).body : null;
  return { keys: list.body.value, one: [one.status, one.body], versions, policy };
}
