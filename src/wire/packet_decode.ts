/**
 * Decoding whole packets: the IP layer (IPv4, or IPv6 and its extension
 * headers) to the upper-layer payload, then the TCP segment in it, and
 * checking both checksums. See `packet.ts` for what is and is not handled.
 *
 * @module
 */

import { fieldBytes, readField } from "./header_field.ts";
import { DecodeError } from "./errors.ts";
import {
  type DecodedIpv4Header,
  decodeIpv4,
  verifyIpv4Checksum,
} from "./ipv4.ts";
import { IPV4_HEADER_FIELDS } from "./ipv4_fields.ts";
import { type DecodedIpv6Header, decodeIpv6 } from "./ipv6.ts";
import {
  type DecodedIpv6ExtensionHeader,
  IPV6_FRAGMENT_HEADER,
  walkIpv6ExtensionHeaders,
} from "./ipv6_extensions.ts";
import {
  IPV6_EXTENSION_HEADER_FIELDS,
  IPV6_HEADER_FIELDS,
  IPV6_HEADER_LENGTH,
} from "./ipv6_fields.ts";
import { finalDestinationBytes } from "./pseudo_header.ts";
import { type DecodedTcpSegment, decodeTcp, verifyTcpChecksum } from "./tcp.ts";
import { IPPROTO_TCP } from "./checksum.ts";

/** A decoded IP datagram carrying one TCP segment. */
export interface DecodedTcpPacket {
  /** The IP header, every field present. */
  ip: DecodedIpv4Header | DecodedIpv6Header;
  /** The TCP segment, every field present. */
  tcp: DecodedTcpSegment;
  /** IPv6 extension headers walked (present, maybe empty, for IPv6 only). */
  extensionHeaders?: DecodedIpv6ExtensionHeader[];
  /**
   * Present when the buffer holds less of the segment than the IP header
   * says (lenient decoding only): a capture cut at its snapshot length, or
   * a length field that claims more than was sent. The segment's lengths
   * are the IP header's, as tcpdump reports them; `tcp.payload` holds only
   * the bytes that are here.
   */
  truncated?: TruncatedSegment;
  /**
   * True for the first fragment of a datagram (IPv4 MF set and offset 0, or
   * an IPv6 fragment header with offset 0 and M set, followed by TCP) that
   * holds the whole TCP header, decoded leniently: `tcp` is that header,
   * and its payload only the start of the segment's data. For IPv6 the
   * fragment header is the last of `extensionHeaders`.
   */
  firstFragment?: boolean;
}

/** How much of a segment the IP header announces, and how much is here. */
export interface TruncatedSegment {
  /** The segment's length by the IP header: TCP header and data. */
  segmentLength: number;
  /**
   * The data's length by the IP header: `segmentLength` less the header
   * the data offset announces (0 when that header does not fit).
   */
  payloadLength: number;
  /** How many bytes of the segment the buffer holds. */
  capturedLength: number;
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
const PACKET = "packet";

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
  const version = readField(bytes, 0, IPV4_HEADER_FIELDS.version);
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
    const walk = walkIpv6ExtensionHeaders(header.nextHeader, payload, lenient);
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
    const at = IPV4_HEADER_FIELDS.fragmentOffset.byteOffset;
    throw new DecodeError(
      `IPv4 fragment (MF ${
        ip.moreFragments ? 1 : 0
      }, fragment offset ${ip.fragmentOffset} at byte ${at}): fragments are not reassembled`,
      { kind: "unsupported", layer: PACKET, offset: at },
    );
  }
  const last = decoded.extensionHeaders?.at(-1);
  const protocolOffset = ip.version === 4
    ? IPV4_HEADER_FIELDS.protocol.byteOffset
    : last === undefined
    ? IPV6_HEADER_FIELDS.nextHeader.byteOffset
    : last.offset + IPV6_EXTENSION_HEADER_FIELDS.nextHeader.byteOffset;
  if (protocol === IPV6_FRAGMENT_HEADER) {
    throw new DecodeError(
      `IPv6 fragment header at byte ${decoded.payloadOffset}: fragments are not reassembled`,
      { kind: "unsupported", layer: PACKET, offset: decoded.payloadOffset },
    );
  }
  if (protocol !== IPPROTO_TCP) {
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
 * Lenient decoding also reads what a capture holds of a packet cut short
 * (`truncated`, with the lengths the IP header gives), and the TCP header
 * of a first fragment (`firstFragment`), which strict decoding refuses.
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
  const first = lenient ? firstFragment(decoded) : undefined;
  if (first === undefined) requireTcp(decoded);
  const segment = first?.segment ?? decoded.payload;
  const segmentOffset = first?.segmentOffset ?? decoded.payloadOffset;
  let tcp: DecodedTcpSegment;
  try {
    tcp = decodeTcp(segment, { lenient });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const prefix = `Cannot decode ${error.layer}: `;
    const reason = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    throw new DecodeError(reason, {
      kind: error.kind,
      layer: error.layer,
      offset: segmentOffset + error.offset,
      cause: error,
    });
  }
  const packet: DecodedTcpPacket = { ip: decoded.ip, tcp };
  if (decoded.extensionHeaders !== undefined) {
    packet.extensionHeaders = first?.header === undefined
      ? decoded.extensionHeaders
      : [...decoded.extensionHeaders, first.header];
  }
  if (lenient) {
    const claimed = claimedLength(decoded.ip, segmentOffset);
    if (claimed !== undefined && claimed > segment.length) {
      packet.truncated = {
        segmentLength: claimed,
        payloadLength: Math.max(0, claimed - tcp.dataOffset * 4),
        capturedLength: segment.length,
      };
    }
  }
  if (first !== undefined) packet.firstFragment = true;
  return packet;
}

