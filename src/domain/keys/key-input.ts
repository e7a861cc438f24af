/**
 * Parsing of the request fields of key create, import and update: key type, size, curve, operations, the
 * `exportable` attribute and the release policy. Everything is checked before any key is generated or stored, so
 * bad input costs no key generation and changes nothing. Messages follow Azure's where known (see the report of
 * issue 9 for those that are guessed).
 */
import { CURVE_NAMES, isCurveName, KeyMaterialError, type CurveName, type KeyKind } from "../../crypto/key-material.js";
import { DomainError } from "../errors.js";
import type { ReleasePolicy } from "./key-meta.js";

/** Azure's JsonWebKeyOperation values. */
const KEY_OPERATIONS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"];
/** What an EC key can be used for; an RSA key can do all of the above. */
const EC_OPERATIONS = new Set(["sign", "verify", "import", "export"]);
/** Azure's key_ops when a request names none. */
export const DEFAULT_KEY_OPS: Record<KeyKind, string[]> = {
  RSA: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
  EC: ["sign", "verify"],
};
const MAX_RELEASE_POLICY_CHARS = 64 * 1024;

/** A standard vault has no HSM: Azure refuses hardware-protected keys there. */
export function hardwareNotAllowed(): DomainError {
  return new DomainError("BadParameter", "Hardware key operation not allowed on standard vault");
}

/** `kty` of a create request: RSA or EC; -HSM types are refused as on a standard vault, oct as on any vault. */
export function parseKeyType(raw: unknown): KeyKind {
  if (raw === "RSA" || raw === "EC") return raw;
  if (raw === "RSA-HSM" || raw === "EC-HSM") throw hardwareNotAllowed();
  if (raw === undefined || raw === null || raw === "") throw new DomainError("BadParameter", "The key type (kty) is required.");
  const shown = typeof raw === "string" ? raw.slice(0, 64) : JSON.stringify(raw).slice(0, 64);
  throw new DomainError("BadParameter", `Invalid kty value: ${shown}`, "KeyTypeNotSupported");
}

export function parseCurve(raw: unknown): CurveName | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isCurveName(raw)) {
    const shown = typeof raw === "string" ? raw.slice(0, 32) : typeof raw;
    throw new DomainError("BadParameter", `Unsupported curve '${shown}'. Supported curves are [${CURVE_NAMES.join(", ")}]`);
  }
  return raw;
}

export function parseKeySize(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw)) throw new DomainError("BadParameter", `Unsupported key size (${String(raw).slice(0, 32)}). Supported sizes are [2048, 3072, 4096]`);
  return raw;
}

export function parsePublicExponent(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw)) throw new DomainError("BadParameter", "The public exponent must be an integer.");
  return raw;
}

/** `key_ops`: Azure's operation names, each allowed for the key type; absent means the type's defaults. */
export function parseKeyOps(raw: unknown, kty: KeyKind, fallback: string[] = DEFAULT_KEY_OPS[kty]): string[] {
  if (raw === undefined || raw === null) return [...fallback];
  if (!Array.isArray(raw)) throw new DomainError("BadParameter", "The key operations (key_ops) must be an array of strings.");
  const ops: string[] = [];
  for (const op of raw as unknown[]) {
    if (typeof op !== "string" || !KEY_OPERATIONS.includes(op)) {
      throw new DomainError("BadParameter", `Invalid key operation: ${typeof op === "string" ? op.slice(0, 32) : typeof op}. Valid operations are [${KEY_OPERATIONS.join(", ")}]`);
    }
    if (kty === "EC" && !EC_OPERATIONS.has(op)) throw new DomainError("BadParameter", `Key operation ${op} is not supported for key type EC.`);
    if (!ops.includes(op)) ops.push(op);
  }
  return ops;
}

/** The `exportable` attribute, which Azure keeps beside enabled/nbf/exp. */
export function parseExportable(attributes: unknown, fallback: boolean | undefined): boolean | undefined {
  if (typeof attributes !== "object" || attributes === null) return fallback;
  const raw = (attributes as Record<string, unknown>).exportable;
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== "boolean") throw new DomainError("BadParameter", "The attribute 'exportable' must be a boolean.");
  return raw;
}

/** `release_policy`: a base64url JSON document; stored as given, with Azure's default content type. */
export function parseReleasePolicy(raw: unknown): ReleasePolicy | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidPolicy();
  const r = raw as Record<string, unknown>;
  const contentType = r.contentType ?? "application/json; charset=utf-8";
  const immutable = r.immutable ?? false;
  if (typeof contentType !== "string" || contentType.length > 255 || typeof immutable !== "boolean") throw invalidPolicy();
  if (typeof r.data !== "string" || r.data === "" || r.data.length > MAX_RELEASE_POLICY_CHARS || !/^[A-Za-z0-9_-]+={0,2}$/.test(r.data)) throw invalidPolicy();
  try {
    const document: unknown = JSON.parse(Buffer.from(r.data, "base64url").toString("utf8"));
    if (typeof document !== "object" || document === null || Array.isArray(document)) throw new Error("not an object");
  } catch {
    throw invalidPolicy();
  }
  return { contentType, data: r.data.replace(/=+$/, ""), immutable };
}

function invalidPolicy(): DomainError {
  return new DomainError("BadParameter", "The release policy is invalid: 'data' must be a base64url-encoded JSON policy document.");
}

/** Key material errors already carry Azure's code and a message without key material. */
export function fromKeyMaterial(error: unknown): unknown {
  if (error instanceof KeyMaterialError) return new DomainError("BadParameter", error.message);
  return error;
}
