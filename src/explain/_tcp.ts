/**
 * The TCP header explained field by field: ports, sequence numbers
 * (relative ones when the connection is known), data offset, flags,
 * window (scaled when the handshake was seen), checksum, urgent pointer and
 * options, with the anomalies each shows, then the data and the facts.
 * Private to the explainer.
 *
 * @module
 */

import { read16 } from "../wire/bytes.ts";
import { flagNames, TCP_FLAGS, type TcpFlagName } from "../wire/flags.ts";
import { type DecodedTcpSegment, decodeTcp } from "../wire/tcp.ts";
import {
  TCP_HEADER_FIELDS,
  TCP_MIN_HEADER_LENGTH,
} from "../wire/tcp_fields.ts";
import { hex16, plural } from "../wire/text.ts";
import type { Builder } from "./_builder.ts";
import { type SegmentInfo, tcpChecksumWork } from "./_checksum.ts";
import { portMeaning, safePreview } from "./_meanings.ts";
import { explainFlags, flagAnomalies } from "./_tcp_flags.ts";
import { explainOptions } from "./_tcp_options.ts";
import type {
  ChecksumWork,
  ConnectionContext,
  ExplainedLayer,
  ExplainedPayload,
  ExplainOptions,
  TcpFacts,
} from "./types.ts";

const F = TCP_HEADER_FIELDS;
const SEQUENCE_SPACE = 0x1_0000_0000;

/** What {@linkcode explainTcp} adds to an explanation besides its layer. */
export interface ExplainedTcp {
  /** The TCP facts, when there are 20 bytes of header. */
  facts?: TcpFacts;
  /** The data after the header. */
  payload?: ExplainedPayload;
  /** The checksum, worked out. */
  checksum?: ChecksumWork;
}

/** The fields of a header cut short before 20 bytes, as far as they go. */
function explainTruncated(
  b: Builder,
  layer: ExplainedLayer,
  info: SegmentInfo,
): void {
  const { segment, base } = info;
  const length = segment.length;
  b.anomaly(
    "tcp-truncated",
    `only ${
      plural(length, "byte")
    } of TCP header: a TCP header is at least 20 bytes`,
    base + length,
  );
  for (const field of [F.srcPort, F.dstPort, F.seq, F.ack]) {
    if (field.byteOffset + field.bitLength / 8 > length) continue;
    const port = field === F.srcPort || field === F.dstPort;
    b.field(layer, field, {
      meaning: port
        ? portMeaning(read16(segment, field.byteOffset))
        : field.meaning,
    });
  }
  layer.length = layer.fields.reduce((n, f) => n + f.bitLength, 0) / 8;
}

/**
 * Where the header ends, as the data offset says, within the bytes; an
 * anomaly when the data offset is under 5 or past the end.
 */
function headerEndOf(
  b: Builder,
  dataOffset: number,
  info: SegmentInfo,
): number {
  const length = info.segment.length;
  const at = info.base + F.dataOffset.byteOffset;
  const headerEnd = dataOffset * 4;
  if (dataOffset < 5) {
    b.anomaly(
      "data-offset-too-small",
      `data offset ${dataOffset} is under 5: a TCP header is at least 5 words (20 bytes); read as 20 bytes`,
      at,
      "dataOffset",
    );
    return TCP_MIN_HEADER_LENGTH;
  }
  if (headerEnd > length) {
    b.anomaly(
      "data-offset-past-end",
      `data offset ${dataOffset} says the header is ${headerEnd} bytes, but the segment is only ${length} bytes: the header points outside the packet`,
      at,
      "dataOffset",
    );
    return length;
  }
  return headerEnd;
}

/** A sequence number relative to an initial one, when that is known. */
function relative(value: number, isn: number | undefined): number | undefined {
  return isn === undefined
    ? undefined
    : (value - isn + SEQUENCE_SPACE) % SEQUENCE_SPACE;
}

