/**
 * Key Vault's cryptographic operations on stored keys: encrypt/decrypt, wrapKey/unwrapKey, sign/verify, with
 * Azure's rules on who may use a key version when: `enabled`, `key_ops`, and the nbf/exp window. The cryptography
 * itself is src/crypto/key-operations.ts; the key material comes from the key lifecycle (the KeyLifecycle seam) and
 * is kept prepared in a bounded cache (prepared-key-cache.ts).
 */
import { randomBytes } from "node:crypto";
import { KeyMaterialError, type KeyJwk } from "../../crypto/key-material.js";
import {
  encrypt,
  isEncryptionAlgorithm,
  isSignatureAlgorithm,
  KeyOperationError,
  planDecrypt,
  planSign,
  prepareKey,
  verify,
  wrapKey,
  type EncryptionAlgorithm,
  type PlannedOperation,
  type PreparedKey,
  type SignatureAlgorithm,
} from "../../crypto/key-operations.js";
import type { RsaPrivateJob } from "../../crypto/rsa-private-job.js";
import type { ObjectVersionRecord, VaultRecord } from "../../storage/types.js";
import { DomainError } from "../errors.js";
import type { PreparedKeyCache } from "./prepared-key-cache.js";

/** Azure's names, as they appear in a key's `key_ops`. */
export type CryptoOperation = "encrypt" | "decrypt" | "sign" | "verify" | "wrapKey" | "unwrapKey";

