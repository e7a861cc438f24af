/**
 * A certificate's management policy, in Azure's wire names (key_props, secret_props, x509_props, lifetime_actions,
 * issuer, attributes): parsed and checked in full before anything is generated or stored, completed with Azure's
 * defaults, merged for PATCH …/policy, derived from an imported certificate, and turned into the X.509 layer's
 * CertificateSpec. Messages follow Azure's where known; the others are marked as Kluis's own in the issue note.
 */
import { CURVE_NAMES, isCurveName, RSA_KEY_SIZES, type CurveName } from "../../crypto/key-material.js";
import { CertificateInputError, KEY_USAGE_NAMES, parseSubject, type CertificateFacts, type CertificateSpec, type KeyUsageName } from "../../crypto/certificates/index.js";
import { DomainError } from "../errors.js";

export const PKCS12 = "application/x-pkcs12";
export const PEM = "application/x-pem-file";
export type SecretContentType = typeof PKCS12 | typeof PEM;

/** The names a policy's issuer may take without an issuer object: Azure's two, and Kluis's own CA. */
export const SELF_ISSUER = "Self";
export const UNKNOWN_ISSUER = "Unknown";
export const KLUIS_ISSUER = "Kluis";

export const KEY_USAGES: readonly KeyUsageName[] = KEY_USAGE_NAMES;

export interface LifetimeAction {
  trigger: { lifetime_percentage?: number; days_before_expiry?: number };
  action: { action_type: "EmailContacts" | "AutoRenew" };
}

export interface CertificatePolicy {
  key_props: { exportable: boolean; kty: "RSA" | "EC"; key_size?: number; crv?: CurveName; reuse_key: boolean };
  secret_props: { contentType: SecretContentType };
  x509_props: {
    subject: string;
    sans?: { emails?: string[]; dns_names?: string[]; upns?: string[] };
    ekus: string[];
    key_usage: KeyUsageName[];
    validity_months: number;
  };
  lifetime_actions: LifetimeAction[];
  issuer: { name: string; cty?: string; cert_transparency?: boolean };
  attributes: { enabled: boolean; created: number; updated: number };
}

const MAX_VALIDITY_MONTHS = 1200;
const MAX_SANS = 100;
const MAX_TEXT = 1024;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const OID = /^[0-2](\.(0|[1-9][0-9]{0,9})){1,30}$/;

function bad(message: string): DomainError {
  return new DomainError("BadParameter", message);
}

function object(raw: unknown, what: string): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw bad(`The property '${what}' must be an object.`);
  return raw as Record<string, unknown>;
}

function text(raw: unknown, what: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string" || raw.length > MAX_TEXT) throw bad(`The property '${what}' must be a string of at most ${MAX_TEXT} characters.`);
  return raw;
}

function bool(raw: unknown, what: string): boolean | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "boolean") throw bad(`The property '${what}' must be a boolean.`);
  return raw;
}

function strings(raw: unknown, what: string): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length > MAX_SANS || !raw.every((s) => typeof s === "string" && s.length > 0 && s.length <= 253)) {
    throw bad(`The property '${what}' must be an array of at most ${MAX_SANS} non-empty strings.`);
  }
  return raw as string[];
}

function integer(raw: unknown, what: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) throw bad(`The property '${what}' must be an integer between ${min} and ${max}.`);
  return raw;
}

/**
 * A policy from a request body, completed from `base` (the stored policy, for PATCH and for a create that names
 * only some parts) or from Azure's defaults. `now` stamps the attributes.
 */
