/**
 * Permission matrix, RBAC vaults (enableRbacAuthorization): every secrets data-plane operation under Key Vault
 * Secrets Officer, Secrets User, Key Vault Reader and no role, every key lifecycle operation under Key Vault
 * Administrator, Crypto Officer, Crypto User, Key Vault Reader and no role, and every certificates operation under
 * Key Vault Administrator, Certificates Officer, Certificate User, Key Vault Reader and no role; a refusal is 403
 * Forbidden / ForbiddenByRbac with Azure's message and changes nothing. A secret-, key- or certificate-scope
 * assignment grants that object only.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { arm, claims, token } from "../harness/clients.js";
import { assertAzureError, createPrincipal, tokenFor, type CreatedPrincipal } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";
import { CERT_OPERATIONS, certSnapshot, PEM_BUNDLE } from "./permission-matrix-cert-ops.js";
import { KEY_LIFECYCLE_OPERATIONS, keyLifecycleSnapshot } from "./permission-matrix-key-lifecycle-ops.js";
import { KEY_CRYPTO_OPERATIONS, keySnapshot } from "./permission-matrix-key-ops.js";
import { Kv, nameFor, SECRET_OPERATIONS, type SecretOperation } from "./permission-matrix-ops.js";

const VAULT = "rbac-matrix-kv";
const GROUP = "rg-rbac-matrix";
const S = "Microsoft.KeyVault/vaults/secrets";
const ROLES = {
  officer: { id: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", grants: (_action: string) => true },
  user: { id: "4633458b-17de-408a-b874-0445c86b69e6", grants: (a: string) => a === `${S}/getSecret/action` || a === `${S}/readMetadata/action` },
  reader: { id: "21090545-7ca7-4776-b22c-e363652d74d2", grants: (a: string) => a === `${S}/readMetadata/action` },
  none: { id: null, grants: (_action: string) => false },
} as const;
const K = "Microsoft.KeyVault/vaults/keys";
const CRYPTO_USER_ACTIONS = ["read", "update/action", "backup/action", "encrypt/action", "decrypt/action", "wrap/action", "unwrap/action", "sign/action", "verify/action"].map((a) => `${K}/${a}`);
const KEY_ROLES = {
  administrator: { id: "00482a5a-887f-4fb3-b363-3b7fe8e74483", grants: (_action: string) => true },
  cryptoOfficer: { id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", grants: (a: string) => a.startsWith(`${K}/`) || a.startsWith("Microsoft.KeyVault/vaults/keyrotationpolicies/") },
  cryptoUser: { id: "12338af0-0e69-4776-bea7-57ae8d297424", grants: (a: string) => CRYPTO_USER_ACTIONS.includes(a) },
  reader: { id: ROLES.reader.id, grants: (a: string) => a.endsWith("/read") },
  none: ROLES.none,
} as const;
const C = "Microsoft.KeyVault/vaults/certificates";
const CERT_ROLES = {
  administrator: KEY_ROLES.administrator,
  certificatesOfficer: {
    id: "a4417e6f-fecd-4de8-b567-7b0420556985",
    grants: (a: string) => a.startsWith(`${C}/`) || a.startsWith("Microsoft.KeyVault/vaults/certificatecas/") || a === "Microsoft.KeyVault/vaults/certificatecontacts/write",
  },
  certificateUser: { id: "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba", grants: (a: string) => a === `${C}/read` },
  reader: KEY_ROLES.reader,
  none: ROLES.none,
} as const;
type RoleKey = keyof typeof ROLES | keyof typeof KEY_ROLES | keyof typeof CERT_ROLES;
const rolesFor = (op: SecretOperation): Record<string, { id: string | null; grants: (action: string) => boolean }> =>
  op.collection === "certificates" ? CERT_ROLES : op.collection === "keys" ? KEY_ROLES : ROLES;

describe("permission matrix: RBAC", { timeout: 600_000 }, () => {
  let server: KluisServer;
  let management: string;
  let vaultId: string;
  let kv: Kv;
  const principals = {} as Record<RoleKey | "scoped", CreatedPrincipal & { token: string }>;

  async function assign(scope: string, roleId: string, principalId: string): Promise<void> {
    const definition = `/subscriptions/${server.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
    const reply = await arm(server, management, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: definition, principalId, principalType: "ServicePrincipal" },
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
  }

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    const graph = await token(server, "https://graph.microsoft.com");
    const vaultResource = `https://vault.localhost:${server.port}`;
    const rg = `/subscriptions/${server.subscriptionId}/resourceGroups/${GROUP}`;
    assert.equal((await arm(server, management, "PUT", `${rg}?api-version=2022-09-01`, { location: "westus" })).status, 201);
    vaultId = `${rg}/providers/Microsoft.KeyVault/vaults/${VAULT}`;
    const created = await arm(server, management, "PUT", `${vaultId}?api-version=2023-07-01`, {
      location: "westus",
      properties: { tenantId: server.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [], enableRbacAuthorization: true },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // The tenant admin has no data access under RBAC until it is assigned a role, as in Azure.
    await assign(vaultId, ROLES.officer.id, String(claims(management).oid));
    await assign(vaultId, KEY_ROLES.administrator.id, String(claims(management).oid));
    kv = new Kv(server, VAULT, await token(server, vaultResource));
    for (const key of ["officer", "user", "reader", "none", "scoped", "administrator", "cryptoOfficer", "cryptoUser", "certificatesOfficer", "certificateUser"] as const) {
      const p = await createPrincipal(server, graph, `rbac-${key}`);
      principals[key] = { ...p, token: await tokenFor(server, vaultResource, p) };
      const role = key === "scoped" ? null : { ...ROLES, ...KEY_ROLES, ...CERT_ROLES }[key].id;
      if (role) await assign(vaultId, role, p.objectId);
    }
  });
  after(() => server.stop());

  for (const op of [...SECRET_OPERATIONS, ...KEY_LIFECYCLE_OPERATIONS, ...KEY_CRYPTO_OPERATIONS, ...CERT_OPERATIONS]) {
    it(`${op.label}: needs ${op.dataAction}`, async () => {
      const name = nameFor("rbac", op);
      const request = await op.prepare(kv, name);
      const roles = rolesFor(op);
      const snapshot = () => {
        if (op.collection === "certificates") return certSnapshot(kv, name);
        return op.collection === "keys" ? Promise.all([keyLifecycleSnapshot(kv, name), keySnapshot(kv, name)]) : kv.snapshot(name);
      };
      const order = (Object.keys(roles) as RoleKey[]).sort((a, b) => Number(roles[a]!.grants(op.dataAction)) - Number(roles[b]!.grants(op.dataAction)));
      let used = false;
      for (const role of order) {
        const caller = principals[role];
        if (roles[role]!.grants(op.dataAction)) {
          // Each granting role gets its own object: delete, purge or restore can't be done twice to one.
          const allowed = await kv.call(used ? await op.prepare(kv, `${name}-${role}`) : request, caller.token);
          used = true;
          assert.equal(allowed.status, op.okStatus, `${role}: ${allowed.text}`);
          continue;
        }
        const before = await snapshot();
        const refused = await kv.call(request, caller.token);
        assertAzureError(refused, 403, "Forbidden", "Caller is not authorized to perform action on resource.", "ForbiddenByRbac");
        const message = String(refused.body.error.message);
        const vaultWide = op.vaultWide === true || request.path.startsWith("/secrets/restore") || request.path === "/secrets" || request.path === "/deletedsecrets";
        const resource = (vaultWide ? vaultId : `${vaultId}/${op.collection ?? "secrets"}/${name}`).toLowerCase();
        assert.ok(message.includes(`Action: '${op.dataAction}'\r\n`), message);
        assert.ok(message.includes(`Resource: '${resource}'\r\n`), message);
        assert.ok(message.includes(`Caller: appid=${caller.appId};oid=${caller.objectId};iss=`), message);
        assert.ok(message.includes("DecisionReason: 'DeniedWithNoValidRBAC' \r\n"), message);
        assert.ok(message.endsWith(`Vault: ${VAULT};location=westus\r\n`), message);
        assert.deepEqual(await snapshot(), before, `${role}: a refused ${op.label} changed the vault`);
      }
    });
  }

  it("a secret-scope assignment grants that secret only", async () => {
    await kv.ok({ method: "PUT", path: "/secrets/scoped-a", body: { value: "a" } });
    await kv.ok({ method: "PUT", path: "/secrets/scoped-b", body: { value: "b" } });
    const caller = principals.scoped;
    assert.equal((await kv.call({ method: "GET", path: "/secrets/scoped-a" }, caller.token)).status, 403);
    await assign(`${vaultId}/secrets/scoped-a`, ROLES.user.id, caller.objectId);
    const got = await kv.call({ method: "GET", path: "/secrets/scoped-a" }, caller.token);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.value, "a");
    assertAzureError(await kv.call({ method: "GET", path: "/secrets/scoped-b" }, caller.token), 403, "Forbidden", "Caller is not authorized", "ForbiddenByRbac");
    assertAzureError(await kv.call({ method: "GET", path: "/secrets" }, caller.token), 403, "Forbidden", "Caller is not authorized", "ForbiddenByRbac");
    assertAzureError(await kv.call({ method: "PUT", path: "/secrets/scoped-a", body: { value: "x" } }, caller.token), 403, "Forbidden", `Action: '${S}/setSecret/action'`, "ForbiddenByRbac");
  });

  it("a key-scope assignment grants that key only", async () => {
    await kv.ok({ method: "POST", path: "/keys/scoped-key-a/create", body: { kty: "EC" } });
    await kv.ok({ method: "POST", path: "/keys/scoped-key-b/create", body: { kty: "EC" } });
    const caller = principals.scoped;
    assert.equal((await kv.call({ method: "GET", path: "/keys/scoped-key-a" }, caller.token)).status, 403);
    await assign(`${vaultId}/keys/scoped-key-a`, KEY_ROLES.cryptoUser.id, caller.objectId);
    const got = await kv.call({ method: "GET", path: "/keys/scoped-key-a" }, caller.token);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.key.kty, "EC");
    assertAzureError(await kv.call({ method: "GET", path: "/keys/scoped-key-b" }, caller.token), 403, "Forbidden", "Caller is not authorized", "ForbiddenByRbac");
    assertAzureError(await kv.call({ method: "GET", path: "/keys" }, caller.token), 403, "Forbidden", `Action: '${K}/read'`, "ForbiddenByRbac");
    assertAzureError(await kv.call({ method: "DELETE", path: "/keys/scoped-key-a" }, caller.token), 403, "Forbidden", `Action: '${K}/delete'`, "ForbiddenByRbac");
  });

  it("a certificate-scope assignment grants that certificate only, and not an issuer of the same name", async () => {
    const pem = PEM_BUNDLE;
    await kv.ok({ method: "POST", path: "/certificates/scoped-cert-a/import", body: { value: pem } });
    await kv.ok({ method: "POST", path: "/certificates/scoped-cert-b/import", body: { value: pem } });
    await kv.ok({ method: "PUT", path: "/certificates/issuers/scoped-cert-a", body: { provider: "DigiCert" } });
    const caller = principals.scoped;
    assert.equal((await kv.call({ method: "GET", path: "/certificates/scoped-cert-a" }, caller.token)).status, 403);
    await assign(`${vaultId}/certificates/scoped-cert-a`, CERT_ROLES.certificatesOfficer.id, caller.objectId);
    const got = await kv.call({ method: "GET", path: "/certificates/scoped-cert-a/policy" }, caller.token);
    assert.equal(got.status, 200, got.text);
    assertAzureError(await kv.call({ method: "GET", path: "/certificates/scoped-cert-b" }, caller.token), 403, "Forbidden", "Caller is not authorized", "ForbiddenByRbac");
    assertAzureError(await kv.call({ method: "GET", path: "/certificates" }, caller.token), 403, "Forbidden", `Action: '${C}/read'`, "ForbiddenByRbac");
    // Issuers are vault-wide: an assignment on the certificate scoped-cert-a does not reach the issuer scoped-cert-a.
    for (const [method, body] of [["GET", undefined], ["PUT", { provider: "GlobalSign" }], ["DELETE", undefined]] as const) {
      const refused = await kv.call({ method, path: "/certificates/issuers/scoped-cert-a", body }, caller.token);
      assertAzureError(refused, 403, "Forbidden", `Resource: '${vaultId.toLowerCase()}'\r\n`, "ForbiddenByRbac");
    }
    assert.equal((await kv.ok({ method: "GET", path: "/certificates/issuers/scoped-cert-a" })).body.provider, "DigiCert");
  });

  it("access policies are ignored on an RBAC vault, and removing an assignment takes effect at once", async () => {
    const caller = principals.none;
    const policy = await arm(server, management, "PUT", `${vaultId}/accessPolicies/add?api-version=2023-07-01`, {
      properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: caller.objectId, permissions: { secrets: ["all"] } }] },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    await kv.ok({ method: "PUT", path: "/secrets/policy-ignored", body: { value: "p" } });
    assertAzureError(await kv.call({ method: "GET", path: "/secrets/policy-ignored" }, caller.token), 403, "Forbidden", "Caller is not authorized", "ForbiddenByRbac");

    const name = randomUUID();
    const definition = `/subscriptions/${server.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.user.id}`;
    const assignment = `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
    const put = await arm(server, management, "PUT", assignment, { properties: { roleDefinitionId: definition, principalId: caller.objectId } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal((await kv.call({ method: "GET", path: "/secrets/policy-ignored" }, caller.token)).status, 200);
    assert.equal((await arm(server, management, "DELETE", assignment)).status, 200);
    assert.equal((await kv.call({ method: "GET", path: "/secrets/policy-ignored" }, caller.token)).status, 403);
  });
});
