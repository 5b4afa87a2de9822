/**
 * Replies read from their own bytes, zmap's `validate_packet`: a TCP
 * segment or an ICMP error is ours when it comes back to our address and
 * source port from an address and port of the scan, and its cookie checks
 * out (the acknowledgment number less the probe's sequence space, a RST's
 * sequence number for probes with ACK set, or the sequence number an ICMP
 * error quotes, less the flow's cookie, is a try that was sent). Nothing
 * is kept per probe and nothing is allocated per reply: the reader's
 * fields hold what the last {@linkcode ReplyReader.read} found.
 *
 * @module
 */

import { formatAddress } from "../../wire/address.ts";
import { TCP_FLAGS } from "../../wire/flags.ts";
import { ackCookie, cookieV4, cookieV6 } from "./cookies.ts";
import type { SpaceIndex } from "./space_index.ts";

/** What the reader needs to know of the scan. */
export interface ReplyContext {
  /** The scan's cookie key. */
  key: Uint32Array;
  /** The targets. */
  index: SpaceIndex;
  /** The source port of every probe. */
  sport: number;
  /** The probes' flags. */
  flags: number;
  /** The highest try sent (retries). */
  maxTry: number;
  /** Our IPv4 source as a number (undefined: no IPv4 scanned). */
  srcV4?: number;
  /** Our IPv6 source (undefined: no IPv6 scanned). */
  srcV6?: Uint8Array;
}

const ICMP4_ERROR = new Uint8Array(256);
for (const type of [3, 4, 11, 12]) ICMP4_ERROR[type] = 1;
const ICMP6_ERROR = new Uint8Array(256);
for (const type of [1, 2, 3, 4]) ICMP6_ERROR[type] = 1;

function read16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function read32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) |
    b[at + 3]!) >>> 0;
}

/**
 * Reads replies; see the module documentation.
 *
 * @example A RST+ACK to a SYN probe, then one with a forged cookie
 * ```ts
 * import { ReplyReader } from "./replies.ts";
 * import { SpaceIndex } from "./space_index.ts";
 * import { cookieV4 } from "./cookies.ts";
 * import { encodePacket, makeTcpPacket, parsePorts, TargetSpace, TCP_FLAGS } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint32Array([1, 2, 3, 4]);
 * const index = new SpaceIndex(new TargetSpace(
 *   [{ family: 4, first: 0xc0000201n, last: 0xc0000201n }], parsePorts("80"),
 * ));
 * const reader = new ReplyReader({
 *   key, index, sport: 50000, flags: TCP_FLAGS.syn, maxTry: 1, srcV4: 0xc000022a,
 * });
 * const reset = (ack: number) => encodePacket(makeTcpPacket({
 *   src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, dstPort: 50000,
 *   ack, flags: TCP_FLAGS.rst | TCP_FLAGS.ack,
 * }));
 * const cookie = cookieV4(key, 0xc0000201, 80, 50000);
 * const good = reset((cookie + 1 + 1) >>> 0); // try 1
 * assert.ok(reader.read(good, 0, good.length, false));
 * assert.equal(reader.tryNumber, 1);
 * assert.equal(reader.portIndex, 0);
 * const forged = reset((cookie + 7) >>> 0);
 * assert.ok(!reader.read(forged, 0, forged.length, false));
 * ```
 */
export class ReplyReader {
  readonly #c: ReplyContext;
  /** Sequence space of a probe: one for SYN, one for FIN. */
  readonly #space: number;
  readonly #probeAck: boolean;
  /** "tcp" or "icmp". */
  kind: "tcp" | "icmp" = "tcp";
  /** 4 or 6. */
  family: 4 | 6 = 4;
  /** The target's address index. */
  addressIndex = 0;
  /** The target's port index. */
  portIndex = 0;
  /** Which try it answers, from 0. */
  tryNumber = 0;
  /** The TCP reply's flags. */
  flags = 0;
  /** The TCP reply's window. */
  window = 0;
  /** The ICMP type and code. */
  icmpType = 0;
  icmpCode = 0;
  /** TTL or hop limit of the datagram that arrived (0 when unknown, IPv6 ICMP). */
  ttl = 0;
  /** Where the datagram starts and how long it is (for a capture). */
  offset = 0;
  length = 0;
  /** The sender of an ICMP error: an IPv4 number, or where its IPv6 bytes are. */
  fromV4 = 0;
  fromV6At = 0;
  #data: Uint8Array = new Uint8Array(0);

