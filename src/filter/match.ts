/**
 * Typed filters evaluated in JavaScript, with exactly the meaning of the
 * BPF program {@linkcode compilePacketFilter} makes of them, down to what a
 * packet cut short does (a load past the end ends the whole program with
 * "drop", as in the kernel): for hosts where no kernel runs the program,
 * and as a second opinion in tests.
 *
 * @module
 */

import { parseAddress } from "../wire/address.ts";
import type { PacketFilter, PortMatch } from "./types.ts";
import type { compilePacketFilter } from "./compile.ts";

/** A load past the end of the packet: the program returns 0. */
class PastTheEnd {}

class Reader {
  constructor(readonly packet: Uint8Array) {}
  byte(at: number): number {
    if (at < 0 || at >= this.packet.length) throw new PastTheEnd();
    return this.packet[at]!;
  }
  half(at: number): number {
    return (this.byte(at) << 8) | this.byte(at + 1);
  }
  word(at: number): number {
    if (at < 0 || at + 4 > this.packet.length) throw new PastTheEnd();
    return ((this.packet[at]! << 24) | (this.packet[at + 1]! << 16) |
      (this.packet[at + 2]! << 8) | this.packet[at + 3]!) >>> 0;
  }
}

/** The network's words compared one by one, as the program does. */
function networkHolds(text: string, reader: Reader, offset: number): boolean {
  const slash = text.indexOf("/");
  const parsed = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const prefix = slash < 0
    ? parsed.bytes.length * 8
    : Number(text.slice(slash + 1));
  for (let w = 0; w * 32 < prefix; w++) {
    const bits = Math.min(32, prefix - w * 32);
    const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    const b = parsed.bytes;
    const net = ((b[4 * w]! << 24) | (b[4 * w + 1]! << 16) |
      (b[4 * w + 2]! << 8) | b[4 * w + 3]!) & mask;
    if (((reader.word(offset + 4 * w) & mask) >>> 0) !== (net >>> 0)) {
      return false;
    }
  }
  return true;
}

function portHolds(match: PortMatch, port: number): boolean {
  return typeof match === "number"
    ? match === port
    : port >= match[0] && port <= match[1];
}

/**
 * Whether one of the filters takes an IP datagram: what the program
 * compiled from them would do, as a boolean.
 *
 * @param filters One filter, or several of which any one must hold.
 * @param packet The IP datagram, IP header first.
 * @returns True when the program would keep the packet.
 *
 * @example
 * ```ts
 * import { encodePacket, makeTcpPacket, matchPacketFilter } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = encodePacket(makeTcpPacket({
 *   src: "2001:db8::1", dst: "2001:db8::2", dstPort: 443,
 * }));
 * assert.ok(matchPacketFilter({ dst: ["2001:db8::/64"], dstPort: [[400, 500]] }, packet));
 * assert.ok(!matchPacketFilter({ family: 4 }, packet));
 * ```
 */
export function matchPacketFilter(
  filters: PacketFilter | readonly PacketFilter[],
  packet: Uint8Array,
): boolean {
  const list: readonly PacketFilter[] = Array.isArray(filters)
    ? filters
    : [filters as PacketFilter];
  const reader = new Reader(packet);
  try {
    const version = reader.byte(0) >> 4;
    if (version !== 4 && version !== 6) return false;
    return list.some((filter) =>
      (filter.family === undefined || filter.family === version) &&
      holds(filter, reader, version)
    );
  } catch (error) {
    if (error instanceof PastTheEnd) return false;
    throw error;
  }
}

function holds(filter: PacketFilter, reader: Reader, version: 4 | 6): boolean {
  const v4 = version === 4;
  const [srcAt, dstAt] = v4 ? [12, 16] : [8, 24];
  const ofFamily = (list: readonly string[]) =>
    list.filter((text) => parseAddress(text.split("/")[0]!).family === version);
  const lists = [
    filter.host && [[filter.host, srcAt], [filter.host, dstAt]],
    filter.src && [[filter.src, srcAt]],
    filter.dst && [[filter.dst, dstAt]],
  ] as ([readonly string[], number][] | undefined)[];
  // A filter with no address of this family has no section for it.
  for (const pairs of lists) {
    if (pairs !== undefined && ofFamily(pairs[0]![0]).length === 0) {
      return false;
    }
  }
  const protocol = reader.byte(v4 ? 9 : 6);
  const wanted: number[] = (filter.protocols ?? ["tcp"]).map((p) =>
    p === "tcp" ? 6 : v4 ? 1 : 58
  );
  if (!wanted.includes(protocol)) return false;
  for (const pairs of lists) {
    if (pairs === undefined) continue;
    const always = pairs.some(([texts]) =>
      ofFamily(texts).some((text) => /\/0$/.test(text))
    );
    if (always) continue;
    const ok = pairs.some(([texts, offset]) =>
      ofFamily(texts).some((text) => networkHolds(text, reader, offset))
    );
    if (!ok) return false;
  }
  const tcpTerms = filter.port !== undefined ||
    filter.srcPort !== undefined || filter.dstPort !== undefined ||
    filter.flags !== undefined;
  if (!tcpTerms) return true;
  if (v4 && (reader.half(6) & 0x1fff) !== 0) return false;
  const tcp = v4 ? (reader.byte(0) & 0xf) * 4 : 40;
  const ports = (matches: readonly PortMatch[] | undefined, ats: number[]) =>
    matches === undefined ||
    ats.some((at) =>
      matches.some((match) => portHolds(match, reader.half(tcp + at)))
    );
  if (!ports(filter.port, [0, 2])) return false;
  if (!ports(filter.srcPort, [0])) return false;
  if (!ports(filter.dstPort, [2])) return false;
  const flags = filter.flags;
  if (flags === undefined) return true;
  const bits = () => reader.half(tcp + 12) & 0x1ff;
  if (flags.set !== undefined && (bits() & flags.set) !== flags.set) {
    return false;
  }
  if (flags.clear !== undefined && (bits() & flags.clear) !== 0) return false;
  if (flags.equals !== undefined && bits() !== flags.equals) return false;
  return true;
}

/** For {@linkcode compilePacketFilter}'s documentation link. */
export type { compilePacketFilter };
