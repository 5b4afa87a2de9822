/**
 * Reply matching: which probe, if any, a packet read from a raw socket
 * answers. A TCP reply is matched by its addresses, its ports and its
 * acknowledgment number; an ICMP or ICMPv6 error by the IP header and the
 * first 8 TCP bytes it quotes. The round-trip time runs from the probe's
 * `sentAt` to the packet's `receivedAt`. Anything that matches no probe,
 * or that the decoders refuse, is ignored: it is never taken for an answer.
 *
 * API summary (stable; `probe`, `trace` and `scan` share it):
 *
 * ```text
 * interface Probe { id; family: 4|6; src; dst; srcPort; dstPort; seq; ack;
 *                   flags; payloadLength; ttl?; sentAt }   // sentAt: epoch ms
 * type Reply =
 *   | { kind: "tcp"; probe; packet: DecodedTcpPacket; receivedAt; rttMs }
 *   | { kind: "icmp"; probe; family; type; code; category; description;
 *       from; receivedAt; rttMs; ttl? }  // from: the router or host that sent it
 * class ReplyMatcher {
 *   add(probe): void                 // throws RangeError for a bad probe or a reused id
 *   remove(probe | id): boolean      // matching never removes: call this after the first reply
 *   probes(): Probe[]                // pending, oldest first
 *   matchTcp(bytes, receivedAt): TcpReply | undefined            // whole IP datagram
 *   matchIcmp(bytes, receivedAt, family): IcmpReply | undefined  // whole IP datagram (ICMP or ICMPv6)
 *   readonly pending: number
 * }
 * icmpDescription(family, type, code): string
 * icmpCategory(family, type, code): IcmpCategory
 * expectedAck(probe): number         // probe.seq + payloadLength + SYN + FIN, mod 2^32
 * ```
 *
 * The rules:
 * - A TCP reply must come from `probe.dst` to `probe.src`, from
 *   `probe.dstPort` to `probe.srcPort` (looked up in a map, O(1)). Then:
 *   with ACK set, its acknowledgment must be `expectedAck(probe)` (the
 *   probe's sequence number plus its payload length, plus one for SYN and
 *   one for FIN, modulo 2^32); a RST without ACK matches a probe that had
 *   ACK set when its sequence number is the probe's acknowledgment number
 *   (RFC 9293 §3.10.7.1: such a RST carries SEQ = SEG.ACK). Any other
 *   reply (no ACK and no RST, or a RST answering a probe without ACK) is
 *   not matched.
 * - An ICMP (types 3 unreachable, 4 source quench, 11 time exceeded, 12
 *   parameter problem) or ICMPv6 (1 unreachable, 2 packet too big, 3 time
 *   exceeded, 4 parameter problem) error matches when its quoted IP header
 *   goes from `probe.src` to `probe.dst` with protocol TCP and the quoted
 *   TCP bytes carry the probe's ports and sequence number. The quote is
 *   decoded leniently (routers cut it short); one with fewer than 8 TCP
 *   bytes, or a quoted non-first fragment, is ignored.
 * - Several probes may share the addresses and ports (retries, or trace
 *   sending the same port at every TTL): give each a distinct sequence
 *   number (a distinct `expectedAck`) and replies tell them apart. When two
 *   pending probes would both match, the one added first wins.
 * - Matching does not remove the probe, because a host may answer twice
 *   (a SYN-ACK is retransmitted): remove it once answered, or keep it to
 *   see duplicates.
 *
 * Every byte goes through {@linkcode decodeIp} and {@linkcode decodePacket}
 * (lenient, as for received packets); only a {@linkcode DecodeError} is
 * caught, so garbage is ignored and a bug still shows.
 *
 * @module
 */

import { addressBytes, formatAddress } from "../wire/address.ts";
import { read16, read32 } from "../wire/bytes.ts";
import { DecodeError } from "../wire/errors.ts";
import { TCP_FLAGS } from "../wire/flags.ts";
import {
  type DecodedTcpPacket,
  decodeIp,
  decodePacket,
} from "../wire/packet.ts";

