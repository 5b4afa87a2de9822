/**
 * The line `tcpdump -nn -S` prints for a TCP/IP packet, without the
 * timestamp: the `text` format of `src/cli/format.ts`. tcpdump 4.99's
 * `print-ip.c`, `print-ip6.c` and `print-tcp.c` are followed where they
 * read lengths and where they stop:
 *
 * - lengths come from the IP header, so a capture cut at its snapshot
 *   length still reads `seq A:B, length N` of the whole segment; a
 *   datagram whose IP header claims more than was on the wire starts
 *   `truncated-ip - N bytes missing!`;
 * - a TCP header the capture cut short is written as far as its bytes go,
 *   then `[|tcp]`, and the line ends there;
 * - IPv6 extension headers are named as tcpdump names them (`HBH`,
 *   `DSTOPT`, `RT6 (…)`, `frag (OFFSET|LENGTH)`), with the ports, not the
 *   addresses, before the TCP part;
 * - a first fragment that holds the TCP header is written as a segment of
 *   its own length; later fragments as `ip-proto-6` (IPv4) or
 *   `frag (OFFSET|LENGTH)` (IPv6).
 *
 * The differences that stay are deliberate, and listed in `format.ts`.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { TCP_FLAGS } from "../wire/flags.ts";
import {
  type DecodedTcpPacket,
  decodeIp,
  decodePacket,
} from "../wire/packet.ts";
import { decodeTcp, encodeTcp } from "../wire/tcp.ts";
import type { DecodedIpv6ExtensionHeader } from "../wire/ipv6_extensions.ts";
import type { DecodedIpv6Header } from "../wire/ipv6.ts";
import { escapeControls } from "./errors.ts";
import {
  claimedDatagram,
  hopByHopText,
  type IpLead,
  ipv4CutLead,
  ipv6CutLead,
  misplacedHopByHop,
  missingText,
  routingText,
  sizeT,
} from "./_tcpdump_ip.ts";
import {
  optionLength,
  tcpdumpCutOptions,
  tcpdumpOption,
} from "./tcpdump_option.ts";

const FLAG_LETTERS: readonly (readonly [number, string])[] = [
  [TCP_FLAGS.fin, "F"],
  [TCP_FLAGS.syn, "S"],
  [TCP_FLAGS.rst, "R"],
  [TCP_FLAGS.psh, "P"],
  [TCP_FLAGS.ack, "."],
  [TCP_FLAGS.urg, "U"],
  [TCP_FLAGS.ece, "E"],
  [TCP_FLAGS.cwr, "W"],
  [TCP_FLAGS.ae, "e"],
];

/**
 * Flags as tcpdump writes them between the brackets of `Flags [...]`:
 * `S`, `S.`, `FPU`, `none`; CWR is `W`, ECE `E`, AE `e`.
 *
 * @param mask The 9-bit mask.
 * @returns The letters.
 *
 * @example
 * ```ts
 * import { tcpdumpFlags } from "./tcpdump_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpdumpFlags(0x12), "S.");
 * assert.equal(tcpdumpFlags(0), "none");
 * assert.equal(tcpdumpFlags(0x1ff), "FSRP.UEWe");
 * ```
 */
export function tcpdumpFlags(mask: number): string {
  const letters = FLAG_LETTERS.filter(([bit]) => (mask & bit) !== 0)
    .map(([, letter]) => letter).join("");
  return letters === "" ? "none" : letters;
}

/** Options for {@linkcode describePacket}. */
export interface DescribePacketOptions {
  /**
   * The length of the TCP segment (the IP payload), to tell a data offset
   * past its end; by default the IP header's length when the packet is
   * `truncated`, else estimated from the decoded header.
   */
  segmentLength?: number;
  /**
   * The datagram's length on the wire, when a capture says: an IP header
   * that claims more starts the line `truncated-ip - N bytes missing!`.
   */
  wireLength?: number;
}

/** tcpdump's complaint when the IP header claims more than was on the wire. */
function missing(
  ip: DecodedTcpPacket["ip"],
  wireLength: number | undefined,
): string {
  return missingText(ip.version, claimedDatagram(ip), wireLength);
}

