/**
 * Key Vault's key objects → what `az keyvault key` prints. az shows the Python SDK's models: a key as
 * {attributes, key, managed, releasePolicy, tags} with the JWK's byte fields in standard base64 and every JWK
 * field present (null when absent), a list item as {attributes, kid, managed, name, releasePolicy, tags}, a
 * rotation policy as {createdOn, expiresIn, id, lifetimeActions, updatedOn}. Private JWK fields are always null
 * here, whatever a server sends: a private key is never printed.
 */
import { isoTime, nameFromId } from "./secret-view.js";

export interface KeyAttributesWire {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  created?: number;
  updated?: number;
  recoveryLevel?: string;
  recoverableDays?: number;
  exportable?: boolean;
  hsmPlatform?: string;
}

export interface JwkWire {
  kid?: string;
  kty?: string;
  key_ops?: string[];
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

export interface ReleasePolicyWire {
  contentType?: string;
  data?: string;
  immutable?: boolean;
}

/** A key bundle, a list item, or either of them deleted. */
export interface KeyWire {
  key?: JwkWire;
  kid?: string;
  attributes?: KeyAttributesWire;
  tags?: Record<string, string> | null;
  managed?: boolean | null;
  release_policy?: ReleasePolicyWire;
  recoveryId?: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
}

const PUBLIC_BYTE_FIELDS = ["n", "e", "x", "y"] as const;
const PRIVATE_FIELDS = ["d", "dp", "dq", "k", "p", "q", "qi", "t"] as const;

/** base64url (the wire) → standard base64 with padding (what az prints for the SDK's bytes). */
export function standardBase64(value: string | undefined | null): string | null {
  return value === undefined || value === null ? null : Buffer.from(value, "base64url").toString("base64");
}

function attributesView(attributes: KeyAttributesWire | undefined): Record<string, unknown> {
  const a = attributes ?? {};
  return {
    created: isoTime(a.created),
    enabled: a.enabled ?? null,
    expires: isoTime(a.exp),
    exportable: a.exportable ?? null,
    hsmPlatform: a.hsmPlatform ?? null,
    notBefore: isoTime(a.nbf),
    recoverableDays: a.recoverableDays ?? null,
    recoveryLevel: a.recoveryLevel ?? null,
    updated: isoTime(a.updated),
  };
}

function jwkView(jwk: JwkWire | undefined): Record<string, unknown> {
  const key = jwk ?? {};
  const view: Record<string, unknown> = { crv: key.crv ?? null, keyOps: key.key_ops ?? null, kid: key.kid ?? null, kty: key.kty ?? null };
  for (const field of PUBLIC_BYTE_FIELDS) view[field] = standardBase64(key[field]);
  for (const field of PRIVATE_FIELDS) view[field] = null;
  return view;
}

/** The SDK's KeyReleasePolicy: its encoded policy is printed as the policy's JSON text. */
function releasePolicyView(policy: ReleasePolicyWire | undefined): Record<string, unknown> | null {
  if (policy === undefined) return null;
  return {
    contentType: policy.contentType ?? null,
    encodedPolicy: policy.data === undefined ? null : Buffer.from(policy.data, "base64url").toString("utf8"),
    immutable: policy.immutable ?? null,
  };
}

function deletedFields(wire: KeyWire): Record<string, unknown> {
  if (wire.deletedDate === undefined && wire.recoveryId === undefined) return {};
  return { deletedDate: isoTime(wire.deletedDate), recoveryId: wire.recoveryId ?? null, scheduledPurgeDate: isoTime(wire.scheduledPurgeDate) };
}

/** create, import, show, set-attributes, rotate, recover, restore, delete, show-deleted. */
export function keyView(wire: KeyWire): Record<string, unknown> {
  return {
    attributes: attributesView(wire.attributes),
    key: jwkView(wire.key),
    managed: wire.managed ?? null,
    releasePolicy: releasePolicyView(wire.release_policy),
    tags: wire.tags ?? null,
    ...deletedFields(wire),
  };
}

/** list, list-versions, list-deleted. */
export function keyItemView(wire: KeyWire): Record<string, unknown> {
  return {
    attributes: attributesView(wire.attributes),
    kid: wire.kid ?? null,
    managed: wire.managed ?? null,
    name: nameFromId(wire.kid),
    releasePolicy: releasePolicyView(wire.release_policy),
    tags: wire.tags ?? null,
    ...deletedFields(wire),
  };
}

export interface RotationPolicyWire {
  id?: string;
  lifetimeActions?: { trigger?: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action?: { type?: string } }[];
  attributes?: { expiryTime?: string; created?: number; updated?: number };
}

/** The SDK's enum spelling, whatever case the service used. */
function actionName(type: string | undefined): string | null {
  if (type === undefined) return null;
  const lower = type.toLowerCase();
  return lower === "rotate" ? "Rotate" : lower === "notify" ? "Notify" : type;
}

export function rotationPolicyView(wire: RotationPolicyWire): Record<string, unknown> {
  return {
    createdOn: isoTime(wire.attributes?.created),
    expiresIn: wire.attributes?.expiryTime ?? null,
    id: wire.id ?? null,
    lifetimeActions: (wire.lifetimeActions ?? []).map((action) => ({
      action: actionName(action.action?.type),
      timeAfterCreate: action.trigger?.timeAfterCreate ?? null,
      timeBeforeExpiry: action.trigger?.timeBeforeExpiry ?? null,
    })),
    updatedOn: isoTime(wire.attributes?.updated),
  };
}
