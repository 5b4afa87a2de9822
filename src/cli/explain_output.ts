/**
 * What `explain` prints for each packet, as a view of the output formatter:
 * `text` the RFC diagrams, field tables, checksums and anomalies of each
 * packet (a blank line between packets), or with `--brief` one line each;
 * `json` one object per packet, per line (the `ndjson` implementation).
 * Packets of a capture that are not explained (not IP, not decodable) are
 * records too: a line saying why.
 *
 * @module
 */

import type { CaptureRecord } from "../capture/mod.ts";
import { DecodeError } from "../wire/errors.ts";
import type { DecodedIpv4Header } from "../wire/ipv4.ts";
import { decodeTcp } from "../wire/tcp.ts";
import type { Explanation } from "../explain/mod.ts";
import type { PacketInput } from "../explain/html/model.ts";
import { renderExplanation } from "../explain/render.ts";
import { quote } from "./errors.ts";
import { describePacket, toJsonValue } from "./format.ts";
import type { JsonValue, OutputView } from "./output.ts";

/** Where a packet of a capture comes from: its number and its record. */
export interface CaptureEntry {
  /** The packet's number in the capture, from 1. */
  index: number;
  /** The record. */
  record: CaptureRecord;
}

/** What `explain` prints something for. */
export type ExplainRecord =
  | {
    /** A packet explained. */
    kind: "packet";
    /** The explanation. */
    explanation: Explanation;
    /** Its one-line summary. */
    summary: string;
    /** Where it comes from, for a packet of a capture. */
    entry?: CaptureEntry;
    /** The packet, to explain it again the same way (for `--html`). */
    input?: PacketInput;
    /** For a datagram reassembled from fragments: the packets they came in. */
    reassembledFrom?: number[];
  }
  | {
    /** A packet of a capture left out. */
    kind: "skipped";
    /** Where it comes from. */
    entry: CaptureEntry;
    /** Why. */
    reason: string;
  };

/** How `explain` shows packets in the `text` format. */
export interface ExplainTextOptions {
  /** One line per packet. */
  brief: boolean;
  /** Draw the header diagrams. */
  diagram: boolean;
  /** Work each checksum out word by word. */
  steps: boolean;
}

function iso(record: CaptureRecord): string {
  const { seconds, nanoseconds } = record.timestamp;
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(date.getTime())) return `${seconds}s`;
  return `${date.toISOString().slice(0, 19)}.${
    String(nanoseconds).padStart(9, "0")
  }Z`;
}

/**
 * The one-line summary of a bare TCP segment: tcpdump's line, with the
 * addresses of the pseudo-header when they are given.
 *
 * @param bytes The segment.
 * @param src The source address, if given.
 * @param dst The destination address, if given.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { segmentSummary } from "./explain_output.ts";
 * import { parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   segmentSummary(parseHex("0014029a 00000000 00000000 50022000 00000000"), undefined, undefined),
 *   "TCP 20 > 666: Flags [S], seq 0, win 8192, length 0",
 * );
 * ```
 */
export function segmentSummary(
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

/** Lines made safe for a terminal, as the explanations are. */
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

/** Rendered text without its last newline (the formatter writes one). */
function block(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

function packetText(
  record: Extract<ExplainRecord, { kind: "packet" }>,
  options: ExplainTextOptions,
): string {
  const { explanation, summary, entry } = record;
  const from = record.reassembledFrom;
  if (options.brief) {
    const prefix = entry === undefined
      ? ""
      : from === undefined
      ? `${entry.index} `
      : `${from.join("+")} `;
    return block(renderLines([`${prefix}${briefLine(summary, explanation)}`]));
  }
  const heading: string[] = [];
  if (from !== undefined) {
    heading.push(
      `Reassembled from packets ${
        from.join(", ")
      }: ${explanation.length} bytes`,
    );
  } else if (entry !== undefined) {
    const { record: capture, index } = entry;
    const facts = [
      iso(capture),
      capture.originalLength === capture.data.length
        ? `${capture.data.length} bytes`
        : `${capture.data.length} of ${capture.originalLength} bytes captured`,
    ];
    if (capture.direction !== undefined) facts.push(capture.direction);
    if (capture.comment !== undefined) {
      facts.push(`comment ${quote(capture.comment)}`);
    }
    heading.push(`Packet ${index}: ${facts.join(", ")}`);
  }
  heading.push(summary);
  return block(renderExplanation(explanation, {
    heading,
    diagram: options.diagram,
    steps: options.steps,
  }));
}

function timestampJson(record: CaptureRecord): JsonValue {
  return {
    iso: iso(record),
    seconds: record.timestamp.seconds,
    nanoseconds: record.timestamp.nanoseconds,
  };
}

function recordJson(record: ExplainRecord): JsonValue {
  if (record.kind === "skipped") {
    const { index, record: capture } = record.entry;
    return {
      index,
      timestamp: timestampJson(capture),
      capturedLength: capture.data.length,
      originalLength: capture.originalLength,
      linkType: capture.linkType,
      skipped: record.reason,
    };
  }
  const value: { [key: string]: JsonValue } = {};
  if (record.entry !== undefined) {
    const { record: capture, index } = record.entry;
    value.index = index;
    value.timestamp = timestampJson(capture);
    value.capturedLength = capture.data.length;
    value.originalLength = capture.originalLength;
    value.linkType = capture.linkType;
    if (capture.direction !== undefined) value.direction = capture.direction;
    if (capture.comment !== undefined) value.comment = capture.comment;
  }
  if (record.reassembledFrom !== undefined) {
    value.reassembledFrom = record.reassembledFrom;
  }
  value.summary = record.summary;
  Object.assign(value, toJsonValue(record.explanation));
  return value;
}

/**
 * The view of `explain`'s output for the formatter.
 *
 * @param options Brief or full, diagrams, checksum steps (text format).
 * @returns The view.
 *
 * @example
 * ```ts
 * import { explainView } from "./explain_output.ts";
 * import { explainPacket, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const view = explainView({ brief: true, diagram: true, steps: false });
 * const explanation = explainPacket(parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
 * ));
 * assert.match(
 *   view.text!({ kind: "packet", explanation, summary: "xmas" }),
 *   /^xmas \| ip checksum correct, tcp checksum correct, anomalies: xmas/,
 * );
 * ```
 */
export function explainView(
  options: ExplainTextOptions,
): OutputView<ExplainRecord, unknown> {
  return {
    separator: options.brief ? "" : "\n",
    text(record) {
      if (record.kind === "packet") return packetText(record, options);
      const { index } = record.entry;
      return block(renderLines([
        options.brief
          ? `${index} [${record.reason}]`
          : `Packet ${index}: ${record.reason}`,
      ]));
    },
    json: recordJson,
  };
}
