/**
 * Explain a TCP/IP packet field by field: every header field with its byte
 * and bit offset, raw bits, value and meaning in plain words; both
 * checksums worked out (pseudo-header, stored, computed, verdict, and on
 * request every 16-bit word summed with each carry folded); and the
 * anomalies a firewall, an IDS or a student should notice (Christmas tree,
 * NULL, SYN+FIN, a data offset past the end, an option of the wrong
 * length…), each with a code and a sentence.
 *
 * The result is plain data ({@linkcode Explanation}); the CLI's `explain`
 * command draws it as the RFC 9293 header diagram and a table, or prints it
 * as JSON.
 *
 * Decoding is lenient: a packet a strict decoder refuses is still explained
 * as far as its bytes go, and what the strict decoder would refuse becomes
 * an anomaly. Only bytes with no readable IP header at all (empty, version
 * not 4 or 6, fewer than 20 or 40 bytes) throw a {@linkcode DecodeError}.
 *
 * @module
 */

import { addressBytes, formatAddress } from "../wire/address.ts";
import { foldSum, IPPROTO_TCP } from "../wire/checksum.ts";
import { DecodeError } from "../wire/errors.ts";
import { flagNames, TCP_FLAGS, type TcpFlagName } from "../wire/flags.ts";
import { formatHex } from "../wire/hex.ts";
import {
  type DecodedIp,
  decodeIp,
  decodePacket,
  tcpPseudoHeaderDestination,
} from "../wire/packet.ts";
import { decodeTcp } from "../wire/tcp.ts";
import {
  decodeTcpOptions,
  TCP_OPTION_LENGTHS,
  type TcpOption,
} from "../wire/tcp_options.ts";

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

/**
 * The anomalies {@linkcode explainPacket} reports. Each is something a
 * correct TCP/IP stack does not send, or a field a strict decoder refuses.
 */
export type AnomalyCode =
  | "xmas"
  | "null-flags"
  | "syn-fin"
  | "syn-rst"
  | "fin-without-ack"
  | "urg-without-pointer"
  | "pointer-without-urg"
  | "ack-number-without-ack"
  | "reserved-bits"
  | "port-zero"
  | "data-offset-too-small"
  | "data-offset-past-end"
  | "tcp-truncated"
  | "option-length"
  | "options-after-eol"
  | "wscale-too-large"
  | "tcp-checksum"
  | "ipv4-ihl"
  | "ipv4-total-length"
  | "ipv4-header-checksum"
  | "ipv4-reserved-bit"
  | "ipv6-payload-length"
  | "malformed";

/**
 * Every {@linkcode AnomalyCode}, in the order of the type.
 *
 * @example
 * ```ts
 * import { ANOMALY_CODES } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(ANOMALY_CODES.includes("xmas"));
 * ```
 */
export const ANOMALY_CODES: readonly AnomalyCode[] = Object.freeze([
  "xmas",
  "null-flags",
  "syn-fin",
  "syn-rst",
  "fin-without-ack",
  "urg-without-pointer",
  "pointer-without-urg",
  "ack-number-without-ack",
  "reserved-bits",
  "port-zero",
  "data-offset-too-small",
  "data-offset-past-end",
  "tcp-truncated",
  "option-length",
  "options-after-eol",
  "wscale-too-large",
  "tcp-checksum",
  "ipv4-ihl",
  "ipv4-total-length",
  "ipv4-header-checksum",
  "ipv4-reserved-bit",
  "ipv6-payload-length",
  "malformed",
]);

/** Something wrong or suspicious, in plain words. */
export interface Anomaly {
  /** What kind of anomaly. */
  code: AnomalyCode;
  /** One or two sentences, no trailing period. */
  message: string;
  /** Where: offset in the explained bytes of the field at fault. */
  byteOffset: number;
  /** The key of the field at fault, when there is one. */
  field?: string;
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
}

/** Options for {@linkcode explainTcpSegment}. */
export interface ExplainTcpSegmentOptions extends ExplainOptions {
  /** Source address of the pseudo-header (text or 4/16 bytes); without it the checksum is not checked. */
  src?: string | Uint8Array;
  /** Destination address, of the same family as `src`. */
  dst?: string | Uint8Array;
}

// ---------------------------------------------------------------------------
// Small helpers

function bitString(
  bytes: Uint8Array,
  byteOffset: number,
  bitOffset: number,
  bitLength: number,
): string {
  let text = "";
  for (let i = 0; i < bitLength; i++) {
    const bit = bitOffset + i;
    const byte = bytes[byteOffset + (bit >> 3)] ?? 0;
    text += (byte >> (7 - (bit & 7))) & 1;
  }
  return text;
}

function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function read16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/**
 * Bytes as safe text: printable ASCII kept, backslash doubled, anything else
 * as `\xNN`.
 */
function safePreview(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    if (byte === 0x5c) text += "\\\\";
    else if (byte >= 0x20 && byte <= 0x7e) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return text;
}

const WELL_KNOWN_PORTS: Readonly<Record<number, string>> = Object.freeze({
  7: "echo",
  20: "ftp-data",
  21: "ftp",
  22: "ssh",
  23: "telnet",
  25: "smtp",
  53: "domain (DNS)",
  80: "http",
  110: "pop3",
  111: "sunrpc",
  119: "nntp",
  135: "msrpc",
  139: "netbios-ssn",
  143: "imap",
  179: "bgp",
  389: "ldap",
  443: "https",
  445: "microsoft-ds (SMB)",
  465: "smtps",
  587: "submission",
  636: "ldaps",
  666: "doom",
  853: "domain-s (DNS over TLS)",
  993: "imaps",
  995: "pop3s",
  1433: "ms-sql-s",
  1521: "oracle",
  3306: "mysql",
  3389: "ms-wbt-server (RDP)",
  5432: "postgresql",
  5900: "vnc",
  6379: "redis",
  8080: "http-alt",
  8443: "https-alt",
});

function portMeaning(port: number): string {
  const name = WELL_KNOWN_PORTS[port];
  const range = port === 0
    ? "reserved: no service uses port 0"
    : port < 1024
    ? "a system (well-known) port"
    : port < 49152
    ? "a user (registered) port"
    : "a dynamic (ephemeral) port, typical of a client";
  return name === undefined ? range : `${name}, ${range}`;
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: "IPv6 hop-by-hop options",
  1: "ICMP",
  2: "IGMP",
  4: "IPv4 in IPv4",
  6: "TCP",
  17: "UDP",
  41: "IPv6 in IP",
  43: "IPv6 routing header",
  44: "IPv6 fragment header",
  47: "GRE",
  50: "ESP",
  51: "AH",
  58: "ICMPv6",
  59: "no next header",
  60: "IPv6 destination options",
  132: "SCTP",
});

function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? "unassigned or unknown";
}

const ECN_MEANINGS = [
  "Not-ECT: the sender does not use ECN",
  "ECT(1): ECN-capable transport",
  "ECT(0): ECN-capable transport",
  "CE: congestion experienced, marked by a router",
] as const;

function dscpMeaning(dscp: number): string {
  if (dscp === 0) return "default: best effort";
  if (dscp === 46) return "EF: expedited forwarding";
  if (dscp === 44) return "VOICE-ADMIT";
  if (dscp % 8 === 0) return `CS${dscp / 8}: class selector`;
  const cls = dscp >> 3;
  const drop = (dscp >> 1) & 3;
  if ((dscp & 1) === 0 && cls >= 1 && cls <= 4 && drop >= 1) {
    return `AF${cls}${drop}: assured forwarding`;
  }
  return "not a standard code point";
}

// ---------------------------------------------------------------------------
// The builder: fields, anomalies and notes of one explanation

interface FieldInit {
  key: string;
  name: string;
  abbreviation?: string;
  /** Byte offset within the layer. */
  at: number;
  bit?: number;
  bits: number;
  value?: number | string;
  display?: string;
  meaning: string;
  option?: TcpOption;
}

class Builder {
  readonly bytes: Uint8Array;
  readonly anomalies: Anomaly[] = [];
  readonly notes: string[] = [];
  readonly layers: ExplainedLayer[] = [];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  layer(
    kind: ExplainedLayerKind,
    name: string,
    byteOffset: number,
    length: number,
  ): ExplainedLayer {
    const layer = { kind, name, byteOffset, length, fields: [] };
    this.layers.push(layer);
    return layer;
  }

