/**
 * Certificate backup and restore. A certificate's backup holds everything it owns: the backups of its certificate,
 * key and secret collections (each the generic object backup, object-backup.ts, sealed under its own collection's
 * context) and its policy, sealed together once more under the certificates' context and the vault's subscription.
 * Restore checks that the name is free in all three collections before writing anything, then restores key,
 * secret and certificate in that order (the certificate last, as when it is issued) and the policy.
 */
import type { VaultDocumentStore, VaultRecord, VersionedObjectStore } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { Keyring } from "../keyring.js";
import { KeyBackups } from "../keys/key-backup.js";
import { ObjectBackups, type BackupCollection } from "../object-backup.js";
import { SecretBackups } from "../secret-backup.js";
import { CERTIFICATE_KIND, deletedButRecoverable, nowSeconds } from "../versioned-objects.js";
import { parsePolicy } from "./certificate-policy.js";
import { certificateSealContext } from "./certificate-versions.js";
import { POLICY_DOC } from "./pending-operations.js";

const MAGIC = Buffer.from("KLUIS-CERTIFICATE-BACKUP-1:", "utf8");

const CERTIFICATE_VERSIONS: BackupCollection = {
  kind: CERTIFICATE_KIND,
  magic: Buffer.from("KLUIS-CERTIFICATE-VERSIONS-1:", "utf8"),
  blobContext: (subscriptionId) => `kluis:certificate-versions-backup:${subscriptionId.toLowerCase()}`,
  sealContext: certificateSealContext,
  validValue: (value, meta) => value === "" && meta !== null && typeof meta.cer === "string" && typeof meta.x5t === "string",
};

interface Payload {
  certificate: string;
  key: string;
  secret: string;
  policy: Record<string, unknown> | null;
}

export interface CertificateBackupStores {
  certificates: VersionedObjectStore;
  keys: VersionedObjectStore;
  secrets: VersionedObjectStore;
  documents: VaultDocumentStore;
}

export class CertificateBackups {
  private readonly certificates: ObjectBackups;
  private readonly keys: KeyBackups;
  private readonly secrets: SecretBackups;

  constructor(
    private readonly stores: CertificateBackupStores,
    private readonly keyring: Keyring,
  ) {
    this.certificates = new ObjectBackups(stores.certificates, keyring, CERTIFICATE_VERSIONS);
    this.keys = new KeyBackups(stores.keys, keyring);
    this.secrets = new SecretBackups(stores.secrets, keyring);
  }

  async backup(vault: VaultRecord, name: string): Promise<Buffer> {
    const certificate = await this.certificates.backup(vault, name);
    const policy = await this.stores.documents.get(vault.id, POLICY_DOC, name);
    const payload: Payload = {
      certificate: certificate.toString("base64url"),
      key: (await this.keys.backup(vault, name)).toString("base64url"),
      secret: (await this.secrets.backup(vault, name)).toString("base64url"),
      policy: policy?.body ?? null,
    };
    return Buffer.concat([MAGIC, await this.keyring.seal(JSON.stringify(payload), context(vault))]);
  }

  async restore(vault: VaultRecord, blob: unknown) {
    const payload = await this.open(vault, blob);
    const restored = { name: await this.certificates.nameOf(vault, payload.certificate) };
    for (const store of [this.stores.certificates, this.stores.keys, this.stores.secrets]) {
      if (await store.getDeleted(vault.id, restored.name)) throw deletedButRecoverable(CERTIFICATE_KIND, restored.name);
      if (await store.getLatest(vault.id, restored.name)) {
        throw new DomainError("Conflict", `Certificate ${restored.name} already exists. A certificate can only be restored when no certificate, key or secret of that name exists in the vault.`);
      }
    }
    await this.keys.restore(vault, payload.key);
    await this.secrets.restore(vault, payload.secret);
    const record = await this.certificates.restore(vault, payload.certificate);
    if (payload.policy) {
      const now = nowSeconds();
      const policy = parsePolicy(payload.policy, now);
      await this.stores.documents.put({ vaultId: vault.id, kind: POLICY_DOC, name: record.name, body: policy as unknown as Record<string, unknown>, sealed: null, dueAt: null, createdAt: now, updatedAt: now });
    }
    return record;
  }

  private async open(vault: VaultRecord, blob: unknown): Promise<Payload> {
    if (typeof blob !== "string" || blob === "") throw new DomainError("BadParameter", "The backup blob ('value') is required and must be a base64url string.");
    const bytes = Buffer.from(blob, "base64url");
    if (bytes.length <= MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt();
    try {
      const payload = JSON.parse(await this.keyring.openString(bytes.subarray(MAGIC.length), context(vault))) as Payload;
      if (typeof payload.certificate !== "string" || typeof payload.key !== "string" || typeof payload.secret !== "string") throw corrupt();
      return payload;
    } catch {
      throw corrupt();
    }
  }
}

function context(vault: VaultRecord): string {
  return `kluis:certificate-backup:${vault.subscriptionId.toLowerCase()}`;
}

function corrupt(): DomainError {
  return new DomainError("BadParameter", "Backup blob contains invalid or corrupt version.");
}
