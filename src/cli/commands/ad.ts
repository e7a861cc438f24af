/**
 * `kluis ad sp create-for-rbac | show` — the directory, through its Microsoft Graph shape. create-for-rbac
 * prints a client secret: that is its purpose, exactly as az does, with az's warning to protect it.
 */
import type { Command } from "commander";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import type { Session } from "../session.js";
import { createAssignment } from "./role.js";

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
}

interface Application {
  id: string;
  appId: string;
  displayName: string;
}

/** Finds a service principal by application id (what az calls the SPN), or by object id as a fallback. */
export async function resolveServicePrincipal(session: Session, spn: string): Promise<ServicePrincipal> {
  const filter = encodeURIComponent(`appId eq '${spn.replace(/'/g, "''")}'`);
  const { value } = await session.graph<{ value: ServicePrincipal[] }>("GET", `/v1.0/servicePrincipals?$filter=${filter}`);
  const found = value[0];
  if (found === undefined) throw new CliError(`Unable to find service principal with spn '${spn}'.`);
  return found;
}

/** az names an unnamed principal azure-cli-YYYY-MM-DD-HH-MM-SS (UTC); same pattern, our prefix. */
function defaultName(now = new Date()): string {
  return `kluis-${now.toISOString().slice(0, 19).replace(/[T:]/g, "-")}`;
}

async function createForRbac(session: Session, options: { name?: string; role?: string; scopes?: string[] }): Promise<unknown> {
  // As az: a role needs the scopes to grant it at, and scopes need a role.
  if ((options.role === undefined) !== (options.scopes === undefined)) throw new UsageError("usage error: --role and --scopes must be used together");
  const displayName = options.name ?? defaultName();
  const application = await session.graph<Application>("POST", "/v1.0/applications", { displayName });
  const principal = await session.graph<ServicePrincipal>("POST", "/v1.0/servicePrincipals", { appId: application.appId });
  const credential = await session.graph<{ secretText?: string }>("POST", `/v1.0/applications/${encodeURIComponent(application.id)}/addPassword`, {
    passwordCredential: { displayName: "rbac" },
  });
  if (typeof credential.secretText !== "string") throw new CliError("The directory returned no client secret.");
  for (const scope of options.scopes ?? []) {
    process.stderr.write(`Creating '${options.role}' role assignment under scope '${scope}'\n`);
    await createAssignment(session, { role: options.role!, assigneeObjectId: principal.id, scope });
  }
  process.stderr.write(
    "The output includes credentials that you must protect. Be sure that you do not include these credentials in your code " +
      "or check the credentials into your source control.\n",
  );
  return { appId: application.appId, displayName: application.displayName, password: credential.secretText, tenant: session.tenantId };
}

export function registerAdCommands(program: Command): void {
  const ad = program.command("ad").description("Manage the directory's applications and service principals.");
  const sp = ad.command("sp").description("Manage service principals.");

  onAction<{ name?: string; role?: string; scopes?: string[] }>(
    leafCommand(sp, "create-for-rbac", "Create an application, its service principal and a client secret.")
      .option("-n, --name <name>", "display name of the application")
      .option("--role <role>", "role to assign, by name or id (with --scopes)")
      .option("--scopes <scopes...>", "space-separated scopes to assign --role at"),
    (options, context) => createForRbac(context.session(), options),
  );

  onAction<{ id: string }>(
    leafCommand(sp, "show", "Show a service principal by application id.").requiredOption("--id <appId>", "the application id"),
    (options, context) => resolveServicePrincipal(context.session(), options.id),
  );
}
