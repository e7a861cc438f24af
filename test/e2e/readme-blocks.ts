/**
 * Reading README.md's code blocks for the tests that run them verbatim (readme-examples, readme-keys): the blocks
 * by language and content, the `kluis …` lines of a shell block and their arguments as the shell splits them.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { REPO } from "../harness/server.js";

export interface CodeBlock {
  lang: string;
  code: string;
}

const README = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
const blocks: CodeBlock[] = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));

/** The first `lang` block containing `mustContain`. */
export function block(lang: string, mustContain: string, after = 0): CodeBlock {
  const found = blocks.slice(after).find((b) => b.lang === lang && b.code.includes(mustContain));
  assert.ok(found, `README.md has a ${lang} block containing ${mustContain}`);
  return found;
}

/** A command line as the shell splits it: words, double- or single-quoted strings; a `#` word starts a comment. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    if (m[3]?.startsWith("#")) break;
    words.push(m[1] ?? m[2] ?? m[3]!);
  }
  return words;
}

/** The `kluis …` lines of a README sh block, placeholders (`<principal id>`) still in them. */
export function kluisLines(code: string): string[] {
  return code.split("\n").filter((line) => shellWords(line)[0] === "kluis");
}

/** A `kluis …` line's arguments (without the leading `kluis`), after filling in its placeholders. */
export function kluisArgs(line: string, placeholders: Record<string, string> = {}): string[] {
  let filled = line;
  for (const [placeholder, value] of Object.entries(placeholders)) filled = filled.split(placeholder).join(value);
  assert.doesNotMatch(filled, /<[a-z ]+>/i, `a placeholder left in: ${line}`);
  return shellWords(filled).slice(1);
}

/** `text` with each [from, to] replaced, asserting that each `from` occurs (so the README still says it). */
export function substitute(text: string, pairs: [string, string][]): string {
  return pairs.reduce((out, [from, to]) => {
    assert.ok(out.includes(from), `README example contains ${from}`);
    return out.split(from).join(to);
  }, text);
}
