/**
 * Whole packets: an IPv4 or IPv6 header (IPv6 with any extension headers)
 * followed by a TCP segment, with the TCP pseudo-header taken from the IP
 * header.
 *
 * What is and is not handled:
 * - IPv6 extension headers hop-by-hop (0), routing (43) and destination
 *   options (60) are walked to the upper-layer header, kept as raw bytes
 *   and written back as they were.
 * - The TCP checksum of an IPv4 packet with a loose or strict source route
 *   option (LSRR 131, SSRR 137) with addresses left to visit uses the
 *   final destination, the option's last address (RFC 791, RFC 9293 §3.1).
 * - The TCP checksum of an IPv6 packet with a routing header whose
 *   Segments Left is not 0 uses the final destination (RFC 8200 §8.1):
 *   the last address of a type 0 or type 2 header, the first segment of a
 *   type 4 (segment routing, RFC 8754) header. Other routing types, and
 *   Mobile IPv6 home address options, do not change the pseudo-header.
 * - Fragments are not reassembled: {@linkcode decodeIp} reports a fragment
 *   (IPv4 MF or offset, an IPv6 fragment header other than an atomic
 *   fragment: RFC 6946's offset 0 and M clear, which holds the whole
 *   datagram and is walked like an extension header) and
 *   {@linkcode decodePacket} refuses it with kind `"unsupported"`.
 * - IPv6 jumbograms, AH (51) and ESP (50) are not decoded: they end the
 *   walk, and `decodePacket` says the protocol is not TCP.
 *
 * @module
 */

import { formatAddress, parseAddress } from "./address.ts";
import { DecodeError } from "./errors.ts";
import { TCP_FLAGS } from "./flags.ts";
import {
  type DecodedIpv4Header,
  decodeIpv4,
  encodeIpv4HeaderInto,
  type Ipv4Header,
  ipv4HeaderLength,
  verifyIpv4Checksum,
} from "./ipv4.ts";
import {
  type DecodedIpv6Header,
  decodeIpv6,
  encodeIpv6HeaderInto,
  IPV6_HEADER_LENGTH,
  type Ipv6Header,
} from "./ipv6.ts";
import {
  type DecodedTcpSegment,
  decodeTcp,
  encodeTcpInto,
  tcpHeaderLength,
  type TcpSegment,
  verifyTcpChecksum,
} from "./tcp.ts";
import type { TcpOption } from "./tcp_options.ts";

/**
 * An IPv6 extension header of the kinds that share the common layout (RFC
 * 8200 §4): Next Header, Hdr Ext Len, then data. The encoder writes Hdr Ext
 * Len from the data's length; the header's own type is the Next Header of
 * the header before it.
 */
export interface Ipv6ExtensionHeader {
  /** Next Header (byte 0): the type of the header that follows. */
  nextHeader: number;
  /** The bytes after Next Header and Hdr Ext Len: 6 + 8n bytes (n = 0..255). */
  data: Uint8Array;
}

/** An extension header as decoded, with where it was and what it is. */
export interface DecodedIpv6ExtensionHeader extends Ipv6ExtensionHeader {
  /** This header's type (0 hop-by-hop, 43 routing, 60 destination options). */
  type: number;
  /** Byte offset of the header in the decoded buffer. */
  offset: number;
}

/** An IP datagram carrying one TCP segment. */
export interface TcpPacket {
  /** The IP header. */
  ip: Ipv4Header | Ipv6Header;
  /** The TCP segment. */
  tcp: TcpSegment;
  /**
   * IPv6 extension headers between the fixed header and TCP, in order
   * (IPv6 only). The chain's Next Header values are written as given:
   * `ip.nextHeader` names the first one.
   */
  extensionHeaders?: Ipv6ExtensionHeader[];
}

/** A decoded IP datagram carrying one TCP segment. */
export interface DecodedTcpPacket {
  /** The IP header, every field present. */
  ip: DecodedIpv4Header | DecodedIpv6Header;
  /** The TCP segment, every field present. */
  tcp: DecodedTcpSegment;
  /** IPv6 extension headers walked (present, maybe empty, for IPv6 only). */
  extensionHeaders?: DecodedIpv6ExtensionHeader[];
}

