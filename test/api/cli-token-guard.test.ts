/**
 * The CLI never hands a bearer token to a host that is not a vault of its cloud: `--id` and `--vault-name` are
 * checked against the cloud's vault suffix and the vault-name rule, and, as the Key Vault SDKs do, the first request
 * to a vault goes without token and body; a token follows only when the 401 challenge names the cloud's vault
 * resource. A fake listener on loopback records whether an Authorization header ever reached it.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { claims, createVault, token } from "../harness/clients.js";
import { kluisAsync, kluisOk, startServer, tempDir, type CliResult, type KluisServer } from "../harness/server.js";

interface Seen {
  host: string;
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

type VaultBehaviour = "answer-200" | "challenge-foreign-resource" | "challenge-own-resource";

/**
 * A whole fake cloud on one port: its metadata names `vault.localhost:<port>` as the vault suffix, its token endpoint
 * hands out a marker token, and its vault hosts behave as `behaviour` says. It records every request.
 */
class FakeCloud {
  readonly seen: Seen[] = [];
  behaviour: VaultBehaviour = "answer-200";
  private readonly server: https.Server;

  constructor(cert: string, key: string) {
    this.server = https.createServer({ cert, key }, (req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const host = req.headers.host ?? "";
        this.seen.push({ host, method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body });
        const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { "content-type": "application/json", ...headers });
          res.end(JSON.stringify(value));
        };
        if (!host.includes(".vault.localhost")) {
          if (req.url?.startsWith("/metadata/endpoints")) return json(200, [{ suffixes: { keyVaultDns: `vault.localhost:${this.port}` } }]);
          if (req.url?.includes("/oauth2/")) return json(200, { access_token: "fake-cloud-token", token_type: "Bearer", expires_in: 3600 });
          return json(404, { error: { code: "NotFound", message: "fake" } });
        }
        if (this.behaviour === "answer-200" || req.headers.authorization) return json(200, { value: "from-the-fake", id: `https://${host}/secrets/x/1` });
        const resource = this.behaviour === "challenge-own-resource" ? `https://vault.localhost:${this.port}` : "https://vault.attacker.example";
        return json(401, { error: { code: "Unauthorized", message: "AKV10000" } }, { "www-authenticate": `Bearer authorization="https://localhost:${this.port}/t", resource="${resource}"` });
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get authorizations(): string[] {
    return this.seen.filter((s) => s.host.includes(".vault.localhost") && s.authorization !== undefined).map((s) => `${s.method} ${s.host}${s.url}`);
  }
}

const failed = (result: CliResult, fragment: RegExp) => {
  assert.notEqual(result.status, 0, `the command succeeded: ${result.stdout}`);
  assert.match(result.stderr, fragment);
  assert.ok(!result.stdout.includes("from-the-fake"), result.stdout);
};

describe("the CLI's bearer tokens stay with the cloud's vaults", { timeout: 120_000 }, () => {
  let server: KluisServer;
  let fake: FakeCloud;
  let home: string;
  before(async () => {
    server = await startServer();
    // The run's test certificate covers localhost and *.vault.localhost, so the CLI trusts the fake as it trusts Kluis.
    const tls = path.join(server.dataDir, "tls");
    fake = new FakeCloud(fs.readFileSync(path.join(tls, "server.pem"), "utf8"), fs.readFileSync(path.join(tls, "server.key"), "utf8"));
    await fake.listen();
    home = tempDir("token-guard-home");
    kluisOk(server, home, ["login"]);
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-guard", "guard-kv", [String(claims(management).oid)]);
  });
  after(async () => {
    await fake?.close();
    await server?.stop();
  });

  it("refuses an --id whose host is not a vault of the cloud, before any request", { timeout: 30_000 }, async () => {
    for (const id of [`https://127.0.0.1:${fake.port}/secrets/x`, `https://guard-kv.vault.localhost:${fake.port}/secrets/x`, `https://localhost:${fake.port}/secrets/x`]) {
      failed(await kluisAsync(server, home, ["keyvault", "secret", "show", "--id", id]), /is not a vault of this cloud/);
    }
    assert.deepEqual(fake.seen, [], "no request reached the fake listener");
  });

  it("refuses a --vault-name that breaks the vault-name rule, before any request", { timeout: 30_000 }, async () => {
    for (const name of [`x.vault.localhost:${fake.port}/#`, `guard-kv.vault.localhost:${fake.port}/#`, "ab", "a--b", `127.0.0.1:${fake.port}/#`]) {
      failed(await kluisAsync(server, home, ["keyvault", "secret", "show", "--vault-name", name, "--name", "x"]), /invalid vault name/);
      failed(await kluisAsync(server, home, ["keyvault", "secret", "set", "--vault-name", name, "--name", "x", "--value", "v"]), /invalid vault name/);
    }
    assert.deepEqual(fake.seen, [], "no request reached the fake listener");
  });

  it("sends no token (and no secret value) to a vault host whose challenge is missing or names another resource", { timeout: 60_000 }, async () => {
    const cloud = { KLUIS_PORT: String(fake.port) };
    for (const behaviour of ["answer-200", "challenge-foreign-resource"] as const) {
      fake.behaviour = behaviour;
      failed(await kluisAsync(server, home, ["keyvault", "secret", "show", "--vault-name", "guard-kv", "--name", "x"], cloud), /no token was sent/);
      failed(await kluisAsync(server, home, ["keyvault", "secret", "set", "--vault-name", "guard-kv", "--name", "x", "--value", "never-sent-value"], cloud), /no token was sent/);
    }
    assert.deepEqual(fake.authorizations, [], "an Authorization header reached a vault host");
    assert.ok(!fake.seen.some((s) => s.body.includes("never-sent-value")), "a secret value reached a vault host before its challenge");
    assert.ok(fake.seen.some((s) => s.host.startsWith("guard-kv.")), "the CLI did ask the vault host (the probe without token)");

    // The control: the same fake, challenging for its own cloud's vault resource, does get the token.
    fake.behaviour = "challenge-own-resource";
    const shown = await kluisAsync(server, home, ["keyvault", "secret", "show", "--vault-name", "guard-kv", "--name", "x"], cloud);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(fake.authorizations.length, 1, "the control reached the fake with a token");
    assert.ok(fake.seen.some((s) => s.authorization === "Bearer fake-cloud-token"));
  });

  it("still works against Kluis: --vault-name and --id after the challenge", { timeout: 60_000 }, async () => {
    const set = kluisOk(server, home, ["keyvault", "secret", "set", "--vault-name", "guard-kv", "--name", "kept", "--value", "v1"]).json<{ id: string; value: string }>();
    assert.equal(set.value, "v1");
    const byId = kluisOk(server, home, ["keyvault", "secret", "show", "--id", set.id]).json<{ value: string }>();
    assert.equal(byId.value, "v1");
    const listed = kluisOk(server, home, ["keyvault", "secret", "list", "--vault-name", "guard-kv"]).json<unknown[]>();
    assert.equal(listed.length, 1);
  });
});
