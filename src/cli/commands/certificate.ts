/**
 * `kluis keyvault certificate <verb>` — certificates on the vault data plane, with az's verbs, flags and output.
 * The verbs certificates share with secrets and keys (list-versions, delete, list-deleted, show-deleted, recover,
 * purge, backup, restore) come from vault-object.ts; here are create (which waits for the issuance, as az does),
 * import, show, list, set-attributes, download and get-default-policy. The pending operation, contacts and issuers
 * have their own files. Only public material is printed or written: `download` writes the certificate, never its
 * key (that is the secret of the same name).
 */
import type { Command } from "commander";
import { parseBoolean, parseChoice, parseInteger, parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError } from "../errors.js";
import type { Session } from "../session.js";
import { registerCertificateContactCommands } from "./certificate-contact.js";
import { registerCertificateIssuerCommands } from "./certificate-issuer.js";
import { DOWNLOAD_ENCODINGS, certificateFile, importPayload } from "./certificate-material.js";
import { registerCertificatePendingCommands, waitForOperation } from "./certificate-pending.js";
import { defaultPolicy, policyToWire, scaffoldPolicy, type PolicyWire } from "./certificate-policy.js";
import { certificateItemView, certificateView, operationView, type CertificateWire, type OperationWire } from "./certificate-view.js";
import { jsonArgument } from "./key-material.js";
import {
  addressed,
  dropUndefined,
  listObjects,
  objectPath,
  readInputFile,
  refuseExisting,
  registerBackupCommands,
  registerListVersionsCommand,
  registerSoftDeleteCommands,
  resolveTarget,
  resolveVault,
  vaultAddressed,
  writePrivateFile,
  type CollectionViews,
  type TargetOptions,
} from "./vault-object.js";

const COLLECTION = "certificates";

/** `--policy` as JSON text or a file (az's `@file` too) → the wire policy. */
export function policyArgument(value: string): PolicyWire {
  const source = value.startsWith("@") ? value.slice(1) : value;
  return policyToWire(jsonArgument("--policy/-p", source));
}

interface CreateOptions extends TargetOptions {
  policy: string;
  disabled?: string | boolean;
  tags?: string[];
  validity?: string;
}

async function createCertificate(session: Session, options: CreateOptions): Promise<unknown> {
  const policy = policyArgument(options.policy);
  const validity = parseInteger("--validity", options.validity, 1);
  if (validity !== undefined) policy.x509_props = { ...policy.x509_props, validity_months: validity };
  const body = dropUndefined({
    policy,
    attributes: { enabled: !(parseBoolean("--disabled", options.disabled) ?? false) },
    tags: parseTags(options.tags),
  });
  const target = await resolveTarget(session, options, COLLECTION);
  const started = await session.vault<OperationWire>("POST", target.vaultUrl, `${objectPath(COLLECTION, target, false)}/create`, body);
  // As az: a certificate for an issuer "Unknown" waits for a merge, so the pending operation is printed at once.
  if ((policy.issuer?.name ?? "").toLowerCase() === "unknown") return operationView(started);
  return operationView(await waitForOperation(session, target, started));
}

interface ImportOptions extends TargetOptions {
  file: string;
  password?: string;
  policy?: string;
  disabled?: string | boolean;
  tags?: string[];
}

async function importCertificate(session: Session, options: ImportOptions): Promise<unknown> {
  const payload = importPayload(readInputFile(options.file), options.file);
  const policy = options.policy === undefined ? {} : policyArgument(options.policy);
  // az sets the secret's content type from the file, whatever the policy says.
  policy.secret_props = { ...policy.secret_props, contentType: payload.contentType };
  const body = dropUndefined({
    value: payload.value,
    pwd: options.password,
    policy,
    attributes: { enabled: !(parseBoolean("--disabled", options.disabled) ?? false) },
    tags: parseTags(options.tags),
  });
  const target = await resolveTarget(session, options, COLLECTION);
  return certificateView(await session.vault<CertificateWire>("POST", target.vaultUrl, `${objectPath(COLLECTION, target, false)}/import`, body));
}

async function setAttributes(session: Session, options: TargetOptions & { enabled?: string | boolean; tags?: string[]; policy?: string }): Promise<unknown> {
  const enabled = parseBoolean("--enabled", options.enabled);
  const body = dropUndefined({
    attributes: enabled === undefined ? undefined : { enabled },
    tags: parseTags(options.tags),
    policy: options.policy === undefined ? undefined : policyArgument(options.policy),
  });
  const target = await resolveTarget(session, options, COLLECTION);
  // Without --version Key Vault's PATCH /certificates/{name} updates the current version, as az's call does.
  return certificateView(await session.vault<CertificateWire>("PATCH", target.vaultUrl, objectPath(COLLECTION, target), body));
}

