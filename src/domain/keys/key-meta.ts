/**
 * A key version's public fields as they live in storage (`ObjectVersionRecord.meta`): the key type, permitted
 * operations, the public JWK, and the release settings. The private JWK is sealed separately (`sealedValue`).
 */
import type { CurveName, KeyJwk, KeyKind } from "../../crypto/key-material.js";
import type { ObjectVersionRecord } from "../../storage/types.js";
import { DomainError } from "../errors.js";

/** Azure's release policy: a base64url JSON policy document, its content type, and whether it may change. */
export interface ReleasePolicy {
  contentType: string;
  data: string;
  immutable: boolean;
}

export interface KeyMeta {
  kty: KeyKind;
  key_ops: string[];
  n?: string;
  e?: string;
  crv?: CurveName;
  x?: string;
  y?: string;
  exportable?: boolean;
  release_policy?: ReleasePolicy;
  /** Set on the key of a certificate: its lifetime follows the certificate's (domain/certificates). */
  managed?: true;
}

/** The stored public fields of a key version. A record without them is not a key: storage was written wrongly. */
export function keyMetaOf(record: ObjectVersionRecord): KeyMeta {
  const meta = record.meta as Partial<KeyMeta> | null | undefined;
  if (!meta || (meta.kty !== "RSA" && meta.kty !== "EC") || !Array.isArray(meta.key_ops)) {
    throw new DomainError("InternalError", "The stored key is malformed.");
  }
  return meta as KeyMeta;
}

/** The public JWK of a key version (n, e or crv, x, y), without kid and key_ops. */
export function publicJwkOfMeta(meta: KeyMeta): KeyJwk {
  if (meta.kty === "RSA") return { kty: "RSA", n: meta.n!, e: meta.e! };
  return { kty: "EC", crv: meta.crv!, x: meta.x!, y: meta.y! };
}

export function metaFor(publicJwk: KeyJwk, keyOps: string[], exportable: boolean | undefined, releasePolicy: ReleasePolicy | undefined): KeyMeta {
  const meta: KeyMeta =
    publicJwk.kty === "RSA"
      ? { kty: "RSA", key_ops: keyOps, n: publicJwk.n!, e: publicJwk.e! }
      : { kty: "EC", key_ops: keyOps, crv: publicJwk.crv!, x: publicJwk.x!, y: publicJwk.y! };
  if (exportable !== undefined) meta.exportable = exportable;
  if (releasePolicy !== undefined) meta.release_policy = releasePolicy;
  return meta;
}