/** A probe sent and waiting for its answer. */
export interface Probe {
  /** The caller's number for the probe, unique among the pending ones. */
  id: number;
  /** 4 or 6. */
  family: 4 | 6;
  /** Our address, as written in the probe's IP header. */
  src: string;
  /** The peer's address. */
  dst: string;
  /** Our port. */
  srcPort: number;
  /** The peer's port. */
  dstPort: number;
  /** The probe's sequence number. */
  seq: number;
  /** The probe's acknowledgment number (matters for probes with ACK set). */
  ack: number;
  /** The probe's TCP flags mask. */
  flags: number;
  /** Bytes of data after the probe's TCP header. */
  payloadLength: number;
  /** The probe's TTL or hop limit, when the caller set it (trace). */
  ttl?: number;
  /** When it was sent, epoch milliseconds (the clock of `ReceivedPacket.receivedAt`). */
  sentAt: number;
}

/** A TCP segment that answers a probe. */
export interface TcpReply {
  /** Discriminant. */
  kind: "tcp";
  /** The probe answered. */
  probe: Probe;
  /** The reply, decoded (leniently). */
  packet: DecodedTcpPacket;
  /** When it arrived, epoch milliseconds. */
  receivedAt: number;
  /** `receivedAt - probe.sentAt`. */
  rttMs: number;
}

/** What an ICMP error says, in a word (see {@linkcode icmpCategory}). */
export type IcmpCategory =
  /** Time exceeded (the TTL or hop limit ran out, or reassembly timed out). */
  | "time-exceeded"
  /** Destination unreachable for a reason other than a filter. */
  | "unreachable"
  /** Destination unreachable because a filter said no (administratively prohibited and kin). */
  | "prohibited"
  /** Fragmentation needed (IPv4) or packet too big (IPv6). */
  | "too-big"
  /** Parameter problem. */
  | "parameter-problem"
  /** Source quench (IPv4, deprecated). */
  | "source-quench";

/** An ICMP or ICMPv6 error about a probe. */
export interface IcmpReply {
  /** Discriminant. */
  kind: "icmp";
  /** The probe the error is about. */
  probe: Probe;
  /** 4 for ICMP, 6 for ICMPv6. */
  family: 4 | 6;
  /** The ICMP type. */
  type: number;
  /** The ICMP code. */
  code: number;
  /** What it says, in a word. */
  category: IcmpCategory;
  /** What it says, in words: `"time exceeded in transit"`, `"port unreachable"`. */
  description: string;
  /** Who sent it: the router or host (the source of the ICMP datagram). */
  from: string;
  /** When it arrived, epoch milliseconds. */
  receivedAt: number;
  /** `receivedAt - probe.sentAt`. */
  rttMs: number;
  /** The TTL or hop limit of the ICMP datagram as it arrived, when known. */
  ttl?: number;
}

/** A reply matched to its probe. */
export type Reply = TcpReply | IcmpReply;

const ICMP4_UNREACHABLE: readonly string[] = [
  "network unreachable",
  "host unreachable",
  "protocol unreachable",
  "port unreachable",
  "fragmentation needed",
  "source route failed",
  "destination network unknown",
  "destination host unknown",
  "source host isolated",
  "network administratively prohibited",
  "host administratively prohibited",
  "network unreachable for TOS",
  "host unreachable for TOS",
  "administratively prohibited",
  "host precedence violation",
  "precedence cutoff in effect",
];

const ICMP6_UNREACHABLE: readonly string[] = [
  "no route to destination",
  "administratively prohibited",
  "beyond scope of source address",
  "address unreachable",
  "port unreachable",
  "source address failed ingress/egress policy",
  "reject route to destination",
  "error in source routing header",
];

const ICMP4_ERRORS: ReadonlySet<number> = new Set([3, 4, 11, 12]);
const ICMP6_ERRORS: ReadonlySet<number> = new Set([1, 2, 3, 4]);

/**
 * What an ICMP (family 4) or ICMPv6 (family 6) error type and code mean,
 * in the words of RFC 792, RFC 1812 and RFC 4443.
 *
 * @param family 4 for ICMP, 6 for ICMPv6.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns A short lower-case phrase; `"ICMP type T code C"` (or
 *   `"ICMPv6 …"`) for what it does not know.
 *
 * @example
 * ```ts
 * import { icmpDescription } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(icmpDescription(4, 11, 0), "time exceeded in transit");
 * assert.equal(icmpDescription(4, 3, 13), "administratively prohibited");
 * assert.equal(icmpDescription(6, 1, 4), "port unreachable");
 * assert.equal(icmpDescription(6, 3, 0), "hop limit exceeded in transit");
 * assert.equal(icmpDescription(4, 42, 1), "ICMP type 42 code 1");
 * ```
 */
