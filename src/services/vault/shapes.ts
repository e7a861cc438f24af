/**
 * Which api-version introduced each field of the vault's JSON shapes, per collection: a client speaking an older
 * version gets the shape of that version, without fields it was written before (as Azure answers it). The wire
 * modules build the newest shape; `shapeFor` removes what the request's version does not have yet.
 * Fields are paths into the object (`attributes.recoverableDays`); a collection adds its rows to SHAPES.
 * Sources: the Key Vault data-plane specs (Azure/azure-rest-api-specs, specification/keyvault/data-plane).
 */
import { apiVersionAtLeast } from "./api-version.js";

export type VaultCollection = "secrets" | "keys" | "certificates";

export const SHAPES: Readonly<Record<VaultCollection, Readonly<Record<string, string>>>> = {
  secrets: {
    // Soft delete arrived in 2016-10-01: the recovery level, and the deleted bundle's recovery fields.
    "attributes.recoveryLevel": "2016-10-01",
    recoveryId: "2016-10-01",
    deletedDate: "2016-10-01",
    scheduledPurgeDate: "2016-10-01",
    // Configurable retention arrived in 7.1.
    "attributes.recoverableDays": "7.1",
  },
  keys: {
    "attributes.recoveryLevel": "2016-10-01",
    recoveryId: "2016-10-01",
    deletedDate: "2016-10-01",
    scheduledPurgeDate: "2016-10-01",
    "attributes.recoverableDays": "7.1",
    // Secure key release arrived in 7.3: the exportable attribute and the release policy.
    "attributes.exportable": "7.3",
    release_policy: "7.3",
    // hsmPlatform (7.5) is only reported for HSM-protected keys, which a standard vault does not have.
  },
  certificates: {
    "attributes.recoveryLevel": "2016-10-01",
    recoveryId: "2016-10-01",
    deletedDate: "2016-10-01",
    scheduledPurgeDate: "2016-10-01",
    "attributes.recoverableDays": "7.1",
    "policy.attributes.recoveryLevel": "2016-10-01",
    // The chain-order flag arrived with 7.6.
    preserveCertOrder: "7.6",
  },
};

/** The shape of `json` as `apiVersion` defines it: a copy without the fields introduced after that version. */
export function shapeFor<T extends Record<string, unknown>>(collection: VaultCollection, apiVersion: string, json: T): T {
  const copy = structuredClone(json);
  for (const [field, introducedIn] of Object.entries(SHAPES[collection])) {
    if (apiVersionAtLeast(apiVersion, introducedIn)) continue;
    const path = field.split(".");
    let holder: Record<string, unknown> | undefined = copy;
    for (const key of path.slice(0, -1)) {
      const next: unknown = holder?.[key];
      holder = typeof next === "object" && next !== null ? (next as Record<string, unknown>) : undefined;
    }
    if (holder) delete holder[path[path.length - 1]!];
  }
  return copy;
}
