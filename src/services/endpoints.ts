/** Public URLs and token audiences, derived once from configuration. */
import type { ServerConfig } from "../config/config.js";

export interface Endpoints {
  /** `https://localhost:8443`: identity authority, management plane and directory. */
  authorityUrl: string;
  /** `vault.localhost`: vaults live at `<name>.<vaultSuffix>`. */
  vaultSuffix: string;
  /** `vault.localhost:8443` (no port when 443), as ARM's metadata calls it keyVaultDns. */
  vaultDns: string;
  /** The resource named in the vault challenge: `https://vault.localhost:8443`. */
  vaultResource: string;
  audiences: { vault: string[]; management: string[]; graph: string[] };
  /** Every resource a token may be issued for: the union of the audiences. */
  resources: ReadonlySet<string>;
  vaultUri(name: string): string;
}

/** Both spellings of a resource: with and without the trailing slash. */
function withSlashes(resources: string[]): string[] {
  return resources.flatMap((r) => {
    const bare = r.replace(/\/+$/, "");
    return [bare, `${bare}/`];
  });
}

export function endpointsFor(config: Pick<ServerConfig, "authorityHost" | "vaultSuffix" | "port">): Endpoints {
  const portSuffix = config.port === 443 ? "" : `:${config.port}`;
  const authorityUrl = `https://${config.authorityHost}${portSuffix}`;
  const vaultDns = `${config.vaultSuffix}${portSuffix}`;
  const vaultResource = `https://${vaultDns}`;
  const audiences = {
    // Code written for Azure asks for https://vault.azure.net; the challenge names our own resource.
    vault: withSlashes([vaultResource, "https://vault.azure.net"]),
    management: withSlashes([authorityUrl, "https://management.azure.com", "https://management.core.windows.net"]),
    // The cloud metadata names the authority URL as `microsoftGraphResourceId` (az asks for Graph tokens by it), while
    // code written for Azure asks for https://graph.microsoft.com: both are Graph here.
    graph: withSlashes([authorityUrl, "https://graph.microsoft.com"]).concat(["00000003-0000-0000-c000-000000000000"]),
  };
  return {
    authorityUrl,
    vaultSuffix: config.vaultSuffix,
    vaultDns,
    vaultResource,
    audiences,
    resources: new Set([...audiences.vault, ...audiences.management, ...audiences.graph]),
    vaultUri: (name) => `https://${name.toLowerCase()}.${vaultDns}/`,
  };
}
