/**
 * A vault's certificate issuers and certificate contacts, as vault documents. An issuer's password is sealed like a
 * secret value (bound to vault and issuer name) and never returned: Azure answers with the account id only.
 * Providers: Azure's public-CA partners are accepted and stored (a certificate naming such an issuer fails to issue,
 * since Kluis does not reach them), and `Kluis`, Kluis's own CA (issuing-ca.ts).
 */
import type { VaultDocumentRecord, VaultDocumentStore, VaultRecord } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { Keyring } from "../keyring.js";
import { nowSeconds } from "../versioned-objects.js";
import { KLUIS_ISSUER, SELF_ISSUER, UNKNOWN_ISSUER } from "./certificate-policy.js";
import { CONTACTS_DOC, ISSUER_DOC } from "./pending-operations.js";

export const PROVIDERS = ["DigiCert", "GlobalSign", "OneCertV2-PublicCA", "OneCertV2-PrivateCA", KLUIS_ISSUER];
const MAX_TEXT = 256;
const MAX_CONTACTS = 64;
const ISSUER_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export interface IssuerBody {
  provider: string;
  credentials?: { account_id?: string };
  org_details?: { id?: string; admin_details?: AdminDetail[] };
  attributes: { enabled: boolean; created: number; updated: number };
}

interface AdminDetail {
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
}

export interface Contact {
  email?: string;
  name?: string;
  phone?: string;
}

function bad(message: string): DomainError {
  return new DomainError("BadParameter", message);
}

function optionalText(raw: unknown, what: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string" || raw.length > MAX_TEXT) throw bad(`The property '${what}' must be a string of at most ${MAX_TEXT} characters.`);
  return raw;
}

function record(raw: unknown, what: string): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw bad(`The property '${what}' must be an object.`);
  return raw as Record<string, unknown>;
}

function issuerNotFound(name: string): DomainError {
  return new DomainError("CertificateIssuerNotFound", `Issuer not found: ${name.slice(0, 127)}`);
}

function sealContext(vaultId: string, name: string): string {
  return `kluis:certificate-issuer:${vaultId}:${name.toLowerCase()}`;
}

export class CertificateIssuers {
  constructor(
    private readonly documents: VaultDocumentStore,
    private readonly keyring: Keyring,
    private readonly now: () => number = nowSeconds,
  ) {}