/** The public fields of a key version that the operations need (the lifecycle's KeyMeta has more). */
export interface KeyPublicMeta {
  kty: string;
  key_ops: string[];
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/** What the key lifecycle (domain/keys/key-service.ts) provides; KeyService satisfies it. */
export interface KeyLifecycle {
  /** Latest or given version; DomainError KeyNotFound (404) when there is none. */
  find(vault: VaultRecord, name: string, version?: string): Promise<ObjectVersionRecord>;
  /** The private JWK of a version, unsealed. */
  openPrivateJwk(vault: VaultRecord, record: ObjectVersionRecord): Promise<KeyJwk>;
  /** A new version with the same kind, size, curve, key_ops and tags. */
  rotate(vault: VaultRecord, name: string, expiresAt?: number | null): Promise<ObjectVersionRecord>;
}

export interface OperationInput {
  alg?: unknown;
  value?: unknown;
  /** verify only: the digest that `value` signs. */
  digest?: unknown;
}

export interface OperationResult<T> {
  record: ObjectVersionRecord;
  value: T;
}

export const MAX_RANDOM_BYTES = 128;

/** Where RSA private-key jobs run: src/crypto/rsa-private-pool.ts (worker threads, or inline when sized 0). */
export interface RsaPrivateRunner {
  run(job: RsaPrivateJob): Promise<Buffer | undefined>;
}

/** Operations that need the private key. */
const PRIVATE: Record<CryptoOperation, boolean> = { encrypt: false, decrypt: true, sign: true, verify: false, wrapKey: false, unwrapKey: true };

/**
 * Azure: "Not-yet-valid and expired keys, outside the nbf / exp window, will work for decrypt, unwrap, and verify
 * operations (won't return 403, Forbidden)" — so old data stays recoverable; nothing new is protected or signed.
 */
const WINDOWED: Record<CryptoOperation, boolean> = { encrypt: true, decrypt: false, sign: true, verify: false, wrapKey: true, unwrapKey: false };

const PUBLIC_TRANSFORMS = { encrypt, wrapKey } as const;

export class KeyOperationService {
  constructor(
    private readonly keys: KeyLifecycle,
    private readonly metaOf: (record: ObjectVersionRecord) => KeyPublicMeta,
    private readonly cache: PreparedKeyCache,
    private readonly rsa: RsaPrivateRunner,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** encrypt, decrypt, wrapKey or unwrapKey: RSA1_5, RSA-OAEP, RSA-OAEP-256. */
  async transform(op: "encrypt" | "decrypt" | "wrapKey" | "unwrapKey", vault: VaultRecord, name: string, version: string | undefined, input: OperationInput): Promise<OperationResult<Buffer>> {
    const alg = encryptionAlgorithm(input.alg);
    const data = bytes(input.value, "value");
    const { record, key } = await this.usable(op, vault, name, version);
    // Unwrap is decrypt under its own permission (key-operations.ts says the same of wrap and encrypt).
    if (op === "decrypt" || op === "unwrapKey") return { record, value: await this.complete(guarded(() => planDecrypt(key, alg, data))) };
    return { record, value: guarded(() => PUBLIC_TRANSFORMS[op](key, alg, data)) };
  }

  /** Signs a digest the client computed. */
  async sign(vault: VaultRecord, name: string, version: string | undefined, input: OperationInput): Promise<OperationResult<Buffer>> {
    const alg = signatureAlgorithm(input.alg);
    const digest = bytes(input.value, "value");
    const { record, key } = await this.usable("sign", vault, name, version);
    return { record, value: await this.complete(guarded(() => planSign(key, alg, digest))) };
  }

  /** Checks `value` as `alg`'s signature over `digest`. */
  async verify(vault: VaultRecord, name: string, version: string | undefined, input: OperationInput): Promise<OperationResult<boolean>> {
    const alg = signatureAlgorithm(input.alg);
    const digest = bytes(input.digest, "digest");
    const signature = bytes(input.value, "value");
    const { record, key } = await this.usable("verify", vault, name, version);
    return { record, value: guarded(() => verify(key, alg, digest, signature)) };
  }

  /** The key version, checked against Azure's rules for `op`, prepared for it. */
  private async usable(op: CryptoOperation, vault: VaultRecord, name: string, version: string | undefined): Promise<{ record: ObjectVersionRecord; key: PreparedKey }> {
    const record = await this.keys.find(vault, name, version);
    const meta = this.metaOf(record);
    const { enabled, nbf, exp } = record.attributes;
    if (!enabled) throw new DomainError("Forbidden", `Operation ${op} is not allowed on a disabled key.`, "KeyDisabled");
    if (!meta.key_ops.some((allowed) => allowed.toLowerCase() === op.toLowerCase())) {
      throw new DomainError("Forbidden", `Operation ${op} is not permitted on this key.`, "KeyOperationForbidden");
    }
    if (WINDOWED[op]) {
      const now = this.now();
      if (nbf !== null && now < nbf) throw new DomainError("Forbidden", `Operation ${op} is not allowed on a not yet valid key.`, "KeyNotYetValid");
      if (exp !== null && now >= exp) throw new DomainError("Forbidden", `Operation ${op} is not allowed on an expired key.`, "KeyExpired");
    }
    const needsPrivate = PRIVATE[op];
    const key = await this.cache.get(vault.id, record.name, record.version, needsPrivate, async () => {
      const jwk = needsPrivate ? await this.keys.openPrivateJwk(vault, record) : publicJwk(meta);
      return guarded(() => prepareKey(jwk));
    });
    return { record, key };
  }

  /** Runs a planned private operation's RSA step on the runner (off the event loop), then finishes it here. */
  private async complete(planned: PlannedOperation): Promise<Buffer> {
    if ("done" in planned) return planned.done;
    const output = await this.rsa.run(planned.job);
    return guarded(() => planned.finish(output));
  }

  /** `count` random bytes from the CSPRNG, 1 to 128 as Azure allows. */
  randomBytes(count: unknown): Buffer {
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > MAX_RANDOM_BYTES) {
      throw new DomainError("BadParameter", `The value of 'count' must be an integer between 1 and ${MAX_RANDOM_BYTES}.`);
    }
    return randomBytes(count);
  }
}

/** Runs pure crypto, turning its typed failures (Azure codes, no key material in messages) into DomainErrors. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof KeyOperationError || error instanceof KeyMaterialError) throw new DomainError("BadParameter", error.message);
    throw error;
  }
}

function publicJwk(meta: KeyPublicMeta): KeyJwk {
  const kty = meta.kty.replace(/-HSM$/i, "");
  if (kty === "RSA") return { kty, n: meta.n, e: meta.e };
  if (kty === "EC") return { kty, crv: meta.crv as KeyJwk["crv"], x: meta.x, y: meta.y };
  throw new DomainError("BadParameter", `Keys of type '${meta.kty}' do not support this operation.`);
}

function encryptionAlgorithm(alg: unknown): EncryptionAlgorithm {
  if (alg === undefined || alg === null) throw new DomainError("BadParameter", "The parameter 'alg' is required.");
  if (!isEncryptionAlgorithm(alg)) {
    throw new DomainError("BadParameter", `Invalid algorithm '${typeof alg === "string" ? alg.slice(0, 32) : typeof alg}'. Supported algorithms are [RSA1_5, RSA-OAEP, RSA-OAEP-256]`);
  }
  return alg;
}

function signatureAlgorithm(alg: unknown): SignatureAlgorithm {
  if (alg === undefined || alg === null) throw new DomainError("BadParameter", "The parameter 'alg' is required.");
  if (!isSignatureAlgorithm(alg)) {
    throw new DomainError(
      "BadParameter",
      `Invalid algorithm '${typeof alg === "string" ? alg.slice(0, 32) : typeof alg}'. Supported algorithms are [RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, ES256K]`,
    );
  }
  return alg;
}

/** Azure sends base64url; standard base64 (with + / and padding) is accepted as well, as the service does. */
function bytes(value: unknown, field: string): Buffer {
  if (typeof value !== "string") throw new DomainError("BadParameter", `The parameter '${field}' is required and must be a base64url string.`);
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(value)) throw new DomainError("BadParameter", `The parameter '${field}' is not valid base64url.`);
  return Buffer.from(value, "base64url");
}
