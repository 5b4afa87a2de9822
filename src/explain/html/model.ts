/**
 * What an explanation page holds, and how it is read: the packets as bytes
 * with what is needed to explain each again exactly as `explain` did (the
 * connection context a capture gave it, the length on the wire, the
 * pseudo-header of a bare segment), the capture facts of each, and the
 * packets of a capture left out and why. No DOM here: the CLI writes this
 * data into the page, and the page reads it, or makes it from a pasted
 * hex string or a dropped capture file, with the same functions.
 *
 * @module
 */

import { linkPayload, LINKTYPE } from "../../capture/link.ts";
import type { CaptureRecord } from "../../capture/types.ts";
import { DecodeError, ParseError } from "../../wire/errors.ts";
import { formatHex, parseHex } from "../../wire/hex.ts";
import { ConnectionTracker } from "../connection.ts";
import { explainPacket, explainTcpSegment } from "../packet.ts";
import type {
  ConnectionContext,
  ExplainOptions,
  Explanation,
  TcpFacts,
} from "../types.ts";

/** A packet to explain, and how: enough to explain it again the same way. */
export interface PacketInput {
  /** The IP datagram; with `segment`, a bare TCP segment. */
  bytes: Uint8Array;
  /** A bare TCP segment, with its pseudo-header's addresses when known. */
  segment?: { src?: string; dst?: string };
  /** What earlier segments of its connection said (a packet of a capture). */
  connection?: ConnectionContext;
  /** The datagram's length on the wire, when the capture cut it short. */
  wireLength?: number;
  /** Notes put before the explanation's own (an Ethernet header left out). */
  notes?: string[];
}

/** Where a packet of a capture comes from. */
export interface CaptureFacts {
  /** Its number in the capture, from 1. */
  index: number;
  /** When it was captured: seconds since 1970. */
  seconds: number;
  /** And nanoseconds. */
  nanoseconds: number;
  /** Bytes captured, link-layer header included. */
  capturedLength: number;
  /** Its length on the wire. */
  originalLength: number;
  /** The link-layer type. */
  linkType: number;
  /** pcapng: which way it went. */
  direction?: string;
  /** pcapng: its comment. */
  comment?: string;
}

/** One line of a page's packet list. */
export type PageEntry =
  | {
    /** A packet, explained on the page. */
    kind: "packet";
    /** The packet. */
    input: PacketInput;
    /** Where it comes from, for a packet of a capture. */
    capture?: CaptureFacts;
  }
  | {
    /** A packet of a capture that is not explained. */
    kind: "skipped";
    /** Why. */
    reason: string;
    /** Where it comes from. */
    capture: CaptureFacts;
  };

/** Everything a page shows. */
export interface PageData {
  /** What was explained, for the title: a file name, `hex`, `built packet`. */
  title: string;
  /** The packets, in order. */
  entries: PageEntry[];
  /** Why reading stopped early (a damaged capture), shown as one line. */
  error?: string;
}

/**
 * Explain a packet of a page, with every checksum word unless `steps` is
 * false.
 *
 * @param input The packet and how to explain it.
 * @param options `steps: false` to leave the checksum words out.
 * @returns What `explainPacket` (or `explainTcpSegment`) returns for it.
 * @throws {DecodeError} As `explainPacket`.
 *
 * @example
 * ```ts
 * import { explainInput } from "./model.ts";
 * import { parseHex } from "../../wire/hex.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = parseHex("0014029a 00000000 00000000 50292000 08e20000");
 * const explanation = explainInput({ bytes, segment: { src: "192.0.2.42", dst: "192.0.2.1" } });
 * assert.equal(explanation.checksums[0]?.status, "correct");
 * assert.equal(explanation.checksums[0]?.steps?.length, 16);
 * ```
 */
export function explainInput(
  input: PacketInput,
  options: { steps?: boolean } = {},
): Explanation {
  const explain: ExplainOptions = { steps: options.steps ?? true };
  if (input.connection !== undefined) explain.connection = input.connection;
  if (input.wireLength !== undefined) explain.wireLength = input.wireLength;
  const explanation = input.segment === undefined
    ? explainPacket(input.bytes, explain)
    : explainTcpSegment(input.bytes, { ...explain, ...input.segment });
  if (input.notes !== undefined) explanation.notes.unshift(...input.notes);
  return explanation;
}

