/**
 * Parsing of az-style argument values: tags, three-state booleans, datetimes, permission lists. Bad values are
 * usage errors (exit 2) worded the way argparse words them in az.
 */
import { UsageError } from "./errors.js";

/** `--tags k=v k2=v2 flag` → {k: "v", k2: "v2", flag: ""}; `--tags ""` clears all tags, as in az. */
export function parseTags(values: string[] | undefined): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const tags: Record<string, string> = {};
  for (const value of values) {
    if (value === "") continue;
    const separator = value.indexOf("=");
    if (separator === 0) throw new UsageError(`argument --tags: invalid tag '${value}': a tag needs a name`);
    if (separator < 0) tags[value] = "";
    else tags[value.slice(0, separator)] = value.slice(separator + 1);
  }
  return tags;
}

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

/** az's three-state flag: `--flag` alone means true, `--flag false` false, absent undefined. */
export function parseBoolean(option: string, value: string | boolean | undefined): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new UsageError(`argument ${option}: invalid choice: '${value}' (choose from 'false', 'true')`);
}

/** ISO 8601 datetime → unix seconds (Key Vault's wire format). A date without a zone is taken as UTC, as az does. */
export function parseDateTime(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const hasZone = /(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value);
  const isDateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const millis = Date.parse(hasZone || isDateOnly ? value : `${value}Z`);
  if (Number.isNaN(millis)) throw new UsageError(`argument ${option}: invalid datetime_type value: '${value}'`);
  return Math.floor(millis / 1000);
}

export function parseInteger(option: string, value: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`argument ${option}: invalid int value: '${value}'`);
  }
  return number;
}

/** The permissions az's `keyvault create` grants the creator; also the valid values of the permission flags. */
export const ALL_PERMISSIONS = {
  keys: [
    "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "decrypt", "encrypt",
    "unwrapKey", "wrapKey", "verify", "sign", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy",
  ],
  secrets: ["get", "list", "set", "delete", "recover", "backup", "restore", "purge"],
  certificates: [
    "get", "list", "delete", "create", "import", "update", "managecontacts", "getissuers", "listissuers", "setissuers",
    "deleteissuers", "manageissuers", "recover", "purge", "backup", "restore",
  ],
  storage: [
    "get", "list", "delete", "set", "update", "regeneratekey", "recover", "purge", "backup", "restore", "setsas",
    "listsas", "getsas", "deletesas",
  ],
} as const;

export type PermissionKind = keyof typeof ALL_PERMISSIONS;

/**
 * Validates `--secret-permissions get list` style values. Names are case-insensitive on the service, so they
 * are matched that way and sent in az's spelling; "all" expands to the full list.
 */
export function parsePermissions(kind: PermissionKind, values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const known: readonly string[] = ALL_PERMISSIONS[kind];
  const result: string[] = [];
  for (const value of values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean)) {
    if (value.toLowerCase() === "all") {
      result.push(...known);
      continue;
    }
    const canonical = known.find((name) => name.toLowerCase() === value.toLowerCase());
    if (canonical === undefined) {
      const option = kind === "certificates" ? "--certificate-permissions" : `--${kind.replace(/s$/, "")}-permissions`;
      throw new UsageError(`argument ${option}: invalid choice: '${value}' (choose from ${[...known, "all"].map((n) => `'${n}'`).join(", ")})`);
    }
    result.push(canonical);
  }
  return [...new Set(result)];
}

/**
 * An enum argument, matched case-insensitively and returned in its canonical spelling, as az's get_enum_type does;
 * anything else is argparse's "invalid choice" error.
 */
export function parseChoice<T extends string>(option: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const found = choices.find((choice) => choice.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    throw new UsageError(`argument ${option}: invalid choice: '${value}' (choose from ${choices.map((c) => `'${c}'`).join(", ")})`);
  }
  return found;
}

/** A space-separated enum list (`--ops sign verify`). */
export function parseChoices<T extends string>(option: string, values: string[] | undefined, choices: readonly T[]): T[] | undefined {
  return values?.map((value) => parseChoice(option, value, choices)!);
}
