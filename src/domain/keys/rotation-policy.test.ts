/** Rotation policies: Azure's validation rules, ISO 8601 durations, and when Rotate falls due. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError } from "../errors.js";
import { parseIsoDuration, shiftBy } from "./iso-duration.js";
import { parseRotationPolicy, rotatedExpiry, rotationDueAt } from "./rotation-policy.js";

const DAY = 86_400;
const rotate = (trigger: Record<string, string>) => ({ trigger, action: { type: "Rotate" } });
const notify = (trigger: Record<string, string>) => ({ trigger, action: { type: "Notify" } });

function refused(input: Record<string, unknown>, fragment: string): void {
  assert.throws(
    () => parseRotationPolicy(input),
    (error: unknown) => error instanceof DomainError && error.code === "BadParameter" && error.message.includes(fragment),
    JSON.stringify(input),
  );
}

describe("rotation policy", { timeout: 10_000 }, () => {
  it("parses ISO 8601 durations and refuses what is not one", () => {
    assert.deepEqual(parseIsoDuration("P1Y10D"), { years: 1, months: 0, weeks: 0, days: 10, hours: 0, minutes: 0, seconds: 0 });
    assert.equal(parseIsoDuration("PT48H")?.hours, 48);
    for (const bad of ["P", "PT", "90D", "P1.5D", "P-1D", "PXD", ""]) assert.equal(parseIsoDuration(bad), undefined, bad);
    // Calendar months, as Date counts them: 31 January 2027 plus one month overflows to 3 March.
    const jan31 = Date.UTC(2027, 0, 31) / 1000;
    assert.equal(shiftBy(jan31, parseIsoDuration("P1M")!), Date.UTC(2027, 2, 3) / 1000);
    assert.equal(shiftBy(jan31, parseIsoDuration("P2D")!, -1), jan31 - 2 * DAY);
  });

  it("accepts Azure's examples and normalizes the action type", () => {
    const policy = parseRotationPolicy({ lifetimeActions: [{ trigger: { timeAfterCreate: "P90D" }, action: { type: "rotate" } }, notify({ timeBeforeExpiry: "P30D" })], attributes: { expiryTime: "P2Y" } });
    assert.deepEqual(policy, { lifetimeActions: [rotate({ timeAfterCreate: "P90D" }), notify({ timeBeforeExpiry: "P30D" })], expiryTime: "P2Y" });
    assert.deepEqual(parseRotationPolicy({}), { lifetimeActions: [], expiryTime: null });
  });

  it("refuses what Azure refuses", () => {
    refused({ lifetimeActions: [rotate({ timeAfterCreate: "P6D" })] }, "at least 7 days");
    refused({ lifetimeActions: [rotate({ timeAfterCreate: "PT48H" })] }, "at least 7 days");
    refused({ attributes: { expiryTime: "P27D" } }, "at least 28 days");
    refused({ lifetimeActions: [rotate({ timeBeforeExpiry: "P30D" })] }, "needs the policy's 'expiryTime'");
    refused({ lifetimeActions: [notify({ timeAfterCreate: "P30D" })], attributes: { expiryTime: "P90D" } }, "only be triggered by 'timeBeforeExpiry'");
    refused({ lifetimeActions: [rotate({ timeAfterCreate: "P85D" })], attributes: { expiryTime: "P90D" } }, "at least 7 days before");
    refused({ lifetimeActions: [rotate({ timeAfterCreate: "P30D", timeBeforeExpiry: "P30D" })], attributes: { expiryTime: "P90D" } }, "exactly one");
    refused({ lifetimeActions: [{ trigger: {}, action: { type: "Rotate" } }] }, "exactly one");
    refused({ lifetimeActions: [rotate({ timeAfterCreate: "P30D" }), rotate({ timeAfterCreate: "P40D" })] }, "only one 'Rotate'");
    refused({ lifetimeActions: [{ trigger: { timeAfterCreate: "P30D" }, action: { type: "Delete" } }] }, "'Rotate' or 'Notify'");
    refused({ lifetimeActions: "P30D" }, "must be an array");
    refused({ lifetimeActions: [rotate({ timeAfterCreate: "thirty days" })] }, "not a valid ISO 8601 duration");
  });

  it("falls due after creation or before expiry, and gives rotated versions the policy's expiry", () => {
    const created = Date.UTC(2027, 0, 1) / 1000;
    const after = parseRotationPolicy({ lifetimeActions: [rotate({ timeAfterCreate: "P30D" })], attributes: { expiryTime: "P90D" } });
    assert.equal(rotationDueAt(after, { createdAt: created, exp: null }), created + 30 * DAY);
    assert.equal(rotatedExpiry(after, created), created + 90 * DAY);
    const before = parseRotationPolicy({ lifetimeActions: [rotate({ timeBeforeExpiry: "P10D" })], attributes: { expiryTime: "P90D" } });
    assert.equal(rotationDueAt(before, { createdAt: created, exp: created + 60 * DAY }), created + 50 * DAY);
    assert.equal(rotationDueAt(before, { createdAt: created, exp: null }), null, "no expiry: never due");
    const notifyOnly = parseRotationPolicy({ lifetimeActions: [notify({ timeBeforeExpiry: "P10D" })], attributes: { expiryTime: "P90D" } });
    assert.equal(rotationDueAt(notifyOnly, { createdAt: created, exp: created + 60 * DAY }), null, "Notify never rotates");
    assert.equal(rotatedExpiry(parseRotationPolicy({}), created), null);
  });
});
