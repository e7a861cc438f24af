/** The vm exec trust bundle: system roots plus the Kluis CA, beside the CA, refreshed when the CA changes. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { BUNDLE_FILE_NAME, ensureCaBundle } from "./ca-bundle.js";

const FAKE_CA = (n: number) => `-----BEGIN CERTIFICATE-----\nS0xVSVMtQ0EtJHtufQ${n}==\n-----END CERTIFICATE-----\n`;

describe("ensureCaBundle", { timeout: 30_000 }, () => {
  let dir: string;
  let caFile: string;
  let fallback: string;
  let roots: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kluis-bundle-"));
    fs.mkdirSync(path.join(dir, "tls"));
    caFile = path.join(dir, "tls", "ca.pem");
    fallback = path.join(dir, "config");
    roots = path.join(dir, "roots.crt");
    fs.writeFileSync(roots, tls.rootCertificates.slice(0, 3).join("\n"));
    fs.writeFileSync(caFile, FAKE_CA(1));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes the system roots and the Kluis CA beside the CA, and rewrites only when the CA changes", { timeout: 5000 }, () => {
    const bundle = ensureCaBundle(caFile, fallback, roots);
    assert.equal(bundle, path.join(dir, "tls", BUNDLE_FILE_NAME));
    const text = fs.readFileSync(bundle, "utf8");
    assert.ok(text.includes(tls.rootCertificates[0]!.trim()));
    assert.ok(text.includes(FAKE_CA(1).trim()));
    const written = fs.statSync(bundle).mtimeMs;
    fs.utimesSync(bundle, new Date(0), new Date(0));
    ensureCaBundle(caFile, fallback, roots);
    assert.equal(fs.statSync(bundle).mtimeMs, 0, "an up-to-date bundle is left alone");
    assert.ok(written > 0);

    fs.writeFileSync(caFile, FAKE_CA(2));
    ensureCaBundle(caFile, fallback, roots);
    const refreshed = fs.readFileSync(bundle, "utf8");
    assert.ok(refreshed.includes(FAKE_CA(2).trim()) && !refreshed.includes(FAKE_CA(1).trim()));
    assert.deepEqual(fs.readdirSync(path.join(dir, "tls")).sort(), ["ca-bundle.pem", "ca.pem"], "no temporary file left");
  });

  it("uses Node's roots where the system has no bundle", { timeout: 5000 }, () => {
    const bundle = ensureCaBundle(caFile, fallback, path.join(dir, "absent.crt"));
    const text = fs.readFileSync(bundle, "utf8");
    assert.equal(text.split("-----BEGIN CERTIFICATE-----").length - 1, tls.rootCertificates.length + 1);
  });

  it("falls back to the CLI's own directory where the bundle can't be written beside the CA", { timeout: 5000 }, () => {
    const blockedDir = path.join(dir, "blocked");
    fs.mkdirSync(path.join(blockedDir, BUNDLE_FILE_NAME), { recursive: true }); // a directory where the file should go
    const blockedCa = path.join(blockedDir, "ca.pem");
    fs.writeFileSync(blockedCa, FAKE_CA(3));
    const bundle = ensureCaBundle(blockedCa, fallback, roots);
    assert.equal(bundle, path.join(fallback, BUNDLE_FILE_NAME));
    assert.ok(fs.readFileSync(bundle, "utf8").includes(FAKE_CA(3).trim()));
  });
});
