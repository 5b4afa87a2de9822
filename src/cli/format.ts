/**
 * How commands print packets: {@linkcode formatPacket} in one of three
 * formats, each one line with no trailing newline.
 *
 * - `text`: the line `tcpdump -nn -S` prints (without the timestamp), an
 *   IP fragment's too (`ip-proto-6`, `frag (0|24)`):
 *   `IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0`.
 *   Flags are tcpdump's letters (`F S R P . U E W e`, `none`), `seq` is
 *   shown when there is data or SYN, FIN or RST, `ack` when ACK is set,
 *   `urg` when URG is; options as tcpdump writes them. Where tcpdump is
 *   wrong or cannot say, tcpcraft says it right: the user timeout is decoded
 *   with RFC 5482's G bit (`uto 0x8005 5m`), Fast Open is `tfo cookie HEX`
 *   with one space, MPTCP is `mptcp 0xHEX` undissected, bytes a lenient
 *   decoder could not parse are `bad opt 0xHEX`, and a data offset that
 *   does not fit adds `[bad hdr length …]` at the end instead of cutting the
 *   line short. Payloads are never dissected (tcpdump does for port 80).
 * - `hex`: the whole datagram as lowercase hex.
 * - `json`: every field of the decoded packet, bytes as lowercase hex,
 *   flags as the mask and the names, each checksum with whether it is right.
 *
 * Text and JSON decode the bytes (leniently), so they show what is on the
 * wire, not what was asked for. Nothing from a packet reaches the terminal
 * unescaped: payloads are only ever printed as hex.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { flagNames, TCP_FLAGS } from "../wire/flags.ts";
import { formatHex } from "../wire/hex.ts";
import {
  type DecodedTcpPacket,
  decodeIp,
  decodePacket,
  verifyPacketChecksums,
} from "../wire/packet.ts";
import { decodeTcp } from "../wire/tcp.ts";
import { defineOptions } from "./args.ts";
import { escapeControls } from "./errors.ts";
import type { JsonValue, OutputKind, OutputView } from "./output.ts";
import { optionLength, tcpdumpOption } from "./tcpdump_option.ts";

export type { JsonValue } from "./output.ts";
export { tcpdumpOption } from "./tcpdump_option.ts";

/** The output formats. */
export const PACKET_FORMATS = ["text", "hex", "json"] as const;

/** One of {@linkcode PACKET_FORMATS}. */
export type PacketFormat = typeof PACKET_FORMATS[number];

/** The `--format` option, for commands that print packets. */
export const FORMAT_OPTIONS = defineOptions({
  format: {
    kind: "string",
    choices: PACKET_FORMATS,
    valueName: "FMT",
    help:
      "text: one tcpdump-like line | hex: the IP datagram as hex | json: every field (default text)",
    group: "Output",
  },
});

/**
 * Which output implementation writes each packet format: `text` and `hex`
 * their own, `json` one object per packet, per line (`ndjson`).
 */
export const PACKET_OUTPUT_KINDS: Readonly<Record<PacketFormat, OutputKind>> =
  Object.freeze({ text: "text", hex: "hex", json: "ndjson" });

/**
 * What the commands that print packets print for each: a record is an IP
 * datagram, shown as {@linkcode formatPacket} shows it in each format.
 *
 * @example
 * ```ts
 * import { PACKET_OUTPUT_KINDS, PACKET_VIEW } from "./format.ts";
 * import { createFormatter } from "./output.ts";
 * import { createMemoryHost } from "./host.ts";
 * import { parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const output = createFormatter(PACKET_OUTPUT_KINDS.hex, host, PACKET_VIEW);
 * output.write([parseHex("45000028")]);
 * assert.equal(host.out, "45000028\n");
 * ```
 */
export const PACKET_VIEW: OutputView<Uint8Array, unknown> = Object.freeze({
  text: formatPacketText,
  bytes: (datagram: Uint8Array) => datagram,
  json: packetJson,
});

