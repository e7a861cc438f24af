/**
 * `kluis keyvault certificate pending show | merge | delete` — a certificate's creation operation, and the wait
 * of `certificate create`. az polls the operation until its status is no longer "inProgress" and prints it then,
 * whether it completed or failed; so does this, with a bounded wait (KLUIS_CERTIFICATE_WAIT_SECONDS, default 600)
 * instead of az's unbounded one, so that a stuck issuer cannot hang a script.
 */
import type { Command } from "commander";
import { parseBoolean, parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError } from "../errors.js";
import type { Session } from "../session.js";
import { mergeChain } from "./certificate-material.js";
import { certificateView, operationView, type CertificateWire, type OperationWire } from "./certificate-view.js";
import { addressed, dropUndefined, objectPath, readInputFile, resolveTarget, type ObjectTarget, type TargetOptions } from "./vault-object.js";

const COLLECTION = "certificates";
const DEFAULT_WAIT_SECONDS = 600;

function pendingPath(target: ObjectTarget): string {
  return `${objectPath(COLLECTION, target, false)}/pending`;
}

/** The wait's bound in milliseconds: KLUIS_CERTIFICATE_WAIT_SECONDS when it is a positive number. */
export function waitLimitMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.KLUIS_CERTIFICATE_WAIT_SECONDS);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_WAIT_SECONDS) * 1000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the pending operation until it leaves "inProgress" (az's loop), from a short interval up to 2 s. */
export async function waitForOperation(session: Session, target: ObjectTarget, started: OperationWire): Promise<OperationWire> {
  const deadline = Date.now() + waitLimitMs();
  let operation = started;
  let interval = 200;
  while ((operation.status ?? "").toLowerCase() === "inprogress") {
    if (Date.now() + interval > deadline) {
      throw new CliError(
        `Timed out waiting for certificate '${target.name}' to be issued; it is still pending ('kluis keyvault certificate pending show' tells how it goes).`,
      );
    }
    await sleep(interval);
    interval = Math.min(interval * 2, 2000);
    operation = await session.vault<OperationWire>("GET", target.vaultUrl, pendingPath(target));
  }
  return operation;
}

interface MergeOptions extends TargetOptions {
  file: string;
  disabled?: string | boolean;
  tags?: string[];
}

export function registerCertificatePendingCommands(certificate: Command): void {
  const pending = certificate.command("pending").description("Manage a certificate's pending creation: show it, complete it with a signed certificate, or cancel it.");

  onAction<TargetOptions>(addressed(leafCommand(pending, "show", "Show the status of a certificate's creation operation."), "certificate", false), async (options, context) => {
    const session = context.session();
    const target = await resolveTarget(session, options, COLLECTION);
    return operationView(await session.vault<OperationWire>("GET", target.vaultUrl, pendingPath(target)));
  });

  onAction<MergeOptions>(
    addressed(leafCommand(pending, "merge", "Complete a pending certificate with the certificate (and chain) an external CA signed from its CSR."), "certificate", false)
      .requiredOption("-f, --file <path>", "the signed certificate, PEM (then its chain may follow) or DER")
      .option("--disabled [bool]", "create the certificate disabled")
      .option("--tags <tags...>", "space-separated tags: key[=value]"),
    async (options, context) => {
      const x5c = mergeChain(readInputFile(options.file), options.file);
      const disabled = parseBoolean("--disabled", options.disabled);
      const body = dropUndefined({ x5c, attributes: disabled === undefined ? undefined : { enabled: !disabled }, tags: parseTags(options.tags) });
      const session = context.session();
      const target = await resolveTarget(session, options, COLLECTION);
      return certificateView(await session.vault<CertificateWire>("POST", target.vaultUrl, `${pendingPath(target)}/merge`, body));
    },
  );

  onAction<TargetOptions>(
    addressed(leafCommand(pending, "delete", "Cancel and delete a certificate's pending creation operation."), "certificate", false),
    async (options, context) => {
      const session = context.session();
      const target = await resolveTarget(session, options, COLLECTION);
      return operationView(await session.vault<OperationWire>("DELETE", target.vaultUrl, pendingPath(target)));
    },
  );
}