/** The sequence and acknowledgment numbers, relative when the ISNs are known. */
function explainSequence(
  b: Builder,
  layer: ExplainedLayer,
  tcp: DecodedTcpSegment,
  info: SegmentInfo,
  context: ConnectionContext,
  payloadLength: number,
): { relativeSeq?: number; relativeAck?: number } {
  const is = (name: TcpFlagName) => (tcp.flags & TCP_FLAGS[name]) !== 0;
  const relativeSeq = relative(tcp.seq, context.isn);
  let seqMeaning = is("syn")
    ? "the initial sequence number (ISN) of this direction; the SYN itself counts as one"
    : payloadLength > 0
    ? `the number of the first data byte; the ${payloadLength} bytes here are ${tcp.seq}..${
      (tcp.seq + payloadLength - 1) % SEQUENCE_SPACE
    }`
    : "the next sequence number this side will use";
  if (relativeSeq !== undefined && !is("syn")) {
    seqMeaning += ` (relative ${relativeSeq})`;
  }
  b.field(layer, F.seq, { meaning: seqMeaning });
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
      info.base + F.ack.byteOffset,
      "ack",
    );
  }
  b.field(layer, F.ack, { meaning: ackMeaning });
  const result: { relativeSeq?: number; relativeAck?: number } = {};
  if (relativeSeq !== undefined) result.relativeSeq = relativeSeq;
  if (relativeAck !== undefined && is("ack")) result.relativeAck = relativeAck;
  return result;
}

