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

describe("durability and TLS", { timeout: 120_000 }, () => {
  const servers: KluisServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it("keeps every acknowledged write when the server is killed with SIGKILL mid-load", { timeout: 90_000 }, async () => {
    const server = await startServer();
    servers.push(server);
    const management = await token(server, "https://management.azure.com");
    await createVault(server, management, "rg-crash", "crash-vault", [String(claims(management).oid)]);
    const bearer = await token(server, "https://vault.azure.net");
    const acknowledged: { name: string; value: string; id: string }[] = [];
    let stop = false;
    /** Writers whose last write died with the server: proof that the kill came mid-load. */
    let interrupted = 0;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop && i < 5000; i++) {
        const name = `w${w}-n${i % 7}`;
        const value = `writer-${w}-write-${i}`;
        const id = await put(server, bearer, "crash-vault", name, value);
        if (!id) {
          interrupted++;
          return;
        }
        acknowledged.push({ name, value, id });
      }
    });
    const deadline = Date.now() + 30_000;
    while (acknowledged.length < 150) {
      assert.ok(Date.now() < deadline, `only ${acknowledged.length} writes were acknowledged in 30 s`);
      assert.equal(interrupted, 0, "a write failed before the kill");
      await new Promise((r) => setTimeout(r, 10));
    }
    await server.kill();
    stop = true;
    await Promise.all(writers);
    assert.ok(interrupted > 0, "no writer was cut off by the kill: it did not happen mid-load");
    await server.restart();
    const fresh = await token(server, "https://vault.azure.net");
    for (const write of acknowledged) {
      const response = await fetch(`${write.id}?api-version=7.4`, { headers: { authorization: `Bearer ${fresh}` } });
      assert.equal(response.status, 200, `acknowledged write ${write.id} is missing after the crash`);
      assert.equal(((await response.json()) as { value: string }).value, write.value);
    }
  });

  it("serves the operator's certificate given with --cert/--key", { timeout: 30_000 }, async () => {
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
