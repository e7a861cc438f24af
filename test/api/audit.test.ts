/**
 * The audit log of a SQLite deployment, black-box: requests through the built server, the files it writes in
 * <data-dir>/audit, and `kluis audit show | verify` run as the operator would.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { arm, claims, createVault, token } from "../harness/clients.js";
import { kluis, startServer, tempDir, type KluisServer } from "../harness/server.js";

const API = "api-version=7.5";
const VAULT_RESOURCE = "https://vault.azure.net";

interface Record {
  seq: number;
  time: string;
  phase: "intent" | "result";
  requestId: string;
  surface: string;
  method: string;
  operation: string | null;
  vault: string | null;
  objectName: string | null;
  objectVersion: string | null;
  caller: { objectId: string; appId: string; managedIdentity: boolean; resourceId: string | null } | null;
  source: string | null;
  status: number | null;
  prev: string;
  hash: string;
}

function auditDir(server: KluisServer): string {
  return path.join(server.dataDir, "audit");
}

function auditFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort().map((f) => path.join(dir, f));
}

function auditText(server: KluisServer): string {
  return auditFiles(auditDir(server)).map((f) => fs.readFileSync(f, "utf8")).join("");
}

function records(server: KluisServer): Record[] {
  return auditText(server).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record);
}

async function vaultCall(server: KluisServer, vault: string, method: string, pathAndQuery: string, bearer?: string, body?: unknown) {
  const response = await fetch(`${server.vaultUrl(vault)}${pathAndQuery}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, requestId: response.headers.get("x-ms-request-id"), body: text ? (JSON.parse(text) as any) : undefined };
}

/** Waits for the result record of `requestId`: the reply may reach us a moment before we look. */
async function recordOf(server: KluisServer, requestId: string, phase: "intent" | "result" = "result"): Promise<Record> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = records(server).find((r) => r.requestId === requestId && r.phase === phase);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${phase} record for request ${requestId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A copy of the server's audit files in a data directory of its own, for tampering without touching the server. */
function copyAudit(server: KluisServer): { dataDir: string; files: string[] } {
  const dataDir = tempDir("audit-copy");
  fs.cpSync(auditDir(server), path.join(dataDir, "audit"), { recursive: true });
  return { dataDir, files: auditFiles(path.join(dataDir, "audit")) };
}

function verify(server: KluisServer, dataDir: string, extra: string[] = []) {
  return kluis(server, tempDir("home"), ["audit", "verify", "--data-dir", dataDir, ...extra]);
}

describe("audit log (SQLite: files in the data directory)", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let management: string;
  let vaultToken: string;
  let adminOid: string;
  const vault = `au${randomBytes(4).toString("hex")}`;
  const closed = `ac${randomBytes(4).toString("hex")}`;
  const value = `audited-value-${randomBytes(12).toString("hex")}`;

  before(async () => {
    server = await startServer();
    management = await token(server, "https://management.azure.com");
    adminOid = String(claims(management).oid);
    await createVault(server, management, "rg-audit", vault, [adminOid]);
    await createVault(server, management, "rg-audit", closed, []);
    vaultToken = await token(server, VAULT_RESOURCE);
  });
  after(() => server?.stop());

  it("records secret set and get, and the management PUT, with caller, operation, object and status — never a value or token", async () => {
    const set = await vaultCall(server, vault, "PUT", `/secrets/audited?${API}`, vaultToken, { value });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const version = String(set.body.id).split("/").pop()!;
    const get = await vaultCall(server, vault, "GET", `/secrets/audited/${version}?${API}`, vaultToken);
    assert.equal(get.status, 200);
    assert.equal(get.body.value, value);

    const intent = await recordOf(server, set.requestId!, "intent");
    assert.equal(intent.status, null);
    assert.equal(intent.operation, "SetSecret");
    const written = await recordOf(server, set.requestId!);
    assert.equal(written.status, 200);
    assert.ok(written.seq > intent.seq, "the intent comes before the result");
    assert.equal(written.operation, "SetSecret");
    assert.equal(written.surface, "vault");
    assert.equal(written.vault, vault);
    assert.equal(written.objectName, "audited");
    assert.deepEqual(written.caller, { objectId: adminOid, appId: server.admin.appId, managedIdentity: false, resourceId: null });
    assert.match(written.source ?? "", /127\.0\.0\.1|::1/);
    assert.ok(Math.abs(Date.parse(written.time) - Date.now()) < 60_000);

    const read = await recordOf(server, get.requestId!);
    assert.equal(read.operation, "GetSecretVersion");
    assert.equal(read.objectName, "audited");
    assert.equal(read.objectVersion, version);
    assert.equal(read.status, 200);
    assert.equal(records(server).filter((r) => r.requestId === get.requestId).length, 1, "a read has one record");

    const put = records(server).find((r) => r.operation === "CreateOrUpdateVault" && r.vault === vault && r.phase === "result");
    assert.ok(put, "the vault's management PUT is recorded");
    assert.equal(put.surface, "authority");
    assert.equal(put.method, "PUT");
    assert.ok(put.status === 200 || put.status === 201, String(put.status));
    assert.equal(put.caller?.objectId, adminOid);

    const text = auditText(server);
    assert.ok(!text.includes(value), "the secret's value is not in the audit log");
    for (const bearer of [vaultToken, management]) {
      assert.ok(!text.includes(bearer), "no bearer token in the audit log");
      assert.ok(!text.includes(bearer.split(".")[2]!), "not even a token's signature");
    }
    assert.ok(!text.includes(server.admin.password), "no client secret in the audit log");
  });

  it("records a key's sign as the read it is: one result record, no intent (a POST that changes nothing)", async () => {
    const grant = await arm(server, management, "PUT", `/subscriptions/${server.subscriptionId}/resourceGroups/rg-audit/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/add?api-version=2023-07-01`, {
      properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: adminOid, permissions: { keys: ["create", "sign"] } }] },
    });
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    const created = await vaultCall(server, vault, "POST", `/keys/audited-key/create?${API}`, vaultToken, { kty: "EC", crv: "P-256" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const digest = Buffer.alloc(32, 7).toString("base64url");
    const signed = await vaultCall(server, vault, "POST", `/keys/audited-key/sign?${API}`, vaultToken, { alg: "ES256", value: digest });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const result = await recordOf(server, signed.requestId!);
    assert.equal(result.operation, "Sign");
    assert.equal(result.status, 200);
    assert.equal(records(server).filter((r) => r.requestId === signed.requestId).length, 1, "a sign gets no intent record");
    assert.equal(records(server).filter((r) => r.requestId === created.requestId && r.phase === "intent").length, 1, "creating a key does");
  });

  it("records refusals: 401 without a token, 403 without an access policy, 404 for an unknown vault", async () => {
    const anonymous = await vaultCall(server, vault, "GET", `/secrets/audited?${API}`);
    assert.equal(anonymous.status, 401);
    const denied = await vaultCall(server, closed, "GET", `/secrets/audited?${API}`, vaultToken);
    assert.equal(denied.status, 403);
    const missing = await vaultCall(server, "nosuchvault42", "GET", `/secrets/x?${API}`, vaultToken);
    assert.equal(missing.status, 404);
    const deniedWrite = await vaultCall(server, closed, "PUT", `/secrets/blocked?${API}`, vaultToken, { value });

    const r401 = await recordOf(server, anonymous.requestId!);
    assert.equal(r401.status, 401);
    assert.equal(r401.caller, null);
    assert.equal(r401.vault, vault);
    const r403 = await recordOf(server, denied.requestId!);
    assert.equal(r403.status, 403);
    assert.equal(r403.operation, "GetSecret");
    assert.equal(r403.vault, closed);
    assert.equal(r403.caller?.objectId, adminOid);
    const r404 = await recordOf(server, missing.requestId!);
    assert.equal(r404.status, 404);
    assert.equal(r404.vault, "nosuchvault42");
    assert.equal(deniedWrite.status, 403);
    assert.equal((await recordOf(server, deniedWrite.requestId!)).status, 403);
    assert.equal(records(server).filter((r) => r.requestId === deniedWrite.requestId && r.phase === "intent").length, 0, "a refused write never gets an intent");
  });

  it("names a managed identity's machine (xms_mirid) as the caller", async () => {
    const vmPath = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-audit/providers/Microsoft.Compute/virtualMachines/auditvm`;
    const created = await arm(server, management, "PUT", `${vmPath}?api-version=2024-03-01`, {
      location: "westeurope",
      properties: { hardwareProfile: { vmSize: "Standard_B1s" }, osProfile: { computerName: "auditvm", adminUsername: "azureuser", adminPassword: "Aud1t!Passw0rd" } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const patched = await arm(server, management, "PATCH", `${vmPath}?api-version=2024-03-01`, { identity: { type: "SystemAssigned" } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const endpoint = String(created.body.properties.metadataEndpoint);
    const imds = await fetch(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(VAULT_RESOURCE)}`, { headers: { Metadata: "true" } });
    const machineToken = ((await imds.json()) as { access_token: string }).access_token;
    const mirid = String(claims(machineToken).xms_mirid);
    const read = await vaultCall(server, vault, "GET", `/secrets/audited?${API}`, machineToken);
    assert.equal(read.status, 403, "the machine has no access policy: refused, and recorded");
    const record = await recordOf(server, read.requestId!);
    assert.equal(record.caller?.objectId, patched.body.identity.principalId);
    assert.equal(record.caller?.managedIdentity, true);
    assert.equal(record.caller?.resourceId, mirid);
    assert.equal(mirid.toLowerCase(), vmPath.toLowerCase());
    assert.ok(!auditText(server).includes("Aud1t!Passw0rd"), "no request body in the audit log");
  });

  it("keeps the directory 0700 and the files 0600", () => {
    assert.equal(fs.statSync(auditDir(server)).mode & 0o777, 0o700);
    for (const file of auditFiles(auditDir(server))) assert.equal(fs.statSync(file).mode & 0o777, 0o600, file);
  });

  it("`audit show` filters by vault, caller and time, as JSON or a table", () => {
    const home = tempDir("home");
    const all = kluis(server, home, ["audit", "show", "--vault", vault, "--data-dir", server.dataDir]).json<Record[]>();
    assert.ok(all.length >= 4);
    assert.ok(all.every((r) => r.vault === vault));
    const mine = kluis(server, home, ["audit", "show", "--caller", adminOid, "--since", "1h", "--data-dir", server.dataDir]).json<Record[]>();
    assert.ok(mine.some((r) => r.vault === closed) && mine.every((r) => r.caller?.objectId === adminOid));
    const future = kluis(server, home, ["audit", "show", "--since", new Date(Date.now() + 3_600_000).toISOString(), "--data-dir", server.dataDir]).json<Record[]>();
    assert.deepEqual(future, []);
    const table = kluis(server, home, ["audit", "show", "--vault", closed, "-o", "table", "--data-dir", server.dataDir]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /GetSecret/);
    assert.match(table.stdout, /403/);
    const bad = kluis(server, home, ["audit", "show", "--since", "yesterday-ish", "--data-dir", server.dataDir]);
    assert.equal(bad.status, 2);
  });

  it("`audit verify` passes on the log as written, with the head to anchor", () => {
    const result = verify(server, server.dataDir);
    assert.equal(result.status, 0, result.stderr);
    const summary = result.json<{ ok: boolean; records: number; headHash: string }>();
    assert.equal(summary.ok, true);
    assert.equal(summary.records, records(server).length);
    const anchored = verify(server, server.dataDir, ["--expect-head", summary.headHash]);
    assert.equal(anchored.status, 0, anchored.stderr);
    const rewritten = verify(server, server.dataDir, ["--expect-head", "f".repeat(64)]);
    assert.equal(rewritten.status, 1);
    assert.match(rewritten.stderr, /expected head/);
  });

  it("`audit verify` names the first broken record after a line is deleted, a field edited, or two lines swapped", () => {
    const pick = (file: string) => fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    {
      const { dataDir, files } = copyAudit(server);
      const lines = pick(files[0]!);
      const removed = JSON.parse(lines[3]!) as Record;
      const next = JSON.parse(lines[4]!) as Record;
      fs.writeFileSync(files[0]!, lines.filter((_, i) => i !== 3).map((l) => `${l}\n`).join(""));
      const result = verify(server, dataDir);
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stderr, new RegExp(`record ${next.seq} \\(audit-\\d{8}-\\d{4}\\.jsonl:4, request ${next.requestId}\\)`));
      assert.match(result.stderr, /removed or reordered/);
      assert.ok(removed.seq === next.seq - 1);
    }
    {
      const { dataDir, files } = copyAudit(server);
      const lines = pick(files[0]!);
      const target = lines.findIndex((l) => (JSON.parse(l) as Record).status === 403);
      assert.ok(target > 0);
      const edited = lines.map((l, i) => (i === target ? l.replace('"status":403', '"status":200') : l));
      fs.writeFileSync(files[0]!, edited.map((l) => `${l}\n`).join(""));
      const result = verify(server, dataDir);
      assert.equal(result.status, 1);
      const seq = (JSON.parse(lines[target]!) as Record).seq;
      assert.match(result.stderr, new RegExp(`record ${seq} \\(audit-\\d{8}-\\d{4}\\.jsonl:${target + 1}`));
      assert.match(result.stderr, /altered/);
    }
    {
      const { dataDir, files } = copyAudit(server);
      const lines = pick(files[0]!);
      [lines[5], lines[6]] = [lines[6]!, lines[5]!];
      fs.writeFileSync(files[0]!, lines.map((l) => `${l}\n`).join(""));
      const result = verify(server, dataDir);
      assert.equal(result.status, 1);
      assert.match(result.stderr, new RegExp(`record ${(JSON.parse(lines[5]!) as Record).seq} \\(audit-\\d{8}-\\d{4}\\.jsonl:6`));
    }
  });
});

