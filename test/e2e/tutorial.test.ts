/**
 * The seed tutorial, end to end, through the built CLI against a real server: group → vault → secret → machine →
 * managed identity → access policy → the tutorial's own Sample.py (and the Azure SDKs) reading the secret on the
 * machine. Then a restart, after which everything still works.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { kluis, kluisOk, REPO, startServer, tempDir, type KluisServer } from "../harness/server.js";

const FIXTURES = path.join(REPO, "test/e2e/fixtures");
const PYTHON = "/usr/bin/python3";
const VAULT = "kluis-tutorial-kv";

/** The seed's Sample.py with only the two URLs pointed at this machine's endpoint and this vault. */
function writeSample(dir: string, metadataEndpoint: string, vaultUrl: string): string {
  const seed = fs.readFileSync(path.join(FIXTURES, "Sample.py"), "utf8");
  const msi = `${metadataEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net`;
  const changed = seed
    .replace(/^MSI_ENDPOINT = ".*"$/m, `MSI_ENDPOINT = "${msi}"`)
    .replace(/^KeyVaultURL = ".*"$/m, `KeyVaultURL = "${vaultUrl}/secrets/AppSecret?api-version=2016-10-01"`);
  const before = seed.split("\n");
  const afterLines = changed.split("\n");
  const differing = before.filter((line, i) => line !== afterLines[i]);
  assert.equal(differing.length, 2, "only MSI_ENDPOINT and KeyVaultURL differ from the seed");
  const file = path.join(dir, "Sample.py");
  fs.writeFileSync(file, changed);
  return file;
}

