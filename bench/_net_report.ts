/**
 * The tables `bench/net.ts` prints: medians with min..max over the rounds,
 * ratios taken within each round (so a noisy moment of the machine weighs
 * on both sides of a ratio alike) and summarised by their median, scan
 * completeness, and resident memory.
 *
 * @module
 */

import type { Completeness } from "./_net_contenders.ts";

/** Median, least and greatest of some values. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** How many values there were. */
  n: number;
}

/**
 * Summarise values, leaving out those that are not finite.
 *
 * @param values The values.
 * @returns Their summary (NaNs and n = 0 when none is finite).
 */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v.at(-1)!, n: v.length };
}

/** What one run of a contender left. */
export interface RunRecord {
  /** SYNs per second at the receiver. */
  pps: number;
  /** Every packet per second at the receiver (masscan's RSTs too). */
  allPps: number;
  /** SYNs the receiver counted. */
  syns: number;
  /** Exit code of the command. */
  code: number;
  /** Scans: their report against the ports that exist. */
  completeness?: Completeness;
}

/** The records of one round, by contender label. */
export type Round = Map<string, RunRecord>;

/** A ratio to report: a contender's rate over another's, or over a number. */
export interface RatioSpec {
  /** What the ratio says. */
  label: string;
  /** The numerator's contender label. */
  of: string;
  /** The denominator: a contender label, or a constant (an asked rate). */
  to: string | number;
  /** The target: at least `min`, at most `max`. */
  target?: { min?: number; max?: number };
}

/** A ratio, computed in each round and summarised. */
export interface RatioResult {
  spec: RatioSpec;
  summary: Summary;
  /** Whether the median meets the target; undefined without target or values. */
  meets: boolean | undefined;
}

/**
 * Compute each ratio in each round where both sides ran, and summarise.
 *
 * @param specs The ratios.
 * @param rounds The rounds.
 * @returns One result per ratio with at least one value.
 */
export function ratios(
  specs: readonly RatioSpec[],
  rounds: readonly Round[],
): RatioResult[] {
  const results: RatioResult[] = [];
  for (const spec of specs) {
    const values: number[] = [];
    for (const round of rounds) {
      const top = round.get(spec.of)?.pps;
      const bottom = typeof spec.to === "number"
        ? spec.to
        : round.get(spec.to)?.pps;
      if (top !== undefined && bottom !== undefined && bottom > 0) {
        values.push(top / bottom);
      }
    }
    const summary = summarize(values);
    if (summary.n === 0) continue;
    const t = spec.target;
    const meets = t === undefined
      ? undefined
      : (t.min === undefined || summary.median >= t.min) &&
        (t.max === undefined || summary.median <= t.max);
    results.push({ spec, summary, meets });
  }
  return results;
}

/** Lay out rows as a table with a header and columns padded to width. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: readonly number[] = [],
): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) =>
      rightAligned.includes(i)
        ? cell.padStart(widths[i]!)
        : cell.padEnd(widths[i]!)
    ).join("  ").trimEnd();
  return [
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

/** `123.4` kpps from pps. */
export function kpps(pps: number): string {
  return Number.isFinite(pps) ? (pps / 1000).toFixed(1) : "-";
}

/** A ratio with two decimals, or `-`. */
export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** `median (min..max)` of a summary, formatted by `f`. */
export function spread(s: Summary, f: (v: number) => string): string {
  if (s.n === 0) return "-";
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}..${f(s.max)})`;
}

/** `≥ 1.2`, `0.95..1.05`. */
export function formatTarget(t: RatioSpec["target"]): string {
  if (t === undefined) return "";
  if (t.min !== undefined && t.max !== undefined) return `${t.min}..${t.max}`;
  if (t.min !== undefined) return `>= ${t.min}`;
  return `<= ${t.max}`;
}

/** The rates table: one row per contender that ran. */
export function ratesTable(
  labels: readonly string[],
  rounds: readonly Round[],
): string {
  const rows: string[][] = [];
  for (const label of labels) {
    const records = rounds.map((r) => r.get(label)).filter((r) =>
      r !== undefined
    );
    if (records.length === 0) continue;
    const s = summarize(records.map((r) => r.pps));
    const all = summarize(records.map((r) => r.allPps));
    const syns = summarize(records.map((r) => r.syns));
    const codes = [...new Set(records.map((r) => r.code))].join(",");
    rows.push([
      label,
      spread(s, kpps),
      kpps(all.median),
      String(Math.round(syns.median)),
      codes,
    ]);
  }
  return table(
    [
      "contender",
      "SYN kpps at receiver: median (min..max)",
      "all packets kpps",
      "SYNs/run",
      "exit",
    ],
    rows,
    [2, 3],
  );
}

/** The ratios table. */
export function ratiosTable(results: readonly RatioResult[]): string {
  return table(
    ["ratio (per round)", "median (min..max)", "target", "verdict"],
    results.map((r) => [
      r.spec.label,
      spread(r.summary, (v) => fixed(v)),
      formatTarget(r.spec.target),
      r.meets === undefined ? "" : r.meets ? "meets" : "misses",
    ]),
    [],
  );
}

/** The completeness table: scans by asked rate. */
export function completenessTable(
  labels: readonly string[],
  rounds: readonly Round[],
): string {
  const rows: string[][] = [];
  for (const label of labels) {
    const c = rounds.map((r) => r.get(label)?.completeness).filter((c) =>
      c !== undefined
    );
    if (c.length === 0) continue;
    const percent = (f: (x: Completeness) => number) =>
      spread(summarize(c.map(f)), (v) => `${v.toFixed(2)}%`);
    rows.push([
      label,
      String(c[0]!.expected),
      percent((x) => (100 * x.right) / x.expected),
      percent((x) => (100 * x.closedRight) / x.closed),
      String(Math.max(...c.map((x) => x.wrong))),
    ]);
  }
  return table(
    [
      "scan",
      "ports",
      "reported right: median (min..max)",
      "closed reported closed",
      "wrong (max)",
    ],
    rows,
    [1, 4],
  );
}
