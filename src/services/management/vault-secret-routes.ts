/**
 * ARM's `Microsoft.KeyVault/vaults/secrets` sub-resource: what ARM templates, Bicep and `@azure/arm-keyvault`
 * use to seed a vault. It runs over the same secret service as the data plane, authorized as ARM (management
 * actions, not the vault's access policies), and — ARM's rule — never returns a value: it is write-only here.
 */
import { DomainError } from "../../domain/errors.js";
import type { SecretInput } from "../../domain/secrets.js";
import type { RequestContext, Route } from "../../http/types.js";
import type { SecretVersionRecord, VaultRecord } from "../../storage/types.js";
import type { AppServices } from "../app-services.js";
import { armBody, subscriptionOf } from "./routes.js";
import { vaultArmId } from "./wire.js";

const manage = (action: string) => ({ kind: "management", action }) as const;
const SECRETS = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults/{vaultName}/secrets";
const MAX_TOP = 25;

export function armSecretJson(vault: VaultRecord, vaultUri: string, record: SecretVersionRecord) {
  const attributes: Record<string, unknown> = { enabled: record.attributes.enabled };
  if (record.attributes.nbf !== null) attributes.nbf = record.attributes.nbf;
  if (record.attributes.exp !== null) attributes.exp = record.attributes.exp;
  attributes.created = record.createdAt;
  attributes.updated = record.updatedAt;
  const properties: Record<string, unknown> = { attributes };
  if (record.contentType !== null) properties.contentType = record.contentType;
  properties.secretUri = `${vaultUri}secrets/${record.name}`;
  properties.secretUriWithVersion = `${vaultUri}secrets/${record.name}/${record.version}`;
  const json: Record<string, unknown> = {
    id: `${vaultArmId(vault)}/secrets/${record.name}`,
    name: record.name,
    type: "Microsoft.KeyVault/vaults/secrets",
    location: vault.location,
    properties,
  };
  if (record.tags !== null) json.tags = record.tags;
  return json;
}

async function vaultOf(ctx: RequestContext, app: AppServices): Promise<{ vault: VaultRecord; uri: string }> {
  const vault = await app.vaults.get(subscriptionOf(ctx, app), ctx.params.resourceGroupName!, ctx.params.vaultName!);
  return { vault, uri: app.endpoints.vaultUri(vault.name) };
}

/** The ARM body's `tags` and `properties` (value, contentType, attributes), as the secret service takes them. */
async function secretInput(ctx: RequestContext, requireProperties: boolean): Promise<SecretInput> {
  const input = await armBody(ctx);
  const properties = input.properties;
  if (properties === undefined && !requireProperties) return { tags: input.tags };
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) {
    throw new DomainError("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'");
  }
  const { value, contentType, attributes } = properties as Record<string, unknown>;
  return { value, contentType, attributes, tags: input.tags };
}

/** Secrets the caller does not name exist as far as ARM cares only when the data plane has them. */
async function exists(app: AppServices, vault: VaultRecord, name: string): Promise<boolean> {
  try {
    await app.secrets.find(vault, name);
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === "SecretNotFound") return false;
    throw error;
  }
}

export const vaultSecretRoutes: Route<AppServices>[] = [
  {
    method: "PUT",
    path: `${SECRETS}/{secretName}`,
    operation: "CreateOrUpdateVaultSecret",
    permission: manage("Microsoft.KeyVault/vaults/secrets/write"),
    // Like Azure, each PUT writes a new version of the secret (templates redeploy with the same value).
    handler: async (ctx, app) => {
      const { vault, uri } = await vaultOf(ctx, app);
      const name = ctx.params.secretName!;
      const input = await secretInput(ctx, true);
      const created = !(await exists(app, vault, name));
      const { record } = await app.secrets.set(vault, name, input);
      return { status: created ? 201 : 200, body: armSecretJson(vault, uri, record) };
    },
  },
  {
    method: "PATCH",
    path: `${SECRETS}/{secretName}`,
    operation: "UpdateVaultSecret",
    permission: manage("Microsoft.KeyVault/vaults/secrets/write"),
    // A new value makes a new version (keeping what the patch does not name); otherwise the latest version's
    // attributes, content type and tags change in place.
    handler: async (ctx, app) => {
      const { vault, uri } = await vaultOf(ctx, app);
      const name = ctx.params.secretName!;
      const input = await secretInput(ctx, false);
      if (input.value === undefined) return { status: 200, body: armSecretJson(vault, uri, await app.secrets.update(vault, name, undefined, input)) };
      const current = await app.secrets.find(vault, name);
      const { record } = await app.secrets.set(vault, name, {
        value: input.value,
        contentType: input.contentType ?? current.contentType,
        tags: input.tags ?? current.tags,
        attributes: input.attributes ?? { enabled: current.attributes.enabled, nbf: current.attributes.nbf, exp: current.attributes.exp },
      });
      return { status: 201, body: armSecretJson(vault, uri, record) };
    },
  },
  {
    method: "GET",
    path: `${SECRETS}/{secretName}`,
    operation: "GetVaultSecret",
    permission: manage("Microsoft.KeyVault/vaults/secrets/read"),
    handler: async (ctx, app) => {
      const { vault, uri } = await vaultOf(ctx, app);
      return { status: 200, body: armSecretJson(vault, uri, await app.secrets.find(vault, ctx.params.secretName!)) };
    },
  },
  {
    method: "GET",
    path: SECRETS,
    operation: "ListVaultSecrets",
    permission: manage("Microsoft.KeyVault/vaults/secrets/read"),
    handler: async (ctx, app) => {
      const { vault, uri } = await vaultOf(ctx, app);
      const rawTop = ctx.query.get("$top");
      const top = rawTop === undefined || rawTop === "" ? MAX_TOP : Number(rawTop);
      if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
        throw new DomainError("BadRequest", `Invalid value '${rawTop}' for $top. The value must be between 1 and ${MAX_TOP}.`);
      }
      const after = skipToken(ctx.query.get("$skiptoken"));
      const page = await app.secrets.listLatest(vault, after, top);
      const apiVersion = ctx.query.get("api-version") ?? "";
      const token = page.next === null ? null : Buffer.from(JSON.stringify({ k: page.next }), "utf8").toString("base64url");
      const base = `${app.endpoints.authorityUrl}${vaultArmId(vault)}/secrets`;
      return {
        status: 200,
        body: {
          value: page.items.map((r) => armSecretJson(vault, uri, r)),
          nextLink: token === null ? null : `${base}?api-version=${encodeURIComponent(apiVersion)}&$top=${top}&$skiptoken=${token}`,
        },
      };
    },
  },
];

function skipToken(token: string | undefined): string | null {
  if (token === undefined || token === "") return null;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { k?: unknown };
    if (typeof parsed.k === "string") return parsed.k;
  } catch {
    // falls through to the error below
  }
  throw new DomainError("BadRequest", "The value of $skiptoken is invalid.");
}
