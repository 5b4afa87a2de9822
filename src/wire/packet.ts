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
import { TCP_FLAGS } from "./flags.ts";
import { fieldBytes } from "./header_field.ts";
import {
  encodeIpv4HeaderInto,
  type Ipv4Header,
  ipv4HeaderLength,
} from "./ipv4.ts";
import { IPV4_HEADER_FIELDS } from "./ipv4_fields.ts";
import { encodeIpv4Options, type Ipv4Option } from "./ipv4_options.ts";
import { encodeIpv6HeaderInto, type Ipv6Header } from "./ipv6.ts";
import { IPV6_HEADER_FIELDS, IPV6_HEADER_LENGTH } from "./ipv6_fields.ts";
import {
  encodeIpv6ExtensionHeadersInto,
  type Ipv6ExtensionHeader,
  ipv6ExtensionHeaderLength,
} from "./ipv6_extensions.ts";
import { finalDestinationBytes } from "./pseudo_header.ts";
import {
  type Ipv6Extension,
  ipv6ExtensionChain,
} from "./ipv6_extension_kinds.ts";
import { encodeTcpInto, tcpHeaderLength, type TcpSegment } from "./tcp.ts";
import type { TcpOption } from "./tcp_options.ts";
import {
  checkTcpSignature,
  signTcpSegment,
  type TcpSignature,
} from "./tcp_signature.ts";

export {
  type DecodedIpv6ExtensionHeader,
  IPV6_EXTENSION_HEADER_NAMES,
  IPV6_FRAGMENT_HEADER,
  type Ipv6ExtensionHeader,
} from "./ipv6_extensions.ts";
export { tcpPseudoHeaderDestination } from "./pseudo_header.ts";
export * from "./packet_decode.ts";

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
  /**
   * Sign the segment when encoding it (TCP-MD5 or TCP-AO): the signature is
   * computed into the segment's `md5` or `tcpAo` option, then the checksum
   * (see `withTcpSignature`).
   */
  signature?: TcpSignature;
}
/** Options for {@linkcode encodePacketInto}. */
export interface EncodePacketIntoOptions {
  /** Where in the target the packet starts (default 0). */
  offset?: number;
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
    extensions += ipv6ExtensionHeaderLength(header);
  }
  return IPV6_HEADER_LENGTH + extensions + tcp;
}
/**
 * Write a whole packet into a buffer. The IP lengths and checksum are
 * computed as `encodeIpv4HeaderInto` and `encodeIpv6HeaderInto` do; the TCP
 * checksum (unless `tcp.checksum` is given) is computed over a
 * pseudo-header built from the IP source and destination (the final
 * destination, with an IPv4 source route or an IPv6 routing header), protocol 6 and the actual TCP
 * length. A packet with a `signature` has it computed into its signature
 * option before the checksum. The IPv4 protocol or IPv6 Next Header is written as given, so a
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
  if (packet.signature !== undefined) checkTcpSignature(packet.signature);
  let at = offset;
  const { ip } = packet;
  const F = ip.version === 4 ? IPV4_HEADER_FIELDS : IPV6_HEADER_FIELDS;
  if (ip.version === 4) {
    at += encodeIpv4HeaderInto(ip, target, {
      payloadLength: tcpLength,
      offset: at,
    });
  } else {
    at += encodeIpv6HeaderInto(ip, target, {
      payloadLength: total - IPV6_HEADER_LENGTH,
      offset: at,
    });
    at += encodeIpv6ExtensionHeadersInto(
      packet.extensionHeaders ?? [],
      target,
      at,
    );
  }
  // The IP header encoder parsed the addresses; the pseudo-header takes
  // them from the bytes it wrote.
  const src = fieldBytes(target, offset, F.src);
  const dst = finalDestinationBytes(packet) ??
    fieldBytes(target, offset, F.dst);
  const tcpAt = at;
  at += encodeTcpInto(packet.tcp, target, { src, dst, offset: at });
  if (packet.signature !== undefined) {
    signTcpSegment(target.subarray(tcpAt, at), packet.signature, {
      src,
      dst,
      checksum: packet.tcp.checksum === undefined,
    });
  }
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
  /** IPv4 options, as bytes or typed (default none). IPv4 only. */
  ipOptions?: Uint8Array | readonly Ipv4Option[] | undefined;
  /** IPv6 extension headers as on the wire (default none). IPv6 only. */
  extensionHeaders?: Ipv6ExtensionHeader[] | undefined;
  /**
   * IPv6 extension headers, typed (default none). IPv6 only; not with
   * `extensionHeaders`. Their Next Headers are linked, the fixed header's
   * names the first one, and `protocol` is what follows the last (default 6).
   */
  ipv6Extensions?: readonly Ipv6Extension[] | undefined;
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
  /**
   * Sign the segment when it is encoded (default none); the options must
   * hold the option it is written into (see `withTcpSignature`).
   */
  signature?: TcpSignature | undefined;
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
  for (
    const name of ["flowLabel", "extensionHeaders", "ipv6Extensions"] as const
  ) only(name, 6);
  if (
    init.extensionHeaders !== undefined && init.ipv6Extensions !== undefined
  ) {
    throw new RangeError(
      "Cannot build packet: give extensionHeaders or ipv6Extensions, not both",
    );
  }
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
      options: init.ipOptions === undefined
        ? new Uint8Array()
        : init.ipOptions instanceof Uint8Array
        ? init.ipOptions
        : encodeIpv4Options(init.ipOptions),
    };
    if (init.ipChecksum !== undefined) ip.checksum = init.ipChecksum;
    return signed({ ip, tcp }, init.signature);
  }
  const chain = init.ipv6Extensions === undefined
    ? undefined
    : ipv6ExtensionChain(init.ipv6Extensions, protocol);
  const ip: Ipv6Header = {
    version: 6,
    trafficClass: tos,
    flowLabel: init.flowLabel ?? 0,
    nextHeader: chain?.nextHeader ?? protocol,
    hopLimit: ttl,
    src: formatAddress(src.bytes),
    dst: formatAddress(dst.bytes),
  };
  const extensionHeaders = chain?.headers ?? init.extensionHeaders;
  if (extensionHeaders === undefined) {
    return signed({ ip, tcp }, init.signature);
  }
  return signed({ ip, tcp, extensionHeaders }, init.signature);
}

function signed(
  packet: TcpPacket,
  signature: TcpSignature | undefined,
): TcpPacket {
  if (signature !== undefined) packet.signature = signature;
  return packet;
}