/** Options for {@linkcode encodePacketInto}. */
export interface EncodePacketIntoOptions {
  /** Where in the target the packet starts (default 0). */
  offset?: number;
}

/** Options for {@linkcode decodeIp} and {@linkcode decodePacket}. */
export interface DecodePacketOptions {
  /**
   * Accept inconsistent lengths (see `decodeIpv4`, `decodeIpv6`, `decodeTcp`)
   * and stop at a truncated extension header instead of throwing (default
   * false).
   */
  lenient?: boolean;
}

/** The result of {@linkcode decodeIp}. */
export interface DecodedIp {
  /** The IP header. */
  ip: DecodedIpv4Header | DecodedIpv6Header;
  /**
   * The upper-layer protocol: the IPv4 protocol, or for IPv6 the Next
   * Header after the last extension header walked (44 for a fragment).
   */
  protocol: number;
  /** Byte offset of the payload in the decoded buffer. */
  payloadOffset: number;
  /** The upper-layer bytes: a view into the input, not a copy. */
  payload: Uint8Array;
  /** Whether this is a fragment: IPv4 MF set or offset not 0, or an IPv6 fragment header. */
  fragment: boolean;
  /** IPv6 extension headers walked (present, maybe empty, for IPv6 only). */
  extensionHeaders?: DecodedIpv6ExtensionHeader[];
}

/** Checksums checked by {@linkcode verifyPacketChecksums}. */
export interface PacketChecksums {
  /** The IPv4 header checksum; null for IPv6, which has none. */
  ip: boolean | null;
  /** The TCP checksum, over the pseudo-header and the segment. */
  tcp: boolean;
}

/**
 * IPv6 extension header types walked by {@linkcode decodeIp}, with their names.
 *
 * @example
 * ```ts
 * import { IPV6_EXTENSION_HEADER_NAMES } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_EXTENSION_HEADER_NAMES[43], "routing header");
 * assert.equal(IPV6_EXTENSION_HEADER_NAMES[6], undefined); // TCP ends the walk
 * ```
 */
export const IPV6_EXTENSION_HEADER_NAMES: Readonly<Record<number, string>> =
  Object.freeze({
    0: "hop-by-hop options header",
    43: "routing header",
    60: "destination options header",
  });

/**
 * IPv6 Next Header value of a fragment header: {@linkcode decodeIp} stops
 * there and reports a fragment.
 *
 * @example
 * ```ts
 * import { IPV6_FRAGMENT_HEADER } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_FRAGMENT_HEADER, 44);
 * ```
 */
export const IPV6_FRAGMENT_HEADER = 44;

const PACKET = "packet";
const EXTENSION = "IPv6 extension header";

function extensionLength(header: Ipv6ExtensionHeader): number {
  const length = header.data.length + 2;
  if (length % 8 !== 0 || length > 2048) {
    throw new RangeError(
      `Cannot encode IPv6 extension header: data is ${header.data.length} bytes, must be 6 + 8n (n = 0..255)`,
    );
  }
  return length;
}

/**
 * The destination the TCP pseudo-header uses: the final destination of a
 * routing header with segments left, else the IPv6 destination.
 */
function pseudoHeaderDestination(
  dst: string,
  extensionHeaders: readonly Ipv6ExtensionHeader[],
  firstType: number,
): string | Uint8Array {
  let final: string | Uint8Array = dst;
  let type = firstType;
  for (const header of extensionHeaders) {
    if (type === 43 && header.data.length >= 22 && header.data[1]! > 0) {
      const routingType = header.data[0]!;
      if (routingType === 0 || routingType === 2) {
        // Addresses from byte 8 of the header (data[6..]); the last one is final.
        const count = Math.floor((header.data.length - 6) / 16);
        const start = 6 + 16 * (count - 1);
        final = header.data.slice(start, start + 16);
      } else if (routingType === 4) {
        // Segment List[0], at byte 8, is the final segment.
        final = header.data.slice(6, 22);
      }
    }
    type = header.nextHeader;
  }
  return final;
}

/** IPv4 option kinds whose last address is the final destination. */
const IPV4_SOURCE_ROUTES: ReadonlySet<number> = new Set([
  131, // loose source and record route (LSRR)
  137, // strict source and record route (SSRR)
]);

