/**
 * Certificate policies between the three spellings a user meets: az prints (and `get-default-policy` writes) the
 * SDK model in camelCase (`keyProperties.keyType`), Python scripts pass its snake_case (`key_properties.key_type`),
 * and Key Vault's REST API speaks its own short names (`key_props.kty`). `--policy` takes any of them, as JSON or a
 * JSON file, and is sent in the REST spelling; a property that none of them has is refused by name, so a typo does
 * not silently create a certificate with another policy than meant.
 */
import { UsageError } from "../errors.js";
import { attributesView } from "./secret-view.js";
import type { SecretAttributes } from "./secret-view.js";

/** Key Vault's wire policy. */
export interface PolicyWire {
  id?: string;
  key_props?: { exportable?: boolean; kty?: string; key_size?: number; crv?: string; reuse_key?: boolean };
  secret_props?: { contentType?: string };
  x509_props?: {
    subject?: string;
    ekus?: string[];
    sans?: { emails?: string[]; dns_names?: string[]; upns?: string[] };
    key_usage?: string[];
    validity_months?: number;
  };
  lifetime_actions?: { trigger?: { lifetime_percentage?: number; days_before_expiry?: number }; action?: { action_type?: string } }[];
  issuer?: { name?: string; cty?: string; cert_transparency?: boolean };
  attributes?: SecretAttributes;
}

/** One level of the policy: wire name → the other spellings, and what is below it. */
interface Field {
  aliases?: string[];
  object?: Schema;
  listOf?: Schema;
  /** Read-only on the service (ids, timestamps): accepted, so that a policy az printed can be sent back, and dropped. */
  readOnly?: boolean;
}
type Schema = Record<string, Field>;

const KEY: Schema = {
  exportable: {},
  kty: { aliases: ["keyType", "key_type"] },
  key_size: { aliases: ["keySize"] },
  crv: { aliases: ["curve"] },
  reuse_key: { aliases: ["reuseKey"] },
};
const SANS: Schema = { emails: {}, dns_names: { aliases: ["dnsNames"] }, upns: {} };
const X509: Schema = {
  subject: {},
  ekus: {},
  sans: { aliases: ["subjectAlternativeNames", "subject_alternative_names"], object: SANS },
  key_usage: { aliases: ["keyUsage"] },
  validity_months: { aliases: ["validityInMonths", "validity_in_months"] },
};
const LIFETIME_ACTION: Schema = {
  trigger: { object: { lifetime_percentage: { aliases: ["lifetimePercentage"] }, days_before_expiry: { aliases: ["daysBeforeExpiry"] } } },
  action: { object: { action_type: { aliases: ["actionType"] } } },
};
const ISSUER: Schema = {
  name: {},
  cty: { aliases: ["certificateType", "certificate_type"] },
  cert_transparency: { aliases: ["certificateTransparency", "certificate_transparency"] },
};
const READ_ONLY_ATTRIBUTES = ["created", "updated", "expires", "exp", "notBefore", "not_before", "nbf", "recoveryLevel", "recovery_level", "recoverableDays", "recoverable_days"];
const ATTRIBUTES: Schema = { enabled: {}, ...Object.fromEntries(READ_ONLY_ATTRIBUTES.map((name) => [name, { readOnly: true }])) };
const POLICY: Schema = {
  id: { readOnly: true },
  key_props: { aliases: ["keyProperties", "key_properties"], object: KEY },
  secret_props: { aliases: ["secretProperties", "secret_properties"], object: { contentType: { aliases: ["content_type"] } } },
  x509_props: { aliases: ["x509CertificateProperties", "x509_certificate_properties"], object: X509 },
  lifetime_actions: { aliases: ["lifetimeActions"], listOf: LIFETIME_ACTION },
  issuer: { aliases: ["issuerParameters", "issuer_parameters"], object: ISSUER },
  attributes: { object: ATTRIBUTES },
};

const fold = (name: string) => name.replace(/_/g, "").toLowerCase();

function lookup(schema: Schema, name: string): [string, Field] | undefined {
  const wanted = fold(name);
  return Object.entries(schema).find(([wire, field]) => fold(wire) === wanted || (field.aliases ?? []).some((alias) => fold(alias) === wanted));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function normalise(value: unknown, schema: Schema, path: string): Record<string, unknown> {
  if (!isRecord(value)) throw new UsageError(`argument --policy: ${path || "the policy"} must be a JSON object.`);
  const result: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    const found = lookup(schema, name);
    if (found === undefined) throw new UsageError(`argument --policy: unknown property '${path}${name}'.`);
    const [wire, field] = found;
    if (field.readOnly || child === null || child === undefined) continue;
    if (field.object) result[wire] = normalise(child, field.object, `${path}${name}.`);
    else if (field.listOf) {
      if (!Array.isArray(child)) throw new UsageError(`argument --policy: ${path}${name} must be a JSON array.`);
      result[wire] = child.map((item, index) => normalise(item, field.listOf!, `${path}${name}[${index}].`));
    } else result[wire] = child;
  }
  return result;
}

