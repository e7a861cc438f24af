/**
 * Every test must be bounded in time: each top-level suite or test of every test file passes `{ timeout }` (a
 * suite's timeout bounds the tests inside it). New test files are held to it here, so a hang fails a run instead of
 * stalling it. test/run.ts adds a per-file backstop for hooks.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "../harness/server.js";

function testFiles(): string[] {
  return ["src", "test"].flatMap((dir) =>
    (fs.readdirSync(path.join(REPO, dir), { recursive: true }) as string[]).filter((f) => f.endsWith(".test.ts")).map((f) => path.join(dir, f)),
  );
}

describe("test timeouts", { timeout: 30_000 }, () => {
  it("every top-level describe/it/test passes a timeout", () => {
    const missing: string[] = [];
    const files = testFiles();
    assert.ok(files.length > 20, `found only ${files.length} test files`);
    for (const file of files) {
      const lines = fs.readFileSync(path.join(REPO, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (/^(describe|it|test)\(/.test(line) && !/timeout/i.test(line)) missing.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(missing, [], `tests without a timeout:\n${missing.join("\n")}`);
  });
});
