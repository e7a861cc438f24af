/**
 * `kluis keyvault certificate issuer create | show | list | update | delete` — a vault's certificate issuers, as
 * in az, and `issuer show-ca`, Kluis's own: the certificate of the tenant's built-in issuing CA (provider "Kluis"),
 * which is public and served without a token, so that clients can trust what that issuer signs.
 * An issuer's password goes to the vault only; the service never returns it and nothing here prints it.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { parseBoolean } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import type { Session } from "../session.js";
import { issuerItemView, issuerView, type IssuerWire } from "./certificate-view.js";
import { dropUndefined, listObjects, resolveVault, vaultAddressed } from "./vault-object.js";

function issuerPath(name: string): string {
  return `/certificates/issuers/${encodeURIComponent(name)}`;
}

interface IssuerOptions {
  vaultName?: string;
  id?: string;
  issuerName: string;
  providerName?: string;
  accountId?: string;
  password?: string;
  organizationId?: string;
  disabled?: string | boolean;
  enabled?: string | boolean;
}

/** The issuer as create and update send it: only the parts given (update leaves the others as they are). */
function issuerBody(options: IssuerOptions, enabled: boolean | undefined): Record<string, unknown> {
  const credentials = dropUndefined({ account_id: options.accountId, pwd: options.password });
  return dropUndefined({
    provider: options.providerName,
    credentials: Object.keys(credentials).length ? credentials : undefined,
    org_details: options.organizationId === undefined ? undefined : { id: options.organizationId, admin_details: [] },
    attributes: enabled === undefined ? undefined : { enabled },
  });
}

function issuerOptions(command: Command): Command {
  return command
    .option("--account-id <id>", "the account id (user name) at the provider")
    .option("--password <password>", "the account's password or key at the provider")
    .option("--organization-id <id>", "the organization id at the provider");
}

/** The tenant's issuing CA (PEM), from the authority host: `GET <server>/<tenant>/kluis/issuing-ca.pem`, no token. */
async function issuingCa(session: Session): Promise<string> {
  const url = `${session.location.serverUrl}/${encodeURIComponent(session.tenantId)}/kluis/issuing-ca.pem`;
  const response = await session.http.call({ method: "GET", url, headers: { Accept: "application/x-pem-file, text/plain" } });
  const body = response.body;
  if (typeof body !== "string" || !body.includes("-----BEGIN CERTIFICATE-----")) throw new CliError("The server answered without a PEM certificate.");
  return body.endsWith("\n") ? body : `${body}\n`;
}

