/**
 * How an explanation is laid out on the page, as plain data (no DOM): the
 * 32-bit rows of a header diagram with each field's pieces, where each
 * field lies in bytes, the text of the field table's columns, and the
 * packet list's columns. The page's script draws these; tests read them
 * without a browser.
 *
 * @module
 */

import type { ExplainedField, ExplainedLayer, Explanation } from "../types.ts";
import type { CaptureFacts } from "./model.ts";

/** A field of an explanation, with where it is. */
export interface FieldRef {
  /** `L.I`: the layer's index and the field's index in it. */
  id: string;
  /** The layer's index in the explanation. */
  layer: number;
  /** The field's index in its layer. */
  index: number;
  /** The field. */
  field: ExplainedField;
  /** First byte it lies in, in the explained bytes. */
  start: number;
  /** One past the last byte it lies in. */
  end: number;
}

/**
 * Every field of an explanation, in order.
 *
 * @param explanation The explanation.
 * @returns The fields, each with its id and byte range.
 */
export function fieldRefs(explanation: Explanation): FieldRef[] {
  return explanation.layers.flatMap((layer, l) =>
    layer.fields.map((field, i) => ({
      id: `${l}.${i}`,
      layer: l,
      index: i,
      field,
      start: field.byteOffset,
      end: field.byteOffset +
        Math.max(1, Math.ceil((field.bitOffset + field.bitLength) / 8)),
    }))
  );
}

/** One piece of a diagram row: a field's bits that lie in that row. */
export interface DiagramPiece {
  /** The field's index in its layer; undefined for bits no field covers. */
  field: number | undefined;
  /** The bit of the row where the piece starts, 0..31. */
  start: number;
  /** Its width in bits. */
  bits: number;
  /** Its bits, `0` and `1` (`?` where no field says). */
  text: string;
  /** Whether the field's name and value are written in this piece (one per field). */
  labelled: boolean;
}

/**
 * The 32-bit rows of a header's diagram, as RFC 9293 draws the TCP header:
 * each row split into pieces, one per field it crosses; a field wider than
 * a row continues on the next. Each field is labelled once, in its widest
 * piece (the middle one of equals).
 *
 * @param layer The header.
 * @returns The rows.
 *
 * @example
 * ```ts
 * import { diagramRows } from "./layout.ts";
 * import { explainTcpSegment } from "../packet.ts";
 * import { parseHex } from "../../wire/hex.ts";
 * import assert from "node:assert/strict";
 *
 * const layer = explainTcpSegment(parseHex("0014029a 00000000 00000000 50292000 08e20000")).layers[0]!;
 * const rows = diagramRows(layer);
 * assert.equal(rows.length, 5);
 * assert.deepEqual(rows[4]!.map((p) => [p.start, p.bits]), [[0, 16], [16, 16]]);
 * ```
 */
export function diagramRows(layer: ExplainedLayer): DiagramPiece[][] {
  const start = (f: ExplainedField) =>
    (f.byteOffset - layer.byteOffset) * 8 + f.bitOffset;
  const total = layer.fields.reduce(
    (end, f) => Math.max(end, start(f) + f.bitLength),
    layer.length * 8,
  );
  const owner: (number | undefined)[] = new Array(total).fill(undefined);
  const bits: string[] = new Array(total).fill("?");
  layer.fields.forEach((field, i) => {
    const first = start(field);
    for (let k = 0; k < field.bitLength; k++) {
      owner[first + k] = i;
      bits[first + k] = field.bits[k] ?? "?";
    }
  });
  const rows: DiagramPiece[][] = [];
  for (let rowStart = 0; rowStart < total; rowStart += 32) {
    const row: DiagramPiece[] = [];
    const end = Math.min(rowStart + 32, total);
    for (let at = rowStart; at < end;) {
      const field = owner[at];
      let stop = at + 1;
      while (stop < end && owner[stop] === field) stop++;
      row.push({
        field,
        start: at - rowStart,
        bits: stop - at,
        text: bits.slice(at, stop).join(""),
        labelled: false,
      });
      at = stop;
    }
    rows.push(row);
  }
  const pieces = rows.flat();
  layer.fields.forEach((_, i) => {
    const own = pieces.filter((p) => p.field === i);
    const widest = Math.max(...own.map((p) => p.bits));
    const candidates = own.filter((p) => p.bits === widest);
    const chosen = candidates[Math.floor((candidates.length - 1) / 2)];
    if (chosen !== undefined) chosen.labelled = true;
  });
  return rows;
}