/** A parsed `--policy` (any of the three spellings) → Key Vault's wire policy. */
export function policyToWire(policy: unknown): PolicyWire {
  return normalise(policy, POLICY, "") as PolicyWire;
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** Key Vault's policy → the SDK model as az prints it (`certificate show --query policy`). */
export function policyView(wire: PolicyWire | undefined): Record<string, unknown> | null {
  if (wire === undefined) return null;
  const { key_props: key, secret_props: secret, x509_props: x509, issuer } = wire;
  return {
    attributes: wire.attributes === undefined ? null : attributesView(wire.attributes),
    id: orNull(wire.id),
    issuerParameters: issuer === undefined ? null : issuerParametersView(issuer),
    keyProperties:
      key === undefined
        ? null
        : { curve: orNull(key.crv), exportable: orNull(key.exportable), keySize: orNull(key.key_size), keyType: orNull(key.kty), reuseKey: orNull(key.reuse_key) },
    lifetimeActions:
      wire.lifetime_actions === undefined
        ? null
        : wire.lifetime_actions.map((action) => ({
            action: action.action === undefined ? null : { actionType: orNull(action.action.action_type) },
            trigger:
              action.trigger === undefined
                ? null
                : { daysBeforeExpiry: orNull(action.trigger.days_before_expiry), lifetimePercentage: orNull(action.trigger.lifetime_percentage) },
          })),
    secretProperties: secret === undefined ? null : { contentType: orNull(secret.contentType) },
    x509CertificateProperties:
      x509 === undefined
        ? null
        : {
            ekus: orNull(x509.ekus),
            keyUsage: orNull(x509.key_usage),
            subject: orNull(x509.subject),
            subjectAlternativeNames:
              x509.sans === undefined ? null : { dnsNames: orNull(x509.sans.dns_names), emails: orNull(x509.sans.emails), upns: orNull(x509.sans.upns) },
            validityInMonths: orNull(x509.validity_months),
          },
  };
}

export function issuerParametersView(issuer: NonNullable<PolicyWire["issuer"]>): Record<string, unknown> {
  return { certificateTransparency: orNull(issuer.cert_transparency), certificateType: orNull(issuer.cty), name: orNull(issuer.name) };
}

const DEFAULT_KEY_USAGE = ["cRLSign", "dataEncipherment", "digitalSignature", "keyEncipherment", "keyAgreement", "keyCertSign"];

/**
 * `az keyvault certificate get-default-policy`, field for field: az builds the SDK model and deletes id, attributes,
 * the issuer's certificateType, the trigger's lifetimePercentage, the SANs and the EKUs before printing, so those
 * are absent (not null); a self-signed RSA-2048 certificate for a year, renewed 90 days before it expires.
 */
export function defaultPolicy(): Record<string, unknown> {
  return {
    issuerParameters: { certificateTransparency: null, name: "Self" },
    keyProperties: { curve: null, exportable: true, keySize: 2048, keyType: "RSA", reuseKey: true },
    lifetimeActions: [{ action: { actionType: "AutoRenew" }, trigger: { daysBeforeExpiry: 90 } }],
    secretProperties: { contentType: "application/x-pkcs12" },
    x509CertificateProperties: { keyUsage: [...DEFAULT_KEY_USAGE], subject: "CN=CLIGetDefaultPolicy", validityInMonths: 12 },
  };
}

/** `get-default-policy --scaffold`: every field, with az's placeholder texts where a choice is to be made. */
export function scaffoldPolicy(): Record<string, unknown> {
  return {
    issuerParameters: { certificateTransparency: null, certificateType: "(optional) DigiCert, GlobalSign or WoSign", name: "Unknown, Self, or {IssuerName}" },
    keyProperties: { curve: null, exportable: true, keySize: 2048, keyType: "(optional) RSA or RSA-HSM (default RSA)", reuseKey: true },
    lifetimeActions: [{ action: { actionType: "AutoRenew" }, trigger: { daysBeforeExpiry: 90, lifetimePercentage: null } }],
    secretProperties: { contentType: "application/x-pkcs12 or application/x-pem-file" },
    x509CertificateProperties: {
      ekus: ["1.3.6.1.5.5.7.3.1"],
      keyUsage: [...DEFAULT_KEY_USAGE],
      subject: "C=US, ST=WA, L=Redmond, O=Contoso, OU=Contoso HR, CN=www.contoso.com",
      subjectAlternativeNames: { dnsNames: ["hr.contoso.com", "m.contoso.com"], emails: ["hello@contoso.com"], upns: [] },
      validityInMonths: 24,
    },
  };
}