export function registerCertificateIssuerCommands(certificate: Command): void {
  const issuer = certificate.command("issuer").description("Manage certificate issuers (providers that sign certificates), and show Kluis's own CA.");
  const named = (command: Command) => vaultAddressed(command).requiredOption("--issuer-name <name>", "the issuer's name in the vault");

  onAction<IssuerOptions>(
    issuerOptions(named(leafCommand(issuer, "create", "Create a certificate issuer record in a vault (replacing one of that name).")))
      .requiredOption("--provider-name <provider>", "the certificate provider: Kluis (built in), or a public CA's name")
      .option("--disabled [bool]", "create the issuer disabled"),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const body = issuerBody(options, !(parseBoolean("--disabled", options.disabled) ?? false));
      // az always sends the organization part, empty when not given.
      body.org_details ??= { admin_details: [] };
      return issuerView(await session.vault<IssuerWire>("PUT", vaultUrl, issuerPath(options.issuerName), body));
    },
  );

  onAction<IssuerOptions>(
    issuerOptions(named(leafCommand(issuer, "update", "Update a certificate issuer record: only the given parts change (as in az, new credentials without --password clear the stored one).")))
      .option("--provider-name <provider>", "the certificate provider")
      .option("--enabled [bool]", "true or false"),
    async (options, context) => {
      const body = issuerBody(options, parseBoolean("--enabled", options.enabled));
      if (Object.keys(body).length === 0) throw new UsageError("usage error: give at least one of --provider-name, --account-id, --password, --organization-id, --enabled");
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      return issuerView(await session.vault<IssuerWire>("PATCH", vaultUrl, issuerPath(options.issuerName), body));
    },
  );

  onAction<IssuerOptions>(named(leafCommand(issuer, "show", "Show a certificate issuer record (never its password).")), async (options, context) => {
    const session = context.session();
    return issuerView(await session.vault<IssuerWire>("GET", await resolveVault(session, options), issuerPath(options.issuerName)));
  });

  onAction<{ vaultName?: string; id?: string; maxresults?: string }>(
    vaultAddressed(leafCommand(issuer, "list", "List the certificate issuers of a vault.")).option("--maxresults <n>", "return at most this many"),
    async (options, context) => {
      const session = context.session();
      return (await listObjects<IssuerWire>(session, await resolveVault(session, options), "/certificates/issuers", options.maxresults)).map(issuerItemView);
    },
  );

  onAction<IssuerOptions>(named(leafCommand(issuer, "delete", "Delete a certificate issuer record.")), async (options, context) => {
    const session = context.session();
    return issuerView(await session.vault<IssuerWire>("DELETE", await resolveVault(session, options), issuerPath(options.issuerName)));
  });

  registerIssuerAdminCommands(issuer, named);

  onAction<{ file?: string }>(
    leafCommand(issuer, "show-ca", "Print the PEM certificate of Kluis's issuing CA for this tenant (the issuer 'Kluis' signs with it).").option(
      "-f, --file <path>",
      "write it to this file (which must not exist yet) instead of printing it",
    ),
    async (options, context) => {
      const pem = await issuingCa(context.session());
      if (options.file === undefined) {
        process.stdout.write(pem);
        return undefined;
      }
      try {
        fs.writeFileSync(options.file, pem, { flag: "wx", mode: 0o644 });
      } catch (error) {
        throw new CliError(`Cannot write '${options.file}': ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
      }
      return undefined;
    },
  );
}

type AdminWire = NonNullable<NonNullable<IssuerWire["org_details"]>["admin_details"]>[number];

function adminView(admin: AdminWire): Record<string, unknown> {
  return { emailAddress: admin.email ?? null, firstName: admin.first_name ?? null, lastName: admin.last_name ?? null, phone: admin.phone ?? null };
}

interface AdminOptions extends IssuerOptions {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
}

/**
 * `issuer admin add | list | delete`: the issuer's organization administrators, a list inside the issuer record;
 * add and delete read the record and send its organization part back changed (a PATCH, so that the credentials,
 * which the service never returns, stay as they are).
 */
function registerIssuerAdminCommands(issuer: Command, named: (command: Command) => Command): void {
  const admin = issuer.command("admin").description("Manage the administrators of a certificate issuer's organization.");
  const sameEmail = (a: AdminWire, email: string) => (a.email ?? "").toLowerCase() === email.toLowerCase();
  const read = async (session: Session, options: IssuerOptions): Promise<{ vaultUrl: string; record: IssuerWire }> => {
    const vaultUrl = await resolveVault(session, options);
    return { vaultUrl, record: await session.vault<IssuerWire>("GET", vaultUrl, issuerPath(options.issuerName)) };
  };
  const writeAdmins = (session: Session, vaultUrl: string, options: IssuerOptions, record: IssuerWire, admins: AdminWire[]) =>
    session.vault<IssuerWire>("PATCH", vaultUrl, issuerPath(options.issuerName), { org_details: dropUndefined({ id: record.org_details?.id, admin_details: admins }) });

  onAction<AdminOptions>(
    named(leafCommand(admin, "add", "Add an administrator to a certificate issuer's organization."))
      .requiredOption("--email <address>", "the administrator's e-mail address")
      .option("--first-name <name>", "the administrator's first name")
      .option("--last-name <name>", "the administrator's last name")
      .option("--phone <number>", "the administrator's phone number"),
    async (options, context) => {
      const session = context.session();
      const { vaultUrl, record } = await read(session, options);
      const admins = record.org_details?.admin_details ?? [];
      if (admins.some((a) => sameEmail(a, options.email))) throw new CliError(`admin '${options.email}' already exists`);
      const added = dropUndefined({ email: options.email, first_name: options.firstName, last_name: options.lastName, phone: options.phone });
      const result = await writeAdmins(session, vaultUrl, options, record, [...admins, added]);
      const created = (result.org_details?.admin_details ?? []).find((a) => sameEmail(a, options.email));
      return created === undefined ? undefined : adminView(created);
    },
  );

  onAction<IssuerOptions>(named(leafCommand(admin, "list", "List the administrators of a certificate issuer's organization.")), async (options, context) => {
    const { record } = await read(context.session(), options);
    return (record.org_details?.admin_details ?? []).map(adminView);
  });

  onAction<AdminOptions>(
    named(leafCommand(admin, "delete", "Remove an administrator from a certificate issuer's organization.")).requiredOption(
      "--email <address>",
      "the e-mail address of the administrator to remove",
    ),
    async (options, context) => {
      const session = context.session();
      const { vaultUrl, record } = await read(session, options);
      const admins = record.org_details?.admin_details ?? [];
      const remaining = admins.filter((a) => !sameEmail(a, options.email));
      if (remaining.length === admins.length) throw new CliError(`admin '${options.email}' not found for issuer '${options.issuerName}'`);
      await writeAdmins(session, vaultUrl, options, record, remaining);
      return undefined;
    },
  );
}
