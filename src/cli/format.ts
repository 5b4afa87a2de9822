/**
 * How commands print packets: {@linkcode formatPacket} in one of three
 * formats, each one line with no trailing newline.
 *
 * - `text`: the line `tcpdump -nn -S` prints (without the timestamp), an
 *   IP fragment's too (`ip-proto-6`, `frag (0|24)`):
 *   `IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0`.
 *   Flags are tcpdump's letters (`F S R P . U E W e`, `none`), `seq` is
 *   shown when there is data or SYN, FIN or RST, `ack` when ACK is set,
 *   `urg` when URG is; options as tcpdump 4.99 writes them, MPTCP
 *   dissected by subtype and MD5 with tcpdump's "can't check". Lengths
 *   come from the IP header, so a capture cut at its snapshot length reads
 *   as tcpdump reads it (`src/cli/tcpdump_line.ts`, with the record's
 *   length on the wire: {@linkcode formatCapturedPacketText}), down to the
 *   `[|tcp]` where a cut header ends. Checked against tcpdump 4.99 on real
 *   and fuzzed captures (`deno task corpus`). The differences that remain
 *   are deliberate: where tcpdump is wrong or stops short, tcpcraft says it
 *   right or goes on.
 *   - The user timeout is decoded with RFC 5482's G bit (`uto 0x8005 5m`;
 *     tcpdump: `uto 0x8005 983160`, the G bit read as the low bit).
 *   - Fast Open is `tfo cookie HEX` with one space (tcpdump: two).
 *   - AE (byte 12's low bit) is the flag `e`, as tcpdump 4.99.5 prints it
 *     (4.99.3 does not show it).
 *   - An option tcpdump cannot parse ends tcpdump's line at `[bad opt]`;
 *     tcpcraft writes the bytes a lenient decoder could not parse as
 *     `bad opt 0xHEX` (an MPTCP option tcpdump's dissector gives up on as
 *     its text then `[bad opt]`) and goes on to the length. A
 *     wrong-length option tcpdump reads as `TS val … ecr …[len 8]` and
 *     then misreads what follows is `bad opt 0xHEX` too.
 *   - A data offset that does not fit adds `[bad hdr length …]` at the
 *     end instead of cutting the line short after the flags.
 *   - Payloads are never dissected (tcpdump does for port 80, 179 …).
 *   - Bytes that are not an IP datagram carrying TCP (another protocol, a
 *     version that is neither 4 nor 6, an IP header itself cut short) are
 *     the reason in brackets and the length, where tcpdump names the
 *     protocol or writes `[|ip]`.
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
import { flagNames } from "../wire/flags.ts";
import { formatHex } from "../wire/hex.ts";
import {
  type DecodedTcpPacket,
  decodePacket,
  verifyPacketChecksums,
} from "../wire/packet.ts";
import { defineOptions } from "./args.ts";
import type { JsonValue, OutputKind, OutputView } from "./output.ts";
import { formatPacketText } from "./tcpdump_line.ts";

export type { JsonValue } from "./output.ts";
export { tcpdumpOption } from "./tcpdump_option.ts";
export {
  describePacket,
  type DescribePacketOptions,
  formatCapturedPacketText,
  formatPacketText,
  type FormatPacketTextOptions,
  fragmentText,
  tcpdumpFlags,
} from "./tcpdump_line.ts";

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
