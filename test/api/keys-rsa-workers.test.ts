/**
 * RSA private-key operations on worker threads (KLUIS_RSA_WORKERS): many concurrent signatures, decryptions and
 * unwraps through the vault all come back right — with a pool of two workers (so that some jobs run on workers and
 * the overflow on the event loop), and with the pool off (0: all inline).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { claims, putVault, token } from "../harness/clients.js";
import { probe, type Probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const b64 = (bytes: Buffer) => bytes.toString("base64url");

async function rsaVault(server: KluisServer, vault: string) {
  const management = await token(server, "https://management.azure.com");
  await putVault(server, management, "rg-rsa-workers", vault, {
    accessPolicies: [{ tenantId: server.tenantId, objectId: String(claims(management).oid), permissions: { keys: ["all"] } }],
  });
  const bearer = await token(server, `https://vault.localhost:${server.port}`);
  const ok = async (path: string, body: unknown): Promise<Probe> => {
    const reply = await probe("POST", `${server.vaultUrl(vault)}${path}?api-version=7.6`, { bearer, body });
    assert.equal(reply.status, 200, `${path}: ${reply.status} ${reply.text}`);
    return reply;
  };
  const key = (await ok("/keys/rsa/create", { kty: "RSA", key_size: 2048 })).body as { key: { kid: string; n: string; e: string } };
  const publicKey = crypto.createPublicKey({ key: { kty: "RSA", n: key.key.n, e: key.key.e }, format: "jwk" });
  const version = key.key.kid.split("/").pop()!;
  return { ok, publicKey, version };
}

/** 48 operations at once: RS256 and PS256 signatures over distinct digests, RSA-OAEP-256 decryptions, unwraps. */
async function concurrentOperations(server: KluisServer, vault: string): Promise<void> {
  const { ok, publicKey, version } = await rsaVault(server, vault);
  const jobs = Array.from({ length: 48 }, async (_, i) => {
    const digest = crypto.createHash("sha256").update(`message ${i}`).digest();
    const path = `/keys/rsa/${version}`;
    switch (i % 4) {
      case 0:
      case 1: {
        const pss = i % 4 === 1;
        const value = String((await ok(`${path}/sign`, { alg: pss ? "PS256" : "RS256", value: b64(digest) })).body.value);
        const padding = pss ? crypto.constants.RSA_PKCS1_PSS_PADDING : crypto.constants.RSA_PKCS1_PADDING;
        const verified = crypto.verify("sha256", Buffer.from(`message ${i}`), { key: publicKey, padding, saltLength: 32 }, Buffer.from(value, "base64url"));
        assert.ok(verified, `signature ${i} (${pss ? "PS256" : "RS256"}) verifies`);
        return;
      }
      default: {
        const op = i % 4 === 2 ? "decrypt" : "unwrapkey";
        const ciphertext = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, digest);
        const value = String((await ok(`${path}/${op}`, { alg: "RSA-OAEP-256", value: b64(ciphertext) })).body.value);
        assert.deepEqual(Buffer.from(value, "base64url"), digest, `${op} ${i}`);
      }
    }
  });
  await Promise.all(jobs);
}

describe("RSA private-key operations on worker threads", { timeout: 120_000 }, () => {
  let pooled: KluisServer;
  let inline: KluisServer;

  before(async () => {
    [pooled, inline] = await Promise.all([
      startServer({ env: { KLUIS_RSA_WORKERS: "2" } }),
      startServer({ env: { KLUIS_RSA_WORKERS: "0" } }),
    ]);
  });
  after(async () => {
    await Promise.all([pooled?.stop(), inline?.stop()]);
  });

  it("two workers sharing with the event loop: 48 concurrent signs, decrypts and unwraps all come back right", async () => {
    await concurrentOperations(pooled, "rsa-workers-kv");
  });

  it("no workers (KLUIS_RSA_WORKERS=0): the same operations run on the event loop", async () => {
    await concurrentOperations(inline, "rsa-inline-kv");
  });
});
