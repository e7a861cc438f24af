/**
 * az's output stage: `--query` (JMESPath) first, then one of the formatters json | jsonc | table | tsv | none.
 * The formatters follow knack (the framework under az) so that scripts written for az keep working:
 * json sorts keys and indents by two; table shows the top-level scalar fields with capitalised headers in
 * tabulate's "simple" style; tsv prints one line per list item with the scalar values tab-separated.
 */
import jmespath from "jmespath";
import { UsageError } from "./errors.js";

export const OUTPUT_FORMATS = ["json", "jsonc", "table", "tsv", "none"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputOptions {
  output?: string;
  query?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = (value ?? "json").toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`argument --output/-o: invalid choice: '${value}' (choose from ${OUTPUT_FORMATS.map((f) => `'${f}'`).join(", ")})`);
  }
  return format as OutputFormat;
}

export function applyQuery(result: unknown, query: string | undefined): unknown {
  if (query === undefined) return result;
  try {
    return jmespath.search(result, query);
  } catch (error) {
    // az reports a bad expression as an argument error (exit 2), naming the expression, never the data.
    throw new UsageError(`argument --query: invalid jmespath_type value: '${query}' (${(error as Error).message})`);
  }
}

/** The whole output stage; returns the text to write to stdout ("" when az prints nothing). */
export function renderResult(result: unknown, options: OutputOptions, colour = false): string {
  const format = parseOutputFormat(options.output);
  const queried = applyQuery(result, options.query);
  // az prints nothing at all for a command without a result (delete, purge, ...), whatever the format.
  if (queried === null || queried === undefined || format === "none") return "";
  switch (format) {
    case "json":
      return formatJson(queried) + "\n";
    case "jsonc":
      return (colour ? colourJson(formatJson(queried)) : formatJson(queried)) + "\n";
    case "table":
      return formatTable(queried, options.query !== undefined);
    case "tsv":
      return formatTsv(queried, options.query !== undefined);
  }
}

/** Python's `json.dumps(indent=2, sort_keys=True, ensure_ascii=False)`, as az prints. */
export function formatJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function colourJson(text: string): string {
  const blue = "\u001b[94m";
  const green = "\u001b[32m";
  const reset = "\u001b[0m";
  // Keys are the strings followed by a colon; every other string, number or literal is a value.
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (match, str, colon) => {
    if (str !== undefined) return colon !== undefined ? `${blue}${str}${reset}${colon}` : `${green}${str}${reset}`;
    return `${green}${match}${reset}`;
  });
}

/** Python's str() of a scalar, which is what knack's table shows (True/False, not true/false). */
function pythonScalar(value: unknown): string {
  if (value === true) return "True";
  if (value === false) return "False";
  if (value === null || value === undefined) return "";
  return String(value);
}

// knack hides these in the automatic table: long and rarely what a person scans for.
const TABLE_SKIP_KEYS = new Set(["id", "type", "etag"]);

function tableRow(item: unknown, queryActive: boolean): Map<string, unknown> {
  const row = new Map<string, unknown>();
  if (Array.isArray(item)) {
    item.forEach((value, index) => row.set(`Column${index + 1}`, value));
  } else if (isObject(item)) {
    // With a query the user chose the fields and their order; without, knack sorts them.
    const keys = queryActive ? Object.keys(item) : Object.keys(item).sort();
    for (const key of keys) {
      const value = item[key];
      if (!queryActive && TABLE_SKIP_KEYS.has(key)) continue;
      if (value === null || value === undefined || typeof value === "object") continue;
      row.set(key.charAt(0).toUpperCase() + key.slice(1), value);
    }
  } else {
    row.set("Result", item);
  }
  return row;
}

export function formatTable(value: unknown, queryActive = false): string {
  const items = Array.isArray(value) ? value : [value];
  const rows = items.map((item) => tableRow(item, queryActive));
  const headers: string[] = [];
  for (const row of rows) for (const key of row.keys()) if (!headers.includes(key)) headers.push(key);
  if (headers.length === 0) return "";
  const cells = rows.map((row) => headers.map((header) => pythonScalar(row.get(header))));
  // tabulate right-aligns numeric columns and left-aligns the rest.
  const numeric = headers.map((header) => rows.every((row) => !row.has(header) || typeof row.get(header) === "number"));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((line) => (line[column] ?? "").length)));
  const pad = (text: string, column: number): string =>
    numeric[column] ? text.padStart(widths[column] ?? 0) : text.padEnd(widths[column] ?? 0);
  const lines = [
    headers.map(pad).join("  "),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...cells.map((line) => line.map(pad).join("  ")),
  ];
  return lines.map((line) => line.trimEnd()).join("\n") + "\n";
}

/**
 * knack's tsv: a list gives one line per item, anything else one line. Within a line, an object contributes
 * its values (in key order, or in the query's order when --query built the object), a nested list its length and a nested object an empty field, so that columns stay
 * aligned between items. Unlike knack (which prints "None" and "True"), null is an empty field and booleans
 * are lower case, which is what a shell script comparing values wants.
 */
export function formatTsv(value: unknown, queryActive = false): string {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => tsvRow(item as Json, queryActive) + "\n").join("");
}

function tsvRow(item: Json, queryActive: boolean): string {
  if (Array.isArray(item)) return item.map(tsvField).join("\t");
  if (isObject(item)) {
    const keys = queryActive ? Object.keys(item) : Object.keys(item).sort();
    return keys.map((key) => tsvField(item[key] as Json)).join("\t");
  }
  return tsvField(item);
}

function tsvField(value: Json | undefined): string {
  if (Array.isArray(value)) return String(value.length);
  if (value === null || value === undefined || typeof value === "object") return "";
  return String(value);
}
