/**
 * The certificates operations of the permission matrix — every route of src/services/vault/certificates/*-routes.ts
 * (lifecycle, pending operation and merge, policy, backup and restore, issuers, contacts) — as data beside the
 * secrets and keys ones: the vault set-up, the request, the access-policy permission and the RBAC data action each
 * needs. Certificates are made by import (synchronous) so that no background completion changes the vault while a
 * refusal is checked; create's own operation is one whose issuer is Unknown (it waits for a merge).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Kv, Request, SecretOperation } from "./permission-matrix-ops.js";

const C = "Microsoft.KeyVault/vaults/certificates";
const CAS = "Microsoft.KeyVault/vaults/certificatecas";
const CONTACTS = "Microsoft.KeyVault/vaults/certificatecontacts";

/** Every certificate permission an access policy can hold, but "all". */
export const CERT_POLICY_PERMISSIONS = [
  "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "managecontacts",
  "manageissuers", "getissuers", "listissuers", "setissuers", "deleteissuers", "purge",
];
/** The issuer permissions `manageissuers` grants too: "every other permission" leaves it out for them. */
export const ISSUER_PERMISSIONS = ["getissuers", "listissuers", "setissuers", "deleteissuers"];

// One certificate (EC P-256, made by openssl) imported under every name, and a CA (key and certificate) that signs
// the CSRs merge needs.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-cert-matrix-"));
function openssl(args: string[]): void {
  execFileSync("openssl", args, { cwd: tmp, timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
}
openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.crt", "-subj", "/CN=matrix.example.test", "-days", "30"]);
openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=Matrix CA", "-days", "30"]);
process.once("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const read = (file: string) => fs.readFileSync(path.join(tmp, file), "utf8");
/** The PEM bundle (key and certificate) every matrix certificate is imported from. */
export const PEM_BUNDLE = `${read("leaf.key")}${read("leaf.crt")}`;
const derOf = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");

/** An imported certificate `name`; returns its version. */
async function importCert(kv: Kv, name: string): Promise<string> {
  const imported = await kv.ok({ method: "POST", path: `/certificates/${name}/import`, body: { value: PEM_BUNDLE } });
  return String(imported.body.id).split("/").pop()!;
}

async function importDeleted(kv: Kv, name: string): Promise<void> {
  await importCert(kv, name);
  await kv.ok({ method: "DELETE", path: `/certificates/${name}` });
}

/** A certificate whose operation (issuer Unknown) waits for a merge. */
async function pendingCert(kv: Kv, name: string): Promise<string> {
  const started = await kv.ok({ method: "POST", path: `/certificates/${name}/create`, body: { policy: { key_props: { kty: "EC" }, x509_props: { subject: `CN=${name}` }, issuer: { name: "Unknown" } } } });
  return String(started.body.csr);
}

/** Signs a pending certificate's CSR with the matrix CA: the x5c its merge needs. */
function signed(name: string, csr: string): string[] {
  fs.writeFileSync(path.join(tmp, `${name}.csr`), `-----BEGIN CERTIFICATE REQUEST-----\n${csr.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE REQUEST-----\n`);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "10"]);
  return [derOf(read(`${name}.crt`)), derOf(read("ca.crt"))];
}

async function issuer(kv: Kv, name: string): Promise<void> {
  await kv.ok({ method: "PUT", path: `/certificates/issuers/${name}`, body: { provider: "DigiCert", credentials: { account_id: name } } });
}

async function contacts(kv: Kv, name: string): Promise<void> {
  await kv.ok({ method: "PUT", path: "/certificates/contacts", body: { contacts: [{ email: `${name}@example.test`, name }] } });
}

const op = (label: string, policy: string, dataAction: string, prepare: (kv: Kv, name: string) => Promise<Request>, extra: Partial<SecretOperation> = {}): SecretOperation => ({
  collection: "certificates",
  label: `certificate ${label}`,
  policy,
  dataAction,
  okStatus: 200,
  prepare,
  ...extra,
});

export const CERT_OPERATIONS: SecretOperation[] = [
  op("create", "create", `${C}/create/action`, async (_kv, n) => ({ method: "POST", path: `/certificates/${n}/create`, body: { policy: { key_props: { kty: "EC" }, x509_props: { subject: `CN=${n}` }, issuer: { name: "Unknown" } } } }), {
    okStatus: 202,
  }),
  op("import", "import", `${C}/import/action`, async (_kv, n) => ({ method: "POST", path: `/certificates/${n}/import`, body: { value: PEM_BUNDLE } })),
  op("get", "get", `${C}/read`, async (kv, n) => (await importCert(kv, n), { method: "GET", path: `/certificates/${n}` })),
  op("get version", "get", `${C}/read`, async (kv, n) => ({ method: "GET", path: `/certificates/${n}/${await importCert(kv, n)}` })),
  op("list", "list", `${C}/read`, async (kv, n) => (await importCert(kv, n), { method: "GET", path: "/certificates" }), { vaultWide: true }),
  op("list versions", "list", `${C}/read`, async (kv, n) => (await importCert(kv, n), { method: "GET", path: `/certificates/${n}/versions` })),
  op("update", "update", `${C}/update/action`, async (kv, n) => (await importCert(kv, n), { method: "PATCH", path: `/certificates/${n}`, body: { tags: { t: "1" } } })),
  op("update version", "update", `${C}/update/action`, async (kv, n) => ({ method: "PATCH", path: `/certificates/${n}/${await importCert(kv, n)}`, body: { attributes: { enabled: false } } })),
  op("delete", "delete", `${C}/delete`, async (kv, n) => (await importCert(kv, n), { method: "DELETE", path: `/certificates/${n}` })),
  op("get deleted", "get", `${C}/read`, async (kv, n) => (await importDeleted(kv, n), { method: "GET", path: `/deletedcertificates/${n}` })),
  op("list deleted", "list", `${C}/read`, async (kv, n) => (await importDeleted(kv, n), { method: "GET", path: "/deletedcertificates" }), { vaultWide: true }),
  op("recover", "recover", `${C}/recover/action`, async (kv, n) => (await importDeleted(kv, n), { method: "POST", path: `/deletedcertificates/${n}/recover` })),
  op("purge", "purge", `${C}/purge/action`, async (kv, n) => (await importDeleted(kv, n), { method: "DELETE", path: `/deletedcertificates/${n}` }), { okStatus: 204 }),
  op("get pending", "get", `${C}/read`, async (kv, n) => (await pendingCert(kv, n), { method: "GET", path: `/certificates/${n}/pending` })),
  op("cancel pending", "update", `${C}/update/action`, async (kv, n) => (await pendingCert(kv, n), { method: "PATCH", path: `/certificates/${n}/pending`, body: { cancellation_requested: true } })),
  op("delete pending", "update", `${C}/update/action`, async (kv, n) => (await pendingCert(kv, n), { method: "DELETE", path: `/certificates/${n}/pending` })),
  op("merge", "create", `${C}/create/action`, async (kv, n) => ({ method: "POST", path: `/certificates/${n}/pending/merge`, body: { x5c: signed(n, await pendingCert(kv, n)) } }), { okStatus: 201 }),
  op("get policy", "get", `${C}/read`, async (kv, n) => (await importCert(kv, n), { method: "GET", path: `/certificates/${n}/policy` })),
  op("update policy", "update", `${C}/update/action`, async (kv, n) => (await importCert(kv, n), { method: "PATCH", path: `/certificates/${n}/policy`, body: { x509_props: { validity_months: 6 } } })),
  op("backup", "backup", `${C}/backup/action`, async (kv, n) => (await importCert(kv, n), { method: "POST", path: `/certificates/${n}/backup` })),
  op(
    "restore",
    "restore",
    `${C}/restore/action`,
    async (kv, n) => {
      await importCert(kv, n);
      const blob = (await kv.ok({ method: "POST", path: `/certificates/${n}/backup` })).body.value;
      await kv.ok({ method: "DELETE", path: `/certificates/${n}` });
      await kv.ok({ method: "DELETE", path: `/deletedcertificates/${n}` });
      return { method: "POST", path: "/certificates/restore", body: { value: blob } };
    },
    { vaultWide: true },
  ),
  // Issuers and contacts are vault-wide objects with Azure's own data actions (certificatecas/…, certificatecontacts/…).
  op("list issuers", "listissuers", `${CAS}/read`, async (kv, n) => (await issuer(kv, n), { method: "GET", path: "/certificates/issuers" }), { vaultWide: true }),
  op("get issuer", "getissuers", `${CAS}/read`, async (kv, n) => (await issuer(kv, n), { method: "GET", path: `/certificates/issuers/${n}` }), { vaultWide: true }),
  op("set issuer", "setissuers", `${CAS}/write`, async (_kv, n) => ({ method: "PUT", path: `/certificates/issuers/${n}`, body: { provider: "GlobalSign" } }), { vaultWide: true }),
  op("update issuer", "setissuers", `${CAS}/write`, async (kv, n) => (await issuer(kv, n), { method: "PATCH", path: `/certificates/issuers/${n}`, body: { provider: "GlobalSign" } }), { vaultWide: true }),
  op("delete issuer", "deleteissuers", `${CAS}/delete`, async (kv, n) => (await issuer(kv, n), { method: "DELETE", path: `/certificates/issuers/${n}` }), { vaultWide: true }),
  op("get contacts", "managecontacts", `${C}/read`, async (kv, n) => (await contacts(kv, n), { method: "GET", path: "/certificates/contacts" }), { vaultWide: true }),
  op("set contacts", "managecontacts", `${CONTACTS}/write`, async (_kv, n) => ({ method: "PUT", path: "/certificates/contacts", body: { contacts: [{ email: `new-${n}@example.test` }] } }), { vaultWide: true }),
  op("delete contacts", "managecontacts", `${CONTACTS}/write`, async (kv, n) => (await contacts(kv, n), { method: "DELETE", path: "/certificates/contacts" }), { vaultWide: true }),
];

/**
 * Everything the administrator can observe about certificate `name` (versions, policy, pending operation, its key
 * and secret, its deleted form), the vault's issuers and contacts. Lists are cut to `name`: another test's
 * certificates may still change.
 */
export async function certSnapshot(kv: Kv, name: string): Promise<unknown> {
  const parts: unknown[] = [];
  for (const p of [`/certificates/${name}`, `/certificates/${name}/versions`, `/certificates/${name}/policy`, `/certificates/${name}/pending`, `/keys/${name}`, `/secrets/${name}`, `/deletedcertificates/${name}`, "/certificates/issuers", `/certificates/issuers/${name}`, "/certificates/contacts"]) {
    const reply = await kv.call({ method: "GET", path: p });
    parts.push([p, reply.status, reply.body]);
  }
  for (const p of ["/certificates?includePending=true", "/deletedcertificates"]) {
    const reply = await kv.ok({ method: "GET", path: p });
    parts.push([p, (reply.body.value as { id: string }[]).filter((item) => item.id.toLowerCase().endsWith(`/certificates/${name.toLowerCase()}`))]);
  }
  return parts;
}
