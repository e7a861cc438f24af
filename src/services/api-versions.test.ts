/** The api-version rule: known, in-between and newer versions accepted and mapped to a known behaviour; the rest refused. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError } from "../domain/errors.js";
import { ARM_NAMESPACES, armResourceTypeOf, checkArmApiVersion, classifyApiVersion, forEveryGraphVersion, graphVersionOf, VAULT_DATA_PLANE } from "./api-versions.js";
import { apiVersionAtLeast, checkVaultApiVersion } from "./vault/api-version.js";
import { SHAPES, shapeFor } from "./vault/shapes.js";

const behavesAs = (version: string) => {
  const verdict = classifyApiVersion(VAULT_DATA_PLANE, version);
  assert.ok(verdict.accepted, `${version} accepted`);
  return verdict.behavesAs;
};

function refused(check: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(check, (error: unknown) => {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, code);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe("the vault data plane's api-version rule", { timeout: 30_000 }, () => {
  it("answers every known version with its own behaviour", () => {
    for (const known of VAULT_DATA_PLANE.known) assert.equal(behavesAs(known), known);
    assert.throws(() => checkVaultApiVersion(undefined), /Consider using the latest supported version \(2025-07-01\)/);
  });

  it("answers newer versions, in both spellings and as previews, with the newest known behaviour", () => {
    for (const newer of ["2026-04-01", "2026-04-01-preview", "2031-12-31", "7.7", "7.12", "7.9-preview.1"]) assert.equal(behavesAs(newer), "2025-07-01", newer);
    assert.equal(checkVaultApiVersion("2026-04-01"), "2026-04-01", "the request's own version is kept, e.g. for nextLink");
  });

  it("answers a version between two known ones, or a preview, with the known one before it", () => {
    assert.equal(behavesAs("7.6-preview.2"), "7.6");
    assert.equal(behavesAs("7.3-preview"), "7.3");
    assert.equal(behavesAs("2024-01-01"), "7.6");
    assert.equal(behavesAs("2016-11-15"), "2016-10-01");
  });

  it("refuses malformed and pre-2016-10-01 versions with Azure's message naming the newest known version", () => {
    for (const bad of ["1999-01-01", "2016-09-30", "2015-07-01", "8.0", "7", "7.x", "v7.4", "2025-02-30", "2025-7-01", "2025-07-01-beta", "latest", " 7.4"]) {
      refused(() => checkVaultApiVersion(bad), "BadParameter", `The specified version (${bad}) is not recognized. Consider using the latest supported version (2025-07-01).`);
    }
    refused(() => checkVaultApiVersion(undefined), "BadParameter", "The api-version query parameter is missing. Consider using the latest supported version (2025-07-01).");
    refused(() => checkVaultApiVersion(""), "BadParameter", /missing/);
  });

  it("keeps 2015-06-01, the first release, which Azure still answers", () => {
    assert.equal(behavesAs("2015-06-01"), "2015-06-01");
  });

  it("orders versions by release for shapes, mapping unknown ones first", () => {
    assert.ok(apiVersionAtLeast("7.1", "7.1") && apiVersionAtLeast("7.2", "7.1") && apiVersionAtLeast("2025-07-01", "7.6"));
    assert.ok(!apiVersionAtLeast("7.0", "7.1") && !apiVersionAtLeast("2016-10-01", "7.0") && !apiVersionAtLeast("2015-06-01", "2016-10-01"));
    assert.ok(apiVersionAtLeast("7.7", "2025-07-01"), "an unknown 7.x answers as the newest");
    assert.ok(apiVersionAtLeast("2026-04-01", "2025-07-01"));
  });
});

describe("ARM's api-version rule per provider namespace", { timeout: 30_000 }, () => {
  const VAULT = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults/{vaultName}";
  const RG = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}";

  it("finds the namespace and type after the last providers segment", () => {
    assert.deepEqual(armResourceTypeOf(VAULT), { namespace: "Microsoft.KeyVault", type: "vaults" });
    assert.deepEqual(armResourceTypeOf(`${VAULT}/accessPolicies/{operationKind}`), { namespace: "Microsoft.KeyVault", type: "vaults/accessPolicies" });
    assert.deepEqual(armResourceTypeOf(`${VAULT}/providers/Microsoft.Authorization/roleAssignments/{name}`), { namespace: "Microsoft.Authorization", type: "roleAssignments" });
    assert.deepEqual(armResourceTypeOf(RG), { namespace: "Microsoft.Resources", type: "resourcegroups" });
    assert.deepEqual(armResourceTypeOf("/providers/Microsoft.Authorization/roleDefinitions"), { namespace: "Microsoft.Authorization", type: "roleDefinitions" });
  });

  it("accepts known, in-between and newer versions of each namespace", () => {
    for (const family of Object.values(ARM_NAMESPACES)) {
      for (const known of family.known) assert.equal(classifyApiVersion(family, known).accepted, true, `${family.name} ${known}`);
      const newest = family.known[family.known.length - 1]!;
      const later = classifyApiVersion(family, "2099-01-01");
      assert.ok(later.accepted && later.behavesAs === newest, family.name);
    }
    assert.equal(checkArmApiVersion(VAULT, "2026-02-01").behavesAs, "2024-11-01");
    assert.equal(checkArmApiVersion(VAULT, "2023-08-01-preview").behavesAs, "2023-07-01");
  });

  it("refuses malformed and too-old versions with ARM's code and message for the namespace", () => {
    refused(() => checkArmApiVersion(RG, "2013-03-01"), "InvalidApiVersionParameter", /^The api-version '2013-03-01' is invalid\. The supported versions are '2025-04-01,2024-11-01,.*,2014-04-01'\.$/);
    refused(() => checkArmApiVersion(VAULT, "7.4"), "NoRegisteredProviderFound", /^No registered resource provider found for API version '7\.4' for type 'vaults'\. The supported api-versions are '2015-06-01, 2016-10-01, .*, 2024-11-01'\.$/);
    refused(() => checkArmApiVersion(VAULT, "2014-12-19"), "NoRegisteredProviderFound", /for type 'vaults'/);
    refused(() => checkArmApiVersion(VAULT, undefined), "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  });
});

describe("Graph's path versions", { timeout: 30_000 }, () => {
  it("recognizes /v1.0/ and /beta/ only, and serves every route under both", () => {
    assert.equal(graphVersionOf("/v1.0/servicePrincipals"), "v1.0");
    assert.equal(graphVersionOf("/beta/applications/x"), "beta");
    assert.equal(graphVersionOf("/v2.0/servicePrincipals"), undefined);
    assert.equal(graphVersionOf("/subscriptions"), undefined);
    assert.deepEqual(forEveryGraphVersion([{ path: "/v1.0/me" }]).map((r) => r.path), ["/v1.0/me", "/beta/me"]);
  });
});

describe("the shapes table", { timeout: 30_000 }, () => {
  const attributes = { enabled: true, created: 1, updated: 1, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 };
  const bundle = { value: "v", id: "https://kv/secrets/a/1", attributes };

  it("every row names a version the rule knows", () => {
    for (const rows of Object.values(SHAPES)) for (const version of Object.values(rows)) assert.ok(VAULT_DATA_PLANE.known.includes(version), version);
  });

  it("drops fields introduced after the request's version, and only those, without touching the input", () => {
    assert.deepEqual(shapeFor("secrets", "7.1", bundle), bundle);
    assert.deepEqual(shapeFor("secrets", "2026-04-01", bundle), bundle);
    const seven = shapeFor("secrets", "7.0", bundle);
    assert.deepEqual(seven.attributes, { enabled: true, created: 1, updated: 1, recoveryLevel: "Recoverable+Purgeable" });
    assert.deepEqual(shapeFor("secrets", "2016-10-01", bundle).attributes, seven.attributes);
    assert.deepEqual(shapeFor("secrets", "2015-06-01", bundle).attributes, { enabled: true, created: 1, updated: 1 });
    const deleted = { recoveryId: "r", deletedDate: 1, scheduledPurgeDate: 2, ...bundle };
    assert.deepEqual(Object.keys(shapeFor("secrets", "2015-06-01", deleted)), ["value", "id", "attributes"]);
    assert.equal(bundle.attributes.recoverableDays, 90, "input unchanged");
  });
});
