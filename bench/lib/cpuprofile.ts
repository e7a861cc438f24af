/** Summarizes a V8 .cpuprofile: top functions by self time, and self time per file, as percentages of busy time. */
import fs from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(file: string, topN = 35): string {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    busy += us;
    const where = url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, "$1/") || "(native)";
    const key = `${functionName || "(anonymous)"}  ${where}${url ? `:${lineNumber + 1}` : ""}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const fileKey = url.startsWith("node:") ? `node:${url.slice(5).split("/")[0]}` : where.replace(/:\d+$/, "");
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`);
  return [`top self time (% of ${(busy / 1e6).toFixed(2)} s busy, idle excluded):`, ...top(byFn, topN), "", "by file:", ...top(byFile, 20)].join("\n");
}
