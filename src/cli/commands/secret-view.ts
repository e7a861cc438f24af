/**
 * Key Vault wire objects → what `az keyvault secret` prints. Key Vault sends times as unix seconds; az shows
 * the SDK's model with ISO datetimes, null for absent fields and the name split out of the id, so scripts that
 * query `attributes.expires` or `name` work unchanged. Also the file encodings of `secret set/download --file`.
 */
import { UsageError } from "../errors.js";

export interface SecretAttributes {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  created?: number;
  updated?: number;
  recoveryLevel?: string;
  recoverableDays?: number;
}

export interface SecretBundle {
  id?: string;
  value?: string;
  contentType?: string | null;
  tags?: Record<string, string> | null;
  kid?: string | null;
  managed?: boolean | null;
  attributes?: SecretAttributes;
  recoveryId?: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
}

/** Python's datetime.isoformat() of a UTC time, as az prints it: 2024-05-01T10:00:00+00:00. */
export function isoTime(unixSeconds: number | undefined | null): string | null {
  if (unixSeconds === undefined || unixSeconds === null) return null;
  const iso = new Date(unixSeconds * 1000).toISOString();
  const millis = iso.slice(20, 23);
  return millis === "000" ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${millis}000+00:00`;
}

/** The object name: the second path segment of `https://<vault>/secrets/<name>[/<version>]`. */
export function nameFromId(id: string | undefined): string | null {
  if (id === undefined) return null;
  try {
    return new URL(id).pathname.split("/").filter(Boolean)[1] ?? null;
  } catch {
    return null;
  }
}

/** The attributes of a secret, and of a certificate (the SDK models have the same fields). */
export function attributesView(attributes: SecretAttributes | undefined): Record<string, unknown> {
  const a = attributes ?? {};
  return {
    created: isoTime(a.created),
    enabled: a.enabled ?? null,
    expires: isoTime(a.exp),
    notBefore: isoTime(a.nbf),
    recoverableDays: a.recoverableDays ?? null,
    recoveryLevel: a.recoveryLevel ?? null,
    updated: isoTime(a.updated),
  };
}

/** A list item (SecretProperties in the SDK): no value, no kid. */
export function secretItemView(item: SecretBundle): Record<string, unknown> {
  const view: Record<string, unknown> = {
    attributes: attributesView(item.attributes),
    contentType: item.contentType ?? null,
    id: item.id ?? null,
    managed: item.managed ?? null,
    name: nameFromId(item.id),
    tags: item.tags ?? null,
  };
  if (item.deletedDate !== undefined || item.recoveryId !== undefined) Object.assign(view, deletedFields(item));
  return view;
}

/** A single secret (KeyVaultSecret in the SDK): the item fields plus kid, and the value when the server sent one. */
export function secretView(bundle: SecretBundle): Record<string, unknown> {
  const view: Record<string, unknown> = { ...secretItemView(bundle), kid: bundle.kid ?? null };
  if (bundle.value !== undefined) view.value = bundle.value;
  return view;
}

function deletedFields(item: SecretBundle): Record<string, unknown> {
  return {
    deletedDate: isoTime(item.deletedDate),
    recoveryId: item.recoveryId ?? null,
    scheduledPurgeDate: isoTime(item.scheduledPurgeDate),
  };
}

export const FILE_ENCODINGS = ["ascii", "base64", "hex", "utf-16be", "utf-16le", "utf-8"] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

export function parseEncoding(value: string | undefined): FileEncoding | undefined {
  if (value === undefined) return undefined;
  const encoding = value.toLowerCase() === "utf8" ? "utf-8" : value.toLowerCase();
  if (!(FILE_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new UsageError(`argument --encoding/-e: invalid choice: '${value}' (choose from ${FILE_ENCODINGS.map((e) => `'${e}'`).join(", ")})`);
  }
  return encoding as FileEncoding;
}

/** File bytes → the secret's value, the way az's `secret set --file --encoding` stores them. */
export function encodeFileContent(bytes: Buffer, encoding: FileEncoding): string {
  switch (encoding) {
    case "base64":
      return bytes.toString("base64");
    case "hex":
      return bytes.toString("hex");
    case "ascii":
      if (bytes.some((byte) => byte > 0x7f)) throw new UsageError("The file is not ASCII: use --encoding utf-8, base64 or hex.");
      return bytes.toString("latin1");
    case "utf-16le":
      return bytes.toString("utf16le");
    case "utf-16be":
      return swapBytePairs(bytes).toString("utf16le");
    case "utf-8":
      return bytes.toString("utf8");
  }
}

/** The secret's value → file bytes, inverse of encodeFileContent (`secret download`). */
export function decodeToFileContent(value: string, encoding: FileEncoding): Buffer {
  switch (encoding) {
    case "base64":
      return Buffer.from(value, "base64");
    case "hex":
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(value)) throw new UsageError("The secret's value is not hex: choose another --encoding.");
      return Buffer.from(value, "hex");
    case "ascii":
      return Buffer.from(value, "latin1");
    case "utf-16le":
      return Buffer.from(value, "utf16le");
    case "utf-16be":
      return swapBytePairs(Buffer.from(value, "utf16le"));
    case "utf-8":
      return Buffer.from(value, "utf8");
  }
}

function swapBytePairs(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return copy.swap16();
}
