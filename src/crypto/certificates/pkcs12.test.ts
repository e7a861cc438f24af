/** PFX and PEM bundles: what we write opens in openssl, and what openssl writes (default and -legacy) opens here. */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import tls from "node:tls";
import forge from "node-forge";
import { after, before, describe, it } from "node:test";
import {
  buildPfx,
  CertificateInputError,
  type CertificateSpec,
  issueCertificate,
  newCertificateAuthority,
  parsePemBundle,
  parsePfx,
  pemBundle,
  PEM_UNREADABLE,
  PFX_BAD_PASSWORD,
  PFX_UNREADABLE,
  selfSignedCertificate,
} from "./index.js";
import { type KeyTypeName, keyPair, openssl, tempDir, toPem } from "../../../test/harness/openssl.js";

const TIMEOUT = { timeout: 120_000 };
const PASSWORD = "Pässword-123!";
const tmp = tempDir();
after(() => tmp.cleanup());

const SPEC: CertificateSpec = { subject: "CN=pfx.contoso.com", dnsNames: ["pfx.contoso.com"], emails: [], upns: [], keyUsage: ["digitalSignature"], ekus: [], validityMonths: 12 };

/** A leaf issued by a fresh CA: key, leaf DER, CA DER. */
async function issued(type: KeyTypeName) {
  const ca = await newCertificateAuthority(`CN=Test CA ${type}`, new Date());
  const keys = keyPair(type);
  const leaf = await issueCertificate(ca, keys.publicKey, SPEC, new Date());
  return { keys, leaf, ca: ca.certificate };
}

const spki = (key: crypto.KeyObject) => crypto.createPublicKey(key).export({ type: "spki", format: "der" });

describe("buildPfx", TIMEOUT, () => {
  for (const type of ["RSA-2048", "P-256", "P-521", "P-256K"] as const) {
    it(`${type}: openssl opens it with and without a password; parsePfx reads it back leaf first`, TIMEOUT, async () => {
      const { keys, leaf, ca } = await issued(type);
      for (const password of [undefined, PASSWORD]) {
        const pfx = buildPfx(keys.privateKey, [leaf, ca], password);
        const file = tmp.file(`built-${type}-${password ? "pw" : "nopw"}.pfx`, pfx);
        const out = openssl(["pkcs12", "-in", file, "-nodes", "-passin", `pass:${password ?? ""}`]);
        assert.equal(out.match(/BEGIN CERTIFICATE/g)?.length, 2);
        assert.match(out, /BEGIN PRIVATE KEY/);
        const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(out)![0];
        assert.ok(spki(crypto.createPrivateKey(keyPem)).equals(spki(keys.privateKey)));
        // Node's own PKCS#12 reader (OpenSSL inside) loads it as a TLS identity.
        assert.doesNotThrow(() => tls.createSecureContext({ pfx, passphrase: password ?? "" }));
        if (type === "RSA-2048") {
          // node-forge's reader (RSA keys only; it takes PBES2 passwords as Latin-1, so an ASCII one) opens it as well.
          const ascii = password === undefined ? pfx : buildPfx(keys.privateKey, [leaf, ca], "ascii-pass");
          const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(ascii.toString("binary")), password === undefined ? "" : "ascii-pass");
          assert.equal(p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]?.length, 2);
          assert.ok(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]?.[0]?.key);
        }
        const back = parsePfx(pfx, password);
        assert.ok(spki(back.privateKey).equals(spki(keys.privateKey)));
        assert.equal(back.certificates.length, 2);
        assert.ok(back.certificates[0]!.equals(leaf));
        assert.ok(back.certificates[1]!.equals(ca));
      }
    });
  }

  it("a wrong or missing password is CertificateInputError, without the password in the message", TIMEOUT, async () => {
    const { keys, leaf } = await issued("P-256");
    const pfx = buildPfx(keys.privateKey, [leaf], PASSWORD);
    for (const attempt of ["wrong-password", undefined, ""]) {
      assert.throws(
        () => parsePfx(pfx, attempt),
        (error: Error) => error instanceof CertificateInputError && error.message === PFX_BAD_PASSWORD && !error.message.includes(PASSWORD),
      );
    }
    assert.throws(() => openssl(["pkcs12", "-in", tmp.file("wrong.pfx", pfx), "-nodes", "-passin", "pass:nope"]));
  });

  it("without a private key: certificates only, which openssl opens and parsePfx refuses (it needs a key)", TIMEOUT, async () => {
    const { leaf, ca } = await issued("P-256");
    const pfx = buildPfx(undefined, [leaf, ca]);
    const out = openssl(["pkcs12", "-in", tmp.file("certs-only.pfx", pfx), "-nodes", "-passin", "pass:"]);
    assert.equal(out.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.doesNotMatch(out, /PRIVATE KEY/);
    assert.throws(() => parsePfx(pfx, undefined), /no private key/);
  });

  it("a key that is not the leaf's is refused", TIMEOUT, async () => {
    const { leaf } = await issued("P-256");
    assert.throws(() => buildPfx(keyPair("P-256").privateKey, [leaf]), /does not match/);
  });

  it("garbage and truncated data are PFX_UNREADABLE", TIMEOUT, async () => {
    const { keys, leaf } = await issued("P-256");
    const pfx = buildPfx(keys.privateKey, [leaf]);
    for (const data of [Buffer.from("not a pfx"), pfx.subarray(0, pfx.length - 40), Buffer.alloc(0), leaf]) {
      assert.throws(() => parsePfx(data, undefined), (error: Error) => error instanceof CertificateInputError && error.message === PFX_UNREADABLE);
    }
  });
});

