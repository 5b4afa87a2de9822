/**
 * `tcpcraft explain`: explain TCP packets field by field, offline and
 * without privileges. Input is hex on the command line or standard input,
 * or every packet of a pcap or pcapng file; output is the RFC 9293 header
 * diagram filled with the packet's values and bits, a field table, the
 * checksums worked out and the anomalies, as text or JSON (one object per
 * line, one line per packet).
 *
 * Decisions:
 * - Hex may hold spaces, colons, `0x` prefixes, `#` comments and the
 *   offsets of `tcpdump -x` (`0x0010:`); an IP datagram is expected, an
 *   Ethernet frame (first nibble neither 4 nor 6, EtherType IPv4 or IPv6)
 *   is stripped to its datagram with a note, and `--tcp` reads a bare
 *   segment (`--src`/`--dst` give its pseudo-header).
 * - Standard input is read when the argument is `-`, or when there is no
 *   argument and standard input is not a terminal; it may hold hex or a
 *   whole capture file (recognised by its magic number).
 * - Within a capture, connections are followed ({@linkcode ConnectionTracker}),
 *   so windows are scaled where a SYN and SYN-ACK negotiated it and
 *   sequence numbers are also shown relative to the ISN.
 * - Bad hex is a usage error (exit 2); a file that cannot be read too, as
 *   for `build --data-file`; a capture that is damaged part way is explained
 *   up to the damage, then `error: Cannot decode pcap file: … at byte N`,
 *   exit 1.
 * - Nothing from a packet reaches the terminal unescaped: payload bytes are
 *   shown in hex, as `.` in the hex dump's text column, or as `\xNN`; JSON
 *   has the payload as hex and its escaped preview, and escapes every
 *   control and bidi character.
 *
 * @module
 */

import { linkPayload, LINKTYPE, openCapture } from "../../capture/mod.ts";
import type { CaptureRecord, CaptureSource } from "../../capture/mod.ts";
import { DecodeError, ParseError } from "../../wire/errors.ts";
import {
  ANOMALY_CODES,
  type AnomalyCode,
  ConnectionTracker,
  explainPacket,
  explainTcpSegment,
  type Explanation,
} from "../../explain/explain.ts";
import { renderExplanation } from "../../explain/render.ts";
import { parseFlags, TCP_FLAGS, type TcpFlagName } from "../../wire/flags.ts";
import { parseHex } from "../../wire/hex.ts";
import type { DecodedIpv4Header } from "../../wire/ipv4.ts";
import { decodeTcp } from "../../wire/tcp.ts";
import { defineOptions, type parseArgs } from "../args.ts";
import { type ArgSpec, type Command, defineCommand } from "../command.ts";
import {
  CliError,
  quote,
  reasonOf,
  UsageError,
  ValueError,
} from "../errors.ts";
import {
  describePacket,
  formatPacketText,
  type JsonValue,
  toJsonValue,
} from "../format.ts";
import type { CliHost } from "../host.ts";
import { parseAddressValue } from "../target.ts";

// ---------------------------------------------------------------------------
// --filter

/** A parsed `--filter` expression. */
export interface ExplainFilter {
  /** The expression as given. */
  text: string;
  /** Whether an explained packet passes. */
  matches(explanation: Explanation): boolean;
}

type Predicate = (explanation: Explanation) => boolean;

const FILTER_TERMS =
  "port N, src port N, dst port N, host ADDR, src ADDR, dst ADDR, flags F (exactly), syn/ack/fin/rst/psh/urg/ece/cwr/ae (set), ip, ip6, anomaly [CODE], not TERM";

function layerAddress(
  explanation: Explanation,
  key: "src" | "dst",
): string | undefined {
  const fromTcp = explanation.tcp?.[key];
  if (fromTcp !== undefined) return fromTcp;
  const field = explanation.layers[0]?.fields.find((f) => f.key === key);
  return typeof field?.value === "string" ? field.value : undefined;
}

