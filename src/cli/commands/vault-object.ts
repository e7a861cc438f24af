/**
 * What `kluis keyvault secret`, `key` and `certificate` share, because Key Vault's REST API is the same for those
 * collections there: addressing one object (`--vault-name --name [--version]` or its `--id`), the vault of a
 * collection-wide verb (`--vault-name` or the vault's `--id`), paged lists with az's `--maxresults`, and the verbs
 * list, list-versions, delete, list-deleted, show-deleted, recover, purge, backup and restore, whose calls differ
 * only in the collection's name. Each collection brings its own views of the wire objects (az prints secrets and
 * keys differently).
 */
import fs from "node:fs";
import type { Command } from "commander";
import { parseBoolean, parseInteger } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import { parseObjectId, type Session } from "../session.js";

export type Collection = "secrets" | "keys" | "certificates";

export interface TargetOptions {
  vaultName?: string;
  name?: string;
  version?: string;
  id?: string;
}

export interface ObjectTarget {
  vaultUrl: string;
  name: string;
  version?: string;
}

const ADDRESS_USAGE = "usage error: --id ID | --vault-name VAULT --name NAME [--version VERSION]";

/**
 * `--id` or `--vault-name/--name[/--version]` → vault URL, name and version. For the verbs on a deleted object
 * (`deleted`), the id may be its recoveryId (…/deleted<collection>/<name>) as az documents, or its old id.
 */
export async function resolveTarget(session: Session, options: TargetOptions, collection: Collection, deleted = false): Promise<ObjectTarget> {
  if (options.id !== undefined) {
    if (options.vaultName !== undefined || options.name !== undefined) throw new UsageError(ADDRESS_USAGE);
    const recovery = `deleted${collection}`;
    const parsed = options.id.includes(`/${recovery}/`) ? parseObjectId(options.id, recovery) : parseObjectId(options.id, collection);
    return { vaultUrl: parsed.vaultUrl, name: parsed.name, version: deleted ? undefined : (options.version ?? parsed.version) };
  }
  if (options.vaultName === undefined || options.name === undefined) throw new UsageError(ADDRESS_USAGE);
  return { vaultUrl: await session.vaultUrl(options.vaultName), name: options.name, version: deleted ? undefined : options.version };
}

/** `/<collection>/<name>[/<version>]`, each segment escaped. */
export function objectPath(collection: Collection, target: ObjectTarget, withVersion = true): string {
  const base = `/${collection}/${encodeURIComponent(target.name)}`;
  return withVersion && target.version ? `${base}/${encodeURIComponent(target.version)}` : base;
}

export function deletedPath(collection: Collection, target: ObjectTarget): string {
  return `/deleted${collection}/${encodeURIComponent(target.name)}`;
}

/** The vault of a collection-wide verb: `--vault-name`, or `--id` with the vault's URI (az's "Full URI of the Vault"). */
export async function resolveVault(session: Session, options: { vaultName?: string; id?: string }): Promise<string> {
  if ((options.vaultName === undefined) === (options.id === undefined)) throw new UsageError("usage error: --vault-name VAULT | --id URI");
  if (options.vaultName !== undefined) return session.vaultUrl(options.vaultName);
  try {
    return `${new URL(options.id!).origin}/`;
  } catch {
    throw new UsageError(`argument --id: invalid vault URI: '${options.id}'`);
  }
}

/** Every page of a list; `--maxresults` caps the total, and Key Vault pages hold at most 25 items. */
export async function listObjects<T>(session: Session, vaultUrl: string, path: string, maxResults: string | undefined): Promise<T[]> {
  const limit = parseInteger("--maxresults", maxResults, 1);
  const pageSize = limit === undefined ? 25 : Math.min(limit, 25);
  return session.vaultList<T>(vaultUrl, `${path}${path.includes("?") ? "&" : "?"}maxresults=${pageSize}`, limit);
}

export function readInputFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
  }
}

