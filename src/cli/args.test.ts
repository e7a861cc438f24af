import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALL_PERMISSIONS, parseBoolean, parseDateTime, parseInteger, parsePermissions, parseTags } from "./args.js";
import { UsageError } from "./errors.js";

describe("argument values", { timeout: 30_000 }, () => {
  it("parses tags as az does, a bare name meaning an empty value and \"\" clearing", () => {
    assert.deepEqual(parseTags(["env=prod", "owner=a=b", "flag"]), { env: "prod", owner: "a=b", flag: "" });
    assert.deepEqual(parseTags([""]), {});
    assert.equal(parseTags(undefined), undefined);
    assert.throws(() => parseTags(["=x"]), UsageError);
  });

  it("reads three-state booleans", () => {
    assert.equal(parseBoolean("--enabled", "TRUE"), true);
    assert.equal(parseBoolean("--enabled", "no"), false);
    assert.equal(parseBoolean("--flag", true), true);
    assert.equal(parseBoolean("--enabled", undefined), undefined);
    assert.throws(() => parseBoolean("--enabled", "maybe"), UsageError);
  });

  it("turns ISO datetimes into unix seconds, UTC unless a zone is given", () => {
    assert.equal(parseDateTime("--expires", "2030-01-01T00:00:00Z"), 1893456000);
    assert.equal(parseDateTime("--expires", "2030-01-01T00:00:00"), 1893456000);
    assert.equal(parseDateTime("--expires", "2030-01-01T01:00:00+01:00"), 1893456000);
    assert.equal(parseDateTime("--expires", "2030-01-01"), 1893456000);
    assert.throws(() => parseDateTime("--expires", "next tuesday"), UsageError);
  });

  it("checks integer ranges", () => {
    assert.equal(parseInteger("--retention-days", "30", 7, 90), 30);
    assert.throws(() => parseInteger("--retention-days", "5", 7, 90), UsageError);
    assert.throws(() => parseInteger("--maxresults", "1.5"), UsageError);
  });

  it("validates permissions case-insensitively, keeps az's spelling and expands all", () => {
    assert.deepEqual(parsePermissions("secrets", ["GET", "list", "get"]), ["get", "list"]);
    assert.deepEqual(parsePermissions("keys", ["unwrapkey"]), ["unwrapKey"]);
    assert.deepEqual(parsePermissions("secrets", ["all"]), [...ALL_PERMISSIONS.secrets]);
    assert.throws(() => parsePermissions("secrets", ["sign"]), (e: unknown) => e instanceof UsageError && e.message.includes("--secret-permissions"));
    assert.throws(() => parsePermissions("certificates", ["x"]), (e: unknown) => e instanceof UsageError && e.message.includes("--certificate-permissions"));
  });
});
