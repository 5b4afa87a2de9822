/**
 * Port states as nmap reports them, per scan type: what a SYN-ACK, a RST,
 * an ICMP error or silence says about a port, and the reason word nmap's
 * `--reason` prints for it. The table follows nmap 7.9x's
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

import { TCP_FLAGS } from "../wire/flags.ts";
import type { Reply } from "./reply_match.ts";

/** The scan types, as `--scan` names them. */
export const SCAN_TYPES = [
  "syn",
  "fin",
  "null",
  "xmas",
  "ack",
  "window",
] as const;

/** One of {@linkcode SCAN_TYPES}. */
export type ScanType = typeof SCAN_TYPES[number];

/**
 * The flags each scan type sends: SYN; FIN; none; FIN, PSH and URG; ACK;
 * ACK (the window scan reads the RST's window).
 *
 * @example
 * ```ts
 * import { SCAN_TYPE_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SCAN_TYPE_FLAGS.xmas, 0x29);
 * assert.equal(SCAN_TYPE_FLAGS.null, 0);
 * ```
 */
export const SCAN_TYPE_FLAGS: Readonly<Record<ScanType, number>> = Object
  .freeze({
    syn: TCP_FLAGS.syn,
    fin: TCP_FLAGS.fin,
    null: 0,
    xmas: TCP_FLAGS.fin | TCP_FLAGS.psh | TCP_FLAGS.urg,
    ack: TCP_FLAGS.ack,
    window: TCP_FLAGS.ack,
  });

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
 * import { icmpReason } from "../../mod.ts";
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
 * What a TCP segment answering a probe says about the port.
 *
 * @param scan The scan type (with `--flags`, the type whose reading applies).
 * @param flags The reply's flags.
 * @param window The reply's window (read by the window scan).
 * @returns The verdict, or undefined when nmap would ignore the reply
 *   (a SYN-ACK to a FIN probe, an ACK without RST…).
 *
 * @example
 * ```ts
 * import { tcpVerdict, TCP_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { syn, ack, rst } = TCP_FLAGS;
 * assert.deepEqual(tcpVerdict("syn", syn | ack, 64240), { state: "open", reason: "syn-ack" });
 * assert.deepEqual(tcpVerdict("syn", rst | ack, 0), { state: "closed", reason: "reset" });
 * assert.deepEqual(tcpVerdict("ack", rst, 0), { state: "unfiltered", reason: "reset" });
 * assert.deepEqual(tcpVerdict("window", rst, 0), { state: "closed", reason: "reset" });
 * assert.equal(tcpVerdict("fin", syn | ack, 0), undefined);
 * ```
 */
export function tcpVerdict(
  scan: ScanType,
  flags: number,
  window: number,
): PortVerdict | undefined {
  const { syn, ack, rst } = TCP_FLAGS;
  if (scan === "syn" && (flags & (syn | ack)) === (syn | ack)) {
    return { state: "open", reason: "syn-ack" };
  }
  if ((flags & rst) !== 0) {
    if (scan === "window") {
      return { state: window > 0 ? "open" : "closed", reason: "reset" };
    }
    if (scan === "ack") return { state: "unfiltered", reason: "reset" };
    return { state: "closed", reason: "reset" };
  }
  if (scan === "syn" && (flags & syn) !== 0) {
    return { state: "open", reason: "split-handshake-syn" };
  }
  return undefined;
}

/**
 * What an ICMP or ICMPv6 error about a probe says about the port.
 *
 * @param scan The scan type (every TCP scan type reads ICMP alike).
 * @param family 4 for ICMP, 6 for ICMPv6.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns The verdict, or undefined when nmap would ignore the message.
 *
 * @example
 * ```ts
 * import { icmpVerdict } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(icmpVerdict("syn", 4, 3, 13), { state: "filtered", reason: "admin-prohibited" });
 * assert.deepEqual(icmpVerdict("fin", 6, 1, 4), { state: "filtered", reason: "port-unreach" });
 * assert.equal(icmpVerdict("syn", 4, 3, 4), undefined); // fragmentation needed
 * ```
 */
export function icmpVerdict(
  scan: ScanType,
  family: 4 | 6,
  type: number,
  code: number,
): PortVerdict | undefined {
  void scan;
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

/**
 * The state of a port that never answered, after every retry.
 *
 * @param scan The scan type.
 * @returns `open|filtered` for FIN, NULL and Xmas scans, else `filtered`;
 *   the reason is `no-response`.
 *
 * @example
 * ```ts
 * import { noResponseVerdict } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(noResponseVerdict("syn"), { state: "filtered", reason: "no-response" });
 * assert.deepEqual(noResponseVerdict("xmas"), { state: "open|filtered", reason: "no-response" });
 * ```
 */
export function noResponseVerdict(scan: ScanType): PortVerdict {
  return {
    state: scan === "fin" || scan === "null" || scan === "xmas"
      ? "open|filtered"
      : "filtered",
    reason: "no-response",
  };
}

/**
 * What a reply matched by `ReplyMatcher` says about the port.
 *
 * @param scan The scan type.
 * @param reply The reply.
 * @returns The verdict, or undefined when nmap would ignore the reply.
 *
 * @example
 * ```ts
 * import { encodePacket, makeTcpPacket, ReplyMatcher, replyVerdict, TCP_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const matcher = new ReplyMatcher();
 * matcher.add({
 *   id: 1, family: 4, src: "192.0.2.42", dst: "192.0.2.1", srcPort: 40000,
 *   dstPort: 22, seq: 5, ack: 0, flags: TCP_FLAGS.fin, payloadLength: 0, sentAt: 0,
 * });
 * const rst = encodePacket(makeTcpPacket({
 *   src: "192.0.2.1", dst: "192.0.2.42", srcPort: 22, dstPort: 40000,
 *   seq: 0, ack: 6, flags: TCP_FLAGS.rst | TCP_FLAGS.ack, window: 0,
 * }));
 * const reply = matcher.matchTcp(rst, 1)!;
 * assert.deepEqual(replyVerdict("fin", reply), { state: "closed", reason: "reset" });
 * ```
 */
export function replyVerdict(
  scan: ScanType,
  reply: Reply,
): PortVerdict | undefined {
  if (reply.kind === "tcp") {
    return tcpVerdict(scan, reply.packet.tcp.flags, reply.packet.tcp.window);
  }
  return icmpVerdict(scan, reply.family, reply.type, reply.code);
}
