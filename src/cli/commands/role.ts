/**
 * `kluis role assignment create | list | delete` and `kluis role definition list` — Azure RBAC through
 * Microsoft.Authorization, printed in az's flattened shapes (properties lifted to the top level; list adds
 * principalName and roleDefinitionName as az does).
 */
import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import type { Session } from "../session.js";
import type { ServicePrincipal } from "./ad.js";

const AUTHORIZATION_API = "2022-04-01";
const PROVIDER = "/providers/Microsoft.Authorization";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ArmRoleAssignment {
  id: string;
  name: string;
  type: string;
  properties: { roleDefinitionId: string; principalId: string; principalType: string; scope: string; [key: string]: unknown };
}

interface ArmRoleDefinition {
  id: string;
  name: string;
  type: string;
  properties: { roleName: string; type: string; [key: string]: unknown };
}

function subscriptionScope(session: Session): string {
  return `/subscriptions/${session.subscriptionId}`;
}

function normalizeScope(session: Session, scope: string | undefined): string {
  const value = (scope ?? subscriptionScope(session)).replace(/\/+$/, "");
  if (!value.toLowerCase().startsWith("/subscriptions/")) {
    throw new UsageError(`argument --scope: invalid scope '${scope}': expected /subscriptions/{id}[/resourceGroups/{group}[/providers/…]]`);
  }
  return value;
}

/** az's flattening: the ARM envelope's properties become top-level fields, plus the resource group if any. */
function flattenAssignment(a: ArmRoleAssignment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const resourceGroup = /\/resourceGroups\/([^/]+)/i.exec(a.properties.scope)?.[1];
  return { ...a.properties, id: a.id, name: a.name, type: a.type, ...(resourceGroup ? { resourceGroup } : {}), ...extra };
}

function flattenDefinition(d: ArmRoleDefinition): Record<string, unknown> {
  const { type: roleType, ...rest } = d.properties;
  return { ...rest, id: d.id, name: d.name, roleType, type: d.type };
}

async function definitions(session: Session, scope: string, name?: string): Promise<ArmRoleDefinition[]> {
  const filter = name === undefined ? "" : `?$filter=${encodeURIComponent(`roleName eq '${name.replace(/'/g, "''")}'`)}`;
  return session.armList<ArmRoleDefinition>(`${scope}${PROVIDER}/roleDefinitions${filter}`, AUTHORIZATION_API);
}

/** `--role` as a name ("Key Vault Secrets User"), a GUID or a full role-definition id. */
async function resolveRole(session: Session, scope: string, role: string): Promise<string> {
  const guid = role.split("/").filter(Boolean).pop() ?? role;
  if (GUID.test(guid)) {
    const found = await session.arm<ArmRoleDefinition>("GET", `${subscriptionScope(session)}${PROVIDER}/roleDefinitions/${guid}`, AUTHORIZATION_API).catch(() => undefined);
    if (found === undefined) throw new CliError(`Role '${role}' doesn't exist.`);
    return found.id;
  }
  const found = await definitions(session, scope, role);
  if (found.length === 0) throw new CliError(`Role '${role}' doesn't exist.`);
  if (found.length > 1) throw new CliError(`More than one role matches the given name '${role}'. Please pick an id from '${found.map((d) => d.id).join(", ")}'`);
  return found[0]!.id;
}

/** `--assignee` as an application id (looked up in the directory) or an object id. */
async function resolveAssignee(session: Session, assignee: string): Promise<string> {
  const filter = encodeURIComponent(`appId eq '${assignee.replace(/'/g, "''")}'`);
  const { value } = await session.graph<{ value: ServicePrincipal[] }>("GET", `/v1.0/servicePrincipals?$filter=${filter}`);
  if (value[0] !== undefined) return value[0].id;
  if (GUID.test(assignee)) return assignee;
  throw new CliError(`Cannot find user or service principal in graph database for '${assignee}'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id ${assignee}'.`);
}

export interface CreateOptions {
  role: string;
  assignee?: string;
  assigneeObjectId?: string;
  assigneePrincipalType?: string;
  scope?: string;
  description?: string;
}

export async function createAssignment(session: Session, options: CreateOptions): Promise<unknown> {
  if ((options.assignee === undefined) === (options.assigneeObjectId === undefined)) {
    throw new UsageError("usage error: --assignee STRING | --assignee-object-id GUID");
  }
  const scope = normalizeScope(session, options.scope);
  const roleDefinitionId = await resolveRole(session, scope, options.role);
  const principalId = options.assigneeObjectId ?? (await resolveAssignee(session, options.assignee!));
  const body = {
    properties: {
      roleDefinitionId,
      principalId,
      principalType: options.assigneePrincipalType ?? "ServicePrincipal",
      ...(options.description !== undefined ? { description: options.description } : {}),
    },
  };
  const created = await session.arm<ArmRoleAssignment>("PUT", `${scope}${PROVIDER}/roleAssignments/${randomUUID()}`, AUTHORIZATION_API, body);
  return flattenAssignment(created);
}

interface ListOptions {
  assignee?: string;
  role?: string;
  scope?: string;
  all?: boolean;
  includeInherited?: boolean;
}