export function icmpDescription(
  family: 4 | 6,
  type: number,
  code: number,
): string {
  if (family === 4) {
    if (type === 3 && ICMP4_UNREACHABLE[code] !== undefined) {
      return ICMP4_UNREACHABLE[code]!;
    }
    if (type === 3) return `destination unreachable (code ${code})`;
    if (type === 4) return "source quench";
    if (type === 11 && code === 0) return "time exceeded in transit";
    if (type === 11 && code === 1) return "fragment reassembly time exceeded";
    if (type === 12) return "parameter problem";
    return `ICMP type ${type} code ${code}`;
  }
  if (type === 1 && ICMP6_UNREACHABLE[code] !== undefined) {
    return ICMP6_UNREACHABLE[code]!;
  }
  if (type === 1) return `destination unreachable (code ${code})`;
  if (type === 2) return "packet too big";
  if (type === 3 && code === 0) return "hop limit exceeded in transit";
  if (type === 3 && code === 1) return "fragment reassembly time exceeded";
  if (type === 4) return "parameter problem";
  return `ICMPv6 type ${type} code ${code}`;
}

/**
 * The category of an ICMP or ICMPv6 error: what a scanner or tracer does
 * with it. Unreachable codes that mean a filter (IPv4 codes 9, 10, 13;
 * IPv6 codes 1 and 5) are `"prohibited"`.
 *
 * @param family 4 for ICMP, 6 for ICMPv6.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns The category, or undefined for a type that is not an error
 *   about a packet sent (echo, redirect…).
 *
 * @example
 * ```ts
 * import { icmpCategory } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(icmpCategory(4, 11, 0), "time-exceeded");
 * assert.equal(icmpCategory(4, 3, 3), "unreachable");
 * assert.equal(icmpCategory(4, 3, 13), "prohibited");
 * assert.equal(icmpCategory(6, 1, 1), "prohibited");
 * assert.equal(icmpCategory(4, 0, 0), undefined); // echo reply
 * ```
 */
export function icmpCategory(
  family: 4 | 6,
  type: number,
  code: number,
): IcmpCategory | undefined {
  if (family === 4) {
    switch (type) {
      case 3:
        if (code === 4) return "too-big";
        return code === 9 || code === 10 || code === 13
          ? "prohibited"
          : "unreachable";
      case 4:
        return "source-quench";
      case 11:
        return "time-exceeded";
      case 12:
        return "parameter-problem";
    }
    return undefined;
  }
  switch (type) {
    case 1:
      return code === 1 || code === 5 ? "prohibited" : "unreachable";
    case 2:
      return "too-big";
    case 3:
      return "time-exceeded";
    case 4:
      return "parameter-problem";
  }
  return undefined;
}

/**
 * The acknowledgment number a reply with ACK set carries when it answers
 * the probe: the probe's sequence number plus the sequence space it used
 * (payload length, one for SYN, one for FIN), modulo 2^32.
 *
 * @param probe The probe (its `seq`, `flags` and `payloadLength`).
 * @returns The acknowledgment number, 0..2^32-1.
 *
 * @example
 * ```ts
 * import { expectedAck, TCP_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(expectedAck({ seq: 1000, flags: TCP_FLAGS.syn, payloadLength: 0 }), 1001);
 * assert.equal(expectedAck({ seq: 0xffffffff, flags: TCP_FLAGS.fin, payloadLength: 4 }), 4);
 * assert.equal(expectedAck({ seq: 7, flags: TCP_FLAGS.ack, payloadLength: 0 }), 7);
 * ```
 */
export function expectedAck(
  probe: Pick<Probe, "seq" | "flags" | "payloadLength">,
): number {
  const syn = (probe.flags & TCP_FLAGS.syn) !== 0 ? 1 : 0;
  const fin = (probe.flags & TCP_FLAGS.fin) !== 0 ? 1 : 0;
  return (probe.seq + probe.payloadLength + syn + fin) >>> 0;
}

interface Entry {
  probe: Probe;
  src: string;
  key: string;
  expectedAck: number;
}

function canonical(address: string, family: 4 | 6, what: string): string {
  try {
    return formatAddress(addressBytes(address, family));
  } catch (error) {
    throw new RangeError(
      `Cannot add probe: ${what} ${address} is not an IPv${family} address`,
      { cause: error },
    );
  }
}

function checkInteger(
  value: number,
  name: string,
  max: number,
): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `Cannot add probe: ${name} ${value} is not in 0..${max}`,
    );
  }
}

function tupleKey(peer: string, peerPort: number, ourPort: number): string {
  return `${peer} ${peerPort} ${ourPort}`;
}

