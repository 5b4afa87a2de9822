/**
 * nmap's XML output (`-oX`), valid against nmap's DTD (`nmap.dtd`,
 * `xmloutputversion` 1.05): `nmaprun`, `scaninfo`, `verbose`, `debugging`,
 * per host `status`, `address`, `hostnames`, `ports` (`extraports` with
 * `extrareasons`, then `port` with `state` and `service`) and `times`, then
 * `runstats` (`finished`, `hosts`). Elements and line breaks are where
 * nmap 7.9x puts them, so tools that read nmap's XML (`ndiff`, importers)
 * read this.
 *
 * The DTD allows only `scanner="nmap"`, so that is what the root element
 * says; the comment above it, `args` and `version` say it was tcpcraft.
 * What nmap knows and tcpcraft does not is left out: `hosthint`, MAC
 * addresses, host names, OS and version detection.
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
import { ctime, hostsText, seconds, xmlEscape } from "./_text.ts";

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values).map(([name, value]) =>
    ` ${name}="${xmlEscape(String(value))}"`
  ).join("");
}

function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * A host's `<host>` element, as nmap writes it.
 *
 * @param report The host's report.
 * @param info The run.
 * @param times When the host's scan started and ended.
 * @returns The element and its line break.
 *
 * @example
 * ```ts
 * import { xmlHost } from "./xml.ts";
 * import assert from "node:assert/strict";
 *
 * const xml = xmlHost({
 *   host: "2001:db8::1", family: 6, total: 1, mayBeOpen: true, collapsed: [],
 *   ports: [{ port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 }],
 * }, { scanType: "syn", ports: [22], args: "", startMs: 0, version: "0" }, { startMs: 0, endMs: 2000 });
 * assert.match(xml, /<address addr="2001:db8::1" addrtype="ipv6"\/>/);
 * assert.match(xml, /<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"\/><service name="ssh" method="table" conf="3"\/><\/port>/);
 * ```
 */
export function xmlHost(
  report: HostReport,
  info: NmapRunInfo,
  times: HostTimes,
): string {
  let out = `<host${
    attributes({
      starttime: epochSeconds(times.startMs),
      endtime: epochSeconds(times.endMs),
    })
  }><status${
    attributes({
      state: "up",
      reason: info.hostReason ?? "user-set",
      reason_ttl: 0,
    })
  }/>\n<address${
    attributes({
      addr: report.host,
      addrtype: report.family === 4 ? "ipv4" : "ipv6",
    })
  }/>\n<hostnames>\n</hostnames>\n<ports>`;
  for (const { state, count, reasons } of report.collapsed) {
    out += `<extraports${attributes({ state, count })}>\n`;
    for (const group of reasons) {
      out += `<extrareasons${
        attributes({
          reason: group.reason,
          count: group.ports.length,
          proto: "tcp",
          ports: portRangeText(group.ports),
        })
      }/>\n`;
    }
    out += "</extraports>\n";
  }
  for (const port of report.ports) {
    const state: Record<string, string | number> = {
      state: port.state,
      reason: port.reason,
      reason_ttl: port.reasonTtl,
    };
    if (port.reasonIp !== undefined) state.reason_ip = port.reasonIp;
    const name = reportedService(port);
    const service = name === undefined
      ? ""
      : `<service${attributes({ name, method: "table", conf: 3 })}/>`;
    out += `<port${attributes({ protocol: "tcp", portid: port.port })}><state${
      attributes(state)
    }/>${service}</port>\n`;
  }
  out += "</ports>\n";
  if (report.srttUs !== undefined && report.rttvarUs !== undefined) {
    // nmap's timeout: srtt + 4 rttvar, at least its 100 ms floor.
    const to = Math.max(100_000, report.srttUs + 4 * report.rttvarUs);
    out += `<times${
      attributes({ srtt: report.srttUs, rttvar: report.rttvarUs, to })
    }/>\n`;
  }
  return `${out}</host>\n`;
}

/**
 * nmap's XML output.
 *
 * @returns The format.
 *
 * @example
 * ```ts
 * import { nmapXmlFormat } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = { scanType: "syn" as const, ports: [22, 80, 81], args: "tcpcraft scan x", startMs: 0, version: "0.1.0" };
 * const format = nmapXmlFormat();
 * assert.match(format.begin(info), /<scaninfo type="syn" protocol="tcp" numservices="3" services="22,80-81"\/>/);
 * assert.match(
 *   format.end(info, { startMs: 0, endMs: 2500, hostsTotal: 2, hostsUp: 2 }),
 *   /<hosts up="2" down="0" total="2"\/>\n<\/runstats>\n<\/nmaprun>\n$/,
 * );
 * ```
 */
export function nmapXmlFormat(): NmapFormat {
  return {
    name: "xml",
    begin: (info) => {
      const ports = scannedPorts(info);
      const started = ctime(info.startMs);
      return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<!-- ${
        xmlEscape(
          `${scannerText(info)} scan initiated ${started} as: ${info.args}`,
        )
      } -->\n<nmaprun${
        attributes({
          scanner: "nmap",
          args: info.args,
          start: epochSeconds(info.startMs),
          startstr: started,
          version: info.version,
          xmloutputversion: "1.05",
        })
      }>\n<scaninfo${
        attributes({
          type: info.scanType,
          protocol: "tcp",
          numservices: ports.length,
          services: portRangeText(ports),
        })
      }/>\n<verbose level="${info.verbose ?? 0}"/>\n<debugging level="0"/>\n`;
    },
    host: (report: HostReport, info: NmapRunInfo, times: HostTimes) =>
      xmlHost(report, info, times),
    end: (info: NmapRunInfo, summary: NmapRunSummary) => {
      const finished = ctime(summary.endMs);
      const elapsed = seconds(summary.endMs - summary.startMs);
      const values: Record<string, string | number> = {
        time: epochSeconds(summary.endMs),
        timestr: finished,
        summary: `${scannerText(info)} done at ${finished}; ${
          hostsText(summary.hostsTotal, summary.hostsUp)
        } scanned in ${elapsed} seconds`,
        elapsed,
        exit: summary.error === undefined ? "success" : "error",
      };
      if (summary.error !== undefined) values.errormsg = summary.error;
      return `<runstats><finished${attributes(values)}/><hosts${
        attributes({
          up: summary.hostsUp,
          down: summary.hostsTotal - summary.hostsUp,
          total: summary.hostsTotal,
        })
      }/>\n</runstats>\n</nmaprun>\n`;
    },
  };
}
