import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "./errors.js";
import { applyQuery, formatJson, formatTable, formatTsv, renderResult } from "./output.js";

const groups = [
  { id: "/subscriptions/s/resourceGroups/b", name: "b", location: "westeurope", properties: { provisioningState: "Succeeded" }, tags: null },
  { id: "/subscriptions/s/resourceGroups/a", name: "a", location: "northeurope", properties: { provisioningState: "Succeeded" }, tags: { x: "1" } },
];

describe("json output", { timeout: 30_000 }, () => {
  it("sorts keys at every level and indents by two, like az", () => {
    assert.equal(formatJson({ b: 1, a: { d: [1], c: null } }), '{\n  "a": {\n    "c": null,\n    "d": [\n      1\n    ]\n  },\n  "b": 1\n}');
  });

  it("prints nothing for a command without a result, whatever the format", () => {
    for (const output of ["json", "table", "tsv", "none"]) assert.equal(renderResult(undefined, { output }), "");
  });

  it("rejects an unknown format as a usage error", () => {
    assert.throws(() => renderResult({}, { output: "yaml" }), UsageError);
  });
});

describe("--query", { timeout: 30_000 }, () => {
  it("applies JMESPath before formatting", () => {
    assert.deepEqual(applyQuery(groups, "[].name"), ["b", "a"]);
    assert.equal(renderResult(groups, { output: "tsv", query: "[?location=='northeurope'].name | [0]" }), "a\n");
  });

  it("reports a bad expression as a usage error naming the expression", () => {
    assert.throws(() => applyQuery(groups, "[?"), (error: unknown) => error instanceof UsageError && /'\[\?'/.test(error.message));
  });
});

describe("table output", { timeout: 30_000 }, () => {
  it("shows top-level scalars with capitalised, sorted headers, skipping id and type", () => {
    assert.equal(formatTable(groups), ["Location     Name", "-----------  ----", "westeurope   b", "northeurope  a", ""].join("\n"));
  });

  it("keeps the query's fields and order, and numbers right-aligned", () => {
    const rows = [
      { name: "x", count: 5 },
      { name: "longer", count: 12 },
    ];
    assert.equal(formatTable(rows, true), ["Name    Count", "------  -----", "x           5", "longer     12", ""].join("\n"));
  });

  it("names the columns of a list of lists and shows booleans as Python does", () => {
    assert.equal(formatTable([["a", true]], true), ["Column1  Column2", "-------  -------", "a        True", ""].join("\n"));
  });

  it("puts a scalar result under Result", () => {
    assert.equal(formatTable("hello"), "Result\n------\nhello\n");
  });
});

describe("tsv output", { timeout: 30_000 }, () => {
  it("prints one line per item, values in key order, nested lists as lengths and objects as empty fields", () => {
    const items = [{ b: [1, 2], a: "x", c: { deep: 1 }, d: null, e: false }];
    assert.equal(formatTsv(items), "x\t2\t\t\tfalse\n");
  });

  it("follows the query's field order", () => {
    assert.equal(renderResult(groups, { output: "tsv", query: "[].{n:name, l:location}" }), "b\twesteurope\na\tnortheurope\n");
  });

  it("prints a scalar bare, so that $(kluis … -o tsv) captures just the value", () => {
    assert.equal(formatTsv("s3cret"), "s3cret\n");
  });
});
