/**
 * The shape of an explanation: plain data (headers, fields located to the
 * bit, checksums worked out, anomalies, notes) that the renderer draws and
 * the CLI prints as JSON.
 *
 * @module
 */

import type { TcpFlagName } from "../wire/flags.ts";
import type { TcpOption } from "../wire/tcp_options.ts";
import type { TcpSignature } from "../wire/tcp_signature.ts";
import type { Anomaly } from "./anomalies.ts";

/** Which header a {@linkcode ExplainedLayer} is. */
export type ExplainedLayerKind = "ipv4" | "ipv6" | "ipv6-extension" | "tcp";

/** One field of a header, located to the bit and explained. */
export interface ExplainedField {
  /** A stable name for programs: `srcPort`, `flags.syn`, `option.mss`. */
  key: string;
  /** The name RFCs use: `Source Port`, `SYN`, `Option: MSS`. */
  name: string;
  /** A short name for narrow places (diagram cells): `SrcPort`, `SYN`, `MSS`. */
  abbreviation: string;
  /** Byte offset of the field's first bit, from the start of the explained bytes. */
  byteOffset: number;
  /** Bit of that byte where the field starts, 0 = most significant. */
  bitOffset: number;
  /** Width in bits. */
  bitLength: number;
  /** The raw bits, `0` and `1`, most significant first, `bitLength` characters. */
  bits: string;
  /** The bytes the field lies in, as lowercase hex. */
  hex: string;
  /** The value: a number for integer fields, text for addresses and byte strings. */
  value: number | string;
  /** The value as it reads best: `20`, `0x08e2`, `192.0.2.42`, `0b101`. */
  display: string;
  /** What the value means, in plain words. */
  meaning: string;
  /** For a TCP option that decoded: the option as `decodeTcpOptions` gives it. */
  option?: TcpOption;
}

/** One header, with its fields in wire order. */
export interface ExplainedLayer {
  /** Which header. */
  kind: ExplainedLayerKind;
  /** Its name: `IPv4 header`, `TCP header`, `IPv6 routing header`. */
  name: string;
  /** Offset of the header's first byte in the explained bytes. */
  byteOffset: number;
  /** Length of the header as laid out (as far as the bytes go). */
  length: number;
  /** The fields, in wire order; together they cover the header bit for bit. */
  fields: ExplainedField[];
}

/** The data after the TCP header. */
export interface ExplainedPayload {
  /** Offset of the first data byte in the explained bytes. */
  byteOffset: number;
  /** Number of data bytes present. */
  length: number;
  /** The bytes (a copy). */
  bytes: Uint8Array;
  /**
   * The bytes as safe text: printable ASCII as is, a backslash as `\\`, every
   * other byte as `\xNN`. Never contains a control character.
   */
  preview: string;
}

/** One 16-bit word added into a checksum. */
export interface ChecksumStep {
  /** The word added. */
  word: number;
  /** Where it comes from, in words: `TCP bytes 0-1: Source Port`. */
  from: string;
  /** Offset of the word in the explained bytes; absent for pseudo-header words. */
  byteOffset?: number;
  /** The running sum before this word, 0..0xffff. */
  before: number;
  /** `before + word`, before folding: 0..0x1fffe. */
  sum: number;
  /** Whether the sum carried out of 16 bits. */
  carry: boolean;
  /** The sum with the carry folded back in (end-around carry), 0..0xffff. */
  folded: number;
}

/** The pseudo-header the TCP checksum covers (RFC 9293 §3.1, RFC 8200 §8.1). */
export interface ExplainedPseudoHeader {
  /** 4 or 6. */
  family: 4 | 6;
  /** Source address. */
  src: string;
  /** Destination address (for IPv6 with a routing header: the final destination). */
  dst: string;
  /** The protocol number summed: always 6, TCP. */
  protocol: number;
  /** The TCP length summed: header and data, in bytes. */
  length: number;
  /** The pseudo-header as bytes: 12 for IPv4, 40 for IPv6. */
  bytes: Uint8Array;
  /** A remark, such as the final destination of a routing header. */
  note?: string;
}

/** Whether a checksum is right. */
export type ChecksumStatus = "correct" | "wrong" | "unchecked";