async function downloadCertificate(session: Session, options: TargetOptions & { file: string; encoding?: string }): Promise<undefined> {
  const encoding = parseChoice("--encoding/-e", options.encoding ?? "PEM", DOWNLOAD_ENCODINGS)!;
  refuseExisting(options.file);
  const target = await resolveTarget(session, options, COLLECTION);
  const bundle = await session.vault<CertificateWire>("GET", target.vaultUrl, objectPath(COLLECTION, target));
  if (typeof bundle.cer !== "string" || bundle.cer === "") throw new CliError("The vault returned no certificate: is it still pending?");
  writePrivateFile(options.file, certificateFile(bundle.cer, encoding), "wx");
  return undefined;
}

/** --policy (required by create, optional for import), --disabled, --tags. */
function policyOptions(command: Command, required: boolean): Command {
  const description = "the management policy: JSON, or the path of a JSON file (@file works too); see get-default-policy";
  return (required ? command.requiredOption("-p, --policy <policy>", description) : command.option("-p, --policy <policy>", description))
    .option("--disabled [bool]", "create the certificate disabled")
    .option("--tags <tags...>", "space-separated tags: key[=value]");
}

export function registerCertificateCommands(keyvault: Command): void {
  const certificate = keyvault.command("certificate").description("Manage certificates in a vault: create, import, renew by policy, download.");

  onAction<CreateOptions>(
    policyOptions(addressed(leafCommand(certificate, "create", "Create a certificate (or a new version) and wait until it is issued."), "certificate", false), true)
      .option("--validity <months>", "months the certificate is valid for; overrides the policy's validityInMonths"),
    (options, context) => createCertificate(context.session(), options),
  );

  onAction<ImportOptions>(
    policyOptions(addressed(leafCommand(certificate, "import", "Import a certificate with its private key (PFX or PEM) as a certificate, or a new version of it."), "certificate", false), false)
      .requiredOption("-f, --file <path>", "PKCS#12 (.pfx) file, or PEM file with the private key and the certificate(s)")
      .option("--password <password>", "the PFX's password, if it has one"),
    (options, context) => importCertificate(context.session(), options),
  );

  onAction<TargetOptions>(addressed(leafCommand(certificate, "show", "Show a certificate: its attributes, policy and DER certificate."), "certificate"), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, COLLECTION);
    return certificateView(await session.vault<CertificateWire>("GET", target.vaultUrl, objectPath(COLLECTION, target)));
  });

  onAction<{ vaultName?: string; id?: string; maxresults?: string; includePending?: string | boolean }>(
    vaultAddressed(leafCommand(certificate, "list", "List the certificates of a vault."))
      .option("--maxresults <n>", "return at most this many")
      .option("--include-pending [bool]", "include certificates that are not issued yet"),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const includePending = parseBoolean("--include-pending", options.includePending);
      const path = includePending === undefined ? `/${COLLECTION}` : `/${COLLECTION}?includePending=${includePending}`;
      return (await listObjects<CertificateWire>(session, vaultUrl, path, options.maxresults)).map(certificateItemView);
    },
  );

  onAction<TargetOptions & { enabled?: string | boolean; tags?: string[]; policy?: string }>(
    addressed(leafCommand(certificate, "set-attributes", "Update a certificate version's enabled state or tags, or the certificate's policy."), "certificate")
      .option("--enabled [bool]", "true or false")
      .option("--tags <tags...>", "space-separated tags: key[=value] (replaces all tags)")
      .option("-p, --policy <policy>", "a new management policy: JSON, or the path of a JSON file"),
    (options, context) => setAttributes(context.session(), options),
  );

  onAction<TargetOptions & { file: string; encoding?: string }>(
    addressed(leafCommand(certificate, "download", "Write a certificate (public part only) to a file, which must not exist yet."), "certificate")
      .requiredOption("-f, --file <path>", "the file to write")
      .option("-e, --encoding <encoding>", "PEM or DER (default: PEM)"),
    (options, context) => downloadCertificate(context.session(), options),
  );

  onAction<{ scaffold?: boolean }>(
    leafCommand(certificate, "get-default-policy", "Print az's default certificate policy, to edit and pass to create --policy.").option(
      "--scaffold",
      "print every field of a policy, with placeholder values to replace",
    ),
    (options) => Promise.resolve(options.scaffold ? scaffoldPolicy() : defaultPolicy()),
  );

  const views: CollectionViews<CertificateWire, CertificateWire> = {
    collection: COLLECTION,
    noun: "certificate",
    item: certificateItemView,
    deleted: certificateView,
    restored: certificateView,
  };
  registerListVersionsCommand(certificate, views);
  registerSoftDeleteCommands(certificate, views);
  registerBackupCommands(certificate, views);
  registerCertificatePendingCommands(certificate);
  registerCertificateContactCommands(certificate);
  registerCertificateIssuerCommands(certificate);
}
