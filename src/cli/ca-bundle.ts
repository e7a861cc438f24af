/**
 * The trust bundle handed to programs run by `kluis vm exec`: the system's public roots plus the Kluis CA.
 * Python's requests (REQUESTS_CA_BUNDLE) and OpenSSL (SSL_CERT_FILE) *replace* their roots with the file they are
 * given, so pointing them at the Kluis CA alone would make every other HTTPS site fail inside the command.
 * (Node's NODE_EXTRA_CA_CERTS adds to its roots, so it keeps naming the Kluis CA alone.)
 */
import fs from "node:fs";
import path from "node:path";
import tls from "node:tls";

/** Debian's (and Ubuntu's) system bundle, as update-ca-certificates writes it. */
export const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
export const BUNDLE_FILE_NAME = "ca-bundle.pem";

/** The system's roots in PEM: the distribution's bundle when it has one, else the roots Node was built with. */
export function systemRootsPem(systemBundle = SYSTEM_BUNDLE): string {
  try {
    const text = fs.readFileSync(systemBundle, "utf8");
    if (text.includes("-----BEGIN CERTIFICATE-----")) return text;
  } catch {
    // No system bundle on this machine: fall through to Node's own copy of the Mozilla roots.
  }
  return tls.rootCertificates.join("\n");
}

export function bundleText(kluisCaPem: string, rootsPem: string): string {
  return `${rootsPem.trim()}\n# Kluis CA\n${kluisCaPem.trim()}\n`;
}

/**
 * Writes (or refreshes) the bundle beside the CA file it is made from — `<dataDir>/tls/ca-bundle.pem` — or, where
 * that directory is not writable by this user, in `fallbackDir`. The file is rewritten only when its content would
 * change (a new server CA, updated system roots), and atomically, so a command already running never reads half of it.
 */
export function ensureCaBundle(caFile: string, fallbackDir: string, systemBundle = SYSTEM_BUNDLE): string {
  const wanted = bundleText(fs.readFileSync(caFile, "utf8"), systemRootsPem(systemBundle));
  const candidates = [path.join(path.dirname(caFile), BUNDLE_FILE_NAME), path.join(fallbackDir, BUNDLE_FILE_NAME)];
  let lastError: unknown;
  for (const target of candidates) {
    try {
      if (readOrNull(target) === wanted) return target;
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      const temporary = `${target}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(temporary, wanted, { mode: 0o644 });
        fs.renameSync(temporary, target);
      } finally {
        fs.rmSync(temporary, { force: true });
      }
      return target;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}
