/** Key backup and restore: the generic object backup (object-backup.ts) for the keys collection. */
import type { VersionedObjectStore } from "../../storage/types.js";
import type { Keyring } from "../keyring.js";
import { ObjectBackups, type BackupCollection } from "../object-backup.js";
import { KEY_KIND } from "../versioned-objects.js";
import { keySealContext } from "./key-service.js";

/** A private JWK as a backup carries it: our own canonical form, checked only for shape (it was sealed by us). */
function validPrivateJwk(value: string): boolean {
  if (value.length > 16 * 1024) return false;
  try {
    const jwk = JSON.parse(value) as Record<string, unknown>;
    if (jwk.kty === "RSA") return ["n", "e", "d", "p", "q", "dp", "dq", "qi"].every((f) => typeof jwk[f] === "string");
    if (jwk.kty === "EC") return ["crv", "x", "y", "d"].every((f) => typeof jwk[f] === "string");
    return false;
  } catch {
    return false;
  }
}

export const KEY_BACKUP: BackupCollection = {
  kind: KEY_KIND,
  magic: Buffer.from("KLUIS-KEY-BACKUP-1:", "utf8"),
  blobContext: (subscriptionId) => `kluis:key-backup:${subscriptionId.toLowerCase()}`,
  sealContext: keySealContext,
  validValue: (value, meta) =>
    validPrivateJwk(value) &&
    meta !== null &&
    (meta.kty === "RSA" || meta.kty === "EC") &&
    meta.kty === (JSON.parse(value) as { kty: unknown }).kty &&
    Array.isArray(meta.key_ops) &&
    (meta.managed === undefined || meta.managed === true) &&
    meta.key_ops.every((op) => typeof op === "string"),
};

export class KeyBackups extends ObjectBackups {
  constructor(store: VersionedObjectStore, keyring: Keyring) {
    super(store, keyring, KEY_BACKUP);
  }
}