  /** Add a field, reading its bits from the bytes. */
  field(layer: ExplainedLayer, init: FieldInit): ExplainedField {
    const byteOffset = layer.byteOffset + init.at + ((init.bit ?? 0) >> 3);
    const bitOffset = (init.bit ?? 0) & 7;
    const bits = bitString(this.bytes, byteOffset, bitOffset, init.bits);
    const lastByte = byteOffset + Math.ceil((bitOffset + init.bits) / 8);
    const value = init.value ??
      (init.bits <= 48 ? (bits === "" ? 0 : parseInt(bits, 2)) : formatHex(
        this.bytes.subarray(byteOffset, lastByte),
      ));
    const field: ExplainedField = {
      key: init.key,
      name: init.name,
      abbreviation: init.abbreviation ?? init.name,
      byteOffset,
      bitOffset,
      bitLength: init.bits,
      bits,
      hex: formatHex(this.bytes.subarray(byteOffset, lastByte)),
      value,
      display: init.display ?? String(value),
      meaning: init.meaning,
    };
    if (init.option !== undefined) field.option = init.option;
    layer.fields.push(field);
    return field;
  }

  anomaly(
    code: AnomalyCode,
    message: string,
    byteOffset: number,
    field?: string,
  ): void {
    const anomaly: Anomaly = { code, message, byteOffset };
    if (field !== undefined) anomaly.field = field;
    this.anomalies.push(anomaly);
  }
}

// ---------------------------------------------------------------------------
// Checksums

interface WordSource {
  /** Describe the word at this offset (relative to the covered bytes). */
  describe(offset: number): string;
}

function runSteps(
  words: { word: number; from: string; byteOffset?: number }[],
): { steps: ChecksumStep[]; sum: number } {
  const steps: ChecksumStep[] = [];
  let sum = 0;
  for (const { word, from, byteOffset } of words) {
    const total = sum + word;
    const carry = total > 0xffff;
    const folded = carry ? (total & 0xffff) + 1 : total;
    const step: ChecksumStep = {
      word,
      from,
      before: sum,
      sum: total,
      carry,
      folded,
    };
    if (byteOffset !== undefined) step.byteOffset = byteOffset;
    steps.push(step);
    sum = folded;
  }
  return { steps, sum };
}

/** Words of covered bytes; the checksum field (at `checksumAt`) counts as zero. */
function coveredWords(
  bytes: Uint8Array,
  start: number,
  length: number,
  checksumAt: number,
  source: WordSource,
  layerName: string,
): { word: number; from: string; byteOffset: number }[] {
  const words: { word: number; from: string; byteOffset: number }[] = [];
  for (let i = 0; i < length; i += 2) {
    const odd = i + 1 >= length;
    const word = i === checksumAt
      ? 0
      : ((bytes[start + i] ?? 0) << 8) | (odd ? 0 : bytes[start + i + 1] ?? 0);
    const range = odd ? `byte ${i} and a zero pad byte` : `bytes ${i}-${i + 1}`;
    words.push({
      word,
      from: `${layerName} ${range}: ${source.describe(i)}${
        i === checksumAt ? " (counted as 0)" : ""
      }`,
      byteOffset: start + i,
    });
  }
  return words;
}

/** Sum without recording steps (for large payloads when steps are not asked for). */
function quickSum(
  bytes: Uint8Array,
  start: number,
  length: number,
  checksumAt: number,
  initial: number,
): number {
  let sum = initial;
  for (let i = 0; i < length; i += 2) {
    if (i === checksumAt) continue;
    const odd = i + 1 >= length;
    sum += ((bytes[start + i] ?? 0) << 8) |
      (odd ? 0 : bytes[start + i + 1] ?? 0);
  }
  return foldSum(sum);
}

function finishWork(work: ChecksumWork, sum: number): ChecksumWork {
  const computed = ~sum & 0xffff;
  work.sum = sum;
  work.computed = computed;
  // One's complement has two zeros: a stored 0xffff verifies like 0x0000.
  const verifies = foldSum(sum + work.stored) === 0xffff;
  if (computed === work.stored) {
    work.status = "correct";
    work.verdict = `correct: stored ${hex16(work.stored)} = computed ${
      hex16(computed)
    }`;
  } else if (verifies) {
    work.status = "correct";
    work.verdict = `correct: stored ${hex16(work.stored)} and computed ${
      hex16(computed)
    } are the same number in one's complement (positive and negative zero)`;
  } else {
    work.status = "wrong";
    work.verdict = `wrong: stored ${hex16(work.stored)}, computed ${
      hex16(computed)
    }`;
  }
  return work;
}

// ---------------------------------------------------------------------------
// IPv4

const IPV4_WORDS = [
  "Version, IHL, DSCP, ECN",
  "Total Length",
  "Identification",
  "Flags, Fragment Offset",
  "Time to Live, Protocol",
  "Header Checksum",
  "Source Address (high half)",
  "Source Address (low half)",
  "Destination Address (high half)",
  "Destination Address (low half)",
];

function explainIpv4(
  b: Builder,
  decoded: DecodedIp,
  options: ExplainOptions,
): { checksum?: ChecksumWork } {
  const bytes = b.bytes;
  const ip = decoded.ip;
  if (ip.version !== 4) return {};
  const headerLength = decoded.payloadOffset;
  const layer = b.layer("ipv4", "IPv4 header", 0, headerLength);
  const ihl = ip.ihl;
  b.field(layer, {
    key: "version",
    name: "Version",
    abbreviation: "Ver",
    at: 0,
    bits: 4,
    meaning: "IPv4",
  });
  let ihlMeaning = `${ihl} words × 4 = ${ihl * 4} bytes${
    ihl === 5
      ? ": no options"
      : ihl > 5
      ? `: ${(ihl - 5) * 4} bytes of options`
      : ""
  }`;
  if (ihl < 5) {
    ihlMeaning =
      `${ihl} words: less than the 5 words of the smallest header; read as 20 bytes`;
    b.anomaly(
      "ipv4-ihl",
      `IPv4 IHL ${ihl} is under 5: an IPv4 header is at least 5 words (20 bytes)`,
      0,
      "ihl",
    );
  } else if (ihl * 4 > bytes.length) {
    ihlMeaning = `${ihl} words = ${
      ihl * 4
    } bytes, past the end of the ${bytes.length}-byte datagram`;
    b.anomaly(
      "ipv4-ihl",
      `IPv4 IHL ${ihl} says the header is ${
        ihl * 4
      } bytes, but the datagram is only ${bytes.length} bytes`,
      0,
      "ihl",
    );
  }
  b.field(layer, {
    key: "ihl",
    name: "IHL",
    at: 0,
    bit: 4,
    bits: 4,
    meaning: ihlMeaning,
  });
  const dscp = ip.tos >> 2;
  b.field(layer, {
    key: "dscp",
    name: "DSCP",
    at: 1,
    bits: 6,
    meaning: dscpMeaning(dscp),
  });
  b.field(layer, {
    key: "ecn",
    name: "ECN",
    at: 1,
    bit: 6,
    bits: 2,
    meaning: ECN_MEANINGS[ip.tos & 3]!,
  });
  const wire = options.wireLength ?? bytes.length;
  const cut = options.wireLength !== undefined &&
    options.wireLength > bytes.length;
  let totalMeaning = `${ip.totalLength} bytes: header and data`;
  if (ip.totalLength !== wire) {
    if (ip.totalLength > wire) {
      totalMeaning += `, but the datagram is only ${wire} bytes`;
      b.anomaly(
        "ipv4-total-length",
        `IPv4 total length ${ip.totalLength} is more than the ${wire} bytes of the datagram: ${
          ip.totalLength - wire
        } bytes are missing`,
        2,
        "totalLength",
      );
    } else {
      totalMeaning += `; the ${
        plural(wire - ip.totalLength, "byte")
      } after it are not part of the datagram`;
      b.anomaly(
        "ipv4-total-length",
        ip.totalLength < headerLength
          ? `IPv4 total length ${ip.totalLength} is less than the ${headerLength}-byte header`
          : `IPv4 total length ${ip.totalLength} is less than the ${wire} bytes given: the last ${
            plural(wire - ip.totalLength, "byte")
          } are outside the datagram and ignored`,
        2,
        "totalLength",
      );
    }
  }
  b.field(layer, {
    key: "totalLength",
    name: "Total Length",
    abbreviation: "TotLen",
    at: 2,
    bits: 16,
    meaning: totalMeaning,
  });
  b.field(layer, {
    key: "id",
    name: "Identification",
    abbreviation: "ID",
    at: 4,
    bits: 16,
    display: `${ip.id} (${hex16(ip.id)})`,
    meaning: "identifies the fragments of one datagram",
  });
  if (ip.reservedBit) {
    b.anomaly(
      "ipv4-reserved-bit",
      'the IPv4 reserved flag bit (the "evil bit" of RFC 3514) is set: senders must send 0',
      6,
      "reservedBit",
    );
  }
  b.field(layer, {
    key: "reservedBit",
    name: "Reserved bit",
    abbreviation: "R",
    at: 6,
    bits: 1,
    meaning: ip.reservedBit ? "set: must be 0" : "0, as it must be",
  });
  b.field(layer, {
    key: "dontFragment",
    name: "Don't Fragment",
    abbreviation: "DF",
    at: 6,
    bit: 1,
    bits: 1,
    meaning: ip.dontFragment
      ? "set: routers must not fragment it (path MTU discovery)"
      : "clear: routers may fragment it",
  });
  b.field(layer, {
    key: "moreFragments",
    name: "More Fragments",
    abbreviation: "MF",
    at: 6,
    bit: 2,
    bits: 1,
    meaning: ip.moreFragments
      ? "set: more fragments follow"
      : "clear: the last (or only) fragment",
  });
  b.field(layer, {
    key: "fragmentOffset",
    name: "Fragment Offset",
    abbreviation: "FragOff",
    at: 6,
    bit: 3,
    bits: 13,
    meaning: ip.fragmentOffset === 0
      ? "0: the start of the datagram"
      : `${ip.fragmentOffset} × 8 = byte ${
        ip.fragmentOffset * 8
      } of the datagram`,
  });
  b.field(layer, {
    key: "ttl",
    name: "Time to Live",
    abbreviation: "TTL",
    at: 8,
    bits: 8,
    meaning: `${plural(ip.ttl, "more hop")} before a router drops it`,
  });
  b.field(layer, {
    key: "protocol",
    name: "Protocol",
    abbreviation: "Proto",
    at: 9,
    bits: 8,
    meaning: protocolName(ip.protocol),
  });
  const checksumField = b.field(layer, {
    key: "checksum",
    name: "Header Checksum",
    abbreviation: "Checksum",
    at: 10,
    bits: 16,
    display: hex16(ip.checksum),
    meaning: "", // filled below
  });
  b.field(layer, {
    key: "src",
    name: "Source Address",
    abbreviation: "Src",
    at: 12,
    bits: 32,
    value: ip.src,
    meaning: "the sender",
  });
  b.field(layer, {
    key: "dst",
    name: "Destination Address",
    abbreviation: "Dst",
    at: 16,
    bits: 32,
    value: ip.dst,
    meaning: "the receiver",
  });
  if (headerLength > 20) {
    b.field(layer, {
      key: "options",
      name: "Options",
      abbreviation: "Opts",
      at: 20,
      bits: (headerLength - 20) * 8,
      meaning: ipv4OptionsMeaning(bytes.subarray(20, headerLength)),
    });
  }

  // The header checksum.
  const work: ChecksumWork = {
    kind: "ipv4-header",
    name: "IPv4 header checksum",
    byteOffset: 10,
    stored: ip.checksum,
    status: "unchecked",
    verdict: "",
    covered: { byteOffset: 0, length: headerLength },
  };
  if (ihl < 5 || ihl * 4 > bytes.length) {
    work.verdict =
      `not checked: IHL ${ihl} does not give a header within the bytes`;
  } else {
    const length = ihl * 4;
    const describe = (i: number) => IPV4_WORDS[i / 2] ?? "Options";
    let sum: number;
    if (options.steps) {
      const run = runSteps(
        coveredWords(bytes, 0, length, 10, { describe }, "IPv4 header"),
      );
      work.steps = run.steps;
      sum = run.sum;
    } else {
      sum = quickSum(bytes, 0, length, 10, 0);
    }
    finishWork(work, sum);
    if (work.status === "wrong") {
      b.anomaly(
        "ipv4-header-checksum",
        `IPv4 header checksum ${hex16(work.stored)} is wrong: it should be ${
          hex16(work.computed!)
        }; routers and hosts drop the datagram`,
        10,
        "checksum",
      );
    }
  }
  checksumField.meaning = work.verdict;
  if (cut) {
    b.notes.push(
      `the capture holds ${bytes.length} of the datagram's ${wire} bytes`,
    );
  }
  return { checksum: work };
}

