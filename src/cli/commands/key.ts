/**
 * `kluis keyvault key <verb>` — keys on the vault data plane, with az's verbs, flags, defaults and output.
 * The verbs Key Vault shares with secrets (list, list-versions, delete, list-deleted, show-deleted, recover, purge,
 * backup, restore) come from vault-object.ts; this file has what is particular to keys: create, import, show,
 * set-attributes, rotate, download. The cryptographic verbs and rotation policies are in key-crypto.ts.
 * Only public key material is ever printed or written (`download` writes the public key).
 */
import type { Command } from "commander";
import { parseBoolean, parseChoice, parseChoices, parseDateTime, parseInteger, parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import type { Session } from "../session.js";
import { registerKeyCryptoCommands } from "./key-crypto.js";
import { jsonArgument, privatePemToJwk, publicKeyFile } from "./key-material.js";
import { keyItemView, keyView, type KeyWire } from "./key-view.js";
import {
  addressed,
  dropUndefined,
  objectPath,
  readInputFile,
  refuseExisting,
  registerBackupCommands,
  registerListCommands,
  registerSoftDeleteCommands,
  resolveTarget,
  writePrivateFile,
  type CollectionViews,
  type TargetOptions,
} from "./vault-object.js";

export const KEY_TYPES = ["EC", "EC-HSM", "RSA", "RSA-HSM", "oct", "oct-HSM"] as const;
const IMPORT_KEY_TYPES = ["EC", "RSA", "oct"] as const;
const CURVES = ["P-256", "P-256K", "P-384", "P-521"] as const;
const KEY_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"] as const;
const PROTECTIONS = ["software", "hsm"] as const;
const DOWNLOAD_ENCODINGS = ["PEM", "DER"] as const;

interface KeyPropertyOptions extends TargetOptions {
  ops?: string[];
  disabled?: string | boolean;
  expires?: string;
  notBefore?: string;
  tags?: string[];
  exportable?: string | boolean;
  policy?: string;
  immutable?: string | boolean;
  protection?: string;
  kty?: string;
  curve?: string;
}

/** az's --policy: a release policy as JSON text or a JSON file, sent as Key Vault's {contentType, data, immutable}. */
function releasePolicy(options: { policy?: string; immutable?: string | boolean }): Record<string, unknown> | undefined {
  const immutable = parseBoolean("--immutable", options.immutable);
  if (options.policy === undefined) {
    if (immutable !== undefined) throw new UsageError("usage error: --immutable needs --policy");
    return undefined;
  }
  const policy = jsonArgument("--policy", options.policy);
  const data = Buffer.from(JSON.stringify(policy), "utf8").toString("base64url");
  return dropUndefined({ contentType: "application/json; charset=utf-8", data, immutable });
}

/** The attributes create and import send: --disabled, --expires, --not-before, --exportable. */
function creationAttributes(options: KeyPropertyOptions): Record<string, unknown> {
  return dropUndefined({
    enabled: !(parseBoolean("--disabled", options.disabled) ?? false),
    exp: parseDateTime("--expires", options.expires),
    nbf: parseDateTime("--not-before", options.notBefore),
    exportable: parseBoolean("--exportable", options.exportable),
  });
}

/** az's key type rule: EC when only a curve is given, else RSA; `--protection hsm` asks for the -HSM type. */
function keyType(options: KeyPropertyOptions): string {
  const given = parseChoice("--kty", options.kty, KEY_TYPES);
  const curve = parseChoice("--curve", options.curve, CURVES);
  const kty: string = given ?? (curve !== undefined ? "EC" : "RSA");
  const protection = parseChoice("--protection/-p", options.protection, PROTECTIONS);
  if (protection === "hsm") return kty.endsWith("-HSM") ? kty : `${kty}-HSM`;
  if (protection === "software" && kty.endsWith("-HSM")) throw new UsageError(`The key type ${kty} is invalid for software protected keys. Omit --protection`);
  return kty;
}

async function createKey(session: Session, options: KeyPropertyOptions & { size?: string }): Promise<unknown> {
  const target = await resolveTarget(session, options, "keys");
  const body = dropUndefined({
    kty: keyType(options),
    key_size: parseInteger("--size", options.size, 1),
    crv: parseChoice("--curve", options.curve, CURVES),
    key_ops: parseChoices("--ops", options.ops, KEY_OPS),
    attributes: creationAttributes(options),
    tags: parseTags(options.tags),
    release_policy: releasePolicy(options),
  });
  return keyView(await session.vault<KeyWire>("POST", target.vaultUrl, `${objectPath("keys", target, false)}/create`, body));
}

interface ImportOptions extends KeyPropertyOptions {
  pemFile?: string;
  pemString?: string;
  pemPassword?: string;
  byokFile?: string;
  byokString?: string;
}

/** The JWK to import: a private key from --pem-file/--pem-string, or a BYOK blob (for HSM-protected key types). */
function importedJwk(options: ImportOptions): Record<string, unknown> {
  const sources = [options.pemFile, options.pemString, options.byokFile, options.byokString].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new UsageError("usage error: --pem-file PATH | --pem-string STRING | --byok-file PATH | --byok-string STRING");
  if (options.pemFile !== undefined || options.pemString !== undefined) {
    if (options.kty !== undefined || options.curve !== undefined) throw new UsageError("usage error: --kty and --curve are only for BYOK (--byok-file, --byok-string)");
    const pem = options.pemFile !== undefined ? readInputFile(options.pemFile) : options.pemString!;
    return privatePemToJwk(pem, options.pemPassword);
  }
  const blob = options.byokFile !== undefined ? readInputFile(options.byokFile) : Buffer.from(options.byokString!, "utf8");
  const kty = parseChoice("--kty", options.kty, IMPORT_KEY_TYPES) ?? "RSA";
  return dropUndefined({ kty: `${kty}-HSM`, key_hsm: blob.toString("base64url"), crv: parseChoice("--curve", options.curve, CURVES) });
}

async function importKey(session: Session, options: ImportOptions): Promise<unknown> {
  const protection = parseChoice("--protection/-p", options.protection, PROTECTIONS);
  const jwk = importedJwk(options);
  const target = await resolveTarget(session, options, "keys");
  const body = dropUndefined({
    key: { ...jwk, ...dropUndefined({ key_ops: parseChoices("--ops", options.ops, KEY_OPS) }) },
    hsm: protection === undefined ? undefined : protection === "hsm",
    attributes: creationAttributes(options),
    tags: parseTags(options.tags),
    release_policy: releasePolicy(options),
  });
  return keyView(await session.vault<KeyWire>("PUT", target.vaultUrl, objectPath("keys", target, false), body));
}

async function setAttributes(session: Session, options: KeyPropertyOptions & { enabled?: string | boolean }): Promise<unknown> {
  const target = await resolveTarget(session, options, "keys");
  const attributes = dropUndefined({
    enabled: parseBoolean("--enabled", options.enabled),
    exp: parseDateTime("--expires", options.expires),
    nbf: parseDateTime("--not-before", options.notBefore),
  });
  const body = dropUndefined({
    key_ops: parseChoices("--ops", options.ops, KEY_OPS),
    attributes: Object.keys(attributes).length ? attributes : undefined,
    tags: parseTags(options.tags),
    release_policy: releasePolicy(options),
  });
  // Without --version Key Vault's PATCH /keys/{name} updates the current version, as az's SDK call does.
  return keyView(await session.vault<KeyWire>("PATCH", target.vaultUrl, objectPath("keys", target), body));
}

async function downloadKey(session: Session, options: TargetOptions & { file: string; encoding?: string }): Promise<undefined> {
  const encoding = parseChoice("--encoding/-e", options.encoding ?? "PEM", DOWNLOAD_ENCODINGS)!;
  refuseExisting(options.file);
  const target = await resolveTarget(session, options, "keys");
  const bundle = await session.vault<KeyWire>("GET", target.vaultUrl, objectPath("keys", target));
  if (bundle.key === undefined) throw new CliError("The vault returned no key.");
  // Only the public key is written; 0600 all the same, like every file these commands write.
  writePrivateFile(options.file, publicKeyFile(bundle.key, encoding), "wx");
  return undefined;
}

/** The flags create and import share. */
function keyPropertyOptions(command: Command): Command {
  return command
    .option("-p, --protection <protection>", "software or hsm")
    .option("--ops <ops...>", `permitted operations: ${KEY_OPS.join(" ")}`)
    .option("--disabled [bool]", "create the key disabled")
    .option("--expires <datetime>", "expiry, ISO 8601 (UTC unless a zone is given)")
    .option("--not-before <datetime>", "not usable before, ISO 8601")
    .option("--tags <tags...>", "space-separated tags: key[=value]")
    .option("--exportable [bool]", "whether the private key can be exported (needs --policy)")
    .option("--policy <policy>", "release policy: JSON, or the path of a JSON file")
    .option("--immutable [bool]", "make the release policy immutable");
}

export function registerKeyCommands(keyvault: Command): void {
  const key = keyvault.command("key").description("Manage keys in a vault, and use them.");

  onAction<KeyPropertyOptions & { size?: string }>(
    keyPropertyOptions(
      addressed(leafCommand(key, "create", "Create a key, or a new version of it."), "key", false)
        .option("--kty <kty>", `key type: ${KEY_TYPES.join(", ")} (default: RSA, or EC with --curve)`)
        .option("--size <bits>", "RSA key size: 2048, 3072 or 4096")
        .option("--curve <curve>", `elliptic curve: ${CURVES.join(", ")}`),
    ),
    (options, context) => createKey(context.session(), options),
  );

  onAction<ImportOptions>(
    keyPropertyOptions(
      addressed(leafCommand(key, "import", "Import a private key (PEM) as a key, or a new version of it."), "key", false)
        .option("--pem-file <path>", "PEM file with the private key")
        .option("--pem-string <pem>", "the private key as PEM text")
        .option("--pem-password <password>", "password of an encrypted PEM")
        .option("--byok-file <path>", "BYOK file (HSM-protected key types only)")
        .option("--byok-string <blob>", "BYOK blob (HSM-protected key types only)")
        .option("--kty <kty>", "key type of a BYOK blob: EC, RSA, oct")
        .option("--curve <curve>", `curve of a BYOK blob: ${CURVES.join(", ")}`),
    ),
    (options, context) => importKey(context.session(), options),
  );

  onAction<TargetOptions>(addressed(leafCommand(key, "show", "Show a key's public part and attributes."), "key"), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, "keys");
    return keyView(await session.vault<KeyWire>("GET", target.vaultUrl, objectPath("keys", target)));
  });

  onAction<KeyPropertyOptions & { enabled?: string | boolean }>(
    addressed(leafCommand(key, "set-attributes", "Update a key version's attributes, operations, tags or release policy."), "key")
      .option("--enabled [bool]", "true or false")
      .option("--expires <datetime>", "expiry, ISO 8601")
      .option("--not-before <datetime>", "not usable before, ISO 8601")
      .option("--ops <ops...>", `permitted operations: ${KEY_OPS.join(" ")}`)
      .option("--tags <tags...>", "space-separated tags: key[=value] (replaces all tags)")
      .option("--policy <policy>", "release policy: JSON, or the path of a JSON file")
      .option("--immutable [bool]", "make the release policy immutable"),
    (options, context) => setAttributes(context.session(), options),
  );

  onAction<TargetOptions>(addressed(leafCommand(key, "rotate", "Rotate a key now: a new version with the same type and operations."), "key", false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, "keys");
    return keyView(await session.vault<KeyWire>("POST", target.vaultUrl, `${objectPath("keys", target, false)}/rotate`));
  });

  onAction<TargetOptions & { file: string; encoding?: string }>(
    addressed(leafCommand(key, "download", "Write a key's public part to a file (which must not exist yet)."), "key")
      .requiredOption("-f, --file <path>", "the file to write")
      .option("-e, --encoding <encoding>", "PEM or DER (default: PEM)"),
    (options, context) => downloadKey(context.session(), options),
  );

  const views: CollectionViews<KeyWire, KeyWire> = { collection: "keys", noun: "key", item: keyItemView, deleted: keyView, restored: keyView };
  registerListCommands(key, views);
  registerSoftDeleteCommands(key, views);
  registerBackupCommands(key, views);
  registerKeyCryptoCommands(key);
}
