/**
 * RBAC on the management plane and the Microsoft.Authorization API: a non-admin principal may do what its role
 * assignments allow at a scope containing the target, nothing else (403 AuthorizationFailed, nothing changed).
 * Also role assignment validation, role definitions, and the `kluis role` commands.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { arm, token } from "../harness/clients.js";
import { createPrincipal, tokenFor, type CreatedPrincipal } from "../harness/probes.js";
import { kluis, kluisOk, startServer, tempDir, type KluisServer } from "../harness/server.js";

const ROLE = { owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c", reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7" };
const AUTHZ = "providers/Microsoft.Authorization";

describe("RBAC: management plane and role assignments", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let admin: string;
  let graph: string;
  let sub: string;
  const rg = (name: string) => `${sub}/resourceGroups/${name}`;
  const vaultBody = () => ({ location: "westus", properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [] } });
  const definition = (id: string) => `${sub}/${AUTHZ}/roleDefinitions/${id}`;

  async function assign(bearer: string, scope: string, role: string, principalId: string, name = randomUUID()) {
    return arm(server, bearer, "PUT", `${scope}/${AUTHZ}/roleAssignments/${name}?api-version=2022-04-01`, { properties: { roleDefinitionId: definition(role), principalId } });
  }

  async function principalWith(displayName: string, role?: string, scope?: string): Promise<CreatedPrincipal & { arm: string }> {
    const p = await createPrincipal(server, graph, displayName);
    if (role && scope) assert.equal((await assign(admin, scope, role, p.objectId)).status, 201);
    return { ...p, arm: await tokenFor(server, "https://management.azure.com", p) };
  }

  before(async () => {
    server = await startServer();
    admin = await token(server, "https://management.azure.com");
    graph = await token(server, "https://graph.microsoft.com");
    sub = `/subscriptions/${server.subscriptionId}`;
    for (const g of ["rg1", "rg2"]) assert.equal((await arm(server, admin, "PUT", `${rg(g)}?api-version=2022-09-01`, { location: "westus" })).status, 201);
  });
  after(() => server.stop());

  it("Contributor on rg1 creates a vault in rg1 but not in rg2, and can't assign roles", async () => {
    const dev = await principalWith("dev", ROLE.contributor, rg("rg1"));
    const ok = await arm(server, dev.arm, "PUT", `${rg("rg1")}/providers/Microsoft.KeyVault/vaults/dev-kv-1?api-version=2023-07-01`, vaultBody());
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const path2 = `${rg("rg2")}/providers/Microsoft.KeyVault/vaults/dev-kv-2`;
    const refused = await arm(server, dev.arm, "PUT", `${path2}?api-version=2023-07-01`, vaultBody());
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, "AuthorizationFailed");
    assert.match(refused.body.error.message, new RegExp(`does not have authorization to perform action 'Microsoft.KeyVault/vaults/write' over scope '${path2}'`, "i"));
    assert.equal((await arm(server, admin, "GET", `${path2}?api-version=2023-07-01`)).status, 404, "nothing was created");
    assert.equal((await arm(server, dev.arm, "GET", `${rg("rg2")}?api-version=2022-09-01`)).status, 403);
    const grant = await assign(dev.arm, rg("rg1"), ROLE.reader, dev.objectId);
    assert.equal(grant.status, 403, JSON.stringify(grant.body));
    assert.equal(grant.body.error.code, "AuthorizationFailed");
  });

  it("lists the subscription to a principal with a role anywhere in it, and to nobody else", async () => {
    const list = async (bearer: string) => (await arm(server, bearer, "GET", "/subscriptions?api-version=2022-12-01")).body.value.map((s: any) => s.subscriptionId);
    const scoped = await principalWith("scoped", ROLE.reader, rg("rg2"));
    const roleless = await principalWith("roleless");
    assert.deepEqual(await list(scoped.arm), [server.subscriptionId]);
    assert.deepEqual(await list(roleless.arm), []);
    assert.deepEqual(await list(admin), [server.subscriptionId]);
  });

  it("Reader on the subscription reads but does not write", async () => {
    const reader = await principalWith("reader", ROLE.reader, sub);
    assert.equal((await arm(server, reader.arm, "GET", `${rg("rg1")}?api-version=2022-09-01`)).status, 200);
    assert.equal((await arm(server, reader.arm, "GET", `${sub}/resourcegroups?api-version=2022-09-01`)).status, 200);
    const write = await arm(server, reader.arm, "PUT", `${rg("rg3")}?api-version=2022-09-01`, { location: "westus" });
    assert.equal(write.status, 403);
    assert.equal(write.body.error.code, "AuthorizationFailed");
    assert.equal((await arm(server, admin, "GET", `${rg("rg3")}?api-version=2022-09-01`)).status, 404, "nothing was created");
    assert.equal((await arm(server, reader.arm, "DELETE", `${rg("rg1")}?api-version=2022-09-01`)).status, 403);
    assert.equal((await arm(server, admin, "GET", `${rg("rg1")}?api-version=2022-09-01`)).status, 200);
  });

  it("Owner on rg1 assigns roles in rg1 only; deleting an assignment revokes at once", async () => {
    const owner = await principalWith("owner", ROLE.owner, rg("rg1"));
    const target = await principalWith("target");
    const name = randomUUID();
    const created = await assign(owner.arm, rg("rg1"), ROLE.contributor, target.objectId, name);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.id, `${rg("rg1")}/${AUTHZ}/roleAssignments/${name}`);
    assert.equal(created.body.name, name);
    assert.equal(created.body.type, "Microsoft.Authorization/roleAssignments");
    assert.equal(created.body.properties.scope, rg("rg1"));
    assert.equal(created.body.properties.principalId, target.objectId);
    assert.equal(created.body.properties.roleDefinitionId, definition(ROLE.contributor));
    assert.equal((await assign(owner.arm, rg("rg2"), ROLE.contributor, target.objectId)).status, 403);

    const vault = `${rg("rg1")}/providers/Microsoft.KeyVault/vaults/target-kv?api-version=2023-07-01`;
    assert.equal((await arm(server, target.arm, "PUT", vault, vaultBody())).status, 201);
    assert.equal((await arm(server, owner.arm, "DELETE", `${rg("rg1")}/${AUTHZ}/roleAssignments/${name}?api-version=2022-04-01`)).status, 200);
    assert.equal((await arm(server, owner.arm, "DELETE", `${rg("rg1")}/${AUTHZ}/roleAssignments/${name}?api-version=2022-04-01`)).status, 204);
    assert.equal((await arm(server, target.arm, "GET", vault)).status, 403);
  });

  it("validates assignments as ARM does and filters lists", async () => {
    const p = await principalWith("filtered");
    const bad = await arm(server, admin, "PUT", `${rg("rg1")}/${AUTHZ}/roleAssignments/not-a-guid?api-version=2022-04-01`, {
      properties: { roleDefinitionId: definition(ROLE.reader), principalId: p.objectId },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "InvalidRoleAssignmentId");
    const noRole = await assign(admin, rg("rg1"), randomUUID(), p.objectId);
    assert.equal(noRole.body.error.code, "RoleDefinitionDoesNotExist");
    const noPrincipal = await assign(admin, rg("rg1"), ROLE.reader, randomUUID());
    assert.equal(noPrincipal.body.error.code, "PrincipalNotFound");
    assert.equal((await assign(admin, rg("rg1"), ROLE.reader, p.objectId)).status, 201);
    const dup = await assign(admin, rg("rg1"), ROLE.reader, p.objectId);
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "RoleAssignmentExists");
    const missingGroup = await assign(admin, rg("nope"), ROLE.reader, p.objectId);
    assert.equal(missingGroup.status, 404);

    const filter = encodeURIComponent(`principalId eq '${p.objectId}'`);
    const atSub = await arm(server, admin, "GET", `${sub}/${AUTHZ}/roleAssignments?api-version=2022-04-01&$filter=${filter}`);
    assert.deepEqual(atSub.body.value.map((a: any) => a.properties.scope), [rg("rg1")], "a list at the subscription includes assignments below it");
    const atScope = await arm(server, admin, "GET", `${sub}/${AUTHZ}/roleAssignments?api-version=2022-04-01&$filter=${encodeURIComponent(`atScope() and principalId eq '${p.objectId}'`)}`);
    assert.deepEqual(atScope.body.value, []);
  });

  it("lists role definitions with their real ids, filtered by name", async () => {
    const all = await arm(server, admin, "GET", `${sub}/${AUTHZ}/roleDefinitions?api-version=2022-04-01`);
    assert.equal(all.status, 200);
    const names = all.body.value.map((d: any) => d.properties.roleName);
    for (const n of ["Owner", "Contributor", "Reader", "Key Vault Administrator", "Key Vault Secrets User", "Key Vault Secrets Officer"]) assert.ok(names.includes(n), n);
    const filter = encodeURIComponent("roleName eq 'Key Vault Secrets User'");
    const one = await arm(server, admin, "GET", `${sub}/${AUTHZ}/roleDefinitions?api-version=2022-04-01&$filter=${filter}`);
    assert.equal(one.body.value.length, 1);
    assert.equal(one.body.value[0].name, "4633458b-17de-408a-b874-0445c86b69e6");
    assert.equal(one.body.value[0].id, definition("4633458b-17de-408a-b874-0445c86b69e6"));
    assert.deepEqual(one.body.value[0].properties.permissions[0].dataActions, [
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ]);
    const byId = await arm(server, admin, "GET", `${sub}/${AUTHZ}/roleDefinitions/${ROLE.owner}?api-version=2022-04-01`);
    assert.equal(byId.body.properties.roleName, "Owner");
  });

  it("kluis role assignment create | list | delete and role definition list", async () => {
    const home = tempDir("role-home");
    kluisOk(server, home, ["login"]);
    const sp = await principalWith("cli-target");
    const vault = `${rg("rg1")}/providers/Microsoft.KeyVault/vaults/cli-rbac-kv`;
    assert.equal((await arm(server, admin, "PUT", `${vault}?api-version=2023-07-01`, { ...vaultBody(), properties: { ...vaultBody().properties, enableRbacAuthorization: true } })).status, 201);
    const created = kluisOk(server, home, ["role", "assignment", "create", "--role", "Key Vault Secrets User", "--assignee", sp.appId, "--scope", vault]).json<any>();
    assert.equal(created.principalId, sp.objectId);
    assert.equal(created.scope, vault);
    assert.equal(created.resourceGroup, "rg1");
    assert.equal(created.roleDefinitionId, definition("4633458b-17de-408a-b874-0445c86b69e6"));
    const listed = kluisOk(server, home, ["role", "assignment", "list", "--assignee", sp.appId, "--scope", vault]).json<any[]>();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].roleDefinitionName, "Key Vault Secrets User");
    assert.equal(listed[0].principalName, sp.appId);
    assert.equal(kluisOk(server, home, ["role", "assignment", "list", "--assignee", sp.appId]).json<any[]>().length, 0, "without --all: the subscription scope only");
    assert.equal(kluisOk(server, home, ["role", "assignment", "list", "--assignee", sp.appId, "--all"]).json<any[]>().length, 1);
    const defs = kluisOk(server, home, ["role", "definition", "list", "--name", "Key Vault Reader"]).json<any[]>();
    assert.equal(defs[0].name, "21090545-7ca7-4776-b22c-e363652d74d2");
    assert.equal(defs[0].roleType, "BuiltInRole");
    assert.notEqual(kluis(server, home, ["role", "assignment", "create", "--role", "No Such Role", "--assignee", sp.appId, "--scope", vault]).status, 0);
    kluisOk(server, home, ["role", "assignment", "delete", "--ids", created.id]);
    assert.equal(kluisOk(server, home, ["role", "assignment", "list", "--all", "--assignee", sp.objectId]).json<any[]>().length, 0);
    const updated = kluisOk(server, home, ["keyvault", "update", "--name", "cli-rbac-kv", "--enable-rbac-authorization", "false"]).json<any>();
    assert.equal(updated.properties.enableRbacAuthorization, false);
  });

  it("kluis ad sp create-for-rbac --role --scopes assigns the role, as az does", async () => {
    const home = tempDir("rbac-sp-home");
    kluisOk(server, home, ["login"]);
    const sp = kluisOk(server, home, ["ad", "sp", "create-for-rbac", "--name", "ci-deployer", "--role", "Contributor", "--scopes", rg("rg2")]).json<any>();
    const listed = kluisOk(server, home, ["role", "assignment", "list", "--assignee", sp.appId, "--scope", rg("rg2")]).json<any[]>();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].roleDefinitionName, "Contributor");
    const bearer = await token(server, "https://management.azure.com", sp.appId, sp.password);
    const vault = await arm(server, bearer, "PUT", `${rg("rg2")}/providers/Microsoft.KeyVault/vaults/deployer-kv?api-version=2023-07-01`, vaultBody());
    assert.equal(vault.status, 201, JSON.stringify(vault.body));
    assert.notEqual(kluis(server, home, ["ad", "sp", "create-for-rbac", "--name", "half", "--role", "Reader"]).status, 0, "--role needs --scopes");
  });
});
