/**
 * `kluis keyvault secret <verb>` — the vault data plane (Key Vault REST), with az's verbs, flags and output.
 * A secret is addressed by `--vault-name` + `--name` [+ `--version`] or by its full `--id`, as in az. The verbs
 * secrets share with keys (list, list-versions, delete, list-deleted, show-deleted, recover, purge, backup, restore)
 * come from vault-object.ts; here are set, show, set-attributes and download. Files written (download, backup) hold
 * secret material, so they are created 0600, and download never overwrites a file, as az refuses to.
 */
import type { Command } from "commander";
import { parseBoolean, parseDateTime, parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { UsageError } from "../errors.js";
import type { Session } from "../session.js";
import {
  decodeToFileContent,
  encodeFileContent,
  parseEncoding,
  secretItemView,
  secretView,
  type FileEncoding,
  type SecretBundle,
} from "./secret-view.js";
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
  type ObjectTarget,
  type TargetOptions,
} from "./vault-object.js";

const COLLECTION = "secrets";

function secretPath(target: ObjectTarget, withVersion = true): string {
  return objectPath(COLLECTION, target, withVersion);
}

interface SetOptions extends TargetOptions {
  value?: string;
  file?: string;
  encoding?: string;
  contentType?: string;
  tags?: string[];
  disabled?: boolean;
  expires?: string;
  notBefore?: string;
}

async function setSecret(session: Session, options: SetOptions): Promise<unknown> {
  if ((options.value === undefined) === (options.file === undefined)) throw new UsageError("usage error: --value VALUE | --file PATH");
  let value = options.value;
  let tags = parseTags(options.tags);
  if (options.file !== undefined) {
    const encoding: FileEncoding = parseEncoding(options.encoding) ?? "utf-8";
    value = encodeFileContent(readInputFile(options.file), encoding);
    // az records the encoding so that `secret download` can restore the original bytes.
    tags = { ...tags, "file-encoding": encoding };
  }
  const attributes = dropUndefined({
    enabled: options.disabled ? false : undefined,
    exp: parseDateTime("--expires", options.expires),
    nbf: parseDateTime("--not-before", options.notBefore),
  });
  const target = await resolveTarget(session, options, COLLECTION);
  const body = dropUndefined({ value, contentType: options.contentType, tags, attributes: Object.keys(attributes).length ? attributes : undefined });
  return secretView(await session.vault<SecretBundle>("PUT", target.vaultUrl, secretPath(target, false), body));
}

interface AttributeOptions extends TargetOptions {
  enabled?: string;
  expires?: string;
  notBefore?: string;
  contentType?: string;
  tags?: string[];
}

async function setAttributes(session: Session, options: AttributeOptions): Promise<unknown> {
  const target = await resolveTarget(session, options, COLLECTION);
  // Key Vault updates one version; without --version that is the current one, which az asks the service for too.
  if (!target.version) {
    const current = await session.vault<SecretBundle>("GET", target.vaultUrl, secretPath(target, false));
    target.version = current.id?.split("/").pop();
  }
  const attributes = dropUndefined({
    enabled: parseBoolean("--enabled", options.enabled),
    exp: parseDateTime("--expires", options.expires),
    nbf: parseDateTime("--not-before", options.notBefore),
  });
  const body = dropUndefined({
    contentType: options.contentType,
    tags: parseTags(options.tags),
    attributes: Object.keys(attributes).length ? attributes : undefined,
  });
  const updated = await session.vault<SecretBundle>("PATCH", target.vaultUrl, secretPath(target), body);
  const { value: _value, ...properties } = updated;
  return secretView(properties);
}

async function downloadSecret(session: Session, options: TargetOptions & { file: string; encoding?: string }): Promise<undefined> {
  const requested = parseEncoding(options.encoding);
  refuseExisting(options.file);
  const target = await resolveTarget(session, options, COLLECTION);
  const secret = await session.vault<SecretBundle>("GET", target.vaultUrl, secretPath(target));
  const encoding = requested ?? parseEncoding(secret.tags?.["file-encoding"]) ?? "utf-8";
  writePrivateFile(options.file, decodeToFileContent(secret.value ?? "", encoding), "wx");
  return undefined;
}

export function registerSecretCommands(keyvault: Command): void {
  const secret = keyvault.command("secret").description("Manage secrets in a vault.");

  onAction<SetOptions>(
    leafCommand(secret, "set", "Create a secret, or a new version of it.")
      .requiredOption("--vault-name <vault>", "name of the vault")
      .requiredOption("-n, --name <name>", "name of the secret")
      .option("--value <value>", "the secret's value")
      .option("-f, --file <path>", "read the value from this file")
      .option("-e, --encoding <encoding>", "how to store the file: ascii, base64, hex, utf-16be, utf-16le, utf-8")
      .option("--description <type>", "alias of --content-type")
      .option("--content-type <type>", "a type for the value, e.g. password")
      .option("--tags <tags...>", "space-separated tags: key[=value]")
      .option("--disabled", "create the version disabled")
      .option("--expires <datetime>", "expiry, ISO 8601 (UTC unless a zone is given)")
      .option("--not-before <datetime>", "not usable before, ISO 8601"),
    (options, context) =>
      setSecret(context.session(), { ...options, contentType: options.contentType ?? (options as { description?: string }).description }),
  );

  onAction<TargetOptions>(addressed(leafCommand(secret, "show", "Show a secret and its value."), "secret"), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, COLLECTION);
    return secretView(await session.vault<SecretBundle>("GET", target.vaultUrl, secretPath(target)));
  });

  onAction<AttributeOptions>(
    addressed(leafCommand(secret, "set-attributes", "Update a secret version's attributes, content type or tags."), "secret")
      .option("--enabled <bool>", "true or false")
      .option("--expires <datetime>", "expiry, ISO 8601")
      .option("--not-before <datetime>", "not usable before, ISO 8601")
      .option("--content-type <type>", "a type for the value")
      .option("--tags <tags...>", "space-separated tags: key[=value] (replaces all tags)"),
    (options, context) => setAttributes(context.session(), options),
  );

  const views: CollectionViews<SecretBundle, SecretBundle> = {
    collection: COLLECTION,
    noun: "secret",
    item: secretItemView,
    deleted: secretView,
    restored: ({ value: _value, ...properties }) => secretView(properties),
  };
  registerListCommands(secret, views);
  registerSoftDeleteCommands(secret, views);
  registerBackupCommands(secret, views);

  onAction<TargetOptions & { file: string; encoding?: string }>(
    addressed(leafCommand(secret, "download", "Write a secret's value to a file (which must not exist yet)."), "secret")
      .requiredOption("-f, --file <path>", "the file to write")
      .option("-e, --encoding <encoding>", "ascii, base64, hex, utf-16be, utf-16le, utf-8 (default: as stored by set --file)"),
    (options, context) => downloadSecret(context.session(), options),
  );
}
