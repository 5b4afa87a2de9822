/**
 * What `scan` prints: its results in four formats besides nmap's (the
 * default, `scan_reports.ts`) (one view of the output formatter: `table`,
 * the results as they come, is the text implementation with a column header,
 * `ndjson` an object per port, `csv` a header and rows, `json` one
 * document at the end, results sorted by host and port), the progress line
 * on standard error, and the summary line.
 *
 * @module
 */

import type { PermutationShard, Shard } from "../engine/permutation.ts";
import type {
  ScanOutcome,
  ScanProgress,
  ScanResult,
} from "../engine/scan/result.ts";
import { PORT_STATES, type PortState } from "../engine/scan/state.ts";
import type { TargetSpace } from "../engine/target_space.ts";
import { plural } from "./errors.ts";
import type { CliHost } from "./host.ts";
import type { JsonValue, OutputKind, OutputView } from "./output.ts";

/** The output formats of `scan`. */
export const SCAN_FORMATS = ["nmap", "table", "json", "ndjson", "csv"] as const;

/** One of {@linkcode SCAN_FORMATS}. */
export type ScanFormat = typeof SCAN_FORMATS[number];

/** Which implementation writes each `--format`. */
export const SCAN_OUTPUT_KINDS: Readonly<Record<ScanFormat, OutputKind>> =
  Object.freeze({
    nmap: "text",
    table: "text",
    json: "json",
    ndjson: "ndjson",
    csv: "csv",
  });

/** What the JSON document holds besides the results: the scan's settings and its summary. */
export type ScanDocument = { [key: string]: JsonValue };

/**
 * Whether `--open` keeps a state: what nmap's `--open` keeps.
 *
 * @param state The state.
 * @returns True for open, open|filtered and unfiltered.
 *
 * @example
 * ```ts
 * import { shownWithOpen } from "./scan_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(shownWithOpen("open|filtered"));
 * assert.ok(!shownWithOpen("closed"));
 * ```
 */
export function shownWithOpen(state: PortState): boolean {
  return state === "open" || state === "open|filtered" ||
    state === "unfiltered";
}

function rttMs(result: ScanResult): number | null {
  return result.rttMs === null ? null : Number(result.rttMs.toFixed(3));
}

function resultJson(result: ScanResult): { [key: string]: JsonValue } {
  const json: { [key: string]: JsonValue } = {
    host: result.host,
    port: result.port,
    state: result.state,
    reason: result.reason,
    rtt_ms: rttMs(result),
  };
  if (result.ttl !== undefined) json.ttl = result.ttl;
  if (result.reasonIp !== undefined) json.reason_ip = result.reasonIp;
  if (result.banner !== undefined) json.banner = result.banner;
  return json;
}

/**
 * The width of the host column: the longest address of a space of at most
 * 4096, else the longest an address of its families can be.
 *
 * @param space The target space.
 * @returns The width.
 *
 * @example
 * ```ts
 * import { hostWidth } from "./scan_output.ts";
 * import { parsePorts, TargetSpace } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const space = new TargetSpace([{ family: 4, first: 0xc0000209n, last: 0xc000020an }], parsePorts("80"));
 * assert.equal(hostWidth(space), 10);
 * ```
 */
export function hostWidth(space: TargetSpace): number {
  if (space.addressCount <= 4096) {
    let width = 0;
    for (let i = 0; i < space.addressCount; i++) {
      width = Math.max(width, space.addressAt(i).length);
    }
    return width;
  }
  return space.families.includes(6) ? 39 : 15;
}

/**
 * The view of `scan`'s results for the output formatter.
 *
 * @param width The host column's width ({@linkcode hostWidth}).
 * @returns The view; the end is the JSON document without its results.
 *
 * @example
 * ```ts
 * import { scanView } from "./scan_output.ts";
 * import assert from "node:assert/strict";
 *
 * const view = scanView(9);
 * const result = {
 *   host: "192.0.2.1", port: 22, state: "open" as const, reason: "syn-ack", rttMs: 0.5,
 *   addressIndex: 0,
 * };
 * assert.equal(view.text?.(result), "192.0.2.1     22  open           syn-ack              0.50 ms");
 * assert.deepEqual(view.csv?.row(result), ["192.0.2.1", 22, "open", "syn-ack", 0.5]);
 * ```
 */
export function scanView(width: number): OutputView<ScanResult, ScanDocument> {
  const hostColumn = Math.max(4, width);
  const row = (
    host: string,
    port: string,
    state: string,
    reason: string,
    rtt: string,
  ) =>
    `${host.padEnd(hostColumn)}  ${port.padStart(5)}  ${state.padEnd(13)}  ${
      reason.padEnd(19)
    }  ${rtt}`.trimEnd();
  return {
    header: row("HOST", "PORT", "STATE", "REASON", "RTT"),
    text: (result) => {
      const rtt = rttMs(result);
      return row(
        result.host,
        String(result.port),
        result.state,
        result.reason,
        rtt === null ? "-" : `${rtt.toFixed(2)} ms`,
      );
    },
    csv: {
      columns: ["host", "port", "state", "reason", "rtt_ms"],
      row: (result) => [
        result.host,
        result.port,
        result.state,
        result.reason,
        rttMs(result),
      ],
    },
    json: resultJson,
    document: (results, document) => ({
      ...document,
      results: [...results].sort((a, b) =>
        a.addressIndex - b.addressIndex || a.port - b.port
      ).map(resultJson),
    }),
    documentIndent: 2,
  };
}

