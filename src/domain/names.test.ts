/** Azure's naming rules for vaults, Key Vault objects and resource groups, and ARM's location normalization. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError } from "./errors.js";
import { assertGroupName, assertMachineName, assertObjectName, assertVaultName, normalizeLocation } from "./names.js";

function rejects(check: (name: string) => void, name: string, code: string, fragment: string): void {
  assert.throws(
    () => check(name),
    (error: unknown) => {
      assert.ok(error instanceof DomainError, `${JSON.stringify(name)} threw a DomainError`);
      assert.equal(error.code, code, JSON.stringify(name));
      assert.ok(error.message.includes(fragment), `${JSON.stringify(name)}: ${error.message}`);
      return true;
    },
  );
}

describe("vault names", { timeout: 30_000 }, () => {
  it("accepts 3–24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit", () => {
    for (const name of ["abc", "a-b", "A1b", "kv-prod-01", "a1-b2-c3", "Z".repeat(24), `a${"-b".repeat(11)}1`.slice(0, 24)]) {
      assert.doesNotThrow(() => assertVaultName(name), name);
    }
  });

  it("refuses names that break the rule, with Azure's message", () => {
    const bad = ["", "ab", "a".repeat(25), "1abc", "-abc", "abc-", "a--b", "ab--cd", "a_b", "a.b", "a b", "abé", "abc/"];
    for (const name of bad) {
      rejects(assertVaultName, name, "VaultNameNotValid", `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters.`);
    }
    rejects(assertVaultName, "ab", "VaultNameNotValid", "not contain consecutive hyphens");
  });
});

describe("object names", { timeout: 30_000 }, () => {
  it("accepts 1–127 letters, digits and hyphens", () => {
    for (const name of ["a", "0", "-", "App-Secret-1", "x".repeat(127)]) assert.doesNotThrow(() => assertObjectName(name), name);
  });

  it("refuses anything else as a bad parameter naming the name", () => {
    for (const name of ["", "x".repeat(128), "bad_name", "a.b", "a b", "a/b", "é", "a%2Fb"]) {
      rejects(assertObjectName, name, "BadParameter", `The request URI contains an invalid name: ${name}`);
    }
  });
});

describe("resource group names", { timeout: 30_000 }, () => {
  it("accepts 1–90 letters, digits, '_', '-', '.', '(' and ')' not ending in '.'", () => {
    for (const name of ["r", "rg-1", "My_Group.(test)", "a.b", "g".repeat(90)]) assert.doesNotThrow(() => assertGroupName(name), name);
  });

  it("refuses other characters, a trailing dot, and empty or over-long names", () => {
    rejects(assertGroupName, "bad name!", "InvalidResourceGroup", "has these invalid characters: ' !'");
    rejects(assertGroupName, "rg/x", "InvalidResourceGroup", "invalid characters: '/'");
    rejects(assertGroupName, "trailing.", "InvalidResourceGroup", "The provided resource group name 'trailing.'");
    rejects(assertGroupName, "g".repeat(91), "InvalidResourceGroup", "The name can only be a letter, digit");
    rejects(assertGroupName, "", "InvalidResourceGroup", "The provided resource group name ''");
  });
});

describe("machine names", { timeout: 30_000 }, () => {
  it("accepts up to 64 letters, digits, '_', '.' and '-', starting with a letter or digit", () => {
    for (const name of ["vm1", "1vm", "web_01.prod-a", "m".repeat(64)]) assert.doesNotThrow(() => assertMachineName(name), name);
    for (const name of ["", "-vm", "_vm", "m".repeat(65), "vm 1", "vm/1"]) rejects(assertMachineName, name, "InvalidResourceName", `'${name}' is invalid`);
  });
});

describe("normalizeLocation", { timeout: 30_000 }, () => {
  it("lower-cases and drops whitespace, as ARM does", () => {
    assert.equal(normalizeLocation("West US"), "westus");
    assert.equal(normalizeLocation("  East  US 2 "), "eastus2");
    assert.equal(normalizeLocation("westeurope"), "westeurope");
  });
});