function ipv4OptionsMeaning(options: Uint8Array): string {
  const names: Record<number, string> = {
    0: "end of options",
    1: "no-op",
    7: "record route",
    68: "timestamp",
    130: "security",
    131: "loose source route",
    137: "strict source route",
    148: "router alert",
  };
  const first = options[0]!;
  return `${plural(options.length, "byte")}, starting with option ${first} (${
    names[first] ?? "unknown"
  })`;
}

// ---------------------------------------------------------------------------
// IPv6

const EXTENSION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: "IPv6 hop-by-hop options header",
  43: "IPv6 routing header",
  60: "IPv6 destination options header",
});

function explainIpv6(
  b: Builder,
  decoded: DecodedIp,
  options: ExplainOptions,
): void {
  const bytes = b.bytes;
  const ip = decoded.ip;
  if (ip.version !== 6) return;
  const layer = b.layer("ipv6", "IPv6 header", 0, 40);
  b.field(layer, {
    key: "version",
    name: "Version",
    abbreviation: "Ver",
    at: 0,
    bits: 4,
    meaning: "IPv6",
  });
  b.field(layer, {
    key: "dscp",
    name: "DSCP",
    at: 0,
    bit: 4,
    bits: 6,
    meaning: dscpMeaning(ip.trafficClass >> 2),
  });
  b.field(layer, {
    key: "ecn",
    name: "ECN",
    at: 1,
    bit: 2,
    bits: 2,
    meaning: ECN_MEANINGS[ip.trafficClass & 3]!,
  });
  b.field(layer, {
    key: "flowLabel",
    name: "Flow Label",
    abbreviation: "Flow",
    at: 1,
    bit: 4,
    bits: 20,
    display: `${ip.flowLabel} (0x${
      ip.flowLabel.toString(16).padStart(5, "0")
    })`,
    meaning: ip.flowLabel === 0
      ? "0: no flow label"
      : "marks packets of one flow for routers",
  });
  const wire = options.wireLength ?? bytes.length;
  let payloadMeaning = `${ip.payloadLength} bytes after this 40-byte header`;
  if (40 + ip.payloadLength !== wire) {
    if (40 + ip.payloadLength > wire) {
      payloadMeaning += `, but only ${wire - 40} follow`;
      b.anomaly(
        "ipv6-payload-length",
        `IPv6 payload length ${ip.payloadLength} is more than the ${
          wire - 40
        } bytes after the header: ${
          40 + ip.payloadLength - wire
        } bytes are missing`,
        4,
        "payloadLength",
      );
    } else {
      payloadMeaning += `; the ${
        plural(wire - 40 - ip.payloadLength, "byte")
      } after it are not part of the packet`;
      b.anomaly(
        "ipv6-payload-length",
        `IPv6 payload length ${ip.payloadLength} is less than the ${
          wire - 40
        } bytes after the header: the last ${
          plural(wire - 40 - ip.payloadLength, "byte")
        } are outside the packet and ignored`,
        4,
        "payloadLength",
      );
    }
  }
  b.field(layer, {
    key: "payloadLength",
    name: "Payload Length",
    abbreviation: "PayLen",
    at: 4,
    bits: 16,
    meaning: payloadMeaning,
  });
  b.field(layer, {
    key: "nextHeader",
    name: "Next Header",
    abbreviation: "NextHdr",
    at: 6,
    bits: 8,
    meaning: protocolName(ip.nextHeader),
  });
  b.field(layer, {
    key: "hopLimit",
    name: "Hop Limit",
    abbreviation: "HopLim",
    at: 7,
    bits: 8,
    meaning: `${plural(ip.hopLimit, "more hop")} before a router drops it`,
  });
  b.field(layer, {
    key: "src",
    name: "Source Address",
    abbreviation: "Src",
    at: 8,
    bits: 128,
    value: ip.src,
    meaning: "the sender",
  });
  b.field(layer, {
    key: "dst",
    name: "Destination Address",
    abbreviation: "Dst",
    at: 24,
    bits: 128,
    value: ip.dst,
    meaning: "the receiver",
  });
  let type = ip.nextHeader;
  for (const header of decoded.extensionHeaders ?? []) {
    const name = EXTENSION_NAMES[header.type] ??
      `IPv6 extension header ${type}`;
    const length = header.data.length + 2;
    const ext = b.layer("ipv6-extension", name, header.offset, length);
    b.field(ext, {
      key: "nextHeader",
      name: "Next Header",
      abbreviation: "NextHdr",
      at: 0,
      bits: 8,
      meaning: protocolName(header.nextHeader),
    });
    b.field(ext, {
      key: "hdrExtLen",
      name: "Hdr Ext Len",
      abbreviation: "Len",
      at: 1,
      bits: 8,
      meaning: `(${bytes[header.offset + 1]} + 1) × 8 = ${length} bytes`,
    });
    b.field(ext, {
      key: "data",
      name: header.type === 43 ? "Routing data" : "Options",
      abbreviation: "Data",
      at: 2,
      bits: header.data.length * 8,
      meaning: header.type === 43
        ? `routing type ${header.data[0]}, segments left ${header.data[1]}`
        : `${plural(header.data.length, "byte")} of options`,
    });
    type = header.nextHeader;
  }
}