/** A routing header's text, from its decoded form. */
function routingHeaderText(header: DecodedIpv6ExtensionHeader) {
  return routingText(
    new Uint8Array([
      header.nextHeader,
      (header.data.length + 2) / 8 - 1,
      ...header.data,
    ]),
  );
}

/**
 * The part of an IPv6 line between `IP6 ` and the TCP part: the addresses
 * and what tcpdump names of the extension headers, then the TCP ports
 * (without the addresses, as tcpdump writes them after an extension
 * header); `ends` when tcpdump's line ends in an extension header.
 */
function ipv6Lead(
  ip: DecodedIpv6Header,
  headers: readonly DecodedIpv6ExtensionHeader[],
  ports: readonly [number, number] | undefined,
): { text: string; ends: boolean } {
  if (headers.length === 0) {
    return {
      text: ports === undefined
        ? `${ip.src} > ${ip.dst}:`
        : `${ip.src}.${ports[0]} > ${ip.dst}.${ports[1]}: `,
      ends: false,
    };
  }
  let text = ip.nextHeader === 6 ? "" : `${ip.src} > ${ip.dst}: `;
  let seen = false;
  for (const [i, header] of headers.entries()) {
    let part: { text: string; ends: boolean };
    if (header.type === 0 && i > 0) {
      // Lenient decoding walks past it; tcpdump stops there.
      return { text: text + misplacedHopByHop(seen), ends: true };
    }
    seen ||= header.type === 0;
    if (header.type === 0) part = hopByHopText(header.data);
    else if (header.type === 60) part = { text: "DSTOPT ", ends: false };
    else if (header.type === 43) part = routingHeaderText(header);
    else {
      const offset = ((header.data[0]! << 8) | header.data[1]!) & 0xfff8;
      const length = sizeT(40 + ip.payloadLength - header.offset - 8);
      part = { text: `frag (${offset}|${length}) `, ends: false };
    }
    text += part.text;
    if (part.ends) return { text, ends: true };
  }
  text += ports === undefined
    ? `${ip.src} > ${ip.dst}:`
    : `${ports[0]} > ${ports[1]}: `;
  return { text, ends: false };
}

/**
 * The tcpdump-like line of a decoded packet. A packet decoded leniently
 * from a capture cut short (`truncated`) reads its lengths from the IP
 * header; its TCP header, if cut, as far as the bytes go, then `[|tcp]`.
 *
 * @param packet The decoded packet.
 * @param options The segment's and the datagram's lengths on the wire.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { describePacket } from "./tcpdump_line.ts";
 * import { decodePacket, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({
 *   src: "2001:db8::1", dst: "2001:db8::2", flags: 0x12, seq: 5, ack: 7,
 *   options: [{ kind: "mss", value: 1460 }], payload: new Uint8Array(100),
 * }));
 * assert.equal(
 *   describePacket(decodePacket(bytes)),
 *   "IP6 2001:db8::1.20 > 2001:db8::2.80: Flags [S.], seq 5:105, ack 7, win 8192, options [mss 1460], length 100",
 * );
 * // A capture that kept 80 bytes: the lengths are still the IP header's.
 * const cut = decodePacket(bytes.subarray(0, 80), { lenient: true });
 * assert.equal(cut.truncated?.payloadLength, 100);
 * assert.equal(
 *   describePacket(cut),
 *   "IP6 2001:db8::1.20 > 2001:db8::2.80: Flags [S.], seq 5:105, ack 7, win 8192, options [mss 1460], length 100",
 * );
 * ```
 */
export function describePacket(
  packet: DecodedTcpPacket,
  options: DescribePacketOptions = {},
): string {
  const { ip, tcp } = packet;
  const family = ip.version === 4 ? "IP" : "IP6";
  const ports = [tcp.srcPort, tcp.dstPort] as const;
  const lead = ip.version === 4
    ? { text: `${ip.src}.${ports[0]} > ${ip.dst}.${ports[1]}: `, ends: false }
    : ipv6Lead(ip, packet.extensionHeaders ?? [], ports);
  const line = `${family} ${missing(ip, options.wireLength)}${lead.text}`;
  return escapeControls(lead.ends ? line : line + tcpPart(packet, options));
}

