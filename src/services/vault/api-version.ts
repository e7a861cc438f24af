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
