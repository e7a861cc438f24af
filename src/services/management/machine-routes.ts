/** ARM routes for virtual machines, plus the Kluis action that hands `kluis vm exec` a machine's metadata access. */
import type { Route } from "../../http/types.js";
import type { AppServices } from "../app-services.js";
import { armBody, groupOf, subscriptionOf } from "./routes.js";
import { machineJson } from "./wire.js";
import { machineBody } from "./body-schemas.js";

const manage = (action: string) => ({ kind: "management", action }) as const;
const VM = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}";

const body = armBody;

export const machineRoutes: Route<AppServices>[] = [
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachines",
    operation: "ListAllMachines",
    permission: manage("Microsoft.Compute/virtualMachines/read"),
    handler: async (ctx, app) => ({ status: 200, body: { value: (await app.machines.list(subscriptionOf(ctx, app))).map((m) => machineJson(m, app.authority.tenantId)) } }),
  },
  {
    method: "GET",
    path: "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines",
    operation: "ListMachines",
    permission: manage("Microsoft.Compute/virtualMachines/read"),
    handler: async (ctx, app) => {
      const group = await groupOf(ctx, app);
      return { status: 200, body: { value: (await app.machines.list(app.tenant.subscriptionId, group)).map((m) => machineJson(m, app.authority.tenantId)) } };
    },
  },
  {
    method: "PUT",
    path: VM,
    operation: "CreateOrUpdateMachine",
    permission: manage("Microsoft.Compute/virtualMachines/write"),
    body: machineBody,
    handler: async (ctx, app) => {
      const group = await groupOf(ctx, app);
      const { machine, created } = await app.machines.create(app.tenant.subscriptionId, group, ctx.params.vmName!, await body(ctx));
      return { status: created ? 201 : 200, body: machineJson(machine, app.authority.tenantId) };
    },
  },
  {
    method: "PATCH",
    path: VM,
    operation: "UpdateMachine",
    permission: manage("Microsoft.Compute/virtualMachines/write"),
    body: machineBody,
    handler: async (ctx, app) => {
      const group = await groupOf(ctx, app);
      const input = await body(ctx);
      let machine = await app.machines.get(app.tenant.subscriptionId, group, ctx.params.vmName!);
      if (input.identity !== undefined) machine = await app.machines.setIdentity(app.tenant.subscriptionId, group, machine.name, input.identity);
      return { status: 200, body: machineJson(machine, app.authority.tenantId) };
    },
  },
  {
    method: "GET",
    path: VM,
    operation: "GetMachine",
    permission: manage("Microsoft.Compute/virtualMachines/read"),
    handler: async (ctx, app) => {
      const machine = await app.machines.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vmName!);
      return { status: 200, body: machineJson(machine, app.authority.tenantId) };
    },
  },
  {
    method: "DELETE",
    path: VM,
    operation: "DeleteMachine",
    permission: manage("Microsoft.Compute/virtualMachines/delete"),
    handler: async (ctx, app) => {
      await app.machines.delete(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vmName!);
      return { status: 200 };
    },
  },
  {
    method: "POST",
    path: `${VM}/listMetadataAccess`,
    operation: "ListMachineMetadataAccess",
    // Whoever may run commands on a machine may learn what the machine itself knows.
    permission: manage("Microsoft.Compute/virtualMachines/runCommand/action"),
    handler: async (ctx, app) => {
      const machine = await app.machines.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vmName!);
      const endpoint = `http://127.0.0.1:${machine.metadataPort}`;
      return {
        status: 200,
        body: { metadataEndpoint: endpoint, identityEndpoint: `${endpoint}/msi/token`, identityHeader: await app.machines.identityHeader(machine) },
        headers: { "cache-control": "no-store" },
      };
    },
  },
];
