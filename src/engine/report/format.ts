/**
 * One interface for nmap's outputs: a format turns the run's header, each
 * host's report and the run's end into text. The normal, XML and grepable
 * formats implement it; {@linkcode NmapReporter} (`reporter.ts`) drives
 * any number of them from one buffer.
 *
 * @module
 */

import { tcpServiceName } from "../services.ts";
import type { HostReport, ReportedPort } from "./host_ports.ts";
import type { NmapRunInfo } from "./types.ts";

/** What the end of every output says. */
export interface NmapRunSummary {
  /** When the run started, epoch ms. */
  startMs: number;
  /** When it ended, epoch ms. */
  endMs: number;
  /** Hosts scanned. */
  hostsTotal: number;
  /** Hosts up (every host reported: a scan without host discovery takes targets as up). */
  hostsUp: number;
  /** Why it failed, when it did. */
  error?: string;
}

/** When a host's scan started and ended, epoch ms. */
export interface HostTimes {
  /** Start. */
  startMs: number;
  /** End. */
  endMs: number;
}

/** One of nmap's outputs. */
export interface NmapFormat {
  /** Its name (`normal`, `xml`, `grepable`). */
  readonly name: string;
  /** The text before the first host. */
  begin(info: NmapRunInfo): string;
  /** A host's text ("" to leave the host out). */
  host(report: HostReport, info: NmapRunInfo, times: HostTimes): string;
  /** The text after the last host. */
  end(info: NmapRunInfo, summary: NmapRunSummary): string;
}

/**
 * The SERVICE a port shows: its registry name, `unknown` in the table when
 * there is none (nmap's words).
 *
 * @param port The port.
 * @returns The name, or undefined when the registry names none.
 *
 * @example
 * ```ts
 * import { reportedService } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(reportedService({ port: 80, state: "open", reason: "syn-ack", reasonTtl: 64 }), "http");
 * ```
 */
export function reportedService(port: ReportedPort): string | undefined {
  return tcpServiceName(port.port);
}

/**
 * nmap's REASON cell: the reason, who sent it when not the host, its TTL
 * (`port_reason_str`, then ` ttl N`).
 *
 * @param port The port.
 * @returns `syn-ack ttl 64`, `admin-prohibited from 192.0.2.254 ttl 63`, `no-response`.
 *
 * @example
 * ```ts
 * import { reasonText } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(reasonText({ port: 1, state: "filtered", reason: "no-response", reasonTtl: 0 }), "no-response");
 * assert.equal(
 *   reasonText({ port: 1, state: "filtered", reason: "host-unreach", reasonTtl: 63, reasonIp: "192.0.2.254" }),
 *   "host-unreach from 192.0.2.254 ttl 63",
 * );
 * ```
 */
export function reasonText(port: ReportedPort): string {
  const from = port.reasonIp === undefined ? "" : ` from ${port.reasonIp}`;
  const ttl = port.reasonTtl === 0 ? "" : ` ttl ${port.reasonTtl}`;
  return `${port.reason}${from}${ttl}`;
}

/**
 * The scanner's name in the texts.
 *
 * @param info The run.
 * @returns `tcpcraft 0.1.0`.
 *
 * @example
 * ```ts
 * import { scannerText } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(scannerText({ scanType: "syn", ports: [], args: "", startMs: 0, version: "0.1.0" }), "tcpcraft 0.1.0");
 * ```
 */
export function scannerText(info: NmapRunInfo): string {
  return `${info.scanner ?? "tcpcraft"} ${info.version}`;
}

/**
 * The ports scanned, ascending and without repeats.
 *
 * @param info The run.
 * @returns The ports.
 *
 * @example
 * ```ts
 * import { scannedPorts } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(scannedPorts({ scanType: "syn", ports: [80, 22, 80], args: "", startMs: 0, version: "0" }), [22, 80]);
 * ```
 */
export function scannedPorts(info: NmapRunInfo): number[] {
  return [...new Set(info.ports)].sort((a, b) => a - b);
}
