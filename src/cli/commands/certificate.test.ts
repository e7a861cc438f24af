import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { openssl, tempDir } from "../../../test/harness/openssl.js";
import { CliError, UsageError } from "../errors.js";
import { formatJson } from "../output.js";
import type { Session } from "../session.js";
import { certificateFile, importPayload, mergeChain, PEM_CONTENT_TYPE, PFX_CONTENT_TYPE } from "./certificate-material.js";
import { waitForOperation, waitLimitMs } from "./certificate-pending.js";
import { defaultPolicy, policyToWire, policyView, scaffoldPolicy } from "./certificate-policy.js";
import { certificateItemView, certificateView, contactsView, issuerView, operationView } from "./certificate-view.js";
import { policyArgument } from "./certificate.js";

/** az's `keyvault certificate get-default-policy`, byte for byte as az prints it. */
const AZ_DEFAULT_POLICY = `{
  "issuerParameters": {
    "certificateTransparency": null,
    "name": "Self"
  },
  "keyProperties": {
    "curve": null,
    "exportable": true,
    "keySize": 2048,
    "keyType": "RSA",
    "reuseKey": true
  },
  "lifetimeActions": [
    {
      "action": {
        "actionType": "AutoRenew"
      },
      "trigger": {
        "daysBeforeExpiry": 90
      }
    }
  ],
  "secretProperties": {
    "contentType": "application/x-pkcs12"
  },
  "x509CertificateProperties": {
    "keyUsage": [
      "cRLSign",
      "dataEncipherment",
      "digitalSignature",
      "keyEncipherment",
      "keyAgreement",
      "keyCertSign"
    ],
    "subject": "CN=CLIGetDefaultPolicy",
    "validityInMonths": 12
  }
}`;