describe("the tutorial through the kluis CLI", { timeout: 600_000 }, () => {
  let server: KluisServer;
  let home: string;
  let principalId: string;
  let metadataEndpoint: string;
  let sample: string;
  let sp: { appId: string; password: string; tenant: string };
  const cli = (...args: string[]) => kluisOk(server, home, args);
  const onMachine = (...command: string[]) => kluis(server, home, ["vm", "exec", "--name", "myVM", "--resource-group", "rg1", "--", ...command]);

  before(async () => {
    server = await startServer();
    home = tempDir("home");
  });
  after(() => server.stop());

  it("1. logs in as the administrator created at first start", () => {
    const mode = fs.statSync(path.join(server.dataDir, "admin.json")).mode & 0o777;
    assert.equal(mode, 0o600);
    const accounts = cli("login").json<{ id: string; tenantId: string; isDefault: boolean }[]>();
    assert.equal(accounts[0]!.id, server.subscriptionId);
    assert.equal(accounts[0]!.tenantId, server.tenantId);
    assert.equal(cli("account", "show").json<{ id: string }>().id, server.subscriptionId);
    assert.equal(fs.statSync(path.join(home, ".kluis", "profile.json")).mode & 0o777, 0o600);
  });

  it("2. creates a resource group", () => {
    const group = cli("group", "create", "--name", "rg1", "--location", "West US").json<any>();
    assert.equal(group.id, `/subscriptions/${server.subscriptionId}/resourceGroups/rg1`);
    assert.equal(group.location, "westus");
    assert.equal(group.name, "rg1");
    assert.equal(group.properties.provisioningState, "Succeeded");
    assert.equal(group.type, "Microsoft.Resources/resourceGroups");
  });

  it("3. creates a vault; bad and taken names fail as az fails", () => {
    const vault = cli("keyvault", "create", "--name", VAULT, "--resource-group", "rg1", "--location", "West US").json<any>();
    assert.equal(vault.properties.vaultUri, `https://${VAULT}.vault.localhost:${server.port}/`);
    assert.equal(vault.properties.tenantId, server.tenantId);
    assert.equal(vault.properties.sku.name, "standard");
    assert.equal(vault.properties.enableSoftDelete, true);
    assert.equal(vault.properties.softDeleteRetentionInDays, 90);
    assert.equal(vault.properties.accessPolicies.length, 1);
    assert.ok(vault.properties.accessPolicies[0].permissions.secrets.includes("get"));
    for (const bad of ["ab", "1vault", "vault-", "va--ult", "vault_name", "a".repeat(25)]) {
      const result = kluis(server, home, ["keyvault", "create", "--name", bad, "--resource-group", "rg1", "--location", "West US"]);
      assert.notEqual(result.status, 0, bad);
      assert.match(result.stderr, /VaultNameNotValid/, bad);
    }
    cli("group", "create", "--name", "rg2", "--location", "West US");
    const taken = kluis(server, home, ["keyvault", "create", "--name", VAULT.toUpperCase(), "--resource-group", "rg2", "--location", "West US"]);
    assert.notEqual(taken.status, 0);
    assert.match(taken.stderr, /VaultAlreadyExists/);
    assert.equal(cli("keyvault", "list").json<unknown[]>().length, 1);
  });

  it("4. sets the secret", () => {
    const secret = cli("keyvault", "secret", "set", "--vault-name", VAULT, "--name", "AppSecret", "--value", "MySecret").json<any>();
    assert.equal(secret.value, "MySecret");
    assert.match(secret.id, new RegExp(`^https://${VAULT}\\.vault\\.localhost:${server.port}/secrets/AppSecret/[0-9a-f]{32}$`));
    assert.equal(cli("keyvault", "secret", "show", "--vault-name", VAULT, "--name", "AppSecret", "--query", "value", "-o", "tsv").stdout.trim(), "MySecret");
  });

  it("5. creates the machine with its metadata endpoint", () => {
    const vm = cli("vm", "create", "--resource-group", "rg1", "--name", "myVM", "--image", "UbuntuLTS", "--admin-username", "azureuser", "--generate-ssh-keys").json<any>();
    for (const key of ["fqdns", "id", "location", "macAddress", "powerState", "privateIpAddress", "publicIpAddress", "resourceGroup"]) assert.ok(key in vm, key);
    assert.equal(vm.powerState, "VM running");
    assert.equal(vm.location, "westus");
    assert.equal(vm.resourceGroup, "rg1");
    assert.match(vm.metadataEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    metadataEndpoint = vm.metadataEndpoint;
    assert.ok(fs.existsSync(path.join(home, ".ssh", "id_rsa.pub")), "--generate-ssh-keys made a key pair");
    sample = writeSample(home, metadataEndpoint, server.vaultUrl(VAULT));
  });

  it("6. assigns the machine a system-assigned identity", () => {
    const identity = cli("vm", "identity", "assign", "--name", "myVM", "--resource-group", "rg1").json<any>();
    assert.deepEqual(Object.keys(identity).sort(), ["systemAssignedIdentity", "userAssignedIdentities"]);
    assert.match(identity.systemAssignedIdentity, /^[0-9a-f-]{36}$/);
    assert.deepEqual(identity.userAssignedIdentities, {});
    principalId = identity.systemAssignedIdentity;
  });

  it("9a. before the policy, Sample.py's request gets 403 Forbidden", () => {
    const status = onMachine(PYTHON, path.join(FIXTURES, "read-secret-status.py"), `${metadataEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net`, `${server.vaultUrl(VAULT)}/secrets/AppSecret?api-version=2016-10-01`);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(status.stdout.trim(), "403 Forbidden");
    const run = onMachine(PYTHON, sample);
    assert.notEqual(run.status, 0, "Sample.py can't print a value it was refused");
    assert.doesNotMatch(run.stdout, /MySecret/);
  });

  it("7. grants the identity get and list on secrets", () => {
    const vault = cli("keyvault", "set-policy", "--name", VAULT, "--object-id", principalId, "--secret-permissions", "get", "list").json<any>();
    const policy = vault.properties.accessPolicies.find((p: any) => p.objectId === principalId);
    assert.deepEqual([...policy.permissions.secrets].sort(), ["get", "list"]);
  });

  it("7b. creating the vault again in its group is refused as az refuses it, and the machine's grant stays", () => {
    const again = kluis(server, home, ["keyvault", "create", "--name", VAULT, "--resource-group", "rg1", "--location", "West US"]);
    assert.equal(again.status, 1);
    assert.equal(again.stderr.trim(), `ERROR: The specified vault: ${VAULT} already exists`);
    const policies = cli("keyvault", "show", "--name", VAULT).json<any>().properties.accessPolicies;
    assert.ok(policies.some((p: any) => p.objectId === principalId), "the identity's policy is still there");
  });

  it("8 + 9. Sample.py, run on the machine, prints MySecret", () => {
    const run = onMachine(PYTHON, sample);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "MySecret");
  });

  it("8. inside vm exec, Python trusts the system roots and the Kluis CA, and still verifies the vault", () => {
    const probe = [
      "import json, os, ssl, requests",
      'bundle = os.environ["SSL_CERT_FILE"]',
      "context = ssl.create_default_context(cafile=bundle)",
      'names = [dict(pair[0] for pair in c["subject"]).get("commonName", "") for c in context.get_ca_certs()]',
      `status = requests.get("${server.vaultUrl(VAULT)}/secrets/AppSecret?api-version=7.4").status_code`,
      'print(json.dumps({"bundle": bundle, "requests": os.environ["REQUESTS_CA_BUNDLE"], "names": names, "count": len(names), "status": status}))',
    ].join("\n");
    const run = onMachine(PYTHON, "-c", probe);
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout.trim()) as { bundle: string; requests: string; names: string[]; count: number; status: number };
    assert.equal(seen.bundle, path.join(server.dataDir, "tls", "ca-bundle.pem"));
    assert.equal(seen.requests, seen.bundle);
    assert.ok(seen.names.includes("ISRG Root X1"), "a well-known public root is trusted");
    assert.ok(seen.count > 100, `only ${seen.count} roots`);
    const kluisCa = fs.readFileSync(server.caFile, "utf8").trim();
    assert.ok(fs.readFileSync(seen.bundle, "utf8").includes(kluisCa), "the Kluis CA is in the bundle");
    assert.equal(seen.status, 401, "requests verified the vault's certificate (and got the bearer challenge)");
  });

  it("8. vm exec passes the command's exit code through", () => {
    assert.equal(onMachine(PYTHON, "-c", "import sys; sys.exit(7)").status, 7);
  });

  it("10. the unmodified Node SDK reads it with ManagedIdentityCredential", () => {
    const run = onMachine(process.execPath, path.join(FIXTURES, "read-secret-managed-identity.mjs"), server.vaultUrl(VAULT), "AppSecret");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "MySecret");
  });

  it("10. a service principal reads it with ClientSecretCredential", () => {
    sp = cli("ad", "sp", "create-for-rbac", "--name", "tutorial-app").json<any>();
    assert.deepEqual(Object.keys(sp).sort(), ["appId", "displayName", "password", "tenant"]);
    assert.equal(sp.tenant, server.tenantId);
    const denied = onMachine(process.execPath, path.join(FIXTURES, "read-secret-service-principal.mjs"), server.vaultUrl(VAULT), "AppSecret", server.url, sp.tenant, sp.appId);
    assert.notEqual(denied.status, 0);
    cli("keyvault", "set-policy", "--name", VAULT, "--spn", sp.appId, "--secret-permissions", "get");
    const run = kluis(server, home, ["vm", "exec", "--name", "myVM", "--resource-group", "rg1", "--", process.execPath, path.join(FIXTURES, "read-secret-service-principal.mjs"), server.vaultUrl(VAULT), "AppSecret", server.url, sp.tenant, sp.appId], { SP_SECRET: sp.password });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "MySecret");
  });

  it("1b. logs in as that service principal, as az does, and reads the secret", () => {
    const spHome = tempDir("sp-home");
    // Like az: a principal with no role on any subscription logs in for data-plane access only.
    const refused = kluis(server, spHome, ["login", "--service-principal", "-u", sp.appId, "-p", sp.password, "--tenant", sp.tenant]);
    assert.match(refused.stderr, /No subscriptions found/);
    kluisOk(server, spHome, ["login", "--service-principal", "-u", sp.appId, "-p", sp.password, "--tenant", sp.tenant, "--allow-no-subscriptions"]);
    const shown = kluisOk(server, spHome, ["keyvault", "secret", "show", "--vault-name", VAULT, "--name", "AppSecret"]).json<any>();
    assert.equal(shown.value, "MySecret");
    const wrong = kluis(server, tempDir("bad-home"), ["login", "--service-principal", "-u", sp.appId, "-p", "not-the-secret", "--tenant", sp.tenant]);
    assert.notEqual(wrong.status, 0);
    assert.doesNotMatch(wrong.stderr + wrong.stdout, new RegExp(sp.password));
  });

  it("11. after a restart, everything is still there and still works", async () => {
    await server.restart();
    assert.equal(cli("group", "show", "--name", "rg1").json<any>().name, "rg1");
    assert.equal(cli("vm", "show", "--name", "myVM", "--resource-group", "rg1").json<any>().identity.principalId, principalId);
    assert.equal(cli("keyvault", "secret", "show", "--vault-name", VAULT, "--name", "AppSecret").json<any>().value, "MySecret");
    const python = onMachine(PYTHON, sample);
    assert.equal(python.stdout.trim(), "MySecret", python.stderr);
    const node = onMachine(process.execPath, path.join(FIXTURES, "read-secret-managed-identity.mjs"), server.vaultUrl(VAULT), "AppSecret");
    assert.equal(node.stdout.trim(), "MySecret", node.stderr);
  });

  it("keeps secret values out of the database file", () => {
    const db = fs.readFileSync(path.join(server.dataDir, "kluis.db"));
    const wal = fs.existsSync(path.join(server.dataDir, "kluis.db-wal")) ? fs.readFileSync(path.join(server.dataDir, "kluis.db-wal")) : Buffer.alloc(0);
    assert.equal(db.includes("MySecret"), false);
    assert.equal(wal.includes("MySecret"), false);
    assert.equal(fs.statSync(path.join(server.dataDir, "root.key")).mode & 0o777, 0o600);
  });
});