/**
 * Format a packet (an IP datagram carrying TCP) as one line.
 *
 * @param bytes The datagram, starting with the IP header.
 * @param format `text`, `hex` or `json`.
 * @returns The line, without a newline.
 *
 * @example The Christmas-tree packet in the three formats
 * ```ts
 * import { formatPacket } from "./format.ts";
 * import { parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0
 * const bytes = parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201" +
 *     "0014029a 00000000 00000000 50292000 08e20000",
 * );
 * assert.equal(
 *   formatPacket(bytes, "text"),
 *   "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0",
 * );
 * assert.equal(formatPacket(bytes, "hex").slice(0, 8), "45000028");
 * const json = JSON.parse(formatPacket(bytes, "json"));
 * assert.deepEqual(json.tcp.flagNames, ["fin", "psh", "urg"]);
 * assert.equal(json.tcp.checksumValid, true);
 * ```
 */
export function formatPacket(bytes: Uint8Array, format: PacketFormat): string {
  switch (format) {
    case "hex":
      return formatHex(bytes);
    case "text":
      return formatPacketText(bytes);
    case "json":
      return JSON.stringify(packetJson(bytes));
  }
}

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
 * import { tcpdumpFlags } from "./format.ts";
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
   * The length of the TCP segment on the wire (the IP payload), to tell a
   * data offset past its end; estimated from the decoded header when absent.
   */
  segmentLength?: number;
}

/**
 * The tcpdump-like line of a decoded packet.
 *
 * @param packet The decoded packet.
 * @param options The segment's length on the wire.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { describePacket } from "./format.ts";
 * import { decodePacket, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = decodePacket(encodePacket(makeTcpPacket({
 *   src: "2001:db8::1", dst: "2001:db8::2", flags: 0x12, seq: 5, ack: 7,
 *   options: [{ kind: "mss", value: 1460 }],
 * })));
 * assert.equal(
 *   describePacket(packet),
 *   "IP6 2001:db8::1.20 > 2001:db8::2.80: Flags [S.], seq 5, ack 7, win 8192, options [mss 1460], length 0",
 * );
 * ```
 */