/**
 * A field's offset within its header, as the field table shows it: the
 * byte, or `byte.bit` for a field that does not fill whole bytes (bit 0 is
 * the most significant).
 *
 * @param field The field.
 * @param layer Its header.
 * @returns The text.
 */
export function offsetText(
  field: ExplainedField,
  layer: ExplainedLayer,
): string {
  const byte = field.byteOffset - layer.byteOffset;
  return field.bitOffset === 0 && field.bitLength % 8 === 0
    ? String(byte)
    : `${byte}.${field.bitOffset}`;
}

/**
 * A field's raw bits as the field table shows them: grouped by the bytes
 * they lie in, or for a field over 32 bits its bytes in hex, four to a
 * group.
 *
 * @param field The field.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { rawText } from "./layout.ts";
 * import assert from "node:assert/strict";
 *
 * const field = { bitOffset: 3, bitLength: 13, bits: "0000000000001", hex: "0001" };
 * assert.equal(rawText(field), "00000 00000001");
 * ```
 */
export function rawText(
  field: Pick<ExplainedField, "bitOffset" | "bitLength" | "bits" | "hex">,
): string {
  if (field.bitLength > 32) {
    return `0x${(field.hex.match(/.{1,8}/g) ?? []).join(" ")}`;
  }
  let text = "";
  let bit = field.bitOffset;
  for (const c of field.bits) {
    if (text !== "" && bit % 8 === 0) text += " ";
    text += c;
    bit++;
  }
  return text;
}

/**
 * Where a field lies, in words: `bytes 16–17 of the TCP header (36–37 of
 * the packet)`, `bit 2 of byte 13 of the TCP header (byte 33 of the
 * packet)`.
 *
 * @param ref The field.
 * @param layer Its header.
 * @param whole `packet` or `segment`.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { fieldRefs, placeText } from "./layout.ts";
 * import { explainPacket } from "../packet.ts";
 * import { parseHex } from "../../wire/hex.ts";
 * import assert from "node:assert/strict";
 *
 * const e = explainPacket(parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
 * ));
 * const refs = fieldRefs(e);
 * const checksum = refs.find((r) => r.layer === 1 && r.field.key === "checksum")!;
 * assert.equal(placeText(checksum, e.layers[1]!, "packet"), "bytes 16–17 of the TCP header (36–37 of the packet)");
 * const urg = refs.find((r) => r.field.key === "flags.urg")!;
 * assert.equal(placeText(urg, e.layers[1]!, "packet"), "bit 2 of byte 13 of the TCP header (byte 33 of the packet)");
 * ```
 */
export function placeText(
  ref: FieldRef,
  layer: ExplainedLayer,
  whole: string,
): string {
  const { field, start, end } = ref;
  const range = (a: number, b: number) => a === b ? `${a}` : `${a}–${b}`;
  const inLayer = range(start - layer.byteOffset, end - 1 - layer.byteOffset);
  const absolute = range(start, end - 1);
  const bytes = start === end - 1 ? "byte" : "bytes";
  if (field.bitOffset === 0 && field.bitLength % 8 === 0) {
    return `${bytes} ${inLayer} of the ${layer.name} (${absolute} of the ${whole})`;
  }
  const bits = field.bitLength === 1
    ? `bit ${field.bitOffset}`
    : `bits ${field.bitOffset}–${field.bitOffset + field.bitLength - 1}`;
  return `${bits} of ${bytes} ${inLayer} of the ${layer.name} (${bytes} ${absolute} of the ${whole})`;
}

