/**
 * Key Vault's certificate objects → what `az keyvault certificate` prints: the SDK's models in camelCase with null
 * for absent fields, bytes (cer, csr, the thumbprint) in standard base64, times as ISO datetimes, and, as az adds
 * them, the object's `name` split out of its id and the thumbprint once more in upper-case hex
 * (`x509ThumbprintHex`, which scripts compare with other tools' thumbprints). Issuer credentials are printed only
 * as far as the service returns them: Key Vault never returns an issuer's password.
 */
import { attributesView, isoTime, type SecretAttributes } from "./secret-view.js";
import { issuerParametersView, policyView, type PolicyWire } from "./certificate-policy.js";

/** A certificate bundle or list item, either of them possibly deleted. */
export interface CertificateWire {
  id?: string;
  kid?: string;
  sid?: string;
  x5t?: string;
  cer?: string;
  contentType?: string;
  attributes?: SecretAttributes;
  tags?: Record<string, string> | null;
  policy?: PolicyWire;
  recoveryId?: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
}

export interface OperationWire {
  id?: string;
  issuer?: NonNullable<PolicyWire["issuer"]>;
  csr?: string;
  cancellation_requested?: boolean;
  status?: string;
  status_details?: string;
  error?: ErrorWire | null;
  target?: string;
  request_id?: string;
}

interface ErrorWire {
  code?: string;
  message?: string;
  innererror?: ErrorWire | null;
}

export interface IssuerWire {
  id?: string;
  provider?: string;
  credentials?: { account_id?: string; pwd?: string };
  org_details?: { id?: string; admin_details?: { first_name?: string; last_name?: string; email?: string; phone?: string }[] };
  attributes?: { enabled?: boolean; created?: number; updated?: number };
}

export interface ContactsWire {
  id?: string;
  contacts?: { email?: string; name?: string; phone?: string }[];
}

const orNull = <T>(value: T | undefined | null): T | null => (value === undefined ? null : value);

/** Key Vault's base64 or base64url bytes → the standard base64 az prints for the SDK's bytes. */
export function standardBytes(value: string | undefined | null): string | null {
  return value === undefined || value === null ? null : Buffer.from(value, "base64").toString("base64");
}

/** The name az's extract_subresource_name takes: the path segment after the collection. */
export function certificateName(id: string | undefined): string | null {
  if (id === undefined) return null;
  try {
    return new URL(id).pathname.split("/").filter(Boolean)[1] ?? null;
  } catch {
    return null;
  }
}

function thumbprintFields(x5t: string | undefined): Record<string, unknown> {
  const bytes = x5t === undefined ? undefined : Buffer.from(x5t, "base64");
  return { x509Thumbprint: bytes?.toString("base64") ?? null, x509ThumbprintHex: bytes?.toString("hex").toUpperCase() ?? null };
}

function deletedFields(wire: CertificateWire): Record<string, unknown> {
  if (wire.deletedDate === undefined && wire.recoveryId === undefined) return {};
  return { deletedDate: isoTime(wire.deletedDate), recoveryId: orNull(wire.recoveryId), scheduledPurgeDate: isoTime(wire.scheduledPurgeDate) };
}

/** show, import, set-attributes, pending merge, delete, show-deleted, recover, restore. */
export function certificateView(wire: CertificateWire): Record<string, unknown> {
  return {
    attributes: attributesView(wire.attributes),
    cer: standardBytes(wire.cer),
    contentType: orNull(wire.contentType),
    id: orNull(wire.id),
    kid: orNull(wire.kid),
    name: certificateName(wire.id),
    policy: policyView(wire.policy),
    sid: orNull(wire.sid),
    tags: orNull(wire.tags),
    ...thumbprintFields(wire.x5t),
    ...deletedFields(wire),
  };
}

/** list, list-versions, list-deleted. */
export function certificateItemView(wire: CertificateWire): Record<string, unknown> {
  return {
    attributes: attributesView(wire.attributes),
    id: orNull(wire.id),
    name: certificateName(wire.id),
    tags: orNull(wire.tags),
    ...thumbprintFields(wire.x5t),
    ...deletedFields(wire),
  };
}

function errorView(error: ErrorWire | null | undefined): Record<string, unknown> | null {
  if (error === undefined || error === null) return null;
  return { code: orNull(error.code), innerError: errorView(error.innererror), message: orNull(error.message) };
}

/** create (when done), pending show, pending delete. */
export function operationView(wire: OperationWire): Record<string, unknown> {
  return {
    cancellationRequested: orNull(wire.cancellation_requested),
    csr: standardBytes(wire.csr),
    error: errorView(wire.error),
    id: orNull(wire.id),
    issuerParameters: wire.issuer === undefined ? null : issuerParametersView(wire.issuer),
    name: certificateName(wire.id),
    requestId: orNull(wire.request_id),
    status: orNull(wire.status),
    statusDetails: orNull(wire.status_details),
    target: orNull(wire.target),
  };
}

/** issuer create, show, update, delete. */
export function issuerView(wire: IssuerWire): Record<string, unknown> {
  const attributes = wire.attributes;
  return {
    attributes: attributes === undefined ? null : { created: isoTime(attributes.created), enabled: orNull(attributes.enabled), updated: isoTime(attributes.updated) },
    credentials: wire.credentials === undefined ? null : { accountId: orNull(wire.credentials.account_id), password: null },
    id: orNull(wire.id),
    organizationDetails:
      wire.org_details === undefined
        ? null
        : {
            adminDetails: (wire.org_details.admin_details ?? []).map((admin) => ({
              emailAddress: orNull(admin.email),
              firstName: orNull(admin.first_name),
              lastName: orNull(admin.last_name),
              phone: orNull(admin.phone),
            })),
            id: orNull(wire.org_details.id),
          },
    provider: orNull(wire.provider),
  };
}

/** issuer list. */
export function issuerItemView(wire: IssuerWire): Record<string, unknown> {
  return { id: orNull(wire.id), provider: orNull(wire.provider) };
}

/** contact add, list, delete. */
export function contactsView(wire: ContactsWire): Record<string, unknown> {
  return {
    contactList: (wire.contacts ?? []).map((contact) => ({ emailAddress: orNull(contact.email), name: orNull(contact.name), phone: orNull(contact.phone) })),
    id: orNull(wire.id),
  };
}
