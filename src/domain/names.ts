import { DomainError } from "./errors.js";

// Azure's vault name rule: 3–24 of 0-9 a-z A-Z and '-', starts with a letter, ends with a letter or digit, no '--'.
const VAULT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
// Key Vault object names: 1–127 of 0-9 a-z A-Z and '-'.
const OBJECT_NAME = /^[0-9a-zA-Z-]{1,127}$/;
// ARM resource group names: 1–90 of letters, digits, '_', '-', '.', '(', ')'; not ending in '.'.
const GROUP_NAME = /^[-\w._()]{1,90}$/u;
// Compute resource names are looser; we keep to a safe subset.
const MACHINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** Whether `name` follows Azure's vault-name rule; checked before any lookup of a name a client chose. */
export function isVaultName(name: string): boolean {
  return VAULT_NAME.test(name);
}

export function assertVaultName(name: string): void {
  if (!isVaultName(name)) {
    throw new DomainError(
      "VaultNameNotValid",
      `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. ` +
        "The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. " +
        "Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742",
    );
  }
}

export function assertObjectName(name: string): void {
  if (!OBJECT_NAME.test(name)) {
    throw new DomainError("BadParameter", `The request URI contains an invalid name: ${name}`);
  }
}

export function assertGroupName(name: string): void {
  if (!GROUP_NAME.test(name) || name.endsWith(".")) {
    const bad = [...new Set(name.replace(/[-\w._()]/gu, ""))].join("");
    throw new DomainError(
      "InvalidResourceGroup",
      `The provided resource group name '${name}' has these invalid characters: '${bad}'. ` +
        "The name can only be a letter, digit, '-', '.', '(', ')' or '_'.",
    );
  }
}

export function assertMachineName(name: string): void {
  if (!MACHINE_NAME.test(name)) {
    throw new DomainError(
      "InvalidResourceName",
      `The resource name '${name}' is invalid. It must start with a letter or digit and contain at most 64 ` +
        "letters, digits, '_', '.' or '-'.",
    );
  }
}

/** "West US" → "westus", as ARM normalizes locations. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}