  /**
   * Make a reader for one scan.
   *
   * @param context The scan's key, targets, port, flags, tries and sources.
   */
  constructor(context: ReplyContext) {
    this.#c = context;
    const { syn, fin, ack } = TCP_FLAGS;
    this.#space = ((context.flags & syn) !== 0 ? 1 : 0) +
      ((context.flags & fin) !== 0 ? 1 : 0);
    this.#probeAck = (context.flags & ack) !== 0;
  }

  /**
   * The TTL (hop limit) to report for the last reply read: always for TCP
   * and ICMP, for ICMPv6 only when the kernel said it.
   *
   * @returns The TTL, or undefined.
   */
  replyTtl(): number | undefined {
    return this.kind === "tcp" || this.family === 4 || this.ttl !== 0
      ? this.ttl
      : undefined;
  }

  /**
   * Who sent the last ICMP error read, when not the target itself.
   *
   * @param target The target's address text.
   * @returns The sender's text, or undefined (a TCP reply, or the target).
   */
  reasonIp(target: string): string | undefined {
    if (this.kind !== "icmp") return undefined;
    let from: string;
    if (this.family === 4) {
      const v = this.fromV4;
      from = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
    } else {
      from = formatAddress(this.#data.slice(this.fromV6At, this.fromV6At + 16));
    }
    return from === target ? undefined : from;
  }

  /**
   * Read one datagram.
   *
   * @param data Holds it.
   * @param offset Where it starts.
   * @param length Its length.
   * @param icmp Whether it came from the ICMP (or ICMPv6) socket.
   * @returns Whether it answers a probe of this scan (the fields say how).
   */
  read(
    data: Uint8Array,
    offset: number,
    length: number,
    icmp: boolean,
  ): boolean {
    if (length < 20) return false;
    this.#data = data;
    this.offset = offset;
    this.length = length;
    const version = data[offset]! >> 4;
    if (version === 4) {
      return icmp
        ? this.#icmp4(data, offset, length)
        : this.#tcp4(data, offset, length);
    }
    if (version === 6 && length >= 40) {
      return icmp
        ? this.#icmp6(data, offset, length)
        : this.#tcp6(data, offset, length);
    }
    return false;
  }

  /** An IPv4 header's length, or 0 when it is not one to read (fragment, short). */
  #ipv4Header(data: Uint8Array, at: number, length: number, protocol: number) {
    const ihl = (data[at]! & 0x0f) * 4;
    if (ihl < 20 || ihl > length || data[at + 9] !== protocol) return 0;
    // A fragment (more fragments, or an offset) is not read.
    if ((read16(data, at + 6) & 0x3fff) !== 0) return 0;
    return ihl;
  }

  #tcp4(data: Uint8Array, at: number, length: number): boolean {
    const c = this.#c;
    if (c.srcV4 === undefined) return false;
    const ihl = this.#ipv4Header(data, at, length, 6);
    if (ihl === 0 || length < ihl + 20) return false;
    if (read32(data, at + 16) !== c.srcV4) return false;
    const src = read32(data, at + 12);
    const t = at + ihl;
    if (read16(data, t + 2) !== c.sport) return false;
    const port = read16(data, t);
    const addressIndex = c.index.addressIndexOfV4(src);
    if (addressIndex < 0) return false;
    const cookie = cookieV4(c.key, src, port, c.sport);
    if (!this.#tcpCookie(data, t, cookie)) return false;
    return this.#tcpFound(data, t, 4, addressIndex, port, data[at + 8]!);
  }

  #tcp6(data: Uint8Array, at: number, length: number): boolean {
    const c = this.#c;
    const src = c.srcV6;
    if (src === undefined || data[at + 6] !== 6 || length < 60) return false;
    for (let i = 0; i < 16; i++) if (data[at + 24 + i] !== src[i]) return false;
    const t = at + 40;
    if (read16(data, t + 2) !== c.sport) return false;
    const port = read16(data, t);
    const addressIndex = c.index.addressIndexOfV6(data, at + 8);
    if (addressIndex < 0) return false;
    const cookie = cookieV6(c.key, data, at + 8, port, c.sport);
    if (!this.#tcpCookie(data, t, cookie)) return false;
    return this.#tcpFound(data, t, 6, addressIndex, port, data[at + 7]!);
  }

