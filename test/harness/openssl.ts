/** Helpers for the X.509 layer tests: openssl calls with a timeout, temporary files, key pairs of every Key Vault type. */
import { spawnSync } from "node:child_process";
import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs /usr/bin/openssl with a timeout; returns stdout+stderr as text, throws with stderr when it fails. */
export function openssl(args: string[], input?: Buffer | string): string {
  const run = spawnSync("/usr/bin/openssl", args, { input, timeout: 30_000, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed (${run.status ?? run.signal}): ${run.stderr}`);
  return run.stdout + run.stderr;
}

/** A fresh temporary folder, removed by the caller's after hook through the returned cleanup. */
export function tempDir(): { dir: string; file: (name: string, content?: Buffer | string) => string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-x509-"));
  return {
    dir,
    file: (name, content) => {
      const full = path.join(dir, name);
      if (content !== undefined) fs.writeFileSync(full, content);
      return full;
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export type KeyTypeName = "RSA-2048" | "RSA-3072" | "RSA-4096" | "P-256" | "P-384" | "P-521" | "P-256K";
export const KEY_TYPES: KeyTypeName[] = ["RSA-2048", "RSA-3072", "RSA-4096", "P-256", "P-384", "P-521", "P-256K"];
const OPENSSL_CURVE: Record<string, string> = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1", "P-256K": "secp256k1" };

export function keyPair(type: KeyTypeName): { privateKey: KeyObject; publicKey: KeyObject } {
  if (type.startsWith("RSA-")) return crypto.generateKeyPairSync("rsa", { modulusLength: Number(type.slice(4)) });
  return crypto.generateKeyPairSync("ec", { namedCurve: OPENSSL_CURVE[type]! });
}

/** The hash openssl should name in the signature algorithm for a key type. */
export function expectedSignature(type: KeyTypeName): string {
  if (type.startsWith("RSA-")) return "sha256WithRSAEncryption";
  const byCurve: Record<string, string> = { "P-256": "ecdsa-with-SHA256", "P-256K": "ecdsa-with-SHA256", "P-384": "ecdsa-with-SHA384", "P-521": "ecdsa-with-SHA512" };
  return byCurve[type]!;
}

export function toPem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}
