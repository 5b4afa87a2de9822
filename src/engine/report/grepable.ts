/**
 * nmap's grepable output (`-oG`): per host a `Status: Up` line and a
 * `Ports:` line (`22/open/tcp//ssh///, …`, then `Ignored State: closed
 * (N)` when exactly one state was collapsed), as nmap 7.9x's
 * `printportoutput` writes them to its machine log. A `/` in a service
 * name becomes `|`, as nmap does, so fields split on `/`.
 *
 * @module
 */

import { portRangeText } from "./collapse.ts";
import {
  type HostTimes,
  type NmapFormat,
  type NmapRunSummary,
  reportedService,
  scannedPorts,
  scannerText,
} from "./format.ts";
import type { HostReport } from "./host_ports.ts";
import type { NmapRunInfo } from "./types.ts";
import { ctime, hostsText, seconds } from "./_text.ts";

/**
 * A host's two grepable lines.
 *
 * @param report The host's report.
 * @returns The lines, each ending with a newline.
 *
 * @example
 * ```ts
 * import { grepableHost } from "./grepable.ts";
 * import assert from "node:assert/strict";
 *
 * const closed = Array.from({ length: 100 }, (_, i) => 1000 + i);
 * assert.equal(
 *   grepableHost({
 *     host: "192.0.2.1", family: 4, total: 102, mayBeOpen: true,
 *     collapsed: [{ state: "closed", count: 100, reasons: [{ reason: "reset", ports: closed }] }],
 *     ports: [
 *       { port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
 *       { port: 65000, state: "filtered", reason: "no-response", reasonTtl: 0 },
 *     ],
 *   }),
 *   "Host: 192.0.2.1 ()\tStatus: Up\n" +
 *     "Host: 192.0.2.1 ()\tPorts: 22/open/tcp//ssh///, 65000/filtered/tcp/////\tIgnored State: closed (100)\n",
 * );
 * ```
 */
export function grepableHost(report: HostReport): string {
  const prefix = `Host: ${report.host} ()`;
  const ports = report.ports.map((port) =>
    `${port.port}/${port.state}/tcp//${
      (reportedService(port) ?? "").replaceAll("/", "|")
    }///`
  ).join(", ");
  const single = report.collapsed.length === 1 ? report.collapsed[0]! : null;
  const ignored = single === null
    ? ""
    : `\tIgnored State: ${single.state} (${single.count})`;
  return `${prefix}\tStatus: Up\n${prefix}\tPorts: ${ports}${ignored}\n`;
}

/**
 * nmap's grepable output.
 *
 * @returns The format.
 *
 * @example
 * ```ts
 * import { nmapGrepableFormat } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = { scanType: "syn" as const, ports: [1, 2, 3], args: "tcpcraft scan x", startMs: 0, version: "0.1.0", verbose: 1 };
 * assert.match(
 *   nmapGrepableFormat().begin(info),
 *   /\n# Ports scanned: TCP\(3;1-3\) UDP\(0;\) SCTP\(0;\) PROTOCOLS\(0;\)\n$/,
 * );
 * ```
 */
export function nmapGrepableFormat(): NmapFormat {
  return {
    name: "grepable",
    begin: (info) => {
      let out = `# ${scannerText(info)} scan initiated ${
        ctime(info.startMs)
      } as: ${info.args}\n`;
      if ((info.verbose ?? 0) > 0) {
        const ports = scannedPorts(info);
        out += `# Ports scanned: TCP(${ports.length};${
          portRangeText(ports)
        }) UDP(0;) SCTP(0;) PROTOCOLS(0;)\n`;
      }
      return out;
    },
    host: (report: HostReport, _info: NmapRunInfo, _times: HostTimes) =>
      grepableHost(report),
    end: (info: NmapRunInfo, summary: NmapRunSummary) =>
      `# ${scannerText(info)} done at ${ctime(summary.endMs)} -- ${
        hostsText(summary.hostsTotal, summary.hostsUp)
      } scanned in ${seconds(summary.endMs - summary.startMs)} seconds\n`,
  };
}