/**
 * The destination of the TCP pseudo-header (a routing header's or an IPv4
 * source route's final one, see `tcpPseudoHeaderDestination`), with a note
 * when it is not the IP header's.
 */
function finalDestination(decoded: DecodedIp): { dst: string; note?: string } {
  const dst = tcpPseudoHeaderDestination(decoded);
  if (dst === decoded.ip.dst) return { dst };
  if (decoded.ip.version === 4) {
    return {
      dst,
      note:
        "the destination is the last address of the IPv4 source route option",
    };
  }
  const routing = decoded.extensionHeaders?.findLast((header) =>
    header.type === 43 && header.data[1] !== 0
  );
  return {
    dst,
    note: `the destination is the final one of the routing header at byte ${
      routing?.offset ?? decoded.payloadOffset
    }`,
  };
}

// ---------------------------------------------------------------------------
// TCP

const TCP_WORDS = [
  "Source Port",
  "Destination Port",
  "Sequence Number (high half)",
  "Sequence Number (low half)",
  "Acknowledgment Number (high half)",
  "Acknowledgment Number (low half)",
  "Data Offset, Reserved, Flags",
  "Window",
  "Checksum",
  "Urgent Pointer",
];

const FLAG_ROWS: readonly {
  name: TcpFlagName;
  label: string;
  bit: number;
  set: string;
  clear: string;
}[] = [
  {
    name: "ae",
    label: "AE",
    bit: 7,
    set: "set: accurate ECN (AccECN; this bit was NS, RFC 3540)",
    clear: "clear",
  },
  {
    name: "cwr",
    label: "CWR",
    bit: 8,
    set: "set: congestion window reduced (RFC 3168)",
    clear: "clear",
  },
  {
    name: "ece",
    label: "ECE",
    bit: 9,
    set: "set: ECN echo (RFC 3168); in a SYN, the sender does ECN",
    clear: "clear",
  },
  {
    name: "urg",
    label: "URG",
    bit: 10,
    set: "set: the urgent pointer is significant",
    clear: "clear: the urgent pointer is not used",
  },
  {
    name: "ack",
    label: "ACK",
    bit: 11,
    set: "set: the acknowledgment number is significant",
    clear: "clear: the acknowledgment number is not used",
  },
  {
    name: "psh",
    label: "PSH",
    bit: 12,
    set: "set: push, deliver the data to the application now",
    clear: "clear",
  },
  {
    name: "rst",
    label: "RST",
    bit: 13,
    set: "set: reset, abort the connection",
    clear: "clear",
  },
  {
    name: "syn",
    label: "SYN",
    bit: 14,
    set: "set: synchronize sequence numbers, open a connection",
    clear: "clear",
  },
  {
    name: "fin",
    label: "FIN",
    bit: 15,
    set: "set: the sender has no more data, close its direction",
    clear: "clear",
  },
];

const OPTION_NAMES: Readonly<Record<number, [string, string]>> = Object.freeze(
  {
    0: ["EOL", "EOL"],
    1: ["NOP", "NOP"],
    2: ["MSS", "MSS"],
    3: ["Window scale", "WS"],
    4: ["SACK permitted", "SACKOK"],
    5: ["SACK", "SACK"],
    8: ["Timestamps", "TS"],
    19: ["MD5 signature", "MD5"],
    28: ["User timeout", "UTO"],
    29: ["TCP-AO", "AO"],
    30: ["Multipath TCP", "MPTCP"],
    34: ["Fast Open", "TFO"],
    253: ["Experimental", "EXP"],
    254: ["Experimental", "EXP"],
  },
);

function optionNames(kind: number): [string, string] {
  return OPTION_NAMES[kind] ?? [`Kind ${kind}`, `K${kind}`];
}

const MPTCP_SUBTYPES = [
  "MP_CAPABLE",
  "MP_JOIN",
  "DSS",
  "ADD_ADDR",
  "REMOVE_ADDR",
  "MP_PRIO",
  "MP_FAIL",
  "MP_FASTCLOSE",
  "MP_TCPRST",
];

function optionValue(
  option: TcpOption,
): { value: number | string; display: string; meaning: string } {
  switch (option.kind) {
    case "eol":
      return { value: 0, display: "", meaning: "end of option list" };
    case "nop":
      return {
        value: 1,
        display: "",
        meaning: "no-operation: fills space so the next option is aligned",
      };
    case "mss":
      return {
        value: option.value,
        display: String(option.value),
        meaning:
          `maximum segment size: send at most ${option.value} data bytes per segment`,
      };
    case "wscale":
      return {
        value: option.shift,
        display: String(option.shift),
        meaning:
          `window scale: this side's windows after the handshake count in units of 2^${option.shift} = ${
            2 ** Math.min(option.shift, 14)
          } bytes${option.shift > 14 ? " (capped at 14, RFC 7323)" : ""}`,
      };
    case "sackOk":
      return {
        value: 4,
        display: "",
        meaning:
          "SACK permitted: the sender understands selective acknowledgments (RFC 2018)",
      };
    case "sack": {
      const blocks = option.blocks.map(([l, r]) => `${l}-${r}`).join(" ");
      return {
        value: blocks,
        display: blocks,
        meaning: `selective acknowledgment: also received ${
          plural(option.blocks.length, "block")
        } ${blocks}`,
      };
    }
    case "timestamp":
      return {
        value: `${option.value} ${option.echo}`,
        display: `val ${option.value} ecr ${option.echo}`,
        meaning:
          `timestamps (RFC 7323): TSval ${option.value}, echo reply ${option.echo}`,
      };
    case "md5":
      return {
        value: formatHex(option.digest),
        display: formatHex(option.digest),
        meaning: "TCP MD5 signature (RFC 2385)",
      };
    case "userTimeout":
      return {
        value: option.timeout,
        display: `${option.timeout}${
          option.granularity === "minutes" ? "m" : "s"
        }`,
        meaning:
          `user timeout (RFC 5482): ${option.timeout} ${option.granularity}`,
      };
    case "tcpAo":
      return {
        value: formatHex(option.mac),
        display: `key ${option.keyId}`,
        meaning:
          `TCP authentication option (RFC 5925): key ${option.keyId}, next key ${option.rNextKeyId}, ${
            plural(option.mac.length, "byte")
          } of MAC`,
      };
    case "mptcp": {
      const subtype = option.data.length > 0 ? option.data[0]! >> 4 : -1;
      return {
        value: formatHex(option.data),
        display: MPTCP_SUBTYPES[subtype] ?? "MPTCP",
        meaning: `multipath TCP (RFC 8684), subtype ${
          subtype < 0
            ? "missing"
            : `${subtype} (${MPTCP_SUBTYPES[subtype] ?? "unknown"})`
        }`,
      };
    }
    case "fastOpen":
      return option.cookie.length === 0
        ? {
          value: "",
          display: "cookie request",
          meaning: "TCP Fast Open (RFC 7413): asks for a cookie",
        }
        : {
          value: formatHex(option.cookie),
          display: formatHex(option.cookie),
          meaning:
            `TCP Fast Open (RFC 7413): a ${option.cookie.length}-byte cookie`,
        };
    case "experimental":
      return {
        value: formatHex(option.data),
        display: `ExID ${hex16(option.exid)}`,
        meaning: `experimental option (RFC 6994), ExID ${hex16(option.exid)}`,
      };
    case "unknown":
      return {
        value: formatHex(option.data),
        display: formatHex(option.data),
        meaning: `option kind ${option.type}, not one tcpcraft knows`,
      };
    case "raw":
      return {
        value: formatHex(option.bytes),
        display: formatHex(option.bytes),
        meaning: "bytes that are not a well-formed option",
      };
  }
}

function expectedOptionLength(kind: number): string | undefined {
  switch (kind) {
    case 2:
      return `always ${TCP_OPTION_LENGTHS.mss}`;
    case 3:
      return `always ${TCP_OPTION_LENGTHS.wscale}`;
    case 4:
      return `always ${TCP_OPTION_LENGTHS.sackOk}`;
    case 5:
      return "2 + 8 per block";
    case 8:
      return `always ${TCP_OPTION_LENGTHS.timestamp}`;
    case 19:
      return `always ${TCP_OPTION_LENGTHS.md5}`;
    case 28:
      return `always ${TCP_OPTION_LENGTHS.userTimeout}`;
    case 29:
    case 253:
    case 254:
      return "at least 4";
    default:
      return undefined;
  }
}

interface SegmentInfo {
  /** Offset of the segment in the explained bytes. */
  base: number;
  /** The segment (view). */
  segment: Uint8Array;
  /** Addresses for the pseudo-header, when known. */
  src?: string;
  dst?: string;
  dstNote?: string;
  /** Why the checksum cannot be checked, when it cannot. */
  uncheckable?: string;
}