export function parsePolicy(raw: unknown, now: number, base?: CertificatePolicy): CertificatePolicy {
  const p = object(raw, "policy");
  if (!p) {
    if (base) return base;
    throw bad("The certificate policy (policy) is required.");
  }
  const keyProps = parseKeyProps(object(p.key_props, "key_props"), base?.key_props);
  const secretProps = parseSecretProps(object(p.secret_props, "secret_props"), base?.secret_props);
  const x509 = parseX509Props(object(p.x509_props, "x509_props"), keyProps.kty, base?.x509_props);
  const issuer = parseIssuer(object(p.issuer, "issuer"), base?.issuer);
  const lifetimeActions = p.lifetime_actions === undefined || p.lifetime_actions === null ? (base?.lifetime_actions ?? defaultLifetimeActions(issuer.name)) : parseLifetimeActions(p.lifetime_actions, x509.validity_months);
  const attributes = object(p.attributes, "attributes");
  const enabled = bool(attributes?.enabled, "attributes.enabled") ?? base?.attributes.enabled ?? true;
  return {
    key_props: keyProps,
    secret_props: secretProps,
    x509_props: x509,
    lifetime_actions: lifetimeActions,
    issuer,
    attributes: { enabled, created: base?.attributes.created ?? now, updated: now },
  };
}

function parseKeyProps(k: Record<string, unknown> | undefined, base: CertificatePolicy["key_props"] | undefined): CertificatePolicy["key_props"] {
  const rawKty = k?.kty ?? base?.kty ?? "RSA";
  if (rawKty === "RSA-HSM" || rawKty === "EC-HSM") throw bad("Hardware key operation not allowed on standard vault");
  if (rawKty !== "RSA" && rawKty !== "EC") throw bad(`Invalid kty value: ${String(rawKty).slice(0, 32)}`);
  const kty = rawKty;
  const exportable = bool(k?.exportable, "key_props.exportable") ?? base?.exportable ?? true;
  const reuseKey = bool(k?.reuse_key, "key_props.reuse_key") ?? base?.reuse_key ?? false;
  if (kty === "RSA") {
    const size = k?.key_size ?? (base?.kty === "RSA" ? base.key_size : undefined) ?? 2048;
    if (typeof size !== "number" || !RSA_KEY_SIZES.includes(size)) throw bad(`Unsupported key size (${String(size).slice(0, 16)}). Supported sizes are [${RSA_KEY_SIZES.join(", ")}]`);
    return { exportable, kty, key_size: size, reuse_key: reuseKey };
  }
  const crv = k?.crv ?? (base?.kty === "EC" ? base.crv : undefined) ?? "P-256";
  if (!isCurveName(crv)) throw bad(`Unsupported curve '${String(crv).slice(0, 16)}'. Supported curves are [${CURVE_NAMES.join(", ")}]`);
  return { exportable, kty, crv, reuse_key: reuseKey };
}

function parseSecretProps(s: Record<string, unknown> | undefined, base: CertificatePolicy["secret_props"] | undefined): CertificatePolicy["secret_props"] {
  const contentType = s?.contentType ?? base?.contentType ?? PKCS12;
  if (contentType !== PKCS12 && contentType !== PEM) {
    throw bad(`Invalid content type '${String(contentType).slice(0, 64)}'. The supported content types are '${PKCS12}' and '${PEM}'.`);
  }
  return { contentType };
}