/**
 * The destination the TCP pseudo-header of an IPv4 packet uses: the final
 * destination of a source route option (LSRR or SSRR) with addresses left
 * to visit (pointer at most length - 3), that is its last address (RFC 791,
 * RFC 9293 §3.1), else the IPv4 destination. A malformed option list ends
 * the walk.
 */
function ipv4PseudoHeaderDestination(
  dst: string,
  options: Uint8Array,
): string | Uint8Array {
  let p = 0;
  while (p < options.length) {
    const kind = options[p]!;
    if (kind === 0) break;
    if (kind === 1) {
      p++;
      continue;
    }
    const length = options[p + 1];
    if (length === undefined || length < 2 || p + length > options.length) {
      break;
    }
    if (IPV4_SOURCE_ROUTES.has(kind) && length >= 7) {
      const pointer = options[p + 2]!;
      if (pointer >= 4 && pointer <= length - 3) {
        const last = p + 3 + 4 * (Math.floor((length - 3) / 4) - 1);
        return options.slice(last, last + 4);
      }
    }
    p += length;
  }
  return dst;
}

/**
 * The destination address the TCP checksum's pseudo-header uses: the final
 * destination of an IPv6 routing header with segments left (RFC 8200 §8.1),
 * or the last address of an IPv4 source route option (LSRR, SSRR) with
 * addresses left to visit; otherwise the IP header's destination.
 *
 * @param packet A packet, or a decoded datagram from {@linkcode decodeIp}.
 * @returns The address, canonical text.
 *
 * @example
 * ```ts
 * import { makeTcpPacket, parseHex, tcpPseudoHeaderDestination } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const plain = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * assert.equal(tcpPseudoHeaderDestination(plain), "192.0.2.1");
 * // Loose source route via 198.51.100.7 to 203.0.113.9, pointer 4: both left.
 * const routed = makeTcpPacket({
 *   src: "192.0.2.42",
 *   dst: "198.51.100.7",
 *   ipOptions: parseHex("830b04 c6336407 cb007109 00"),
 * });
 * assert.equal(tcpPseudoHeaderDestination(routed), "203.0.113.9");
 * ```
 */
export function tcpPseudoHeaderDestination(packet: {
  ip: Ipv4Header | Ipv6Header;
  extensionHeaders?: readonly Ipv6ExtensionHeader[];
}): string {
  const { ip } = packet;
  const dst = ip.version === 4
    ? ipv4PseudoHeaderDestination(ip.dst, ip.options)
    : pseudoHeaderDestination(
      ip.dst,
      packet.extensionHeaders ?? [],
      ip.nextHeader,
    );
  return typeof dst === "string" ? dst : formatAddress(dst);
}

/**
 * The length of the encoded packet: IP header, extension headers, TCP
 * header and payload.
 *
 * @param packet The packet.
 * @returns Its length in bytes.
 *
 * @example
 * ```ts
 * import { makeTcpPacket, packetLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(packetLength(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" })), 40);
 * assert.equal(packetLength(makeTcpPacket({ src: "2001:db8::1", dst: "2001:db8::2" })), 60);
 * ```
 */
export function packetLength(packet: TcpPacket): number {
  const tcp = tcpHeaderLength(packet.tcp) + packet.tcp.payload.length;
  if (packet.ip.version === 4) {
    if (
      packet.extensionHeaders !== undefined &&
      packet.extensionHeaders.length > 0
    ) {
      throw new RangeError(
        "Cannot encode packet: IPv6 extension headers on an IPv4 packet",
      );
    }
    return ipv4HeaderLength(packet.ip) + tcp;
  }
  let extensions = 0;
  for (const header of packet.extensionHeaders ?? []) {
    extensions += extensionLength(header);
  }
  return IPV6_HEADER_LENGTH + extensions + tcp;
}