/**
 * A {@linkcode ConnectionTracker} that also says what it knew of each
 * segment's connection, so that a page can explain the segment again on
 * its own, the same way.
 */
export class PageTracker extends ConnectionTracker {
  #last: ConnectionContext | undefined;

  /** As {@linkcode ConnectionTracker.context}, remembered. */
  override context(
    facts: Pick<TcpFacts, "src" | "dst" | "srcPort" | "dstPort">,
  ): ConnectionContext {
    const context = super.context(facts);
    this.#last = context;
    return context;
  }

  /**
   * Explain a datagram as {@linkcode ConnectionTracker.explain} does.
   *
   * @param bytes The datagram.
   * @param options As for `explainPacket`.
   * @returns The explanation, and the context it was explained with (none
   *   for what is not TCP).
   * @throws {DecodeError} As `explainPacket`.
   */
  explainWithContext(
    bytes: Uint8Array,
    options: ExplainOptions = {},
  ): { explanation: Explanation; connection?: ConnectionContext } {
    this.#last = undefined;
    const explanation = this.explain(bytes, options);
    const connection = this.#last as ConnectionContext | undefined;
    return connection === undefined || Object.keys(connection).length === 0
      ? { explanation }
      : { explanation, connection };
  }
}

/**
 * The facts of a capture record, for the page.
 *
 * @param record The record.
 * @param index Its number in the capture, from 1.
 * @returns The facts.
 */
export function captureFacts(
  record: CaptureRecord,
  index: number,
): CaptureFacts {
  const facts: CaptureFacts = {
    index,
    seconds: record.timestamp.seconds,
    nanoseconds: record.timestamp.nanoseconds,
    capturedLength: record.data.length,
    originalLength: record.originalLength,
    linkType: record.linkType,
  };
  if (record.direction !== undefined) facts.direction = record.direction;
  if (record.comment !== undefined) facts.comment = record.comment;
  return facts;
}

/**
 * Why a record is skipped, as `explain` says it: it holds no bytes, or
 * they are not an IP datagram (and an original length that cannot be right
 * is named too).
 *
 * @param record The record.
 * @returns The reason, ending `: skipped`.
 *
 * @example
 * ```ts
 * import { notIpReason } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   notIpReason({ linkType: 1, data: new Uint8Array(), originalLength: 0 }),
 *   "an empty record (0 bytes): skipped",
 * );
 * assert.equal(
 *   notIpReason({ linkType: 1, data: new Uint8Array(20) }),
 *   "not an IP datagram (link type 1, EtherType 0x0000): skipped",
 * );
 * ```
 */
export function notIpReason(
  record:
    & Pick<CaptureRecord, "linkType" | "data">
    & Partial<Pick<CaptureRecord, "originalLength" | "lengthProblem">>,
): string {
  const data = record.data;
  const original = record.originalLength ?? 0;
  if (data.length === 0) {
    return `an empty record (0 bytes${
      original > 0 ? ` captured of ${original} on the wire` : ""
    }): skipped`;
  }
  const etherType = record.linkType === LINKTYPE.ETHERNET && data.length >= 14
    ? `, EtherType 0x${
      ((data[12]! << 8) | data[13]!).toString(16).padStart(4, "0")
    }`
    : "";
  const problem = record.lengthProblem === undefined
    ? ""
    : `${record.lengthProblem}; `;
  return `${problem}not an IP datagram (link type ${record.linkType}${etherType}): skipped`;
}

/**
 * The IP datagram of a record and its length on the wire when the capture
 * cut it short, as `explain` reads them; undefined when there is none.
 *
 * @param record The record.
 * @returns The datagram and, for a cut record, its wire length.
 */
