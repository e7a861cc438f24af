/**
 * `kluis vm create | show | list | delete | identity assign | identity show | exec` — machines are the
 * identities that apps run as. A Kluis "machine" is a Microsoft.Compute resource plus its own metadata
 * endpoint on loopback; `vm create` prints az's summary with loopback addresses.
 */
import crypto from "node:crypto";
import os from "node:os";
import type { Command } from "commander";
import { parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { UsageError } from "../errors.js";
import { API_VERSIONS, type Session } from "../session.js";
import { resolveSshPublicKeys } from "../ssh-keys.js";
import { confirmOrFail } from "./confirm.js";
import { getGroup } from "./group.js";
import { resourceGroupOf } from "./keyvault.js";
import { execOnMachine } from "./vm-exec.js";
import { imageReference } from "./vm-images.js";

export interface VirtualMachine {
  id: string;
  name: string;
  location: string;
  identity?: { type?: string; principalId?: string; tenantId?: string } | null;
  properties?: { vmId?: string; provisioningState?: string; metadataEndpoint?: string };
  resourceGroup?: string;
}

function vmPath(session: Session, group: string, name: string): string {
  return `/subscriptions/${encodeURIComponent(session.subscriptionId)}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.Compute/virtualMachines/${encodeURIComponent(name)}`;
}

/** A stable MAC in Microsoft's 00-0D-3A range, derived from the vmId so that repeated shows agree. */
export function macAddressFor(vmId: string): string {
  const digest = crypto.createHash("sha256").update(vmId).digest();
  const tail = [...digest.subarray(0, 3)].map((byte) => byte.toString(16).toUpperCase().padStart(2, "0"));
  return ["00", "0D", "3A", ...tail].join("-");
}

function withResourceGroup(vm: VirtualMachine): VirtualMachine {
  return { ...vm, resourceGroup: vm.resourceGroup ?? resourceGroupOf(vm.id) };
}

function identityView(vm: VirtualMachine): Record<string, unknown> {
  return { systemAssignedIdentity: vm.identity?.principalId ?? null, userAssignedIdentities: {} };
}

/** The fields `az vm show -d` adds; a Kluis machine is always running on loopback. */
function instanceDetails(vm: VirtualMachine): Record<string, unknown> {
  return {
    fqdns: "",
    macAddresses: macAddressFor(vm.properties?.vmId ?? vm.id),
    powerState: "VM running",
    privateIps: "127.0.0.1",
    publicIps: "127.0.0.1",
  };
}

interface CreateOptions {
  name: string;
  resourceGroup: string;
  image: string;
  location?: string;
  size: string;
  adminUsername?: string;
  adminPassword?: string;
  authenticationType?: string;
  generateSshKeys?: boolean;
  sshKeyValues?: string[];
  computerName?: string;
  assignIdentity?: string[] | boolean;
  tags?: string[];
}

async function createVm(session: Session, options: CreateOptions): Promise<unknown> {
  if (options.adminPassword !== undefined || (options.authenticationType ?? "ssh") !== "ssh") {
    throw new UsageError("Only SSH authentication is supported: drop --admin-password / --authentication-type password.");
  }
  if (Array.isArray(options.assignIdentity) && options.assignIdentity.some((id) => id !== "[system]")) {
    throw new UsageError("Only the system-assigned identity is supported: use --assign-identity without values.");
  }
  const image = imageReference(options.image);
  const adminUsername = options.adminUsername ?? os.userInfo().username;
  const keys = resolveSshPublicKeys({ values: options.sshKeyValues, generate: options.generateSshKeys });
  const location = options.location ?? (await getGroup(session, options.resourceGroup)).location;
  const body = {
    location,
    tags: parseTags(options.tags),
    ...(options.assignIdentity ? { identity: { type: "SystemAssigned" } } : {}),
    properties: {
      hardwareProfile: { vmSize: options.size },
      storageProfile: { imageReference: image },
      osProfile: {
        computerName: options.computerName ?? options.name,
        adminUsername,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: keys.map((keyData) => ({ path: `/home/${adminUsername}/.ssh/authorized_keys`, keyData })) },
        },
      },
    },
  };
  const vm = await session.arm<VirtualMachine>("PUT", vmPath(session, options.resourceGroup, options.name), API_VERSIONS.compute, body);
  return {
    fqdns: "",
    id: vm.id,
    ...(options.assignIdentity ? { identity: identityView(vm) } : {}),
    location: vm.location,
    macAddress: macAddressFor(vm.properties?.vmId ?? vm.id),
    metadataEndpoint: vm.properties?.metadataEndpoint ?? null,
    powerState: "VM running",
    privateIpAddress: "127.0.0.1",
    publicIpAddress: "127.0.0.1",
    resourceGroup: resourceGroupOf(vm.id) ?? options.resourceGroup,
  };
}

