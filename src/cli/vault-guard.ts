/**
 * What the CLI checks before a bearer token leaves it for a vault host. A vault URL may come from the user (`--id`,
 * `--vault-name`) or from a server (`nextLink`), so neither is trusted: the host must be `<vault-name>.<suffix>`
 * with the suffix the session's cloud names, and, as the Key Vault SDKs do, the first request goes without token
 * and without body, and a token follows only when the 401 challenge names the vault resource of that suffix.
 */
import { isVaultName } from "../domain/names.js";
import { CliError, UsageError } from "./errors.js";

/** `suffix` is the cloud's keyVaultDns, e.g. `vault.localhost:8443`. Throws unless `url` is a vault of it. */
export function assertVaultHost(url: URL, suffix: string, argument = "--id"): void {
  const expected = suffixUrl(suffix);
  const dot = url.hostname.indexOf(".");
  const name = dot === -1 ? "" : url.hostname.slice(0, dot);
  const rest = dot === -1 ? url.hostname : url.hostname.slice(dot + 1);
  const matches = url.protocol === "https:" && rest === expected.hostname && url.port === expected.port && isVaultName(name) && url.username === "" && url.password === "";
  if (!matches) {
    throw new UsageError(`argument ${argument}: '${url.origin}' is not a vault of this cloud: expected https://<vault-name>.${suffix}`);
  }
}

/** Throws unless `vaultName` follows Azure's vault-name rule (3–24 letters, digits and single hyphens). */
export function assertVaultNameArgument(vaultName: string): void {
  if (!isVaultName(vaultName)) {
    throw new UsageError(
      `argument --vault-name: invalid vault name '${vaultName}': a vault's name must be between 3-24 alphanumeric characters, ` +
        "begin with a letter, end with a letter or digit, and not contain consecutive hyphens.",
    );
  }
}

/**
 * The resource a vault's challenge asks a token for (`resource="…"`, or `scope="…/.default"`), accepted only when it
 * is the vault resource of the session's suffix: a host that names another resource gets no token.
 */
export function challengedResource(header: string | string[] | undefined, vaultUrl: URL, suffix: string): string {
  const value = Array.isArray(header) ? header.join(", ") : (header ?? "");
  if (!/^\s*Bearer\b/i.test(value)) throw new CliError(`${vaultUrl.origin} did not answer with a Bearer challenge; no token was sent.`);
  const params = new Map<string, string>();
  for (const [, key, quoted, bare] of value.matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g)) params.set(key!.toLowerCase(), quoted ?? bare ?? "");
  const named = params.get("resource") ?? params.get("scope")?.replace(/\/\.default$/, "");
  let resource: URL | undefined;
  try {
    resource = named ? new URL(named) : undefined;
  } catch {
    resource = undefined;
  }
  const expected = suffixUrl(suffix);
  if (!resource || resource.protocol !== "https:" || resource.host !== expected.host || (resource.pathname !== "/" && resource.pathname !== "")) {
    throw new CliError(`${vaultUrl.origin} asked for a token for '${named ?? ""}', not for this cloud's vaults (https://${suffix}); no token was sent.`);
  }
  return `https://${expected.host}`;
}

function suffixUrl(suffix: string): URL {
  try {
    return new URL(`https://${suffix.replace(/^\./, "")}`);
  } catch {
    throw new CliError(`The cloud's Key Vault DNS suffix '${suffix}' is not a host name.`);
  }
}