/**
 * The segment's length by the IP header, from where it starts in the
 * datagram; undefined when the header gives none (an IPv6 payload length
 * of 0) or one shorter than the headers before the segment.
 */
function claimedLength(
  ip: DecodedIpv4Header | DecodedIpv6Header,
  segmentOffset: number,
): number | undefined {
  const end = ip.version === 4
    ? ip.totalLength
    : ip.payloadLength === 0
    ? 0
    : IPV6_HEADER_LENGTH + ip.payloadLength;
  return end > segmentOffset ? end - segmentOffset : undefined;
}

/** A first fragment's TCP segment, and for IPv6 its fragment header. */
interface FirstFragment {
  segment: Uint8Array;
  segmentOffset: number;
  header?: DecodedIpv6ExtensionHeader;
}

/**
 * The TCP segment of a first fragment that holds the whole TCP header
 * (data offset 5 or more, within the fragment's length by its IP header;
 * a capture may have cut it), or undefined for anything else.
 */
function firstFragment(decoded: DecodedIp): FirstFragment | undefined {
  const { ip } = decoded;
  let found: FirstFragment;
  if (ip.version === 4) {
    if (
      !ip.moreFragments || ip.fragmentOffset !== 0 ||
      decoded.protocol !== IPPROTO_TCP
    ) return undefined;
    found = { segment: decoded.payload, segmentOffset: decoded.payloadOffset };
  } else {
    const header = decoded.payload;
    if (decoded.protocol !== IPV6_FRAGMENT_HEADER || header.length < 8) {
      return undefined;
    }
    const offsetAndFlags = (header[2]! << 8) | header[3]!;
    if (header[0] !== IPPROTO_TCP || header[1] !== 0 || offsetAndFlags !== 1) {
      return undefined;
    }
    found = {
      segment: header.subarray(8),
      segmentOffset: decoded.payloadOffset + 8,
      header: {
        type: IPV6_FRAGMENT_HEADER,
        offset: decoded.payloadOffset,
        nextHeader: IPPROTO_TCP,
        data: header.slice(2, 8),
      },
    };
  }
  const { segment } = found;
  if (segment.length < 20) return undefined;
  const headerLength = (segment[12]! >> 4) * 4;
  const claimed = claimedLength(ip, found.segmentOffset) ?? segment.length;
  return headerLength >= 20 && headerLength <= claimed ? found : undefined;
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
  const F = ip.version === 4 ? IPV4_HEADER_FIELDS : IPV6_HEADER_FIELDS;
  const src = fieldBytes(bytes, 0, F.src);
  const dst = finalDestinationBytes(decoded) ?? fieldBytes(bytes, 0, F.dst);
  return {
    ip: ip.version === 4 ? verifyIpv4Checksum(bytes) : null,
    tcp: verifyTcpChecksum(decoded.payload, src, dst),
  };
}
