/**
 * Kluis's built-in issuer: one issuing certificate authority per tenant ("Kluis Issuing CA <tenant>"), separate from
 * the TLS CA that serves Kluis's own endpoints. A client that trusts a tenant's issuing CA trusts every certificate
 * its vaults issue with `issuer.name: "Kluis"` (or an issuer object whose provider is "Kluis").
 *
 * The CA is made on first use and kept in the settings store: its certificate in the clear (it is public), its
 * private key sealed with the keyring under a context naming the tenant. Nodes sharing storage race with
 * putIfAbsent, so every node signs with the one CA that won. The private key is opened per issuance and not cached.
 */
import crypto, { type KeyObject } from "node:crypto";
import { newCertificateAuthority } from "../../crypto/certificates/index.js";
import type { SettingsStore } from "../../storage/types.js";
import type { Keyring } from "../keyring.js";

interface StoredCa {
  certificate: string;
  sealedKey: string;
}

export interface IssuingCa {
  /** DER of the CA certificate. */
  certificate: Buffer;
  privateKey: KeyObject;
}

export class IssuingCas {
  /** The certificate only (public), per tenant: the PEM endpoint and chains read it often. */
  private readonly certificates = new Map<string, Buffer>();

  constructor(
    private readonly settings: SettingsStore,
    private readonly keyring: Keyring,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The tenant's CA certificate (DER), made on first use. */
  async certificate(tenantId: string): Promise<Buffer> {
    const known = this.certificates.get(tenantId);
    if (known) return known;
    const stored = await this.load(tenantId);
    const der = Buffer.from(stored.certificate, "base64");
    this.certificates.set(tenantId, der);
    return der;
  }

  /** The CA with its private key, for one issuance. Never log or return the key. */
  async forSigning(tenantId: string): Promise<IssuingCa> {
    const stored = await this.load(tenantId);
    const pkcs8 = await this.keyring.open(Buffer.from(stored.sealedKey, "base64"), sealContext(tenantId));
    return { certificate: Buffer.from(stored.certificate, "base64"), privateKey: crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }) };
  }

  private async load(tenantId: string): Promise<StoredCa> {
    const key = settingKey(tenantId);
    const existing = await this.settings.get(key);
    if (existing) return JSON.parse(existing) as StoredCa;
    const ca = await newCertificateAuthority(`CN=Kluis Issuing CA ${tenantId}, O=Kluis`, this.now());
    const pkcs8 = ca.privateKey.export({ format: "der", type: "pkcs8" });
    const record: StoredCa = {
      certificate: ca.certificate.toString("base64"),
      sealedKey: (await this.keyring.seal(pkcs8, sealContext(tenantId))).toString("base64"),
    };
    return JSON.parse(await this.settings.putIfAbsent(key, JSON.stringify(record))) as StoredCa;
  }
}

function settingKey(tenantId: string): string {
  return `certificates.issuing-ca.${tenantId.toLowerCase()}`;
}

function sealContext(tenantId: string): string {
  return `kluis:issuing-ca:${tenantId.toLowerCase()}`;
}

/** PEM text of a DER certificate. */
export function certificatePem(der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
