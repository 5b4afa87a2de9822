/**
 * nmap's outputs of a scan: the normal output ("Nmap scan report for …",
 * "Not shown: 65530 closed tcp ports (reset)", the PORT STATE SERVICE
 * [REASON] table), the XML (`-oX`, valid against nmap's DTD, read by
 * `ndiff` and nmap importers) and the grepable output (`-oG`).
 *
 * - `types.ts`: the record of a port ({@linkcode NmapPortResult}, and
 *   {@linkcode nmapPortFromScanResult} from the scan engine's results),
 *   the run ({@linkcode NmapRunInfo}) and its end;
 * - `collapse.ts`: nmap's rule for the ports it does not list;
 * - `host_ports.ts`: a host's ports, buffered compactly until written;
 * - `format.ts`: the interface of an output ({@linkcode NmapFormat});
 *   `normal.ts`, `xml.ts`, `grepable.ts`: the three formats;
 * - `reporter.ts`: {@linkcode NmapReporter}, which a command feeds results
 *   as they come and which writes each host, sorted, when it is complete.
 *
 * @module
 */

export * from "./types.ts";
export {
  collapsedStates,
  type CollapseOptions,
  isCollapsedState,
  portRangeText,
  type ReasonGroup,
  reasonGroups,
} from "./collapse.ts";
export type { CollapsedState, HostReport, ReportedPort } from "./host_ports.ts";
export type { HostTimes, NmapFormat, NmapRunSummary } from "./format.ts";
export { nmapNormalFormat, type NmapNormalOptions } from "./normal.ts";
export { nmapXmlFormat } from "./xml.ts";
export { nmapGrepableFormat } from "./grepable.ts";
export {
  type NmapOutput,
  NmapReporter,
  type NmapReporterOptions,
} from "./reporter.ts";
