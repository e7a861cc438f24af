/**
 * SSH keys for `vm create`, as az handles them: use ~/.ssh/id_rsa.pub when present; with --generate-ssh-keys
 * create an RSA pair there when it is not. The public key is written in OpenSSH's one-line format
 * (`ssh-rsa <base64 of the RFC 4253 wire encoding>`), built from the JWK so that node:crypto is all we need.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError } from "./errors.js";

/** RFC 4251 string: uint32 length, then the bytes. */
function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** RFC 4251 mpint: big-endian, no leading zero bytes, but a 0x00 prefix when the high bit is set (it is unsigned). */
function sshMpint(unsignedBigEndian: Buffer): Buffer {
  let start = 0;
  while (start < unsignedBigEndian.length - 1 && unsignedBigEndian[start] === 0) start++;
  const trimmed = unsignedBigEndian.subarray(start);
  const needsPad = (trimmed[0] ?? 0) & 0x80;
  return sshString(needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** `ssh-rsa AAAA…` from an RSA public JWK. */
export function opensshPublicKey(jwk: { n?: string; e?: string }): string {
  if (jwk.n === undefined || jwk.e === undefined) throw new CliError("Not an RSA public key.");
  const wire = Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    sshMpint(Buffer.from(jwk.e, "base64url")),
    sshMpint(Buffer.from(jwk.n, "base64url")),
  ]);
  return `ssh-rsa ${wire.toString("base64")}`;
}

/** Parses `ssh-rsa <base64>` back to its exponent and modulus (hex); used to check keys and in tests. */
export function parseOpensshRsa(line: string): { e: string; n: string } {
  const [type, data] = line.trim().split(/\s+/);
  if (type !== "ssh-rsa" || data === undefined) throw new CliError("Not an ssh-rsa public key.");
  const wire = Buffer.from(data, "base64");
  const fields: Buffer[] = [];
  for (let offset = 0; offset + 4 <= wire.length; ) {
    const length = wire.readUInt32BE(offset);
    fields.push(wire.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  const [name, e, n] = fields;
  if (name?.toString() !== "ssh-rsa" || e === undefined || n === undefined) throw new CliError("Malformed ssh-rsa public key.");
  const hex = (b: Buffer): string => b.toString("hex").replace(/^(00)+(?=.)/, "");
  return { e: hex(e), n: hex(n) };
}

export function generateRsaKeyPair(modulusLength = 2048): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength });
  return {
    // PKCS#1 PEM: the format ssh-keygen wrote for years and OpenSSH still reads.
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: opensshPublicKey(publicKey.export({ format: "jwk" })),
  };
}

export interface SshKeyOptions {
  /** --ssh-key-values: key text or paths of public key files. */
  values?: string[];
  generate?: boolean;
  home?: string;
}

const MISSING_KEY_MESSAGE =
  "An RSA key file or key value must be supplied to SSH Key Value. You can use --generate-ssh-keys to let CLI generate one for you";

/** The public keys to install on the machine, per az's rules; may create ~/.ssh/id_rsa{,.pub}. */
export function resolveSshPublicKeys(options: SshKeyOptions): string[] {
  if (options.values?.length) return options.values.map(readKeyValue);
  const sshDir = path.join(options.home ?? os.homedir(), ".ssh");
  const privatePath = path.join(sshDir, "id_rsa");
  const publicPath = `${privatePath}.pub`;
  if (fs.existsSync(publicPath)) return [readKeyValue(publicPath)];
  if (!options.generate) throw new CliError(MISSING_KEY_MESSAGE);
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  if (fs.existsSync(privatePath)) {
    // As az: a private key without its .pub gets the .pub derived from it, never a new pair over it.
    const publicKey = publicKeyFromPrivate(privatePath);
    fs.writeFileSync(publicPath, `${publicKey}\n`, { mode: 0o644 });
    return [publicKey];
  }
  const pair = generateRsaKeyPair();
  fs.writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600, flag: "wx" });
  fs.writeFileSync(publicPath, `${pair.publicKey}\n`, { mode: 0o644, flag: "wx" });
  process.stderr.write(`SSH key files '${privatePath}' and '${publicPath}' have been generated under ~/.ssh to allow SSH access to the VM.\n`);
  return [pair.publicKey];
}

function publicKeyFromPrivate(privatePath: string): string {
  try {
    return opensshPublicKey(crypto.createPublicKey(fs.readFileSync(privatePath, "utf8")).export({ format: "jwk" }));
  } catch {
    throw new CliError(`${privatePath} exists without its .pub and is not a PEM RSA key; supply --ssh-key-values.`);
  }
}

function readKeyValue(value: string): string {
  const text = fs.existsSync(value) ? fs.readFileSync(value, "utf8").trim() : value.trim();
  if (!/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(text)) throw new CliError(MISSING_KEY_MESSAGE);
  return text;
}
