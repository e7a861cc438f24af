/**
 * MACs for rows that decide who may do what (principals with their credentials, vaults with their access
 * policies, role assignments). The key is derived from the root key, so whoever can write the database but does
 * not hold the root key can not forge or alter such a row undetected; the MAC covers the row's kind and id too,
 * so a valid row can not be copied under another identity. Pure: no I/O.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const INFO = "kluis:row-integrity:v1";

export function deriveRowMacKey(rootKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", rootKey, Buffer.alloc(0), INFO, 32));
}

/** JSON with object keys sorted at every level, so the MAC does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function rowMac(key: Buffer, kind: string, id: string, row: object): string {
  return createHmac("sha256", key).update(`${kind}\n${id}\n${canonicalJson(row)}`).digest("base64url");
}

export function rowMacMatches(key: Buffer, kind: string, id: string, row: object, mac: unknown): boolean {
  if (typeof mac !== "string") return false;
  const expected = Buffer.from(rowMac(key, kind, id, row));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