function explainTcp(
  b: Builder,
  info: SegmentInfo,
  options: ExplainOptions,
): { facts?: TcpFacts; payload?: ExplainedPayload; checksum?: ChecksumWork } {
  const { base, segment } = info;
  const length = segment.length;
  const layer = b.layer("tcp", "TCP header", base, Math.min(length, 20));
  const has = (at: number, n: number) => at + n <= length;
  if (length < 20) {
    b.anomaly(
      "tcp-truncated",
      `only ${
        plural(length, "byte")
      } of TCP header: a TCP header is at least 20 bytes`,
      base + length,
    );
    if (has(0, 2)) {
      b.field(layer, {
        key: "srcPort",
        name: "Source Port",
        abbreviation: "SrcPort",
        at: 0,
        bits: 16,
        meaning: portMeaning(read16(segment, 0)),
      });
    }
    if (has(2, 2)) {
      b.field(layer, {
        key: "dstPort",
        name: "Destination Port",
        abbreviation: "DstPort",
        at: 2,
        bits: 16,
        meaning: portMeaning(read16(segment, 2)),
      });
    }
    if (has(4, 4)) {
      b.field(layer, {
        key: "seq",
        name: "Sequence Number",
        abbreviation: "Seq",
        at: 4,
        bits: 32,
        meaning: "the number of the first data byte",
      });
    }
    if (has(8, 4)) {
      b.field(layer, {
        key: "ack",
        name: "Acknowledgment Number",
        abbreviation: "Ack",
        at: 8,
        bits: 32,
        meaning: "the next sequence number expected from the peer",
      });
    }
    layer.length = layer.fields.reduce((n, f) => n + f.bitLength, 0) / 8;
    return {};
  }
  const tcp = decodeTcp(segment, { lenient: true });
  const flags = tcp.flags;
  const is = (name: TcpFlagName) => (flags & TCP_FLAGS[name]) !== 0;
  const context = options.connection ?? {};

  // Where the header ends, as the data offset says, within the bytes.
  const dataOffset = tcp.dataOffset;
  let headerEnd = dataOffset * 4;
  if (dataOffset < 5) {
    headerEnd = 20;
    b.anomaly(
      "data-offset-too-small",
      `data offset ${dataOffset} is under 5: a TCP header is at least 5 words (20 bytes); read as 20 bytes`,
      base + 12,
      "dataOffset",
    );
  } else if (headerEnd > length) {
    b.anomaly(
      "data-offset-past-end",
      `data offset ${dataOffset} says the header is ${headerEnd} bytes, but the segment is only ${length} bytes: the header points outside the packet`,
      base + 12,
      "dataOffset",
    );
    headerEnd = length;
  }
  layer.length = headerEnd;

  // Fixed fields.
  b.field(layer, {
    key: "srcPort",
    name: "Source Port",
    abbreviation: "SrcPort",
    at: 0,
    bits: 16,
    meaning: portMeaning(tcp.srcPort),
  });
  b.field(layer, {
    key: "dstPort",
    name: "Destination Port",
    abbreviation: "DstPort",
    at: 2,
    bits: 16,
    meaning: portMeaning(tcp.dstPort),
  });
  const relative = (value: number, isn: number | undefined) =>
    isn === undefined
      ? undefined
      : (value - isn + 0x1_0000_0000) % 0x1_0000_0000;
  const relativeSeq = relative(tcp.seq, context.isn);
  const payloadLength = length - headerEnd;
  let seqMeaning = is("syn")
    ? "the initial sequence number (ISN) of this direction; the SYN itself counts as one"
    : payloadLength > 0
    ? `the number of the first data byte; the ${payloadLength} bytes here are ${tcp.seq}..${
      (tcp.seq + payloadLength - 1) % 0x1_0000_0000
    }`
    : "the next sequence number this side will use";
  if (relativeSeq !== undefined && !is("syn")) {
    seqMeaning += ` (relative ${relativeSeq})`;
  }
  b.field(layer, {
    key: "seq",
    name: "Sequence Number",
    abbreviation: "Seq",
    at: 4,
    bits: 32,
    meaning: seqMeaning,
  });
  const relativeAck = relative(tcp.ack, context.peerIsn);
  let ackMeaning: string;
  if (is("ack")) {
    ackMeaning = `the next sequence number the sender expects from the peer${
      relativeAck === undefined ? "" : ` (relative ${relativeAck})`
    }`;
  } else if (tcp.ack === 0) {
    ackMeaning = "not used: ACK is clear";
  } else {
    ackMeaning = "not used (ACK is clear), yet not 0";
    b.anomaly(
      "ack-number-without-ack",
      `the acknowledgment number is ${tcp.ack} but ACK is clear: receivers ignore it; a stack sends 0, so this leaks something (nmap's probes and some scanners do this)`,
      base + 8,
      "ack",
    );
  }
  b.field(layer, {
    key: "ack",
    name: "Acknowledgment Number",
    abbreviation: "Ack",
    at: 8,
    bits: 32,
    meaning: ackMeaning,
  });
  b.field(layer, {
    key: "dataOffset",
    name: "Data Offset",
    abbreviation: "Offset",
    at: 12,
    bits: 4,
    meaning: dataOffset < 5
      ? `${dataOffset} words: less than the 5-word minimum`
      : dataOffset * 4 > length
      ? `${dataOffset} words × 4 = ${
        dataOffset * 4
      } bytes, past the end of the ${length}-byte segment`
      : `${dataOffset} words × 4 = ${dataOffset * 4} bytes${
        dataOffset === 5
          ? ": no options"
          : `: ${(dataOffset - 5) * 4} bytes of options`
      }`,
  });
  if (tcp.reserved !== 0) {
    b.anomaly(
      "reserved-bits",
      `reserved bits are set (0b${
        tcp.reserved.toString(2).padStart(3, "0")
      }): senders must send 0 (RFC 9293); some firewalls drop such segments, and they can carry a covert channel`,
      base + 12,
      "reserved",
    );
  }
  b.field(layer, {
    key: "reserved",
    name: "Reserved",
    abbreviation: "Rsrvd",
    at: 12,
    bit: 4,
    bits: 3,
    display: `0b${tcp.reserved.toString(2).padStart(3, "0")}`,
    meaning: tcp.reserved === 0 ? "0, as it must be" : "not 0: must be 0",
  });
  for (const row of FLAG_ROWS) {
    b.field(layer, {
      key: `flags.${row.name}`,
      name: row.label,
      at: 12,
      bit: row.bit,
      bits: 1,
      meaning: is(row.name) ? row.set : row.clear,
    });
  }
  const announced = tcp.options.find((o) => o.kind === "wscale");
  let windowShift: number | undefined;
  let windowMeaning: string;
  if (is("syn")) {
    windowMeaning =
      `${tcp.window} bytes: the window of a SYN is never scaled (RFC 7323)`;
  } else if (context.windowShift !== undefined) {
    windowShift = Math.min(context.windowShift, 14);
    windowMeaning = windowShift === 0
      ? `${tcp.window} bytes (the handshake negotiated no window scaling)`
      : `${tcp.window} × 2^${windowShift} = ${
        tcp.window * 2 ** windowShift
      } bytes (window scale ${windowShift} from this side's SYN)`;
  } else {
    windowMeaning =
      `${tcp.window} bytes, unscaled (a window scale, if any, was set in a handshake not seen here)`;
  }
  b.field(layer, {
    key: "window",
    name: "Window",
    abbreviation: "Win",
    at: 14,
    bits: 16,
    display: windowShift === undefined || windowShift === 0
      ? String(tcp.window)
      : `${tcp.window} (×${2 ** windowShift} = ${
        tcp.window * 2 ** windowShift
      })`,
    meaning: windowMeaning,
  });
  const checksumField = b.field(layer, {
    key: "checksum",
    name: "Checksum",
    abbreviation: "Cksum",
    at: 16,
    bits: 16,
    display: hex16(tcp.checksum),
    meaning: "",
  });
  let urgentMeaning: string;
  if (is("urg")) {
    if (tcp.urgentPointer === 0) {
      urgentMeaning = "0 while URG is set: points at no urgent data";
      b.anomaly(
        "urg-without-pointer",
        "URG is set but the urgent pointer is 0: there is no urgent data to point to",
        base + 18,
        "urgentPointer",
      );
    } else {
      urgentMeaning =
        `urgent data ends ${tcp.urgentPointer} bytes after the sequence number (seq ${
          (tcp.seq + tcp.urgentPointer) % 0x1_0000_0000
        })`;
    }
  } else if (tcp.urgentPointer !== 0) {
    urgentMeaning = "not used (URG is clear), yet not 0";
    b.anomaly(
      "pointer-without-urg",
      `the urgent pointer is ${tcp.urgentPointer} but URG is clear: receivers ignore it; a stack sends 0, so it may be a covert channel or a crafted probe`,
      base + 18,
      "urgentPointer",
    );
  } else {
    urgentMeaning = "not used: URG is clear";
  }
  b.field(layer, {
    key: "urgentPointer",
    name: "Urgent Pointer",
    abbreviation: "UrgPtr",
    at: 18,
    bits: 16,
    meaning: urgentMeaning,
  });

  // Options, walked byte by byte so that each keeps its offset.
  let p = 20;
  while (p < headerEnd) {
    const kind = segment[p]!;
    const [name, abbreviation] = optionNames(kind);
    if (kind === 0) {
      b.field(layer, {
        key: "option.eol",
        name: "Option: EOL",
        abbreviation: "EOL",
        at: p,
        bits: 8,
        display: "",
        meaning: "end of option list",
        option: { kind: "eol" },
      });
      const rest = segment.subarray(p + 1, headerEnd);
      if (rest.length > 0) {
        const zero = rest.every((byte) => byte === 0);
        let meaning = zero
          ? "zero bytes that fill the header to a multiple of 4"
          : "not zero: bytes after the end of the option list, which receivers ignore";
        if (!zero) {
          const after = decodeTcpOptions(rest, {
            lenient: true,
            offset: p + 1,
          }).options.filter((o) => o.kind !== "raw" && o.kind !== "eol");
          if (after.length > 0) {
            meaning += `; they read as ${
              after.map((o) => optionNames(optionKind(o))[0]).join(", ")
            }`;
          }
          b.anomaly(
            "options-after-eol",
            `${
              plural(rest.length, "byte")
            } after the end-of-list option at byte ${p} are not zero: options after EOL are ignored by receivers, and a firewall or IDS may read them differently`,
            base + p + 1,
            "padding",
          );
        }
        b.field(layer, {
          key: "padding",
          name: zero ? "Padding" : "After EOL",
          abbreviation: zero ? "Pad" : "AfterEOL",
          at: p + 1,
          bits: rest.length * 8,
          meaning,
        });
      }
      p = headerEnd;
      break;
    }
    if (kind === 1) {
      b.field(layer, {
        key: "option.nop",
        name: "Option: NOP",
        abbreviation: "NOP",
        at: p,
        bits: 8,
        display: "",
        meaning: "no-operation: fills space so the next option is aligned",
        option: { kind: "nop" },
      });
      p++;
      continue;
    }
    const optionLength = p + 1 < headerEnd ? segment[p + 1]! : undefined;
    let problem: string | undefined;
    if (optionLength === undefined) {
      problem =
        `option ${name} (kind ${kind}) at byte ${p} has no length byte: the option area ends at byte ${headerEnd}`;
    } else if (optionLength < 2) {
      problem =
        `option ${name} (kind ${kind}) at byte ${p} has length ${optionLength}: a length counts the kind and length bytes, so it is at least 2`;
    } else if (p + optionLength > headerEnd) {
      problem =
        `option ${name} (kind ${kind}) at byte ${p} has length ${optionLength}, past the end of the option area at byte ${headerEnd}`;
    }
    if (problem !== undefined) {
      b.anomaly("option-length", problem, base + p, "option.malformed");
      b.field(layer, {
        key: "option.malformed",
        name: `Option: ${name} (malformed)`,
        abbreviation: `${abbreviation}?`,
        at: p,
        bits: (headerEnd - p) * 8,
        value: formatHex(segment.subarray(p, headerEnd)),
        meaning: `cannot be parsed: ${
          problem.replace(/^option .*? at byte \d+ /, "")
        }; receivers stop reading options here`,
      });
      p = headerEnd;
      break;
    }
    const end = p + optionLength!;
    let option: TcpOption | undefined;
    try {
      option = decodeTcpOptions(segment.subarray(p, end), { offset: p })
        .options[0];
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
    }
    if (option === undefined) {
      const expected = expectedOptionLength(kind) ?? "another length";
      b.anomaly(
        "option-length",
        `option ${name} (kind ${kind}) at byte ${p} has length ${optionLength}, but its length is ${expected}`,
        base + p,
        `option.${kind}`,
      );
      b.field(layer, {
        key: `option.${kind}`,
        name: `Option: ${name} (bad length)`,
        abbreviation: `${abbreviation}?`,
        at: p,
        bits: optionLength! * 8,
        value: formatHex(segment.subarray(p, end)),
        meaning:
          `kind ${kind}, length ${optionLength}: wrong for this kind (${expected})`,
      });
      p = end;
      continue;
    }
    const shown = optionValue(option);
    let meaning = `kind ${kind}, length ${optionLength}: ${shown.meaning}`;
    if (
      (option.kind === "mss" || option.kind === "wscale" ||
        option.kind === "sackOk") && !is("syn")
    ) {
      meaning += "; only meaningful in a SYN, ignored here";
    }
    if (option.kind === "wscale" && option.shift > 14) {
      b.anomaly(
        "wscale-too-large",
        `window scale shift ${option.shift} at byte ${p} is more than 14: RFC 7323 says to use 14`,
        base + p,
        "option.wscale",
      );
    }
    b.field(layer, {
      key: `option.${option.kind}`,
      name: `Option: ${name}`,
      abbreviation,
      at: p,
      bits: optionLength! * 8,
      value: shown.value,
      display: shown.display,
      meaning,
      option,
    });
    p = end;
  }

  // Flag combinations no stack sends.
  const xmas = TCP_FLAGS.fin | TCP_FLAGS.psh | TCP_FLAGS.urg;
  if ((flags & xmas) === xmas) {
    b.anomaly(
      "xmas",
      "Christmas tree packet: FIN, PSH and URG are all set, lit up like a tree; no TCP stack sends this, it is a port-scan probe (nmap -sX)",
      base + 13,
      "flags",
    );
  }
  if ((flags & 0x1ff) === 0) {
    b.anomaly(
      "null-flags",
      "NULL packet: no flag is set; every real segment has at least one (SYN, RST or ACK), so this is a port-scan probe (nmap -sN)",
      base + 13,
      "flags",
    );
  }
  if (is("syn") && is("fin")) {
    b.anomaly(
      "syn-fin",
      "SYN and FIN are both set: open and close at once; no TCP stack sends this, and firewalls and IDSs treat it as a probe or an evasion attempt",
      base + 13,
      "flags",
    );
  }
  if (is("syn") && is("rst")) {
    b.anomaly(
      "syn-rst",
      "SYN and RST are both set: open and reset at once; no valid segment has both",
      base + 13,
      "flags",
    );
  }
  if (
    is("fin") && !is("ack") && !is("syn") && (flags & xmas) !== xmas
  ) {
    b.anomaly(
      "fin-without-ack",
      "FIN without ACK: every FIN of a real connection carries ACK, so this is a probe (nmap -sF, FIN scan)",
      base + 13,
      "flags",
    );
  }
  if (tcp.srcPort === 0 || tcp.dstPort === 0) {
    const which = tcp.srcPort === 0 ? "source" : "destination";
    b.anomaly(
      "port-zero",
      `the ${which} port is 0, which is reserved: no service uses it, and scanners send it to fingerprint stacks`,
      base + (tcp.srcPort === 0 ? 0 : 2),
      tcp.srcPort === 0 ? "srcPort" : "dstPort",
    );
  }

  // The payload.
  const data = segment.subarray(headerEnd);
  const payload: ExplainedPayload = {
    byteOffset: base + headerEnd,
    length: data.length,
    bytes: data.slice(),
    preview: safePreview(data),
  };

  // The checksum.
  const work: ChecksumWork = {
    kind: "tcp",
    name: "TCP checksum",
    byteOffset: base + 16,
    stored: tcp.checksum,
    status: "unchecked",
    verdict: "",
    covered: { byteOffset: base, length },
  };
  if (info.src !== undefined && info.dst !== undefined) {
    const src = addressBytes(info.src);
    const dst = addressBytes(info.dst);
    const family = src.length === 4 ? 4 : 6;
    const pseudoBytes = new Uint8Array(family === 4 ? 12 : 40);
    pseudoBytes.set(src, 0);
    pseudoBytes.set(dst, src.length);
    if (family === 4) {
      pseudoBytes[9] = IPPROTO_TCP;
      pseudoBytes[10] = length >> 8;
      pseudoBytes[11] = length & 0xff;
    } else {
      pseudoBytes[34] = length >> 8;
      pseudoBytes[35] = length & 0xff;
      pseudoBytes[39] = IPPROTO_TCP;
    }
    const pseudo: ExplainedPseudoHeader = {
      family,
      src: formatAddress(src),
      dst: formatAddress(dst),
      protocol: IPPROTO_TCP,
      length,
      bytes: pseudoBytes,
    };
    if (info.dstNote !== undefined) pseudo.note = info.dstNote;
    work.pseudoHeader = pseudo;
  }
  if (info.uncheckable !== undefined) {
    work.verdict = `not checked: ${info.uncheckable}`;
  } else if (work.pseudoHeader === undefined) {
    work.verdict =
      "not checked: the pseudo-header needs the source and destination addresses";
  } else {
    const pseudo = work.pseudoHeader;
    const describe = (i: number) =>
      i < 20 ? TCP_WORDS[i / 2]! : i < headerEnd ? "options" : "data";
    let sum: number;
    if (options.steps) {
      const words: { word: number; from: string; byteOffset?: number }[] = [];
      const pseudoNames = pseudo.family === 4
        ? [
          `source address ${pseudo.src} (high half)`,
          "source address (low half)",
          `destination address ${pseudo.dst} (high half)`,
          "destination address (low half)",
          "zero byte and protocol 6",
          `TCP length ${length}`,
        ]
        : [
          ...Array.from(
            { length: 8 },
            (_, i) =>
              `source address ${i === 0 ? `${pseudo.src} ` : ""}(word ${
                i + 1
              } of 8)`,
          ),
          ...Array.from(
            { length: 8 },
            (_, i) =>
              `destination address ${i === 0 ? `${pseudo.dst} ` : ""}(word ${
                i + 1
              } of 8)`,
          ),
          "TCP length (high 16 bits)",
          `TCP length ${length} (low 16 bits)`,
          "zero bytes",
          "zero byte and next header 6",
        ];
      pseudoNames.forEach((from, i) => {
        words.push({
          word: read16(pseudo.bytes, 2 * i),
          from: `pseudo-header bytes ${2 * i}-${2 * i + 1}: ${from}`,
        });
      });
      words.push(...coveredWords(segment, 0, length, 16, { describe }, "TCP"));
      for (const word of words) {
        if (word.byteOffset !== undefined) word.byteOffset += base;
      }
      const run = runSteps(words);
      work.steps = run.steps;
      sum = run.sum;
    } else {
      let pseudoSum = 0;
      for (let i = 0; i < pseudo.bytes.length; i += 2) {
        pseudoSum += read16(pseudo.bytes, i);
      }
      sum = quickSum(segment, 0, length, 16, foldSum(pseudoSum));
    }
    finishWork(work, sum);
    if (work.status === "wrong") {
      let pseudoOnly = 0;
      for (let i = 0; i < pseudo.bytes.length; i += 2) {
        pseudoOnly += read16(pseudo.bytes, i);
      }
      const offload = foldSum(pseudoOnly) === work.stored;
      if (offload) {
        work.note =
          "the stored value is the pseudo-header sum alone, as a sender with checksum offload leaves it for the network card to finish: a capture on the sending host shows this, while the wire carries the right value";
      }
      b.anomaly(
        "tcp-checksum",
        `TCP checksum ${hex16(work.stored)} is wrong: it should be ${
          hex16(work.computed!)
        }; the receiver drops the segment${
          offload
            ? " (unless this is checksum offload on the capturing host)"
            : ""
        }`,
        base + 16,
        "checksum",
      );
    }
  }
  checksumField.meaning = work.verdict;

  const facts: TcpFacts = {
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags,
    flagNames: flagNames(flags),
    window: tcp.window,
    payloadLength: data.length,
  };
  if (info.src !== undefined) facts.src = formatAddress(addressBytes(info.src));
  if (info.dst !== undefined) facts.dst = formatAddress(addressBytes(info.dst));
  if (windowShift !== undefined) {
    facts.windowShift = windowShift;
    facts.scaledWindow = tcp.window * 2 ** windowShift;
  }
  if (announced !== undefined && announced.kind === "wscale") {
    facts.announcedWindowShift = announced.shift;
  }
  if (relativeSeq !== undefined) facts.relativeSeq = relativeSeq;
  if (relativeAck !== undefined && is("ack")) facts.relativeAck = relativeAck;
  return { facts, payload, checksum: work };
}

