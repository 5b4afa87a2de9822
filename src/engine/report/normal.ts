/**
 * nmap's normal output (`-oN`, and what nmap prints on a terminal): per
 * host "Nmap scan report for …", "Host is up", "Not shown: …" and the
 * PORT STATE SERVICE [REASON] table, sorted by port; nmap 7.9x's
 * `printportoutput` and `write_host_status` line for line. The first and
 * last lines name tcpcraft, not nmap.
 *
 * @module
 */

import {
  type HostTimes,
  type NmapFormat,
  type NmapRunSummary,
  reasonText,
  reportedService,
  scannerText,
} from "./format.ts";
import type { HostReport } from "./host_ports.ts";
import type { NmapRunInfo } from "./types.ts";
import { ctime, hostsText, seconds, sigDigits, startTime } from "./_text.ts";

/** Options for {@linkcode nmapNormalFormat}. */
export interface NmapNormalOptions {
  /**
   * `file` (default): `-oN`'s `# … scan initiated … as: …` first line and
   * `# … done at …` last line; `terminal`: `Starting … at …` and `… done:
   * …`, as nmap prints on its standard output.
   */
  style?: "file" | "terminal";
}

/**
 * A table as nmap's `NmapOutputTable` prints it: columns as wide as their
 * widest cell, one space apart, no trailing spaces.
 *
 * @param rows The rows, the header first.
 * @returns The lines.
 *
 * @example
 * ```ts
 * import { tableLines } from "./normal.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tableLines([["PORT", "STATE"], ["22/tcp", "open"]]), ["PORT   STATE", "22/tcp open"]);
 * ```
 */
export function tableLines(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!))
      .join(" ")
  );
}

/**
 * The lines nmap prints for a host, the blank line that ends it included.
 *
 * @param report The host's report.
 * @param info The run (`reason`, `hostReason`).
 * @returns The text.
 *
 * @example
 * ```ts
 * import { normalHost } from "./normal.ts";
 * import assert from "node:assert/strict";
 *
 * const closed = Array.from({ length: 1000 }, (_, i) => 1000 + i);
 * const text = normalHost({
 *   host: "192.0.2.1", family: 4, total: 1002, mayBeOpen: true, srttUs: 150,
 *   collapsed: [{ state: "closed", count: 1000, reasons: [{ reason: "reset", ports: closed }] }],
 *   ports: [
 *     { port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
 *     { port: 80, state: "filtered", reason: "no-response", reasonTtl: 0 },
 *   ],
 * }, { scanType: "syn", ports: [], args: "", startMs: 0, version: "0", reason: true });
 * assert.equal(text, [
 *   "Nmap scan report for 192.0.2.1",
 *   "Host is up, received user-set (0.00015s latency).",
 *   "Not shown: 1000 closed tcp ports (reset)",
 *   "PORT   STATE    SERVICE REASON",
 *   "22/tcp open     ssh     syn-ack ttl 64",
 *   "80/tcp filtered http    no-response",
 *   "",
 *   "",
 * ].join("\n"));
 * ```
 */
export function normalHost(report: HostReport, info: NmapRunInfo): string {
  const lines = [`Nmap scan report for ${report.host}`];
  let up = "Host is up";
  if (info.reason === true) up += `, received ${info.hostReason ?? "user-set"}`;
  if (report.srttUs !== undefined) {
    up += ` (${sigDigits(report.srttUs / 1e6, 2)}s latency)`;
  }
  lines.push(`${up}.`);
  if (report.ports.length === 0 && report.collapsed.length > 0) {
    lines.push(
      `All ${report.total} scanned ports on ${report.host} are in ignored states.`,
    );
  }
  const shown = report.collapsed.flatMap(({ state, count, reasons }) =>
    reasons.map((group) =>
      `${group.ports.length} ${state} tcp port${
        count === 1 ? "" : "s"
      } (${group.reason})`
    )
  );
  lines.push(shown.length === 0 ? "" : `Not shown: ${shown.join(", ")}`);
  if (report.ports.length > 0) {
    const header = ["PORT", "STATE", "SERVICE"];
    if (info.reason === true) header.push("REASON");
    const rows = report.ports.map((port) => {
      const row = [
        `${port.port}/tcp`,
        port.state,
        reportedService(port) ?? "unknown",
      ];
      if (info.reason === true) row.push(reasonText(port));
      return row;
    });
    lines.push(...tableLines([header, ...rows]));
  }
  lines.push("", "");
  return lines.join("\n");
}

/**
 * nmap's normal output.
 *
 * @param options The style of the first and last lines.
 * @returns The format.
 *
 * @example
 * ```ts
 * import { nmapNormalFormat } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = { scanType: "syn" as const, ports: [22], args: "tcpcraft scan 192.0.2.1", startMs: 0, version: "0.1.0" };
 * const format = nmapNormalFormat();
 * assert.match(format.begin(info), /^# tcpcraft 0\.1\.0 scan initiated .* as: tcpcraft scan 192\.0\.2\.1\n$/);
 * assert.match(
 *   format.end(info, { startMs: 0, endMs: 1300, hostsTotal: 1, hostsUp: 1 }),
 *   /^# tcpcraft 0\.1\.0 done at .* -- 1 IP address \(1 host up\) scanned in 1\.30 seconds\n$/,
 * );
 * ```
 */
export function nmapNormalFormat(options: NmapNormalOptions = {}): NmapFormat {
  const terminal = options.style === "terminal";
  return {
    name: "normal",
    begin: (info) =>
      terminal
        ? `Starting ${scannerText(info)} at ${startTime(info.startMs)}\n`
        : `# ${scannerText(info)} scan initiated ${
          ctime(info.startMs)
        } as: ${info.args}\n`,
    host: (report: HostReport, info: NmapRunInfo, _times: HostTimes) =>
      normalHost(report, info),
    end: (info: NmapRunInfo, summary: NmapRunSummary) => {
      const hosts = hostsText(summary.hostsTotal, summary.hostsUp);
      const elapsed = seconds(summary.endMs - summary.startMs);
      const counted = `${hosts} scanned in ${elapsed} seconds`;
      return terminal
        ? `${scannerText(info)} done: ${counted}\n`
        : `# ${scannerText(info)} done at ${
          ctime(summary.endMs)
        } -- ${counted}\n`;
    },
  };
}
