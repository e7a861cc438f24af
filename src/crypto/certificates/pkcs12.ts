/**
 * PKCS#12 (PFX) reading and writing. Reading walks the structure with node-forge's BER parser (it takes the BER
 * that Java and Windows write) and decrypts with node-forge, which has every cipher PFX files use: PBES2
 * (PBKDF2 + AES, OpenSSL 3's default) and the legacy PKCS#12 PBEs (3DES, and 40-bit RC2, which Node's OpenSSL 3
 * no longer offers). The integrity MAC is checked here with node:crypto (pkcs12-kdf.ts).
 * Writing uses @peculiar/asn1-pfx: certificates in a plain SafeContents (they are public), the key in a
 * pkcs8ShroudedKeyBag under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), MAC HMAC-SHA256 — what `openssl pkcs12
 * -export` writes on OpenSSL 3, so OpenSSL 3, .NET and Windows read it without legacy options.
 */
import crypto, { type KeyObject } from "node:crypto";
import forge from "node-forge";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { ContentInfo } from "@peculiar/asn1-cms";
import { AuthenticatedSafe, CertBag, MacData, PFX, PKCS12Attribute, SafeBag, SafeContents } from "@peculiar/asn1-pfx";
import { DigestInfo } from "@peculiar/asn1-rsa";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { leafFirst } from "./chain.js";
import { keyMatchesCertificate } from "./describe.js";
import { CertificateInputError, PFX_BAD_PASSWORD, PFX_UNREADABLE } from "./errors.js";
import { bmpPassword, pfxMac } from "./pkcs12-kdf.js";

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  safeContentsBag: "1.2.840.113549.1.12.10.1.6",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  pbes2: "1.2.840.113549.1.5.13",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;
const PKCS12_PBE_OIDS = new Set(["1.2.840.113549.1.12.1.3", "1.2.840.113549.1.12.1.6"]); // 3DES, RC2-40
const MAC_ITERATIONS = 2048;
/**
 * The most key-derivation iterations a PFX may ask for: above real-world files (OpenSSL 2048, Windows 2000-10000,
 * OWASP's 600000 for PBKDF2), below what would hold the event loop for long (the legacy KDFs run in JavaScript).
 */
const MAX_ITERATIONS = 1_000_000;
const PBKDF2_ITERATIONS = 2048;

type Asn1 = forge.asn1.Asn1;
interface ForgeCipher {
  update(data: forge.util.ByteBuffer): void;
  finish(): boolean;
  output: forge.util.ByteBuffer;
}
/** The part of node-forge's PBE API used here (missing from @types/node-forge). */
const pbe = (forge.pki as unknown as {
  pbe: {
    getCipherForPBES2(oid: string, params: Asn1, password: string): ForgeCipher;
    getCipherForPKCS12PBE(oid: string, params: Asn1, password: string | null): ForgeCipher;
  };
}).pbe;

/** Thrown inside the walk for a structure that is not what PKCS#12 says; reported as PFX_UNREADABLE. */
class Malformed extends Error {}

function integerOf(node: Asn1 | undefined): number {
  if (!node || node.type !== forge.asn1.Type.INTEGER || typeof node.value !== "string" || node.value.length > 6) throw new Malformed();
  return parseInt(forge.util.bytesToHex(node.value), 16);
}
function checkIterations(count: number): void {
  if (!(count >= 1)) throw new Malformed();
  if (count > MAX_ITERATIONS) throw new CertificateInputError("The PKCS#12 content asks for more than 1000000 key derivation iterations.");
}

function children(node: Asn1 | undefined): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Malformed();
  return node.value as Asn1[];
}
function oidOf(node: Asn1 | undefined): string {
  if (!node || node.type !== forge.asn1.Type.OID || typeof node.value !== "string") throw new Malformed();
  return forge.asn1.derToOid(node.value);
}
/** The bytes of an OCTET STRING (or an implicitly tagged one), joining BER's constructed chunks. */
function octets(node: Asn1 | undefined): string {
  if (!node) throw new Malformed();
  if (typeof node.value === "string") return node.value;
  return children(node).map(octets).join("");
}
function explicitContent(node: Asn1 | undefined): Asn1 {
  const inner = children(node)[0];
  if (!inner) throw new Malformed();
  return inner;
}
const toBuffer = (binary: string): Buffer => Buffer.from(binary, "binary");
const fromDer = (binary: string): Asn1 => forge.asn1.fromDer(binary, false);