/** A checksum, worked out. */
export interface ChecksumWork {
  /** Which checksum. */
  kind: "ipv4-header" | "tcp";
  /** Its name: `IPv4 header checksum`, `TCP checksum`. */
  name: string;
  /** Offset of the stored checksum in the explained bytes. */
  byteOffset: number;
  /** The value stored in the packet. */
  stored: number;
  /** Right, wrong, or not checkable (addresses unknown, bytes missing). */
  status: ChecksumStatus;
  /** The verdict in plain words. */
  verdict: string;
  /** The bytes summed besides the pseudo-header: offset and length in the explained bytes. */
  covered: { byteOffset: number; length: number };
  /** The pseudo-header (TCP only, when the addresses are known). */
  pseudoHeader?: ExplainedPseudoHeader;
  /** The folded one's complement sum of everything, the checksum field counted as 0. */
  sum?: number;
  /** The checksum the bytes should carry: the complement of `sum`. */
  computed?: number;
  /** Every word summed (only when asked for with `steps`). */
  steps?: ChecksumStep[];
  /** A remark on the verdict, such as a wrong value that looks like checksum offload. */
  note?: string;
}
/** The TCP facts of an explained packet, for programs and filters. */
export interface TcpFacts {
  /** Source address, when known. */
  src?: string;
  /** Destination address, when known. */
  dst?: string;
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
  /** Sequence number. */
  seq: number;
  /** Acknowledgment number. */
  ack: number;
  /** The 9 flag bits. */
  flags: number;
  /** The flags set, by name. */
  flagNames: TcpFlagName[];
  /** The window as on the wire. */
  window: number;
  /** The shift applied to the window, when the connection's scale is known (0: none). */
  windowShift?: number;
  /** The window in bytes after scaling, when the shift is known. */
  scaledWindow?: number;
  /** The window scale this segment announces (a wscale option), if any. */
  announcedWindowShift?: number;
  /** Sequence number relative to this direction's initial sequence number, when known. */
  relativeSeq?: number;
  /** Acknowledgment number relative to the peer's initial sequence number, when known. */
  relativeAck?: number;
  /** Number of data bytes present. */
  payloadLength: number;
  /**
   * The number of data bytes by the IP header, when the capture holds
   * fewer (it was cut at its snapshot length): what tcpdump reports as the
   * segment's length.
   */
  wirePayloadLength?: number;
}

/** A packet or segment, explained. Plain data: safe to `JSON.stringify` once bytes are hex. */
export interface Explanation {
  /** `packet` for an IP datagram, `segment` for a bare TCP segment. */
  kind: "packet" | "segment";
  /** Number of bytes explained. */
  length: number;
  /** The TCP facts, when there are at least 20 bytes of TCP header. */
  tcp?: TcpFacts;
  /** The headers, outermost first. */
  layers: ExplainedLayer[];
  /** The data after the TCP header, when there is a TCP header. */
  payload?: ExplainedPayload;
  /** The checksums, worked out: the IPv4 header checksum, then TCP's. */
  checksums: ChecksumWork[];
  /** What is wrong or suspicious; empty for a clean packet. */
  anomalies: Anomaly[];
  /** Remarks that are not anomalies: not TCP, a fragment, a cut capture. */
  notes: string[];
}

/**
 * What is known about the connection a segment belongs to, from segments
 * seen before it (see {@linkcode ConnectionTracker}).
 */
export interface ConnectionContext {
  /**
   * The window scale shift in force for windows this segment's sender
   * sends: the shift of its SYN's wscale option when both SYN and SYN-ACK
   * carried one, 0 when the handshake did not negotiate scaling. Absent:
   * unknown.
   */
  windowShift?: number;
  /** The sender's initial sequence number, to show relative sequence numbers. */
  isn?: number;
  /** The receiver's initial sequence number, to show relative acknowledgment numbers. */
  peerIsn?: number;
}

/** Options for {@linkcode explainPacket}. */
export interface ExplainOptions {
  /** Record every 16-bit word summed in each checksum (`ChecksumWork.steps`). Default false. */
  steps?: boolean;
  /** What earlier segments of the connection said (window scale, initial sequence numbers). */
  connection?: ConnectionContext;
  /**
   * The datagram's length on the wire, when the bytes are a capture cut at
   * a snapshot length: lengths are then judged against it, and checksums
   * over missing bytes are not checked.
   */
  wireLength?: number;
  /**
   * A key to check the TCP MD5 signature or TCP-AO MAC of segments that
   * carry one: a note says it is right, an anomaly that it is wrong. For
   * TCP-AO on a segment without SYN, the ISNs come from the signature or,
   * in a capture, from the connection's SYNs.
   */
  signature?: TcpSignature;
}

/** Options for {@linkcode explainTcpSegment}. */
export interface ExplainTcpSegmentOptions extends ExplainOptions {
  /** Source address of the pseudo-header (text or 4/16 bytes); without it the checksum is not checked. */
  src?: string | Uint8Array;
  /** Destination address, of the same family as `src`. */
  dst?: string | Uint8Array;
}