/**
 * Write a whole packet into a buffer. The IP lengths and checksum are
 * computed as `encodeIpv4HeaderInto` and `encodeIpv6HeaderInto` do; the TCP
 * checksum (unless `tcp.checksum` is given) is computed over a
 * pseudo-header built from the IP source and destination (the final
 * destination, with an IPv4 source route or an IPv6 routing header), protocol 6 and the actual TCP
 * length. The IPv4 protocol or IPv6 Next Header is written as given, so a
 * TCP segment can be sent under another protocol number.
 *
 * @param packet The packet.
 * @param target The buffer to write into.
 * @param options `offset` (default 0).
 * @returns The number of bytes written.
 * @throws {RangeError} For a field out of range or a target too small.
 *
 * @example
 * ```ts
 * import { encodePacketInto, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new Uint8Array(1500);
 * const written = encodePacketInto(
 *   makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 443 }),
 *   buffer,
 *   { offset: 14 }, // after an Ethernet header
 * );
 * assert.equal(written, 40);
 * assert.equal(buffer[14], 0x45);
 * assert.equal((buffer[36]! << 8) | buffer[37]!, 443);
 * ```
 */
export function encodePacketInto(
  packet: TcpPacket,
  target: Uint8Array,
  options: EncodePacketIntoOptions = {},
): number {
  const offset = options.offset ?? 0;
  const total = packetLength(packet);
  if (
    !Number.isInteger(offset) || offset < 0 || offset + total > target.length
  ) {
    throw new RangeError(
      `Cannot encode packet: ${total} bytes do not fit at offset ${offset} of a ${target.length}-byte buffer`,
    );
  }
  const tcpLength = tcpHeaderLength(packet.tcp) + packet.tcp.payload.length;
  let at = offset;
  let dst: string | Uint8Array = packet.ip.dst;
  if (packet.ip.version === 4) {
    at += encodeIpv4HeaderInto(packet.ip, target, {
      payloadLength: tcpLength,
      offset: at,
    });
    dst = ipv4PseudoHeaderDestination(packet.ip.dst, packet.ip.options);
  } else {
    const extensions = packet.extensionHeaders ?? [];
    at += encodeIpv6HeaderInto(packet.ip, target, {
      payloadLength: total - IPV6_HEADER_LENGTH,
      offset: at,
    });
    for (const header of extensions) {
      const length = extensionLength(header);
      if (
        !Number.isInteger(header.nextHeader) || header.nextHeader < 0 ||
        header.nextHeader > 0xff
      ) {
        throw new RangeError(
          `Cannot encode IPv6 extension header: nextHeader ${header.nextHeader} is not in 0..255`,
        );
      }
      target[at] = header.nextHeader;
      target[at + 1] = length / 8 - 1;
      target.set(header.data, at + 2);
      at += length;
    }
    dst = pseudoHeaderDestination(
      packet.ip.dst,
      extensions,
      packet.ip.nextHeader,
    );
  }
  at += encodeTcpInto(packet.tcp, target, {
    src: packet.ip.src,
    dst,
    offset: at,
  });
  return at - offset;
}

/**
 * Encode a whole packet into a new buffer. See {@linkcode encodePacketInto}
 * for what is computed.
 *
 * @param packet The packet.
 * @returns The packet bytes, ready for a raw socket with IP_HDRINCL.
 * @throws {RangeError} For a field out of range.
 *
 * @example
 * ```ts
 * import { encodePacket, makeTcpPacket, verifyPacketChecksums } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({ src: "2001:db8::1", dst: "2001:db8::2" }));
 * assert.equal(bytes.length, 60);
 * assert.deepEqual(verifyPacketChecksums(bytes), { ip: null, tcp: true });
 * ```
 */
export function encodePacket(packet: TcpPacket): Uint8Array {
  const bytes = new Uint8Array(packetLength(packet));
  encodePacketInto(packet, bytes);
  return bytes;
}

/**
 * Whether the header at `pos` is an atomic fragment (RFC 6946): a fragment
 * header with offset 0, M clear and a zero reserved byte, which holds a
 * whole datagram. It has the common layout (its reserved byte reads as Hdr
 * Ext Len 0, 8 bytes), so it is walked and re-encoded like the others.
 */
function isAtomicFragment(
  type: number,
  payload: Uint8Array,
  pos: number,
): boolean {
  if (type !== IPV6_FRAGMENT_HEADER || payload.length - pos < 8) return false;
  const offsetAndFlags = (payload[pos + 2]! << 8) | payload[pos + 3]!;
  return payload[pos + 1] === 0 && offsetAndFlags === 0;
}

