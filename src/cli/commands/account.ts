/**
 * `kluis login | logout | account show | account list | account get-access-token`, with az's outputs.
 * Login is the only command that reads the server's data directory for a credential (admin.json, written by
 * the server at first start); everything after it works from the profile.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { RESOURCES, requestToken } from "../auth.js";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, UsageError } from "../errors.js";
import { HttpClient, toRequestError } from "../http.js";
import { readProfile, removeProfile, writeProfile, type Profile, type Subscription } from "../profile.js";
import { API_VERSIONS, Session, fetchKeyVaultDns, serverLocation, type GlobalOptions } from "../session.js";

/** The cloud name az shows; Kluis is its own cloud. */
const CLOUD_NAME = "Kluis";

interface LoginOptions {
  servicePrincipal?: boolean;
  allowNoSubscriptions?: boolean;
  username?: string;
  password?: string;
  tenant?: string;
}

interface AdminCredential {
  tenantId: string;
  appId: string;
  password: string;
}

function readAdminCredential(dataDir: string): AdminCredential {
  const file = path.join(dataDir, "admin.json");
  let parsed: Partial<AdminCredential>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<AdminCredential>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CliError(
        `No administrator credential at ${file}. Start the server once ('kluis server --data-dir ${dataDir}'), ` +
          "point --data-dir at its data directory, or log in with --service-principal -u <appId> -p <secret> --tenant <tenant>.",
      );
    }
    if ((error as NodeJS.ErrnoException).code === "EACCES") throw new CliError(`Permission denied reading ${file}.`);
    throw new CliError(`${file} is not a valid administrator credential file.`);
  }
  if (typeof parsed.tenantId !== "string" || typeof parsed.appId !== "string" || typeof parsed.password !== "string") {
    throw new CliError(`${file} is not a valid administrator credential file.`);
  }
  return { tenantId: parsed.tenantId, appId: parsed.appId, password: parsed.password };
}

function loginCredential(options: LoginOptions, dataDir: string): AdminCredential {
  if (!options.servicePrincipal) {
    if (options.username !== undefined || options.password !== undefined) {
      throw new UsageError("usage error: --username/--password need --service-principal (user accounts are not supported)");
    }
    return readAdminCredential(dataDir);
  }
  if (options.username === undefined || options.password === undefined) {
    throw new UsageError("usage error: --service-principal --username NAME --password SECRET --tenant TENANT");
  }
  if (options.tenant === undefined) throw new UsageError("usage error: --tenant is required for --service-principal login");
  return { tenantId: options.tenant, appId: options.username, password: options.password };
}

/** az's account object, as `az login` lists and `az account show` prints it. */
export function accountView(profile: Pick<Profile, "tenantId" | "subscription" | "principal">): Record<string, unknown> {
  return {
    environmentName: CLOUD_NAME,
    homeTenantId: profile.tenantId,
    id: profile.subscription.id,
    isDefault: true,
    managedByTenants: [],
    name: profile.subscription.name,
    state: profile.subscription.state,
    tenantId: profile.subscription.tenantId,
    user: { name: profile.principal.appId, type: profile.principal.type },
  };
}

