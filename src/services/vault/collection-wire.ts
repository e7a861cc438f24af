/**
 * What every collection of the vault surface (secrets, keys, certificates) shares on the wire: the recovery level
 * of its objects, and paging (`maxresults`, `$skiptoken`, `nextLink`).
 */
import { DomainError } from "../../domain/errors.js";
import type { ObjectVersionRecord, VaultRecord } from "../../storage/types.js";

export const DEFAULT_PAGE_SIZE = 25;

export function recoveryLevel(vault: VaultRecord): string {
  const customized = vault.properties.softDeleteRetentionInDays < 90 ? "Customized" : "";
  return `${customized}Recoverable${vault.properties.enablePurgeProtection ? "" : "+Purgeable"}`;
}

/** The attributes every vault object carries (secrets, keys), in Azure's order; a collection adds its own. */
export function objectAttributes(vault: VaultRecord, record: ObjectVersionRecord): Record<string, unknown> {
  const attributes: Record<string, unknown> = { enabled: record.attributes.enabled };
  if (record.attributes.nbf !== null) attributes.nbf = record.attributes.nbf;
  if (record.attributes.exp !== null) attributes.exp = record.attributes.exp;
  attributes.created = record.createdAt;
  attributes.updated = record.updatedAt;
  attributes.recoveryLevel = recoveryLevel(vault);
  attributes.recoverableDays = vault.properties.softDeleteRetentionInDays;
  return attributes;
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
