/** Secret backup and restore: the generic object backup (object-backup.ts) for the secrets collection. */
import type { SecretStore } from "../storage/types.js";
import type { Keyring } from "./keyring.js";
import { ObjectBackups, type BackupCollection } from "./object-backup.js";
import { MAX_SECRET_CHARS, sealContext } from "./secrets.js";
import { SECRET_KIND } from "./versioned-objects.js";

/** The marker and context of the first release stay, so that secret backups made before keys existed restore. */
export const SECRET_BACKUP: BackupCollection = {
  kind: SECRET_KIND,
  magic: Buffer.from("KLUIS-SECRET-BACKUP-1:", "utf8"),
  blobContext: (subscriptionId) => `kluis:backup:${subscriptionId.toLowerCase()}`,
  sealContext,
  // A certificate's secret carries `{ managed: true }` (certificate backups hold one).
  validValue: (value, meta) => value.length <= MAX_SECRET_CHARS && (meta === null || (Object.keys(meta).length === 1 && meta.managed === true)),
};

export class SecretBackups extends ObjectBackups {
  constructor(store: SecretStore, keyring: Keyring) {
    super(store, keyring, SECRET_BACKUP);
  }
}