/** Decrypts PBES2 or PKCS#12-PBE ciphertext; null when the password does not fit (bad padding). */
function decrypt(algorithm: Asn1, ciphertext: string, password: string | null): Buffer | null {
  const [oidNode, params] = children(algorithm);
  const oid = oidOf(oidNode);
  if (!params) throw new Malformed();
  // PBES2-params: SEQ { keyDerivationFunc SEQ { oid, PBKDF2-params SEQ { salt, iterationCount, ... } }, encryptionScheme }
  // PKCS#12 pbeParams: SEQ { salt, iterations }
  if (oid === OID.pbes2) checkIterations(integerOf(children(children(children(params)[0])[1])[1]));
  else if (PKCS12_PBE_OIDS.has(oid)) checkIterations(integerOf(children(params)[1]));
  let cipher: ForgeCipher;
  try {
    if (oid === OID.pbes2) cipher = pbe.getCipherForPBES2(oid, params, forge.util.encodeUtf8(password ?? ""));
    else if (PKCS12_PBE_OIDS.has(oid)) cipher = pbe.getCipherForPKCS12PBE(oid, params, password);
    else throw new CertificateInputError("The PKCS#12 content uses an encryption algorithm that is not supported.");
  } catch (error) {
    if (error instanceof CertificateInputError) throw error;
    throw new CertificateInputError("The PKCS#12 content uses an encryption algorithm that is not supported.");
  }
  cipher.update(forge.util.createBuffer(ciphertext));
  return cipher.finish() ? toBuffer(cipher.output.getBytes()) : null;
}

interface Found {
  keys: Buffer[]; // PKCS#8 DER
  certificates: Buffer[];
}

function readSafeContents(der: string, password: string | null, found: Found): void {
  for (const bag of children(fromDer(der))) {
    const [idNode, valueNode] = children(bag);
    const id = oidOf(idNode);
    const value = explicitContent(valueNode);
    if (id === OID.keyBag) {
      found.keys.push(toBuffer(forge.asn1.toDer(value).getBytes()));
    } else if (id === OID.shroudedKeyBag) {
      const [algorithm, encrypted] = children(value);
      const pkcs8 = decrypt(algorithm!, octets(encrypted), password);
      if (!pkcs8) throw new CertificateInputError(PFX_BAD_PASSWORD);
      found.keys.push(pkcs8);
    } else if (id === OID.certBag) {
      const [certId, certValue] = children(value);
      if (oidOf(certId) === OID.x509Certificate) found.certificates.push(toBuffer(octets(explicitContent(certValue))));
    } else if (id === OID.safeContentsBag) {
      readSafeContents(forge.asn1.toDer(value).getBytes(), password, found);
    } // CRL and secret bags carry nothing a certificate needs
  }
}

function readAuthenticatedSafe(der: string, password: string | null): Found {
  const found: Found = { keys: [], certificates: [] };
  for (const contentInfo of children(fromDer(der))) {
    const [typeNode, contentNode] = children(contentInfo);
    const type = oidOf(typeNode);
    if (type === OID.data) {
      readSafeContents(octets(explicitContent(contentNode)), password, found);
    } else if (type === OID.encryptedData) {
      const [, encryptedContentInfo] = children(explicitContent(contentNode));
      const [, algorithm, encrypted] = children(encryptedContentInfo);
      if (!encrypted) continue; // no content: nothing to read
      const plain = decrypt(algorithm!, octets(encrypted), password);
      if (!plain) throw new CertificateInputError(PFX_BAD_PASSWORD);
      readSafeContents(plain.toString("binary"), password, found);
    } else {
      throw new CertificateInputError("The PKCS#12 content uses public-key privacy mode, which is not supported.");
    }
  }
  return found;
}

/** Checks the MAC; returns the password form that verified it (OpenSSL tries "" and absent for an empty one). */
function verifiedPassword(macData: Asn1 | undefined, authSafe: string, password: string | undefined): string | null {
  const candidates: (string | null)[] = password ? [password] : ["", null];
  if (!macData) return candidates[0]!;
  const [digestInfo, saltNode, iterationsNode] = children(macData);
  const [algorithm, digestNode] = children(digestInfo);
  const digestOid = oidOf(children(algorithm)[0]);
  const iterations = iterationsNode ? integerOf(iterationsNode) : 1;
  checkIterations(iterations);
  const expected = toBuffer(octets(digestNode));
  for (const candidate of candidates) {
    const mac = pfxMac(toBuffer(authSafe), bmpPassword(candidate), toBuffer(octets(saltNode)), iterations, digestOid);
    if (!mac) throw new CertificateInputError("The PKCS#12 content uses a MAC algorithm that is not supported.");
    if (mac.length === expected.length && crypto.timingSafeEqual(mac, expected)) return candidate;
  }
  throw new CertificateInputError(PFX_BAD_PASSWORD);
}

/**
 * Reads a PFX: its one private key (RSA or EC) and its certificates, leaf first (the key's certificate, then its
 * issuers). `password` undefined or "" opens a PFX made with an empty or absent password. Errors
 * (CertificateInputError): PFX_UNREADABLE for anything that is not a readable PFX, PFX_BAD_PASSWORD when the MAC
 * or the encrypted parts do not open with the password, and plain messages for no key / no certificate.
 */
