/**
 * Certificates, bad input: malformed policies, imports and merges that cannot be read or do not fit, pending
 * operations, issuers, contacts, backups, names and bodies that Key Vault refuses — each a 4xx with Azure's status,
 * code and message (never a 5xx), and the vault exactly as it was: every certificate's versions, policy, pending
 * operation, key and secret read back unchanged. A certificate's own key and secret refuse the keys and secrets
 * APIs (403 …ManagedByKeyVault) and stay out of their deleted lists. No reply and no log line carries a private
 * key or a password.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { claims, createKeyVault, token } from "../harness/clients.js";
import { assertAzureError, probe, type Probe } from "../harness/probes.js";
import { startServer, type KluisServer } from "../harness/server.js";

const VAULT = "bad-certs-kv";
const PFX_PASSWORD = "right-pass-5e1f";
const WRONG_PASSWORD = "wrong-pass-77c2";
const ISSUER_PASSWORD = "issuer-pass-09ad";
const tooManyTags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"]));
/** The certificates whose every observable part must survive a refused request. */
const WATCHED = ["existing", "awaiting", "imported", "fresh"];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-cert-bad-"));
function openssl(args: string[]): void {
  execFileSync("openssl", args, { cwd: tmp, timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
}
const read = (file: string) => fs.readFileSync(path.join(tmp, file), "utf8");
const derOf = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
/** A line from the middle of a PEM private key: no reply or log may ever contain it. */
const keyLine = (pem: string) => pem.split("\n")[5]!;

interface Case {
  label: string;
  method: string;
  path: string;
  body?: () => unknown;
  status: number;
  code: string;
  message: string | RegExp;
  inner?: string;
}

describe("certificates: bad input changes nothing", { timeout: 600_000 }, () => {
  let server: KluisServer;
  let bearer: string;
  const errorReplies: Probe[] = [];
  const kv = (method: string, p: string, body?: unknown, apiVersion = "7.5"): Promise<Probe> =>
    probe(method, `${server.vaultUrl(VAULT)}${p}${p.includes("?") ? "&" : "?"}api-version=${apiVersion}`, { bearer, body });

  /** Everything observable about the watched certificates (and their keys and secrets), issuers and contacts. */
  async function snapshot(): Promise<unknown> {
    const parts: unknown[] = [];
    for (const n of WATCHED) {
      for (const p of [`/certificates/${n}`, `/certificates/${n}/versions`, `/certificates/${n}/policy`, `/certificates/${n}/pending`, `/keys/${n}`, `/keys/${n}/versions`, `/secrets/${n}`, `/secrets/${n}/versions`]) {
        const r = await kv("GET", p);
        parts.push([p, r.status, r.body]);
      }
    }
    for (const p of ["/certificates?includePending=true", "/deletedcertificates", "/certificates/issuers", "/certificates/issuers/partner", "/certificates/contacts", "/keys", "/deletedkeys", "/secrets", "/deletedsecrets"]) {
      const r = await kv("GET", p);
      parts.push([p, r.status, r.body]);
    }
    return parts;
  }

  async function settled(name: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pending = await kv("GET", `/certificates/${name}/pending`);
      assert.equal(pending.status, 200, pending.text);
      if (pending.body.status === "completed") return;
      assert.equal(pending.body.status, "inProgress", pending.text);
      assert.ok(Date.now() < deadline, `${name} did not complete: ${pending.text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // Made with openssl: certificate A with its key, a second key B, certificate C with its key.
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "a.key", "-out", "a.crt", "-subj", "/CN=a.example.test", "-days", "30"]);
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "b.key"]);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "c.key", "-out", "c.crt", "-subj", "/CN=c.example.test", "-days", "30"]);
  openssl(["pkcs12", "-export", "-inkey", "a.key", "-in", "a.crt", "-out", "a.pfx", "-passout", `pass:${PFX_PASSWORD}`]);
  const aKey = read("a.key");
  const aCert = read("a.crt");
  const bKey = read("b.key");
  const aPfx = fs.readFileSync(path.join(tmp, "a.pfx")).toString("base64");
  const needles = [PFX_PASSWORD, WRONG_PASSWORD, ISSUER_PASSWORD, keyLine(aKey), keyLine(bKey), derOf(aKey).slice(40, 120), derOf(bKey).slice(40, 120)];

  before(async () => {
    server = await startServer({ accessLog: true });
    const management = await token(server, "https://management.azure.com");
    await createKeyVault(server, management, "rg-bad-certs", VAULT, String(claims(management).oid));
    bearer = await token(server, `https://vault.localhost:${server.port}`);
    const created = await kv("POST", "/certificates/existing/create", {
      policy: { key_props: { kty: "EC", crv: "P-256" }, x509_props: { subject: "CN=existing.example.test", validity_months: 12 }, issuer: { name: "Self" } },
      tags: { keep: "me" },
    });
    assert.equal(created.status, 202, created.text);
    await settled("existing");
    const awaiting = await kv("POST", "/certificates/awaiting/create", { policy: { key_props: { kty: "EC" }, x509_props: { subject: "CN=awaiting.example.test" }, issuer: { name: "Unknown" } } });
    assert.equal(awaiting.status, 202, awaiting.text);
    const imported = await kv("POST", "/certificates/imported/import", { value: `${read("c.key")}${read("c.crt")}`, policy: { secret_props: { contentType: "application/x-pem-file" } } });
    assert.equal(imported.status, 200, imported.text);
    assert.equal((await kv("PUT", "/certificates/issuers/partner", { provider: "DigiCert", credentials: { account_id: "acct", pwd: ISSUER_PASSWORD } })).status, 200);
    assert.equal((await kv("PUT", "/certificates/contacts", { contacts: [{ email: "ops@example.test", name: "Ops" }] })).status, 200);
    assert.equal((await kv("POST", "/keys/plainkey/create", { kty: "EC" })).status, 200);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const create = (policy: unknown) => () => ({ policy });
  const policyCase = (label: string, policy: unknown, message: string | RegExp): Case => ({ label: `create: ${label}`, method: "POST", path: "/certificates/existing/create", body: create(policy), status: 400, code: "BadParameter", message });
  const patchPolicy = (label: string, policy: unknown, message: string | RegExp): Case => ({ label: `update policy: ${label}`, method: "PATCH", path: "/certificates/existing/policy", body: () => policy, status: 400, code: "BadParameter", message });
  const importCase = (label: string, body: () => unknown, message: string | RegExp): Case => ({ label: `import: ${label}`, method: "POST", path: "/certificates/existing/import", body, status: 400, code: "BadParameter", message });
  const mergeCase = (label: string, body: () => unknown, message: string | RegExp, p = "/certificates/awaiting/pending/merge"): Case => ({ label: `merge: ${label}`, method: "POST", path: p, body, status: 400, code: "BadParameter", message });
  const issuerCase = (label: string, name: string, body: unknown, message: string | RegExp, method = "PUT"): Case => ({ label: `issuer: ${label}`, method, path: `/certificates/issuers/${name}`, body: () => body, status: 400, code: "BadParameter", message });
  const contactsCase = (label: string, body: unknown, message: string | RegExp): Case => ({ label: `contacts: ${label}`, method: "PUT", path: "/certificates/contacts", body: () => body, status: 400, code: "BadParameter", message });
  const managed = (label: string, method: string, p: string, body: unknown, operation: string, inner: string): Case => ({
    label: `managed ${label}`,
    method,
    path: p,
    body: () => body,
    status: 403,
    code: "Forbidden",
    message: `Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`,
    inner,
  });
  const notFound = (what: string) => `A certificate with (name/id) ${what} was not found in this key vault.`;
  const range = (field: string, min: number, max: number) => `The property '${field}' must be an integer between ${min} and ${max}.`;

  const cases: Case[] = [
    // Policies, on create (the certificate exists and its last operation is complete) and on PATCH …/policy.
    policyCase("policy not an object", "RSA", "The property 'policy' must be an object."),
    policyCase("policy an array", [], "The property 'policy' must be an object."),
    { ...policyCase("no policy for a new certificate", undefined, "The certificate policy (policy) is required."), path: "/certificates/fresh/create" },
    policyCase("unknown kty", { key_props: { kty: "DSA" } }, "Invalid kty value: DSA"),
    policyCase("RSA 1024", { key_props: { kty: "RSA", key_size: 1024 } }, "Unsupported key size (1024). Supported sizes are [2048, 3072, 4096]"),
    policyCase("unknown curve", { key_props: { kty: "EC", crv: "P-999" } }, "Unsupported curve 'P-999'."),
    policyCase("RSA-HSM", { key_props: { kty: "RSA-HSM", key_size: 2048 } }, "Hardware key operation not allowed on standard vault"),
    policyCase("EC-HSM", { key_props: { kty: "EC-HSM", crv: "P-256" } }, "Hardware key operation not allowed on standard vault"),
    policyCase("exportable not a boolean", { key_props: { exportable: "yes" } }, "The property 'key_props.exportable' must be a boolean."),
    policyCase("unknown content type", { secret_props: { contentType: "application/json" } }, "Invalid content type 'application/json'. The supported content types are 'application/x-pkcs12' and 'application/x-pem-file'."),
    policyCase("validity_months 0", { x509_props: { validity_months: 0 } }, range("x509_props.validity_months", 1, 1200)),
    policyCase("validity_months 1201", { x509_props: { validity_months: 1201 } }, range("x509_props.validity_months", 1, 1200)),
    policyCase("validity_months 1.5", { x509_props: { validity_months: 1.5 } }, range("x509_props.validity_months", 1, 1200)),
    policyCase(
      "two lifetime actions",
      { lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "AutoRenew" } }, { trigger: { days_before_expiry: 10 }, action: { action_type: "EmailContacts" } }] },
      "Only one lifetime action is allowed in a certificate policy.",
    ),
    policyCase("lifetime percentage 100", { lifetime_actions: [{ trigger: { lifetime_percentage: 100 }, action: { action_type: "AutoRenew" } }] }, range("trigger.lifetime_percentage", 1, 99)),
    policyCase("lifetime percentage 0", { lifetime_actions: [{ trigger: { lifetime_percentage: 0 }, action: { action_type: "AutoRenew" } }] }, range("trigger.lifetime_percentage", 1, 99)),
    policyCase(
      "percentage and days",
      { lifetime_actions: [{ trigger: { lifetime_percentage: 50, days_before_expiry: 10 }, action: { action_type: "AutoRenew" } }] },
      "A lifetime action's trigger must have exactly one of 'lifetime_percentage' and 'days_before_expiry'.",
    ),
    policyCase("trigger without either", { lifetime_actions: [{ trigger: {}, action: { action_type: "EmailContacts" } }] }, "must have exactly one of"),
    policyCase("unknown action type", { lifetime_actions: [{ trigger: { lifetime_percentage: 50 }, action: { action_type: "Explode" } }] }, "Invalid action type 'Explode'. Valid values are [EmailContacts, AutoRenew]"),
    policyCase("lifetime_actions not an array", { lifetime_actions: { action: "AutoRenew" } }, "The property 'lifetime_actions' must be an array."),
    policyCase("unknown key usage", { x509_props: { key_usage: ["digitalSignature", "everything"] } }, "Invalid key usage 'everything'. Valid values are [digitalSignature"),
    policyCase("key usage not an array", { x509_props: { key_usage: "digitalSignature" } }, "The property 'x509_props.key_usage' must be an array"),
    policyCase("EKU that is not an OID", { x509_props: { ekus: ["serverAuth"] } }, "The extended key usage 'serverAuth' is not a valid object identifier."),
    policyCase("DNS name with spaces", { x509_props: { sans: { dns_names: ["web site.example.test"] } } }, "The DNS name 'web site.example.test' is not valid."),
    policyCase("e-mail SAN without @", { x509_props: { sans: { emails: ["ops.example.test"] } } }, "The address 'ops.example.test' is not valid."),
    policyCase("no subject and no SANs", { x509_props: { subject: "" } }, "The policy must name a subject (x509_props.subject) or at least one subject alternative name."),
    policyCase("subject that is not a distinguished name", { x509_props: { subject: "just some words" } }, "The subject name 'just some words' is not a valid X.500 distinguished name."),
    policyCase("subject with an unknown attribute", { x509_props: { subject: "CN=a, XYZ=b" } }, "is not a valid X.500 distinguished name."),
    policyCase("issuer name empty", { issuer: { name: "" } }, "The issuer name (issuer.name) must be a non-empty string of at most 127 characters."),
    policyCase("issuer that does not exist", { issuer: { name: "NoSuchIssuer" } }, "Issuer not found: NoSuchIssuer."),
    patchPolicy("RSA 1024", { key_props: { kty: "RSA", key_size: 1024 } }, "Unsupported key size (1024)"),
    patchPolicy("issuer that does not exist", { issuer: { name: "NoSuchIssuer" } }, "Issuer not found: NoSuchIssuer."),
    patchPolicy("subject that is not a distinguished name", { x509_props: { subject: "no equals sign" } }, "is not a valid X.500 distinguished name."),
    patchPolicy("validity_months 0", { x509_props: { validity_months: 0 } }, range("x509_props.validity_months", 1, 1200)),
    patchPolicy("body not an object", [1, 2], "The request body must be a JSON object."),
    { label: "update policy: missing certificate", method: "PATCH", path: "/certificates/nothing/policy", body: () => ({ x509_props: { validity_months: 6 } }), status: 404, code: "CertificateNotFound", message: notFound("nothing") },
    { label: "get policy: missing certificate", method: "GET", path: "/certificates/nothing/policy", status: 404, code: "CertificateNotFound", message: notFound("nothing") },
    // Create, other than the policy.
    { label: "create: body not JSON", method: "POST", path: "/certificates/existing/create", body: () => "{policy:", status: 400, code: "BadParameter", message: "The request body is not valid JSON." },
    { label: "create: body not an object", method: "POST", path: "/certificates/existing/create", body: () => "[]", status: 400, code: "BadParameter", message: "The request body must be a JSON object." },
    { label: "create: invalid name", method: "POST", path: "/certificates/bad_name/create", body: create({ issuer: { name: "Self" } }), status: 400, code: "BadParameter", message: "The request URI contains an invalid name: bad_name" },
    { label: "create: name of 128 characters", method: "POST", path: `/certificates/${"n".repeat(128)}/create`, body: create({ issuer: { name: "Self" } }), status: 400, code: "BadParameter", message: "invalid name" },
    { label: "create: 16 tags", method: "POST", path: "/certificates/existing/create", body: () => ({ policy: { issuer: { name: "Self" } }, tags: tooManyTags }), status: 400, code: "BadParameter", message: "at most 15 tags" },
    { label: "create: enabled not a boolean", method: "POST", path: "/certificates/existing/create", body: () => ({ policy: {}, attributes: { enabled: "yes" } }), status: 400, code: "BadParameter", message: "The attribute 'enabled' must be a boolean." },
    { label: "create: preserveCertOrder not a boolean", method: "POST", path: "/certificates/existing/create", body: () => ({ policy: {}, preserveCertOrder: "yes" }), status: 400, code: "BadParameter", message: "The property 'preserveCertOrder' must be a boolean." },
    {
      label: "create: an operation is already in progress",
      method: "POST",
      path: "/certificates/awaiting/create",
      body: create({ key_props: { kty: "RSA", key_size: 3072 }, x509_props: { subject: "CN=changed.example.test" }, issuer: { name: "Self" } }),
      status: 409,
      code: "Conflict",
      message: "Certificate awaiting has a pending operation in progress; complete, cancel or delete it first.",
    },
    {
      label: "create: the name of a plain key",
      method: "POST",
      path: "/certificates/plainkey/create",
      body: create({ issuer: { name: "Self" }, x509_props: { subject: "CN=plain" } }),
      status: 409,
      code: "Conflict",
      message: "A secret or key named plainkey already exists in this vault and does not belong to a certificate",
    },
    // Import.
    importCase("garbage base64", () => ({ value: Buffer.from("not a pfx at all").toString("base64") }), "The specified PKCS#12 X.509 certificate content can not be read."),
    importCase("not base64 at all", () => ({ value: "%%% !!! %%%" }), "The specified PKCS#12 X.509 certificate content can not be read."),
    importCase("PFX with the wrong password", () => ({ value: aPfx, pwd: WRONG_PASSWORD, policy: { key_props: { kty: "RSA" } } }), "Unable to decrypt the certificate's private key. Please check the password."),
    importCase("PFX without its password", () => ({ value: aPfx, policy: { key_props: { kty: "RSA" } } }), "Unable to decrypt the certificate's private key. Please check the password."),
    importCase("PEM whose key is not the certificate's", () => ({ value: `${bKey}${aCert}`, policy: { key_props: { kty: "RSA" } } }), "does not match"),
    importCase("PEM without a key", () => ({ value: aCert }), "The PEM content has no private key."),
    importCase("PEM without a certificate", () => ({ value: aKey }), "The specified PEM X.509 certificate content is in an unexpected format."),
    importCase("PEM declared as PFX", () => ({ value: `${aKey}${aCert}`, policy: { secret_props: { contentType: "application/x-pkcs12" } } }), "The specified PKCS#12 X.509 certificate content can not be read."),
    importCase("no value", () => ({ pwd: "x" }), "The certificate to import (value) is required: a base64 PFX or a PEM bundle."),
    importCase("value not a string", () => ({ value: 42 }), "The certificate to import (value) is required"),
    importCase("value of 200001 characters", () => ({ value: "A".repeat(200_001) }), "The certificate to import (value) is required"),
    importCase("password not a string", () => ({ value: aPfx, pwd: 1234 }), "The password (pwd) must be a string."),
    importCase("policy key type not the certificate's", () => ({ value: aPfx, pwd: PFX_PASSWORD, policy: { key_props: { kty: "EC" } } }), "The key type of the policy does not match the certificate's key."),
    importCase("bad policy", () => ({ value: aPfx, pwd: PFX_PASSWORD, policy: { key_props: { kty: "RSA" }, x509_props: { validity_months: 0 } } }), range("x509_props.validity_months", 1, 1200)),
    { label: "import: invalid name", method: "POST", path: "/certificates/bad.name/import", body: () => ({ value: aPfx, pwd: PFX_PASSWORD }), status: 400, code: "BadParameter", message: "The request URI contains an invalid name: bad.name" },
    { label: "import: body over 1 MiB", method: "POST", path: "/certificates/existing/import", body: () => ({ value: "A".repeat(1024 * 1024 + 10) }), status: 413, code: "RequestTooLarge", message: "exceeds the limit of 1048576 bytes" },
    // Merge.
    mergeCase("x5c not an array", () => ({ x5c: "MIIB" }), "The certificates to merge (x5c) must be a non-empty array of base64 DER certificates."),
    mergeCase("x5c empty", () => ({ x5c: [] }), "The certificates to merge (x5c) must be a non-empty array"),
    mergeCase("no x5c", () => ({}), "The certificates to merge (x5c) must be a non-empty array"),
    mergeCase("garbage DER", () => ({ x5c: [Buffer.from("garbage, not DER").toString("base64")] }), "The certificate content is not a valid DER X.509 certificate."),
    mergeCase("a certificate for another key", () => ({ x5c: [derOf(aCert)] }), "Public key from x509 certificate and key of this instance doesn't match"),
    mergeCase("enabled not a boolean", () => ({ x5c: [derOf(aCert)], attributes: { enabled: 1 } }), "The attribute 'enabled' must be a boolean."),
    mergeCase("on a Self operation", () => ({ x5c: [derOf(aCert)] }), "Merge is only allowed on a pending certificate operation of issuer 'Unknown' that is in progress.", "/certificates/existing/pending/merge"),
    { label: "merge: body not JSON", method: "POST", path: "/certificates/awaiting/pending/merge", body: () => "x5c=", status: 400, code: "BadParameter", message: "The request body is not valid JSON." },
    { label: "merge: no operation", method: "POST", path: "/certificates/imported/pending/merge", body: () => ({ x5c: [derOf(aCert)] }), status: 404, code: "PendingCertificateNotFound", message: "Pending certificate not found: imported" },
    // Pending operations.
    { label: "cancel without cancellation_requested", method: "PATCH", path: "/certificates/awaiting/pending", body: () => ({}), status: 400, code: "BadParameter", message: "The property 'cancellation_requested' is required and must be a boolean." },
    { label: "cancel with a string", method: "PATCH", path: "/certificates/awaiting/pending", body: () => ({ cancellation_requested: "true" }), status: 400, code: "BadParameter", message: "'cancellation_requested' is required" },
    { label: "get pending: none", method: "GET", path: "/certificates/imported/pending", status: 404, code: "PendingCertificateNotFound", message: "Pending certificate not found: imported" },
    { label: "get pending: no certificate", method: "GET", path: "/certificates/nothing/pending", status: 404, code: "PendingCertificateNotFound", message: "Pending certificate not found: nothing" },
    { label: "cancel: none", method: "PATCH", path: "/certificates/imported/pending", body: () => ({ cancellation_requested: true }), status: 404, code: "PendingCertificateNotFound", message: "Pending certificate not found: imported" },
    { label: "delete pending: none", method: "DELETE", path: "/certificates/imported/pending", status: 404, code: "PendingCertificateNotFound", message: "Pending certificate not found: imported" },
    // Get, update, the deleted-certificate cycle, backup and restore.
    { label: "get: missing certificate", method: "GET", path: "/certificates/nothing", status: 404, code: "CertificateNotFound", message: notFound("nothing") },
    { label: "get: unknown version", method: "GET", path: "/certificates/existing/0123456789abcdef0123456789abcdef", status: 404, code: "CertificateNotFound", message: notFound("existing/0123456789abcdef0123456789abcdef") },
    { label: "update: 16 tags", method: "PATCH", path: "/certificates/existing", body: () => ({ tags: tooManyTags }), status: 400, code: "BadParameter", message: "at most 15 tags" },
    { label: "update: enabled not a boolean", method: "PATCH", path: "/certificates/existing", body: () => ({ attributes: { enabled: "no" } }), status: 400, code: "BadParameter", message: "The attribute 'enabled' must be a boolean." },
    { label: "update: bad policy", method: "PATCH", path: "/certificates/existing", body: () => ({ policy: { x509_props: { validity_months: 5000 } }, tags: { changed: "yes" } }), status: 400, code: "BadParameter", message: range("x509_props.validity_months", 1, 1200) },
    { label: "update: unknown version", method: "PATCH", path: "/certificates/existing/0123456789abcdef0123456789abcdef", body: () => ({ tags: {} }), status: 404, code: "CertificateNotFound", message: notFound("existing/0123456789abcdef0123456789abcdef") },
    { label: "get deleted: live certificate", method: "GET", path: "/deletedcertificates/existing", status: 404, code: "CertificateNotFound", message: "Deleted Certificate not found: existing" },
    { label: "recover: live certificate", method: "POST", path: "/deletedcertificates/existing/recover", status: 404, code: "CertificateNotFound", message: "Deleted Certificate not found: existing" },
    { label: "purge: live certificate", method: "DELETE", path: "/deletedcertificates/existing", status: 404, code: "CertificateNotFound", message: "Deleted Certificate not found: existing" },
    { label: "delete: missing certificate", method: "DELETE", path: "/certificates/nothing", status: 404, code: "CertificateNotFound", message: notFound("nothing") },
    { label: "backup: missing certificate", method: "POST", path: "/certificates/nothing/backup", status: 404, code: "CertificateNotFound", message: notFound("nothing") },
    { label: "restore: no value", method: "POST", path: "/certificates/restore", body: () => ({}), status: 400, code: "BadParameter", message: "The backup blob ('value') is required and must be a base64url string." },
    { label: "restore: garbage", method: "POST", path: "/certificates/restore", body: () => ({ value: "bm90IGEgYmFja3Vw" }), status: 400, code: "BadParameter", message: "Backup blob contains invalid or corrupt version." },
    { label: "list: maxresults 26", method: "GET", path: "/certificates?maxresults=26", status: 400, code: "BadParameter", message: "maxresults" },
    // Issuers.
    issuerCase("unknown provider", "acme", { provider: "Acme" }, "Provider 'Acme' is not supported. Supported providers are [DigiCert, GlobalSign, OneCertV2-PublicCA, OneCertV2-PrivateCA, Kluis]"),
    issuerCase("no provider", "acme", { credentials: { account_id: "a" } }, "The issuer provider (provider) is required."),
    issuerCase("reserved name Self", "Self", { provider: "DigiCert" }, "'Self' is a reserved issuer name."),
    issuerCase("reserved name unknown", "unknown", { provider: "DigiCert" }, "'unknown' is a reserved issuer name."),
    issuerCase("invalid name", "bad_issuer", { provider: "DigiCert" }, "The issuer name must be 1 to 127 letters, digits and dashes."),
    issuerCase("org_details not an object", "acme", { provider: "DigiCert", org_details: "Contoso" }, "The property 'org_details' must be an object."),
    issuerCase("admin_details not an array", "acme", { provider: "DigiCert", org_details: { admin_details: { email: "a@b.test" } } }, "The property 'org_details.admin_details' must be an array of at most 16 entries."),
    issuerCase("admin e-mail not a string", "acme", { provider: "DigiCert", org_details: { admin_details: [{ email: 7 }] } }, "The property 'admin_details.email' must be a string"),
    issuerCase("credentials not an object", "acme", { provider: "DigiCert", credentials: "secret" }, "The property 'credentials' must be an object."),
    issuerCase("enabled not a boolean", "acme", { provider: "DigiCert", attributes: { enabled: "yes" } }, "The attribute 'enabled' must be a boolean."),
    issuerCase("update to an unknown provider", "partner", { provider: "Acme" }, "Provider 'Acme' is not supported.", "PATCH"),
    { label: "issuer: body not JSON", method: "PUT", path: "/certificates/issuers/acme", body: () => "{provider", status: 400, code: "BadParameter", message: "The request body is not valid JSON." },
    { label: "issuer: update a missing one", method: "PATCH", path: "/certificates/issuers/nothing", body: () => ({ provider: "DigiCert" }), status: 404, code: "CertificateIssuerNotFound", message: "Issuer not found: nothing" },
    { label: "issuer: get a missing one", method: "GET", path: "/certificates/issuers/nothing", status: 404, code: "CertificateIssuerNotFound", message: "Issuer not found: nothing" },
    { label: "issuer: delete a missing one", method: "DELETE", path: "/certificates/issuers/nothing", status: 404, code: "CertificateIssuerNotFound", message: "Issuer not found: nothing" },
    // Contacts.
    contactsCase("empty list", { contacts: [] }, "The contact list (contacts) must be a non-empty array."),
    contactsCase("not an array", { contacts: "ops@example.test" }, "The contact list (contacts) must be a non-empty array."),
    contactsCase("no list", {}, "The contact list (contacts) must be a non-empty array."),
    contactsCase("invalid e-mail", { contacts: [{ email: "not an e-mail" }] }, "Each contact needs a valid e-mail address (email)."),
    contactsCase("no e-mail", { contacts: [{ name: "Nobody" }] }, "Each contact needs a valid e-mail address (email)."),
    contactsCase("entry not an object", { contacts: ["ops@example.test"] }, "The property 'contacts[0]' must be an object."),
    contactsCase("65 contacts", { contacts: Array.from({ length: 65 }, (_, i) => ({ email: `c${i}@example.test` })) }, "At most 64 contacts are allowed."),
    // A certificate's key and secret belong to it: the keys and secrets APIs may not change them.
    managed("secret set", "PUT", "/secrets/existing", { value: "replaced" }, "set", "SecretManagedByKeyVault"),
    managed("secret delete", "DELETE", "/secrets/existing", undefined, "delete", "SecretManagedByKeyVault"),
    managed("key create", "POST", "/keys/existing/create", { kty: "EC" }, "create", "KeyManagedByKeyVault"),
    managed("key import", "PUT", "/keys/existing", { key: { kty: "EC", crv: "P-256", x: "AA", y: "AA", d: "AA" } }, "import", "KeyManagedByKeyVault"),
    managed("key rotate", "POST", "/keys/existing/rotate", undefined, "rotate", "KeyManagedByKeyVault"),
    managed("key delete", "DELETE", "/keys/existing", undefined, "delete", "KeyManagedByKeyVault"),
  ];

  for (const c of cases) {
    it(`${c.label}: ${c.status} ${c.code}, nothing changed`, { timeout: 60_000 }, async () => {
      const before = await snapshot();
      const reply = await kv(c.method, c.path, c.body?.());
      errorReplies.push(reply);
      assertAzureError(reply, c.status, c.code, c.message, c.inner);
      assert.deepEqual(await snapshot(), before);
    });
  }

  it("the Unknown operation is still in progress after every refused merge, and can still be merged", { timeout: 60_000 }, async () => {
    const pending = await kv("GET", "/certificates/awaiting/pending");
    assert.equal(pending.status, 200, pending.text);
    assert.equal(pending.body.status, "inProgress");
    assert.equal(pending.body.cancellation_requested, false);
    // Sign its CSR with certificate A's key (as a CA would) and merge: the operation was not spoilt.
    fs.writeFileSync(path.join(tmp, "awaiting.csr"), `-----BEGIN CERTIFICATE REQUEST-----\n${String(pending.body.csr).match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE REQUEST-----\n`);
    openssl(["x509", "-req", "-in", "awaiting.csr", "-CA", "a.crt", "-CAkey", "a.key", "-CAcreateserial", "-out", "awaiting.crt", "-days", "10"]);
    const merged = await kv("POST", "/certificates/awaiting/pending/merge", { x5c: [derOf(read("awaiting.crt")), derOf(aCert)] });
    assert.equal(merged.status, 201, merged.text);
    assert.equal((await kv("GET", "/certificates/awaiting/pending")).body.status, "completed");
  });

  it("a tampered certificate backup, a key backup and the backup of a live certificate do not restore", { timeout: 60_000 }, async () => {
    const certBlob = (await kv("POST", "/certificates/existing/backup")).body.value as string;
    const keyBlob = (await kv("POST", "/keys/plainkey/backup")).body.value as string;
    const tampered = Buffer.from(certBlob, "base64url");
    tampered[tampered.length - 5]! ^= 1;
    const before = await snapshot();
    for (const [value, status, code, message] of [
      [tampered.toString("base64url"), 400, "BadParameter", "Backup blob contains invalid or corrupt version."],
      [keyBlob, 400, "BadParameter", "Backup blob contains invalid or corrupt version."],
      [certBlob.slice(0, certBlob.length / 2), 400, "BadParameter", "Backup blob contains invalid or corrupt version."],
      [certBlob, 409, "Conflict", "Certificate existing already exists."],
    ] as const) {
      const reply = await kv("POST", "/certificates/restore", { value });
      errorReplies.push(reply);
      assertAzureError(reply, status, code, message);
    }
    assertAzureError(await kv("POST", "/keys/restore", { value: certBlob }), 400, "BadParameter", "corrupt");
    assertAzureError(await kv("POST", "/secrets/restore", { value: certBlob }), 400, "BadParameter", "corrupt");
    assert.deepEqual(await snapshot(), before);
  });

  it("a deleted certificate's key and secret are listed only as the deleted certificate, and refuse the keys and secrets APIs", { timeout: 60_000 }, async () => {
    assert.equal((await kv("POST", "/certificates/doomed/create", { policy: { key_props: { kty: "EC" }, x509_props: { subject: "CN=doomed" }, issuer: { name: "Self" } } })).status, 202);
    await settled("doomed");
    assert.equal((await kv("DELETE", "/certificates/doomed")).status, 200);
    const names = (reply: Probe) => (reply.body.value as { recoveryId?: string; kid?: string; id?: string }[]).map((d) => String(d.recoveryId).split("/").pop());
    assert.deepEqual(names(await kv("GET", "/deletedcertificates")), ["doomed"]);
    assert.ok(!names(await kv("GET", "/deletedsecrets")).includes("doomed"));
    assert.ok(!names(await kv("GET", "/deletedkeys")).includes("doomed"));
    const managedReplies = [
      [await kv("POST", "/deletedsecrets/doomed/recover"), "recover", "SecretManagedByKeyVault"],
      [await kv("DELETE", "/deletedsecrets/doomed"), "purge", "SecretManagedByKeyVault"],
      [await kv("POST", "/deletedkeys/doomed/recover"), "recover", "KeyManagedByKeyVault"],
      [await kv("DELETE", "/deletedkeys/doomed"), "purge", "KeyManagedByKeyVault"],
    ] as const;
    for (const [reply, operation, inner] of managedReplies) {
      assertAzureError(reply, 403, "Forbidden", `Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`, inner);
    }
    // The certificate's own recover brings all three back.
    assert.equal((await kv("POST", "/deletedcertificates/doomed/recover")).status, 200);
    assert.equal((await kv("GET", "/keys/doomed")).status, 200);
    assert.equal((await kv("GET", "/secrets/doomed")).status, 200);
  });

  it("no reply and no log line carries a private key or a password", () => {
    assert.ok(errorReplies.length > 100, `${errorReplies.length} replies`);
    for (const reply of errorReplies) {
      assert.ok(!reply.text.includes("PRIVATE KEY"), reply.text);
      for (const needle of needles) assert.ok(!reply.text.includes(needle), `a reply contains secret material: ${reply.text.slice(0, 300)}`);
    }
    const output = server.output();
    assert.ok(output.length > 0);
    assert.ok(!output.includes("PRIVATE KEY"), "the server's output contains a private key");
    for (const needle of needles) assert.ok(!output.includes(needle), `the server's output contains ${needle.slice(0, 6)}…`);
    assert.ok(!/"level":"error"/.test(output), `the server logged an unexpected error:\n${output.slice(-3000)}`);
  });
});
