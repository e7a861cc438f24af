/** Rows, the one printed table, and the JSON file under bench/results/. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO } from "./lib/proc.js";

export interface Figure {
  value: number;
  unit: string;
  p50?: number;
  p99?: number;
}

export interface Row {
  section: string;
  measure: string;
  kluis: Figure;
  baseline?: Figure & { label: string };
  /** kluis / baseline, when a baseline was measured side by side. */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function fmt(n: number | undefined, unit = ""): string {
  if (n === undefined || Number.isNaN(n)) return "";
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  return `${n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 })}${unit ? ` ${unit}` : ""}`;
}

function latency(f: Figure | undefined): string {
  if (!f || f.p50 === undefined) return "";
  return `${fmt(f.p50)} / ${fmt(f.p99)}`;
}

export function renderTable(rows: Row[]): string {
  const header = ["#", "measure", "kluis", "p50/p99 ms", "baseline", "base p50/p99", "ratio", "target", "met"];
  const body = rows.map((r) => [
    r.section,
    r.measure + (r.note ? ` (${r.note})` : ""),
    fmt(r.kluis.value, r.kluis.unit),
    latency(r.kluis),
    r.baseline ? `${fmt(r.baseline.value, r.baseline.unit)} ${r.baseline.label}` : "",
    latency(r.baseline),
    r.ratio === undefined ? "" : `${fmt(r.ratio)}x`,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

export function writeResults(rows: Row[], extra: Record<string, unknown>): string {
  const dir = path.join(REPO, "bench/results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machineInfo(), rows, ...extra }, null, 2)}\n`);
  return file;
}

/** A load figure from a LoadResult-like record. */
export function rps(r: { rps: number; p50: number; p99: number }): Figure {
  return { value: r.rps, unit: "req/s", p50: r.p50, p99: r.p99 };
}