function optionKind(option: TcpOption): number {
  switch (option.kind) {
    case "eol":
      return 0;
    case "nop":
      return 1;
    case "mss":
      return 2;
    case "wscale":
      return 3;
    case "sackOk":
      return 4;
    case "sack":
      return 5;
    case "timestamp":
      return 8;
    case "md5":
      return 19;
    case "userTimeout":
      return 28;
    case "tcpAo":
      return 29;
    case "mptcp":
      return 30;
    case "fastOpen":
      return 34;
    case "experimental":
      return option.type;
    case "unknown":
      return option.type;
    case "raw":
      return option.bytes[0] ?? 0;
  }
}

const STRUCTURAL: ReadonlySet<AnomalyCode> = new Set<AnomalyCode>([
  "ipv4-ihl",
  "ipv4-total-length",
  "ipv6-payload-length",
  "data-offset-too-small",
  "data-offset-past-end",
  "tcp-truncated",
  "option-length",
]);

/** Add what a strict decoder refuses, when no anomaly already says so. */
function strictCheck(b: Builder, decode: () => void, cut: boolean): void {
  if (cut || b.anomalies.some((a) => STRUCTURAL.has(a.code))) return;
  try {
    decode();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    if (error.kind === "unsupported") return;
    b.anomaly("malformed", error.message, error.offset);
  }
}