export function describePacket(
  packet: DecodedTcpPacket,
  options: DescribePacketOptions = {},
): string {
  const { ip, tcp } = packet;
  const parts: string[] = [`Flags [${tcpdumpFlags(tcp.flags)}]`];
  const length = tcp.payload.length;
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
  if (tcp.options.length > 0) {
    const shown: string[] = [];
    let optionBytes = 0;
    for (const option of tcp.options) {
      shown.push(tcpdumpOption(option));
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
  const segmentLength = options.segmentLength ?? headerBytes(tcp) + length;
  const wire = tcp.dataOffset * 4;
  let note = "";
  if (wire < 20) {
    note = ` [bad hdr length ${wire} - too short, < 20]`;
  } else if (wire > segmentLength) {
    note = ` [bad hdr length ${wire} - too long, > ${segmentLength}]`;
  }
  const family = ip.version === 4 ? "IP" : "IP6";
  return escapeControls(
    `${family} ${ip.src}.${tcp.srcPort} > ${ip.dst}.${tcp.dstPort}: ${
      parts.join(", ")
    }${note}`,
  );
}

/** The header length the decoder used (options, padding, rounded to 4). */
function headerBytes(tcp: DecodedTcpPacket["tcp"]): number {
  let optionBytes = tcp.padding?.length ?? 0;
  for (const option of tcp.options) optionBytes += optionLength(option);
  return 20 + Math.ceil(optionBytes / 4) * 4;
}

/**
 * The `text` format of a datagram: {@linkcode describePacket} of its lenient
 * decoding, or, for bytes that are not an IP datagram carrying TCP, the
 * reason in brackets and the length.
 *
 * @param bytes The datagram.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { formatPacketText } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatPacketText(new Uint8Array([0x60, 0])),
 *   "[Cannot decode IPv6 header: buffer is 2 bytes, expected at least 40] length 2",
 * );
 * ```
 */
export function formatPacketText(bytes: Uint8Array): string {
  const fragmentLine = fragmentText(bytes);
  if (fragmentLine !== undefined) return fragmentLine;
  let packet: DecodedTcpPacket;
  let segmentLength: number;
  try {
    packet = decodePacket(bytes, { lenient: true });
    segmentLength = decodeIp(bytes, { lenient: true }).payload.length;
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return escapeControls(`[${error.message}] length ${bytes.length}`);
  }
  return describePacket(packet, { segmentLength });
}

/**
 * The line tcpdump prints for an IP fragment, or undefined when the bytes
 * are not one: a first fragment as its TCP segment as far as it goes
 * (`[|tcp]` when the header is cut), a later IPv4 fragment as
 * `ip-proto-6`, an IPv6 fragment with `frag (OFFSET|LENGTH)` first.
 *
 * @param bytes The datagram.
 * @returns The line, or undefined.
 *
 * @example
 * ```ts
 * import { fragmentText } from "./format.ts";
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
  let decoded;
  try {
    decoded = decodeIp(bytes, { lenient: true });
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
  const { ip } = decoded;
  if (!decoded.fragment) return undefined;
  let first: boolean;
  let data: Uint8Array;
  let prefix: string;
  if (ip.version === 4) {
    first = ip.fragmentOffset === 0;
    data = decoded.payload;
    if (!first) {
      return escapeControls(
        `IP ${ip.src} > ${ip.dst}: ip-proto-${ip.protocol}`,
      );
    }
    prefix = `IP ${ip.src}`;
  } else {
    const header = decoded.payload;
    if (header.length < 8) return undefined;
    const word = (header[2]! << 8) | header[3]!;
    const offset = (word >> 3) * 8;
    data = header.subarray(8);
    first = offset === 0;
    const frag = `IP6 ${ip.src} > ${ip.dst}: frag (${offset}|${data.length})`;
    if (!first || header[0] !== 6) return escapeControls(frag);
    prefix = frag;
  }
  return escapeControls(firstFragmentTcp(ip.version, prefix, ip.dst, data));
}

/** The TCP part of a first fragment's line. */
function firstFragmentTcp(
  version: 4 | 6,
  prefix: string,
  dst: string,
  data: Uint8Array,
): string {
  const ports = data.length >= 4
    ? [(data[0]! << 8) | data[1]!, (data[2]! << 8) | data[3]!]
    : undefined;
  const header = data.length >= 13 ? (data[12]! >> 4) * 4 : 0;
  if (ports === undefined || header < 20 || header > data.length) {
    if (ports === undefined) return `${prefix}: [|tcp]`;
    return version === 4
      ? `${prefix}.${ports[0]} > ${dst}.${ports[1]}:  [|tcp]`
      : `${prefix} ${ports[0]} > ${ports[1]}:  [|tcp]`;
  }
  const tcp = decodeTcp(data, { lenient: true });
  const line = describePacket(
    {
      ip: {
        version: 4,
        tos: 0,
        id: 0,
        dontFragment: false,
        moreFragments: false,
        reservedBit: false,
        fragmentOffset: 0,
        ttl: 0,
        protocol: 6,
        src: "",
        dst: "",
        options: new Uint8Array(),
        ihl: 5,
        totalLength: 0,
        checksum: 0,
      },
      tcp,
    },
    { segmentLength: data.length },
  );
  const rest = line.slice(line.indexOf(": ") + 2);
  return version === 4
    ? `${prefix}.${tcp.srcPort} > ${dst}.${tcp.dstPort}: ${rest}`
    : `${prefix} ${tcp.srcPort} > ${tcp.dstPort}: ${rest}`;
}

/**
 * Convert a decoded structure to JSON values: byte arrays become lowercase
 * hex strings, `undefined` properties are left out.
 *
 * @param value A plain value: numbers, strings, booleans, arrays, objects, `Uint8Array`s.
 * @returns The JSON value.
 *
 * @example
 * ```ts
 * import { toJsonValue } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   toJsonValue({ kind: "md5", digest: new Uint8Array([0xab, 1]) }),
 *   { kind: "md5", digest: "ab01" },
 * );
 * ```
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return formatHex(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value.toString();
    case "object": {
      const result: { [key: string]: JsonValue } = {};
      for (const [key, field] of Object.entries(value)) {
        if (field !== undefined) result[key] = toJsonValue(field);
      }
      return result;
    }
    default:
      return null;
  }
}

function ordered(
  value: Record<string, JsonValue>,
  order: readonly string[],
): { [key: string]: JsonValue } {
  const result: { [key: string]: JsonValue } = {};
  for (const key of order) {
    if (Object.hasOwn(value, key)) result[key] = value[key]!;
  }
  for (const [key, field] of Object.entries(value)) {
    if (!Object.hasOwn(result, key)) result[key] = field;
  }
  return result;
}

const IPV4_ORDER = [
  "version",
  "ihl",
  "tos",
  "totalLength",
  "id",
  "reservedBit",
  "dontFragment",
  "moreFragments",
  "fragmentOffset",
  "ttl",
  "protocol",
  "checksum",
  "checksumValid",
  "src",
  "dst",
  "options",
];
const IPV6_ORDER = [
  "version",
  "trafficClass",
  "flowLabel",
  "payloadLength",
  "nextHeader",
  "hopLimit",
  "src",
  "dst",
];
const TCP_ORDER = [
  "srcPort",
  "dstPort",
  "seq",
  "ack",
  "dataOffset",
  "reserved",
  "flags",
  "flagNames",
  "window",
  "checksum",
  "checksumValid",
  "urgentPointer",
  "options",
  "padding",
  "payload",
  "payloadLength",
];

/**
 * The `json` format of a datagram as a value: `{ length, ip, tcp }` (and
 * `extensionHeaders` for IPv6) with every decoded field, `flagNames` next
 * to `flags`, `checksumValid` next to each checksum, `payloadLength` next to
 * the payload's hex. Bytes that do not decode give `{ length, error, hex }`.
 *
 * @param bytes The datagram.
 * @returns The JSON value.
 *
 * @example
 * ```ts
 * import { packetJson } from "./format.ts";
 * import { encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const json = packetJson(encodePacket(makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", payload: new Uint8Array([0x68, 0x69]),
 * }))) as { tcp: Record<string, unknown> };
 * assert.equal(json.tcp.payload, "6869");
 * assert.equal(json.tcp.payloadLength, 2);
 * assert.deepEqual(json.tcp.flagNames, ["syn"]);
 * ```
 */
export function packetJson(bytes: Uint8Array): JsonValue {
  let packet: DecodedTcpPacket;
  try {
    packet = decodePacket(bytes, { lenient: true });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return {
      length: bytes.length,
      error: error.message,
      hex: formatHex(bytes),
    };
  }
  const checks = verifyPacketChecksums(bytes);
  const ip = toJsonValue(packet.ip) as Record<string, JsonValue>;
  if (packet.ip.version === 4) ip.checksumValid = checks.ip;
  const tcp = toJsonValue(packet.tcp) as Record<string, JsonValue>;
  tcp.flagNames = flagNames(packet.tcp.flags);
  tcp.checksumValid = checks.tcp;
  tcp.payloadLength = packet.tcp.payload.length;
  const result: { [key: string]: JsonValue } = {
    length: bytes.length,
    ip: ordered(ip, packet.ip.version === 4 ? IPV4_ORDER : IPV6_ORDER),
  };
  if (packet.extensionHeaders !== undefined) {
    result.extensionHeaders = toJsonValue(packet.extensionHeaders);
  }
  result.tcp = ordered(tcp, TCP_ORDER);
  return result;
}