/** The columns of a packet's line in the page's packet list. */
export interface PacketRow {
  /** Source address and port: `192.0.2.42:20`, `[2001:db8::1]:80`. */
  source: string;
  /** Destination, the same way. */
  destination: string;
  /** The flags by name (`SYN ACK`), or the protocol when it is not TCP. */
  flags: string;
  /** Bytes explained. */
  length: number;
  /** The anomaly codes. */
  anomalies: string[];
}

function endpoint(address: string | undefined, port: number | undefined) {
  const host = address === undefined
    ? ""
    : address.includes(":")
    ? `[${address}]`
    : address;
  if (port === undefined) return host;
  return host === "" ? String(port) : `${host}:${port}`;
}

/**
 * The packet list's columns for one explained packet.
 *
 * @param explanation The explanation.
 * @returns The columns.
 *
 * @example
 * ```ts
 * import { packetRow } from "./layout.ts";
 * import { explainPacket } from "../packet.ts";
 * import { parseHex } from "../../wire/hex.ts";
 * import assert from "node:assert/strict";
 *
 * const row = packetRow(explainPacket(parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
 * )));
 * assert.deepEqual(row, {
 *   source: "192.0.2.42:20", destination: "192.0.2.1:666", flags: "FIN PSH URG",
 *   length: 40, anomalies: ["xmas", "urg-without-pointer"],
 * });
 * ```
 */
export function packetRow(explanation: Explanation): PacketRow {
  const tcp = explanation.tcp;
  const ip = explanation.layers[0];
  const ipField = (key: string) => {
    const value = ip?.kind === "tcp"
      ? undefined
      : ip?.fields.find((f) => f.key === key)?.value;
    return typeof value === "string" ? value : undefined;
  };
  const src = tcp?.src ?? ipField("src");
  const dst = tcp?.dst ?? ipField("dst");
  let flags: string;
  if (tcp !== undefined) {
    flags = tcp.flagNames.length === 0
      ? "none"
      : tcp.flagNames.map((n) => n.toUpperCase()).join(" ");
  } else {
    const protocol = ip?.fields.find((f) =>
      f.key === "protocol" || f.key === "nextHeader"
    );
    flags = protocol === undefined ? "" : `protocol ${protocol.display}`;
  }
  return {
    source: endpoint(src, tcp?.srcPort),
    destination: endpoint(dst, tcp?.dstPort),
    flags,
    length: explanation.length,
    anomalies: explanation.anomalies.map((a) => a.code),
  };
}

/**
 * A capture time as an ISO 8601 date with nanoseconds, as `explain`
 * prints it.
 *
 * @param capture The capture facts.
 * @returns The text, or `Ns` when the time is out of range.
 */
export function isoTime(
  capture: Pick<CaptureFacts, "seconds" | "nanoseconds">,
): string {
  const date = new Date(capture.seconds * 1000);
  if (!Number.isFinite(date.getTime())) return `${capture.seconds}s`;
  return `${date.toISOString().slice(0, 19)}.${
    String(capture.nanoseconds).padStart(9, "0")
  }Z`;
}

/**
 * A capture time relative to the first packet's, in seconds with six
 * decimals, as Wireshark's time column shows it.
 *
 * @param capture The packet's facts.
 * @param first The first packet's facts.
 * @returns The text: `0.000000`, `1.250031`.
 */
export function relativeTime(
  capture: Pick<CaptureFacts, "seconds" | "nanoseconds">,
  first: Pick<CaptureFacts, "seconds" | "nanoseconds">,
): string {
  const nanos = BigInt(capture.seconds - first.seconds) * 1_000_000_000n +
    BigInt(capture.nanoseconds - first.nanoseconds);
  const negative = nanos < 0n;
  const micros = (negative ? -nanos : nanos) / 1000n;
  const whole = micros / 1_000_000n;
  const fraction = String(micros % 1_000_000n).padStart(6, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/**
 * A number as four hex digits, or five for a sum that carried.
 *
 * @param value The number.
 * @returns `0x08e2`, `0x1822a`.
 */
export function hexWord(value: number): string {
  return `0x${value.toString(16).padStart(value > 0xffff ? 5 : 4, "0")}`;
}