function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * The progress line on standard error, redrawn in place, and cleared
 * before anything else is printed.
 *
 * @example
 * ```ts
 * import { ProgressLine } from "./scan_output.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const line = new ProgressLine(host);
 * line.draw({ started: 5, total: 10, probesSent: 5, elapsedMs: 1000, open: 1, etaSeconds: 61 });
 * line.clear();
 * assert.equal(host.err, "\r\x1b[K[ 50.0%] 5/10 probes, 5.0 pps, 1 found, ETA 1m01s\r\x1b[K");
 * ```
 */
export class ProgressLine {
  readonly #host: CliHost;
  #shown = false;

  /**
   * Create the line (nothing is drawn yet).
   *
   * @param host Where it is drawn (standard error).
   */
  constructor(host: CliHost) {
    this.#host = host;
  }

  /**
   * Draw the line.
   *
   * @param progress Where the scan stands.
   */
  draw(progress: ScanProgress): void {
    const { started, total, probesSent, open } = progress;
    const elapsed = progress.elapsedMs / 1000;
    const rate = elapsed > 0 ? probesSent / elapsed : 0;
    const percent = total === 0 ? 100 : (100 * started) / total;
    this.#host.stderr(
      `\r\x1b[K[${
        percent.toFixed(1).padStart(5)
      }%] ${started}/${total} probes, ${
        rate >= 100 ? Math.round(rate) : rate.toFixed(1)
      } pps, ${open} found, ETA ${formatEta(progress.etaSeconds)}`,
    );
    this.#shown = true;
  }

  /** Erase the line, if it is there. */
  clear(): void {
    if (this.#shown) {
      this.#host.stderr("\r\x1b[K");
      this.#shown = false;
    }
  }
}

/** The parts of a scan's plan the summary names. */
export interface SummaryFacts {
  /** The target space. */
  space: TargetSpace;
  /** The shard of it. */
  shard: Shard;
}

/**
 * The summary line: `scanned N ports on M hosts in T s (P probes, R pps):
 * X open, Y closed, Z filtered` (other states when they occur, and
 * `, interrupted`).
 *
 * @param facts The space and the shard.
 * @param outcome The engine's counts.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { summaryLine } from "./scan_output.ts";
 * import { parsePorts, TargetSpace } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const space = new TargetSpace([{ family: 4, first: 1n, last: 1n }], parsePorts("22,80"));
 * const counts = { open: 1, closed: 1, filtered: 0, unfiltered: 0, "open|filtered": 0 };
 * assert.equal(
 *   summaryLine({ space, shard: { index: 1, count: 1 } }, {
 *     counts, probesSent: 2, elapsedMs: 2000, interrupted: false,
 *   }),
 *   "scanned 2 ports on 1 host in 2.00 s (2 probes, 1.0 pps): 1 open, 1 closed, 0 filtered",
 * );
 * ```
 */
export function summaryLine(facts: SummaryFacts, outcome: ScanOutcome): string {
  const ports = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
  const seconds = outcome.elapsedMs / 1000;
  const rate = seconds > 0 ? outcome.probesSent / seconds : 0;
  const states = PORT_STATES.filter((state) =>
    state === "open" || state === "closed" || state === "filtered" ||
    outcome.counts[state] > 0
  ).map((state) => `${outcome.counts[state]} ${state}`);
  const hosts = facts.space.addressCount;
  const shard = facts.shard.count > 1
    ? ` (shard ${facts.shard.index}/${facts.shard.count})`
    : "";
  const line = `scanned ${plural(ports, "port")} on ${
    plural(hosts, "host")
  }${shard} in ${seconds.toFixed(2)} s (${
    plural(outcome.probesSent, "probe")
  }, ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} pps): ${
    states.join(", ")
  }`;
  return outcome.interrupted ? `${line}, interrupted` : line;
}

/**
 * The line that says the kernel dropped replies: the rate was more than
 * this host could read, so some ports may be reported wrong.
 *
 * @param drops Replies dropped.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { dropLine } from "./scan_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(dropLine(1), "warning: 1 reply dropped by the kernel: lower --rate");
 * ```
 */
export function dropLine(drops: number): string {
  return `warning: ${drops} ${
    drops === 1 ? "reply" : "replies"
  } dropped by the kernel: lower --rate`;
}

/**
 * The dry run's lines: the probes of a shard, in order, as `ADDRESS PORT`,
 * handed to `write` in pieces of about 64 KiB.
 *
 * @param order The shard's order.
 * @param space The target space.
 * @param write Takes each piece.
 *
 * @example
 * ```ts
 * import { dryRunLines } from "./scan_output.ts";
 * import { parsePorts, Permutation, TargetSpace } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const space = new TargetSpace([{ family: 4, first: 0xc0000201n, last: 0xc0000201n }], parsePorts("80"));
 * let out = "";
 * dryRunLines(new Permutation(1, { seed: 1 }).shard({ index: 1, count: 1 }), space, (t) => out += t);
 * assert.equal(out, "192.0.2.1 80\n");
 * ```
 */
export function dryRunLines(
  order: PermutationShard,
  space: TargetSpace,
  write: (text: string) => void,
): void {
  let text = "";
  for (let j = 0; j < order.length; j++) {
    const point = space.at(order.at(j));
    text += `${point.address} ${point.port}\n`;
    if (text.length > 65536) {
      write(text);
      text = "";
    }
  }
  write(text);
}
