/**
 * nmap's outputs as the CLI drives them: the scan's results go to an
 * {@linkcode NmapReporter} through the one formatter interface of
 * `output.ts`, and `-oA BASE` names its three files as nmap does. Not yet
 * used by a command: `scan` takes it up with its `-oN`, `-oX`, `-oG` and
 * `-oA` options.
 *
 * @module
 */

import {
  nmapPortFromScanResult,
  type NmapReporter,
  type NmapRunEnd,
} from "../engine/report/mod.ts";
import type { ScanResult } from "../engine/scan/result.ts";
import type { OutputFormatter } from "./output.ts";

/**
 * A formatter that feeds a scan's results to nmap's outputs.
 *
 * @param reporter The reporter (its outputs and where they go).
 * @returns The formatter: `begin` writes the headers, `write` buffers
 *   results, `end` writes the hosts and the footers.
 *
 * @example
 * ```ts
 * import { nmapFormatter } from "./nmap_output.ts";
 * import { NmapReporter, nmapGrepableFormat } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let text = "";
 * const formatter = nmapFormatter(new NmapReporter(
 *   { scanType: "syn", ports: [22], args: "tcpcraft scan 192.0.2.1 -p 22", startMs: 0, version: "0.1.0" },
 *   [{ format: nmapGrepableFormat(), write: (t) => text += t }],
 * ));
 * formatter.begin();
 * formatter.write([{ host: "192.0.2.1", port: 22, state: "open", reason: "syn-ack", rttMs: 1, addressIndex: 0 }]);
 * formatter.end({ endMs: 1000 });
 * assert.match(text, /Ports: 22\/open\/tcp\/\/ssh\/\/\//);
 * ```
 */
export function nmapFormatter(
  reporter: NmapReporter,
): OutputFormatter<ScanResult, NmapRunEnd> {
  return {
    begin: () => reporter.begin(),
    write: (records) => reporter.add(records.map(nmapPortFromScanResult)),
    end: (final) => reporter.end(final),
  };
}

/**
 * The files of nmap's `-oA BASE`: `BASE.nmap`, `BASE.xml`, `BASE.gnmap`.
 *
 * @param base The base name.
 * @returns The path of each output.
 *
 * @example
 * ```ts
 * import { nmapAllPaths } from "./nmap_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(nmapAllPaths("scans/web"), {
 *   normal: "scans/web.nmap",
 *   xml: "scans/web.xml",
 *   grepable: "scans/web.gnmap",
 * });
 * ```
 */
export function nmapAllPaths(
  base: string,
): { normal: string; xml: string; grepable: string } {
  return {
    normal: `${base}.nmap`,
    xml: `${base}.xml`,
    grepable: `${base}.gnmap`,
  };
}
