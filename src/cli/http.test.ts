import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toRequestError } from "./http.js";

describe("error bodies", { timeout: 30_000 }, () => {
  it("reads the ARM and Key Vault shape", () => {
    const error = toRequestError({ status: 404, body: { error: { code: "SecretNotFound", message: "A secret with (name/id) x was not found in this key vault." } } });
    assert.equal(error.message, "(SecretNotFound) A secret with (name/id) x was not found in this key vault.");
    assert.equal(error.status, 404);
    assert.equal(error.exitCode, 1);
  });

  it("reads the OAuth shape", () => {
    const error = toRequestError({ status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." } });
    assert.equal(error.message, "(invalid_client) AADSTS7000215: Invalid client secret provided.");
  });

  it("falls back to az's wording for bodies it cannot read, without echoing them", () => {
    const error = toRequestError({ status: 502, body: "<html>proxy error with token abc</html>" });
    assert.equal(error.message, "(502) Operation returned an invalid status 'Unexpected Status'");
  });
});
