/**
 * First-start state: the root key, the tenant and subscription ids, the administrator principal and the TLS
 * material. Each step is idempotent, so every start runs them all.
 */
import fs from "node:fs";
import path from "node:path";
import { newKey, KEY_BYTES } from "../crypto/envelope.js";
import { newId } from "../crypto/secrets.js";
import type { Directory } from "../domain/directory.js";
import type { SettingsStore } from "../storage/types.js";

export interface AdminCredential {
  tenantId: string;
  appId: string;
  password: string;
}

export function writePrivateFile(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/**
 * The root key: from KLUIS_ROOT_KEY (base64) for multi-node deployments, else `root.key` in the data directory,
 * made on first use unless `noNewKey` says why it must not be (storage already holds data sealed under a root key).
 */
export function loadRootKey(dataDir: string, fromEnv: string | undefined, noNewKey?: (file: string) => Error): Buffer {
  if (fromEnv) {
    const key = Buffer.from(fromEnv, "base64");
    if (key.length !== KEY_BYTES) throw new Error(`KLUIS_ROOT_KEY must be ${KEY_BYTES} bytes, base64-encoded`);
    return key;
  }
  const file = path.join(dataDir, "root.key");
  if (!fs.existsSync(file)) {
    if (noNewKey) throw noNewKey(file);
    writePrivateFile(file, newKey().toString("base64"));
  }
  const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== KEY_BYTES) throw new Error(`${file} does not hold a ${KEY_BYTES}-byte key`);
  return key;
}

export async function loadTenant(settings: SettingsStore): Promise<{ tenantId: string; subscriptionId: string }> {
  const tenantId = (await settings.get("tenant.id")) ?? (await settings.putIfAbsent("tenant.id", newId()));
  const subscriptionId = (await settings.get("subscription.id")) ?? (await settings.putIfAbsent("subscription.id", newId()));
  return { tenantId, subscriptionId };
}

/**
 * The administrator principal exists once per tenant; its credential lives in `admin.json` (0600), written by the
 * node that creates the principal. Another node sharing the database finds the principal already there and leaves
 * its secret alone: rotating it would lock out every node's copy of admin.json, so the operator copies the file
 * instead (docs/deployment.md). `resetCredential` (`kluis server --reset-admin-credential`) replaces every secret
 * of the administrator with a new one and writes it here. Returns the file, or null when this node has none.
 */
export async function ensureAdmin(settings: SettingsStore, directory: Directory, dataDir: string, resetCredential = false): Promise<string | null> {
  const file = path.join(dataDir, "admin.json");
  let objectId = await settings.get("admin.object-id");
  let created = false;
  if (objectId === null) {
    const principal = await directory.createApplication("kluis-admin", { admin: true });
    objectId = await settings.putIfAbsent("admin.object-id", principal.objectId);
    if (objectId !== principal.objectId) await directory.delete(principal.objectId);
    else created = true;
  }
  if (created || resetCredential) {
    const { principal, password } = await directory.resetPassword(objectId);
    const credential: AdminCredential = { tenantId: directory.tenantId, appId: principal.appId, password };
    writePrivateFile(file, `${JSON.stringify(credential, null, 2)}\n`);
  }
  return fs.existsSync(file) ? file : null;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  caFile: string | null;
}

/** The operator's own certificate and key (e.g. from a public CA for *.vault.example.com): no CA of ours. */
export function operatorTls(certFile: string, keyFile: string): TlsMaterial {
  return { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8"), caFile: null };
}
