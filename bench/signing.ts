/**
 * 5. Key material: token signing rate through the token endpoint (client_credentials, a fresh RS256 token every
 * time) and in process through signToken (src/crypto/tokens.ts, jose), against node:crypto createSign('RSA-SHA256')
 * over the same header.payload with the same 2048-bit key, in a loop.
 */
import { createSign, randomBytes } from "node:crypto";
import { generateSigningKeyPem, loadSigningKey, signToken } from "../src/crypto/tokens.js";
import { tokenForm, tokenUrl, VAULT_RESOURCE, type Kluis } from "./kluis.js";
import { load } from "./load.js";
import { rps, type Row } from "./report.js";

const LOOP_MS = Number(process.env.BENCH_SIGN_MS ?? 3000);
const CONNECTIONS = 16;

function claims() {
  return {
    aud: VAULT_RESOURCE,
    iss: "https://localhost:8443/00000000-0000-0000-0000-000000000000/v2.0",
    tid: "00000000-0000-0000-0000-000000000000",
    oid: "11111111-1111-1111-1111-111111111111",
    sub: "11111111-1111-1111-1111-111111111111",
    appid: "22222222-2222-2222-2222-222222222222",
    azp: "22222222-2222-2222-2222-222222222222",
    appidacr: "1",
    idtyp: "app",
    uti: randomBytes(16).toString("base64url"),
    ver: "1.0",
  };
}

/** Runs `op` with `inFlight` concurrent chains for LOOP_MS; returns operations per second. */
async function rate(op: () => Promise<unknown> | unknown, inFlight = 1): Promise<number> {
  const end = Date.now() + LOOP_MS;
  const began = process.hrtime.bigint();
  let n = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < end) {
        await op();
        n++;
      }
    }),
  );
  return n / (Number(process.hrtime.bigint() - began) / 1e9);
}

export interface SigningCeiling {
  createSign: number;
  signToken: number;
  signToken16: number;
}

/** In-process loops; run while no server is busy. */
export async function signingCeiling(): Promise<SigningCeiling> {
  const key = await loadSigningKey(generateSigningKeyPem());
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.kid })).toString("base64url");
  const payload = Buffer.from(JSON.stringify({ ...claims(), iat: now, nbf: now, exp: now + 3600 })).toString("base64url");
  const input = `${header}.${payload}`;
  const bare = await rate(() => createSign("RSA-SHA256").update(input).sign(key.privateKey, "base64url"));
  const serial = await rate(() => signToken(key, claims(), 3600));
  const parallel = await rate(() => signToken(key, claims(), 3600), CONNECTIONS);
  return { createSign: bare, signToken: serial, signToken16: parallel };
}

export async function benchTokenEndpoint(k: Kluis, ceiling: SigningCeiling): Promise<Row[]> {
  const issued = await load({
    url: tokenUrl(k),
    method: "POST",
    connections: CONNECTIONS,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: tokenForm(k, VAULT_RESOURCE),
  });
  const bare = { value: ceiling.createSign, unit: "sig/s", label: "createSign loop" };
  return [
    { section: "5", measure: `token endpoint POST, ${CONNECTIONS} conn`, kluis: rps(issued), baseline: bare, ratio: issued.rps / ceiling.createSign, note: "fresh RS256 each" },
    { section: "5", measure: "signToken in process, serial", kluis: { value: ceiling.signToken, unit: "sig/s" }, baseline: bare, ratio: ceiling.signToken / ceiling.createSign },
    { section: "5", measure: `signToken in process, ${CONNECTIONS} in flight`, kluis: { value: ceiling.signToken16, unit: "sig/s" }, baseline: bare, ratio: ceiling.signToken16 / ceiling.createSign },
  ];
}
