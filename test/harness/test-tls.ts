/**
 * The run's throwaway CA and server certificate, written as a data directory's `tls/` holds them. Every test server
 * starts with a copy, adopts that CA (server/shared-tls.ts) and serves the certificate, so clients trust one CA.
 */
import fs from "node:fs";
import path from "node:path";
import { createCertificateAuthority, issueServerCertificate } from "../../src/crypto/x509.js";

/** Writes ca.pem, ca.key, server.pem (leaf and CA) and server.key under `dir`; returns the CA file. */
export async function writeTestTls(dir: string): Promise<string> {
  const ca = await createCertificateAuthority("Kluis Test CA");
  const leaf = await issueServerCertificate(ca, ["localhost", "*.vault.localhost"], ["127.0.0.1", "::1"]);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = path.join(dir, "ca.pem");
  fs.writeFileSync(caFile, ca.certPem, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, "ca.key"), ca.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "server.pem"), `${leaf.certPem.trim()}\n${ca.certPem.trim()}\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, "server.key"), leaf.keyPem, { mode: 0o600 });
  return caFile;
}
