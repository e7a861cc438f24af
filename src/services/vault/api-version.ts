/** The Key Vault data plane's api-version rule, for every collection of the vault surface. */
import { DomainError } from "../../domain/errors.js";

const STABLE_API_VERSIONS = new Set(["2015-06-01", "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"]);
const PREVIEW_API_VERSION = /^(7\.\d-preview(\.\d+)?|20\d\d-\d\d-\d\d-preview)$/;
export const LATEST_API_VERSION = "2025-07-01";

/** Returns the request's api-version when Kluis serves it; throws Azure's BadParameter otherwise. */
export function checkVaultApiVersion(apiVersion: string | undefined): string {
  if (apiVersion === undefined || apiVersion === "") {
    throw new DomainError("BadParameter", "The api-version query parameter is missing. Consider using the latest supported version (7.6).");
  }
  if (!STABLE_API_VERSIONS.has(apiVersion) && !PREVIEW_API_VERSION.test(apiVersion)) {
    throw new DomainError("BadParameter", `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (7.6).`);
  }
  return apiVersion;
}

/**
 * Orders api-versions as Azure released them: 2015-06-01 < 2016-10-01 < 7.0 < … < 7.6 < 2025-07-01 < later dates.
 * A preview ranks with its release (7.6-preview.2 with 7.6), since it already carries that release's shapes.
 * Only call this with a version `checkVaultApiVersion` accepted.
 */
export function apiVersionRank(apiVersion: string): number {
  const seven = /^7\.(\d+)/.exec(apiVersion);
  if (seven) return 1_000 + Number(seven[1]);
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(apiVersion);
  if (!date) return 0;
  const day = Number(date[1]) * 10_000 + Number(date[2]) * 100 + Number(date[3]);
  // 2015/2016 date versions came before 7.0; from 2025 on, dates follow 7.6.
  return day < 2017_00_00 ? day / 1e8 : day;
}

/** Whether a response for `apiVersion` carries what `introducedIn` added (see the shapes table in wire modules). */
export function apiVersionAtLeast(apiVersion: string, introducedIn: string): boolean {
  return apiVersionRank(apiVersion) >= apiVersionRank(introducedIn);
}