/**
 * Parse a `--filter` expression: terms that must all hold, optionally
 * joined by `and`.
 *
 * | term | passes packets |
 * | --- | --- |
 * | `port N`, `src port N`, `dst port N` | with that TCP port (either, source, destination) |
 * | `host ADDR`, `src ADDR`, `dst ADDR` (also `src host ADDR`) | from or to that address |
 * | `flags F` | whose flags are exactly F (`SA`, `syn,ack`, `0x12`, `xmas`) |
 * | `syn`, `ack`, `fin`, `rst`, `psh`, `urg`, `ece`, `cwr`, `ae` | with that flag set |
 * | `ip`, `ip6` | of that IP version |
 * | `anomaly`, `anomaly CODE` | with any anomaly, or that one (`anomaly xmas`) |
 * | `not TERM` | where the term does not hold |
 *
 * @param text The expression.
 * @returns The filter.
 * @throws {ValueError} For a term that is not one of these.
 *
 * @example
 * ```ts
 * import { parseExplainFilter } from "./explain.ts";
 * import { encodePacket, explainPacket, makeTcpPacket } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const syn = explainPacket(encodePacket(makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", dstPort: 443,
 * })));
 * assert.ok(parseExplainFilter("dst port 443 and syn").matches(syn));
 * assert.ok(parseExplainFilter("host 192.0.2.1 not ack").matches(syn));
 * assert.ok(!parseExplainFilter("flags SA").matches(syn));
 * assert.ok(!parseExplainFilter("anomaly").matches(syn));
 * assert.throws(() => parseExplainFilter("port http"), /"http" is not a port/);
 * ```
 */
export function parseExplainFilter(text: string): ExplainFilter {
  const tokens = text.trim().split(/\s+/).filter((t) => t !== "");
  if (tokens.length === 0) {
    throw new ValueError(`empty filter; terms are ${FILTER_TERMS}`);
  }
  let at = 0;
  const next = (what: string): string => {
    const token = tokens[at++];
    if (token === undefined) {
      throw new ValueError(`${what} is missing at the end of the filter`);
    }
    return token;
  };
  const port = (): number => {
    const token = next("a port");
    if (!/^\d{1,5}$/.test(token) || Number(token) > 0xffff) {
      throw new ValueError(`${quote(token)} is not a port (0..65535)`);
    }
    return Number(token);
  };
  const address = (): string => {
    const token = next("an address");
    try {
      return parseAddressValue(token).address;
    } catch (error) {
      if (error instanceof ParseError) throw new ValueError(reasonOf(error));
      throw error;
    }
  };
  const term = (): Predicate => {
    const word = next("a term").toLowerCase();
    switch (word) {
      case "not": {
        const inner = term();
        return (e) => !inner(e);
      }
      case "port": {
        const n = port();
        return (e) => e.tcp?.srcPort === n || e.tcp?.dstPort === n;
      }
      case "host": {
        const a = address();
        return (e) =>
          layerAddress(e, "src") === a || layerAddress(e, "dst") === a;
      }
      case "src":
      case "dst": {
        const which = word;
        const kind = tokens[at]?.toLowerCase();
        if (kind === "port") {
          at++;
          const n = port();
          return (e) =>
            (which === "src" ? e.tcp?.srcPort : e.tcp?.dstPort) === n;
        }
        if (kind === "host") at++;
        const a = address();
        return (e) => layerAddress(e, which) === a;
      }
      case "flags": {
        const token = next("flags");
        let mask: number;
        try {
          mask = parseFlags(token);
        } catch (error) {
          if (error instanceof ParseError) {
            throw new ValueError(reasonOf(error));
          }
          throw error;
        }
        return (e) => e.tcp !== undefined && e.tcp.flags === mask;
      }
      case "ip":
      case "ip4":
        return (e) => e.layers[0]?.kind === "ipv4";
      case "ip6":
        return (e) => e.layers[0]?.kind === "ipv6";
      case "anomaly":
      case "anomalies":
      case "anomalous": {
        const code = tokens[at];
        if (code !== undefined && ANOMALY_CODES.includes(code as AnomalyCode)) {
          at++;
          return (e) => e.anomalies.some((a) => a.code === code);
        }
        return (e) => e.anomalies.length > 0;
      }
      case "or":
        throw new ValueError(
          '"or" is not supported: every term must hold (run explain twice for either)',
        );
      default: {
        const name = word === "ns" ? "ae" : word;
        if (Object.hasOwn(TCP_FLAGS, name)) {
          const bit = TCP_FLAGS[name as TcpFlagName];
          return (e) => e.tcp !== undefined && (e.tcp.flags & bit) !== 0;
        }
        throw new ValueError(
          `unknown term ${quote(word)}; terms are ${FILTER_TERMS}`,
        );
      }
    }
  };
  const terms: Predicate[] = [];
  while (at < tokens.length) {
    if (tokens[at]!.toLowerCase() === "and" && terms.length > 0) at++;
    terms.push(term());
  }
  return {
    text,
    matches: (e) => terms.every((t) => t(e)),
  };
}

