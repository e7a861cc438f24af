/** The Key Vault data plane's api-version rule (see services/api-versions.ts), for every collection of the vault surface. */
import { DomainError } from "../../domain/errors.js";
import { classifyApiVersion, newestKnown, rankOf, VAULT_DATA_PLANE } from "../api-versions.js";

const LATEST_API_VERSION = newestKnown(VAULT_DATA_PLANE);

/** Returns the request's api-version when Kluis serves it; throws Azure's BadParameter naming the newest known one otherwise. */
export function checkVaultApiVersion(apiVersion: string | undefined): string {
  const verdict = classifyApiVersion(VAULT_DATA_PLANE, apiVersion);
  if (verdict.accepted) return verdict.requested;
  if (verdict.reason === "missing") {
    throw new DomainError("BadParameter", `The api-version query parameter is missing. Consider using the latest supported version (${LATEST_API_VERSION}).`);
  }
  throw new DomainError("BadParameter", `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`);
}

/**
 * Orders api-versions as Azure released them: 2015-06-01 < 2016-10-01 < 7.0 < … < 7.6 < 2025-07-01 < later dates,
 * after mapping a version Kluis does not know to the known one whose behaviour answers it (a 7.7 answers as the
 * newest). Only call this with a version `checkVaultApiVersion` accepted.
 */
export function apiVersionRank(apiVersion: string): number {
  const verdict = classifyApiVersion(VAULT_DATA_PLANE, apiVersion);
  return rankOf(verdict.accepted ? verdict.behavesAs : apiVersion);
}

/** Whether a response for `apiVersion` carries what `introducedIn` added (see the shapes table, vault/shapes.ts). */
export function apiVersionAtLeast(apiVersion: string, introducedIn: string): boolean {
  return apiVersionRank(apiVersion) >= apiVersionRank(introducedIn);
}