describe("parsePfx of openssl's PFX files", TIMEOUT, () => {
  let files: { key: string; leaf: string; ca: string; bundle: string; keys: { privateKey: crypto.KeyObject }; leafDer: Buffer; caDer: Buffer };
  before(async () => {
    const { keys, leaf, ca } = await issued("RSA-2048");
    files = {
      key: tmp.file("ossl.key", keys.privateKey.export({ type: "pkcs8", format: "pem" })),
      leaf: tmp.file("ossl-leaf.pem", toPem("CERTIFICATE", leaf)),
      ca: tmp.file("ossl-ca.pem", toPem("CERTIFICATE", ca)),
      bundle: tmp.file("ossl-ca-then-leaf.pem", toPem("CERTIFICATE", ca) + toPem("CERTIFICATE", leaf)),
      keys,
      leafDer: leaf,
      caDer: ca,
    };
  });

  const cases: { name: string; extra: string[]; password: string }[] = [
    { name: "default (PBES2 AES-256, SHA-256 MAC) with a password", extra: [], password: PASSWORD },
    { name: "default with an empty password (-passout pass:)", extra: [], password: "" },
    { name: "-legacy (RC2-40 certificates, 3DES key, SHA-1 MAC) with a password", extra: ["-legacy"], password: PASSWORD },
    { name: "-legacy with an empty password", extra: ["-legacy"], password: "" },
    { name: "-nomac -keypbe NONE -certpbe NONE (nothing encrypted)", extra: ["-nomac", "-keypbe", "NONE", "-certpbe", "NONE"], password: "" },
  ];
  for (const { name, extra, password } of cases) {
    it(name, TIMEOUT, () => {
      const out = tmp.file(`ossl-${name.replace(/\W+/g, "-")}.pfx`);
      // The CA comes first in the input file: parsePfx must still put the leaf first.
      openssl(["pkcs12", "-export", ...extra, "-inkey", files.key, "-in", files.bundle, "-out", out, "-passout", `pass:${password}`]);
      const data = fs.readFileSync(out);
      const result = parsePfx(data, password === "" ? undefined : password);
      assert.ok(spki(result.privateKey).equals(spki(files.keys.privateKey)));
      assert.equal(result.certificates.length, 2);
      assert.ok(result.certificates[0]!.equals(files.leafDer));
      assert.ok(result.certificates[1]!.equals(files.caDer));
      if (password) assert.throws(() => parsePfx(data, "wrong"), (error: Error) => error instanceof CertificateInputError && error.message === PFX_BAD_PASSWORD);
    });
  }

  it("a PFX asking for more than 1000000 iterations is refused before deriving keys", TIMEOUT, () => {
    const out = tmp.file("ossl-many-iterations.pfx");
    openssl(["pkcs12", "-export", "-iter", "1500000", "-inkey", files.key, "-in", files.bundle, "-out", out, "-passout", "pass:x"]);
    assert.throws(() => parsePfx(fs.readFileSync(out), "x"), (error: Error) => error instanceof CertificateInputError && /1000000/.test(error.message));
  });

  it("an EC key from openssl -legacy opens too", TIMEOUT, async () => {
    const { keys, leaf } = await issued("P-384");
    const key = tmp.file("ossl-ec.key", keys.privateKey.export({ type: "sec1", format: "pem" }));
    const cert = tmp.file("ossl-ec.pem", toPem("CERTIFICATE", leaf));
    const out = tmp.file("ossl-ec.pfx");
    openssl(["pkcs12", "-export", "-legacy", "-inkey", key, "-in", cert, "-out", out, "-passout", `pass:${PASSWORD}`]);
    const result = parsePfx(fs.readFileSync(out), PASSWORD);
    assert.ok(spki(result.privateKey).equals(spki(keys.privateKey)));
    assert.ok(result.certificates[0]!.equals(leaf));
  });
});