// ---------------------------------------------------------------------------
// Hex input

/**
 * Parse hex as people paste it: what `parseHex` accepts (spaces, colons,
 * `0x` prefixes), and also `#` comments and the output of `tcpdump -x`
 * (when lines start with an offset such as `0x0010:`, only those lines are
 * read, without their offsets, so tcpdump's summary line is skipped).
 *
 * @param text The text.
 * @returns The bytes.
 * @throws {ParseError} For anything else, with a message that quotes at
 *   most a short excerpt of the text.
 *
 * @example
 * ```ts
 * import { parseHexInput } from "./explain.ts";
 * import assert from "node:assert/strict";
 *
 * const dump = [
 *   "\t0x0000:  4500 0028 0001 0000 4006 f6a3 c000 022a",
 *   "\t0x0010:  c000 0201 # and so on",
 * ].join("\n");
 * assert.equal(parseHexInput(dump).length, 20);
 * assert.throws(() => parseHexInput("45 zz"), /"z" is not a hex digit/);
 * ```
 */
export function parseHexInput(text: string): Uint8Array {
  const OFFSET = /^\s*0x[0-9a-f]+:\s/i;
  let lines = text.split(/\r?\n/).map((line) => line.replace(/#.*$/, ""));
  // tcpdump -x: keep the dump lines, not the summary line above them.
  if (lines.some((line) => OFFSET.test(line))) {
    lines = lines.filter((line) => OFFSET.test(line));
  }
  const cleaned = lines.map((line) => line.replace(OFFSET, " ")).join("\n");
  try {
    return parseHex(cleaned);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const prefix = `Cannot parse hex bytes "${cleaned}": `;
    const reason = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    const excerpt = text.trim().length <= 40 ? text.trim() : undefined;
    throw new ParseError(
      "hex bytes",
      excerpt ?? `${text.trim().slice(0, 37)}...`,
      reason,
    );
  }
}

const CAPTURE_MAGICS: ReadonlySet<number> = new Set([
  0xa1b2c3d4,
  0xd4c3b2a1,
  0xa1b23c4d,
  0x4d3cb2a1,
  0xa1b2cd34,
  0x34cdb2a1,
  0x0a0d0d0a,
]);

function isCapture(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(
    0,
    true,
  );
  return CAPTURE_MAGICS.has(magic);
}

// ---------------------------------------------------------------------------
// Options

/** The options of `explain`. */
export const EXPLAIN_OPTIONS = defineOptions({
  pcap: {
    kind: "string",
    valueName: "FILE",
    help:
      "explain every packet of this pcap or pcapng file (- for standard input)",
    group: "Input",
  },
  tcp: {
    kind: "boolean",
    help: "the bytes are a bare TCP segment, without an IP header",
    group: "Input",
  },
  src: {
    kind: "string",
    valueName: "ADDR",
    parse: parseAddressValue,
    help: "with --tcp: the source address, for the checksum's pseudo-header",
    group: "Input",
  },
  dst: {
    kind: "string",
    valueName: "ADDR",
    parse: parseAddressValue,
    help:
      "with --tcp: the destination address, for the checksum's pseudo-header",
    group: "Input",
  },
  filter: {
    kind: "string",
    valueName: "EXPR",
    parse: parseExplainFilter,
    help: `explain only packets that match, all terms holding: ${FILTER_TERMS}`,
    group: "Packets of a capture",
  },
  index: {
    kind: "number",
    min: 1,
    valueName: "N",
    help:
      "explain only packet N of the capture (the first is 1, as tshark counts)",
    group: "Packets of a capture",
  },
  count: {
    kind: "number",
    min: 1,
    valueName: "N",
    help: "stop after N packets explained",
    group: "Packets of a capture",
  },
  steps: {
    kind: "boolean",
    help:
      "work each checksum out word by word: every 16-bit word added, each carry folded, the final complement",
    group: "Output",
  },
  noDiagram: {
    kind: "boolean",
    help: "leave out the header diagrams",
    group: "Output",
  },
  brief: {
    kind: "boolean",
    help: "one line per packet: the summary, the checksums and the anomalies",
    group: "Output",
  },
  format: {
    kind: "string",
    choices: ["text", "json"],
    valueName: "FMT",
    help:
      "text: diagrams, tables and words | json: one object per packet per line, payload as hex (default text)",
    group: "Output",
  },
});

type ExplainValues = ReturnType<
  typeof parseArgs<typeof EXPLAIN_OPTIONS>
>["values"];

const ARGS: readonly ArgSpec[] = [{
  name: "HEX...",
  help:
    "the packet as hex, in one or many arguments (spaces, colons, 0x allowed); - or nothing for standard input",
  optional: true,
  variadic: true,
}];

// ---------------------------------------------------------------------------
// Output

const UNSAFE_JSON =
  /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** JSON text with every control and bidi character escaped (still valid JSON). */
function safeJson(value: JsonValue): string {
  return JSON.stringify(value).replace(
    UNSAFE_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function iso(record: CaptureRecord): string {
  const { seconds, nanoseconds } = record.timestamp;
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(date.getTime())) return `${seconds}s`;
  return `${date.toISOString().slice(0, 19)}.${
    String(nanoseconds).padStart(9, "0")
  }Z`;
}

function segmentSummary(
  bytes: Uint8Array,
  src: string | undefined,
  dst: string | undefined,
): string {
  let tcp;
  try {
    tcp = decodeTcp(bytes, { lenient: true });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return `[${error.message}] length ${bytes.length}`;
  }
  const ip: DecodedIpv4Header = {
    version: 4,
    tos: 0,
    id: 0,
    dontFragment: false,
    moreFragments: false,
    reservedBit: false,
    fragmentOffset: 0,
    ttl: 0,
    protocol: 6,
    src: src ?? "",
    dst: dst ?? "",
    options: new Uint8Array(),
    ihl: 5,
    totalLength: 0,
    checksum: 0,
  };
  const line = describePacket({ ip, tcp }, { segmentLength: bytes.length });
  const rest = line.slice(line.indexOf(": ") + 2);
  return src === undefined || dst === undefined
    ? `TCP ${tcp.srcPort} > ${tcp.dstPort}: ${rest}`
    : `TCP ${src}.${tcp.srcPort} > ${dst}.${tcp.dstPort}: ${rest}`;
}

function briefLine(summary: string, explanation: Explanation): string {
  const checks = explanation.checksums.map((work) =>
    `${work.kind === "tcp" ? "tcp" : "ip"} checksum ${work.status}${
      work.note === undefined ? "" : " (checksum offload?)"
    }`
  );
  const codes = explanation.anomalies.map((a) => a.code);
  return `${summary} | ${
    [
      ...checks,
      ...(codes.length === 0
        ? ["no anomalies"]
        : [`anomalies: ${codes.join(", ")}`]),
    ].join(", ")
  }`;
}

interface Printer {
  packet(
    explanation: Explanation,
    summary: string,
    record?: { index: number; record: CaptureRecord },
  ): void;
  skipped(index: number, record: CaptureRecord, reason: string): void;
}

function printer(host: CliHost, values: ExplainValues): Printer {
  const format = values.format ?? "text";
  const brief = values.brief === true;
  let printed = 0;
  return {
    packet(explanation, summary, entry) {
      if (format === "json") {
        const value: { [key: string]: JsonValue } = {};
        if (entry !== undefined) {
          const { record, index } = entry;
          value.index = index;
          value.timestamp = {
            iso: iso(record),
            seconds: record.timestamp.seconds,
            nanoseconds: record.timestamp.nanoseconds,
          };
          value.capturedLength = record.data.length;
          value.originalLength = record.originalLength;
          value.linkType = record.linkType;
          if (record.direction !== undefined) {
            value.direction = record.direction;
          }
          if (record.comment !== undefined) value.comment = record.comment;
        }
        value.summary = summary;
        Object.assign(value, toJsonValue(explanation));
        host.stdout(`${safeJson(value)}\n`);
        return;
      }
      if (brief) {
        const prefix = entry === undefined ? "" : `${entry.index} `;
        host.stdout(
          renderLines([`${prefix}${briefLine(summary, explanation)}`]),
        );
        return;
      }
      const heading: string[] = [];
      if (entry !== undefined) {
        const { record, index } = entry;
        const facts = [
          iso(record),
          record.originalLength === record.data.length
            ? `${record.data.length} bytes`
            : `${record.data.length} of ${record.originalLength} bytes captured`,
        ];
        if (record.direction !== undefined) facts.push(record.direction);
        if (record.comment !== undefined) {
          facts.push(`comment ${quote(record.comment)}`);
        }
        heading.push(`Packet ${index}: ${facts.join(", ")}`);
      }
      heading.push(summary);
      host.stdout(
        `${printed > 0 ? "\n" : ""}${
          renderExplanation(explanation, {
            heading,
            diagram: values.noDiagram !== true,
            steps: values.steps === true,
          })
        }`,
      );
      printed++;
    },
    skipped(index, record, reason) {
      if (format === "json") {
        host.stdout(
          `${
            safeJson({
              index,
              timestamp: {
                iso: iso(record),
                seconds: record.timestamp.seconds,
                nanoseconds: record.timestamp.nanoseconds,
              },
              capturedLength: record.data.length,
              originalLength: record.originalLength,
              linkType: record.linkType,
              skipped: reason,
            })
          }\n`,
        );
        return;
      }
      const line = brief
        ? `${index} [${reason}]`
        : `Packet ${index}: ${reason}`;
      host.stdout(renderLines([`${!brief && printed > 0 ? "\n" : ""}${line}`]));
      if (!brief) printed++;
    },
  };
}

function renderLines(lines: string[]): string {
  return renderExplanation(
    {
      kind: "packet",
      length: 0,
      layers: [],
      checksums: [],
      anomalies: [],
      notes: [],
    },
    { heading: lines },
  ).replace(/\n\nAnomalies: none\n$/, "\n");
}

// ---------------------------------------------------------------------------
// Running

async function explainCapture(
  source: CaptureSource,
  values: ExplainValues,
  host: CliHost,
): Promise<number> {
  let file;
  try {
    file = await openCapture(source);
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new CliError(error.message, { cause: error });
    }
    throw error;
  }
  const out = printer(host, values);
  const tracker = new ConnectionTracker();
  const filter = values.filter;
  let index = 0;
  let shown = 0;
  try {
    for await (const record of file.records) {
      index++;
      if (values.index !== undefined && index > values.index) break;
      const quiet = values.index !== undefined && index !== values.index;
      const ip = linkPayload(record);
      if (ip === undefined) {
        if (!quiet && filter === undefined) {
          out.skipped(
            index,
            record,
            `not an IP datagram (link type ${record.linkType}${
              record.linkType === LINKTYPE.ETHERNET && record.data.length >= 14
                ? `, EtherType 0x${
                  ((record.data[12]! << 8) | record.data[13]!).toString(16)
                    .padStart(4, "0")
                }`
                : ""
            }): skipped`,
          );
        }
        continue;
      }
      const linkHeader = ip.byteOffset - record.data.byteOffset;
      const wireLength = record.originalLength > record.data.length
        ? record.originalLength - linkHeader
        : undefined;
      let explanation: Explanation;
      try {
        explanation = tracker.explain(ip, {
          steps: values.steps === true,
          ...(wireLength === undefined ? {} : { wireLength }),
        });
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        if (!quiet && filter === undefined) {
          out.skipped(index, record, error.message);
        }
        continue;
      }
      if (quiet) continue;
      if (filter !== undefined && !filter.matches(explanation)) continue;
      out.packet(explanation, formatPacketText(ip), { index, record });
      shown++;
      if (values.count !== undefined && shown >= values.count) break;
    }
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new CliError(error.message, { cause: error });
    }
    throw error;
  }
  if (values.index !== undefined && index < values.index) {
    throw new CliError(
      `--index ${values.index}: the capture has only ${index} packet${
        index === 1 ? "" : "s"
      }`,
    );
  }
  if (shown === 0 && filter !== undefined && values.format !== "json") {
    host.stderr(
      `no packet of the ${index} read matches the filter ${
        quote(filter.text)
      }\n`,
    );
  }
  return 0;
}

function explainBytes(
  bytes: Uint8Array,
  values: ExplainValues,
  host: CliHost,
): number {
  const out = printer(host, values);
  const steps = values.steps === true;
  if (values.tcp) {
    const src = values.src?.address;
    const dst = values.dst?.address;
    const explanation = explainTcpSegment(bytes, {
      steps,
      ...(src === undefined ? {} : { src }),
      ...(dst === undefined ? {} : { dst }),
    });
    out.packet(explanation, segmentSummary(bytes, src, dst));
    return 0;
  }
  let datagram = bytes;
  let note: string | undefined;
  const version = bytes.length === 0 ? -1 : bytes[0]! >> 4;
  if (version !== 4 && version !== 6) {
    const ip = linkPayload({ linkType: LINKTYPE.ETHERNET, data: bytes });
    if (ip !== undefined) {
      datagram = ip;
      note = `an Ethernet frame: the ${
        ip.byteOffset - bytes.byteOffset
      }-byte Ethernet header is left out, and offsets count from the IP header`;
    }
  }
  let explanation: Explanation;
  try {
    explanation = explainPacket(datagram, { steps });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const hint = version !== 4 && version !== 6 && bytes.length > 0
      ? ` (byte 0 is 0x${
        bytes[0]!.toString(16).padStart(2, "0")
      }; give --tcp for a bare TCP segment)`
      : "";
    throw new CliError(`${error.message}${hint}`, { cause: error });
  }
  if (note !== undefined) explanation.notes.unshift(note);
  out.packet(explanation, formatPacketText(datagram));
  return 0;
}

function checkCombinations(values: ExplainValues, positionals: string[]): void {
  if (values.pcap !== undefined && positionals.length > 0) {
    throw new UsageError(
      `--pcap: conflicts with the HEX argument ${
        quote(positionals[0]!)
      }; give one input`,
    );
  }
  if (values.tcp && values.pcap !== undefined) {
    throw new UsageError(
      "--tcp: a capture holds whole packets; --tcp is for a bare segment given as hex",
    );
  }
  for (const key of ["src", "dst"] as const) {
    if (values[key] !== undefined && !values.tcp) {
      throw new UsageError(
        `--${key}: only with --tcp (an IP datagram carries its own addresses)`,
      );
    }
  }
  if ((values.src === undefined) !== (values.dst === undefined)) {
    throw new UsageError(
      `${
        values.src === undefined ? "--src" : "--dst"
      }: missing; the pseudo-header needs both --src and --dst`,
    );
  }
  if (
    values.src !== undefined && values.dst !== undefined &&
    values.src.family !== values.dst.family
  ) {
    throw new UsageError(
      `--dst: ${values.dst.address} is IPv${values.dst.family} but --src ${values.src.address} is IPv${values.src.family}`,
    );
  }
  const captureOnly = (["filter", "index", "count"] as const).find((key) =>
    values[key] !== undefined
  );
  if (
    captureOnly !== undefined && values.pcap === undefined &&
    positionals.length > 0 && positionals[0] !== "-"
  ) {
    throw new UsageError(
      `--${captureOnly}: only for the packets of a capture (--pcap FILE, or a capture on standard input)`,
    );
  }
}

async function runExplain(
  values: ExplainValues,
  positionals: string[],
  host: CliHost,
): Promise<number> {
  checkCombinations(values, positionals);
  if (values.pcap !== undefined && values.pcap !== "-") {
    const path = values.pcap;
    let source: CaptureSource;
    try {
      source = host.files !== undefined
        ? await host.files.openRead(path)
        : await host.readFile(path);
    } catch (error) {
      throw new UsageError(
        `--pcap: cannot read ${quote(path)}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    return await explainCapture(source, values, host);
  }
  let bytes: Uint8Array;
  const fromStdin = values.pcap === "-" ||
    (positionals.length === 1 && positionals[0] === "-") ||
    positionals.length === 0;
  if (fromStdin) {
    if (
      positionals.length === 0 && values.pcap === undefined &&
      host.isTerminal.stdin
    ) {
      throw new UsageError(
        "missing HEX (the packet as hex), --pcap FILE, or - for standard input",
      );
    }
    const input = await host.readStdin();
    if (values.pcap === "-" || isCapture(input)) {
      return await explainCapture(input, values, host);
    }
    bytes = hexOrUsage(new TextDecoder().decode(input), "standard input");
    const captureOnly = (["filter", "index", "count"] as const).find((key) =>
      values[key] !== undefined
    );
    if (captureOnly !== undefined) {
      throw new UsageError(
        `--${captureOnly}: only for the packets of a capture, and standard input holds hex`,
      );
    }
  } else {
    if (positionals.includes("-")) {
      throw new UsageError(
        "HEX: - (standard input) cannot be mixed with hex arguments",
      );
    }
    bytes = hexOrUsage(positionals.join(" "), "HEX");
  }
  if (bytes.length === 0) {
    throw new UsageError(
      fromStdin
        ? "standard input holds no hex bytes"
        : "HEX: no hex bytes given",
    );
  }
  return explainBytes(bytes, values, host);
}

function hexOrUsage(text: string, where: string): Uint8Array {
  try {
    return parseHexInput(text);
  } catch (error) {
    if (error instanceof ParseError) {
      throw new UsageError(`${where}: ${reasonOf(error)}`, { cause: error });
    }
    throw error;
  }
}

/**
 * The `explain` command. The hex of a packet may come in any number of
 * arguments: its one argument, HEX..., is variadic.
 *
 * @example
 * ```ts
 * import { explainCommand } from "./explain.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const hex = [
 *   "45000028", "00010000", "4006f6a3", "c000022a", "c0000201",
 *   "0014029a", "00000000", "00000000", "50292000", "08e20000",
 * ];
 * const code = await explainCommand.run([...hex, "--brief"], { host, meta: { version: "0" } });
 * assert.equal(code, 0);
 * assert.equal(
 *   host.out,
 *   "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0 | ip checksum correct, tcp checksum correct, anomalies: xmas, urg-without-pointer\n",
 * );
 * ```
 */
export const explainCommand: Command = defineCommand({
  name: "explain",
  summary:
    "explain a TCP packet field by field: header diagram, field table, checksums worked out, anomalies; offline",
  description: [
    "Reads an IP datagram (or with --tcp a bare TCP segment) as hex from the arguments or",
    "standard input, or every packet of a pcap or pcapng file. Prints each header as the",
    "RFC diagram filled with the packet's values and bits, a table of every field (offset,",
    "raw bits, value, meaning), both checksums worked out, and the anomalies: Christmas tree,",
    "NULL, SYN+FIN, SYN+RST, URG and urgent pointer disagreeing, an ACK number without ACK,",
    "reserved bits, a data offset outside the packet, option lengths, options after EOL,",
    "IPv4 lengths and checksums. Needs no privileges and sends nothing.",
  ].join("\n"),
  usage: "[HEX... | - | --pcap FILE] [OPTIONS]",
  args: ARGS,
  options: EXPLAIN_OPTIONS,
  examples: [
    {
      comment: "The Christmas-tree packet",
      command:
        "tcpcraft explain 45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
    },
    {
      comment:
        "What build makes, with the TCP checksum worked out word by word",
      command:
        "tcpcraft build 192.0.2.1:80 --src 192.0.2.42 --format hex | tcpcraft explain --steps",
    },
    {
      comment: "A bare TCP segment, its checksum over a given pseudo-header",
      command:
        "tcpcraft explain --tcp --src 192.0.2.42 --dst 192.0.2.1 0014029a 00000000 00000000 50292000 08e20000",
    },
    {
      comment: "Only the SYNs to port 80 of a capture, one line each",
      command:
        "tcpcraft explain --pcap capture.pcapng --filter 'dst port 80 and flags S' --brief",
    },
    {
      comment: "The packets of a live capture that have anomalies, as JSON",
      command:
        "tcpdump -w - -c 1000 -i eth0 tcp | tcpcraft explain - --filter anomaly --format json",
    },
  ],
  run({ values, positionals }, { host }) {
    return runExplain(values, positionals, host);
  },
});
