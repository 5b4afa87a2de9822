/**
 * nmap's XML read back for tests: the scan type, the ports scanned and
 * every port's verdict, those collapsed into `<extraports>` included (from
 * `<extrareasons ports=…>`).
 *
 * @module
 */

import type { NmapPortResult, NmapScanType } from "../mod.ts";

/** What an nmap XML file says: the run and each host's verdicts. */
export interface NmapXml {
  scanType: NmapScanType;
  ports: number[];
  hosts: { address: string; ports: NmapPortResult[] }[];
}

/**
 * Ports from nmap's range text (`1-3,7`).
 *
 * @param text The ranges.
 * @returns The ports.
 */
export function expandRanges(text: string): number[] {
  return text.split(",").filter((part) => part !== "").flatMap((part) => {
    const [first, last] = part.split("-").map(Number);
    const out: number[] = [];
    for (let p = first!; p <= (last ?? first!); p++) out.push(p);
    return out;
  });
}

/** An attribute's value in a start tag. */
function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
}

/**
 * The verdicts of nmap's XML, collapsed ports included.
 *
 * @param xml nmap's XML output.
 * @returns The run and each host's verdicts.
 */
export function parseNmapXml(xml: string): NmapXml {
  const scaninfo = /<scaninfo [^>]*>/.exec(xml)![0];
  const hosts: NmapXml["hosts"] = [];
  for (const match of xml.matchAll(/<host [\s\S]*?<\/host>/g)) {
    const text = match[0];
    const address = attribute(/<address [^>]*>/.exec(text)![0], "addr")!;
    const ports: NmapPortResult[] = [];
    for (const extra of text.matchAll(/<extraports [\s\S]*?<\/extraports>/g)) {
      const state = attribute(extra[0], "state") as NmapPortResult["state"];
      for (const reasons of extra[0].matchAll(/<extrareasons [^>]*>/g)) {
        for (const port of expandRanges(attribute(reasons[0], "ports")!)) {
          ports.push({
            host: address,
            port,
            state,
            reason: attribute(reasons[0], "reason")!,
          });
        }
      }
    }
    for (const port of text.matchAll(/<port [^>]*><state [^>]*>/g)) {
      const state = /<state [^>]*>/.exec(port[0])![0];
      const record: NmapPortResult = {
        host: address,
        port: Number(attribute(port[0], "portid")),
        state: attribute(state, "state") as NmapPortResult["state"],
        reason: attribute(state, "reason")!,
        reasonTtl: Number(attribute(state, "reason_ttl")),
      };
      const ip = attribute(state, "reason_ip");
      if (ip !== undefined) record.reasonIp = ip;
      ports.push(record);
    }
    hosts.push({ address, ports });
  }
  return {
    scanType: attribute(scaninfo, "type") as NmapScanType,
    ports: expandRanges(attribute(scaninfo, "services")!),
    hosts,
  };
}