describe("PEM bundles", TIMEOUT, () => {
  it("pemBundle: PKCS#8 key then the chain; openssl reads the key and certificates", TIMEOUT, async () => {
    const { keys, leaf, ca } = await issued("P-256K");
    const pem = pemBundle(keys.privateKey, [leaf, ca]);
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const file = tmp.file("bundle.pem", pem);
    assert.match(openssl(["pkey", "-in", file, "-noout", "-text"]), /secp256k1/);
    assert.match(openssl(["x509", "-in", file, "-noout", "-subject"]), /CN = pfx\.contoso\.com/);
    const back = parsePemBundle(pem);
    assert.ok(spki(back.privateKey).equals(spki(keys.privateKey)));
    assert.deepEqual(back.certificates, [leaf, ca]);
  });

  it("a bundle openssl writes (chain first, SEC1 key last, EC PARAMETERS) parses leaf first", TIMEOUT, async () => {
    const { keys, leaf, ca } = await issued("P-384");
    const keyFile = tmp.file("sec1.key", keys.privateKey.export({ type: "sec1", format: "pem" }));
    const keyPem = openssl(["ecparam", "-name", "secp384r1"]) + openssl(["ec", "-in", keyFile]);
    const pem = toPem("CERTIFICATE", ca) + "subject=CN = ignored text\n" + toPem("CERTIFICATE", leaf) + keyPem;
    assert.match(pem, /EC PARAMETERS/);
    const back = parsePemBundle(pem);
    assert.ok(spki(back.privateKey).equals(spki(keys.privateKey)));
    assert.deepEqual(back.certificates, [leaf, ca]);
  });

  it("an RSA PKCS#1 key from openssl with its certificate parses", TIMEOUT, async () => {
    const { keys, leaf } = await issued("RSA-2048");
    const keyFile = tmp.file("rsa.key", keys.privateKey.export({ type: "pkcs8", format: "pem" }));
    const pkcs1 = openssl(["rsa", "-in", keyFile, "-traditional"]);
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    const back = parsePemBundle(toPem("CERTIFICATE", leaf) + pkcs1);
    assert.ok(spki(back.privateKey).equals(spki(keys.privateKey)));
  });

  it("unreadable, keyless, mismatched and encrypted bundles are CertificateInputError", TIMEOUT, async () => {
    const { keys, leaf } = await issued("P-256");
    const other = keyPair("P-256").privateKey;
    const keyPem = keys.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const unreadable = (error: Error) => error instanceof CertificateInputError && error.message === PEM_UNREADABLE;
    assert.throws(() => parsePemBundle("hello"), unreadable);
    assert.throws(() => parsePemBundle(keyPem), unreadable);
    assert.throws(() => parsePemBundle("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n" + keyPem), unreadable);
    assert.throws(() => parsePemBundle("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + keyPem), unreadable);
    assert.throws(() => parsePemBundle(toPem("CERTIFICATE", leaf)), /no private key/);
    assert.throws(() => parsePemBundle(toPem("CERTIFICATE", leaf) + other.export({ type: "pkcs8", format: "pem" })), /does not match/);
    const encrypted = keys.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret-pass" }) as string;
    assert.throws(
      () => parsePemBundle(toPem("CERTIFICATE", leaf) + encrypted),
      (error: Error) => error instanceof CertificateInputError && /encrypted/.test(error.message) && !error.message.includes("secret-pass"),
    );
  });
});

describe("self-signed certificates through PFX", TIMEOUT, () => {
  it("a self-signed certificate alone round-trips", TIMEOUT, async () => {
    const keys = keyPair("P-384");
    const der = await selfSignedCertificate(keys, SPEC, new Date());
    const back = parsePfx(buildPfx(keys.privateKey, [der]), undefined);
    assert.deepEqual(back.certificates, [der]);
  });
});