export function parsePfx(data: Buffer, password: string | undefined): { privateKey: KeyObject; certificates: Buffer[] } {
  let found: Found;
  try {
    const pfx = children(fromDer(data.toString("binary")));
    const [version, authSafeInfo, macData] = pfx;
    if (integerOf(version) !== 3) throw new Malformed();
    const [typeNode, contentNode] = children(authSafeInfo);
    if (oidOf(typeNode) !== OID.data) throw new CertificateInputError("The PKCS#12 content uses public-key integrity mode, which is not supported.");
    const authSafe = octets(explicitContent(contentNode));
    found = readAuthenticatedSafe(authSafe, verifiedPassword(macData, authSafe, password));
  } catch (error) {
    if (error instanceof CertificateInputError) throw error;
    throw new CertificateInputError(PFX_UNREADABLE);
  }
  if (found.keys.length !== 1) throw new CertificateInputError(found.keys.length === 0 ? "The PKCS#12 content has no private key." : "The PKCS#12 content has more than one private key.");
  if (found.certificates.length === 0) throw new CertificateInputError("The PKCS#12 content has no certificate.");
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey({ key: found.keys[0]!, format: "der", type: "pkcs8" });
  } catch {
    // A key that decrypted to garbage (a wrong password can pass the padding check by chance) or an unknown type.
    throw new CertificateInputError(PFX_BAD_PASSWORD);
  }
  return { privateKey, certificates: leafFirst(privateKey, found.certificates, PFX_UNREADABLE) };
}

function localKeyIdAttribute(leaf: Buffer): PKCS12Attribute {
  const keyId = crypto.createHash("sha1").update(leaf).digest();
  // Fields set one by one: asn1-pfx 2.x's PKCS12Attribute constructor drops its params (Object.assign without `this`).
  const attribute = new PKCS12Attribute();
  attribute.attrId = OID.localKeyId;
  attribute.attrValues = [AsnConvert.serialize(new OctetString(keyId))];
  return attribute;
}

function dataContentInfo(der: ArrayBuffer): ContentInfo {
  return new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetString(der)) });
}

/** EncryptedPrivateKeyInfo DER: PBES2 with PBKDF2-HMAC-SHA256 (16-byte salt) and AES-256-CBC. */
function shroudKey(privateKey: KeyObject, password: string): ArrayBuffer {
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const info = forge.pki.encryptPrivateKeyInfo(fromDer(pkcs8.toString("binary")), forge.util.encodeUtf8(password), {
    algorithm: "aes256",
    count: PBKDF2_ITERATIONS,
    saltSize: 16,
    prfAlgorithm: "sha256",
  } as forge.pki.EncryptionOptions);
  return new Uint8Array(toBuffer(forge.asn1.toDer(info).getBytes())).buffer;
}

/**
 * A PFX of `privateKey` and `chain` (leaf first; the leaf and key share a localKeyId). Without `password` (or with
 * "") the PFX is protected with the empty password, as `openssl pkcs12 -export -passout pass:` writes it: OpenSSL
 * opens it with `-passin pass:` and .NET with no password. Key Vault's secret value for application/x-pkcs12 is
 * such a password-less PFX. Without `privateKey` the PFX holds the certificates only (a non-exportable key's secret).
 */
export function buildPfx(privateKey: KeyObject | undefined, chain: Buffer[], password?: string): Buffer {
  if (chain.length === 0) throw new CertificateInputError("A PFX needs at least one certificate.");
  if (privateKey && !keyMatchesCertificate(privateKey, chain[0]!)) throw new CertificateInputError("The private key does not match the certificate.");
  const pass = password ?? "";
  const leafAttributes = [localKeyIdAttribute(chain[0]!)];
  const certBags = chain.map(
    (der, i) =>
      new SafeBag({
        bagId: OID.certBag,
        bagValue: AsnConvert.serialize(new CertBag({ certId: OID.x509Certificate, certValue: AsnConvert.serialize(new OctetString(der)) })),
        ...(i === 0 ? { bagAttributes: leafAttributes } : {}),
      }),
  );
  const contents = [dataContentInfo(AsnConvert.serialize(new SafeContents(certBags)))];
  if (privateKey) {
    const keyBag = new SafeBag({ bagId: OID.shroudedKeyBag, bagValue: shroudKey(privateKey, pass), bagAttributes: leafAttributes });
    contents.push(dataContentInfo(AsnConvert.serialize(new SafeContents([keyBag]))));
  }
  const authSafe = AsnConvert.serialize(new AuthenticatedSafe(contents));
  const salt = crypto.randomBytes(16);
  const mac = pfxMac(Buffer.from(authSafe), bmpPassword(pass), salt, MAC_ITERATIONS, OID.sha256)!;
  const pfx = new PFX({
    version: 3,
    authSafe: dataContentInfo(authSafe),
    macData: new MacData({
      mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: null }), digest: new OctetString(mac) }),
      macSalt: new OctetString(salt),
      iterations: MAC_ITERATIONS,
    }),
  });
  return Buffer.from(AsnConvert.serialize(pfx));
}
