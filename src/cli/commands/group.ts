/** `kluis group create | show | list | delete | exists` — ARM resource groups, printed as ARM returns them. */
import type { Command } from "commander";
import { parseTags } from "../args.js";
import { leafCommand, onAction } from "../command-kit.js";
import { RequestError } from "../errors.js";
import { API_VERSIONS, type Session } from "../session.js";
import { confirmOrFail } from "./confirm.js";

export function groupPath(session: Session, group: string): string {
  return `/subscriptions/${encodeURIComponent(session.subscriptionId)}/resourcegroups/${encodeURIComponent(group)}`;
}

export interface ResourceGroup {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string> | null;
}

export function getGroup(session: Session, group: string): Promise<ResourceGroup> {
  return session.arm<ResourceGroup>("GET", groupPath(session, group), API_VERSIONS.resources);
}

export function registerGroupCommands(program: Command): void {
  const group = program.command("group").description("Manage resource groups.");

  onAction<{ name: string; location: string; tags?: string[] }>(
    leafCommand(group, "create", "Create a resource group (or update its tags).")
      .requiredOption("-n, --name <name>", "name of the resource group")
      .requiredOption("-l, --location <location>", "location, e.g. westeurope")
      .option("--tags <tags...>", "space-separated tags: key[=value]"),
    async (options, context) => {
      const session = context.session();
      const body = { location: options.location, tags: parseTags(options.tags) };
      return session.arm("PUT", groupPath(session, options.name), API_VERSIONS.resources, body);
    },
  );

  onAction<{ name: string }>(
    leafCommand(group, "show", "Show a resource group.").requiredOption("-n, --name <name>", "name of the resource group"),
    async (options, context) => getGroup(context.session(), options.name),
  );

  onAction<{ name: string }>(
    leafCommand(group, "exists", "Check whether a resource group exists (prints true or false).").requiredOption(
      "-n, --name <name>",
      "name of the resource group",
    ),
    async (options, context) => {
      try {
        await getGroup(context.session(), options.name);
        return true;
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return false;
        throw error;
      }
    },
  );

  onAction<{ tag?: string }>(
    leafCommand(group, "list", "List the resource groups of the subscription.").option("--tag <tag>", "only groups with this tag: key[=value]"),
    async (options, context) => {
      const session = context.session();
      const path = `/subscriptions/${encodeURIComponent(session.subscriptionId)}/resourcegroups`;
      const { value } = await session.arm<{ value: ResourceGroup[] }>("GET", path, API_VERSIONS.resources);
      if (options.tag === undefined) return value;
      const [key = "", wanted] = options.tag.split("=", 2);
      return value.filter((g) => g.tags?.[key] !== undefined && (wanted === undefined || g.tags[key] === wanted));
    },
  );

  onAction<{ name: string; yes?: boolean; noWait?: boolean }>(
    leafCommand(group, "delete", "Delete a resource group and everything in it.")
      .requiredOption("-n, --name <name>", "name of the resource group")
      .option("-y, --yes", "do not prompt for confirmation")
      .option("--no-wait", "accepted for az compatibility; deletion is awaited either way"),
    async (options, context) => {
      await confirmOrFail(options.yes);
      const session = context.session();
      await session.arm("DELETE", groupPath(session, options.name), API_VERSIONS.resources);
      return undefined;
    },
  );
}
