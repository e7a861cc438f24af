/**
 * Crash safety on the embedded store, and bringing your own certificate. A server is SIGKILLed while clients write;
 * every write it acknowledged must be there after a restart. A server started with --cert/--key presents exactly
 * that certificate, and clients that trust its issuer work unchanged.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import tls from "node:tls";
import { after, describe, it } from "node:test";
import { createCertificateAuthority, issueServerCertificate } from "../../src/crypto/x509.js";
import { claims, createVault, token } from "../harness/clients.js";
import { startServer, tempDir, type KluisServer } from "../harness/server.js";

async function put(server: KluisServer, bearer: string, vault: string, name: string, value: string): Promise<string | null> {
  try {
    const response = await fetch(`${server.vaultUrl(vault)}/secrets/${name}?api-version=7.4`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      body: JSON.stringify({ value }),
    });
    if (response.status !== 200) return null;
    return ((await response.json()) as { id: string }).id;
  } catch {
    return null; // the connection died with the server: not acknowledged
  }
}

describe("durability and TLS", () => {
  const servers: KluisServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it("keeps every acknowledged write when the server is killed with SIGKILL mid-load", async () => {
    const server = await startServer();
    servers.push(server);
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-crash", "crash-vault", [String(claims(management).oid)]);
    const bearer = await token(server, "https://vault.azure.net");
    const acknowledged: { name: string; value: string; id: string }[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop && i < 5000; i++) {
        const name = `w${w}-n${i % 7}`;
        const value = `writer-${w}-write-${i}`;
        const id = await put(server, bearer, "crash-vault", name, value);
        if (id) acknowledged.push({ name, value, id });
        else return;
      }
    });
    while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 10));
    await server.kill();
    stop = true;
    await Promise.all(writers);
    await server.restart();
    const fresh = await token(server, "https://vault.azure.net");
    for (const write of acknowledged) {
      const response = await fetch(`${write.id}?api-version=7.4`, { headers: { authorization: `Bearer ${fresh}` } });
      assert.equal(response.status, 200, `acknowledged write ${write.id} is missing after the crash`);
      assert.equal(((await response.json()) as { value: string }).value, write.value);
    }
    assert.ok(acknowledged.length >= 150);
  });

  it("serves the operator's certificate given with --cert/--key", async () => {
    const dir = tempDir("byo-tls");
    const ca = await createCertificateAuthority("Operator Test CA");
    const leaf = await issueServerCertificate(ca, ["localhost", "*.vault.localhost"], ["127.0.0.1", "::1"]);
    const certFile = path.join(dir, "server.pem");
    const keyFile = path.join(dir, "server.key");
    fs.writeFileSync(certFile, leaf.certPem);
    fs.writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
    const server = await startServer({ args: ["--cert", certFile, "--key", keyFile], seedTls: false });
    servers.push(server);
    const presented = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port: server.port, servername: "localhost", ca: ca.certPem }, () => {
        resolve(socket.getPeerX509Certificate()!.fingerprint256);
        socket.end();
      });
      socket.on("error", reject);
    });
    assert.equal(presented, new (await import("node:crypto")).X509Certificate(leaf.certPem).fingerprint256);
    // A client trusting only the operator's CA can reach the authority.
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get({ host: "localhost", port: server.port, path: "/healthz", ca: ca.certPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    assert.equal(status, 200);
  });
});