function finish(
  b: Builder,
  kind: "packet" | "segment",
  tcp: ReturnType<typeof explainTcp> | undefined,
  ipChecksum: ChecksumWork | undefined,
): Explanation {
  const explanation: Explanation = {
    kind,
    length: b.bytes.length,
    layers: b.layers,
    checksums: [],
    anomalies: b.anomalies.sort((x, y) => x.byteOffset - y.byteOffset),
    notes: b.notes,
  };
  if (ipChecksum !== undefined) explanation.checksums.push(ipChecksum);
  if (tcp?.checksum !== undefined) explanation.checksums.push(tcp.checksum);
  if (tcp?.facts !== undefined) explanation.tcp = tcp.facts;
  if (tcp?.payload !== undefined) explanation.payload = tcp.payload;
  return explanation;
}

/**
 * Explain an IP datagram carrying TCP (IPv4, or IPv6 with any extension
 * headers): every field of every header, the checksums worked out and the
 * anomalies found.
 *
 * A datagram that is not TCP, or a fragment after the first, is explained
 * down to the IP layer, with a note saying why it stops there.
 *
 * @param bytes The datagram, starting with the IP header.
 * @param options `steps` to record each word of the checksums; `connection`
 * for what earlier segments said; `wireLength` for a capture cut short.
 * @returns The explanation.
 * @throws {DecodeError} When there is no IP header to read: no bytes, a
 * version other than 4 or 6, or fewer than 20 (IPv4) or 40 (IPv6) bytes.
 *
 * @example The Christmas-tree packet
 * ```ts
 * import { explainPacket, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0
 * const bytes = parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201" +
 *     "0014029a 00000000 00000000 50292000 08e20000",
 * );
 * const explanation = explainPacket(bytes);
 * assert.deepEqual(explanation.tcp?.flagNames, ["fin", "psh", "urg"]);
 * assert.deepEqual(
 *   explanation.anomalies.map((a) => a.code),
 *   ["xmas", "urg-without-pointer"],
 * );
 * const [ip, tcp] = explanation.checksums;
 * assert.equal(ip?.status, "correct");
 * assert.equal(tcp?.computed, 0x08e2);
 * const urg = explanation.layers[1]?.fields.find((f) => f.key === "flags.urg");
 * assert.deepEqual([urg?.byteOffset, urg?.bitOffset, urg?.bits], [33, 2, "1"]);
 * ```
 */
