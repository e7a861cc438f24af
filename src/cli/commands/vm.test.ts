import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../errors.js";
import { parseObjectId } from "../session.js";
import { machineEnvironment } from "./vm-exec.js";
import { imageReference } from "./vm-images.js";
import { macAddressFor } from "./vm.js";

describe("vm helpers", { timeout: 30_000 }, () => {
  it("derives a stable MAC address in Microsoft's range from the vmId", () => {
    const mac = macAddressFor("6f1c1e2a-0000-4000-8000-000000000001");
    assert.match(mac, /^00-0D-3A-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$/);
    assert.equal(macAddressFor("6f1c1e2a-0000-4000-8000-000000000001"), mac);
    assert.notEqual(macAddressFor("another"), mac);
  });

  it("resolves image aliases case-insensitively and accepts URNs", () => {
    assert.deepEqual(imageReference("ubuntults"), { publisher: "Canonical", offer: "UbuntuServer", sku: "18.04-LTS", version: "latest" });
    assert.deepEqual(imageReference("a:b:c:1.0"), { publisher: "a", offer: "b", sku: "c", version: "1.0" });
    assert.throws(() => imageReference("Windows"), UsageError);
  });

  it("gives the child the machine's identity endpoint and the server's CA", () => {
    const env = machineEnvironment(
      { metadataEndpoint: "http://127.0.0.1:4000", identityEndpoint: "http://127.0.0.1:4000/msi/token", identityHeader: "h" },
      "data/tls/ca.pem",
      "data/tls/ca-bundle.pem",
      { PATH: "/bin" },
    );
    assert.equal(env.PATH, "/bin");
    assert.equal(env.IDENTITY_ENDPOINT, "http://127.0.0.1:4000/msi/token");
    assert.equal(env.IDENTITY_HEADER, "h");
    assert.equal(env.AZURE_POD_IDENTITY_AUTHORITY_HOST, "http://127.0.0.1:4000");
    // Node adds NODE_EXTRA_CA_CERTS to its roots; requests and OpenSSL replace theirs with the file: give them the bundle.
    assert.ok(env.NODE_EXTRA_CA_CERTS?.startsWith("/") && env.NODE_EXTRA_CA_CERTS.endsWith("data/tls/ca.pem"));
    for (const name of ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"]) {
      assert.ok(env[name]?.startsWith("/") && env[name]?.endsWith("data/tls/ca-bundle.pem"), name);
    }
  });

  it("splits Key Vault object ids", () => {
    assert.deepEqual(parseObjectId("https://kv.vault.localhost:8443/secrets/a/v1", "secrets"), {
      vaultUrl: "https://kv.vault.localhost:8443/",
      name: "a",
      version: "v1",
    });
    assert.equal(parseObjectId("https://kv.vault.localhost:8443/secrets/a", "secrets").version, undefined);
    assert.throws(() => parseObjectId("https://kv/keys/a", "secrets"), UsageError);
    assert.throws(() => parseObjectId("not a url", "secrets"), UsageError);
  });
});
