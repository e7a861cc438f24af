/** Making certificates and requests, checked with openssl's own reading of them. */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, describe, it } from "node:test";
import {
  CertificateInputError,
  type CertificateSpec,
  certificateSigningRequest,
  csrFacts,
  describeCertificate,
  issueCertificate,
  keyMatchesCertificate,
  newCertificateAuthority,
  selfSignedCertificate,
} from "./index.js";
import { addCalendarMonths } from "./signing.js";
import { expectedSignature, KEY_TYPES, keyPair, openssl, tempDir, toPem } from "../../../test/harness/openssl.js";

const TIMEOUT = { timeout: 120_000 };
const tmp = tempDir();
after(() => tmp.cleanup());

const SPEC: CertificateSpec = {
  subject: "CN=www.contoso.com, O=Contoso, OU=IT, L=Redmond, S=WA, C=US",
  dnsNames: ["www.contoso.com", "contoso.com"],
  emails: ["admin@contoso.com"],
  upns: ["svc@contoso.com"],
  keyUsage: ["digitalSignature", "keyEncipherment"],
  ekus: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
  validityMonths: 12,
};

function text(der: Buffer): string {
  return openssl(["x509", "-inform", "DER", "-noout", "-text"], der);
}

describe("selfSignedCertificate", TIMEOUT, () => {
  for (const type of KEY_TYPES) {
    it(`${type}: openssl reads subject, SANs, usages, validity and the signature`, TIMEOUT, async () => {
      const keys = keyPair(type);
      const now = new Date("2026-01-31T10:20:30.456Z");
      const der = await selfSignedCertificate(keys, SPEC, now);
      const out = text(der);
      assert.match(out, /Subject: CN = www\.contoso\.com, O = Contoso, OU = IT, L = Redmond, ST = WA, C = US\n/);
      assert.match(out, /Issuer: CN = www\.contoso\.com, O = Contoso/);
      assert.match(out, /DNS:www\.contoso\.com, DNS:contoso\.com, email:admin@contoso\.com, othername: UPN::svc@contoso\.com/);
      assert.match(out, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
      assert.match(out, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
      assert.match(out, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
      assert.match(out, /X509v3 Subject Key Identifier/);
      assert.match(out, /Not Before: Jan 31 10:20:30 2026 GMT/);
      assert.match(out, /Not After : Jan 31 10:20:30 2027 GMT/);
      assert.match(out, new RegExp(`Signature Algorithm: ${expectedSignature(type)}`));
      if (type === "P-256K") assert.match(out, /ASN1 OID: secp256k1/);
      // Serial: 16 bytes, positive.
      const serial = /Serial Number:\n\s+([0-9a-f:]+)/.exec(out)![1]!.split(":");
      assert.equal(serial.length, 16);
      assert.ok(parseInt(serial[0]!, 16) < 0x80);
      // The signature verifies (openssl checks a self-signed certificate against itself).
      const pem = tmp.file(`self-${type}.pem`, toPem("CERTIFICATE", der));
      assert.match(openssl(["verify", "-CAfile", pem, "-partial_chain", pem]), /OK/);

      const facts = describeCertificate(der);
      assert.equal(facts.subject, "CN=www.contoso.com, O=Contoso, OU=IT, L=Redmond, ST=WA, C=US");
      assert.deepEqual(facts.dnsNames, SPEC.dnsNames);
      assert.deepEqual(facts.emails, SPEC.emails);
      assert.deepEqual(facts.upns, SPEC.upns);
      assert.deepEqual(facts.keyUsage, SPEC.keyUsage);
      assert.deepEqual(facts.ekus, SPEC.ekus);
      assert.equal(facts.notBefore, Date.parse("2026-01-31T10:20:30Z") / 1000);
      assert.equal(facts.notAfter, Date.parse("2027-01-31T10:20:30Z") / 1000);
      assert.equal(facts.selfSigned, true);
      assert.equal(facts.isCa, false);
      assert.equal(facts.x5t, crypto.createHash("sha1").update(der).digest("base64url"));
      assert.equal(facts.x5t256, crypto.createHash("sha256").update(der).digest("base64url"));
      assert.ok(facts.publicKey.export({ type: "spki", format: "der" }).equals(keys.publicKey.export({ type: "spki", format: "der" })));
      assert.equal(keyMatchesCertificate(keys.privateKey, der), true);
      assert.equal(keyMatchesCertificate(keyPair(type.startsWith("RSA") ? "RSA-2048" : "P-256").privateKey, der), false);
    });
  }

  it("E= becomes emailAddress; no SAN, key usage or EKU leaves those extensions out", TIMEOUT, async () => {
    const der = await selfSignedCertificate(keyPair("P-256"), { ...SPEC, subject: "CN=a, E=a@contoso.com, ST=Noord-Holland", dnsNames: [], emails: [], upns: [], keyUsage: [], ekus: [] }, new Date());
    const out = text(der);
    assert.match(out, /Subject: CN = a, emailAddress = a@contoso\.com, ST = Noord-Holland\n/);
    assert.doesNotMatch(out, /Subject Alternative Name|Key Usage/);
  });

  it("escaped and quoted commas, multi-valued RDNs and non-ASCII values are kept", TIMEOUT, async () => {
    const der = await selfSignedCertificate(keyPair("P-256"), { ...SPEC, subject: 'CN=Contoso\\, Inc.+OU=Ops, O="A, B", L=Zürich, C=CH' }, new Date());
    const out = openssl(["x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb"], der);
    assert.match(out, /subject=C=CH,L=Zürich,O=A\\, B,CN=Contoso\\, Inc\.\+OU=Ops|subject=C=CH,L=Zürich,O=A\\, B,OU=Ops\+CN=Contoso\\, Inc\./);
    assert.equal(describeCertificate(der).subject.includes("L=Zürich"), true);
  });

  it("describeCertificate and csrFacts take DER only (PEM text is refused)", TIMEOUT, async () => {
    const keys = keyPair("P-256");
    const der = await selfSignedCertificate(keys, SPEC, new Date());
    assert.throws(() => describeCertificate(Buffer.from(toPem("CERTIFICATE", der))), CertificateInputError);
    assert.equal(keyMatchesCertificate(keys.privateKey, Buffer.from(toPem("CERTIFICATE", der))), false);
    const csr = await certificateSigningRequest(keys, SPEC);
    assert.throws(() => csrFacts(Buffer.from(toPem("CERTIFICATE REQUEST", csr))), CertificateInputError);
  });

  it("malformed subjects and bad specs are CertificateInputError", TIMEOUT, async () => {
    const keys = keyPair("P-256");
    for (const subject of ["", "   ", "www.contoso.com", "CN=", "XX=foo", "CN=a, C=USA", "CN=\"unterminated", "=a"]) {
      await assert.rejects(selfSignedCertificate(keys, { ...SPEC, subject }, new Date()), CertificateInputError, subject);
    }
    await assert.rejects(selfSignedCertificate(keys, { ...SPEC, validityMonths: 0 }, new Date()), CertificateInputError);
    await assert.rejects(selfSignedCertificate(keys, { ...SPEC, keyUsage: ["bogus" as never] }, new Date()), CertificateInputError);
    await assert.rejects(selfSignedCertificate(keys, { ...SPEC, ekus: ["serverAuth"] }, new Date()), CertificateInputError);
    await assert.rejects(selfSignedCertificate({ privateKey: keys.privateKey, publicKey: keyPair("P-256").publicKey }, SPEC, new Date()), CertificateInputError);
    const ed = crypto.generateKeyPairSync("ed25519");
    await assert.rejects(selfSignedCertificate(ed, SPEC, new Date()), CertificateInputError);
  });

  it("validity is calendar months, clamped to the month's last day", TIMEOUT, () => {
    assert.equal(addCalendarMonths(new Date("2026-01-31T00:00:00Z"), 1).toISOString(), "2026-02-28T00:00:00.000Z");
    assert.equal(addCalendarMonths(new Date("2028-01-31T00:00:00Z"), 1).toISOString(), "2028-02-29T00:00:00.000Z");
    assert.equal(addCalendarMonths(new Date("2026-03-15T12:00:00.999Z"), 12).toISOString(), "2027-03-15T12:00:00.000Z");
    assert.equal(addCalendarMonths(new Date("2026-11-30T00:00:00Z"), 3).toISOString(), "2027-02-28T00:00:00.000Z");
    assert.equal(addCalendarMonths(new Date("2026-12-02T00:00:00Z"), 300).toISOString(), "2051-12-02T00:00:00.000Z");
  });

  it("a notAfter past 2049 is a GeneralizedTime openssl reads", TIMEOUT, async () => {
    const der = await selfSignedCertificate(keyPair("P-256"), { ...SPEC, validityMonths: 300 }, new Date("2026-12-02T00:00:00Z"));
    assert.match(text(der), /Not After : Dec {2}2 00:00:00 2051 GMT/);
    assert.equal(describeCertificate(der).notAfter, Date.parse("2051-12-02T00:00:00Z") / 1000);
  });
});

describe("certificate authority and issued certificates", TIMEOUT, () => {
  it("newCertificateAuthority: CA:true pathlen 0, keyCertSign|cRLSign, 10 years", TIMEOUT, async () => {
    const ca = await newCertificateAuthority("CN=Kluis Issuing CA t1, O=Kluis", new Date("2026-12-02T00:00:00Z"));
    const out = text(ca.certificate);
    assert.match(out, /CA:TRUE, pathlen:0/);
    assert.match(out, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign/);
    assert.match(out, /Not After : Dec {2}2 00:00:00 2036 GMT/);
    const facts = describeCertificate(ca.certificate);
    assert.equal(facts.isCa, true);
    assert.equal(facts.selfSigned, true);
    assert.equal(keyMatchesCertificate(ca.privateKey, ca.certificate), true);
  });

  it("refuses an issuer whose private key is not its certificate's", TIMEOUT, async () => {
    const ca = await newCertificateAuthority("CN=CA", new Date());
    const other = await newCertificateAuthority("CN=Other", new Date());
    await assert.rejects(issueCertificate({ certificate: ca.certificate, privateKey: other.privateKey }, keyPair("P-256").publicKey, SPEC, new Date()), CertificateInputError);
  });

  for (const type of ["RSA-2048", "P-384", "P-256K"] as const) {
    it(`issues a ${type} leaf that openssl verifies against the CA, with the CA's key id as AKI`, TIMEOUT, async () => {
      const ca = await newCertificateAuthority("CN=Kluis Issuing CA t1", new Date());
      const keys = keyPair(type);
      const der = await issueCertificate(ca, keys.publicKey, SPEC, new Date());
      const caFile = tmp.file(`ca-${type}.pem`, toPem("CERTIFICATE", ca.certificate));
      const leafFile = tmp.file(`leaf-${type}.pem`, toPem("CERTIFICATE", der));
      assert.match(openssl(["verify", "-CAfile", caFile, leafFile]), /: OK/);
      const out = text(der);
      assert.match(out, /Issuer: CN = Kluis Issuing CA t1\n/);
      const caSki = /Subject Key Identifier: \n\s+([0-9A-F:]+)/.exec(text(ca.certificate))![1]!;
      assert.match(out, new RegExp(`Authority Key Identifier: \\n\\s+(keyid:)?${caSki}`));
      assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/); // the CA's key signs
      const facts = describeCertificate(der);
      assert.equal(facts.selfSigned, false);
      assert.equal(facts.issuer, "CN=Kluis Issuing CA t1");
      assert.equal(keyMatchesCertificate(keys.privateKey, der), true);
    });
  }
});

describe("certificate signing requests", TIMEOUT, () => {
  for (const type of ["RSA-2048", "P-521", "P-256K"] as const) {
    it(`${type}: openssl verifies the CSR and reads the requested extensions`, TIMEOUT, async () => {
      const keys = keyPair(type);
      const der = await certificateSigningRequest(keys, SPEC);
      const out = openssl(["req", "-inform", "DER", "-noout", "-text", "-verify"], der);
      assert.match(out, /verify OK/);
      assert.match(out, /Subject: CN = www\.contoso\.com, O = Contoso, OU = IT, L = Redmond, ST = WA, C = US\n/);
      assert.match(out, /DNS:www\.contoso\.com, DNS:contoso\.com, email:admin@contoso\.com, othername: UPN::svc@contoso\.com/);
      assert.match(out, /Digital Signature, Key Encipherment/);
      const facts = csrFacts(der);
      assert.equal(facts.subject, "CN=www.contoso.com, O=Contoso, OU=IT, L=Redmond, ST=WA, C=US");
      assert.deepEqual(facts.dnsNames, SPEC.dnsNames);
      assert.deepEqual(facts.upns, SPEC.upns);
      assert.deepEqual(facts.keyUsage, SPEC.keyUsage);
      assert.deepEqual(facts.ekus, SPEC.ekus);
      assert.ok(facts.publicKey.export({ type: "spki", format: "der" }).equals(keys.publicKey.export({ type: "spki", format: "der" })));
    });
  }

  it("a CSR made by openssl is described and issued", TIMEOUT, async () => {
    const keyFile = tmp.file("openssl-req.key");
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", keyFile]);
    const csrPem = openssl(["req", "-new", "-key", keyFile, "-subj", "/CN=app.example.org/O=Example", "-addext", "subjectAltName=DNS:app.example.org,DNS:api.example.org", "-addext", "keyUsage=critical,digitalSignature"]);
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const facts = csrFacts(der);
    assert.equal(facts.subject, "CN=app.example.org, O=Example");
    assert.deepEqual(facts.dnsNames, ["app.example.org", "api.example.org"]);
    assert.deepEqual(facts.keyUsage, ["digitalSignature"]);
    const ca = await newCertificateAuthority("CN=Kluis Issuing CA t2", new Date());
    const leaf = await issueCertificate(ca, facts.publicKey, { ...SPEC, subject: facts.subject, dnsNames: facts.dnsNames, emails: [], upns: [], keyUsage: facts.keyUsage, ekus: [] }, new Date());
    const caFile = tmp.file("ca-openssl-req.pem", toPem("CERTIFICATE", ca.certificate));
    const leafFile = tmp.file("leaf-openssl-req.pem", toPem("CERTIFICATE", leaf));
    assert.match(openssl(["verify", "-CAfile", caFile, leafFile]), /: OK/);
    assert.match(openssl(["x509", "-in", leafFile, "-noout", "-checkend", "0"]), /will not expire/);
    assert.ok(new crypto.X509Certificate(leaf).checkPrivateKey(crypto.createPrivateKey(privateKeyPem(keyFile))));
  });

  it("a CSR whose signature does not verify, or that is not a CSR, is CertificateInputError", TIMEOUT, async () => {
    const der = await certificateSigningRequest(keyPair("P-256"), SPEC);
    const tampered = Buffer.from(der);
    tampered[tampered.length - 5]! ^= 0x01;
    assert.throws(() => csrFacts(tampered), CertificateInputError);
    assert.throws(() => csrFacts(Buffer.from("not a csr")), CertificateInputError);
    assert.throws(() => describeCertificate(Buffer.from("not a certificate")), CertificateInputError);
  });
});

function privateKeyPem(file: string): string {
  return openssl(["pkey", "-in", file]);
}