export function recordDatagram(
  record: CaptureRecord,
): { bytes: Uint8Array; wireLength?: number } | undefined {
  const ip = linkPayload(record);
  if (ip === undefined) return undefined;
  const linkHeader = ip.byteOffset - record.data.byteOffset;
  // An original length that cannot be right is no length on the wire.
  return record.originalLength > record.data.length &&
      record.lengthProblem === undefined
    ? { bytes: ip, wireLength: record.originalLength - linkHeader }
    : { bytes: ip };
}

/**
 * The entries of a page for every record of a capture, connections
 * followed as `explain` follows them: a packet that is not IP, or that no
 * IP header can be read from, is an entry that says why.
 *
 * @param records The records, in file order.
 * @returns The entries.
 *
 * @example
 * ```ts
 * import { entriesFromRecords } from "./model.ts";
 * import { LINKTYPE } from "../../capture/link.ts";
 * import { parseHex } from "../../wire/hex.ts";
 * import assert from "node:assert/strict";
 *
 * const timestamp = { seconds: 1, nanoseconds: 0 };
 * const xmas = parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
 * );
 * const entries = entriesFromRecords([
 *   { linkType: LINKTYPE.RAW, data: xmas, originalLength: 40, timestamp },
 *   { linkType: LINKTYPE.RAW, data: new Uint8Array([0x99]), originalLength: 1, timestamp },
 * ]);
 * assert.deepEqual(entries.map((e) => e.kind), ["packet", "skipped"]);
 * ```
 */
