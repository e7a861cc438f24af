/** The certificate policy: Azure's defaults, merging over a stored policy, refusals, renewal times, key operations. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DomainError } from "../errors.js";
import { keyOpsFor, parsePolicy, renewalDueAt } from "./certificate-policy.js";

const NOW = 1_800_000_000;
const refused = (fragment: string) => (error: unknown) => error instanceof DomainError && error.code === "BadParameter" && error.message.includes(fragment);

test("a minimal policy gets Azure's defaults", { timeout: 5_000 }, () => {
  const policy = parsePolicy({ x509_props: { subject: "CN=a" }, issuer: { name: "Self" } }, NOW);
  assert.deepEqual(policy.key_props, { exportable: true, kty: "RSA", key_size: 2048, reuse_key: false });
  assert.deepEqual(policy.secret_props, { contentType: "application/x-pkcs12" });
  assert.equal(policy.x509_props.validity_months, 12);
  assert.deepEqual(policy.x509_props.key_usage, ["digitalSignature", "keyEncipherment"]);
  assert.deepEqual(policy.lifetime_actions, [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "AutoRenew" } }]);
  assert.deepEqual(policy.attributes, { enabled: true, created: NOW, updated: NOW });
  const unknown = parsePolicy({ x509_props: { subject: "CN=a" } }, NOW);
  assert.equal(unknown.issuer.name, "Unknown");
  assert.equal(unknown.lifetime_actions[0]!.action.action_type, "EmailContacts", "Unknown issuers cannot renew by themselves");
});

test("a partial policy keeps the stored parts it does not name", { timeout: 5_000 }, () => {
  const stored = parsePolicy({ key_props: { kty: "EC", crv: "P-384" }, x509_props: { subject: "CN=a", sans: { dns_names: ["a.test"] }, validity_months: 3 }, issuer: { name: "Kluis" } }, NOW);
  const merged = parsePolicy({ x509_props: { validity_months: 6 } }, NOW + 10, stored);
  assert.deepEqual(merged.key_props, { exportable: true, kty: "EC", crv: "P-384", reuse_key: false });
  assert.equal(merged.x509_props.subject, "CN=a");
  assert.deepEqual(merged.x509_props.sans, { dns_names: ["a.test"] });
  assert.equal(merged.x509_props.validity_months, 6);
  assert.equal(merged.issuer.name, "Kluis");
  assert.deepEqual(merged.attributes, { enabled: true, created: NOW, updated: NOW + 10 });
});

test("malformed policies are refused with BadParameter before anything happens", { timeout: 5_000 }, () => {
  assert.throws(() => parsePolicy(undefined, NOW), refused("policy"));
  assert.throws(() => parsePolicy({ issuer: { name: "Self" } }, NOW), refused("subject"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a" }, key_props: { kty: "RSA", key_size: 1024 } }, NOW), refused("Unsupported key size"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a" }, key_props: { kty: "EC", crv: "P-192" } }, NOW), refused("Unsupported curve"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a" }, key_props: { kty: "RSA-HSM" } }, NOW), refused("Hardware"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a" }, secret_props: { contentType: "text/plain" } }, NOW), refused("content type"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a", validity_months: 0 } }, NOW), refused("validity_months"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a", key_usage: ["signEverything"] } }, NOW), refused("key usage"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a", ekus: ["not-an-oid"] } }, NOW), refused("object identifier"));
  assert.throws(() => parsePolicy({ x509_props: { subject: "CN=a", sans: { dns_names: ["bad name"] } } }, NOW), refused("DNS name"));
  const action = (trigger: unknown, type = "AutoRenew") => ({ x509_props: { subject: "CN=a" }, lifetime_actions: [{ trigger, action: { action_type: type } }] });
  assert.throws(() => parsePolicy(action({ lifetime_percentage: 100 }), NOW), refused("lifetime_percentage"));
  assert.throws(() => parsePolicy(action({}), NOW), refused("exactly one"));
  assert.throws(() => parsePolicy(action({ lifetime_percentage: 50, days_before_expiry: 3 }), NOW), refused("exactly one"));
  assert.throws(() => parsePolicy(action({ lifetime_percentage: 50 }, "Explode"), NOW), refused("action type"));
});

test("renewal falls due at the lifetime percentage or the days before expiry; EmailContacts never renews", { timeout: 5_000 }, () => {
  const base = { x509_props: { subject: "CN=a" }, issuer: { name: "Self" } };
  const byPercent = parsePolicy({ ...base, lifetime_actions: [{ trigger: { lifetime_percentage: 75 }, action: { action_type: "AutoRenew" } }] }, NOW);
  assert.equal(renewalDueAt(byPercent, 1000, 2000), 1750);
  const byDays = parsePolicy({ ...base, lifetime_actions: [{ trigger: { days_before_expiry: 2 }, action: { action_type: "AutoRenew" } }] }, NOW);
  assert.equal(renewalDueAt(byDays, 0, 10 * 86_400), 8 * 86_400);
  const email = parsePolicy({ ...base, lifetime_actions: [{ trigger: { lifetime_percentage: 75 }, action: { action_type: "EmailContacts" } }] }, NOW);
  assert.equal(renewalDueAt(email, 1000, 2000), null);
});

test("the key's operations follow the key usages", { timeout: 5_000 }, () => {
  assert.deepEqual(keyOpsFor(parsePolicy({ x509_props: { subject: "CN=a", key_usage: ["digitalSignature", "keyEncipherment"] } }, NOW)), ["sign", "verify", "wrapKey", "unwrapKey"]);
  assert.deepEqual(keyOpsFor(parsePolicy({ key_props: { kty: "EC" }, x509_props: { subject: "CN=a", key_usage: ["digitalSignature"] } }, NOW)), ["sign", "verify"]);
});
