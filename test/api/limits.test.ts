/**
 * Throttling, as Azure does it. Failed client authentications are limited per client and per source address by
 * default (a flood of wrong secrets turns into quick 429s with Retry-After, while the right credential of any client
 * is still served); `--limits azure` answers Key Vault's per-vault service limits with 429, Retry-After and Azure's
 * `Throttled` body, which the Key Vault SDK honours by waiting and retrying.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SecretClient } from "@azure/keyvault-secrets";
import { adminCredential, arm, claims, createVault, token } from "../harness/clients.js";
import { kluisOk, startServer, tempDir, type KluisServer } from "../harness/server.js";

const VAULT_RESOURCE = "https://vault.azure.net";

/** Sends `count` requests, `concurrency` at a time; returns every reply's status, Retry-After and body, in order of sending. */
async function flood(count: number, concurrency: number, send: (i: number) => Promise<Response>) {
  const replies: { status: number; retryAfter: string | null; body: any }[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const response = await send(i);
      replies[i] = { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return replies;
}

const countOf = (replies: { status: number }[], status: number) => replies.filter((r) => r.status === status).length;

describe("failed client authentications are limited per client and per address", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let app: { appId: string; password: string };

  const tokenRequest = (clientId: string, secret: string) =>
    fetch(`${server.url}/${server.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: `${VAULT_RESOURCE}/.default` }),
    });

  before(async () => {
    server = await startServer();
    const home = tempDir("limits-home");
    kluisOk(server, home, ["login"]);
    app = kluisOk(server, home, ["ad", "sp", "create-for-rbac", "--name", "flooded-app"]).json<{ appId: string; password: string }>();
  });
  after(() => server.stop());

  it("answers 401 up to the limit (20 per client), then 429 with Retry-After, quickly", async (t) => {
    const started = performance.now();
    const replies = await flood(400, 16, (i) => tokenRequest(app.appId, `wrong-${i}`));
    const ms = performance.now() - started;
    t.diagnostic(`400 wrong secrets in ${Math.round(ms)} ms: ${countOf(replies, 401)} × 401, ${countOf(replies, 429)} × 429`);
    assert.equal(countOf(replies, 401), 20, "exactly the per-client limit is answered as usual");
    assert.equal(countOf(replies, 429), 380);
    const throttled = replies.find((r) => r.status === 429)!;
    const wait = Number(throttled.retryAfter);
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After ${throttled.retryAfter}`);
    assert.equal(throttled.body.error, "invalid_client");
    assert.deepEqual(throttled.body.error_codes, [50053]);
    assert.match(throttled.body.error_description, /^AADSTS50053: /);
    assert.ok(!JSON.stringify(throttled.body).includes("wrong-"), "the presented secret is never echoed");
    assert.ok(ms < 30_000, `the flood was answered in ${Math.round(ms)} ms`);
  });

  it("still serves the right secret: of the flooded client, and of another client from the same address", async () => {
    const own = await tokenRequest(app.appId, app.password);
    assert.equal(own.status, 200, await own.clone().text());
    const other = await tokenRequest(server.admin.appId, server.admin.password);
    assert.equal(other.status, 200, await other.clone().text());
    assert.equal(claims(((await other.json()) as { access_token: string }).access_token).appid ?? server.admin.appId, server.admin.appId);
  });

  it("limits the address too: after 100 failures from it, another client's wrong secret and an unknown client get 429", async () => {
    const wrongOther = await tokenRequest(server.admin.appId, "not-the-admin-secret");
    assert.equal(wrongOther.status, 429, await wrongOther.clone().text());
    assert.ok(wrongOther.headers.get("retry-after"));
    const unknown = await tokenRequest("00000000-0000-0000-0000-000000000001", "whatever");
    assert.equal(unknown.status, 429, await unknown.clone().text());
  });

  it("applies no Key Vault limits unless asked: 40 quick reads are all served", async () => {
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-nolimits", "no-limits-kv", [String(claims(management).oid)]);
    const bearer = await token(server, VAULT_RESOURCE);
    const url = `${server.vaultUrl("no-limits-kv")}/secrets/s?api-version=7.4`;
    const put = await fetch(url, { method: "PUT", headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body: JSON.stringify({ value: "v" }) });
    assert.equal(put.status, 200);
    const replies = await flood(40, 8, () => fetch(url, { headers: { authorization: `Bearer ${bearer}` } }));
    assert.equal(countOf(replies, 200), 40);
  });
});