/** The TCP part of the line: `Flags [S], seq 0, win 8192, length 0`. */
function tcpPart(
  packet: DecodedTcpPacket,
  options: DescribePacketOptions,
): string {
  const { tcp, truncated } = packet;
  const parts: string[] = [`Flags [${tcpdumpFlags(tcp.flags)}]`];
  const length = truncated?.payloadLength ?? tcp.payload.length;
  if (
    length > 0 ||
    (tcp.flags & (TCP_FLAGS.syn | TCP_FLAGS.fin | TCP_FLAGS.rst)) !== 0
  ) {
    parts.push(
      length > 0
        ? `seq ${tcp.seq}:${(tcp.seq + length) % 0x1_0000_0000}`
        : `seq ${tcp.seq}`,
    );
  }
  if ((tcp.flags & TCP_FLAGS.ack) !== 0) parts.push(`ack ${tcp.ack}`);
  parts.push(`win ${tcp.window}`);
  if ((tcp.flags & TCP_FLAGS.urg) !== 0) parts.push(`urg ${tcp.urgentPointer}`);
  const context = { flags: tcp.flags, truncated: truncated !== undefined };
  const wire = tcp.dataOffset * 4;
  const segmentLength = options.segmentLength ?? truncated?.segmentLength ??
    headerBytes(tcp) + length;
  if (
    truncated !== undefined && wire > 20 && wire <= segmentLength &&
    truncated.capturedLength < wire
  ) {
    // The capture ends inside the options: tcpdump's line ends there.
    const captured = encodeTcp(tcp).subarray(20, truncated.capturedLength);
    const cut = tcpdumpCutOptions(captured, wire - 20, context);
    parts.push(`options [${cut.text}`);
    if (!cut.goesOn) return parts.join(", ");
    parts.push(`length ${length}`);
    // An end of list before the cut: tcpdump goes on to the data, which
    // it finds past the bytes it has.
    // (tcpdump names the last protocol it read: MPTCP's, after one.)
    const last = cut.mptcp ? "mptcp" : "tcp";
    return length === 0
      ? parts.join(", ")
      : `${
        parts.join(", ")
      } [remaining caplen(${truncated.capturedLength}) < header length(${wire})] [|${last}]`;
  }
  if (tcp.options.length > 0) {
    const shown: string[] = [];
    let optionBytes = 0;
    for (const option of tcp.options) {
      shown.push(tcpdumpOption(option, context));
      optionBytes += optionLength(option);
      if (option.kind === "eol") break;
    }
    // The decoder hides the zero padding after the last option; its first
    // byte is an end-of-list option, which tcpdump shows.
    if (optionBytes % 4 !== 0 && !tcp.options.some((o) => o.kind === "eol")) {
      shown.push("eol");
    }
    parts.push(`options [${shown.join(",")}]`);
  }
  parts.push(`length ${length}`);
  let note = "";
  if (wire < 20) {
    note = ` [bad hdr length ${wire} - too short, < 20]`;
  } else if (wire > segmentLength) {
    note = ` [bad hdr length ${wire} - too long, > ${segmentLength}]`;
  }
  return `${parts.join(", ")}${note}`;
}

/** The header length the decoder used (options, padding, rounded to 4). */
function headerBytes(tcp: DecodedTcpPacket["tcp"]): number {
  let optionBytes = tcp.padding?.length ?? 0;
  for (const option of tcp.options) optionBytes += optionLength(option);
  return 20 + Math.ceil(optionBytes / 4) * 4;
}

/** Options for {@linkcode formatCapturedPacketText}. */
export interface FormatPacketTextOptions {
  /**
   * The datagram's length on the wire, when a capture cut it at its
   * snapshot length (the record's original length less its link header);
   * default the length of the bytes, which then are the whole datagram.
   */
  wireLength?: number;
}