function walkExtensionHeaders(
  header: DecodedIpv6Header,
  payload: Uint8Array,
  lenient: boolean,
): {
  protocol: number;
  consumed: number;
  headers: DecodedIpv6ExtensionHeader[];
} {
  const headers: DecodedIpv6ExtensionHeader[] = [];
  let type = header.nextHeader;
  let pos = 0;
  while (
    Object.hasOwn(IPV6_EXTENSION_HEADER_NAMES, type) ||
    isAtomicFragment(type, payload, pos)
  ) {
    const name = IPV6_EXTENSION_HEADER_NAMES[type] ?? "atomic fragment header";
    const at = IPV6_HEADER_LENGTH + pos;
    const payloadEnd = IPV6_HEADER_LENGTH + payload.length;
    if (payload.length - pos < 2) {
      if (lenient) break;
      throw new DecodeError(
        `${name} at byte ${at} needs 2 bytes, the IPv6 payload ends at byte ${payloadEnd}`,
        { kind: "truncated", layer: EXTENSION, offset: at },
      );
    }
    const length = (payload[pos + 1]! + 1) * 8;
    if (pos + length > payload.length) {
      if (lenient) break;
      throw new DecodeError(
        `${name} at byte ${at} is ${length} bytes (Hdr Ext Len ${
          payload[pos + 1]
        } at byte ${
          at + 1
        }), past the end of the IPv6 payload at byte ${payloadEnd}`,
        { kind: "truncated", layer: EXTENSION, offset: at + 1 },
      );
    }
    if (type === 0 && headers.length > 0 && !lenient) {
      throw new DecodeError(
        `${name} at byte ${at} is not the first extension header (RFC 8200 §4.1)`,
        { kind: "malformed", layer: EXTENSION, offset: at },
      );
    }
    const nextHeader = payload[pos]!;
    headers.push({
      type,
      offset: at,
      nextHeader,
      data: payload.slice(pos + 2, pos + length),
    });
    type = nextHeader;
    pos += length;
  }
  return { protocol: type, consumed: pos, headers };
}

/**
 * Decode the IP layer of a datagram, IPv4 or IPv6 by its version nibble,
 * and find the upper-layer payload. For IPv6, hop-by-hop options (0),
 * routing (43) and destination options (60) headers are walked to the
 * upper-layer protocol; any other Next Header ends the walk. A fragment is
 * reported (`fragment: true`), not refused.
 *
 * Strict, an extension header cut short by the IPv6 payload length, or a
 * hop-by-hop header that is not first, throws. Lenient, the walk stops at
 * a cut-short header, whose type becomes the `protocol` and whose bytes
 * stay in the payload.
 *
 * @param bytes The datagram.
 * @param options `lenient` (default false).
 * @returns The IP header, protocol and payload.
 * @throws {DecodeError} For an empty buffer, a version other than 4 or 6,
 *   and what `decodeIpv4` and `decodeIpv6` throw.
 *
 * @example
 * ```ts
 * import { decodeIp, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }));
 * const { ip, protocol, payloadOffset, fragment } = decodeIp(bytes);
 * assert.equal(ip.version, 4);
 * assert.equal(protocol, 6);
 * assert.equal(payloadOffset, 20);
 * assert.equal(fragment, false);
 * ```
 */
export function decodeIp(
  bytes: Uint8Array,
  options: DecodePacketOptions = {},
): DecodedIp {
  const lenient = options.lenient ?? false;
  if (bytes.length === 0) {
    throw new DecodeError("buffer is 0 bytes, expected at least 20", {
      kind: "truncated",
      layer: "IP header",
      offset: 0,
    });
  }
  const version = bytes[0]! >> 4;
  if (version === 4) {
    const { header, payload } = decodeIpv4(bytes, { lenient });
    return {
      ip: header,
      protocol: header.protocol,
      payloadOffset: payload.byteOffset - bytes.byteOffset,
      payload,
      fragment: header.moreFragments || header.fragmentOffset !== 0,
    };
  }
  if (version === 6) {
    const { header, payload } = decodeIpv6(bytes, { lenient });
    const walk = walkExtensionHeaders(header, payload, lenient);
    return {
      ip: header,
      protocol: walk.protocol,
      payloadOffset: IPV6_HEADER_LENGTH + walk.consumed,
      payload: payload.subarray(walk.consumed),
      fragment: walk.protocol === IPV6_FRAGMENT_HEADER,
      extensionHeaders: walk.headers,
    };
  }
  throw new DecodeError(`version ${version} at byte 0 is neither 4 nor 6`, {
    kind: "malformed",
    layer: "IP header",
    offset: 0,
  });
}

