/** Key Vault's JSON shapes for secrets: bundles, list items, deleted bundles, and paging links. */
import { DomainError } from "../../domain/errors.js";
import type { DeletedSecretRecord, SecretVersionRecord, VaultRecord } from "../../storage/types.js";

export const DEFAULT_PAGE_SIZE = 25;

export function recoveryLevel(vault: VaultRecord): string {
  const customized = vault.properties.softDeleteRetentionInDays < 90 ? "Customized" : "";
  return `${customized}Recoverable${vault.properties.enablePurgeProtection ? "" : "+Purgeable"}`;
}

export function secretAttributes(vault: VaultRecord, record: SecretVersionRecord) {
  const attributes: Record<string, unknown> = { enabled: record.attributes.enabled };
  if (record.attributes.nbf !== null) attributes.nbf = record.attributes.nbf;
  if (record.attributes.exp !== null) attributes.exp = record.attributes.exp;
  attributes.created = record.createdAt;
  attributes.updated = record.updatedAt;
  attributes.recoveryLevel = recoveryLevel(vault);
  attributes.recoverableDays = vault.properties.softDeleteRetentionInDays;
  return attributes;
}

/** The secret bundle; `value` only on reads and writes of a value, never on updates or lists. */
export function secretBundle(vaultUri: string, vault: VaultRecord, record: SecretVersionRecord, value?: string) {
  const bundle: Record<string, unknown> = {};
  if (value !== undefined) bundle.value = value;
  bundle.id = `${vaultUri}secrets/${record.name}/${record.version}`;
  if (record.contentType !== null) bundle.contentType = record.contentType;
  bundle.attributes = secretAttributes(vault, record);
  if (record.tags !== null) bundle.tags = record.tags;
  return bundle;
}

export function secretItem(vaultUri: string, vault: VaultRecord, record: SecretVersionRecord, withVersion: boolean) {
  const item: Record<string, unknown> = {
    id: `${vaultUri}secrets/${record.name}${withVersion ? `/${record.version}` : ""}`,
    attributes: secretAttributes(vault, record),
  };
  if (record.contentType !== null) item.contentType = record.contentType;
  if (record.tags !== null) item.tags = record.tags;
  return item;
}

export function deletedSecretBundle(vaultUri: string, vault: VaultRecord, deleted: DeletedSecretRecord) {
  return {
    recoveryId: `${vaultUri}deletedsecrets/${deleted.latest.name}`,
    deletedDate: deleted.deletedAt,
    scheduledPurgeDate: deleted.scheduledPurgeAt,
    ...secretBundle(vaultUri, vault, deleted.latest),
  };
}

export function deletedSecretItem(vaultUri: string, vault: VaultRecord, deleted: DeletedSecretRecord) {
  return {
    recoveryId: `${vaultUri}deletedsecrets/${deleted.latest.name}`,
    deletedDate: deleted.deletedAt,
    scheduledPurgeDate: deleted.scheduledPurgeAt,
    ...secretItem(vaultUri, vault, deleted.latest, false),
  };
}

export interface PageRequest {
  limit: number;
  after: string | null;
}

/** `maxresults` 1–25 and an opaque `$skiptoken` wrapping the store's continuation key. */
export function pageRequest(query: ReadonlyMap<string, string>): PageRequest {
  const raw = query.get("maxresults");
  let limit = DEFAULT_PAGE_SIZE;
  if (raw !== undefined && raw !== "") {
    limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > DEFAULT_PAGE_SIZE) {
      throw new DomainError("BadParameter", `Invalid value '${raw}' for maxresults. The value must be between 1 and ${DEFAULT_PAGE_SIZE}.`);
    }
  }
  const token = query.get("$skiptoken");
  if (token === undefined || token === "") return { limit, after: null };
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { k?: unknown };
    if (typeof parsed.k !== "string") throw new Error("no key");
    return { limit, after: parsed.k };
  } catch {
    throw new DomainError("BadParameter", "The value of $skiptoken is invalid.");
  }
}

export function nextLink(base: string, apiVersion: string, limit: number, next: string | null): string | null {
  if (next === null) return null;
  const token = Buffer.from(JSON.stringify({ k: next }), "utf8").toString("base64url");
  return `${base}?api-version=${encodeURIComponent(apiVersion)}&$skiptoken=${token}&maxresults=${limit}`;
}