function parseX509Props(x: Record<string, unknown> | undefined, kty: "RSA" | "EC", base: CertificatePolicy["x509_props"] | undefined): CertificatePolicy["x509_props"] {
  const subject = text(x?.subject, "x509_props.subject") ?? base?.subject ?? "";
  const sansRaw = object(x?.sans, "x509_props.sans");
  const sans = sansRaw
    ? {
        ...(strings(sansRaw.emails, "sans.emails") ? { emails: sansRaw.emails as string[] } : {}),
        ...(strings(sansRaw.dns_names, "sans.dns_names") ? { dns_names: sansRaw.dns_names as string[] } : {}),
        ...(strings(sansRaw.upns, "sans.upns") ? { upns: sansRaw.upns as string[] } : {}),
      }
    : base?.sans;
  const sanCount = (sans?.emails?.length ?? 0) + (sans?.dns_names?.length ?? 0) + (sans?.upns?.length ?? 0);
  if (subject.trim() === "" && sanCount === 0) throw bad("The policy must name a subject (x509_props.subject) or at least one subject alternative name.");
  // Checked here, not first when the CSR is built: by then the policy would be stored (create, PATCH …/policy).
  if (subject.trim() !== "") assertDistinguishedName(subject);
  for (const dns of sans?.dns_names ?? []) if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(dns)) throw bad(`The DNS name '${dns.slice(0, 64)}' is not valid.`);
  for (const mail of [...(sans?.emails ?? []), ...(sans?.upns ?? [])]) if (!/^[^@\s]+@[^@\s]+$/.test(mail)) throw bad(`The address '${mail.slice(0, 64)}' is not valid.`);
  const ekus = strings(x?.ekus, "x509_props.ekus") ?? base?.ekus ?? [SERVER_AUTH, CLIENT_AUTH];
  for (const eku of ekus) if (!OID.test(eku)) throw bad(`The extended key usage '${eku.slice(0, 64)}' is not a valid object identifier.`);
  const usageRaw = strings(x?.key_usage, "x509_props.key_usage") ?? base?.key_usage ?? (kty === "RSA" ? ["digitalSignature", "keyEncipherment"] : ["digitalSignature"]);
  for (const usage of usageRaw) if (!KEY_USAGES.includes(usage as KeyUsageName)) throw bad(`Invalid key usage '${usage.slice(0, 32)}'. Valid values are [${KEY_USAGES.join(", ")}]`);
  const validity = integer(x?.validity_months, "x509_props.validity_months", 1, MAX_VALIDITY_MONTHS) ?? base?.validity_months ?? 12;
  const out: CertificatePolicy["x509_props"] = { subject, ekus, key_usage: usageRaw as KeyUsageName[], validity_months: validity };
  if (sans && sanCount > 0) out.sans = sans;
  return out;
}

function assertDistinguishedName(subject: string): void {
  try {
    parseSubject(subject);
  } catch (error) {
    if (error instanceof CertificateInputError) throw bad(error.message);
    throw error;
  }
}

function parseIssuer(i: Record<string, unknown> | undefined, base: CertificatePolicy["issuer"] | undefined): CertificatePolicy["issuer"] {
  const name = text(i?.name, "issuer.name") ?? base?.name ?? UNKNOWN_ISSUER;
  if (name.trim() === "" || name.length > 127) throw bad("The issuer name (issuer.name) must be a non-empty string of at most 127 characters.");
  const out: CertificatePolicy["issuer"] = { name };
  const cty = text(i?.cty, "issuer.cty") ?? (i ? undefined : base?.cty);
  if (cty !== undefined) out.cty = cty;
  const transparency = bool(i?.cert_transparency, "issuer.cert_transparency") ?? (i ? undefined : base?.cert_transparency);
  if (transparency !== undefined) out.cert_transparency = transparency;
  return out;
}

/** Azure allows one lifetime action, triggered at a percentage of the lifetime (1–99) or days before expiry. */
function parseLifetimeActions(raw: unknown, validityMonths: number): LifetimeAction[] {
  if (!Array.isArray(raw)) throw bad("The property 'lifetime_actions' must be an array.");
  if (raw.length > 1) throw bad("Only one lifetime action is allowed in a certificate policy.");
  return raw.map((entry: unknown) => {
    const e = object(entry, "lifetime_actions[]") ?? {};
    const trigger = object(e.trigger, "lifetime_actions[].trigger") ?? {};
    const action = object(e.action, "lifetime_actions[].action") ?? {};
    const type = action.action_type;
    if (type !== "EmailContacts" && type !== "AutoRenew") throw bad(`Invalid action type '${String(type).slice(0, 32)}'. Valid values are [EmailContacts, AutoRenew]`);
    const percentage = integer(trigger.lifetime_percentage, "trigger.lifetime_percentage", 1, 99);
    const days = integer(trigger.days_before_expiry, "trigger.days_before_expiry", 1, validityMonths * 31 - 1);
    if ((percentage === undefined) === (days === undefined)) throw bad("A lifetime action's trigger must have exactly one of 'lifetime_percentage' and 'days_before_expiry'.");
    return { trigger: percentage !== undefined ? { lifetime_percentage: percentage } : { days_before_expiry: days! }, action: { action_type: type } };
  });
}

/** Azure's default: renew automatically when its own issuers can, else e-mail the contacts, at 80 % of the lifetime. */
function defaultLifetimeActions(issuerName: string): LifetimeAction[] {
  const type = issuerName.toLowerCase() === UNKNOWN_ISSUER.toLowerCase() ? "EmailContacts" : "AutoRenew";
  return [{ trigger: { lifetime_percentage: 80 }, action: { action_type: type } }];
}

