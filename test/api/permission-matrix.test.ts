/**
 * Permission matrix, access-policy vaults: every secrets, keys (lifecycle and cryptography) and certificates data-plane operation once with a policy granting exactly
 * its permission (allowed) and once with a policy granting every other permission (403 ForbiddenByPolicy, and
 * the vault unchanged). The RBAC half is in permission-matrix-rbac.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { arm, claims, createVault, token } from "../harness/clients.js";
import { assertAzureError, createPrincipal, tokenFor, type CreatedPrincipal } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";
import { CERT_OPERATIONS, CERT_POLICY_PERMISSIONS, certSnapshot, ISSUER_PERMISSIONS } from "./permission-matrix-cert-ops.js";
import { KEY_LIFECYCLE_OPERATIONS, KEY_LIFECYCLE_POLICY_PERMISSIONS, keyLifecycleSnapshot } from "./permission-matrix-key-lifecycle-ops.js";
import { KEY_CRYPTO_OPERATIONS, keySnapshot } from "./permission-matrix-key-ops.js";
import { Kv, nameFor, SECRET_OPERATIONS, SECRET_POLICY_PERMISSIONS, type SecretOperation } from "./permission-matrix-ops.js";

const OPERATIONS = [...SECRET_OPERATIONS, ...KEY_LIFECYCLE_OPERATIONS, ...KEY_CRYPTO_OPERATIONS, ...CERT_OPERATIONS];
const collectionOf = (op: SecretOperation) => op.collection ?? "secrets";
const PERMISSIONS = { secrets: SECRET_POLICY_PERMISSIONS, keys: KEY_LIFECYCLE_POLICY_PERMISSIONS, certificates: CERT_POLICY_PERMISSIONS };
/** Every permission of the operation's collection that does not grant it (manageissuers grants the issuer ones). */
const othersOf = (op: SecretOperation) => PERMISSIONS[collectionOf(op)].filter((p) => p !== op.policy && !(p === "manageissuers" && ISSUER_PERMISSIONS.includes(op.policy)));

const VAULT = "policy-matrix-kv";
const GROUP = "rg-policy-matrix";

describe("permission matrix: access policies", { timeout: 600_000 }, () => {
  let server: KluisServer;
  let management: string;
  let adminOid: string;
  let kv: Kv;
  let granted: CreatedPrincipal;
  let others: CreatedPrincipal;
  let grantedToken: string;
  let othersToken: string;

  async function setPolicies(grant: string[], rest: string[], collection: "secrets" | "keys" | "certificates" = "secrets"): Promise<void> {
    const path = `/subscriptions/${server.subscriptionId}/resourceGroups/${GROUP}/providers/Microsoft.KeyVault/vaults/${VAULT}/accessPolicies/replace?api-version=2023-07-01`;
    const entry = (objectId: string, permissions: string[]) => ({ tenantId: server.tenantId, objectId, permissions: { [collection]: permissions } });
    const admin = { tenantId: server.tenantId, objectId: adminOid, permissions: { secrets: ["all"], keys: ["all"], certificates: ["all"] } };
    const reply = await arm(server, management, "PUT", path, {
      properties: { accessPolicies: [admin, entry(granted.objectId, grant), entry(others.objectId, rest)] },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  }

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
    const graph = await token(server, "https://graph.microsoft.com");
    await createVault(server, management, GROUP, VAULT, [adminOid]);
    kv = new Kv(server, VAULT, await token(server, `https://vault.localhost:${server.port}`));
    granted = await createPrincipal(server, graph, "granted");
    others = await createPrincipal(server, graph, "others");
    grantedToken = await tokenFor(server, `https://vault.localhost:${server.port}`, granted);
    othersToken = await tokenFor(server, `https://vault.localhost:${server.port}`, others);
  });
  after(() => server.stop());

  const snapshot = (op: SecretOperation, name: string) => {
    if (collectionOf(op) === "certificates") return certSnapshot(kv, name);
    return collectionOf(op) === "keys" ? Promise.all([keyLifecycleSnapshot(kv, name), keySnapshot(kv, name)]) : kv.snapshot(name);
  };

  for (const op of OPERATIONS) {
    it(`${op.label}: needs ${collectionOf(op)}/${op.policy}; every other permission is refused and changes nothing`, async () => {
      const name = nameFor("ap", op);
      await setPolicies([op.policy], othersOf(op), collectionOf(op));
      const request = await op.prepare(kv, name);

      const before = await snapshot(op, name);
      const refused = await kv.call(request, othersToken);
      assertAzureError(refused, 403, "Forbidden", `does not have ${collectionOf(op)} ${op.policy} permission on key vault '${VAULT};location=westus'`, "ForbiddenByPolicy");
      assert.ok(refused.text.includes(`oid=${others.objectId}`), refused.text);
      assert.deepEqual(await snapshot(op, name), before, "a refused request changed the vault");

      const allowed = await kv.call(request, grantedToken);
      assert.equal(allowed.status, op.okStatus, allowed.text);
    });
  }

  it("manageissuers grants every issuer operation", async () => {
    await setPolicies(["manageissuers"], [], "certificates");
    const issuerOps = CERT_OPERATIONS.filter((op) => ISSUER_PERMISSIONS.includes(op.policy));
    assert.equal(issuerOps.length, 5);
    for (const op of issuerOps) {
      const allowed = await kv.call(await op.prepare(kv, nameFor("mi", op)), grantedToken);
      assert.equal(allowed.status, op.okStatus, `${op.label}: ${allowed.text}`);
    }
    assertAzureError(await kv.call({ method: "GET", path: "/certificates/contacts" }, grantedToken), 403, "Forbidden", "certificates managecontacts permission", "ForbiddenByPolicy");
  });

  it("a principal without any policy is refused everything", async () => {
    await setPolicies([], []);
    for (const op of OPERATIONS) {
      const name = nameFor("none", op);
      const request = await op.prepare(kv, name);
      const before = await snapshot(op, name);
      assertAzureError(await kv.call(request, grantedToken), 403, "Forbidden", `${collectionOf(op)} ${op.policy} permission`, "ForbiddenByPolicy");
      assert.deepEqual(await snapshot(op, name), before, `${op.label}: a refused request changed the vault`);
    }
  });
});