describe("certificate policies, views and files", { timeout: 60_000 }, () => {
  const { file, cleanup } = tempDir();
  let certPem: string;
  let caPem: string;
  let keyPem: string;
  let pfx: Buffer;

  before(() => {
    for (const [name, subject] of [["ca", "/CN=Unit CA"], ["leaf", "/CN=leaf"]]) {
      openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", file(`${name}.key`), "-out", file(`${name}.pem`), "-subj", subject!, "-days", "2"]);
    }
    openssl(["pkcs12", "-export", "-inkey", file("leaf.key"), "-in", file("leaf.pem"), "-out", file("leaf.pfx"), "-passout", "pass:pw"]);
    certPem = fs.readFileSync(file("leaf.pem"), "utf8");
    caPem = fs.readFileSync(file("ca.pem"), "utf8");
    keyPem = fs.readFileSync(file("leaf.key"), "utf8");
    pfx = fs.readFileSync(file("leaf.pfx"));
  });
  after(cleanup);

  it("get-default-policy prints az's default policy exactly; --scaffold has every field", () => {
    assert.equal(formatJson(defaultPolicy()), AZ_DEFAULT_POLICY);
    const scaffold = scaffoldPolicy() as Record<string, Record<string, unknown>>;
    assert.match(String(scaffold.keyProperties!.keyType), /RSA or RSA-HSM/);
    assert.match(String(scaffold.issuerParameters!.name), /Self/);
    assert.match(String(scaffold.x509CertificateProperties!.subject), /Contoso/);
    assert.deepEqual(scaffold.x509CertificateProperties!.ekus, ["1.3.6.1.5.5.7.3.1"]);
  });

  it("takes a policy in az's camelCase, the SDK's snake_case or Key Vault's own names, and sends Key Vault's", () => {
    const expected = {
      key_props: { exportable: true, kty: "RSA", key_size: 2048, reuse_key: true },
      secret_props: { contentType: "application/x-pkcs12" },
      x509_props: { key_usage: ["cRLSign", "dataEncipherment", "digitalSignature", "keyEncipherment", "keyAgreement", "keyCertSign"], subject: "CN=CLIGetDefaultPolicy", validity_months: 12 },
      lifetime_actions: [{ action: { action_type: "AutoRenew" }, trigger: { days_before_expiry: 90 } }],
      issuer: { name: "Self" },
    };
    assert.deepEqual(policyToWire(defaultPolicy()), expected, "camelCase, nulls dropped");
    const snake = {
      key_properties: { key_type: "EC", curve: "P-256", exportable: false, reuse_key: false },
      x509_certificate_properties: { subject: "CN=a", subject_alternative_names: { dns_names: ["a.test"], emails: [], upns: [] }, validity_in_months: 3, ekus: ["1.3.6.1.5.5.7.3.1"] },
      issuer_parameters: { name: "Kluis", certificate_type: "x", certificate_transparency: false },
      lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "EmailContacts" } }],
    };
    assert.deepEqual(policyToWire(snake), {
      key_props: { kty: "EC", crv: "P-256", exportable: false, reuse_key: false },
      x509_props: { subject: "CN=a", sans: { dns_names: ["a.test"], emails: [], upns: [] }, validity_months: 3, ekus: ["1.3.6.1.5.5.7.3.1"] },
      issuer: { name: "Kluis", cty: "x", cert_transparency: false },
      lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "EmailContacts" } }],
    });
    const wire = { key_props: { kty: "RSA", key_size: 3072 }, x509_props: { sans: { dns_names: ["b"] } }, issuer: { name: "Self" } };
    assert.deepEqual(policyToWire(wire), wire, "Key Vault's own spelling passes unchanged");
  });

  it("drops what a printed policy holds but the service sets (id, timestamps), and refuses unknown or mistyped properties", () => {
    const printed = { id: "https://kv/certificates/c/policy", attributes: { enabled: true, created: "2030-01-01T00:00:00+00:00", updated: null, recoveryLevel: "x" }, issuerParameters: { name: "Self" } };
    assert.deepEqual(policyToWire(printed), { attributes: { enabled: true }, issuer: { name: "Self" } });
    assert.throws(() => policyToWire({ keyProperties: { keySise: 2048 } }), (e: Error) => e instanceof UsageError && /unknown property 'keyProperties\.keySise'/.test(e.message));
    assert.throws(() => policyToWire({ issuer: "Self" }), /issuer\. must be a JSON object|must be a JSON object/);
    assert.throws(() => policyToWire([]), UsageError);
    assert.throws(() => policyToWire({ lifetimeActions: {} }), /lifetimeActions must be a JSON array/);
    assert.throws(() => policyArgument("{not json"), (e: Error) => e instanceof UsageError && /--policy/.test(e.message));
  });

  it("reads --policy from a file, with or without az's @", () => {
    const policyFile = file("policy.json", JSON.stringify(defaultPolicy()));
    assert.deepEqual(policyArgument(`@${policyFile}`), policyToWire(defaultPolicy()));
    assert.deepEqual(policyArgument(policyFile), policyToWire(defaultPolicy()));
  });

  it("prints a certificate as az does: standard base64 bytes, hex thumbprint, name, the policy in the SDK's names", () => {
    const der = new crypto.X509Certificate(certPem).raw;
    const sha1 = crypto.createHash("sha1").update(der).digest();
    const wire = {
      id: "https://kv.vault.localhost/certificates/web/0123",
      kid: "https://kv.vault.localhost/keys/web/0123",
      sid: "https://kv.vault.localhost/secrets/web/0123",
      x5t: sha1.toString("base64url"),
      cer: der.toString("base64"),
      contentType: "application/x-pkcs12",
      attributes: { enabled: true, created: 1893456000, exp: 1924992000 },
      policy: { ...policyToWire(defaultPolicy()), id: "https://kv.vault.localhost/certificates/web/policy", attributes: { enabled: true, created: 1893456000 } },
    };
    const view = certificateView(wire);
    assert.deepEqual(Object.keys(view).sort(), ["attributes", "cer", "contentType", "id", "kid", "name", "policy", "sid", "tags", "x509Thumbprint", "x509ThumbprintHex"]);
    assert.equal(view.name, "web");
    assert.equal(view.x509Thumbprint, sha1.toString("base64"));
    assert.equal(view.x509ThumbprintHex, new crypto.X509Certificate(der).fingerprint.replace(/:/g, ""));
    assert.equal(view.cer, der.toString("base64"));
    assert.equal((view.attributes as Record<string, unknown>).expires, "2031-01-01T00:00:00+00:00");
    const policy = view.policy as Record<string, Record<string, unknown>>;
    assert.equal(policy.keyProperties!.keyType, "RSA");
    assert.equal(policy.x509CertificateProperties!.validityInMonths, 12);
    assert.equal(policy.x509CertificateProperties!.subjectAlternativeNames, null);
    assert.deepEqual(policy.lifetimeActions, [{ action: { actionType: "AutoRenew" }, trigger: { daysBeforeExpiry: 90, lifetimePercentage: null } }]);
    assert.equal(policy.attributes!.created, "2030-01-01T00:00:00+00:00");
    assert.deepEqual(policyToWire(policyView(wire.policy)), { ...policyToWire(defaultPolicy()), attributes: { enabled: true } }, "a printed policy can be sent back");

    const item = certificateItemView({ id: "https://kv.vault.localhost/certificates/web", x5t: wire.x5t, recoveryId: "https://kv.vault.localhost/deletedcertificates/web", deletedDate: 1893456000 });
    assert.deepEqual(Object.keys(item).sort(), ["attributes", "deletedDate", "id", "name", "recoveryId", "scheduledPurgeDate", "tags", "x509Thumbprint", "x509ThumbprintHex"]);
    assert.equal(item.deletedDate, "2030-01-01T00:00:00+00:00");
  });

  it("prints operations, issuers (never a password) and contacts in the SDK's names", () => {
    const operation = operationView({
      id: "https://kv.vault.localhost/certificates/web/pending",
      issuer: { name: "Unknown" },
      csr: "MIIB-_8",
      status: "failed",
      status_details: "no",
      error: { code: "Bad", message: "bad", innererror: { code: "Inner" } },
      request_id: "r1",
    });
    assert.equal(operation.name, "web");
    assert.equal(operation.csr, "MIIB+/8=");
    assert.deepEqual(operation.issuerParameters, { certificateTransparency: null, certificateType: null, name: "Unknown" });
    assert.deepEqual(operation.error, { code: "Bad", innerError: { code: "Inner", innerError: null, message: null }, message: "bad" });
    assert.equal(operation.cancellationRequested, null);
    const issuer = issuerView({ id: "https://kv/certificates/issuers/i", provider: "Kluis", credentials: { account_id: "acc", pwd: "secret" }, org_details: { id: "org", admin_details: [{ email: "a@b", first_name: "A" }] }, attributes: { enabled: true, created: 1893456000 } });
    assert.deepEqual(issuer.credentials, { accountId: "acc", password: null });
    assert.deepEqual(issuer.organizationDetails, { adminDetails: [{ emailAddress: "a@b", firstName: "A", lastName: null, phone: null }], id: "org" });
    assert.ok(!JSON.stringify(issuer).includes("secret"));
    assert.deepEqual(contactsView({ id: "https://kv/certificates/contacts", contacts: [{ email: "a@b", name: "A" }] }), {
      contactList: [{ emailAddress: "a@b", name: "A", phone: null }],
      id: "https://kv/certificates/contacts",
    });
  });

  it("import: a PEM file goes as text (Windows line ends normalised), anything else as base64 PKCS#12", () => {
    const pem = importPayload(Buffer.from(`${keyPem}${certPem}`.replace(/\n/g, "\r\n")), "bundle.pem");
    assert.equal(pem.contentType, PEM_CONTENT_TYPE);
    assert.equal(pem.value, `${keyPem}${certPem}`);
    const pkcs12 = importPayload(pfx, "leaf.pfx");
    assert.equal(pkcs12.contentType, PFX_CONTENT_TYPE);
    assert.deepEqual(Buffer.from(pkcs12.value, "base64"), pfx);
    assert.throws(() => importPayload(Buffer.from(keyPem), "key.pem"), (e: Error) => e instanceof CliError && /without a certificate/.test(e.message) && !e.message.includes("PRIVATE KEY-----\n"));
    assert.throws(() => importPayload(Buffer.from("hello"), "x.txt"), /could not parse the provided certificate as \.pem or \.pfx/);
    assert.throws(() => importPayload(Buffer.from("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "bad.pem"), /not an X\.509 certificate/);
  });

  it("download: DER as is, PEM in 76-character lines like az, and openssl reads both", () => {
    const der = new crypto.X509Certificate(certPem).raw;
    assert.deepEqual(certificateFile(der.toString("base64"), "DER"), der);
    const pem = certificateFile(der.toString("base64"), "PEM").toString("utf8");
    const lines = pem.trimEnd().split("\n");
    assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
    assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
    assert.ok(lines.slice(1, -1).every((line, i, body) => (i < body.length - 1 ? line.length === 76 : line.length <= 76)));
    assert.ok(new crypto.X509Certificate(pem).raw.equals(der));
    fs.writeFileSync(file("out.pem"), pem);
    fs.writeFileSync(file("out.der"), der);
    for (const [name, form] of [["out.pem", "PEM"], ["out.der", "DER"]] as const) {
      assert.match(openssl(["x509", "-in", file(name), "-inform", form, "-noout", "-subject"]), /CN ?= ?leaf/);
    }
  });

  it("pending merge: PEM chains in file order, one DER certificate, nothing else", () => {
    const chain = mergeChain(Buffer.from(`${certPem}${caPem}`), "chain.pem");
    assert.equal(chain.length, 2);
    assert.ok(Buffer.from(chain[0]!, "base64").equals(new crypto.X509Certificate(certPem).raw));
    assert.ok(Buffer.from(chain[1]!, "base64").equals(new crypto.X509Certificate(caPem).raw));
    const der = new crypto.X509Certificate(caPem).raw;
    assert.deepEqual(mergeChain(der, "ca.der"), [der.toString("base64")]);
    assert.throws(() => mergeChain(Buffer.from("junk"), "junk"), (e: Error) => e instanceof UsageError && /neither PEM certificates nor one DER certificate/.test(e.message));
  });

  it("create waits while the operation is inProgress, and gives up after KLUIS_CERTIFICATE_WAIT_SECONDS", async () => {
    assert.equal(waitLimitMs({}), 600_000);
    assert.equal(waitLimitMs({ KLUIS_CERTIFICATE_WAIT_SECONDS: "5" }), 5000);
    assert.equal(waitLimitMs({ KLUIS_CERTIFICATE_WAIT_SECONDS: "-1" }), 600_000);
    const target = { vaultUrl: "https://kv.vault.localhost/", name: "web" };
    const replies = [{ status: "inProgress" }, { status: "completed", target: "done" }];
    const paths: string[] = [];
    const session = { vault: (method: string, _url: string, p: string) => (paths.push(`${method} ${p}`), Promise.resolve(replies.shift())) } as unknown as Session;
    const done = await waitForOperation(session, target, { status: "inProgress" });
    assert.equal(done.target, "done");
    assert.deepEqual(paths, ["GET /certificates/web/pending", "GET /certificates/web/pending"]);
    const failed = await waitForOperation(session, target, { status: "failed" });
    assert.equal(failed.status, "failed", "a failed operation is printed, as az prints it");

    const stuck = { vault: () => Promise.resolve({ status: "inProgress" }) } as unknown as Session;
    process.env.KLUIS_CERTIFICATE_WAIT_SECONDS = "0.5";
    try {
      await assert.rejects(waitForOperation(stuck, target, { status: "inProgress" }), (e: Error) => e instanceof CliError && /Timed out waiting for certificate 'web'/.test(e.message));
    } finally {
      delete process.env.KLUIS_CERTIFICATE_WAIT_SECONDS;
    }
  });
});
