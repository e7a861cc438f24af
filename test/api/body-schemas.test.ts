/**
 * ARM and Graph bodies are checked against their routes' schemas before any handler runs: each wrong shape gets
 * the surface's 400 with the offending path named, nothing changes, and no body of any shape yields a 5xx.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { claims, createVault, token } from "../harness/clients.js";
import { assertAzureError, probe, type Probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const GROUPS_API = "api-version=2022-09-01";
const VAULTS_API = "api-version=2023-07-01";
const VM_API = "api-version=2024-03-01";
const ROLES_API = "api-version=2022-04-01";

describe("request bodies are checked against their route's schema", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let management: string;
  let graph: string;

  const sub = () => `/subscriptions/${server.subscriptionId}`;
  const arm = (method: string, path: string, body: unknown): Promise<Probe> => probe(method, `${server.url}${path}`, { bearer: management, body });
  const tagsOf = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, "v"]));

  async function state() {
    const groups = await arm("GET", `${sub()}/resourcegroups?${GROUPS_API}`, undefined);
    const vaults = await arm("GET", `${sub()}/providers/Microsoft.KeyVault/vaults?${VAULTS_API}`, undefined);
    const machines = await arm("GET", `${sub()}/providers/Microsoft.Compute/virtualMachines?${VM_API}`, undefined);
    const principals = await probe("GET", `${server.url}/v1.0/servicePrincipals`, { bearer: graph });
    const roles = await arm("GET", `${sub()}/providers/Microsoft.Authorization/roleAssignments?${ROLES_API}`, undefined);
    for (const reply of [groups, vaults, machines, principals, roles]) assert.equal(reply.status, 200, reply.text);
    const strip = (v: { systemData?: unknown }) => ({ ...v, systemData: undefined });
    return [groups.body.value, vaults.body.value.map(strip), machines.body.value, principals.body.value, roles.body.value];
  }

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    graph = await token(server, "https://graph.microsoft.com");
    await createVault(server, management, "rg-schema", "schema-kv", [String(claims(management).oid)]);
  });
  after(() => server.stop());

  it("Graph: a null key credential is Request_BadRequest, not a 500, and creates no application", async () => {
    const before = await state();
    const reply = await probe("POST", `${server.url}/v1.0/applications`, { bearer: graph, body: { displayName: "nulls", keyCredentials: [null] } });
    assertAzureError(reply, 400, "Request_BadRequest", "Invalid value specified for property 'keyCredentials' of resource 'Application'.");
    const wrongTypes = [{ displayName: 5 }, { displayName: "x".repeat(257) }, { displayName: "ok", keyCredentials: "cert" }, { displayName: "ok", keyCredentials: [{ key: 7 }] }];
    for (const body of wrongTypes) assertAzureError(await probe("POST", `${server.url}/v1.0/applications`, { bearer: graph, body }), 400, "Request_BadRequest", "of resource 'Application'");
    assertAzureError(await probe("POST", `${server.url}/v1.0/servicePrincipals`, { bearer: graph, body: { appId: ["a"] } }), 400, "Request_BadRequest", "'appId' of resource 'ServicePrincipal'");
    assert.deepEqual(await state(), before);
  });

  it("ARM: wrong shapes and Azure's bounds are InvalidRequestContent naming the path, and change nothing", async () => {
    const group = `${sub()}/resourcegroups/rg-schema`;
    const vault = `${group}/providers/Microsoft.KeyVault/vaults/schema-kv`;
    const cases: [string, string, unknown, string][] = [
      ["PUT", `${sub()}/resourcegroups/rg-new?${GROUPS_API}`, { location: "westus", tags: tagsOf(51) }, "'tags' may have at most 50 entries"],
      ["PUT", `${sub()}/resourcegroups/rg-new?${GROUPS_API}`, { location: "westus", tags: { t: "v".repeat(257) } }, "'tags.t' must be at most 256 characters long"],
      ["PUT", `${sub()}/resourcegroups/rg-new?${GROUPS_API}`, { location: "westus", tags: { ["k".repeat(513)]: "v" } }, "'tags' has a property name that must be at most 512 characters long"],
      ["PUT", `${sub()}/resourcegroups/rg-new?${GROUPS_API}`, { location: "w".repeat(65) }, "'location' must be at most 64 characters long"],
      ["PUT", `${sub()}/resourcegroups/rg-new?${GROUPS_API}`, { location: ["westus"] }, "'location' must be of type string"],
      ["PATCH", `${group}?${GROUPS_API}`, { managedBy: 12 }, "'managedBy' must be of type string"],
      ["PUT", `${vault}/accessPolicies/add?${VAULTS_API}`, { properties: { accessPolicies: [null] } }, "'properties.accessPolicies[0]' must be of type object"],
      ["PUT", `${vault}?${VAULTS_API}`, { location: "westus", properties: { sku: "standard" } }, "'properties.sku' must be of type object"],
      ["PUT", `${vault}?${VAULTS_API}`, { location: "westus", properties: { enableRbacAuthorization: "yes" } }, "'properties.enableRbacAuthorization' must be of type boolean"],
      ["PATCH", `${vault}?${VAULTS_API}`, { properties: { accessPolicies: [{ permissions: { secrets: [null] } }] } }, "'properties.accessPolicies[0].permissions.secrets[0]' must be of type string"],
      ["POST", `${sub()}/providers/Microsoft.KeyVault/checkNameAvailability?${VAULTS_API}`, { name: 42 }, "'name' must be of type string"],
      ["PUT", `${group}/providers/Microsoft.Compute/virtualMachines/vm-x?${VM_API}`, { location: "westus", properties: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, 1])) }, "'properties' may have at most 64 entries"],
      ["PUT", `${group}/providers/Microsoft.Compute/virtualMachines/vm-x?${VM_API}`, { location: "westus", identity: "SystemAssigned" }, "'identity' must be of type object"],
      ["PUT", `${group}/providers/Microsoft.Authorization/roleAssignments/6b2f5a43-3c59-4f1b-9a61-4c7a1f3a2b10?${ROLES_API}`, { properties: "reader" }, "'properties' must be of type object"],
    ];
    const before = await state();
    for (const [method, path, body, message] of cases) {
      assertAzureError(await arm(method, path, body), 400, "InvalidRequestContent", message);
    }
    assert.deepEqual(await state(), before, "a refused body changed something");
  });

  it("no write route answers a 5xx, whatever JSON value sits in any top-level or properties field", async () => {
    const group = `${sub()}/resourcegroups/rg-fuzz`;
    const routes: [string, string][] = [
      ["PUT", `${group}?${GROUPS_API}`],
      ["PATCH", `${sub()}/resourcegroups/rg-schema?${GROUPS_API}`],
      ["PUT", `${sub()}/resourcegroups/rg-schema/providers/Microsoft.KeyVault/vaults/fuzz-kv?${VAULTS_API}`],
      ["PATCH", `${sub()}/resourcegroups/rg-schema/providers/Microsoft.KeyVault/vaults/schema-kv?${VAULTS_API}`],
      ["PUT", `${sub()}/resourcegroups/rg-schema/providers/Microsoft.KeyVault/vaults/schema-kv/accessPolicies/add?${VAULTS_API}`],
      ["PUT", `${sub()}/resourcegroups/rg-schema/providers/Microsoft.Compute/virtualMachines/fuzz-vm?${VM_API}`],
      ["POST", `${sub()}/providers/Microsoft.KeyVault/checkNameAvailability?${VAULTS_API}`],
    ];
    const values: unknown[] = [null, 0, -1, 1e308, "", "x", true, [], [null], {}, { a: null }, [[]], "x".repeat(5000)];
    const fields = ["location", "tags", "managedBy", "name", "identity", "properties", "properties.accessPolicies", "properties.sku", "properties.tenantId", "properties.softDeleteRetentionInDays", "properties.createMode"];
    let sent = 0;
    for (const [method, path] of routes) {
      for (const field of fields) {
        for (const value of values) {
          const body: Record<string, unknown> = { location: "westus", properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [] } };
          const [head, tail] = field.split(".");
          if (tail) (body.properties as Record<string, unknown>)[tail] = value;
          else body[head!] = value;
          const reply = await arm(method, path, body);
          sent++;
          assert.ok(reply.status < 500, `${method} ${path} with ${field}=${JSON.stringify(value).slice(0, 40)}: ${reply.status} ${reply.text}`);
        }
      }
    }
    assert.equal(sent, routes.length * fields.length * values.length);
  });
});