/**
 * Matches packets read from raw sockets to the probes that caused them.
 * Pure: it keeps the pending probes and reads bytes; it sends and
 * receives nothing. See the module documentation for the rules.
 *
 * @example A SYN-ACK answers a SYN; a stray packet answers nothing
 * ```ts
 * import { encodePacket, makeTcpPacket, ReplyMatcher, TCP_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const matcher = new ReplyMatcher();
 * matcher.add({
 *   id: 1, family: 4, src: "192.0.2.42", dst: "192.0.2.1", srcPort: 40000,
 *   dstPort: 80, seq: 1000, ack: 0, flags: TCP_FLAGS.syn, payloadLength: 0,
 *   sentAt: 5000,
 * });
 * const synAck = encodePacket(makeTcpPacket({
 *   src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, dstPort: 40000,
 *   seq: 77, ack: 1001, flags: TCP_FLAGS.syn | TCP_FLAGS.ack,
 * }));
 * const reply = matcher.matchTcp(synAck, 5000.25);
 * assert.equal(reply?.kind, "tcp");
 * assert.equal(reply?.probe.id, 1);
 * assert.equal(reply?.rttMs, 0.25);
 * const stray = encodePacket(makeTcpPacket({
 *   src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, dstPort: 40000,
 *   seq: 77, ack: 999, flags: TCP_FLAGS.syn | TCP_FLAGS.ack,
 * }));
 * assert.equal(matcher.matchTcp(stray, 5001), undefined);
 * assert.equal(matcher.matchTcp(new Uint8Array([0x45, 1, 2]), 5001), undefined);
 * matcher.remove(1);
 * assert.equal(matcher.pending, 0);
 * ```
 */
export class ReplyMatcher {
  readonly #byId = new Map<number, Entry>();
  readonly #byTuple = new Map<string, Entry[]>();

  /** How many probes are waiting. */
  get pending(): number {
    return this.#byId.size;
  }

  /**
   * Wait for replies to a probe.
   *
   * @param probe The probe, as sent.
   * @throws {RangeError} For an id already pending, an address that is not
   *   of the probe's family, or a port, number or length out of range.
   */
  add(probe: Probe): void {
    if (!Number.isSafeInteger(probe.id)) {
      throw new RangeError(
        `Cannot add probe: id ${probe.id} is not an integer`,
      );
    }
    if (this.#byId.has(probe.id)) {
      throw new RangeError(
        `Cannot add probe: id ${probe.id} is already pending`,
      );
    }
    if (probe.family !== 4 && probe.family !== 6) {
      throw new RangeError(
        `Cannot add probe: family ${probe.family} is not 4 or 6`,
      );
    }
    const src = canonical(probe.src, probe.family, "source");
    const dst = canonical(probe.dst, probe.family, "destination");
    checkInteger(probe.srcPort, "srcPort", 0xffff);
    checkInteger(probe.dstPort, "dstPort", 0xffff);
    checkInteger(probe.seq, "seq", 0xffffffff);
    checkInteger(probe.ack, "ack", 0xffffffff);
    checkInteger(probe.flags, "flags", 0x1ff);
    checkInteger(probe.payloadLength, "payloadLength", 0xffff);
    if (!Number.isFinite(probe.sentAt)) {
      throw new RangeError(
        `Cannot add probe: sentAt ${probe.sentAt} is not a time`,
      );
    }
    const key = tupleKey(dst, probe.dstPort, probe.srcPort);
    const entry: Entry = { probe, src, key, expectedAck: expectedAck(probe) };
    this.#byId.set(probe.id, entry);
    const list = this.#byTuple.get(key);
    if (list === undefined) this.#byTuple.set(key, [entry]);
    else list.push(entry);
  }

  /**
   * Stop waiting for replies to a probe.
   *
   * @param probe The probe, or its id.
   * @returns Whether it was pending.
   */
  remove(probe: Probe | number): boolean {
    const id = typeof probe === "number" ? probe : probe.id;
    const entry = this.#byId.get(id);
    if (entry === undefined) return false;
    this.#byId.delete(id);
    const list = this.#byTuple.get(entry.key)!;
    const index = list.indexOf(entry);
    list.splice(index, 1);
    if (list.length === 0) this.#byTuple.delete(entry.key);
    return true;
  }