describe("wrong identity headers on a machine's metadata endpoint are limited per machine", { timeout: 120_000 }, () => {
  let server: KluisServer;

  before(async () => {
    server = await startServer({ args: ["--sign-in-failure-limits", "5,1000,60"] });
  });
  after(() => server.stop());

  it("answers 401 five times, then 429 with Retry-After; the right header still gets its answer", async () => {
    const management = await token(server, "https://management.azure.com");
    const vmPath = `/subscriptions/${server.subscriptionId}/resourceGroups/rg-limits/providers/Microsoft.Compute/virtualMachines/vm1`;
    assert.equal((await arm(server, management, "PUT", `/subscriptions/${server.subscriptionId}/resourcegroups/rg-limits?api-version=2022-09-01`, { location: "westus" })).status < 300, true);
    const created = await arm(server, management, "PUT", `${vmPath}?api-version=2024-03-01`, {
      location: "westeurope",
      identity: { type: "SystemAssigned" },
      properties: { hardwareProfile: { vmSize: "Standard_B1s" }, osProfile: { computerName: "vm1", adminUsername: "azureuser", adminPassword: "Secr3t!Passw0rd" } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const endpoint = created.body.properties.metadataEndpoint as string;
    const url = `${endpoint}/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(VAULT_RESOURCE)}`;
    const replies = await flood(60, 8, (i) => fetch(url, { headers: { "X-IDENTITY-HEADER": `wrong-${i}` } }));
    assert.equal(countOf(replies, 401), 5);
    assert.equal(countOf(replies, 429), 55);
    assert.ok(Number(replies.find((r) => r.status === 429)!.retryAfter) >= 1);
    const access = await arm(server, management, "POST", `${vmPath}/listMetadataAccess?api-version=2024-03-01`);
    assert.equal(access.status, 200, JSON.stringify(access.body));
    const good = await fetch(url, { headers: { "X-IDENTITY-HEADER": access.body.identityHeader } });
    assert.equal(good.status, 200, await good.text());
  });
});

describe("--limits azure: Key Vault's per-vault service limits", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let bearer: string;
  const VAULT = "limited-kv";
  const THROTTLED = { error: { code: "Throttled", message: "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached" } };

  before(async () => {
    // Scale 0.001 of Azure's numbers in a 2 s window: 4 reads, 1 secret creation per vault per window.
    server = await startServer({ args: ["--limits", "azure"], env: { KLUIS_LIMITS_SCALE: "0.001", KLUIS_LIMITS_WINDOW_SECONDS: "2" } });
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-limited", VAULT, [String(claims(management).oid)]);
    bearer = await token(server, VAULT_RESOURCE);
  });
  after(() => server.stop());

  it("a raw client sees 429 with Retry-After and Azure's Throttled body once a class's budget is spent", async () => {
    const put = (name: string) =>
      fetch(`${server.vaultUrl(VAULT)}/secrets/${name}?api-version=7.4`, { method: "PUT", headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body: JSON.stringify({ value: "v" }) });
    assert.equal((await put("first")).status, 200);
    const second = await put("second");
    assert.equal(second.status, 429, "CREATE secret has its own, smaller budget");
    assert.deepEqual(await second.json(), THROTTLED);
    const wait = Number(second.headers.get("retry-after"));
    assert.ok(wait >= 1 && wait <= 2, `Retry-After ${second.headers.get("retry-after")}`);
    assert.ok(second.headers.get("x-ms-request-id"));

    const reads = await flood(10, 1, () => fetch(`${server.vaultUrl(VAULT)}/secrets/first?api-version=7.4`, { headers: { authorization: `Bearer ${bearer}` } }));
    assert.equal(countOf(reads, 200), 4, "4 reads per window at this scale");
    assert.equal(countOf(reads, 429), 6, "refused reads do not count, nor do they pass");
    assert.deepEqual(reads[4]!.body, THROTTLED);
    assert.ok(Number(reads[4]!.retryAfter) >= 1);
  });

  it("the Key Vault SDK waits for Retry-After and succeeds", async () => {
    let throttledSeen = 0;
    const client = new SecretClient(server.vaultUrl(VAULT), adminCredential(server), {
      additionalPolicies: [
        {
          position: "perRetry",
          policy: {
            name: "count-429",
            sendRequest: async (request, next) => {
              const response = await next(request);
              if (response.status === 429) throttledSeen++;
              return response;
            },
          },
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 2100)); // a fresh window for the reads
    const started = performance.now();
    for (let i = 0; i < 10; i++) assert.equal((await client.getSecret("first")).value, "v");
    const ms = performance.now() - started;
    assert.ok(throttledSeen >= 1, "the SDK met 429s");
    assert.ok(ms >= 1500, `10 reads at 4 per 2 s took ${Math.round(ms)} ms: the SDK waited`);
  });
});