  /** Whether a segment's numbers answer a try of the flow; sets `tryNumber`. */
  #tcpCookie(data: Uint8Array, t: number, cookie: number): boolean {
    const flags = data[t + 13]! | ((data[t + 12]! & 1) << 8);
    let d: number;
    if ((flags & TCP_FLAGS.ack) !== 0) {
      d = (read32(data, t + 8) - this.#space - cookie) >>> 0;
    } else if ((flags & TCP_FLAGS.rst) !== 0 && this.#probeAck) {
      // A RST to a probe with ACK set carries the probe's acknowledgment number.
      d = (read32(data, t + 4) - ackCookie(this.#c.key, cookie)) >>> 0;
    } else return false;
    if (d > this.#c.maxTry) return false;
    this.tryNumber = d;
    this.flags = flags;
    return true;
  }

  #tcpFound(
    data: Uint8Array,
    t: number,
    family: 4 | 6,
    addressIndex: number,
    port: number,
    ttl: number,
  ): boolean {
    const portIndex = this.#c.index.portIndexOf(port);
    if (portIndex < 0) return false;
    this.kind = "tcp";
    this.family = family;
    this.addressIndex = addressIndex;
    this.portIndex = portIndex;
    this.window = read16(data, t + 14);
    this.ttl = ttl;
    return true;
  }

  #icmp4(data: Uint8Array, at: number, length: number): boolean {
    const c = this.#c;
    if (c.srcV4 === undefined) return false;
    const ihl = this.#ipv4Header(data, at, length, 1);
    const m = at + ihl;
    if (ihl === 0 || length < ihl + 8 + 20 + 8) return false;
    if (ICMP4_ERROR[data[m]!] !== 1) return false;
    const q = m + 8;
    if (data[q]! >> 4 !== 4) return false;
    const qihl = this.#ipv4Header(data, q, at + length - q, 6);
    if (qihl === 0 || q + qihl + 8 > at + length) return false;
    if (read32(data, q + 12) !== c.srcV4) return false;
    const dst = read32(data, q + 16);
    const t = q + qihl;
    if (read16(data, t) !== c.sport) return false;
    const port = read16(data, t + 2);
    const addressIndex = c.index.addressIndexOfV4(dst);
    if (addressIndex < 0) return false;
    const cookie = cookieV4(c.key, dst, port, c.sport);
    if (!this.#quotedCookie(data, t, cookie)) return false;
    this.fromV4 = read32(data, at + 12);
    return this.#icmpFound(data, m, 4, addressIndex, port, data[at + 8]!);
  }

  #icmp6(data: Uint8Array, at: number, length: number): boolean {
    const c = this.#c;
    const src = c.srcV6;
    const m = at + 40;
    if (src === undefined || data[at + 6] !== 58) return false;
    if (length < 40 + 8 + 40 + 8) return false;
    if (ICMP6_ERROR[data[m]!] !== 1) return false;
    const q = m + 8;
    if (data[q]! >> 4 !== 6 || data[q + 6] !== 6) return false;
    for (let i = 0; i < 16; i++) if (data[q + 8 + i] !== src[i]) return false;
    const t = q + 40;
    if (read16(data, t) !== c.sport) return false;
    const port = read16(data, t + 2);
    const addressIndex = c.index.addressIndexOfV6(data, q + 24);
    if (addressIndex < 0) return false;
    const cookie = cookieV6(c.key, data, q + 24, port, c.sport);
    if (!this.#quotedCookie(data, t, cookie)) return false;
    this.fromV6At = at + 8;
    return this.#icmpFound(data, m, 6, addressIndex, port, data[at + 7]!);
  }

  /** Whether a quoted sequence number is a try of the flow; sets `tryNumber`. */
  #quotedCookie(data: Uint8Array, t: number, cookie: number): boolean {
    const d = (read32(data, t + 4) - cookie) >>> 0;
    if (d > this.#c.maxTry) return false;
    this.tryNumber = d;
    return true;
  }

  #icmpFound(
    data: Uint8Array,
    m: number,
    family: 4 | 6,
    addressIndex: number,
    port: number,
    ttl: number,
  ): boolean {
    const portIndex = this.#c.index.portIndexOf(port);
    if (portIndex < 0) return false;
    this.kind = "icmp";
    this.family = family;
    this.addressIndex = addressIndex;
    this.portIndex = portIndex;
    this.icmpType = data[m]!;
    this.icmpCode = data[m + 1]!;
    this.ttl = ttl;
    return true;
  }
}
