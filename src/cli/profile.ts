/**
 * The login profile, as az keeps ~/.azure: who is logged in, against which server, and the tokens obtained so
 * far. It holds a client secret and bearer tokens, so the directory is 0700 and the file 0600, written to a
 * fresh temporary file and renamed so that a crash never leaves a half-written or wider-readable profile.
 */
import fs from "node:fs";
import path from "node:path";
import { cliConfigDir } from "../config/config.js";

export interface CachedToken {
  accessToken: string;
  /** Unix seconds. */
  expiresOn: number;
}

export interface ServicePrincipalLogin {
  type: "servicePrincipal";
  appId: string;
  secret: string;
}

export interface Subscription {
  id: string;
  name: string;
  state: string;
  tenantId: string;
}

export interface Profile {
  version: 1;
  /** e.g. https://localhost:8443 — the authority and management plane. */
  serverUrl: string;
  /** The server's data directory as seen at login; its tls/ca.pem is the CA the CLI trusts. */
  dataDir: string;
  caFile: string;
  tenantId: string;
  subscription: Subscription;
  principal: ServicePrincipalLogin;
  /** From /metadata/endpoints, e.g. "vault.localhost:8443". */
  keyVaultDns?: string;
  /** Keyed by resource, e.g. "https://vault.azure.net". */
  tokens: Record<string, CachedToken>;
}

export function profilePath(configDir = cliConfigDir()): string {
  return path.join(configDir, "profile.json");
}

export function readProfile(configDir = cliConfigDir()): Profile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(profilePath(configDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const profile = JSON.parse(text) as Profile;
    return profile.version === 1 && profile.principal && profile.subscription ? profile : undefined;
  } catch {
    // A corrupt profile is the same as none: the user logs in again.
    return undefined;
  }
}

export function writeProfile(profile: Profile, configDir = cliConfigDir()): void {
  fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const target = profilePath(configDir);
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(profile, null, 2) + "\n", { mode: 0o600, flag: "w" });
  fs.renameSync(temporary, target);
}

/** Returns whether there was a profile to remove. */
export function removeProfile(configDir = cliConfigDir()): boolean {
  try {
    fs.unlinkSync(profilePath(configDir));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
