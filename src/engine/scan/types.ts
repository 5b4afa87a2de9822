/**
 * The scan types: one entry each, in {@linkcode SCAN_TYPE_SPECS}, with the
 * flags its probes carry, how a reply to them reads (a state and nmap's
 * reason), the state of a port that never answers, and nmap's names. Every
 * other name here is read from the registry: {@linkcode SCAN_TYPES} (the
 * `--scan` words), {@linkcode SCAN_TYPE_FLAGS}, {@linkcode tcpVerdict},
 * {@linkcode icmpVerdict}, {@linkcode replyVerdict},
 * {@linkcode noResponseVerdict}. Adding a scan type is one entry.
 *
 * @module
 */

import { TCP_FLAGS } from "../../wire/flags.ts";
import type { Reply } from "../reply_match.ts";
import { icmpErrorVerdict, type PortState, type PortVerdict } from "./state.ts";

/** The scan types, as `--scan` names them: one entry each in {@linkcode SCAN_TYPE_SPECS}. */
export type ScanType =
  | "syn"
  | "fin"
  | "null"
  | "xmas"
  | "ack"
  | "window"
  | "maimon";

/** One scan type: everything the scanner, its help and its reading of replies need. */
export interface ScanTypeSpec {
  /** nmap's option for the same scan (`-sS`). */
  nmapOption: string;
  /** nmap's name for it (`SYN scan`). */
  nmapName: string;
  /** The flags its probes carry. */
  flags: number;
  /**
   * What a TCP segment answering a probe says, from its flags and window;
   * undefined when nmap would ignore it (the port keeps waiting).
   */
  tcp(flags: number, window: number): PortVerdict | undefined;
  /** What an ICMP or ICMPv6 error about a probe says; undefined to ignore it. */
  icmp(family: 4 | 6, type: number, code: number): PortVerdict | undefined;
  /** The state of a port that never answered, after every retry. */
  noResponse: PortState;
}

/** A RST means closed: how FIN, NULL and Xmas scans read replies. */
function closedOnReset(flags: number): PortVerdict | undefined {
  return (flags & TCP_FLAGS.rst) !== 0
    ? { state: "closed", reason: "reset" }
    : undefined;
}

/**
 * Every scan type, in the order help lists them: nmap 7.9x's
 * `get_pcap_result`, checked against `nmap --reason` on Linux.
 *
 * @example
 * ```ts
 * import { SCAN_TYPE_SPECS } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SCAN_TYPE_SPECS.window.nmapOption, "-sW");
 * assert.deepEqual(SCAN_TYPE_SPECS.window.tcp(0x04, 512), { state: "open", reason: "reset" });
 * ```
 */