/**
 * The `text` format of a datagram: {@linkcode describePacket} of its lenient
 * decoding, or, for bytes that are not an IP datagram carrying TCP, the
 * reason in brackets and the length. The bytes are the whole datagram; for
 * one a capture cut short, see {@linkcode formatCapturedPacketText}.
 *
 * @param bytes The datagram.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { formatPacketText } from "./tcpdump_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatPacketText(new Uint8Array([0x60, 0])),
 *   "[Cannot decode IPv6 header: buffer is 2 bytes, expected at least 40] length 2",
 * );
 * ```
 */
export function formatPacketText(bytes: Uint8Array): string {
  return formatCapturedPacketText(bytes);
}

/**
 * The `text` line of a datagram as a capture holds it: like
 * {@linkcode formatPacketText}, with the datagram's length on the wire, so
 * that one cut at the snapshot length is read as tcpdump reads it, its
 * lengths from the IP header.
 *
 * @param bytes The datagram as captured.
 * @param options Its length on the wire.
 * @returns The line.
 *
 * @example A segment of 55 bytes, the capture cut at 100 bytes of the frame
 * ```ts
 * import { formatCapturedPacketText } from "./tcpdump_line.ts";
 * import { encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({
 *   src: "192.0.2.1", dst: "192.0.2.2", srcPort: 179, dstPort: 40000,
 *   flags: 0x18, seq: 2331667507, ack: 1, payload: new Uint8Array(55),
 * }));
 * const line = formatCapturedPacketText(bytes.subarray(0, 86), { wireLength: bytes.length });
 * assert.equal(
 *   line,
 *   "IP 192.0.2.1.179 > 192.0.2.2.40000: Flags [P.], seq 2331667507:2331667562, ack 1, win 8192, length 55",
 * );
 * ```
 */
export function formatCapturedPacketText(
  bytes: Uint8Array,
  options: FormatPacketTextOptions = {},
): string {
  const wireLength = options.wireLength ?? bytes.length;
  const badLength = ipv4BadLength(bytes, wireLength);
  if (badLength !== undefined) return badLength;
  const fragmentLine = fragmentLineOf(bytes, wireLength);
  if (fragmentLine !== undefined) return fragmentLine;
  let packet: DecodedTcpPacket;
  let segmentLength: number;
  try {
    packet = decodePacket(bytes, { lenient: true });
    segmentLength = packet.truncated?.segmentLength ??
      decodeIp(bytes, { lenient: true }).payload.length -
        (packet.firstFragment && packet.ip.version === 6 ? 8 : 0);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return cutLine(bytes, wireLength) ??
      escapeControls(`[${error.message}] length ${bytes.length}`);
  }
  return describePacket(packet, { segmentLength, wireLength });
}

/**
 * tcpdump's line for an IPv4 header whose IHL is under 5 (`bad-hlen`) or
 * whose total length is less than the header (`bad-len`): tcpdump reads
 * no further, and a lenient decoder would guess.
 */
function ipv4BadLength(
  bytes: Uint8Array,
  wireLength: number,
): string | undefined {
  if (bytes.length < 20 || bytes[0]! >> 4 !== 4) return undefined;
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < 20) return `IP bad-hlen ${headerLength}`;
  const total = (bytes[2]! << 8) | bytes[3]!;
  if (total >= headerLength) return undefined;
  return `IP ${missingText(4, total, wireLength)}bad-len ${total}`;
}

/** What tcpdump writes of the IP layer of a datagram the bytes do not hold whole enough to decode. */
function cutLead(bytes: Uint8Array): IpLead | undefined {
  const version = bytes.length === 0 ? 0 : bytes[0]! >> 4;
  if (version === 4 && bytes.length >= 20) return ipv4CutLead(bytes);
  if (version === 6 && bytes.length >= 40) return ipv6CutLead(bytes);
  return undefined;
}

/**
 * tcpdump's line for a datagram carrying TCP that the bytes end in before
 * the 20th byte of its TCP header, or undefined for anything else.
 */