function nameAndGroup(command: Command): Command {
  return command.requiredOption("-n, --name <name>", "name of the machine").requiredOption("-g, --resource-group <group>", "the machine's resource group");
}

export function registerVmCommands(program: Command): void {
  const vm = program.command("vm").description("Manage machines: the identities apps run as.");

  onAction<CreateOptions>(
    nameAndGroup(leafCommand(vm, "create", "Create a machine with its own metadata endpoint."))
      .requiredOption("--image <image>", "an image alias such as Ubuntu2204 or UbuntuLTS, or a URN publisher:offer:sku:version")
      .option("-l, --location <location>", "location (default: the resource group's)")
      .option("--size <size>", "machine size", "Standard_DS1_v2")
      .option("--admin-username <user>", "the admin account (default: your local user name)")
      .option("--admin-password <password>", "not supported: machines use SSH keys")
      .option("--authentication-type <type>", "ssh (the only type supported)")
      .option("--generate-ssh-keys", "create ~/.ssh/id_rsa{,.pub} if they do not exist")
      .option("--ssh-key-values <keys...>", "public key files or key text")
      .option("--computer-name <name>", "host name of the machine (default: its name)")
      .option("--assign-identity [identities...]", "give the machine a system-assigned managed identity")
      .option("--tags <tags...>", "space-separated tags: key[=value]"),
    (options, context) => createVm(context.session(), options),
  );

  onAction<{ name: string; resourceGroup: string; showDetails?: boolean }>(
    nameAndGroup(leafCommand(vm, "show", "Show a machine.")).option("-d, --show-details", "add power state and addresses"),
    async (options, context) => {
      const session = context.session();
      const machine = withResourceGroup(await session.arm<VirtualMachine>("GET", vmPath(session, options.resourceGroup, options.name), API_VERSIONS.compute));
      return options.showDetails ? { ...machine, ...instanceDetails(machine) } : machine;
    },
  );

  onAction<{ resourceGroup?: string; showDetails?: boolean }>(
    leafCommand(vm, "list", "List machines of a resource group or of the subscription.")
      .option("-g, --resource-group <group>", "only this resource group's machines")
      .option("-d, --show-details", "add power state and addresses"),
    async (options, context) => {
      const session = context.session();
      const subscription = `/subscriptions/${encodeURIComponent(session.subscriptionId)}`;
      const scope = options.resourceGroup === undefined ? subscription : `${subscription}/resourceGroups/${encodeURIComponent(options.resourceGroup)}`;
      const machines = await session.armList<VirtualMachine>(`${scope}/providers/Microsoft.Compute/virtualMachines`, API_VERSIONS.compute);
      return machines.map(withResourceGroup).map((m) => (options.showDetails ? { ...m, ...instanceDetails(m) } : m));
    },
  );

  onAction<{ name: string; resourceGroup: string; yes?: boolean }>(
    nameAndGroup(leafCommand(vm, "delete", "Delete a machine and its identity.")).option("-y, --yes", "do not prompt for confirmation"),
    async (options, context) => {
      await confirmOrFail(options.yes);
      const session = context.session();
      await session.arm("DELETE", vmPath(session, options.resourceGroup, options.name), API_VERSIONS.compute);
      return undefined;
    },
  );

  const identity = vm.command("identity").description("Manage a machine's managed identity.");
  onAction<{ name: string; resourceGroup: string }>(
    nameAndGroup(leafCommand(identity, "assign", "Give a machine a system-assigned managed identity.")),
    async (options, context) => {
      const session = context.session();
      const body = { identity: { type: "SystemAssigned" } };
      const machine = await session.arm<VirtualMachine>("PATCH", vmPath(session, options.resourceGroup, options.name), API_VERSIONS.compute, body);
      return identityView(machine);
    },
  );
  onAction<{ name: string; resourceGroup: string }>(
    nameAndGroup(leafCommand(identity, "show", "Show a machine's managed identity.")),
    async (options, context) => {
      const session = context.session();
      const machine = await session.arm<VirtualMachine>("GET", vmPath(session, options.resourceGroup, options.name), API_VERSIONS.compute);
      return machine.identity ?? undefined;
    },
  );

  onAction<{ name: string; resourceGroup: string }>(
    nameAndGroup(leafCommand(vm, "exec", "Run a local command as if on the machine, with its managed identity."))
      .argument("<command...>", "the command and its arguments, after --")
      .usage("--name VM --resource-group RG -- <command> [args...]"),
    async (options, context) => {
      const session = context.session();
      const command = context.args[0] as string[];
      process.exitCode = await execOnMachine(session, vmPath(session, options.resourceGroup, options.name), API_VERSIONS.compute, command);
      return undefined;
    },
  );
}
