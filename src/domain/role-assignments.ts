/**
 * Role assignments and role definitions (Microsoft.Authorization): creation rules, lookups and the list filters
 * az sends. Scopes arrive canonical from the routes (which resolved them against existing resources).
 */
import { StoreError, type RoleAssignmentRecord, type RoleAssignmentStore } from "../storage/types.js";
import { normalizeId, scopeContains } from "./authz.js";
import { DomainError } from "./errors.js";
import { BUILT_IN_ROLES, roleById, type RoleDefinition } from "./roles.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PrincipalLookup {
  get(objectId: string): Promise<{ kind: string } | null>;
}

export interface RoleAssignmentFilter {
  atScope: boolean;
  principalId?: string;
}

export class RoleAssignmentService {
  constructor(
    private readonly store: RoleAssignmentStore,
    private readonly principals: PrincipalLookup,
    readonly tenantId: string,
    readonly subscriptionId: string,
    /** Called after every change, so that the authorizer's cache (on every node) drops what it holds. */
    private readonly changed: (id: string) => Promise<void>,
  ) {}

  /** ARM PUT: creates the assignment; the same PUT again answers with the existing one (created = false). */
  async create(scope: string, name: string, body: unknown, callerObjectId: string): Promise<{ assignment: RoleAssignmentRecord; created: boolean }> {
    const id = assignmentName(name);
    const properties = propertiesOf(body);
    const roleDefinitionId = properties.roleDefinitionId;
    const principalId = properties.principalId;
    if (typeof roleDefinitionId !== "string" || roleDefinitionId === "") {
      throw new DomainError("InvalidRequestContent", "The request content was invalid: the property 'roleDefinitionId' is required.");
    }
    if (typeof principalId !== "string" || principalId === "") {
      throw new DomainError("InvalidRequestContent", "The request content was invalid: the property 'principalId' is required.");
    }
    const role = roleById(roleDefinitionId);
    if (!role || !/(^|\/providers\/Microsoft\.Authorization\/roleDefinitions\/)[0-9a-f-]{36}$/i.test(roleDefinitionId)) {
      const guid = roleDefinitionId.split("/").pop() ?? roleDefinitionId;
      throw new DomainError("RoleDefinitionDoesNotExist", `The specified role definition with ID '${guid}' does not exist.`);
    }
    const principal = GUID.test(principalId) ? await this.principals.get(principalId.toLowerCase()) : null;
    if (!principal) {
      throw new DomainError(
        "PrincipalNotFound",
        `Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${this.tenantId}. Check that you have the correct principal ID. ` +
          "If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay.",
      );
    }
    const principalType = typeof properties.principalType === "string" ? properties.principalType : "ServicePrincipal";
    const description = typeof properties.description === "string" ? properties.description : null;
    const wanted = { scope, roleDefinitionId: this.definitionId(role), principalId: principalId.toLowerCase() };

    const existing = await this.store.get(id);
    if (existing) {
      if (sameGrant(existing, wanted)) return { assignment: existing, created: false };
      throw new DomainError("RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    }
    const duplicate = (await this.store.list()).find((a) => sameGrant(a, wanted));
    if (duplicate) throw new DomainError("RoleAssignmentExists", "The role assignment already exists.");
    const assignment: RoleAssignmentRecord = { id, ...wanted, principalType, description, createdAt: Date.now(), createdBy: callerObjectId };
    try {
      await this.store.insert(assignment);
    } catch (error) {
      if (error instanceof StoreError && error.kind === "conflict") throw new DomainError("RoleAssignmentExists", "The role assignment already exists.");
      throw error;
    }
    await this.changed(id);
    return { assignment, created: true };
  }

  /** The assignment `name` at exactly `scope`. */
  async get(scope: string, name: string): Promise<RoleAssignmentRecord> {
    const found = await this.store.get(assignmentName(name));
    if (!found || normalizeId(found.scope) !== normalizeId(scope)) throw notFound();
    return found;
  }

  /** Removes the assignment; null when there was none (ARM then answers 204). */
  async delete(scope: string, name: string): Promise<RoleAssignmentRecord | null> {
    const found = await this.store.get(assignmentName(name));
    if (!found || normalizeId(found.scope) !== normalizeId(scope)) return null;
    await this.store.delete(found.id);
    await this.changed(found.id);
    return found;
  }

  /**
   * As ARM lists at a scope: assignments that apply there (at or above it) and, without atScope(), those below it too.
   */
  async list(scope: string, filter: RoleAssignmentFilter): Promise<RoleAssignmentRecord[]> {
    return (await this.store.list()).filter(
      (a) =>
        (scopeContains(a.scope, scope) || (!filter.atScope && scopeContains(scope, a.scope))) &&
        (filter.principalId === undefined || a.principalId.toLowerCase() === filter.principalId.toLowerCase()),
    );
  }

  definitions(roleName?: string): RoleDefinition[] {
    return roleName === undefined ? [...BUILT_IN_ROLES] : BUILT_IN_ROLES.filter((r) => r.roleName.toLowerCase() === roleName.toLowerCase());
  }

  definition(id: string): RoleDefinition {
    const role = GUID.test(id) ? roleById(id) : undefined;
    // Azure answers 404 RoleDefinitionDoesNotExist here; our one table gives that code 400 (what PUT needs).
    if (!role) throw new DomainError("ResourceNotFound", `The specified role definition with ID '${id}' does not exist.`);
    return role;
  }

  /** Built-in roles live at the tenant root; ARM names them under the subscription when read there. */
  definitionId(role: RoleDefinition): string {
    return `/subscriptions/${this.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`;
  }
}

/** Parses the $filter az and the SDKs send: atScope(), principalId eq '…', assignedTo('…'), joined by `and`. */
export function parseAssignmentFilter(filter: string | undefined): RoleAssignmentFilter {
  const result: RoleAssignmentFilter = { atScope: false };
  if (filter === undefined || filter.trim() === "") return result;
  for (const clause of filter.trim().split(/\s+and\s+/i)) {
    const c = clause.trim();
    const principal = /^principalId\s+eq\s+'([^']*)'$/i.exec(c) ?? /^assignedTo\('([^']*)'\)$/i.exec(c);
    if (/^atScope\(\)$/i.test(c)) result.atScope = true;
    else if (principal) result.principalId = principal[1]!;
    else throw new DomainError("BadRequest", `The filter '${filter}' is not supported. Supported filters are atScope(), principalId eq '{value}' and assignedTo('{value}').`);
  }
  return result;
}

/** Parses roleName eq '…' (and type eq '…', which matches every built-in role) from a roleDefinitions $filter. */
export function parseDefinitionFilter(filter: string | undefined): { roleName?: string; customOnly: boolean } {
  if (filter === undefined || filter.trim() === "") return { customOnly: false };
  const result: { roleName?: string; customOnly: boolean } = { customOnly: false };
  for (const clause of filter.trim().split(/\s+and\s+/i)) {
    const name = /^roleName\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause.trim());
    const type = /^type\s+eq\s+'([^']*)'$/i.exec(clause.trim());
    if (name) result.roleName = name[1]!.replace(/''/g, "'");
    else if (type) result.customOnly = type[1]!.toLowerCase() === "customrole";
    else throw new DomainError("BadRequest", `The filter '${filter}' is not supported.`);
  }
  return result;
}

function assignmentName(name: string): string {
  if (!GUID.test(name)) {
    throw new DomainError("InvalidRoleAssignmentId", `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
  }
  return name.toLowerCase();
}

function propertiesOf(body: unknown): Record<string, unknown> {
  const properties = (body as { properties?: unknown } | null)?.properties;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) {
    throw new DomainError("InvalidRequestContent", "The request content was invalid: the property 'properties' is required.");
  }
  return properties as Record<string, unknown>;
}

function sameGrant(a: Pick<RoleAssignmentRecord, "scope" | "roleDefinitionId" | "principalId">, b: Pick<RoleAssignmentRecord, "scope" | "roleDefinitionId" | "principalId">): boolean {
  return (
    normalizeId(a.scope) === normalizeId(b.scope) &&
    roleById(a.roleDefinitionId)?.id === roleById(b.roleDefinitionId)?.id &&
    a.principalId.toLowerCase() === b.principalId.toLowerCase()
  );
}

function notFound(): DomainError {
  return new DomainError("RoleAssignmentNotFound", "The role assignment does not exist.");
}