/** The data offset and the reserved bits. */
function explainOffsetAndReserved(
  b: Builder,
  layer: ExplainedLayer,
  tcp: DecodedTcpSegment,
  info: SegmentInfo,
): void {
  const { dataOffset, reserved } = tcp;
  const length = info.segment.length;
  b.field(layer, F.dataOffset, {
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
  const bits = `0b${reserved.toString(2).padStart(F.reserved.bitLength, "0")}`;
  if (reserved !== 0) {
    b.anomaly(
      "reserved-bits",
      `reserved bits are set (${bits}): senders must send 0 (RFC 9293); some firewalls drop such segments, and they can carry a covert channel`,
      info.base + F.reserved.byteOffset,
      "reserved",
    );
  }
  b.field(layer, F.reserved, {
    display: bits,
    meaning: reserved === 0 ? "0, as it must be" : "not 0: must be 0",
  });
}

/**
 * The window, scaled by the shift the handshake negotiated when it is
 * known (never a SYN's own window); returns the shift applied.
 */
function explainWindow(
  b: Builder,
  layer: ExplainedLayer,
  tcp: DecodedTcpSegment,
  context: ConnectionContext,
): number | undefined {
  const { window } = tcp;
  let shift: number | undefined;
  let meaning: string;
  if ((tcp.flags & TCP_FLAGS.syn) !== 0) {
    meaning = `${window} bytes: the window of a SYN is never scaled (RFC 7323)`;
  } else if (context.windowShift !== undefined) {
    shift = Math.min(context.windowShift, 14);
    meaning = shift === 0
      ? `${window} bytes (the handshake negotiated no window scaling)`
      : `${window} × 2^${shift} = ${
        window * 2 ** shift
      } bytes (window scale ${shift} from this side's SYN)`;
  } else {
    meaning =
      `${window} bytes, unscaled (a window scale, if any, was set in a handshake not seen here)`;
  }
  b.field(layer, F.window, {
    display: shift === undefined || shift === 0
      ? String(window)
      : `${window} (×${2 ** shift} = ${window * 2 ** shift})`,
    meaning,
  });
  return shift;
}

/** The urgent pointer, judged against the URG flag. */
function explainUrgent(
  b: Builder,
  layer: ExplainedLayer,
  tcp: DecodedTcpSegment,
  info: SegmentInfo,
): void {
  const pointer = tcp.urgentPointer;
  const at = info.base + F.urgentPointer.byteOffset;
  let meaning: string;
  if ((tcp.flags & TCP_FLAGS.urg) !== 0) {
    if (pointer === 0) {
      meaning = "0 while URG is set: points at no urgent data";
      b.anomaly(
        "urg-without-pointer",
        "URG is set but the urgent pointer is 0: there is no urgent data to point to",
        at,
        "urgentPointer",
      );
    } else {
      meaning =
        `urgent data ends ${pointer} bytes after the sequence number (seq ${
          (tcp.seq + pointer) % SEQUENCE_SPACE
        })`;
    }
  } else if (pointer !== 0) {
    meaning = "not used (URG is clear), yet not 0";
    b.anomaly(
      "pointer-without-urg",
      `the urgent pointer is ${pointer} but URG is clear: receivers ignore it; a stack sends 0, so it may be a covert channel or a crafted probe`,
      at,
      "urgentPointer",
    );
  } else {
    meaning = "not used: URG is clear";
  }
  b.field(layer, F.urgentPointer, { meaning });
}

/** An anomaly for a port 0, the source port first. */
function portZeroAnomaly(
  b: Builder,
  tcp: DecodedTcpSegment,
  base: number,
): void {
  if (tcp.srcPort !== 0 && tcp.dstPort !== 0) return;
  const field = tcp.srcPort === 0 ? F.srcPort : F.dstPort;
  const which = tcp.srcPort === 0 ? "source" : "destination";
  b.anomaly(
    "port-zero",
    `the ${which} port is 0, which is reserved: no service uses it, and scanners send it to fingerprint stacks`,
    base + field.byteOffset,
    field.key,
  );
}

/** The facts of a segment, for programs and filters. */
function factsOf(
  tcp: DecodedTcpSegment,
  info: SegmentInfo,
  payloadLength: number,
  windowShift: number | undefined,
  relatives: { relativeSeq?: number; relativeAck?: number },
): TcpFacts {
  const facts: TcpFacts = {
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags: tcp.flags,
    flagNames: flagNames(tcp.flags),
    window: tcp.window,
    payloadLength,
  };
  if (info.src !== undefined) facts.src = info.src;
  if (info.dst !== undefined) facts.dst = info.dst;
  if (info.length !== undefined && info.length > info.segment.length) {
    facts.wirePayloadLength = Math.max(
      0,
      info.length - Math.max(20, tcp.dataOffset * 4),
    );
  }
  if (windowShift !== undefined) {
    facts.windowShift = windowShift;
    facts.scaledWindow = tcp.window * 2 ** windowShift;
  }
  const announced = tcp.options.find((o) => o.kind === "wscale");
  if (announced !== undefined && announced.kind === "wscale") {
    facts.announcedWindowShift = announced.shift;
  }
  if (relatives.relativeSeq !== undefined) {
    facts.relativeSeq = relatives.relativeSeq;
  }
  if (relatives.relativeAck !== undefined) {
    facts.relativeAck = relatives.relativeAck;
  }
  return facts;
}

/**
 * Explain a TCP segment: every field of its header, its options, the
 * anomalies they show, its data, its checksum and its facts.
 *
 * @param b The explanation.
 * @param info The segment, where it is, and its pseudo-header addresses.
 * @param options `steps` and `connection`.
 * @returns The facts, the data and the checksum (nothing but the layer for
 * a header under 20 bytes).
 */
export function explainTcp(
  b: Builder,
  info: SegmentInfo,
  options: ExplainOptions,
): ExplainedTcp {
  const { base, segment } = info;
  const length = segment.length;
  const layer = b.layer(
    "tcp",
    "TCP header",
    base,
    Math.min(length, TCP_MIN_HEADER_LENGTH),
  );
  if (length < TCP_MIN_HEADER_LENGTH) {
    explainTruncated(b, layer, info);
    return {};
  }
  const tcp = decodeTcp(segment, { lenient: true });
  const context = options.connection ?? {};
  const headerEnd = headerEndOf(b, tcp.dataOffset, info);
  layer.length = headerEnd;
  const payloadLength = length - headerEnd;
  b.field(layer, F.srcPort, { meaning: portMeaning(tcp.srcPort) });
  b.field(layer, F.dstPort, { meaning: portMeaning(tcp.dstPort) });
  const relatives = explainSequence(
    b,
    layer,
    tcp,
    info,
    context,
    payloadLength,
  );
  explainOffsetAndReserved(b, layer, tcp, info);
  explainFlags(b, layer, tcp.flags);
  const windowShift = explainWindow(b, layer, tcp, context);
  const checksumField = b.field(layer, F.checksum, {
    display: hex16(tcp.checksum),
    meaning: "",
  });
  explainUrgent(b, layer, tcp, info);
  const syn = (tcp.flags & TCP_FLAGS.syn) !== 0;
  explainOptions(b, { layer, segment, base, headerEnd, syn });
  flagAnomalies(b, base, tcp.flags);
  portZeroAnomaly(b, tcp, base);
  const data = segment.subarray(headerEnd);
  const payload: ExplainedPayload = {
    byteOffset: base + headerEnd,
    length: data.length,
    bytes: data.slice(),
    preview: safePreview(data),
  };
  const work = tcpChecksumWork(
    b,
    info,
    tcp.checksum,
    headerEnd,
    options.steps ?? false,
  );
  checksumField.meaning = work.verdict;
  const facts = factsOf(tcp, info, data.length, windowShift, relatives);
  return { facts, payload, checksum: work };
}