/** Refuse what decodePacket cannot decode as TCP. */
function requireTcp(decoded: DecodedIp): void {
  const { ip, protocol } = decoded;
  if (ip.version === 4 && decoded.fragment) {
    throw new DecodeError(
      `IPv4 fragment (MF ${
        ip.moreFragments ? 1 : 0
      }, fragment offset ${ip.fragmentOffset} at byte 6): fragments are not reassembled`,
      { kind: "unsupported", layer: PACKET, offset: 6 },
    );
  }
  const last = decoded.extensionHeaders?.at(-1);
  const protocolOffset = ip.version === 4
    ? 9
    : last === undefined
    ? 6
    : last.offset;
  if (protocol === IPV6_FRAGMENT_HEADER) {
    throw new DecodeError(
      `IPv6 fragment header at byte ${decoded.payloadOffset}: fragments are not reassembled`,
      { kind: "unsupported", layer: PACKET, offset: decoded.payloadOffset },
    );
  }
  if (protocol !== 6) {
    throw new DecodeError(`protocol ${protocol} is not TCP`, {
      kind: "unsupported",
      layer: PACKET,
      offset: protocolOffset,
    });
  }
}

/**
 * Decode a whole TCP/IP packet: {@linkcode decodeIp}, then `decodeTcp` on
 * exactly the IP payload. A DecodeError from the TCP layer keeps its message
 * (which counts bytes from the start of the TCP header) but its `offset` is
 * moved to count from the start of the packet.
 *
 * @param bytes The packet, starting with the IP header.
 * @param options `lenient` (default false), passed to every layer.
 * @returns The IP header, the TCP segment and (IPv6) the extension headers.
 * @throws {DecodeError} As `decodeIp` and `decodeTcp` do, and with kind
 *   `"unsupported"` for a fragment or a protocol other than TCP
 *   (`Cannot decode packet: protocol 17 is not TCP`).
 *
 * @example
 * ```ts
 * import { decodePacket, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({
 *   src: "2001:db8::1", dst: "2001:db8::2", dstPort: 22, flowLabel: 0x12345,
 * }));
 * const packet = decodePacket(bytes);
 * assert.equal(packet.ip.version, 6);
 * assert.equal(packet.tcp.dstPort, 22);
 * assert.deepEqual(packet.extensionHeaders, []);
 * ```
 */
export function decodePacket(
  bytes: Uint8Array,
  options: DecodePacketOptions = {},
): DecodedTcpPacket {
  const lenient = options.lenient ?? false;
  const decoded = decodeIp(bytes, { lenient });
  requireTcp(decoded);
  let tcp: DecodedTcpSegment;
  try {
    tcp = decodeTcp(decoded.payload, { lenient });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const prefix = `Cannot decode ${error.layer}: `;
    const reason = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    throw new DecodeError(reason, {
      kind: error.kind,
      layer: error.layer,
      offset: decoded.payloadOffset + error.offset,
      cause: error,
    });
  }
  if (decoded.extensionHeaders === undefined) return { ip: decoded.ip, tcp };
  return { ip: decoded.ip, tcp, extensionHeaders: decoded.extensionHeaders };
}

/**
 * Check the checksums of a TCP/IP packet: the IPv4 header checksum (null
 * for IPv6) and the TCP checksum over the pseudo-header (with the final
 * destination of an IPv4 source route or an IPv6 routing header) and the
 * segment. The IP layer is
 * read leniently, so the checksum of a packet whose lengths are wrong is
 * still checked over the bytes present.
 *
 * @param bytes The packet, starting with the IP header.
 * @returns Whether each checksum is right.
 * @throws {DecodeError} When there is no readable IP header, or the packet
 *   is a fragment or not TCP.
 *
 * @example
 * ```ts
 * import { encodePacket, makeTcpPacket, verifyPacketChecksums } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const good = encodePacket(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }));
 * assert.deepEqual(verifyPacketChecksums(good), { ip: true, tcp: true });
 * const bad = encodePacket(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", checksum: 0 }));
 * assert.deepEqual(verifyPacketChecksums(bad), { ip: true, tcp: false });
 * ```
 */
