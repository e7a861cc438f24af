/**
 * 6. Keys: RSA-2048 RS256 sign through the vault at 16 connections against a bare node:crypto sign loop with an
 * RSA-2048 key in this process, interleaved A B B A (the signature dominates, so the HTTP path must not), and ES256 sign against a 1 KB
 * secret read on the same server, loaded in interleaved slices (there the HTTP path dominates, so a sign must cost
 * no more than a read).
 */
import crypto from "node:crypto";
import { adminToken, API, armCall, oidOf, putSecrets, VAULT_RESOURCE, type Kluis } from "./kluis.js";
import { DURATION_SEC, load, loadPair, WARMUP_SEC } from "./load.js";
import { rps, type Row } from "./report.js";

const LOOP_MS = Number(process.env.BENCH_SIGN_MS ?? 3000);
const CONNECTIONS = 16;
const VAULT = "kvkeys";

const bareKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

/** RS256 signatures per second from a bare crypto.sign loop (one chain, as the server has one thread). */
export function bareRsaSignRate(ms = LOOP_MS): number {
  const privateKey = bareKey;
  const data = Buffer.from("bench");
  const end = Date.now() + ms;
  const began = process.hrtime.bigint();
  let n = 0;
  while (Date.now() < end) {
    crypto.sign("sha256", data, privateKey);
    n++;
  }
  return n / (Number(process.hrtime.bigint() - began) / 1e9);
}

export interface KeysSetup {
  headers: Record<string, string>;
  rsaKid: string;
  ecKid: string;
  /** Vault URL of the 1 KB secret beside the keys. */
  secretUrl: string;
  signSpec(kid: string, alg: string): { url: string; method: string; connections: number; headers: Record<string, string>; body: string };
}

/** Vault `kvkeys` with an RSA-2048 key, an EC P-256 key and a 1 KB secret. */
export async function setupKeys(k: Kluis): Promise<KeysSetup> {
  const mgmt = await adminToken(k, "https://management.azure.com");
  const rg = `/subscriptions/${k.subscriptionId}/resourcegroups/bench-keys`;
  await armCall(k, mgmt, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" });
  await armCall(k, mgmt, "PUT", `${rg}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2023-07-01`, {
    location: "westus",
    properties: {
      tenantId: k.tenantId,
      sku: { family: "A", name: "standard" },
      accessPolicies: [{ tenantId: k.tenantId, objectId: oidOf(mgmt), permissions: { keys: ["all"], secrets: ["all"] } }],
    },
  });
  const bearer = await adminToken(k, VAULT_RESOURCE);
  const headers = { authorization: `Bearer ${bearer}`, "content-type": "application/json" };
  const create = async (name: string, body: unknown) => {
    const reply = await k.client.ok("POST", `${k.vaultUrl(VAULT)}/keys/${name}/create?${API}`, { headers, body: JSON.stringify(body) });
    return reply.json<{ key: { kid: string } }>().key.kid;
  };
  const rsaKid = await create("rsa2048", { kty: "RSA", key_size: 2048 });
  const ecKid = await create("p256", { kty: "EC", crv: "P-256" });
  await putSecrets(k, VAULT, bearer, ["s1"], 1024);
  const digest = crypto.createHash("sha256").update("bench").digest().toString("base64url");
  const signSpec = (kid: string, alg: string) => ({
    url: `${kid}/sign?${API}`,
    method: "POST",
    connections: CONNECTIONS,
    headers,
    body: JSON.stringify({ alg, value: digest }),
  });

  return { headers, rsaKid, ecKid, secretUrl: `${k.vaultUrl(VAULT)}/secrets/s1?${API}`, signSpec };
}

export async function benchKeys(k: Kluis): Promise<Row[]> {
  const { headers, rsaKid, ecKid, secretUrl, signSpec } = await setupKeys(k);
  // Bare loop and vault in interleaved slices (A B B A), so that both see the same noise on a shared machine.
  const half = (warm: boolean) => load({ ...signSpec(rsaKid, "RS256"), durationSec: DURATION_SEC / 2, warmupSec: warm ? WARMUP_SEC : 0 });
  const bare1 = bareRsaSignRate(LOOP_MS / 2);
  const rsa1 = await half(true);
  const rsa2 = await half(false);
  const bareSignRate = (bare1 + bareRsaSignRate(LOOP_MS / 2)) / 2;
  const rsa = { ...rsa1, rps: (rsa1.rps + rsa2.rps) / 2, p50: (rsa1.p50 + rsa2.p50) / 2, p99: Math.max(rsa1.p99, rsa2.p99) };
  const { a: ec, b: read } = await loadPair(signSpec(ecKid, "ES256"), { url: secretUrl, connections: CONNECTIONS, headers: { authorization: headers.authorization! } });
  const rsaRatio = rsa.rps / bareSignRate;
  const ecRatio = ec.rps / read.rps;
  return [
    {
      section: "6",
      measure: `RSA-2048 RS256 sign via vault, ${CONNECTIONS} conn`,
      kluis: rps(rsa),
      baseline: { value: bareSignRate, unit: "sig/s", label: "bare crypto.sign loop" },
      ratio: rsaRatio,
      target: ">=0.6x bare",
      met: rsaRatio >= 0.6,
    },
    {
      section: "6",
      measure: `EC P-256 ES256 sign via vault, ${CONNECTIONS} conn`,
      kluis: rps(ec),
      baseline: { ...rps(read), label: "secret read 1 KB" },
      ratio: ecRatio,
      target: ">=0.8x read",
      met: ecRatio >= 0.8,
    },
  ];
}