  /** PUT (set: replaces) or PATCH (update: the given parts replace the stored ones). */
  async set(vault: VaultRecord, name: string, raw: unknown, mode: "set" | "update"): Promise<VaultDocumentRecord> {
    if (!ISSUER_NAME.test(name)) throw bad("The issuer name must be 1 to 127 letters, digits and dashes.");
    if ([SELF_ISSUER, UNKNOWN_ISSUER].some((n) => n.toLowerCase() === name.toLowerCase())) throw bad(`'${name}' is a reserved issuer name.`);
    const body = record(raw, "body") ?? {};
    const existing = await this.documents.get(vault.id, ISSUER_DOC, name);
    if (mode === "update" && !existing) throw issuerNotFound(name);
    const base = mode === "update" ? (existing!.body as unknown as IssuerBody) : undefined;
    const provider = optionalText(body.provider, "provider") ?? base?.provider;
    if (!provider) throw bad("The issuer provider (provider) is required.");
    const known = PROVIDERS.find((p) => p.toLowerCase() === provider.toLowerCase());
    if (!known) throw bad(`Provider '${provider.slice(0, 64)}' is not supported. Supported providers are [${PROVIDERS.join(", ")}]`);
    const credentials = record(body.credentials, "credentials");
    const accountId = optionalText(credentials?.account_id, "credentials.account_id") ?? (credentials ? undefined : base?.credentials?.account_id);
    const password = optionalText(credentials?.pwd, "credentials.pwd");
    const org = record(body.org_details, "org_details");
    const attributes = record(body.attributes, "attributes");
    const enabledRaw = attributes?.enabled;
    if (enabledRaw !== undefined && enabledRaw !== null && typeof enabledRaw !== "boolean") throw bad("The attribute 'enabled' must be a boolean.");
    const now = this.now();
    const issuer: IssuerBody = {
      provider: known,
      ...(accountId !== undefined ? { credentials: { account_id: accountId } } : {}),
      ...(org ? { org_details: parseOrg(org) } : base?.org_details ? { org_details: base.org_details } : {}),
      attributes: { enabled: (enabledRaw as boolean | undefined) ?? base?.attributes.enabled ?? true, created: existing?.createdAt ?? now, updated: now },
    };
    const sealed = password !== undefined ? await this.keyring.seal(password, sealContext(vault.id, name)) : credentials || !existing ? null : existing.sealed;
    const doc: VaultDocumentRecord = { vaultId: vault.id, kind: ISSUER_DOC, name: existing?.name ?? name, body: issuer as unknown as Record<string, unknown>, sealed, dueAt: null, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await this.documents.put(doc);
    return doc;
  }

  async get(vault: VaultRecord, name: string): Promise<VaultDocumentRecord> {
    const doc = ISSUER_NAME.test(name) ? await this.documents.get(vault.id, ISSUER_DOC, name) : null;
    if (!doc) throw issuerNotFound(name);
    return doc;
  }

  list(vault: VaultRecord, after: string | null, limit: number) {
    return this.documents.list(vault.id, ISSUER_DOC, after, limit);
  }

  async delete(vault: VaultRecord, name: string): Promise<VaultDocumentRecord> {
    const doc = await this.get(vault, name);
    await this.documents.delete(vault.id, ISSUER_DOC, name);
    return doc;
  }

  // ---- contacts (one list per vault) ---------------------------------------------------------------------------

  async setContacts(vault: VaultRecord, raw: unknown): Promise<Contact[]> {
    const body = record(raw, "body") ?? {};
    if (!Array.isArray(body.contacts) || body.contacts.length === 0) throw bad("The contact list (contacts) must be a non-empty array.");
    if (body.contacts.length > MAX_CONTACTS) throw bad(`At most ${MAX_CONTACTS} contacts are allowed.`);
    const contacts = body.contacts.map((entry: unknown, i: number) => {
      const c = record(entry, `contacts[${i}]`) ?? {};
      const contact: Contact = {};
      const email = optionalText(c.email, "email");
      if (email === undefined || !/^[^@\s]+@[^@\s]+$/.test(email)) throw bad("Each contact needs a valid e-mail address (email).");
      contact.email = email;
      const name = optionalText(c.name, "name");
      if (name !== undefined) contact.name = name;
      const phone = optionalText(c.phone, "phone");
      if (phone !== undefined) contact.phone = phone;
      return contact;
    });
    const now = this.now();
    const existing = await this.documents.get(vault.id, CONTACTS_DOC, "contacts");
    await this.documents.put({ vaultId: vault.id, kind: CONTACTS_DOC, name: "contacts", body: { contacts }, sealed: null, dueAt: null, createdAt: existing?.createdAt ?? now, updatedAt: now });
    return contacts;
  }

  async contacts(vault: VaultRecord): Promise<Contact[]> {
    const doc = await this.documents.get(vault.id, CONTACTS_DOC, "contacts");
    if (!doc) throw new DomainError("ContactsNotFound", "Contacts not found");
    return (doc.body as { contacts: Contact[] }).contacts;
  }

  async deleteContacts(vault: VaultRecord): Promise<Contact[]> {
    const contacts = await this.contacts(vault);
    await this.documents.delete(vault.id, CONTACTS_DOC, "contacts");
    return contacts;
  }
}

function parseOrg(org: Record<string, unknown>): NonNullable<IssuerBody["org_details"]> {
  const out: NonNullable<IssuerBody["org_details"]> = {};
  const id = optionalText(org.id, "org_details.id");
  if (id !== undefined) out.id = id;
  if (org.admin_details !== undefined && org.admin_details !== null) {
    if (!Array.isArray(org.admin_details) || org.admin_details.length > 16) throw bad("The property 'org_details.admin_details' must be an array of at most 16 entries.");
    out.admin_details = org.admin_details.map((entry: unknown) => {
      const a = record(entry, "admin_details[]") ?? {};
      const admin: AdminDetail = {};
      for (const field of ["first_name", "last_name", "email", "phone"] as const) {
        const value = optionalText(a[field], `admin_details.${field}`);
        if (value !== undefined) admin[field] = value;
      }
      return admin;
    });
  }
  return out;
}
