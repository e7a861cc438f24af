/**
 * `kluis keyvault secret <verb>` — the vault data plane (Key Vault REST), with az's verbs, flags and output.
 * A secret is addressed by `--vault-name` + `--name` [+ `--version`] or by its full `--id`, as in az.
 * Files written here (download, backup) hold secret material, so they are created 0600 and never overwritten
 * by download, as az refuses to.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { parseBoolean, parseDateTime, parseInteger, parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import { parseObjectId, type Session } from "../session.js";
import {
  decodeToFileContent,
  encodeFileContent,
  parseEncoding,
  secretItemView,
  secretView,
  type FileEncoding,
  type SecretBundle,
} from "./secret-view.js";

interface TargetOptions {
  vaultName?: string;
  name?: string;
  version?: string;
  id?: string;
}

interface SecretTarget {
  vaultUrl: string;
  name: string;
  version?: string;
}

/** Resolves `--id` or `--vault-name/--name[/--version]` to the vault URL, the name and the version. */
async function resolveTarget(session: Session, options: TargetOptions, collection = "secrets"): Promise<SecretTarget> {
  if (options.id !== undefined) {
    if (options.vaultName !== undefined || options.name !== undefined) {
      throw new UsageError("usage error: --id ID | --vault-name VAULT --name NAME [--version VERSION]");
    }
    // A deleted secret's recoveryId (…/deletedsecrets/<name>) names it as well as its old id does.
    const parsed = options.id.includes("/deletedsecrets/") ? parseObjectId(options.id, "deletedsecrets") : parseObjectId(options.id, "secrets");
    return { vaultUrl: parsed.vaultUrl, name: parsed.name, version: collection === "secrets" ? (options.version ?? parsed.version) : undefined };
  }
  if (options.vaultName === undefined || options.name === undefined) {
    throw new UsageError("usage error: --id ID | --vault-name VAULT --name NAME [--version VERSION]");
  }
  return { vaultUrl: await session.vaultUrl(options.vaultName), name: options.name, version: options.version };
}

function secretPath(target: SecretTarget, withVersion = true): string {
  const base = `/secrets/${encodeURIComponent(target.name)}`;
  return withVersion && target.version ? `${base}/${encodeURIComponent(target.version)}` : base;
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
  const target = await resolveTarget(session, options);
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
  const target = await resolveTarget(session, options);
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

async function listSecrets(session: Session, vaultName: string, path: string, maxResults: string | undefined, includeManaged = true): Promise<unknown> {
  const limit = parseInteger("--maxresults", maxResults, 1);
  const vaultUrl = await session.vaultUrl(vaultName);
  // Key Vault pages hold at most 25 items; --maxresults caps the total, as az's does.
  const pageSize = limit === undefined ? 25 : Math.min(limit, 25);
  const items = await session.vaultList<SecretBundle>(vaultUrl, `${path}?maxresults=${pageSize}`, limit);
  return items.filter((item) => includeManaged || !item.managed).map(secretItemView);
}

async function downloadSecret(session: Session, options: TargetOptions & { file: string; encoding?: string }): Promise<undefined> {
  const requested = parseEncoding(options.encoding);
  if (fs.existsSync(options.file)) throw new CliError(`File or directory named '${options.file}' already exists.`);
  const target = await resolveTarget(session, options);
  const secret = await session.vault<SecretBundle>("GET", target.vaultUrl, secretPath(target));
  const encoding = requested ?? parseEncoding(secret.tags?.["file-encoding"]) ?? "utf-8";
  writeSecretFile(options.file, decodeToFileContent(secret.value ?? "", encoding), "wx");
  return undefined;
}

function readInputFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
  }
}