export const SCAN_TYPE_SPECS: Readonly<Record<ScanType, ScanTypeSpec>> = Object
  .freeze({
    syn: {
      nmapOption: "-sS",
      nmapName: "SYN scan",
      flags: TCP_FLAGS.syn,
      // SYN+ACK before RST; a bare SYN (a split handshake) is open too.
      tcp: (flags) => {
        const { syn, ack, rst } = TCP_FLAGS;
        if ((flags & (syn | ack)) === (syn | ack)) {
          return { state: "open", reason: "syn-ack" };
        }
        if ((flags & rst) !== 0) return { state: "closed", reason: "reset" };
        if ((flags & syn) !== 0) {
          return { state: "open", reason: "split-handshake-syn" };
        }
        return undefined;
      },
      icmp: icmpErrorVerdict,
      noResponse: "filtered",
    },
    fin: {
      nmapOption: "-sF",
      nmapName: "FIN scan",
      flags: TCP_FLAGS.fin,
      tcp: closedOnReset,
      icmp: icmpErrorVerdict,
      noResponse: "open|filtered",
    },
    null: {
      nmapOption: "-sN",
      nmapName: "NULL scan",
      flags: 0,
      tcp: closedOnReset,
      icmp: icmpErrorVerdict,
      noResponse: "open|filtered",
    },
    xmas: {
      nmapOption: "-sX",
      nmapName: "Xmas scan",
      flags: TCP_FLAGS.fin | TCP_FLAGS.psh | TCP_FLAGS.urg,
      tcp: closedOnReset,
      icmp: icmpErrorVerdict,
      noResponse: "open|filtered",
    },
    ack: {
      nmapOption: "-sA",
      nmapName: "ACK scan",
      flags: TCP_FLAGS.ack,
      tcp: (flags) =>
        (flags & TCP_FLAGS.rst) !== 0
          ? { state: "unfiltered", reason: "reset" }
          : undefined,
      icmp: icmpErrorVerdict,
      noResponse: "filtered",
    },
    window: {
      nmapOption: "-sW",
      nmapName: "Window scan",
      // The ACK scan's probe; the RST's window tells open from closed.
      flags: TCP_FLAGS.ack,
      tcp: (flags, window) =>
        (flags & TCP_FLAGS.rst) !== 0
          ? { state: window > 0 ? "open" : "closed", reason: "reset" }
          : undefined,
      icmp: icmpErrorVerdict,
      noResponse: "filtered",
    },
    maimon: {
      nmapOption: "-sM",
      nmapName: "Maimon scan",
      // FIN+ACK: RFC 9293 says RST, but some BSD stacks drop it on an open port.
      flags: TCP_FLAGS.fin | TCP_FLAGS.ack,
      tcp: closedOnReset,
      icmp: icmpErrorVerdict,
      noResponse: "open|filtered",
    },
  });

/** The scan types, as `--scan` names them, in the registry's order. */
export const SCAN_TYPES: readonly ScanType[] = Object.freeze(
  Object.keys(SCAN_TYPE_SPECS) as ScanType[],
);

/**
 * The registry entry of a scan type.
 *
 * @param scan The scan type.
 * @returns Its entry.
 *
 * @example
 * ```ts
 * import { scanTypeSpec } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(scanTypeSpec("fin").nmapOption, "-sF");
 * assert.equal(scanTypeSpec("xmas").noResponse, "open|filtered");
 * ```
 */
export function scanTypeSpec(scan: ScanType): ScanTypeSpec {
  return SCAN_TYPE_SPECS[scan];
}

/**
 * The flags each scan type sends: SYN; FIN; none; FIN, PSH and URG; ACK;
 * ACK (the window scan reads the RST's window); FIN and ACK (Maimon).
 *
 * @example
 * ```ts
 * import { SCAN_TYPE_FLAGS } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SCAN_TYPE_FLAGS.xmas, 0x29);
 * assert.equal(SCAN_TYPE_FLAGS.null, 0);
 * ```
 */
export const SCAN_TYPE_FLAGS: Readonly<Record<ScanType, number>> = Object
  .freeze(
    Object.fromEntries(
      SCAN_TYPES.map((scan) => [scan, SCAN_TYPE_SPECS[scan].flags]),
    ) as Record<ScanType, number>,
  );

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
 * import { tcpVerdict, TCP_FLAGS } from "../../../mod.ts";
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
  return scanTypeSpec(scan).tcp(flags, window);
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
 * import { icmpVerdict } from "../../../mod.ts";
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
  return scanTypeSpec(scan).icmp(family, type, code);
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
 * import { noResponseVerdict } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(noResponseVerdict("syn"), { state: "filtered", reason: "no-response" });
 * assert.deepEqual(noResponseVerdict("xmas"), { state: "open|filtered", reason: "no-response" });
 * ```
 */
export function noResponseVerdict(scan: ScanType): PortVerdict {
  return { state: scanTypeSpec(scan).noResponse, reason: "no-response" };
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
 * import { encodePacket, makeTcpPacket, ReplyMatcher, replyVerdict, TCP_FLAGS } from "../../../mod.ts";
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