export function verifyPacketChecksums(bytes: Uint8Array): PacketChecksums {
  const decoded = decodeIp(bytes, { lenient: true });
  requireTcp(decoded);
  const { ip } = decoded;
  const dst = tcpPseudoHeaderDestination(decoded);
  return {
    ip: ip.version === 4 ? verifyIpv4Checksum(bytes) : null,
    tcp: verifyTcpChecksum(decoded.payload, ip.src, dst),
  };
}

/**
 * What {@linkcode makeTcpPacket} needs: the two addresses, and anything else
 * to change from the defaults (scapy's: ports 20 -> 80, SYN, window 8192,
 * TTL 64, IPv4 id 1). A property set to `undefined` counts as absent.
 */
export interface TcpPacketInit {
  /** Source address, IPv4 or IPv6 text. */
  src: string;
  /** Destination address, the same family as `src`. */
  dst: string;
  /** Source port (default 20). */
  srcPort?: number | undefined;
  /** Destination port (default 80). */
  dstPort?: number | undefined;
  /** Sequence number (default 0). */
  seq?: number | undefined;
  /** Acknowledgment number (default 0). */
  ack?: number | undefined;
  /** Flags mask (default SYN, 0x02); see `parseFlags`. */
  flags?: number | undefined;
  /** Window (default 8192). */
  window?: number | undefined;
  /** Urgent pointer (default 0). */
  urgentPointer?: number | undefined;
  /** TCP options (default none). */
  options?: TcpOption[] | undefined;
  /** Data after the TCP header (default none). */
  payload?: Uint8Array | undefined;
  /** IPv4 TTL or IPv6 hop limit (default 64); an alias of `hopLimit`. */
  ttl?: number | undefined;
  /** IPv6 hop limit or IPv4 TTL (default 64); an alias of `ttl`. */
  hopLimit?: number | undefined;
  /** IPv4 identification (default 1). IPv4 only. */
  id?: number | undefined;
  /** IPv4 TOS or IPv6 traffic class (default 0); an alias of `trafficClass`. */
  tos?: number | undefined;
  /** IPv6 traffic class or IPv4 TOS (default 0); an alias of `tos`. */
  trafficClass?: number | undefined;
  /** IPv4 DF bit (default false). IPv4 only. */
  dontFragment?: boolean | undefined;
  /** IPv6 flow label (default 0). IPv6 only. */
  flowLabel?: number | undefined;
  /** IPv4 options, raw bytes (default none). IPv4 only. */
  ipOptions?: Uint8Array | undefined;
  /** IPv6 extension headers (default none). IPv6 only. */
  extensionHeaders?: Ipv6ExtensionHeader[] | undefined;
  /**
   * IPv4 protocol or IPv6 Next Header, written as given (default 6). With
   * `extensionHeaders` it is required: the type of the first one.
   */
  protocol?: number | undefined;
  /** TCP checksum override (default computed). */
  checksum?: number | undefined;
  /** TCP data offset override, in 32-bit words (default computed). */
  dataOffset?: number | undefined;
  /** TCP reserved bits, 0..7 (default 0). */
  reserved?: number | undefined;
  /** IPv4 header checksum override (default computed). IPv4 only. */
  ipChecksum?: number | undefined;
}

function alias(
  a: number | undefined,
  aName: string,
  b: number | undefined,
  bName: string,
  fallback: number,
): number {
  if (a !== undefined && b !== undefined && a !== b) {
    throw new RangeError(
      `Cannot build packet: ${aName} ${a} and ${bName} ${b} are the same field and disagree`,
    );
  }
  return a ?? b ?? fallback;
}

