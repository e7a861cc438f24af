/**
 * Local key handling for `keyvault key import` and `download`, with node:crypto only: a private PEM (optionally
 * encrypted) becomes the JWK that Key Vault's import takes, and a returned public JWK becomes a
 * SubjectPublicKeyInfo file in PEM or DER, as az writes it. Key Vault names secp256k1 "P-256K"; node:crypto
 * names it "secp256k1". Error messages never include key material.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { CliError, UsageError } from "../errors.js";
import type { JwkWire } from "./key-view.js";

const TO_KEY_VAULT_CURVE: Record<string, string> = { "P-256": "P-256", "P-384": "P-384", "P-521": "P-521", secp256k1: "P-256K" };
const TO_NODE_CURVE: Record<string, string> = { "P-256": "P-256", "P-384": "P-384", "P-521": "P-521", "P-256K": "secp256k1", SECP256K1: "secp256k1" };

/** A private PEM → Key Vault's JWK (RSA: n e d p q dp dq qi; EC: crv x y d). */
export function privatePemToJwk(pem: Buffer | string, password: string | undefined): Record<string, string> {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pem, format: "pem", passphrase: password ?? "" });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ERR_OSSL_BAD_DECRYPT" ? "wrong --pem-password" : "not a PEM private key, or encrypted";
    throw new CliError(`Import failed: Could not deserialize key data (${reason}).`);
  }
  const jwk = key.export({ format: "jwk" }) as Record<string, string>;
  if (jwk.kty === "RSA") return jwk;
  if (jwk.kty === "EC") {
    const crv = TO_KEY_VAULT_CURVE[jwk.crv ?? ""];
    if (crv === undefined) throw new CliError(`Import failed: Unsupported curve, ${jwk.crv}.`);
    return { ...jwk, crv };
  }
  throw new CliError(`Import failed: Unsupported key type, ${key.asymmetricKeyType ?? "unknown"}.`);
}

/** A public JWK from the vault → SubjectPublicKeyInfo, PEM or DER. */
export function publicKeyFile(jwk: JwkWire | undefined, encoding: "PEM" | "DER"): Buffer {
  const kty = jwk?.kty ?? "";
  let input: crypto.JsonWebKey;
  if (kty === "RSA" || kty === "RSA-HSM") {
    input = { kty: "RSA", n: jwk?.n, e: jwk?.e };
  } else if (kty === "EC" || kty === "EC-HSM") {
    const crv = TO_NODE_CURVE[jwk?.crv ?? ""];
    if (crv === undefined) throw new CliError(`Unsupported curve: ${jwk?.crv}.`);
    input = { kty: "EC", crv, x: jwk?.x, y: jwk?.y };
  } else {
    throw new CliError(`Unsupported key type: ${kty}. (Supported key types: RSA, RSA-HSM, EC, EC-HSM)`);
  }
  const key = crypto.createPublicKey({ key: input, format: "jwk" });
  return encoding === "PEM" ? Buffer.from(key.export({ type: "spki", format: "pem" })) : key.export({ type: "spki", format: "der" });
}

/**
 * az's "JSON, or a path to a file containing JSON" arguments (`--policy`, rotation-policy `--value`): an existing
 * file is read, anything else is parsed as JSON text.
 */
export function jsonArgument(option: string, value: string): unknown {
  let text = value;
  if (fs.existsSync(value)) {
    try {
      text = fs.readFileSync(value, "utf8");
    } catch (error) {
      throw new CliError(`Cannot read '${value}': ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`argument ${option}: expected JSON or the path of a JSON file.`);
  }
}
