/**
 * `kluis keyvault key encrypt | decrypt | sign | verify | random | rotation-policy show | rotation-policy update`,
 * with az's flags and output. az takes and prints bytes as standard base64 (`--value`, `--digest`, `--signature`,
 * results) and the AES parameters `--iv`, `--aad`, `--tag` as hex; Key Vault's wire uses base64url throughout.
 * Values given to encrypt or decrypt may be sensitive, so no error message here repeats one.
 */
import type { Command } from "commander";
import { parseChoice, parseInteger } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import type { Session } from "../session.js";
import { jsonArgument } from "./key-material.js";
import { rotationPolicyView, type RotationPolicyWire } from "./key-view.js";
import { addressed, dropUndefined, objectPath, resolveTarget, resolveVault, vaultAddressed, type ObjectTarget, type TargetOptions } from "./vault-object.js";

const ENCRYPTION_ALGORITHMS = [
  "RSA-OAEP", "RSA-OAEP-256", "RSA1_5", "A128GCM", "A192GCM", "A256GCM", "A128KW", "A192KW", "A256KW", "A128CBC", "A192CBC",
  "A256CBC", "A128CBCPAD", "A192CBCPAD", "A256CBCPAD", "CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD", "RSA_AES_KEY_WRAP_256",
  "RSA_AES_KEY_WRAP_384",
] as const;
const SIGNATURE_ALGORITHMS = ["PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "ES256K", "HS256", "HS384", "HS512"] as const;
const DATA_TYPES = ["base64", "plaintext"] as const;

/** Standard or URL-safe base64, as Python's b64decode accepts; anything else is refused without echoing it. */
function base64Argument(option: string, value: string): Buffer {
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw new UsageError(`argument ${option}: the value is not base64.`);
  return Buffer.from(compact.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function hexArgument(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(value)) throw new UsageError(`argument ${option}: the value is not hex.`);
  return Buffer.from(value, "hex").toString("base64url");
}

function hexOf(base64url: string | undefined): string | null {
  return base64url === undefined ? null : Buffer.from(base64url, "base64url").toString("hex");
}

/** `POST /keys/{name}[/{version}]/<operation>` — without a version Key Vault uses the current one. */
function operationPath(target: ObjectTarget, operation: string): string {
  return `${objectPath("keys", target)}/${operation}`;
}

function keyIdOf(target: ObjectTarget): string {
  return new URL(objectPath("keys", target), target.vaultUrl).toString();
}

interface OperationResult {
  kid?: string;
  value?: string;
  iv?: string;
  tag?: string;
  aad?: string;
}

type CryptoOptions = TargetOptions & { algorithm: string; value: string; dataType?: string; iv?: string; aad?: string; tag?: string };

async function encrypt(session: Session, options: CryptoOptions): Promise<unknown> {
  const algorithm = parseChoice("--algorithm/-a", options.algorithm, ENCRYPTION_ALGORITHMS)!;
  const dataType = parseChoice("--data-type", options.dataType ?? "base64", DATA_TYPES);
  const plaintext = dataType === "plaintext" ? Buffer.from(options.value, "utf8") : base64Argument("--value", options.value);
  const target = await resolveTarget(session, options, "keys");
  const body = dropUndefined({ alg: algorithm, value: plaintext.toString("base64url"), iv: hexArgument("--iv", options.iv), aad: hexArgument("--aad", options.aad) });
  const result = await session.vault<OperationResult>("POST", target.vaultUrl, operationPath(target, "encrypt"), body);
  return {
    aad: hexOf(result.aad),
    algorithm,
    iv: hexOf(result.iv),
    kid: result.kid ?? null,
    result: Buffer.from(result.value ?? "", "base64url").toString("base64"),
    tag: hexOf(result.tag),
  };
}

async function decrypt(session: Session, options: CryptoOptions): Promise<unknown> {
  const algorithm = parseChoice("--algorithm/-a", options.algorithm, ENCRYPTION_ALGORITHMS)!;
  const dataType = parseChoice("--data-type", options.dataType ?? "base64", DATA_TYPES);
  const ciphertext = base64Argument("--value", options.value);
  const target = await resolveTarget(session, options, "keys");
  const body = dropUndefined({
    alg: algorithm,
    value: ciphertext.toString("base64url"),
    iv: hexArgument("--iv", options.iv),
    aad: hexArgument("--aad", options.aad),
    tag: hexArgument("--tag", options.tag),
  });
  const result = await session.vault<OperationResult>("POST", target.vaultUrl, operationPath(target, "decrypt"), body);
  const plaintext = Buffer.from(result.value ?? "", "base64url");
  let shown: string;
  if (dataType === "base64") {
    shown = plaintext.toString("base64");
  } else {
    try {
      shown = new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
    } catch {
      throw new CliError("The decrypted value is not UTF-8 text: use --data-type base64.");
    }
  }
  return { algorithm, kid: result.kid ?? null, result: shown };
}

type SignOptions = TargetOptions & { algorithm: string; digest: string; signature?: string };

async function sign(session: Session, options: SignOptions): Promise<unknown> {
  const algorithm = parseChoice("--algorithm/-a", options.algorithm, SIGNATURE_ALGORITHMS)!;
  const digest = base64Argument("--digest", options.digest);
  const target = await resolveTarget(session, options, "keys");
  const result = await session.vault<OperationResult>("POST", target.vaultUrl, operationPath(target, "sign"), { alg: algorithm, value: digest.toString("base64url") });
  return { algorithm, keyId: result.kid ?? keyIdOf(target), signature: Buffer.from(result.value ?? "", "base64url").toString("base64") };
}

async function verify(session: Session, options: SignOptions): Promise<unknown> {
  const algorithm = parseChoice("--algorithm/-a", options.algorithm, SIGNATURE_ALGORITHMS)!;
  const digest = base64Argument("--digest", options.digest);
  const signature = base64Argument("--signature", options.signature!);
  const target = await resolveTarget(session, options, "keys");
  const body = { alg: algorithm, digest: digest.toString("base64url"), value: signature.toString("base64url") };
  const result = await session.vault<{ value?: boolean }>("POST", target.vaultUrl, operationPath(target, "verify"), body);
  return { algorithm, isValid: result.value === true, keyId: keyIdOf(target) };
}

/** Lifetime action fields as Key Vault's REST shape, az's show output or snake_case all spell them. */
interface PolicyActionInput {
  trigger?: { timeAfterCreate?: string; time_after_create?: string; timeBeforeExpiry?: string; time_before_expiry?: string };
  action?: string | { type?: string };
  timeAfterCreate?: string;
  time_after_create?: string;
  timeBeforeExpiry?: string;
  time_before_expiry?: string;
}

interface PolicyInput {
  lifetimeActions?: PolicyActionInput[];
  lifetime_actions?: PolicyActionInput[];
  attributes?: { expiryTime?: string; expiry_time?: string };
  expiresIn?: string;
  expires_in?: string;
}

/** `--value` (JSON or a file) → the REST rotation policy; accepts the REST shape and what `rotation-policy show` prints. */
export function rotationPolicyBody(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError("argument --value: Please specify a valid policy");
  const policy = value as PolicyInput;
  const actions = policy.lifetimeActions ?? policy.lifetime_actions ?? [];
  if (!Array.isArray(actions)) throw new UsageError("argument --value: lifetimeActions must be a list");
  const lifetimeActions = actions.map((action) => {
    const type = typeof action.action === "string" ? action.action : action.action?.type;
    const trigger = dropUndefined({
      timeAfterCreate: action.trigger?.timeAfterCreate ?? action.trigger?.time_after_create ?? action.timeAfterCreate ?? action.time_after_create,
      timeBeforeExpiry: action.trigger?.timeBeforeExpiry ?? action.trigger?.time_before_expiry ?? action.timeBeforeExpiry ?? action.time_before_expiry,
    });
    return { trigger, action: dropUndefined({ type }) };
  });
  const expiryTime = policy.attributes?.expiryTime ?? policy.attributes?.expiry_time ?? policy.expiresIn ?? policy.expires_in;
  return dropUndefined({ lifetimeActions, attributes: expiryTime === undefined ? undefined : { expiryTime } });
}

export function registerKeyCryptoCommands(key: Command): void {
  const encryptionFlags = (command: Command): Command =>
    addressed(command, "key")
      .requiredOption("-a, --algorithm <algorithm>", `algorithm: ${ENCRYPTION_ALGORITHMS.slice(0, 3).join(", ")}, …`)
      .option("--data-type <type>", "base64 (default) or plaintext: how --value / the result is given")
      .option("--iv <hex>", "initialization vector (AES-CBC), hex")
      .option("--aad <hex>", "additional authenticated data (AES-GCM), hex");

  onAction<CryptoOptions>(
    encryptionFlags(leafCommand(key, "encrypt", "Encrypt a value with a key.")).requiredOption("--value <value>", "the value to encrypt (base64 unless --data-type plaintext)"),
    (options, context) => encrypt(context.session(), options),
  );
  onAction<CryptoOptions>(
    encryptionFlags(leafCommand(key, "decrypt", "Decrypt a value with a key."))
      .requiredOption("--value <value>", "the ciphertext, base64 (the result of encrypt)")
      .option("--tag <hex>", "authentication tag (AES-GCM), hex"),
    (options, context) => decrypt(context.session(), options),
  );

  const signatureFlags = (command: Command): Command =>
    addressed(command, "key")
      .requiredOption("-a, --algorithm <algorithm>", `algorithm: ${SIGNATURE_ALGORITHMS.slice(0, 10).join(", ")}`)
      .requiredOption("--digest <base64>", "the digest to sign or verify, base64");
  onAction<SignOptions>(signatureFlags(leafCommand(key, "sign", "Sign a digest with a key.")), (options, context) => sign(context.session(), options));
  onAction<SignOptions>(
    signatureFlags(leafCommand(key, "verify", "Verify a signature of a digest with a key.")).requiredOption("--signature <base64>", "the signature, base64"),
    (options, context) => verify(context.session(), options),
  );

  onAction<{ vaultName?: string; id?: string; count: string }>(
    vaultAddressed(leafCommand(key, "random", "Get random bytes from the vault.")).requiredOption("--count <n>", "how many bytes (1-128)"),
    async (options, context) => {
      const count = parseInteger("--count", options.count, 0);
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const result = await session.vault<{ value?: string }>("POST", vaultUrl, "/rng", { count });
      return { value: Buffer.from(result.value ?? "", "base64url").toString("base64") };
    },
  );

  const policy = key.command("rotation-policy").description("Manage a key's rotation policy.");
  onAction<TargetOptions>(addressed(leafCommand(policy, "show", "Show a key's rotation policy."), "key", false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, "keys");
    return rotationPolicyView(await session.vault<RotationPolicyWire>("GET", target.vaultUrl, `${objectPath("keys", target, false)}/rotationpolicy`));
  });
  onAction<TargetOptions & { value: string }>(
    addressed(leafCommand(policy, "update", "Set a key's rotation policy."), "key", false).requiredOption(
      "--value <policy>",
      "the policy: JSON, or the path of a JSON file ({lifetimeActions: [{trigger, action}], attributes: {expiryTime}})",
    ),
    async (options, context) => {
      const body = rotationPolicyBody(jsonArgument("--value", options.value));
      const session = context.session();
      const target = await resolveTarget(session, options, "keys");
      return rotationPolicyView(await session.vault<RotationPolicyWire>("PUT", target.vaultUrl, `${objectPath("keys", target, false)}/rotationpolicy`, body));
    },
  );
}
