/**
 * A key's rotation policy with Key Vault's rules: lifetime actions Rotate and Notify, each triggered a duration
 * after the version's creation or before its expiry, and the expiry (`expiryTime`) that rotation gives new
 * versions. Pure: parsing, validation, and when the Rotate action falls due for a version.
 *
 * Azure's rules (REST reference, the key-rotation article, Azure SDK docs): expiryTime at least 28 days; a trigger
 * at least 7 days, and at least 7 days before expiryTime; timeBeforeExpiry only with an expiryTime; Notify only
 * before expiry; one action of each type. The messages are ours (Azure's exact wording is not published).
 */
import { DomainError } from "../errors.js";
import { approximateSeconds, parseIsoDuration, shiftBy, type IsoDuration } from "./iso-duration.js";

export type LifetimeActionType = "Rotate" | "Notify";

export interface LifetimeAction {
  trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string };
  action: { type: LifetimeActionType };
}

/** The policy as stored (RotationPolicyRecord.policy) and answered. */
export interface RotationPolicy {
  lifetimeActions: LifetimeAction[];
  /** ISO 8601 duration after which a rotated version expires, or null. */
  expiryTime: string | null;
}

/** What Key Vault answers for a key that has no policy: notify 30 days before expiry. */
export const DEFAULT_LIFETIME_ACTIONS: LifetimeAction[] = [{ trigger: { timeBeforeExpiry: "P30D" }, action: { type: "Notify" } }];

const DAY = 86_400;
const MIN_TRIGGER_SECONDS = 7 * DAY;
const MIN_EXPIRY_SECONDS = 28 * DAY;
const MAX_TEXT = 64;

function bad(message: string): DomainError {
  return new DomainError("BadParameter", message);
}

function duration(value: unknown, field: string): { text: string; parsed: IsoDuration } {
  if (typeof value !== "string" || value.length > MAX_TEXT) throw bad(`'${field}' must be an ISO 8601 duration, e.g. P90D.`);
  const parsed = parseIsoDuration(value);
  if (!parsed) throw bad(`'${field}' is not a valid ISO 8601 duration: '${value}'. Examples: P90D, P3M, PT48H, P1Y10D.`);
  return { text: value, parsed };
}

function objectOr(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw bad(`'${field}' must be an object.`);
  return value as Record<string, unknown>;
}

/** Validates a policy as a client sends it (`{lifetimeActions, attributes: {expiryTime}}`). */
export function parseRotationPolicy(input: Record<string, unknown>): RotationPolicy {
  const attributes = objectOr(input.attributes, "attributes");
  const expiry = attributes.expiryTime === undefined || attributes.expiryTime === null ? null : duration(attributes.expiryTime, "expiryTime");
  if (expiry && approximateSeconds(expiry.parsed) < MIN_EXPIRY_SECONDS) throw bad(`'expiryTime' must be at least 28 days (P28D); it is '${expiry.text}'.`);
  const raw = input.lifetimeActions ?? [];
  if (!Array.isArray(raw)) throw bad("'lifetimeActions' must be an array.");
  const seen = new Set<LifetimeActionType>();
  const lifetimeActions = raw.map((entry, i): LifetimeAction => {
    const at = `lifetimeActions[${i}]`;
    const item = objectOr(entry, at);
    const trigger = objectOr(item.trigger, `${at}.trigger`);
    const type = String(objectOr(item.action, `${at}.action`).type ?? "").toLowerCase();
    if (type !== "rotate" && type !== "notify") throw bad(`${at}.action.type must be 'Rotate' or 'Notify'.`);
    const actionType: LifetimeActionType = type === "rotate" ? "Rotate" : "Notify";
    if (seen.has(actionType)) throw bad(`A rotation policy may hold only one '${actionType}' action.`);
    seen.add(actionType);
    const after = trigger.timeAfterCreate === undefined || trigger.timeAfterCreate === null ? null : duration(trigger.timeAfterCreate, `${at}.trigger.timeAfterCreate`);
    const before = trigger.timeBeforeExpiry === undefined || trigger.timeBeforeExpiry === null ? null : duration(trigger.timeBeforeExpiry, `${at}.trigger.timeBeforeExpiry`);
    if ((after === null) === (before === null)) throw bad(`${at}.trigger must set exactly one of 'timeAfterCreate' and 'timeBeforeExpiry'.`);
    if (actionType === "Notify" && after) throw bad("A 'Notify' action can only be triggered by 'timeBeforeExpiry'.");
    if (before && !expiry) throw bad("'timeBeforeExpiry' needs the policy's 'expiryTime' to be set.");
    const chosen = (after ?? before)!;
    const seconds = approximateSeconds(chosen.parsed);
    if (seconds < MIN_TRIGGER_SECONDS) throw bad(`The trigger '${chosen.text}' must be at least 7 days (P7D).`);
    if (expiry && seconds > approximateSeconds(expiry.parsed) - MIN_TRIGGER_SECONDS) {
      throw bad(`The trigger '${chosen.text}' must fall at least 7 days before the policy's expiryTime '${expiry.text}'.`);
    }
    return { trigger: after ? { timeAfterCreate: after.text } : { timeBeforeExpiry: before!.text }, action: { type: actionType } };
  });
  return { lifetimeActions, expiryTime: expiry?.text ?? null };
}

/** A stored policy back in its type (storage returns it as plain JSON). */
export function storedPolicy(json: Record<string, unknown>): RotationPolicy {
  return {
    lifetimeActions: Array.isArray(json.lifetimeActions) ? (json.lifetimeActions as LifetimeAction[]) : [],
    expiryTime: typeof json.expiryTime === "string" ? json.expiryTime : null,
  };
}

/**
 * When the Rotate action falls due for a version created at `createdAt` expiring at `exp` (Unix seconds), or null
 * when the policy never rotates it (no Rotate action, or a timeBeforeExpiry trigger on a version without expiry).
 */
export function rotationDueAt(policy: RotationPolicy, version: { createdAt: number; exp: number | null }): number | null {
  const rotate = policy.lifetimeActions.find((a) => a.action.type === "Rotate");
  if (!rotate) return null;
  const { timeAfterCreate, timeBeforeExpiry } = rotate.trigger;
  if (timeAfterCreate) return shiftBy(version.createdAt, parseIsoDuration(timeAfterCreate)!);
  if (timeBeforeExpiry && version.exp !== null) return shiftBy(version.exp, parseIsoDuration(timeBeforeExpiry)!, -1);
  return null;
}

/** The expiry a version rotated at `now` gets from the policy, or null when the policy sets none. */
export function rotatedExpiry(policy: RotationPolicy, now: number): number | null {
  return policy.expiryTime ? shiftBy(now, parseIsoDuration(policy.expiryTime)!) : null;
}