/** The X.509 layer's view of the policy. */
export function specOf(policy: CertificatePolicy): CertificateSpec {
  const x = policy.x509_props;
  return {
    subject: x.subject,
    dnsNames: x.sans?.dns_names ?? [],
    emails: x.sans?.emails ?? [],
    upns: x.sans?.upns ?? [],
    keyUsage: x.key_usage,
    ekus: x.ekus,
    validityMonths: x.validity_months,
  };
}

/** The policy an imported certificate implies when the request gives none: its own names, usages and key. */
export function policyFromCertificate(facts: CertificateFacts, contentType: SecretContentType, keySizeOrCurve: { kty: "RSA" | "EC"; size?: number; crv?: CurveName }, now: number): CertificatePolicy {
  const months = Math.max(1, Math.min(MAX_VALIDITY_MONTHS, Math.round((facts.notAfter - facts.notBefore) / (86_400 * 30.44))));
  const sans: CertificatePolicy["x509_props"]["sans"] = {};
  if (facts.dnsNames.length) sans.dns_names = [...facts.dnsNames];
  if (facts.emails.length) sans.emails = [...facts.emails];
  if (facts.upns.length) sans.upns = [...facts.upns];
  const x509: CertificatePolicy["x509_props"] = { subject: facts.subject, ekus: [...facts.ekus], key_usage: [...facts.keyUsage], validity_months: months };
  if (Object.keys(sans).length) x509.sans = sans;
  const keyProps: CertificatePolicy["key_props"] =
    keySizeOrCurve.kty === "RSA"
      ? { exportable: true, kty: "RSA", key_size: keySizeOrCurve.size ?? 2048, reuse_key: false }
      : { exportable: true, kty: "EC", crv: keySizeOrCurve.crv ?? "P-256", reuse_key: false };
  return {
    key_props: keyProps,
    secret_props: { contentType },
    x509_props: x509,
    lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "EmailContacts" } }],
    issuer: { name: UNKNOWN_ISSUER },
    attributes: { enabled: true, created: now, updated: now },
  };
}

/** Key operations of a certificate's key, from its key usages (as Key Vault derives them). */
export function keyOpsFor(policy: CertificatePolicy): string[] {
  const usage = new Set(policy.x509_props.key_usage);
  const ops: string[] = [];
  if (usage.has("digitalSignature") || usage.has("nonRepudiation") || usage.size === 0) ops.push("sign", "verify");
  if (policy.key_props.kty === "RSA") {
    if (usage.has("keyEncipherment") || usage.size === 0) ops.push("wrapKey", "unwrapKey");
    if (usage.has("dataEncipherment") || usage.size === 0) ops.push("encrypt", "decrypt");
  }
  return ops;
}

/** When the policy's lifetime action falls due for a version valid from `notBefore` to `notAfter`, and which; null without one. */
export function lifetimeActionDue(policy: CertificatePolicy, notBefore: number, notAfter: number): { at: number; type: LifetimeAction["action"]["action_type"] } | null {
  const action = policy.lifetime_actions[0];
  if (!action) return null;
  const { lifetime_percentage: percentage, days_before_expiry: days } = action.trigger;
  const at = percentage !== undefined ? notBefore + Math.floor(((notAfter - notBefore) * percentage) / 100) : notAfter - (days ?? 0) * 86_400;
  return { at, type: action.action.action_type };
}

/** When an AutoRenew action falls due for such a version; null when the policy does not renew by itself. */
export function renewalDueAt(policy: CertificatePolicy, notBefore: number, notAfter: number): number | null {
  const due = lifetimeActionDue(policy, notBefore, notAfter);
  return due?.type === "AutoRenew" ? due.at : null;
}

/** The policy as the wire shows it: with its id, the fields in Azure's order. */
export function policyJson(certificateUri: string, policy: CertificatePolicy): Record<string, unknown> {
  return { id: `${certificateUri}/policy`, ...structuredClone(policy) };
}
