/**
 * The secrets data-plane operations of the permission matrix, as data: how to set the vault up for each one, the
 * request, the access-policy permission and the RBAC data action it needs. Shared by the access-policy and the
 * RBAC matrix tests.
 */
import assert from "node:assert/strict";
import { probe, type Probe } from "../harness/probes.js";
import type { KluisServer } from "../harness/server.js";

export interface Request {
  method: string;
  path: string;
  body?: unknown;
}

/** A vault data-plane client bound to one vault; `as` sends with another principal's token. */
export class Kv {
  constructor(
    private readonly server: KluisServer,
    readonly vault: string,
    private readonly adminToken: string,
  ) {}

  call(request: Request, bearer = this.adminToken): Promise<Probe> {
    const separator = request.path.includes("?") ? "&" : "?";
    return probe(request.method, `${this.server.vaultUrl(this.vault)}${request.path}${separator}api-version=7.4`, { bearer, body: request.body });
  }

  async ok(request: Request): Promise<Probe> {
    const reply = await this.call(request);
    assert.ok(reply.status >= 200 && reply.status < 300, `${request.method} ${request.path}: ${reply.status} ${reply.text}`);
    return reply;
  }

  /** Everything the administrator can observe about the vault's secrets and about `name`. */
  async snapshot(name: string): Promise<unknown> {
    const list = await this.ok({ method: "GET", path: "/secrets?maxresults=25" });
    const deleted = await this.ok({ method: "GET", path: "/deletedsecrets?maxresults=25" });
    const one = await this.call({ method: "GET", path: `/secrets/${name}` });
    const versions = one.status === 200 ? (await this.ok({ method: "GET", path: `/secrets/${name}/versions` })).body.value : null;
    const gone = await this.call({ method: "GET", path: `/deletedsecrets/${name}` });
    return { secrets: list.body.value, deleted: deleted.body.value, one: [one.status, one.body], versions, gone: [gone.status, gone.body] };
  }
}

export interface SecretOperation {
  /** The access-policy collection the permission belongs to (secrets unless said). */
  collection?: "secrets" | "keys" | "certificates";
  /** RBAC checks it on the vault rather than on one object (list, restore, random bytes). */
  vaultWide?: boolean;
  label: string;
  /** The access-policy permission the route requires. */
  policy: string;
  /** The RBAC data action Azure checks for it. */
  dataAction: string;
  /** Sets the vault up (with the administrator's token) and returns the request under test. */
  prepare(kv: Kv, name: string): Promise<Request>;
  okStatus: number;
}

const S = "Microsoft.KeyVault/vaults/secrets";

async function create(kv: Kv, name: string): Promise<string> {
  const set = await kv.ok({ method: "PUT", path: `/secrets/${name}`, body: { value: `value-of-${name}` } });
  return String(set.body.id).split("/").pop()!;
}

async function createDeleted(kv: Kv, name: string): Promise<void> {
  await create(kv, name);
  await kv.ok({ method: "DELETE", path: `/secrets/${name}` });
}

export const SECRET_OPERATIONS: SecretOperation[] = [
  { label: "set", policy: "set", dataAction: `${S}/setSecret/action`, okStatus: 200, prepare: async (_kv, n) => ({ method: "PUT", path: `/secrets/${n}`, body: { value: "new" } }) },
  { label: "get", policy: "get", dataAction: `${S}/getSecret/action`, okStatus: 200, prepare: async (kv, n) => (await create(kv, n), { method: "GET", path: `/secrets/${n}` }) },
  {
    label: "get version",
    policy: "get",
    dataAction: `${S}/getSecret/action`,
    okStatus: 200,
    prepare: async (kv, n) => ({ method: "GET", path: `/secrets/${n}/${await create(kv, n)}` }),
  },
  { label: "list", policy: "list", dataAction: `${S}/readMetadata/action`, okStatus: 200, prepare: async (kv, n) => (await create(kv, n), { method: "GET", path: "/secrets" }) },
  {
    label: "list versions",
    policy: "list",
    dataAction: `${S}/readMetadata/action`,
    okStatus: 200,
    prepare: async (kv, n) => (await create(kv, n), { method: "GET", path: `/secrets/${n}/versions` }),
  },
  {
    label: "update",
    policy: "set",
    dataAction: `${S}/update/action`,
    okStatus: 200,
    prepare: async (kv, n) => ({ method: "PATCH", path: `/secrets/${n}/${await create(kv, n)}`, body: { contentType: "changed", tags: { t: "1" } } }),
  },
  { label: "delete", policy: "delete", dataAction: `${S}/delete`, okStatus: 200, prepare: async (kv, n) => (await create(kv, n), { method: "DELETE", path: `/secrets/${n}` }) },
  {
    label: "get deleted",
    policy: "list",
    dataAction: `${S}/readMetadata/action`,
    okStatus: 200,
    prepare: async (kv, n) => (await createDeleted(kv, n), { method: "GET", path: `/deletedsecrets/${n}` }),
  },
  {
    label: "list deleted",
    policy: "list",
    dataAction: `${S}/readMetadata/action`,
    okStatus: 200,
    prepare: async (kv, n) => (await createDeleted(kv, n), { method: "GET", path: "/deletedsecrets" }),
  },
  {
    label: "recover",
    policy: "recover",
    dataAction: `${S}/recover/action`,
    okStatus: 200,
    prepare: async (kv, n) => (await createDeleted(kv, n), { method: "POST", path: `/deletedsecrets/${n}/recover` }),
  },
  {
    label: "purge",
    policy: "purge",
    dataAction: `${S}/purge/action`,
    okStatus: 204,
    prepare: async (kv, n) => (await createDeleted(kv, n), { method: "DELETE", path: `/deletedsecrets/${n}` }),
  },
  {
    label: "backup",
    policy: "backup",
    dataAction: `${S}/backup/action`,
    okStatus: 200,
    prepare: async (kv, n) => (await create(kv, n), { method: "POST", path: `/secrets/${n}/backup` }),
  },
  {
    label: "restore",
    policy: "restore",
    dataAction: `${S}/restore/action`,
    okStatus: 200,
    prepare: async (kv, n) => {
      await create(kv, n);
      const blob = (await kv.ok({ method: "POST", path: `/secrets/${n}/backup` })).body.value;
      await kv.ok({ method: "DELETE", path: `/secrets/${n}` });
      await kv.ok({ method: "DELETE", path: `/deletedsecrets/${n}` });
      return { method: "POST", path: "/secrets/restore", body: { value: blob } };
    },
  },
];

export const SECRET_POLICY_PERMISSIONS = ["get", "list", "set", "delete", "recover", "backup", "restore", "purge"];

/** A secret name per operation label: each operation starts from its own secret. */
export function nameFor(prefix: string, op: SecretOperation): string {
  return `${prefix}-${op.label.replace(/\s+/g, "-")}`;
}