function cutLine(bytes: Uint8Array, wireLength: number): string | undefined {
  const lead = cutLead(bytes);
  if (lead === undefined || !lead.ends) return undefined;
  const ip = decodeIp(bytes, { lenient: true }).ip;
  return escapeControls(
    `${ip.version === 4 ? "IP" : "IP6"} ${missing(ip, wireLength)}${lead.text}`,
  );
}

/**
 * The line tcpdump prints for an IP fragment that is not a first fragment
 * holding the whole TCP header, or undefined when the bytes are not one: a
 * first fragment as its TCP segment as far as it goes (`[|tcp]`, or a
 * header longer than the fragment), a later IPv4 fragment as
 * `ip-proto-6`, a later IPv6 fragment as `frag (OFFSET|LENGTH)`.
 *
 * @param bytes The datagram.
 * @returns The line, or undefined.
 *
 * @example
 * ```ts
 * import { fragmentText } from "./tcpdump_line.ts";
 * import { fragment, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const pieces = fragment(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }), { size: 8 });
 * assert.deepEqual(pieces.map(fragmentText), [
 *   "IP 192.0.2.42.20 > 192.0.2.1.80:  [|tcp]",
 *   "IP 192.0.2.42 > 192.0.2.1: ip-proto-6",
 *   "IP 192.0.2.42 > 192.0.2.1: ip-proto-6",
 * ]);
 * ```
 */
export function fragmentText(bytes: Uint8Array): string | undefined {
  return fragmentLineOf(bytes, bytes.length);
}

/** {@linkcode fragmentText}, for a datagram of `wireLength` bytes on the wire. */
function fragmentLineOf(
  bytes: Uint8Array,
  wireLength: number,
): string | undefined {
  let decoded;
  try {
    decoded = decodeIp(bytes, { lenient: true });
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
  const { ip } = decoded;
  if (!decoded.fragment || isWholeFirstFragment(bytes)) return undefined;
  const family = ip.version === 4 ? "IP" : "IP6";
  const line = (text: string) =>
    escapeControls(`${family} ${missing(ip, wireLength)}${text}`);
  if (ip.version === 4 && ip.fragmentOffset !== 0) {
    return line(`${ip.src} > ${ip.dst}: ip-proto-${ip.protocol}`);
  }
  const lead = cutLead(bytes) ??
    (ip.version === 4 && ip.protocol === 6
      ? { text: "", ends: false }
      : undefined);
  if (lead === undefined) return undefined;
  if (lead.ends) return line(lead.text);
  // A first fragment whose TCP header runs past the fragment.
  const at = lead.tcpAt ?? decoded.payloadOffset;
  const data = bytes.subarray(at);
  if (data.length < 20) return undefined;
  const length = (claimedDatagram(ip) ?? bytes.length) - at;
  const header = (data[12]! >> 4) * 4;
  const ports = lead.text !== ""
    ? lead.text
    : `${ip.src}.${(data[0]! << 8) | data[1]!} > ${ip.dst}.${
      (data[2]! << 8) | data[3]!
    }: `;
  if (header >= 20 && header <= length) {
    // A header that fits, in a fragment header the model does not hold
    // (reserved bits set): tcpdump reads them past.
    const packet: DecodedTcpPacket = {
      ip,
      tcp: decodeTcp(data, { lenient: true }),
    };
    if (length > data.length) {
      packet.truncated = {
        segmentLength: length,
        payloadLength: length - header,
        capturedLength: data.length,
      };
    }
    return line(`${ports}${tcpPart(packet, { segmentLength: length })}`);
  }
  return line(
    header < 20
      ? `${ports} tcp ${
        length - header
      } [bad hdr length ${header} - too short, < 20]`
      : `${ports}Flags [${
        tcpdumpFlags(data[13]! | ((data[12]! & 1) << 8))
      }] [bad hdr length ${header} - too long, > ${length}]`,
  );
}

/** Whether lenient decoding reads the bytes as a first fragment with its TCP header. */
function isWholeFirstFragment(bytes: Uint8Array): boolean {
  try {
    return decodePacket(bytes, { lenient: true }).firstFragment === true;
  } catch (error) {
    if (error instanceof DecodeError) return false;
    throw error;
  }
}