/** The subscriptions the principal can see; a principal refused the list simply sees none. */
async function listSubscriptions(http: HttpClient, serverUrl: string, accessToken: string, tenantId: string): Promise<Subscription[]> {
  const listed = await http.send({ method: "GET", url: `${serverUrl}/subscriptions?api-version=${API_VERSIONS.subscriptions}`, token: accessToken });
  if (listed.status === 403) return [];
  if (listed.status < 200 || listed.status >= 300) throw toRequestError(listed);
  return ((listed.body as { value?: Record<string, string>[] } | undefined)?.value ?? []).map(
    (s): Subscription => ({
      id: s.subscriptionId ?? String(s.id).replace(/^\/subscriptions\//, ""),
      name: s.displayName ?? s.subscriptionId ?? "",
      state: s.state ?? "Enabled",
      tenantId: s.tenantId ?? tenantId,
    }),
  );
}

/** az's stand-in account for a login without subscriptions: the tenant itself. */
function tenantLevelAccount(tenantId: string): Subscription {
  return { id: tenantId, name: "N/A(tenant level account)", state: "Enabled", tenantId };
}

async function login(options: LoginOptions & GlobalOptions): Promise<unknown> {
  const location = serverLocation(options);
  const credential = loginCredential(options, location.dataDir);
  const http = new HttpClient({ caFile: location.caFile, debug: options.debug ?? false });
  try {
    const clientCredentials = { serverUrl: location.serverUrl, tenantId: credential.tenantId, appId: credential.appId, secret: credential.password };
    const token = await requestToken(http, clientCredentials, RESOURCES.management);
    const subscriptions = await listSubscriptions(http, location.serverUrl, token.accessToken, credential.tenantId);
    // As az: a principal without subscriptions (any app's own principal) may still log in for data-plane work.
    if (subscriptions.length === 0 && options.allowNoSubscriptions) subscriptions.push(tenantLevelAccount(credential.tenantId));
    const [subscription] = subscriptions;
    if (subscription === undefined) {
      throw new CliError(`No subscriptions found for ${credential.appId}. Use --allow-no-subscriptions to log in for vault data-plane access only.`);
    }
    const profile: Profile = {
      version: 1,
      serverUrl: location.serverUrl,
      dataDir: location.dataDir,
      caFile: location.caFile,
      tenantId: credential.tenantId,
      subscription,
      principal: { type: "servicePrincipal", appId: credential.appId, secret: credential.password },
      keyVaultDns: await fetchKeyVaultDns(http, location.serverUrl),
      tokens: { [RESOURCES.management]: token },
    };
    writeProfile(profile);
    // az lists every subscription the login can see; the first is the default.
    return subscriptions.map((s, index) => {
      const { environmentName, ...view } = accountView({ ...profile, subscription: s });
      return { cloudName: environmentName, ...view, isDefault: index === 0 };
    });
  } finally {
    http.close();
  }
}

const RESOURCE_TYPES: Record<string, string> = {
  arm: RESOURCES.management,
  "ms-graph": RESOURCES.graph,
  "aad-graph": RESOURCES.graph,
};

/** Python's str(datetime) in local time, which is what az prints as expiresOn. */
function pythonLocalTime(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.000000`;
}

export function registerAccountCommands(program: Command): void {
  onAction<LoginOptions>(
    leafCommand(program, "login", "Log in as the server's administrator (no flags) or as a service principal.")
      .option("--service-principal", "log in with a service principal's credentials")
      .option("-u, --username <appId>", "the service principal's application id")
      .option("-p, --password <secret>", "the service principal's client secret")
      .option("-t, --tenant <tenant>", "the tenant the service principal belongs to")
      .option("--allow-no-subscriptions", "log in even without access to a subscription (vault data plane only)"),
    (options) => login(options),
  );

  onAction(leafCommand(program, "logout", "Log out: forget the saved login and its tokens."), async () => {
    if (!removeProfile()) throw new CliError("There are no active accounts.");
    return undefined;
  });

  const account = program.command("account").description("Show the logged-in account and get tokens.");
  onAction(leafCommand(account, "show", "Show the subscription and principal of the login."), async (_options, context) =>
    accountView(context.session().account),
  );
  onAction(leafCommand(account, "list", "List the subscriptions of the login."), async () => {
    const profile = readProfile();
    return profile === undefined ? [] : [accountView(profile)];
  });
  onAction<{ resource?: string; resourceType?: string; scope?: string[] }>(
    leafCommand(account, "get-access-token", "Get a bearer token for the management plane, a vault or Graph.")
      .option("--resource <uri>", "the resource to get a token for (default: the management plane)")
      .option("--resource-type <type>", "arm | ms-graph")
      .option("--scope <scopes...>", "the scope, e.g. https://vault.azure.net/.default"),
    async (options, context) => {
      const session: Session = context.session();
      let resource = options.resource ?? RESOURCES.management;
      if (options.resourceType !== undefined) {
        const mapped = RESOURCE_TYPES[options.resourceType];
        if (mapped === undefined) throw new UsageError(`argument --resource-type: invalid choice: '${options.resourceType}'`);
        resource = mapped;
      }
      if (options.scope?.[0] !== undefined) resource = options.scope[0].replace(/\/\.default$/, "");
      const accessToken = await session.token(resource.replace(/\/$/, ""));
      const expiresOn = session.account.tokens[resource.replace(/\/$/, "")]?.expiresOn ?? Math.floor(Date.now() / 1000) + 3599;
      return {
        accessToken,
        expiresOn: pythonLocalTime(expiresOn),
        expires_on: expiresOn,
        subscription: session.subscriptionId,
        tenant: session.tenantId,
        tokenType: "Bearer",
      };
    },
  );
}