/** Files written by these verbs may hold key or secret material: created 0600; "wx" refuses an existing file. */
export function writePrivateFile(file: string, content: Buffer | string, flag: "w" | "wx"): void {
  try {
    fs.writeFileSync(file, content, { mode: 0o600, flag });
  } catch (error) {
    throw new CliError(`Cannot write '${file}': ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
  }
}

/** az refuses to download over an existing file or directory, before it calls the service. */
export function refuseExisting(file: string): void {
  if (fs.existsSync(file)) throw new CliError(`File or directory named '${file}' already exists.`);
}

export function dropUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** `--vault-name/--name/--version/--id` for the verbs that address one object. */
export function addressed(command: Command, noun: string, versioned = true): Command {
  command
    .option("--vault-name <vault>", "name of the vault (required unless --id)")
    .option("-n, --name <name>", `name of the ${noun} (required unless --id)`)
    .option("--id <id>", `the ${noun}'s full id, instead of --vault-name and --name`);
  return versioned ? command.option("-v, --version <version>", "a specific version (default: the current one)") : command;
}

/** `--vault-name` or `--id` for the verbs on a whole vault. */
export function vaultAddressed(command: Command): Command {
  return command.option("--vault-name <vault>", "name of the vault").option("--id <uri>", "the vault's URI, instead of --vault-name");
}

/** How one collection's wire objects are printed, as az prints them. */
export interface CollectionViews<Item, Bundle> {
  collection: Collection;
  noun: string;
  /** An element of list, list-versions and list-deleted. */
  item(wire: Item): unknown;
  /** The reply of delete and show-deleted. */
  deleted(wire: Bundle): unknown;
  /** The reply of recover and restore. */
  restored(wire: Bundle): unknown;
}

type ListOptions = TargetOptions & { maxresults?: string; includeManaged?: string | boolean };

/** list (of secrets or keys, whose certificate-managed members are hidden unless asked for) and list-versions. */
export function registerListCommands<I extends { managed?: boolean | null }, B>(group: Command, views: CollectionViews<I, B>): void {
  const { collection, noun } = views;
  onAction<ListOptions>(
    vaultAddressed(leafCommand(group, "list", `List the ${noun}s of a vault.`))
      .option("--maxresults <n>", "return at most this many")
      .option("--include-managed [bool]", `include ${noun}s managed by certificates (default: false)`),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const items = await listObjects<I>(session, vaultUrl, `/${collection}`, options.maxresults);
      const includeManaged = parseBoolean("--include-managed", options.includeManaged) ?? false;
      return items.filter((item) => includeManaged || !item.managed).map((item) => views.item(item));
    },
  );
  registerListVersionsCommand(group, views);
}

/** list-versions: every version of one object. */
export function registerListVersionsCommand<I, B>(group: Command, views: CollectionViews<I, B>): void {
  const { collection, noun } = views;
  onAction<ListOptions>(
    addressed(leafCommand(group, "list-versions", `List the versions of a ${noun}.`), noun, false).option("--maxresults <n>", "return at most this many"),
    async (options, context) => {
      const session = context.session();
      const target = await resolveTarget(session, options, collection);
      const items = await listObjects<I>(session, target.vaultUrl, `${objectPath(collection, target, false)}/versions`, options.maxresults);
      return items.map((item) => views.item(item));
    },
  );
}

/** delete, list-deleted, show-deleted, recover, purge. */
export function registerSoftDeleteCommands<I, B>(group: Command, views: CollectionViews<I, B>): void {
  const { collection, noun } = views;
  const onDeleted = (verb: string, description: string, run: (session: Session, target: ObjectTarget) => Promise<unknown>) =>
    onAction<TargetOptions>(addressed(leafCommand(group, verb, description), noun, false), async (options, context) => {
      const session = context.session();
      return run(session, await resolveTarget(session, options, collection, verb !== "delete"));
    });

  onDeleted("delete", `Delete a ${noun} (all versions; recoverable while the vault keeps deleted objects).`, async (session, target) =>
    views.deleted(await session.vault<B>("DELETE", target.vaultUrl, objectPath(collection, target, false))),
  );
  onAction<{ vaultName?: string; id?: string; maxresults?: string }>(
    vaultAddressed(leafCommand(group, "list-deleted", `List deleted ${noun}s that can still be recovered or purged.`)).option(
      "--maxresults <n>",
      "return at most this many",
    ),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      return (await listObjects<I>(session, vaultUrl, `/deleted${collection}`, options.maxresults)).map((item) => views.item(item));
    },
  );
  onDeleted("show-deleted", `Show a deleted ${noun}.`, async (session, target) =>
    views.deleted(await session.vault<B>("GET", target.vaultUrl, deletedPath(collection, target))),
  );
  onDeleted("recover", `Recover a deleted ${noun}.`, async (session, target) =>
    views.restored(await session.vault<B>("POST", target.vaultUrl, `${deletedPath(collection, target)}/recover`)),
  );
  onDeleted("purge", `Permanently delete a deleted ${noun}.`, async (session, target) => {
    await session.vault("DELETE", target.vaultUrl, deletedPath(collection, target));
    return undefined;
  });
}

/** backup (to a file, 0600) and restore (from one). */
export function registerBackupCommands<I, B>(group: Command, views: CollectionViews<I, B>): void {
  const { collection, noun } = views;
  onAction<TargetOptions & { file: string }>(
    addressed(leafCommand(group, "backup", `Write a protected backup of all versions of a ${noun} to a file.`), noun, false).requiredOption(
      "-f, --file <path>",
      "the file to write",
    ),
    async (options, context) => {
      const session = context.session();
      const target = await resolveTarget(session, options, collection);
      const backup = await session.vault<{ value?: string }>("POST", target.vaultUrl, `${objectPath(collection, target, false)}/backup`);
      if (typeof backup.value !== "string") throw new CliError("The vault returned no backup blob.");
      writePrivateFile(options.file, Buffer.from(backup.value, "base64url"), "w");
      return undefined;
    },
  );
  onAction<{ vaultName?: string; id?: string; file: string }>(
    vaultAddressed(leafCommand(group, "restore", `Restore a ${noun} from a backup file.`)).requiredOption("-f, --file <path>", "the backup file"),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const blob = readInputFile(options.file).toString("base64url");
      return views.restored(await session.vault<B>("POST", vaultUrl, `/${collection}/restore`, { value: blob }));
    },
  );
}
