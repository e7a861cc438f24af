/**
 * Key Vault's JSON shapes for certificates: bundles (the certificate with its key and secret ids, thumbprint, DER
 * and policy), list items, deleted bundles, pending operations, issuers and contacts. Built in the newest shape;
 * vault/shapes.ts trims it per api-version.
 */
import { policyJson, type CertificatePolicy } from "../../../domain/certificates/certificate-policy.js";
import { certificateMetaOf } from "../../../domain/certificates/certificate-versions.js";
import type { IssuerBody, Contact } from "../../../domain/certificates/issuers-and-contacts.js";
import type { PendingOperation } from "../../../domain/certificates/pending-operations.js";
import type { DeletedObjectRecord, ObjectVersionRecord, VaultDocumentRecord, VaultRecord } from "../../../storage/types.js";
import { objectAttributes } from "../collection-wire.js";

export function certificateUri(vaultUri: string, name: string): string {
  return `${vaultUri}certificates/${name}`;
}

export function certificateBundle(vaultUri: string, vault: VaultRecord, record: ObjectVersionRecord, policy: CertificatePolicy | null) {
  const meta = certificateMetaOf(record);
  const bundle: Record<string, unknown> = {
    id: `${certificateUri(vaultUri, record.name)}/${record.version}`,
    kid: `${vaultUri}keys/${record.name}/${record.version}`,
    sid: `${vaultUri}secrets/${record.name}/${record.version}`,
  };
  // A pending version (its operation still running) has no certificate yet.
  if (meta.x5t !== undefined) bundle.x5t = meta.x5t;
  if (meta.cer !== undefined) bundle.cer = meta.cer;
  bundle.attributes = objectAttributes(vault, record);
  if (record.tags !== null) bundle.tags = record.tags;
  // The content type of the certificate's secret (Key Vault's CertificateBundle has it since the spec added it).
  if (record.contentType !== null) bundle.contentType = record.contentType;
  if (policy) bundle.policy = policyJson(certificateUri(vaultUri, record.name), policy);
  if (meta.preserveCertOrder) bundle.preserveCertOrder = true;
  return bundle;
}

/** List items carry the thumbprint and the validity attributes, without the vault's recovery settings (as Azure). */
export function certificateItem(vaultUri: string, record: ObjectVersionRecord, withVersion: boolean) {
  const { enabled, nbf, exp } = record.attributes;
  const attributes: Record<string, unknown> = { enabled };
  if (nbf !== null) attributes.nbf = nbf;
  if (exp !== null) attributes.exp = exp;
  attributes.created = record.createdAt;
  attributes.updated = record.updatedAt;
  const item: Record<string, unknown> = { id: withVersion ? `${certificateUri(vaultUri, record.name)}/${record.version}` : certificateUri(vaultUri, record.name) };
  const x5t = certificateMetaOf(record).x5t;
  if (x5t !== undefined) item.x5t = x5t;
  item.attributes = attributes;
  if (record.tags !== null) item.tags = record.tags;
  return item;
}

function deletedFields(vaultUri: string, deleted: DeletedObjectRecord) {
  return { recoveryId: `${vaultUri}deletedcertificates/${deleted.latest.name}`, deletedDate: deleted.deletedAt, scheduledPurgeDate: deleted.scheduledPurgeAt };
}

export function deletedCertificateBundle(vaultUri: string, vault: VaultRecord, deleted: DeletedObjectRecord, policy: CertificatePolicy | null) {
  return { ...deletedFields(vaultUri, deleted), ...certificateBundle(vaultUri, vault, deleted.latest, policy) };
}

export function deletedCertificateItem(vaultUri: string, deleted: DeletedObjectRecord) {
  return { ...deletedFields(vaultUri, deleted), ...certificateItem(vaultUri, deleted.latest, false) };
}

export function operationJson(vaultUri: string, operation: PendingOperation) {
  const json: Record<string, unknown> = {
    id: `${certificateUri(vaultUri, operation.name)}/pending`,
    issuer: { ...operation.issuer },
    csr: operation.csr,
    cancellation_requested: operation.cancellationRequested,
    status: operation.status,
    status_details: operation.statusDetails,
  };
  if (operation.error) json.error = { ...operation.error };
  if (operation.status === "completed") json.target = certificateUri(vaultUri, operation.name);
  if (operation.preserveCertOrder) json.preserveCertOrder = true;
  json.request_id = operation.requestId;
  return json;
}

export function issuerUri(vaultUri: string, name: string): string {
  return `${vaultUri}certificates/issuers/${name}`;
}

/** An issuer as Azure returns it: never its password. */
export function issuerBundle(vaultUri: string, doc: VaultDocumentRecord) {
  const body = doc.body as unknown as IssuerBody;
  const json: Record<string, unknown> = { id: issuerUri(vaultUri, doc.name), provider: body.provider };
  if (body.credentials) json.credentials = { ...body.credentials };
  if (body.org_details) json.org_details = structuredClone(body.org_details);
  json.attributes = { ...body.attributes };
  return json;
}

export function issuerItem(vaultUri: string, doc: VaultDocumentRecord) {
  return { id: issuerUri(vaultUri, doc.name), provider: (doc.body as unknown as IssuerBody).provider };
}

export function contactsJson(vaultUri: string, contacts: Contact[]) {
  return { id: `${vaultUri}certificates/contacts`, contacts: contacts.map((c) => ({ ...c })) };
}