/**
 * Build a packet model from a few fields, with scapy's defaults for the
 * rest: ports 20 -> 80, seq 0, ack 0, SYN, window 8192, TTL/hop limit 64,
 * IPv4 id 1, TOS 0, no options, no payload. The family follows the
 * addresses, which are stored as canonical text. The result is a plain
 * object: change any field (`moreFragments`, `reservedBit`…) before
 * encoding. Values are range-checked when the packet is encoded.
 *
 * @param init The addresses and any fields to set.
 * @returns The packet model.
 * @throws {ParseError} For an address that cannot be parsed.
 * @throws {RangeError} For addresses of two families, a field that does
 *   not exist in the family (`flowLabel` on IPv4, `id` on IPv6…), or two
 *   aliases (`ttl`, `hopLimit`) that disagree.
 *
 * @example The Christmas-tree packet
 * ```ts
 * import { encodePacket, makeTcpPacket, parseFlags } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", dstPort: 666, flags: parseFlags("xmas"),
 * });
 * assert.equal(packet.ip.version, 4);
 * assert.equal(packet.tcp.srcPort, 20);
 * assert.equal(encodePacket(packet).length, 40);
 * assert.throws(
 *   () => makeTcpPacket({ src: "192.0.2.1", dst: "2001:db8::1" }),
 *   /source 192.0.2.1 is IPv4 but destination 2001:db8::1 is IPv6/,
 * );
 * ```
 */
export function makeTcpPacket(init: TcpPacketInit): TcpPacket {
  const src = parseAddress(init.src);
  const dst = parseAddress(init.dst);
  if (src.family !== dst.family) {
    throw new RangeError(
      `Cannot build packet: source ${init.src} is IPv${src.family} but destination ${init.dst} is IPv${dst.family}`,
    );
  }
  const only = (name: keyof TcpPacketInit, family: 4 | 6) => {
    if (init[name] !== undefined && src.family !== family) {
      throw new RangeError(
        `Cannot build packet: ${name} applies only to IPv${family}, and ${init.src} is IPv${src.family}`,
      );
    }
  };
  for (
    const name of ["id", "dontFragment", "ipOptions", "ipChecksum"] as const
  ) {
    only(name, 4);
  }
  for (const name of ["flowLabel", "extensionHeaders"] as const) only(name, 6);
  const ttl = alias(init.ttl, "ttl", init.hopLimit, "hopLimit", 64);
  const tos = alias(init.tos, "tos", init.trafficClass, "trafficClass", 0);
  if (
    init.extensionHeaders !== undefined && init.extensionHeaders.length > 0 &&
    init.protocol === undefined
  ) {
    throw new RangeError(
      "Cannot build packet: with extensionHeaders, set protocol to the type of the first one (0 hop-by-hop, 43 routing, 60 destination options)",
    );
  }
  const protocol = init.protocol ?? 6;

  const tcp: TcpSegment = {
    srcPort: init.srcPort ?? 20,
    dstPort: init.dstPort ?? 80,
    seq: init.seq ?? 0,
    ack: init.ack ?? 0,
    flags: init.flags ?? TCP_FLAGS.syn,
    window: init.window ?? 8192,
    urgentPointer: init.urgentPointer ?? 0,
    options: init.options ?? [],
    payload: init.payload ?? new Uint8Array(),
  };
  if (init.checksum !== undefined) tcp.checksum = init.checksum;
  if (init.dataOffset !== undefined) tcp.dataOffset = init.dataOffset;
  if (init.reserved !== undefined) tcp.reserved = init.reserved;

  if (src.family === 4) {
    const ip: Ipv4Header = {
      version: 4,
      tos,
      id: init.id ?? 1,
      dontFragment: init.dontFragment ?? false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl,
      protocol,
      src: formatAddress(src.bytes),
      dst: formatAddress(dst.bytes),
      options: init.ipOptions ?? new Uint8Array(),
    };
    if (init.ipChecksum !== undefined) ip.checksum = init.ipChecksum;
    return { ip, tcp };
  }
  const ip: Ipv6Header = {
    version: 6,
    trafficClass: tos,
    flowLabel: init.flowLabel ?? 0,
    nextHeader: protocol,
    hopLimit: ttl,
    src: formatAddress(src.bytes),
    dst: formatAddress(dst.bytes),
  };
  if (init.extensionHeaders === undefined) return { ip, tcp };
  return { ip, tcp, extensionHeaders: init.extensionHeaders };
}