  /** The pending probes, oldest first. */
  probes(): Probe[] {
    return [...this.#byId.values()].map((entry) => entry.probe);
  }

  /**
   * The probe a TCP packet answers, if any.
   *
   * @param bytes The whole IP datagram, as a raw TCP socket delivers it.
   * @param receivedAt When it arrived, epoch milliseconds.
   * @returns The reply, or undefined when it answers no pending probe or
   *   cannot be decoded.
   */
  matchTcp(bytes: Uint8Array, receivedAt: number): TcpReply | undefined {
    if (this.#byId.size === 0) return undefined;
    let ip;
    try {
      ip = decodeIp(bytes, { lenient: true });
    } catch (error) {
      if (error instanceof DecodeError) return undefined;
      throw error;
    }
    if (ip.protocol !== 6 || ip.fragment || ip.payload.length < 20) {
      return undefined;
    }
    // Cheap lookup before the full decode: most TCP on a host is not ours.
    const list = this.#byTuple.get(
      tupleKey(ip.ip.src, read16(ip.payload, 0), read16(ip.payload, 2)),
    );
    if (list === undefined) return undefined;
    let packet: DecodedTcpPacket;
    try {
      packet = decodePacket(bytes, { lenient: true });
    } catch (error) {
      if (error instanceof DecodeError) return undefined;
      throw error;
    }
    const { tcp } = packet;
    const hasAck = (tcp.flags & TCP_FLAGS.ack) !== 0;
    const isRst = (tcp.flags & TCP_FLAGS.rst) !== 0;
    for (const entry of list) {
      if (entry.src !== packet.ip.dst) continue;
      const probe = entry.probe;
      const matched = hasAck
        ? tcp.ack === entry.expectedAck
        : isRst && (probe.flags & TCP_FLAGS.ack) !== 0 &&
          tcp.seq === probe.ack;
      if (matched) {
        return {
          kind: "tcp",
          probe,
          packet,
          receivedAt,
          rttMs: receivedAt - probe.sentAt,
        };
      }
    }
    return undefined;
  }

  /**
   * The probe an ICMP or ICMPv6 error is about, if any.
   *
   * @param bytes The whole IP datagram carrying the ICMP message, as a raw
   *   ICMP socket (or, for IPv6, `RawSocket` with its rebuilt header)
   *   delivers it.
   * @param receivedAt When it arrived, epoch milliseconds.
   * @param family 4 for ICMP, 6 for ICMPv6.
   * @returns The reply, or undefined when it is not an error about a
   *   pending probe or cannot be decoded.
   */
  matchIcmp(
    bytes: Uint8Array,
    receivedAt: number,
    family: 4 | 6,
  ): IcmpReply | undefined {
    if (this.#byId.size === 0) return undefined;
    let outer;
    let quoted;
    try {
      outer = decodeIp(bytes, { lenient: true });
      if (outer.ip.version !== family) return undefined;
      const icmpProtocol = family === 4 ? 1 : 58;
      if (outer.protocol !== icmpProtocol || outer.fragment) return undefined;
      const icmp = outer.payload;
      // type, code, checksum, 4 bytes (unused, pointer or MTU), then the quote.
      if (icmp.length < 8) return undefined;
      const errors = family === 4 ? ICMP4_ERRORS : ICMP6_ERRORS;
      if (!errors.has(icmp[0]!)) return undefined;
      quoted = decodeIp(icmp.subarray(8), { lenient: true });
    } catch (error) {
      if (error instanceof DecodeError) return undefined;
      throw error;
    }
    const q = quoted.ip;
    if (q.version !== family || quoted.protocol !== 6) return undefined;
    if (q.version === 4 && q.fragmentOffset !== 0) return undefined;
    const tcp = quoted.payload;
    if (tcp.length < 8) return undefined;
    const srcPort = read16(tcp, 0);
    const dstPort = read16(tcp, 2);
    const seq = read32(tcp, 4);
    const list = this.#byTuple.get(tupleKey(q.dst, dstPort, srcPort));
    if (list === undefined) return undefined;
    const entry = list.find((e) => e.src === q.src && e.probe.seq === seq);
    if (entry === undefined) return undefined;
    const type = outer.payload[0]!;
    const code = outer.payload[1]!;
    const reply: IcmpReply = {
      kind: "icmp",
      probe: entry.probe,
      family,
      type,
      code,
      category: icmpCategory(family, type, code)!,
      description: icmpDescription(family, type, code),
      from: outer.ip.src,
      receivedAt,
      rttMs: receivedAt - entry.probe.sentAt,
    };
    const ttl = outer.ip.version === 4 ? outer.ip.ttl : outer.ip.hopLimit;
    if (ttl !== 0 || outer.ip.version === 4) reply.ttl = ttl;
    return reply;
  }
}
