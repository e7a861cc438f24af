/**
 * TLS material shared by every node through storage: the CA (certificate, and its key sealed with the keyring) and
 * the server certificate it issued for the configured names. A second node with an empty data directory and the
 * same root key therefore serves a certificate from the same CA, and clients that trust one node's ca.pem trust all.
 *
 * Files under `tls/` are still written, as copies for clients and tools: `ca.pem` (what clients trust) and
 * `server.pem`/`server.key` (what this node serves). An existing data directory's CA is adopted by the first node
 * that stores one, so upgrading a single node keeps the CA its clients already trust.
 */
import fs from "node:fs";
import path from "node:path";
import { logger } from "../logging/logger.js";
import { certificateFits, createCertificateAuthority, issueServerCertificate, type IssuedCertificate } from "../crypto/x509.js";
import type { Keyring } from "../domain/keyring.js";
import type { SettingsStore } from "../storage/types.js";
import { operatorTls, writePrivateFile, type TlsMaterial } from "./bootstrap.js";

const CA_SETTING = "tls.ca";
const CA_KEY_CONTEXT = "kluis:tls-ca-key";
const SERVER_KEY_CONTEXT = "kluis:tls-server-key";

interface StoredCertificate {
  cert: string;
  /** The private key PEM, sealed with the keyring, base64. */
  key: string;
}

export interface TlsNames {
  authorityHost: string;
  vaultSuffix: string;
}

export async function ensureSharedTls(
  settings: SettingsStore,
  keyring: Keyring,
  dataDir: string,
  names: TlsNames,
  bring?: { certFile?: string; keyFile?: string },
): Promise<TlsMaterial> {
  // The operator's own certificate (e.g. from a public CA for *.vault.example.com) needs nothing from us.
  if (bring?.certFile && bring.keyFile) return operatorTls(bring.certFile, bring.keyFile);
  const dir = path.join(dataDir, "tls");
  const caFile = path.join(dir, "ca.pem");
  const ca = await sharedCa(settings, keyring, dir);
  writePublicFile(caFile, ca.certPem);

  const probe = `probe.${names.vaultSuffix}`;
  const hosts = [names.authorityHost, probe];
  // Keyed by the names: nodes configured alike share one certificate; settings are write-once, so a node with
  // other names (or a stored certificate near expiry) issues its own from the same CA, still trusted by clients.
  const setting = `tls.server:${names.authorityHost}|${names.vaultSuffix}`;
  let server = await readStored(settings, keyring, setting, SERVER_KEY_CONTEXT);
  if (!server || !certificateFits(server.certPem, ca.certPem, hosts)) {
    const local = readLocal(path.join(dir, "server.pem"), path.join(dir, "server.key"));
    const issued =
      local && certificateFits(local.certPem, ca.certPem, hosts)
        ? local
        : await issueServerCertificate(ca, [...new Set([names.authorityHost, "localhost", `*.${names.vaultSuffix}`])], ["127.0.0.1", "::1"]);
    server = server ? issued : await storeFirst(settings, keyring, setting, SERVER_KEY_CONTEXT, withChain(issued, ca));
  }
  const chain = withChain(server, ca);
  writePrivateFile(path.join(dir, "server.key"), chain.keyPem);
  writePublicFile(path.join(dir, "server.pem"), chain.certPem);
  return { cert: chain.certPem, key: chain.keyPem, caFile };
}

async function sharedCa(settings: SettingsStore, keyring: Keyring, dir: string): Promise<IssuedCertificate> {
  const stored = await readStored(settings, keyring, CA_SETTING, CA_KEY_CONTEXT);
  if (stored) {
    const local = fs.existsSync(path.join(dir, "ca.pem")) ? fs.readFileSync(path.join(dir, "ca.pem"), "utf8") : null;
    if (local !== null && local.trim() !== stored.certPem.trim()) {
      logger.warn({ component: "tls" }, `replacing ${path.join(dir, "ca.pem")} with the CA stored in the database`);
    }
    return stored;
  }
  const candidate = readLocal(path.join(dir, "ca.pem"), path.join(dir, "ca.key")) ?? (await createCertificateAuthority("Kluis Local CA"));
  // Nodes starting together race here; the first stored CA wins and everyone uses it.
  return storeFirst(settings, keyring, CA_SETTING, CA_KEY_CONTEXT, candidate);
}

async function storeFirst(settings: SettingsStore, keyring: Keyring, key: string, context: string, value: IssuedCertificate): Promise<IssuedCertificate> {
  const sealed = (await keyring.seal(value.keyPem, context)).toString("base64");
  const record: StoredCertificate = { cert: value.certPem, key: sealed };
  const winner = await settings.putIfAbsent(key, JSON.stringify(record));
  return parseStored(winner, keyring, context);
}

async function readStored(settings: SettingsStore, keyring: Keyring, key: string, context: string): Promise<IssuedCertificate | null> {
  const raw = await settings.get(key);
  return raw === null ? null : parseStored(raw, keyring, context);
}

async function parseStored(raw: string, keyring: Keyring, context: string): Promise<IssuedCertificate> {
  const record = JSON.parse(raw) as StoredCertificate;
  return { certPem: record.cert, keyPem: await keyring.openString(Buffer.from(record.key, "base64"), context) };
}

function readLocal(certFile: string, keyFile: string): IssuedCertificate | null {
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) return null;
  return { certPem: fs.readFileSync(certFile, "utf8"), keyPem: fs.readFileSync(keyFile, "utf8") };
}

/** The leaf followed by the CA, so clients that only hold the CA build the chain without fetching anything. */
function withChain(leaf: IssuedCertificate, ca: IssuedCertificate): IssuedCertificate {
  const first = leaf.certPem.trim();
  const caPem = ca.certPem.trim();
  return first.includes(caPem) ? leaf : { certPem: `${first}\n${caPem}\n`, keyPem: leaf.keyPem };
}

function writePublicFile(file: string, content: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === content) return;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o644 });
}