function writeSecretFile(file: string, content: Buffer, flag: "w" | "wx"): void {
  try {
    fs.writeFileSync(file, content, { mode: 0o600, flag });
  } catch (error) {
    throw new CliError(`Cannot write '${file}': ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
  }
}

function dropUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** `--vault-name/--name/--version/--id` for the verbs that address one secret. */
function addressed(command: Command, versioned = true): Command {
  command
    .option("--vault-name <vault>", "name of the vault")
    .option("-n, --name <name>", "name of the secret")
    .option("--id <id>", "the secret's full id, instead of --vault-name and --name");
  return versioned ? command.option("-v, --version <version>", "a specific version (default: the current one)") : command;
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

  onAction<TargetOptions>(addressed(leafCommand(secret, "show", "Show a secret and its value.")), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options);
    return secretView(await session.vault<SecretBundle>("GET", target.vaultUrl, secretPath(target)));
  });

  onAction<{ vaultName: string; maxresults?: string; includeManaged?: boolean }>(
    leafCommand(secret, "list", "List the secrets of a vault (without values).")
      .requiredOption("--vault-name <vault>", "name of the vault")
      .option("--maxresults <n>", "return at most this many")
      .option("--include-managed", "include secrets managed by certificates"),
    (options, context) => listSecrets(context.session(), options.vaultName, "/secrets", options.maxresults, options.includeManaged ?? false),
  );

  onAction<TargetOptions & { maxresults?: string }>(
    addressed(leafCommand(secret, "list-versions", "List the versions of a secret (without values)."), false).option(
      "--maxresults <n>",
      "return at most this many",
    ),
    async (options, context) => {
      const session = context.session();
      const target = await resolveTarget(session, options);
      const limit = parseInteger("--maxresults", options.maxresults, 1);
      const path = `${secretPath(target, false)}/versions?maxresults=${limit === undefined ? 25 : Math.min(limit, 25)}`;
      return (await session.vaultList<SecretBundle>(target.vaultUrl, path, limit)).map(secretItemView);
    },
  );

  onAction<AttributeOptions>(
    addressed(leafCommand(secret, "set-attributes", "Update a secret version's attributes, content type or tags."))
      .option("--enabled <bool>", "true or false")
      .option("--expires <datetime>", "expiry, ISO 8601")
      .option("--not-before <datetime>", "not usable before, ISO 8601")
      .option("--content-type <type>", "a type for the value")
      .option("--tags <tags...>", "space-separated tags: key[=value] (replaces all tags)"),
    (options, context) => setAttributes(context.session(), options),
  );

  onAction<TargetOptions>(addressed(leafCommand(secret, "delete", "Delete a secret (all versions; recoverable)."), false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options);
    return secretView(await session.vault<SecretBundle>("DELETE", target.vaultUrl, secretPath(target, false)));
  });

  onAction<{ vaultName: string; maxresults?: string }>(
    leafCommand(secret, "list-deleted", "List deleted secrets that can still be recovered or purged.")
      .requiredOption("--vault-name <vault>", "name of the vault")
      .option("--maxresults <n>", "return at most this many"),
    (options, context) => listSecrets(context.session(), options.vaultName, "/deletedsecrets", options.maxresults),
  );

  onAction<TargetOptions>(addressed(leafCommand(secret, "show-deleted", "Show a deleted secret."), false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, "deletedsecrets");
    return secretView(await session.vault<SecretBundle>("GET", target.vaultUrl, `/deletedsecrets/${encodeURIComponent(target.name)}`));
  });

  onAction<TargetOptions>(addressed(leafCommand(secret, "recover", "Recover a deleted secret."), false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, "deletedsecrets");
    const recovered = await session.vault<SecretBundle>("POST", target.vaultUrl, `/deletedsecrets/${encodeURIComponent(target.name)}/recover`);
    const { value: _value, ...properties } = recovered;
    return secretView(properties);
  });

  onAction<TargetOptions>(addressed(leafCommand(secret, "purge", "Permanently delete a deleted secret."), false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, "deletedsecrets");
    await session.vault("DELETE", target.vaultUrl, `/deletedsecrets/${encodeURIComponent(target.name)}`);
    return undefined;
  });

  onAction<TargetOptions & { file: string }>(
    addressed(leafCommand(secret, "backup", "Write an encrypted backup of all versions of a secret to a file."), false).requiredOption(
      "-f, --file <path>",
      "the file to write",
    ),
    async (options, context) => {
      const session = context.session();
      const target = await resolveTarget(session, options);
      const backup = await session.vault<{ value?: string }>("POST", target.vaultUrl, `${secretPath(target, false)}/backup`);
      if (typeof backup.value !== "string") throw new CliError("The vault returned no backup blob.");
      writeSecretFile(options.file, Buffer.from(backup.value, "base64url"), "w");
      return undefined;
    },
  );

  onAction<{ vaultName: string; file: string }>(
    leafCommand(secret, "restore", "Restore a secret from a backup file.")
      .requiredOption("--vault-name <vault>", "name of the vault")
      .requiredOption("-f, --file <path>", "the backup file"),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await session.vaultUrl(options.vaultName);
      const blob = readInputFile(options.file).toString("base64url");
      const restored = await session.vault<SecretBundle>("POST", vaultUrl, "/secrets/restore", { value: blob });
      const { value: _value, ...properties } = restored;
      return secretView(properties);
    },
  );

  onAction<TargetOptions & { file: string; encoding?: string }>(
    addressed(leafCommand(secret, "download", "Write a secret's value to a file (which must not exist yet)."))
      .requiredOption("-f, --file <path>", "the file to write")
      .option("-e, --encoding <encoding>", "ascii, base64, hex, utf-16be, utf-16le, utf-8 (default: as stored by set --file)"),
    (options, context) => downloadSecret(context.session(), options),
  );
}
