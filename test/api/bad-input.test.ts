/**
 * The vault data plane under bad input: each refusal carries Azure's status, code and message, changes nothing
 * (state is compared before and after), is never a 5xx, and never echoes a secret value.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { claims, createVault, token } from "../harness/clients.js";
import { assertAzureError, createPrincipal, decodeSegment, encodeSegment, probe, tokenFor, type CreatedPrincipal, type Probe, type ProbeOptions } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VAULT = "bad-input-kv";
/** A distinctive value: it must never appear in any reply to a refused request, nor in the server's output. */
const SECRET = `Zq9-${randomUUID()}-never-echo`;
const ORIGINAL = `${SECRET}-original`;

describe("vault data plane refuses bad input", { timeout: 300_000 }, () => {
  let server: KluisServer;
  let admin: string;
  let management: string;
  let graph: string;
  let vaultResource: string;
  let outsider: CreatedPrincipal;

  const url = (path: string, query = "api-version=7.4", vault = VAULT) => `${server.vaultUrl(vault)}${path}${query ? `?${query}` : ""}`;
  const kv = (method: string, path: string, options: ProbeOptions & { query?: string } = {}) => probe(method, url(path, options.query), { bearer: admin, ...options });
  const noEcho = (reply: Probe) => assert.ok(!reply.text.includes(SECRET), `the reply echoes the secret value: ${reply.text}`);

  /** Everything a client could observe about the vault's secrets, read with the administrator's token. */
  async function snapshot() {
    const list = await kv("GET", "/secrets");
    const versions = await kv("GET", "/secrets/existing/versions");
    const latest = await kv("GET", "/secrets/existing");
    const deleted = await kv("GET", "/deletedsecrets");
    for (const reply of [list, versions, latest, deleted]) assert.equal(reply.status, 200, reply.text);
    return { list: list.body, versions: versions.body, latest: latest.body, deleted: deleted.body };
  }

  /** Runs `refuse` and checks that the vault looks exactly as before, and that the secret `fresh` was not created. */
  async function unchanged(refuse: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await refuse();
    assert.deepEqual(await snapshot(), before, "a refused request changed the vault");
    assertAzureError(await kv("GET", "/secrets/fresh"), 404, "SecretNotFound", "A secret with (name/id) fresh was not found");
  }

  before(async () => {
    server = await startServer();
    vaultResource = `https://vault.localhost:${server.port}`;
    management = await token(server, "https://management.azure.com");
    admin = await token(server, vaultResource);
    graph = await token(server, "https://graph.microsoft.com");
    await createVault(server, management, "rg-bad-input", VAULT, [String(claims(management).oid)]);
    const set = await kv("PUT", "/secrets/existing", { body: { value: ORIGINAL, contentType: "text/plain", tags: { k: "v" } } });
    assert.equal(set.status, 200, set.text);
    outsider = await createPrincipal(server, graph, "outsider");
  });
  after(() => server.stop());

  it("challenges a request without a token before validating anything else", async () => {
    const challenge = `Bearer authorization="https://localhost:${server.port}/${server.tenantId}", resource="https://vault.localhost:${server.port}"`;
    await unchanged(async () => {
      for (const [method, query, body] of [
        ["GET", "api-version=7.4", undefined],
        ["GET", "", undefined],
        ["GET", "api-version=1999-01-01", undefined],
        ["PUT", "api-version=7.4", { value: SECRET }],
        ["PUT", "api-version=7.4", "{not json"],
      ] as const) {
        const path = method === "PUT" ? "/secrets/fresh" : "/secrets/existing";
        for (const headers of [{}, { authorization: "Basic dXNlcjpwYXNz" }, { authorization: "Bearer" }] as Record<string, string>[]) {
          const reply = await probe(method, url(path, query), { body, headers });
          assertAzureError(reply, 401, "Unauthorized", /^AKV10000: Request is missing a Bearer or PoP token\.$/);
          assert.equal(reply.headers.get("www-authenticate"), challenge);
          noEcho(reply);
        }
      }
    });
  });

  it("answers 404 VaultNotFound for a vault that does not exist, and creates none", async () => {
    const vaultsBefore = await probe("GET", `${server.url}/subscriptions/${server.subscriptionId}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`, { bearer: management });
    for (const [method, body] of [["GET", undefined], ["PUT", { value: SECRET }]] as const) {
      for (const bearer of [admin, undefined]) {
        const reply = await probe(method, url("/secrets/x", "api-version=7.4", "nosuchvault"), { bearer, body });
        assertAzureError(reply, 404, "VaultNotFound", "The vault 'nosuchvault' was not found");
        noEcho(reply);
      }
    }
    const vaultsAfter = await probe("GET", `${server.url}/subscriptions/${server.subscriptionId}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`, { bearer: management });
    assert.deepEqual(vaultsAfter.body, vaultsBefore.body);
    assert.equal(vaultsAfter.body.value.length, 1);
  });

  it("refuses an unknown or missing api-version, and accepts the SDK's percent-encoded key", async () => {
    await unchanged(async () => {
      for (const method of ["GET", "PUT"]) {
        const body = method === "PUT" ? { value: SECRET } : undefined;
        const path = method === "PUT" ? "/secrets/fresh" : "/secrets/existing";
        const unknown = await kv(method, path, { query: "api-version=1999-01-01", body });
        assertAzureError(unknown, 400, "BadParameter", "The specified version (1999-01-01) is not recognized");
        for (const query of ["", "api-version=", "apiversion=7.4"]) {
          const missing = await kv(method, path, { query, body });
          assertAzureError(missing, 400, "BadParameter", "api-version");
          noEcho(missing);
        }
      }
    });
    for (const query of ["api%2Dversion=7.6", "api-version=2025-07-01", "API-Version=7.3"]) {
      const reply = await kv("GET", "/secrets/existing", { query });
      assert.equal(reply.status, 200, `${query}: ${reply.text}`);
      assert.equal(reply.body.value, ORIGINAL);
    }
  });

  it("refuses bodies that are not a secret: malformed JSON, not an object, no string value", async () => {
    const bodies: [string, unknown][] = [
      ["malformed JSON", `{"value": "${SECRET}"`],
      ["trailing garbage", `{"value": "${SECRET}"} x`],
      ["an array", [{ value: SECRET }]],
      ["a string", JSON.stringify(SECRET)],
      ["null", "null"],
      ["empty", ""],
      ["no value", { contentType: "text/plain" }],
      ["a number value", { value: 42 }],
      ["an object value", { value: { nested: SECRET } }],
      ["an array value", { value: [SECRET] }],
      ["a null value", { value: null }],
      ["tags not an object", { value: SECRET, tags: [SECRET] }],
      ["a tag value not a string", { value: SECRET, tags: { a: 1 } }],
      ["too many tags", { value: SECRET, tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"])) }],
      ["enabled not a boolean", { value: SECRET, attributes: { enabled: "yes" } }],
      ["exp not a number", { value: SECRET, attributes: { exp: "tomorrow" } }],
      ["exp beyond any integer column", { value: SECRET, attributes: { exp: 1e300 } }],
      ["nbf not an integer", { value: SECRET, attributes: { nbf: 1.5 } }],
      ["contentType not a string", { value: SECRET, contentType: 7 }],
    ];
    await unchanged(async () => {
      for (const name of ["fresh", "existing"]) {
        for (const [what, body] of bodies) {
          const reply = await kv("PUT", `/secrets/${name}`, { body });
          assert.equal(reply.status, 400, `${what}: ${reply.text}`);
          assert.equal(reply.body?.error?.code, "BadParameter", `${what}: ${reply.text}`);
          noEcho(reply);
        }
      }
      assertAzureError(await kv("PUT", "/secrets/fresh", { body: "{nope" }), 400, "BadParameter", "not valid JSON");
      assertAzureError(await kv("PUT", "/secrets/fresh", { body: [] }), 400, "BadParameter", "must be a JSON object");
      assertAzureError(await kv("PUT", "/secrets/fresh", { body: {} }), 400, "BadParameter", "The secret value is required and must be a string");
    });
  });

  it("refuses a value over 25600 characters with SecretTooLarge, without echoing it", async () => {
    await unchanged(async () => {
      for (const name of ["fresh", "existing"]) {
        const reply = await kv("PUT", `/secrets/${name}`, { body: { value: SECRET + "x".repeat(25_601 - SECRET.length) } });
        assertAzureError(reply, 400, "BadParameter", "beyond the maximum permitted length of 25600", "SecretTooLarge");
        noEcho(reply);
      }
    });
  });

  it("refuses invalid secret names on every operation", async () => {
    const names = ["bad_name", "x".repeat(128), "a%20b", "%C3%A9t%C3%A9", "dot.ted", "%E0%A4%A"];
    await unchanged(async () => {
      for (const name of names) {
        for (const [method, path, body] of [
          ["PUT", `/secrets/${name}`, { value: SECRET }],
          ["GET", `/secrets/${name}`, undefined],
          ["GET", `/secrets/${name}/versions`, undefined],
          ["PATCH", `/secrets/${name}`, { contentType: "x" }],
          ["DELETE", `/secrets/${name}`, undefined],
        ] as const) {
          const reply = await kv(method, path, { body });
          assertAzureError(reply, 400, "BadParameter", "The request URI contains an invalid name");
          noEcho(reply);
        }
      }
    });
  });

  it("decodes path segments after routing: an encoded '/' is part of a name, never a route's separator", async () => {
    const version = String((await kv("GET", "/secrets/existing")).body.id).split("/").pop()!;
    await unchanged(async () => {
      for (const [method, path, name, body] of [
        ["GET", `/secrets/existing%2F${version}`, `existing/${version}`, undefined],
        ["GET", `/secrets/existing%2f${version}`, `existing/${version}`, undefined],
        ["GET", "/secrets/existing%2Fversions", "existing/versions", undefined],
        ["PATCH", `/secrets/existing%2F${version}`, `existing/${version}`, { contentType: "x" }],
        ["DELETE", `/secrets/existing%2F${version}`, `existing/${version}`, undefined],
        ["PUT", "/secrets/fresh%2Fx", "fresh/x", { value: SECRET }],
      ] as const) {
        const reply = await kv(method, path, { body });
        assertAzureError(reply, 400, "BadParameter", `The request URI contains an invalid name: ${name}`);
        noEcho(reply);
      }
    });
  });

  it("refuses to change a value or an attribute through an invalid update", async () => {
    const version = String((await kv("GET", "/secrets/existing")).body.id).split("/").pop()!;
    await unchanged(async () => {
      for (const path of ["/secrets/existing", `/secrets/existing/${version}`]) {
        const reply = await kv("PATCH", path, { body: { value: SECRET } });
        assertAzureError(reply, 400, "BadParameter", "The secret value can't be changed by an update");
        noEcho(reply);
        assertAzureError(await kv("PATCH", path, { body: { attributes: { enabled: "no" } } }), 400, "BadParameter", "'enabled' must be a boolean");
        assertAzureError(await kv("PATCH", path, { body: { attributes: { nbf: -5 } } }), 400, "BadParameter", "'nbf' must be a Unix time");
        assertAzureError(await kv("PATCH", path, { body: { attributes: { exp: 1e300 } } }), 400, "BadParameter", "'exp' must be a Unix time");
        assertAzureError(await kv("PATCH", path, { body: "[1" }), 400, "BadParameter", "not valid JSON");
      }
      assertAzureError(await kv("PATCH", "/secrets/fresh", { body: { contentType: "x" } }), 404, "SecretNotFound", "fresh");
    });
  });

  it("refuses bad paging parameters", async () => {
    for (const value of ["0", "26", "-1", "abc", "2.5"]) {
      assertAzureError(await kv("GET", "/secrets", { query: `api-version=7.4&maxresults=${value}` }), 400, "BadParameter", `Invalid value '${value}' for maxresults`);
    }
    for (const skip of ["garbage", encodeSegment({ k: 5 }), "%00"]) {
      assertAzureError(await kv("GET", "/secrets/existing/versions", { query: `api-version=7.4&$skiptoken=${skip}` }), 400, "BadParameter", "The value of $skiptoken is invalid");
    }
  });

  describe("tokens the vault must not accept", () => {
    const forged = async (reason: string, bearer: string, fragment: string | RegExp) => {
      const challenge = `Bearer authorization="https://localhost:${server.port}/${server.tenantId}", resource="${vaultResource}"`;
      await unchanged(async () => {
        for (const [method, path, body] of [
          ["GET", "/secrets/existing", undefined],
          ["PUT", "/secrets/fresh", { value: SECRET }],
          ["PUT", "/secrets/existing", { value: SECRET }],
        ] as const) {
          const reply = await probe(method, url(path), { bearer, body });
          assertAzureError(reply, 401, "Unauthorized", fragment);
          assert.equal(reply.headers.get("www-authenticate"), challenge, reason);
          noEcho(reply);
        }
      });
    };

    it("refuses a token for the management audience with AKV10022", async () => {
      await forged("management audience", management, `AKV10022: Invalid audience. Expected ${vaultResource}, found: https://management.azure.com.`);
      await forged("graph audience", graph, /^AKV10022: Invalid audience/);
    });

    it("refuses an unsigned token (alg none) carrying a valid token's payload", async () => {
      const [, payload] = admin.split(".");
      await forged("alg none", `${encodeSegment({ alg: "none", typ: "JWT" })}.${payload}.`, /^AKV10021: .*algorithm/);
      const { kid } = decodeSegment(admin, 0);
      await forged("alg none with kid", `${encodeSegment({ alg: "none", typ: "JWT", kid })}.${payload}.`, /^AKV10021: .*algorithm/);
    });

    it("refuses a token whose payload was altered after signing", async () => {
      const outsiderToken = await tokenFor(server, vaultResource, outsider);
      const [header, , signature] = outsiderToken.split(".");
      const escalated = { ...decodeSegment(outsiderToken, 1), oid: claims(admin).oid, sub: claims(admin).oid };
      await forged("altered payload", `${header}.${encodeSegment(escalated)}.${signature}`, /^AKV10021: .*signature/);
    });

    it("refuses a token signed by a foreign RSA key under our kid", async () => {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const { kid } = decodeSegment(admin, 0);
      const payload = claims(admin);
      const foreign = await new SignJWT(payload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: String(kid) }).sign(privateKey);
      await forged("foreign key", foreign, /^AKV10021: .*signature/);
    });

    it("refuses text that is not a token", async () => {
      await forged("garbage", "not-a-jwt", /^AKV10021: /);
      await forged("three parts", "a.b.c", /^AKV10021: /);
    });

    it("still accepts the genuine token these were forged from", async () => {
      const reply = await kv("GET", "/secrets/existing");
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.body.value, ORIGINAL);
    });
  });

  describe("access policies", () => {
    let outsiderToken: string;
    const policyUrl = () =>
      `${server.url}/subscriptions/${server.subscriptionId}/resourceGroups/rg-bad-input/providers/Microsoft.KeyVault/vaults/${VAULT}/accessPolicies/add?api-version=2023-07-01`;
    const forbidden = (reply: Probe, action: string) => {
      assertAzureError(reply, 403, "Forbidden", `'appid=${outsider.appId};oid=${outsider.objectId};`, "ForbiddenByPolicy");
      assertAzureError(reply, 403, "Forbidden", `does not have secrets ${action} permission on key vault '${VAULT};location=westus'`);
      noEcho(reply);
    };

    before(async () => {
      outsiderToken = await tokenFor(server, vaultResource, outsider);
    });

    it("forbids every operation to a principal without an access policy", async () => {
      await unchanged(async () => {
        forbidden(await kv("GET", "/secrets/existing", { bearer: outsiderToken }), "get");
        forbidden(await kv("GET", "/secrets", { bearer: outsiderToken }), "list");
        forbidden(await kv("PUT", "/secrets/fresh", { bearer: outsiderToken, body: { value: SECRET } }), "set");
        forbidden(await kv("PUT", "/secrets/existing", { bearer: outsiderToken, body: { value: SECRET } }), "set");
        forbidden(await kv("PATCH", "/secrets/existing", { bearer: outsiderToken, body: { attributes: { enabled: false } } }), "set");
        forbidden(await kv("DELETE", "/secrets/existing", { bearer: outsiderToken }), "delete");
      });
    });

    it("with get only, reads but can't set, list or delete", async () => {
      const grant = await probe("PUT", policyUrl(), {
        bearer: management,
        body: { properties: { accessPolicies: [{ tenantId: server.tenantId, objectId: outsider.objectId, permissions: { secrets: ["get"] } }] } },
      });
      assert.equal(grant.status, 200, grant.text);
      const read = await kv("GET", "/secrets/existing", { bearer: outsiderToken });
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.value, ORIGINAL);
      await unchanged(async () => {
        forbidden(await kv("PUT", "/secrets/existing", { bearer: outsiderToken, body: { value: SECRET } }), "set");
        forbidden(await kv("PUT", "/secrets/fresh", { bearer: outsiderToken, body: { value: SECRET } }), "set");
        forbidden(await kv("GET", "/secrets/existing/versions", { bearer: outsiderToken }), "list");
        forbidden(await kv("DELETE", "/secrets/existing", { bearer: outsiderToken }), "delete");
        forbidden(await kv("DELETE", "/deletedsecrets/existing", { bearer: outsiderToken }), "purge");
      });
    });
  });

  it("refuses a body over 1 MiB with 413 and stays healthy", async () => {
    const huge = JSON.stringify({ value: SECRET + "y".repeat(1024 * 1024) });
    await unchanged(async () => {
      const declared = await kv("PUT", "/secrets/fresh", { body: huge });
      assertAzureError(declared, 413, "RequestTooLarge", "exceeds the limit of 1048576 bytes");
      noEcho(declared);
      // The same without a content-length: the limit holds while the body streams in.
      const chunks = [Buffer.from(huge.slice(0, 1000)), ...Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x7a))];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
      const response = await fetch(url("/secrets/fresh"), {
        method: "PUT",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit);
      const text = await response.text();
      assert.equal(response.status, 413, text);
      assert.equal(JSON.parse(text).error.code, "RequestTooLarge");
    });
    const health = await probe("GET", `${server.url}/healthz`);
    assert.equal(health.status, 200);
    const set = await kv("PUT", "/secrets/after-flood", { body: { value: "fine" } });
    assert.equal(set.status, 200, set.text);
  });

  it("never wrote the secret value to its output", () => {
    assert.ok(!server.output().includes(SECRET), "the server's output contains a secret value");
    assert.ok(!/"level":"error"/.test(server.output()), `the server logged an unexpected error:\n${server.output()}`);
  });
});