export function explainPacket(
  bytes: Uint8Array,
  options: ExplainOptions = {},
): Explanation {
  const decoded = decodeIp(bytes, { lenient: true });
  const b = new Builder(bytes);
  const cut = options.wireLength !== undefined &&
    options.wireLength > bytes.length;
  let ipChecksum: ChecksumWork | undefined;
  if (decoded.ip.version === 4) {
    ipChecksum = explainIpv4(b, decoded, options).checksum;
  } else {
    explainIpv6(b, decoded, options);
  }
  const ip = decoded.ip;
  const strict = () => void decodePacket(bytes);
  if (decoded.protocol !== IPPROTO_TCP) {
    b.notes.push(
      decoded.protocol === 44
        ? "an IPv6 fragment: fragments are not reassembled, so TCP is not explained"
        : `protocol ${decoded.protocol} (${
          protocolName(decoded.protocol)
        }) is not TCP: only the IP layer is explained`,
    );
    strictCheck(b, () => void decodeIp(bytes), cut);
    return finish(b, "packet", undefined, ipChecksum);
  }
  if (ip.version === 4 && ip.fragmentOffset !== 0) {
    b.notes.push(
      `a fragment at byte ${
        ip.fragmentOffset * 8
      } of the datagram: fragments are not reassembled, so TCP is not explained`,
    );
    return finish(b, "packet", undefined, ipChecksum);
  }
  let uncheckable: string | undefined;
  if (ip.version === 4 && ip.moreFragments) {
    b.notes.push(
      "the first fragment of a datagram: only the start of the TCP segment is here",
    );
    uncheckable =
      "the checksum covers the whole segment, and this is one fragment of it";
  } else if (cut) {
    uncheckable =
      `the capture holds ${bytes.length} of the datagram's ${options.wireLength} bytes`;
  } else {
    const claimed = ip.version === 4
      ? ip.totalLength - decoded.payloadOffset
      : 40 + ip.payloadLength - decoded.payloadOffset;
    if (claimed > decoded.payload.length) {
      uncheckable =
        `the IP header says the segment is ${claimed} bytes, but only ${decoded.payload.length} are here`;
    }
  }
  const final = finalDestination(decoded);
  const info: SegmentInfo = {
    base: decoded.payloadOffset,
    segment: decoded.payload,
    src: ip.src,
    dst: final.dst,
  };
  if (final.note !== undefined) info.dstNote = final.note;
  if (uncheckable !== undefined) info.uncheckable = uncheckable;
  const tcp = explainTcp(b, info, options);
  strictCheck(b, strict, cut || uncheckable !== undefined);
  return finish(b, "packet", tcp, ipChecksum);
}

/**
 * Explain a bare TCP segment (no IP header). The checksum is checked when
 * `src` and `dst` give the pseudo-header.
 *
 * @param bytes The segment: TCP header and data.
 * @param options `src` and `dst` for the pseudo-header, and the options of
 * {@linkcode explainPacket}.
 * @returns The explanation; byte offsets count from the start of the segment.
 * @throws {RangeError} When only one address is given, or they are of two families.
 * @throws {ParseError} When an address cannot be parsed.
 *
 * @example A SYN with a wrong checksum and a window scale of 15
 * ```ts
 * import { encodeTcp, explainTcpSegment } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeTcp({
 *   srcPort: 40000, dstPort: 443, seq: 1, ack: 0, flags: 0x02, window: 64240,
 *   urgentPointer: 0, options: [{ kind: "wscale", shift: 15 }],
 *   payload: new Uint8Array(), checksum: 0x1234,
 * });
 * const explanation = explainTcpSegment(bytes, { src: "192.0.2.42", dst: "192.0.2.1", steps: true });
 * assert.deepEqual(
 *   explanation.anomalies.map((a) => a.code),
 *   ["tcp-checksum", "wscale-too-large"],
 * );
 * const work = explanation.checksums[0]!;
 * assert.equal(work.status, "wrong");
 * assert.equal(work.steps?.length, 6 + 12); // pseudo-header words, then 24 bytes
 * assert.equal(work.steps?.at(-1)?.folded, work.sum);
 * ```
 */
export function explainTcpSegment(
  bytes: Uint8Array,
  options: ExplainTcpSegmentOptions = {},
): Explanation {
  if ((options.src === undefined) !== (options.dst === undefined)) {
    throw new RangeError(
      "Cannot explain TCP segment: the pseudo-header needs both src and dst",
    );
  }
  const info: SegmentInfo = { base: 0, segment: bytes };
  if (options.src !== undefined && options.dst !== undefined) {
    const src = addressBytes(options.src);
    const dst = addressBytes(options.dst);
    if (src.length !== dst.length) {
      throw new RangeError(
        `Cannot explain TCP segment: mixed address families (src is IPv${
          src.length === 4 ? 4 : 6
        }, dst is IPv${dst.length === 4 ? 4 : 6})`,
      );
    }
    info.src = formatAddress(src);
    info.dst = formatAddress(dst);
  }
  const cut = options.wireLength !== undefined &&
    options.wireLength > bytes.length;
  const b = new Builder(bytes);
  if (cut) {
    const note =
      `the capture holds ${bytes.length} of the segment's ${options.wireLength} bytes`;
    info.uncheckable = note;
    b.notes.push(note);
  }
  const tcp = explainTcp(b, info, options);
  strictCheck(b, () => void decodeTcp(bytes), cut);
  return finish(b, "segment", tcp, undefined);
}

// ---------------------------------------------------------------------------
// Connections

interface DirectionState {
  /** The shift of the SYN's wscale option, or null when the SYN had none. */
  shift: number | null;
  isn: number;
}

/**
 * Follows connections across the packets of a capture so that each
 * segment is explained with what its handshake said: the window scale
 * (applied only when both SYN and SYN-ACK carried a wscale option, as RFC
 * 7323 says, and never to a SYN's own window) and the initial sequence
 * numbers, for relative sequence and acknowledgment numbers.
 *
 * Connections are keyed by addresses and ports; a new SYN starts over.
 *
 * @example A handshake, then a scaled window
 * ```ts
 * import { ConnectionTracker, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const a = "192.0.2.1", b = "192.0.2.2";
 * const tracker = new ConnectionTracker();
 * const packets = [
 *   makeTcpPacket({ src: a, dst: b, srcPort: 40000, dstPort: 80, flags: 0x02, seq: 100,
 *     options: [{ kind: "wscale", shift: 7 }] }),
 *   makeTcpPacket({ src: b, dst: a, srcPort: 80, dstPort: 40000, flags: 0x12, seq: 900, ack: 101,
 *     options: [{ kind: "wscale", shift: 2 }] }),
 *   makeTcpPacket({ src: a, dst: b, srcPort: 40000, dstPort: 80, flags: 0x10, seq: 101, ack: 901,
 *     window: 501 }),
 * ];
 * const [, , last] = packets.map((p) => tracker.explain(encodePacket(p)));
 * assert.equal(last?.tcp?.scaledWindow, 501 * 128);
 * assert.equal(last?.tcp?.relativeSeq, 1);
 * assert.equal(last?.tcp?.relativeAck, 1);
 * ```
 */
export class ConnectionTracker {
  #directions = new Map<string, DirectionState>();

  /**
   * What is known about the connection of a segment going from
   * `src`:`srcPort` to `dst`:`dstPort`.
   *
   * @param facts The segment's addresses and ports.
   * @returns The context to explain it with.
   */
  context(
    facts: Pick<TcpFacts, "src" | "dst" | "srcPort" | "dstPort">,
  ): ConnectionContext {
    const forward = this.#directions.get(key(facts, false));
    const backward = this.#directions.get(key(facts, true));
    const context: ConnectionContext = {};
    if (forward !== undefined) context.isn = forward.isn;
    if (backward !== undefined) context.peerIsn = backward.isn;
    if (forward !== undefined && backward !== undefined) {
      context.windowShift = forward.shift !== null && backward.shift !== null
        ? forward.shift
        : 0;
    }
    return context;
  }

  /**
   * Learn from an explained segment: a SYN records its sender's initial
   * sequence number and window scale.
   *
   * @param explanation A segment explained with {@linkcode explainPacket}.
   */
  observe(explanation: Explanation): void {
    const tcp = explanation.tcp;
    if (tcp === undefined || (tcp.flags & TCP_FLAGS.syn) === 0) return;
    const state: DirectionState = {
      shift: tcp.announcedWindowShift ?? null,
      isn: tcp.seq,
    };
    this.#directions.set(key(tcp, false), state);
    if ((tcp.flags & TCP_FLAGS.ack) === 0) {
      // A new connection: forget the other direction of an old one.
      this.#directions.delete(key(tcp, true));
    }
  }

  /**
   * Explain a datagram with what earlier segments of its connection said,
   * then learn from it.
   *
   * @param bytes The datagram.
   * @param options As for {@linkcode explainPacket}; `connection` is filled in.
   * @returns The explanation.
   * @throws {DecodeError} As {@linkcode explainPacket}.
   */
  explain(bytes: Uint8Array, options: ExplainOptions = {}): Explanation {
    const decoded = decodeIp(bytes, { lenient: true });
    const segment = decoded.payload;
    if (decoded.protocol !== IPPROTO_TCP || segment.length < 4) {
      return explainPacket(bytes, options);
    }
    const context = this.context({
      src: decoded.ip.src,
      dst: finalDestination(decoded).dst,
      srcPort: read16(segment, 0),
      dstPort: read16(segment, 2),
    });
    const explanation = explainPacket(bytes, {
      ...options,
      connection: context,
    });
    this.observe(explanation);
    return explanation;
  }
}

function key(
  facts: Pick<TcpFacts, "src" | "dst" | "srcPort" | "dstPort">,
  reverse: boolean,
): string {
  const from = `${facts.src ?? "?"} ${facts.srcPort}`;
  const to = `${facts.dst ?? "?"} ${facts.dstPort}`;
  return reverse ? `${to} > ${from}` : `${from} > ${to}`;
}