async function findAssignments(session: Session, options: ListOptions): Promise<ArmRoleAssignment[]> {
  if (options.all && options.scope !== undefined) throw new UsageError("usage error: --all and --scope can't be used together");
  const scope = normalizeScope(session, options.all ? undefined : options.scope);
  const principalId = options.assignee === undefined ? undefined : await resolveAssignee(session, options.assignee);
  const filter = principalId === undefined ? "" : `?$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`;
  let found = await session.armList<ArmRoleAssignment>(`${scope}${PROVIDER}/roleAssignments${filter}`, AUTHORIZATION_API);
  // As az: without --all, only assignments made exactly at the scope (or above it, with --include-inherited).
  if (!options.all) {
    const at = scope.toLowerCase();
    found = found.filter((a) => {
      const s = a.properties.scope.toLowerCase();
      return s === at || (options.includeInherited === true && (at.startsWith(`${s}/`) || s === "/"));
    });
  }
  if (options.role !== undefined) {
    const roleId = (await resolveRole(session, scope, options.role)).split("/").pop()!.toLowerCase();
    found = found.filter((a) => a.properties.roleDefinitionId.split("/").pop()!.toLowerCase() === roleId);
  }
  return found;
}

async function listAssignments(session: Session, options: ListOptions): Promise<unknown> {
  const found = await findAssignments(session, options);
  const roles = new Map((await definitions(session, subscriptionScope(session))).map((d) => [d.name.toLowerCase(), d.properties.roleName]));
  const names = new Map<string, string>();
  // Reading the directory needs the tenant admin; without it az leaves principalName empty too.
  const directory = await session.graph<{ value: ServicePrincipal[] }>("GET", "/v1.0/servicePrincipals").catch(() => ({ value: [] as ServicePrincipal[] }));
  for (const p of directory.value) names.set(p.id.toLowerCase(), p.appId);
  return found.map((a) =>
    flattenAssignment(a, {
      principalName: names.get(a.properties.principalId.toLowerCase()) ?? "",
      roleDefinitionName: roles.get(a.properties.roleDefinitionId.split("/").pop()!.toLowerCase()) ?? "",
    }),
  );
}

async function deleteAssignments(session: Session, options: ListOptions & { ids?: string[]; yes?: boolean }): Promise<unknown> {
  let ids = options.ids;
  if (ids !== undefined && (options.assignee !== undefined || options.role !== undefined || options.scope !== undefined)) {
    throw new UsageError("usage error: --ids | --assignee --role --scope");
  }
  if (ids === undefined) {
    if (options.assignee === undefined && options.role === undefined && options.scope === undefined) {
      throw new UsageError("usage error: specify --ids, or at least one of --assignee, --role, --scope");
    }
    ids = (await findAssignments(session, options)).map((a) => a.id);
    if (ids.length === 0) throw new CliError("No matched assignments were found to delete");
  }
  for (const id of ids) {
    if (!/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i.test(id)) throw new UsageError(`argument --ids: invalid role assignment id '${id}'`);
    await session.arm("DELETE", id, AUTHORIZATION_API);
  }
  return undefined;
}

export function registerRoleCommands(program: Command): void {
  const role = program.command("role").description("Manage Azure role-based access control (RBAC): role assignments and definitions.");
  const assignment = role.command("assignment").description("Manage role assignments.");
  const definition = role.command("definition").description("Show role definitions.");

  onAction<CreateOptions>(
    leafCommand(assignment, "create", "Create a role assignment.")
      .requiredOption("--role <role>", "role name (e.g. 'Key Vault Secrets User') or id")
      .option("--assignee <assignee>", "application id or object id of the service principal or managed identity")
      .option("--assignee-object-id <id>", "object id of the assignee (no directory lookup)")
      .option("--assignee-principal-type <type>", "ServicePrincipal (the only kind Kluis has)")
      .option("--scope <scope>", "scope: /subscriptions/{s}[/resourceGroups/{g}[/providers/Microsoft.KeyVault/vaults/{v}[/secrets/{name}]]]")
      .option("--description <text>", "description of the assignment"),
    (options, context) => createAssignment(context.session(), options),
  );

  onAction<ListOptions>(
    leafCommand(assignment, "list", "List role assignments (by default those made exactly at the subscription).")
      .option("--assignee <assignee>", "only this principal's (application id or object id)")
      .option("--role <role>", "only assignments of this role (name or id)")
      .option("--scope <scope>", "scope to list at")
      .option("--all", "every assignment in the subscription, at any scope")
      .option("--include-inherited", "also assignments at scopes above --scope"),
    (options, context) => listAssignments(context.session(), options),
  );

  onAction<ListOptions & { ids?: string[]; yes?: boolean }>(
    leafCommand(assignment, "delete", "Delete role assignments, by id or by assignee, role and scope.")
      .option("--ids <ids...>", "one or more role assignment ids")
      .option("--assignee <assignee>", "application id or object id")
      .option("--role <role>", "role name or id")
      .option("--scope <scope>", "scope of the assignments")
      .option("-y, --yes", "accepted for symmetry; nothing prompts"),
    (options, context) => deleteAssignments(context.session(), options),
  );

  onAction<{ name?: string; scope?: string }>(
    leafCommand(definition, "list", "List role definitions.")
      .option("-n, --name <name>", "only the role with this name")
      .option("--scope <scope>", "scope to list at"),
    async (options, context) => {
      const session = context.session();
      return (await definitions(session, normalizeScope(session, options.scope), options.name)).map(flattenDefinition);
    },
  );
}
