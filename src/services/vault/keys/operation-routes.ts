/**
 * Key Vault's cryptographic operations and random bytes, as route data: `POST /keys/{name}/{version}/<op>` (and
 * the version-less form, which uses the latest version; clients that send `/keys/{name}//<op>` land there too, since
 * empty segments do not count), and `POST /rng`. Each operation has its own access-policy permission and RBAC data
 * action, as in Azure.
 */
import type { Permission } from "../../../domain/authz.js";
import type { OperationInput } from "../../../domain/keys/key-operation-service.js";
import { readJsonObject } from "../../../http/body.js";
import type { RequestContext, Reply, Route } from "../../../http/types.js";
import type { ObjectVersionRecord } from "../../../storage/types.js";
import type { AppServices } from "../../app-services.js";
import { collectionPermission, vaultOf } from "../vault-context.js";

const keys = collectionPermission("keys");

/** Key Vault's `kid`: the vault URI, the key's name and the version that did the work. */
export function keyId(uri: string, record: ObjectVersionRecord): string {
  return `${uri}keys/${record.name}/${record.version}`;
}

type Run = (app: AppServices, ctx: RequestContext, input: OperationInput) => Promise<Record<string, unknown>>;

interface CryptoRouteSpec {
  /** Last path segment, as Azure spells it. */
  segment: string;
  operation: string;
  permission: Permission;
  run: Run;
}

const target = (ctx: RequestContext) => {
  const { vault, uri } = vaultOf(ctx);
  return { vault, uri, name: ctx.params.name!, version: ctx.params.version };
};

const transform =
  (op: "encrypt" | "decrypt" | "wrapKey" | "unwrapKey"): Run =>
  async (app, ctx, input) => {
    const { vault, uri, name, version } = target(ctx);
    const { record, value } = await app.keyOperations.transform(op, vault, name, version, input);
    return { kid: keyId(uri, record), value: value.toString("base64url") };
  };

const SPECS: CryptoRouteSpec[] = [
  { segment: "encrypt", operation: "Encrypt", permission: keys("encrypt", "encrypt/action"), run: transform("encrypt") },
  { segment: "decrypt", operation: "Decrypt", permission: keys("decrypt", "decrypt/action"), run: transform("decrypt") },
  { segment: "wrapkey", operation: "WrapKey", permission: keys("wrapkey", "wrap/action"), run: transform("wrapKey") },
  { segment: "unwrapkey", operation: "UnwrapKey", permission: keys("unwrapkey", "unwrap/action"), run: transform("unwrapKey") },
  {
    segment: "sign",
    operation: "Sign",
    permission: keys("sign", "sign/action"),
    run: async (app, ctx, input) => {
      const { vault, uri, name, version } = target(ctx);
      const { record, value } = await app.keyOperations.sign(vault, name, version, input);
      return { kid: keyId(uri, record), value: value.toString("base64url") };
    },
  },
  {
    segment: "verify",
    operation: "Verify",
    permission: keys("verify", "verify/action"),
    run: async (app, ctx, input) => {
      const { vault, name, version } = target(ctx);
      return { value: (await app.keyOperations.verify(vault, name, version, input)).value };
    },
  },
];

function routesFor(spec: CryptoRouteSpec): Route<AppServices>[] {
  const handler = async (ctx: RequestContext, app: AppServices): Promise<Reply> => {
    const input = await readJsonObject(ctx, "keyvault");
    return { status: 200, body: await spec.run(app, ctx, input) };
  };
  return [
    { method: "POST", path: `/keys/{name}/{version}/${spec.segment}`, operation: spec.operation, permission: spec.permission, readsOnly: true, handler },
    { method: "POST", path: `/keys/{name}/${spec.segment}`, operation: spec.operation, permission: spec.permission, readsOnly: true, handler },
  ];
}

export const keyOperationRoutes: Route<AppServices>[] = [
  ...SPECS.flatMap(routesFor),
  {
    method: "POST",
    path: "/rng",
    operation: "GetRandomBytes",
    // Azure serves rng on Managed HSM (managedHsm/rng/action); on a vault Kluis asks for the vault analogue, and
    // under access policies for keys/get (no access-policy permission for it exists).
    permission: { kind: "data", collection: "keys", action: "get", dataAction: "Microsoft.KeyVault/vaults/rng/action" },
    readsOnly: true,
    handler: async (ctx, app) => {
      const input = await readJsonObject(ctx, "keyvault");
      return { status: 200, body: { value: app.keyOperations.randomBytes(input.count).toString("base64url") } };
    },
  },
];
