/**
 * A certificate version and what it owns. Each version is three records with one name and one version id: the
 * certificate (X.509 DER and thumbprints in `meta`), its key (the private JWK, sealed, `managed`) and its secret
 * (the PFX or PEM bundle as the policy's content type says, sealed, `managed`). They are written key, secret,
 * certificate — the certificate last, so a certificate never names a key or secret that is not there yet. (A crash
 * between the writes leaves a managed key or secret version that no certificate names; the next issuance of that
 * certificate writes newer ones over it.)
 */
import crypto from "node:crypto";
import { buildPfx, describeCertificate, pemBundle } from "../../crypto/certificates/index.js";
import { privateKeyObject, type KeyJwk } from "../../crypto/key-material.js";
import type { ObjectAttributesRecord, ObjectVersionRecord, VaultRecord, VersionedObjectStore } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { Keyring } from "../keyring.js";
import type { KeyService } from "../keys/key-service.js";
import type { SecretService } from "../secrets.js";
import { CERTIFICATE_KIND, nowSeconds, VersionedObjects } from "../versioned-objects.js";
import { keyOpsFor, PEM, type CertificatePolicy } from "./certificate-policy.js";

/** A certificate version's public fields, as stored in its record's `meta`. */
export interface CertificateMeta {
  /** The certificate, DER in base64; absent while the version is pending (its operation not yet completed). */
  cer?: string;
  /** base64url SHA-1 thumbprint (Azure's x5t); absent while pending. */
  x5t?: string;
  /** Set while the version's operation is in progress. */
  pending?: true;
  /** The issuers above it, DER in base64, nearest first (empty for a self-signed certificate). */
  chain: string[];
  preserveCertOrder?: boolean;
}

export function certificateMetaOf(record: ObjectVersionRecord): CertificateMeta {
  const meta = record.meta as Partial<CertificateMeta> | null | undefined;
  if (meta?.pending === true) return { pending: true, chain: [] };
  if (!meta || typeof meta.cer !== "string" || typeof meta.x5t !== "string") throw new DomainError("InternalError", "The stored certificate is malformed.");
  return { cer: meta.cer, x5t: meta.x5t, chain: Array.isArray(meta.chain) ? meta.chain : [], ...(meta.preserveCertOrder ? { preserveCertOrder: true } : {}) };
}

export function isPending(record: ObjectVersionRecord): boolean {
  return (record.meta as { pending?: unknown } | null | undefined)?.pending === true;
}

export interface NewVersion {
  name: string;
  version: string;
  privateJwk: KeyJwk;
  /** Leaf first, then its issuers. */
  chain: Buffer[];
  policy: CertificatePolicy;
  enabled: boolean;
  tags: Record<string, string> | null;
  preserveCertOrder?: boolean;
}

export function certificateSealContext(vaultId: string, name: string, version: string): string {
  return `kluis:certificate:${vaultId}:${name.toLowerCase()}:${version}`;
}

export type VersionListener = (vault: VaultRecord, record: ObjectVersionRecord) => Promise<void>;

export class CertificateVersions {
  readonly objects: VersionedObjects;
  private written: VersionListener = async () => undefined;

  constructor(
    store: VersionedObjectStore,
    private readonly keyring: Keyring,
    private readonly keys: KeyService,
    private readonly secrets: SecretService,
  ) {
    this.objects = new VersionedObjects(store, CERTIFICATE_KIND);
  }

  /**
   * The placeholder version of a certificate that has none yet, while its first operation runs: Azure answers a GET
   * of such a certificate (the SDK's operation poller reads it first) with its ids and policy, without `cer`.
   */
  async putPending(vault: VaultRecord, name: string, version: string, enabled: boolean, tags: Record<string, string> | null): Promise<void> {
    const now = nowSeconds();
    await this.objects.put({
      vaultId: vault.id,
      name,
      version,
      sealedValue: await this.keyring.seal("", certificateSealContext(vault.id, name, version)),
      contentType: null,
      meta: { pending: true },
      tags,
      attributes: { enabled, nbf: null, exp: null },
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Writes a completed version: key, then secret, then certificate (see the module comment). */
  async write(vault: VaultRecord, input: NewVersion): Promise<ObjectVersionRecord> {
    const leaf = input.chain[0];
    if (!leaf) throw new DomainError("BadParameter", "The certificate chain is empty.");
    const facts = describeCertificate(leaf);
    const attributes: ObjectAttributesRecord = { enabled: input.enabled, nbf: facts.notBefore, exp: facts.notAfter };
    const { policy, name, version } = input;
    await this.keys.putManaged(vault, name, version, input.privateJwk, keyOpsFor(policy), policy.key_props.exportable, attributes, input.tags);
    await this.secrets.putManaged(vault, name, version, secretValue(input), policy.secret_props.contentType, attributes, input.tags);
    const now = nowSeconds();
    const meta: CertificateMeta = {
      cer: leaf.toString("base64"),
      x5t: facts.x5t,
      chain: input.chain.slice(1).map((c) => c.toString("base64")),
      ...(input.preserveCertOrder ? { preserveCertOrder: true } : {}),
    };
    const record: ObjectVersionRecord = {
      vaultId: vault.id,
      name,
      version,
      // Nothing secret lives in the certificate's own record: the sealed value is empty, bound like the others.
      sealedValue: await this.keyring.seal("", certificateSealContext(vault.id, name, version)),
      contentType: policy.secret_props.contentType,
      meta: meta as unknown as Record<string, unknown>,
      tags: input.tags,
      attributes,
      createdAt: now,
      updatedAt: now,
    };
    const placeholder = await this.objects.store.getVersion(vault.id, name, version);
    if (placeholder && isPending(placeholder)) await this.objects.store.updateVersion({ ...record, name: placeholder.name, createdAt: placeholder.createdAt });
    else await this.objects.put(record);
    await this.written(vault, record);
    return record;
  }

  /** Told after every version written (the service schedules its renewal). */
  onWritten(listener: VersionListener): void {
    this.written = listener;
  }
}

/**
 * The secret's value: a PFX (base64, no password, as Key Vault serves it) or a PEM bundle (private key, then the
 * chain). A policy with `exportable: false` keeps the private key out of the secret: only the certificates go in.
 */
function secretValue(input: NewVersion): string {
  const exportable = input.policy.key_props.exportable;
  const key = exportable ? privateKeyObject(input.privateJwk) : undefined;
  if (input.policy.secret_props.contentType === PEM) {
    if (key) return pemBundle(key, input.chain);
    return input.chain.map((der) => new crypto.X509Certificate(der).toString()).join("");
  }
  return buildPfx(key, input.chain).toString("base64");
}
