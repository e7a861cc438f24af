/**
 * ARM's cloud metadata (`/metadata/endpoints`), whose shape depends on its api-version as Azure's does:
 * - before 2019-05-01 (az's `cloud register` reads 2015-01-01): one legacy object, `galleryEndpoint`,
 *   `graphEndpoint`, `portalEndpoint` and `authentication`;
 * - 2019-05-01 up to 2022-09-01: an array of clouds (az's cloud auto-detection reads 2019-05-01);
 * - from 2022-09-01 (today's az): the one cloud this endpoint belongs to, as an object.
 */
import { DomainError } from "../../domain/errors.js";
import { classifyApiVersion, type ApiVersionFamily } from "../api-versions.js";

export const CLOUD_METADATA: ApiVersionFamily = { name: "metadata", known: ["2015-01-01", "2019-05-01", "2022-09-01"], floor: "2015-01-01", sevenSeries: false };

export interface CloudMetadata {
  portal: string;
  authentication: { loginEndpoint: string; audiences: string[]; [field: string]: unknown };
  graph: string;
  [field: string]: unknown;
}

export function cloudMetadataFor(apiVersion: string | undefined, cloud: CloudMetadata): unknown {
  // Without a version Kluis has always answered the array; clients that send none keep getting it.
  if (apiVersion === undefined || apiVersion === "") return [cloud];
  const verdict = classifyApiVersion(CLOUD_METADATA, apiVersion);
  if (!verdict.accepted) {
    const supported = [...CLOUD_METADATA.known].reverse().join(",");
    throw new DomainError("InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are '${supported}'.`);
  }
  if (verdict.behavesAs === "2015-01-01") {
    return {
      galleryEndpoint: cloud.portal.endsWith("/") ? cloud.portal : `${cloud.portal}/`,
      graphEndpoint: cloud.graph,
      portalEndpoint: cloud.portal.endsWith("/") ? cloud.portal : `${cloud.portal}/`,
      authentication: { loginEndpoint: cloud.authentication.loginEndpoint, audiences: cloud.authentication.audiences },
    };
  }
  return verdict.behavesAs === "2019-05-01" ? [cloud] : cloud;
}
