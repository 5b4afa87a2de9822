/**
 * Port states as nmap reports them, and the reason words nmap's `--reason`
 * prints; how each scan type reads a reply into a state is its entry in
 * the registry of `types.ts`. The table follows nmap 7.9x's
 * `scan_engine_raw.cc` (`get_pcap_result`) and `portreasons.cc`
 * (`icmp_to_reason`), and was checked against `nmap --reason` on Linux:
 *
 * | scan | SYN-ACK | RST | no response | ICMP unreachable |
 * | --- | --- | --- | --- | --- |
 * | syn | open (syn-ack) | closed (reset) | filtered | filtered |
 * | fin, null, xmas | — | closed (reset) | open\|filtered | filtered |
 * | ack | — | unfiltered (reset) | filtered | filtered |
 * | window | — | open if window > 0, else closed (reset) | filtered | filtered |
 *
 * Details nmap has and this module keeps:
 * - A SYN scan checks SYN+ACK before RST, and takes a bare SYN (a split
 *   handshake) for open, reason `split-handshake-syn`. Other scans ignore
 *   a SYN-ACK: the port stays waiting, as nmap's does.
 * - ICMP (IPv4): type 3 codes 0, 1, 2, 3, 9, 10, 13 and type 11 (time
 *   exceeded) make a port filtered; other codes (fragmentation needed,
 *   source route failed…) and types are ignored.
 * - ICMPv6: type 1 codes 0 to 6 make it filtered; type 4 (parameter
 *   problem) code 0 makes it open and code 1 filtered; time exceeded and
 *   packet too big are ignored (nmap does not read them in a port scan).
 * - Reasons for ICMP are nmap's words: `net-unreach`, `host-unreach`,
 *   `proto-unreach`, `port-unreach`, `net-prohibited`, `host-prohibited`,
 *   `admin-prohibited` (IPv4 code 13), `time-exceeded`; for ICMPv6
 *   `no-route`, `admin-prohibited` (codes 1 and 5), `beyond-scope`,
 *   `host-unreach`, `port-unreach`, `reject-route`, `param-problem`.
 *
 * @module
 */

/** A port state, in nmap's words. */
export type PortState =
  | "open"
  | "closed"
  | "filtered"
  | "unfiltered"
  | "open|filtered";

/** The port states, in the order summaries list them. */
export const PORT_STATES: readonly PortState[] = Object.freeze([
  "open",
  "closed",
  "filtered",
  "unfiltered",
  "open|filtered",
]);

/** What a response (or its absence) says about a port. */
export interface PortVerdict {
  /** The state. */
  state: PortState;
  /** Why, as `nmap --reason` says it: `syn-ack`, `reset`, `no-response`, `port-unreach`… */
  reason: string;
}

/**
 * The reason nmap gives for an ICMP or ICMPv6 message (`icmp_to_reason`).
 *
 * @param family 4 for ICMP, 6 for ICMPv6.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns The reason word; `dest-unreach` for another unreachable code,
 *   `unknown-response` for a type nmap does not name.
 *
 * @example
 * ```ts
 * import { icmpReason } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(icmpReason(4, 3, 13), "admin-prohibited");
 * assert.equal(icmpReason(4, 3, 10), "host-prohibited");
 * assert.equal(icmpReason(6, 1, 0), "no-route");
 * assert.equal(icmpReason(6, 1, 5), "admin-prohibited");
 * ```
 */
export function icmpReason(family: 4 | 6, type: number, code: number): string {
  if (family === 4) {
    switch (type) {
      case 0:
        return "echo-reply";
      case 3:
        return ICMP4_UNREACH_REASONS[code] ?? "dest-unreach";
      case 4:
        return "source-quench";
      case 11:
        return "time-exceeded";
      case 14:
        return "timestamp-reply";
      case 18:
        return "addressmask-reply";
    }
    return "unknown-response";
  }
  switch (type) {
    case 129:
      return "echo-reply";
    case 1:
      return ICMP6_UNREACH_REASONS[code] ?? "dest-unreach";
    case 4:
      return "param-problem";
    case 3:
      return "time-exceeded";
  }
  return "unknown-response";
}

const ICMP4_UNREACH_REASONS: Readonly<Record<number, string>> = Object.freeze({
  0: "net-unreach",
  1: "host-unreach",
  2: "proto-unreach",
  3: "port-unreach",
  9: "net-prohibited",
  10: "host-prohibited",
  13: "admin-prohibited",
});

const ICMP6_UNREACH_REASONS: Readonly<Record<number, string>> = Object.freeze({
  0: "no-route",
  1: "admin-prohibited",
  2: "beyond-scope",
  3: "host-unreach",
  4: "port-unreach",
  5: "admin-prohibited",
  6: "reject-route",
});

/** IPv4 unreachable codes that make a port filtered (nmap). */
const ICMP4_FILTERING_CODES: ReadonlySet<number> = new Set([
  0,
  1,
  2,
  3,
  9,
  10,
  13,
]);

/**
 * What an ICMP or ICMPv6 error about a probe says about the port, as nmap
 * reads it in every TCP scan type (see the module documentation).
 *
 * @param family 4 for ICMP, 6 for ICMPv6.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns The verdict, or undefined when nmap would ignore the message.
 *
 * @example
 * ```ts
 * import { icmpErrorVerdict } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(icmpErrorVerdict(4, 3, 13), { state: "filtered", reason: "admin-prohibited" });
 * assert.deepEqual(icmpErrorVerdict(6, 4, 0), { state: "open", reason: "param-problem" });
 * assert.equal(icmpErrorVerdict(4, 3, 4), undefined); // fragmentation needed
 * ```
 */
export function icmpErrorVerdict(
  family: 4 | 6,
  type: number,
  code: number,
): PortVerdict | undefined {
  const reason = icmpReason(family, type, code);
  if (family === 4) {
    if (type === 3 && ICMP4_FILTERING_CODES.has(code)) {
      return { state: "filtered", reason };
    }
    if (type === 11) return { state: "filtered", reason };
    return undefined;
  }
  if (type === 1 && code <= 6) return { state: "filtered", reason };
  if (type === 4 && code === 0) return { state: "open", reason };
  if (type === 4 && code === 1) return { state: "filtered", reason };
  return undefined;
}