export function entriesFromRecords(
  records: Iterable<CaptureRecord>,
): PageEntry[] {
  const tracker = new PageTracker();
  const entries: PageEntry[] = [];
  let index = 0;
  for (const record of records) {
    index++;
    const capture = captureFacts(record, index);
    const datagram = recordDatagram(record);
    if (datagram === undefined) {
      entries.push({ kind: "skipped", reason: notIpReason(record), capture });
      continue;
    }
    const options: ExplainOptions = {};
    if (datagram.wireLength !== undefined) {
      options.wireLength = datagram.wireLength;
    }
    try {
      const { connection } = tracker.explainWithContext(
        datagram.bytes,
        options,
      );
      const input: PacketInput = { ...datagram };
      if (connection !== undefined) input.connection = connection;
      entries.push({ kind: "packet", input, capture });
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      entries.push({ kind: "skipped", reason: error.message, capture });
    }
  }
  return entries;
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

/**
 * Whether bytes start like a capture file, as `explain` tells a capture
 * from hex: the magic number of pcap (either byte order, micro- or
 * nanoseconds) or of a pcapng section.
 *
 * @param bytes The bytes.
 * @returns True for a capture.
 *
 * @example
 * ```ts
 * import { isCaptureFile } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isCaptureFile(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a])));
 * assert.ok(!isCaptureFile(new TextEncoder().encode("4500")));
 * ```
 */
export function isCaptureFile(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return CAPTURE_MAGICS.has(view.getUint32(0, true));
}

const TCPDUMP_OFFSET = /^\s*0x[0-9a-f]+:\s/i;

/**
 * Hex as people paste it, read as `explain` reads it: what `parseHex`
 * takes (spaces, colons, `0x`), `#` comments, and `tcpdump -x` output
 * (only its offset lines are read, without the offsets).
 *
 * @param text The text.
 * @returns The bytes.
 * @throws {ParseError} For anything else, quoting at most 40 characters.
 *
 * @example
 * ```ts
 * import { parsePastedHex } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parsePastedHex("IP 1 > 2\n\t0x0000:  4500 0028 # ip\n").length, 4);
 * assert.throws(() => parsePastedHex("45 zz"), /"z" is not a hex digit/);
 * ```
 */
export function parsePastedHex(text: string): Uint8Array {
  let lines = text.split(/\r?\n/).map((line) => line.replace(/#.*$/, ""));
  if (lines.some((line) => TCPDUMP_OFFSET.test(line))) {
    lines = lines.filter((line) => TCPDUMP_OFFSET.test(line));
  }
  const cleaned = lines.map((line) => line.replace(TCPDUMP_OFFSET, " "))
    .join("\n");
  try {
    return parseHex(cleaned);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const prefix = `Cannot parse hex bytes "${cleaned}": `;
    const reason = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    const trimmed = text.trim();
    const excerpt = trimmed.length <= 40
      ? trimmed
      : `${trimmed.slice(0, 37)}...`;
    throw new ParseError("hex bytes", excerpt, reason);
  }
}

/**
 * A packet given as bytes, read as `explain` reads hex: an IP datagram,
 * or an Ethernet frame stripped to its datagram with a note, or with
 * `segment` a bare TCP segment.
 *
 * @param bytes The bytes.
 * @param segment For a bare TCP segment: its pseudo-header's addresses, if known.
 * @returns The input.
 *
 * @example
 * ```ts
 * import { inputFromBytes } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = new Uint8Array(14 + 20);
 * frame.set([0x08, 0x00, 0x45], 12);
 * const input = inputFromBytes(frame);
 * assert.equal(input.bytes.length, 20);
 * assert.match(input.notes?.[0] ?? "", /^an Ethernet frame: the 14-byte Ethernet header is left out/);
 * ```
 */
export function inputFromBytes(
  bytes: Uint8Array,
  segment?: { src?: string; dst?: string },
): PacketInput {
  if (segment !== undefined) return { bytes, segment };
  const version = bytes.length === 0 ? -1 : bytes[0]! >> 4;
  if (version !== 4 && version !== 6) {
    const ip = linkPayload({ linkType: LINKTYPE.ETHERNET, data: bytes });
    if (ip !== undefined) {
      return {
        bytes: ip,
        notes: [
          `an Ethernet frame: the ${
            ip.byteOffset - bytes.byteOffset
          }-byte Ethernet header is left out, and offsets count from the IP header`,
        ],
      };
    }
  }
  return { bytes };
}

// ---------------------------------------------------------------------------
// The data in the page

interface EncodedInput extends Omit<PacketInput, "bytes"> {
  bytes: string;
}

type EncodedEntry =
  | { kind: "packet"; input: EncodedInput; capture?: CaptureFacts }
  | { kind: "skipped"; reason: string; capture: CaptureFacts };

/**
 * The page's data as JSON that can sit in an HTML `<script>` element: bytes
 * as hex, and every `<`, `>`, `&` and line or paragraph separator escaped
 * as `\uXXXX`, so no text from a packet or a capture (a comment holding
 * `</script>`) can end the element or be read as markup.
 *
 * @param data The data.
 * @returns The JSON text.
 *
 * @example
 * ```ts
 * import { decodePageData, encodePageData } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * const data = {
 *   title: "</script><script>alert(1)</script>",
 *   entries: [{ kind: "packet" as const, input: { bytes: new Uint8Array([0x45, 0x3c]) } }],
 * };
 * const json = encodePageData(data);
 * assert.ok(!json.includes("<"));
 * assert.deepEqual(decodePageData(json), data);
 * ```
 */
export function encodePageData(data: PageData): string {
  const entries: EncodedEntry[] = data.entries.map((entry) =>
    entry.kind === "skipped" ? entry : {
      ...entry,
      input: { ...entry.input, bytes: formatHex(entry.input.bytes) },
    }
  );
  const json = JSON.stringify({ ...data, entries });
  return json.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Read the data {@linkcode encodePageData} wrote.
 *
 * @param json The JSON text.
 * @returns The data.
 * @throws {SyntaxError} When the text is not JSON.
 * @throws {TypeError} When it is not page data.
 */
export function decodePageData(json: string): PageData {
  const value = JSON.parse(json) as {
    title?: unknown;
    entries?: unknown;
    error?: unknown;
  };
  if (typeof value.title !== "string" || !Array.isArray(value.entries)) {
    throw new TypeError("Cannot read the page's data: not tcpcraft page data");
  }
  const entries = (value.entries as EncodedEntry[]).map((entry): PageEntry =>
    entry.kind === "skipped" ? entry : {
      ...entry,
      input: { ...entry.input, bytes: parseHex(entry.input.bytes) },
    }
  );
  const data: PageData = { title: value.title, entries };
  if (typeof value.error === "string") data.error = value.error;
  return data;
}