describe("audit log failure policy", { timeout: 120_000 }, () => {
  /**
   * Makes the current audit file unwritable in a way root can't write through either: the file is moved aside and
   * a directory takes its name (opening a directory for appending fails with EISDIR for everyone).
   */
  function breakAudit(server: KluisServer): () => void {
    const files = auditFiles(auditDir(server));
    const current = files[files.length - 1]!;
    fs.renameSync(current, `${current}.aside`);
    fs.mkdirSync(current);
    return () => {
      fs.rmdirSync(current);
      fs.renameSync(`${current}.aside`, current);
    };
  }

  async function setUp(args: string[]) {
    const server = await startServer({ args });
    const management = await token(server, "https://management.azure.com");
    const vault = `af${randomBytes(4).toString("hex")}`;
    await createVault(server, management, "rg-audit", vault, [String(claims(management).oid)]);
    const bearer = await token(server, VAULT_RESOURCE);
    return { server, vault, bearer };
  }

  it("fail-closed (default): with the audit file unwritable a secret set answers 503 and the secret is unchanged", async () => {
    const { server, vault, bearer } = await setUp([]);
    try {
      assert.equal((await vaultCall(server, vault, "PUT", `/secrets/guarded?${API}`, bearer, { value: "before" })).status, 200);
      const restore = breakAudit(server);
      const refused = await vaultCall(server, vault, "PUT", `/secrets/guarded?${API}`, bearer, { value: "after" });
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, "ServiceUnavailable");
      assert.match(refused.body.error.message, /audit/);
      const read = await vaultCall(server, vault, "GET", `/secrets/guarded?${API}`, bearer);
      assert.equal(read.status, 503, "a read whose record can't be written sends no value");
      assert.equal(read.body.value, undefined);
      restore();
      const after = await vaultCall(server, vault, "GET", `/secrets/guarded?${API}`, bearer);
      assert.equal(after.status, 200);
      assert.equal(after.body.value, "before", "the refused write changed nothing");
      const verified = verify(server, server.dataDir);
      assert.equal(verified.status, 0, `nothing half-written broke the chain: ${verified.stderr}`);
    } finally {
      await server.stop();
    }
  });

  it("fail-open (--audit-fail-open): the same request is served and the failure logged", async () => {
    const { server, vault, bearer } = await setUp(["--audit-fail-open"]);
    try {
      const restore = breakAudit(server);
      const served = await vaultCall(server, vault, "PUT", `/secrets/open?${API}`, bearer, { value: "served" });
      assert.equal(served.status, 200);
      restore();
      assert.match(server.output(), /"component":"audit".*audit record not written/);
      assert.equal((await vaultCall(server, vault, "GET", `/secrets/open?${API}`, bearer)).body.value, "served");
    } finally {
      await server.stop();
    }
  });

  it("rotates files by size; the chain runs across them and across a restart", async () => {
    process.env.KLUIS_AUDIT_MAX_FILE_BYTES = "4000";
    let server: KluisServer | undefined;
    try {
      const setup = await setUp([]);
      server = setup.server;
      for (let i = 0; i < 12; i++) assert.equal((await vaultCall(server, setup.vault, "PUT", `/secrets/r${i}?${API}`, setup.bearer, { value: "x" })).status, 200);
      await server.restart();
      for (let i = 0; i < 4; i++) assert.equal((await vaultCall(server, setup.vault, "GET", `/secrets/r${i}?${API}`, setup.bearer)).status, 200);
      const files = auditFiles(auditDir(server));
      assert.ok(files.length >= 3, `expected several files, got ${files.length}`);
      for (const file of files) assert.ok(fs.statSync(file).size <= 4000, `${file} is over the limit`);
      const result = verify(server, server.dataDir);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.json<{ records: number }>().records, records(server).length);
    } finally {
      delete process.env.KLUIS_AUDIT_MAX_FILE_BYTES;
      await server?.stop();
    }
  });
});
