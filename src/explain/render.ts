/**
 * Draw an {@linkcode Explanation} as text: the RFC 9293 header diagram
 * (32-bit rows, one cell per field) filled with this packet's values and
 * bits, a field table (name, offset, width, raw bits, value, meaning), the
 * checksums worked out (optionally word by word), the anomalies, and the
 * data as a hex dump.
 *
 * Whatever the packet holds, the text contains no control character but
 * `\n`: payload bytes outside printable ASCII are shown as `.` (hex dump)
 * or `\xNN`, and every line is escaped before it is returned.
 *
 * @module
 */

import type {
  ChecksumWork,
  ExplainedField,
  ExplainedLayer,
  Explanation,
} from "./types.ts";
import { formatHex } from "../wire/hex.ts";

/** What {@linkcode renderExplanation} prints. */
export interface RenderExplanationOptions {
  /** Lines printed first (a title, the tcpdump-like summary). */
  heading?: readonly string[];
  /** Draw the header diagrams (default true). */
  diagram?: boolean;
  /** Print every word of each checksum, when the explanation has them (default true). */
  steps?: boolean;
  /** Largest number of data bytes dumped (default 256). */
  maxPayload?: number;
}

// C0, DEL, C1, zero-width and bidi controls, line/paragraph separators.
const CONTROLS =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Make text safe for a terminal: every control character but `\n` becomes a
 * visible escape (`\x1b`, `\u202e`).
 *
 * @param text Any text.
 * @returns The text, escaped.
 *
 * @example
 * ```ts
 * import { terminalSafe } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(terminalSafe("a\u001b[2Jb\nc\r"), "a\\x1b[2Jb\nc\\x0d");
 * ```
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

// ---------------------------------------------------------------------------
// The diagram

interface Piece {
  field: ExplainedField | undefined;
  /** Bit in the row where the piece starts, 0..31. */
  start: number;
  /** Width in bits. */
  bits: number;
  /** The piece's bits. */
  text: string;
  labelled: boolean;
}

function relativeBit(field: ExplainedField, layer: ExplainedLayer): number {
  return (field.byteOffset - layer.byteOffset) * 8 + field.bitOffset;
}

function center(text: string, width: number): string {
  if (text.length >= width) return text.slice(0, width);
  const left = Math.floor((width - text.length) / 2);
  return " ".repeat(left) + text + " ".repeat(width - text.length - left);
}

function wrapWords(text: string, width: number): string[] | undefined {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (word.length > width) return undefined;
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}

function cellName(field: ExplainedField): string {
  return field.name.replace(/^Option: /, "");
}

/** The lines of text in a cell `width` characters wide. */
function cellLabel(field: ExplainedField, width: number): string[] {
  const name = cellName(field);
  const short = field.abbreviation;
  const value = field.display;
  const fits = (lines: string[]) => lines.every((l) => l.length <= width);
  if (width === 1) return [...short.slice(0, 4)];
  const named = (label: string) => value === "" ? [label] : [label, value];
  const candidates: string[][] = [
    named(name),
    [`${short} = ${value}`],
    named(short),
  ];
  const wrapped = wrapWords(name, width);
  if (wrapped !== undefined) candidates.splice(1, 0, [...wrapped, value]);
  // Wide cells read best on one line; narrow ones as name over value.
  if (value === "") candidates.unshift([name]);
  else if (width >= 15) candidates.unshift([`${name} = ${value}`]);
  for (const lines of candidates) if (fits(lines)) return lines;
  if (short.length <= width) return [short];
  return [short.slice(0, width)];
}

/**
 * The 32-bit-row diagram of one header, as RFC 9293 draws the TCP header,
 * with each field's name, value and bits in its cell. Fields that cross a
 * row boundary (addresses, options) continue on the next row, without a
 * line between the parts.
 *
 * @param layer A layer of an {@linkcode Explanation}.
 * @returns The lines of the diagram, without a final newline.
 *
 * @example
 * ```ts
 * import { encodeTcp, explainTcpSegment } from "../../mod.ts";
 * import { renderHeaderDiagram } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const segment = encodeTcp({
 *   srcPort: 20, dstPort: 666, seq: 0, ack: 0, flags: 0x29, window: 8192,
 *   urgentPointer: 0, options: [], payload: new Uint8Array(), checksum: 0x08e2,
 * });
 * const lines = renderHeaderDiagram(explainTcpSegment(segment).layers[0]!).split("\n");
 * assert.equal(lines[3], "|       Source Port = 20        |    Destination Port = 666     |");
 * assert.equal(lines[4], "|0 0 0 0 0 0 0 0 0 0 0 1 0 1 0 0|0 0 0 0 0 0 1 0 1 0 0 1 1 0 1 0|");
 * ```
 */
export function renderHeaderDiagram(layer: ExplainedLayer): string {
  // Lay the fields out bit by bit, filling gaps with unnamed cells.
  const total = layer.fields.reduce(
    (end, f) => Math.max(end, relativeBit(f, layer) + f.bitLength),
    0,
  );
  const rows: Piece[][] = [];
  const owner: (ExplainedField | undefined)[] = new Array(total);
  const bitText: string[] = new Array(total).fill("?");
  for (const field of layer.fields) {
    const start = relativeBit(field, layer);
    for (let i = 0; i < field.bitLength; i++) {
      owner[start + i] = field;
      bitText[start + i] = field.bits[i] ?? "?";
    }
  }
  for (let rowStart = 0; rowStart < total; rowStart += 32) {
    const row: Piece[] = [];
    const end = Math.min(rowStart + 32, total);
    let at = rowStart;
    while (at < end) {
      const field = owner[at];
      let stop = at + 1;
      while (stop < end && owner[stop] === field) stop++;
      row.push({
        field,
        start: at - rowStart,
        bits: stop - at,
        text: bitText.slice(at, stop).join(" "),
        labelled: false,
      });
      at = stop;
    }
    rows.push(row);
  }
  // Label each field once: in its widest piece (the middle one of equals).
  for (const field of layer.fields) {
    const pieces = rows.flat().filter((p) => p.field === field);
    const widest = Math.max(...pieces.map((p) => p.bits));
    const candidates = pieces.filter((p) => p.bits === widest);
    const chosen = candidates[Math.floor((candidates.length - 1) / 2)];
    if (chosen !== undefined) chosen.labelled = true;
  }

  const lines: string[] = [
    " 0                   1                   2                   3",
    " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
  ];
  const ownerAt = (row: number, bit: number) =>
    bit < 0 || bit >= 32 ? undefined : owner[row * 32 + bit];
  const exists = (row: number, bit: number) =>
    row >= 0 && row < rows.length && bit >= 0 && bit < 32 &&
    row * 32 + bit < total;
  const separator = (above: number) => {
    // The line between row `above` and row `above + 1`.
    const width = Math.max(
      ...[above, above + 1].filter((r) => r >= 0 && r < rows.length).map((r) =>
        Math.min(32, total - r * 32)
      ),
    );
    const spans = (bit: number) =>
      exists(above, bit) && exists(above + 1, bit) &&
      ownerAt(above, bit) === ownerAt(above + 1, bit);
    let line = "";
    for (let bit = 0; bit <= width; bit++) {
      if (bit === 0 || bit === width) line += "+";
      else if (spans(bit - 1) && spans(bit)) {
        line += ownerAt(above, bit - 1) === ownerAt(above, bit) ? " " : "|";
      } else line += "+";
      if (bit < width) line += spans(bit) ? " " : "-";
    }
    return line;
  };
  lines.push(separator(-1));
  rows.forEach((row, r) => {
    const labels = row.map((piece) =>
      piece.labelled && piece.field !== undefined
        ? cellLabel(piece.field, 2 * piece.bits - 1)
        : []
    );
    const height = Math.max(1, ...labels.map((l) => l.length));
    for (let k = 0; k < height; k++) {
      let line = "|";
      row.forEach((piece, i) => {
        const label = labels[i]!;
        const top = Math.floor((height - label.length) / 2);
        const text = label[k - top] ?? "";
        line += `${center(text, 2 * piece.bits - 1)}|`;
      });
      lines.push(line);
    }
    lines.push(`|${row.map((piece) => `${piece.text}|`).join("")}`);
    lines.push(separator(r));
  });
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// The table

function rawText(field: ExplainedField): string {
  if (field.bitLength > 32) {
    const hex = field.hex;
    const groups = hex.match(/.{1,8}/g) ?? [];
    const shown = groups.slice(0, 4).join(" ");
    return `0x${shown}${groups.length > 4 ? " …" : ""}`;
  }
  // Group the bits by the bytes they lie in.
  let text = "";
  let bit = field.bitOffset;
  for (const c of field.bits) {
    if (text !== "" && bit % 8 === 0) text += " ";
    text += c;
    bit++;
  }
  return text;
}

function offsetText(field: ExplainedField, layer: ExplainedLayer): string {
  const byte = field.byteOffset - layer.byteOffset;
  return field.bitOffset === 0 && field.bitLength % 8 === 0
    ? String(byte)
    : `${byte}.${field.bitOffset}`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * The field table of one header: name, offset within the header
 * (`byte.bit` for fields that do not fill whole bytes; bit 0 is the most
 * significant), width in bits, raw bits (hex for fields over 32 bits),
 * value and meaning.
 *
 * @param layer A layer of an {@linkcode Explanation}.
 * @returns The table's lines, without a final newline.
 *
 * @example
 * ```ts
 * import { encodeTcp, explainTcpSegment } from "../../mod.ts";
 * import { renderFieldTable } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const segment = encodeTcp({
 *   srcPort: 20, dstPort: 666, seq: 0, ack: 0, flags: 0x29, window: 8192,
 *   urgentPointer: 0, options: [], payload: new Uint8Array(), checksum: 0x08e2,
 * });
 * const table = renderFieldTable(explainTcpSegment(segment).layers[0]!);
 * assert.match(table, /^URG +13\.2 +1 +1 +1 +set: the urgent pointer is significant$/m);
 * ```
 */
export function renderFieldTable(layer: ExplainedLayer): string {
  const rows = layer.fields.map((field) => [
    field.name,
    offsetText(field, layer),
    String(field.bitLength),
    rawText(field),
    clip(field.display, 40),
    field.meaning,
  ]);
  const header = ["Field", "Offset", "Bits", "Raw", "Value", "Meaning"];
  const all = [header, ...rows];
  const widths = header.map((_, i) =>
    Math.max(...all.map((r) => r[i]!.length))
  );
  return all.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!))
      .join("  ").trimEnd()
  ).join("\n");
}

// ---------------------------------------------------------------------------
// Checksums

function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}

function hexSum(value: number): string {
  return `0x${value.toString(16).padStart(value > 0xffff ? 5 : 4, "0")}`;
}

/** Options for {@linkcode renderChecksumWork}. */
export interface RenderChecksumOptions {
  /** Print every word summed, when the work has them (default true). */
  steps?: boolean;
}

/**
 * A checksum worked out, in words: the pseudo-header, the sum, the
 * complement and the verdict; with `steps`, every 16-bit word added, the
 * running sum, and each carry folded back in.
 *
 * @param work A checksum of an {@linkcode Explanation}.
 * @param options Whether to print the steps.
 * @returns The lines, without a final newline.
 *
 * @example
 * ```ts
 * import { explainPacket, parseHex } from "../../mod.ts";
 * import { renderChecksumWork } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201" +
 *     "0014029a 00000000 00000000 50292000 08e20000",
 * );
 * const work = explainPacket(bytes, { steps: true }).checksums[1]!;
 * const text = renderChecksumWork(work);
 * assert.match(text, /0xc22a \+ 0xc000 = 0x1822a, carry folded: 0x822b/);
 * assert.match(text, /complement: ~0xf71d = 0x08e2/);
 * ```
 */
export function renderChecksumWork(
  work: ChecksumWork,
  options: RenderChecksumOptions = {},
): string {
  const lines: string[] = [
    `${work.name} (stored at byte ${work.byteOffset}): ${work.verdict}`,
  ];
  const pseudo = work.pseudoHeader;
  if (pseudo !== undefined) {
    lines.push(
      `  pseudo-header: source ${pseudo.src}, destination ${pseudo.dst}, zero, protocol ${pseudo.protocol}, TCP length ${pseudo.length}`,
      `  pseudo-header bytes: ${
        (formatHex(pseudo.bytes).match(/.{1,8}/g) ?? []).join(" ")
      }`,
    );
    if (pseudo.note !== undefined) lines.push(`  (${pseudo.note})`);
  }
  if (work.note !== undefined) lines.push(`  (${work.note})`);
  if (work.sum === undefined || work.computed === undefined) {
    return lines.join("\n");
  }
  const steps = options.steps ?? true;
  if (steps && work.steps !== undefined) {
    lines.push(
      "  one's complement sum of 16-bit words (RFC 1071): add each word; a carry out of 16 bits is added back in",
    );
    const sums = work.steps.map((step) =>
      `${hex16(step.before)} + ${hex16(step.word)} = ${hexSum(step.sum)}${
        step.carry ? `, carry folded: ${hex16(step.folded)}` : ""
      }`
    );
    const width = Math.max(...sums.map((s) => s.length));
    work.steps.forEach((step, i) => {
      lines.push(`    ${sums[i]!.padEnd(width)}  ${step.from}`);
    });
  }
  lines.push(
    `  sum ${hex16(work.sum)} (${
      pseudo === undefined ? "" : "pseudo-header, "
    }${work.covered.length} bytes from byte ${work.covered.byteOffset}, checksum field counted as 0)`,
    `  complement: ~${hex16(work.sum)} = ${hex16(work.computed)}`,
    `  stored ${hex16(work.stored)}: ${work.status}`,
  );
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// The data

/**
 * A hex dump in the style of `hexdump -C`: offset, 16 bytes in hex, and the
 * bytes as text with `.` for anything that is not printable ASCII.
 *
 * @param bytes The bytes.
 * @param options `offset` of the first byte (for the offset column),
 *   `max` bytes to dump (default all).
 * @returns The lines, without a final newline.
 *
 * @example
 * ```ts
 * import { hexDump } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   hexDump(new Uint8Array([0x68, 0x69, 0x1b, 0x0a])),
 *   "0000  68 69 1b 0a                                       hi..",
 * );
 * ```
 */
export function hexDump(
  bytes: Uint8Array,
  options: { offset?: number; max?: number } = {},
): string {
  const lines: string[] = [];
  const max = Math.min(bytes.length, options.max ?? bytes.length);
  for (let at = 0; at < max; at += 16) {
    const row = bytes.subarray(at, Math.min(at + 16, max));
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0"));
    const left = hex.slice(0, 8).join(" ");
    const right = hex.slice(8).join(" ");
    const text = [...row].map((b) =>
      b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : "."
    ).join("");
    const offset = ((options.offset ?? 0) + at).toString(16).padStart(4, "0");
    lines.push(
      `${offset}  ${
        (right === "" ? left : `${left}  ${right}`).padEnd(48)
      }  ${text}`,
    );
  }
  if (max < bytes.length) {
    lines.push(`… ${bytes.length - max} more bytes`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// The whole explanation

/**
 * An explanation as text: each header (diagram and table), the data, the
 * checksums, the anomalies and the notes, ending with a newline. No control
 * character but `\n` is in it.
 *
 * @param explanation What {@linkcode explainPacket} or
 *   {@linkcode explainTcpSegment} returned.
 * @param options Heading lines, diagrams on or off, checksum steps on or off.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { explainPacket, parseHex } from "../../mod.ts";
 * import { renderExplanation } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201" +
 *     "0014029a 00000000 00000000 50292000 08e20000",
 * );
 * const text = renderExplanation(explainPacket(bytes), { diagram: false });
 * assert.match(text, /^TCP header, bytes 20-39 of the packet$/m);
 * assert.match(text, /^ {2}xmas at byte 33: Christmas tree packet/m);
 * ```
 */
export function renderExplanation(
  explanation: Explanation,
  options: RenderExplanationOptions = {},
): string {
  const lines: string[] = [...(options.heading ?? [])];
  const diagram = options.diagram ?? true;
  const whole = explanation.kind === "packet" ? "packet" : "segment";
  for (const layer of explanation.layers) {
    if (lines.length > 0) lines.push("");
    const last = layer.byteOffset + layer.length - 1;
    lines.push(
      `${layer.name}, bytes ${layer.byteOffset}-${last} of the ${whole}`,
    );
    if (diagram && layer.fields.length > 0) {
      lines.push("", ...indent(renderHeaderDiagram(layer)));
      if (layer.kind === "tcp" && explanation.payload !== undefined) {
        const payload = explanation.payload;
        lines.push(...indent(dataBox(payload.length, payload.preview)));
      }
    }
    if (layer.fields.length > 0) {
      lines.push("", ...indent(renderFieldTable(layer)));
    }
  }
  const payload = explanation.payload;
  if (payload !== undefined && payload.length > 0) {
    lines.push(
      "",
      `Data, ${payload.length} bytes from byte ${payload.byteOffset}`,
      ...indent(
        hexDump(payload.bytes, { max: options.maxPayload ?? 256 }),
      ),
    );
  }
  if (explanation.checksums.length > 0) {
    lines.push("", "Checksums");
    for (const work of explanation.checksums) {
      lines.push(
        ...indent(renderChecksumWork(work, { steps: options.steps ?? true })),
      );
    }
  }
  lines.push("");
  if (explanation.anomalies.length === 0) {
    lines.push("Anomalies: none");
  } else {
    lines.push(`Anomalies (${explanation.anomalies.length})`);
    for (const anomaly of explanation.anomalies) {
      lines.push(
        `  ${anomaly.code} at byte ${anomaly.byteOffset}: ${anomaly.message}`,
      );
    }
  }
  for (const note of explanation.notes) lines.push(`Note: ${note}`);
  return `${lines.map(terminalSafe).join("\n")}\n`;
}

function indent(text: string | string[]): string[] {
  const lines = typeof text === "string" ? text.split("\n") : text;
  return lines.map((line) => line === "" ? "" : `  ${line}`);
}

function dataBox(length: number, preview: string): string[] {
  const inside = 63;
  let text = `Data: ${length} byte${length === 1 ? "" : "s"}`;
  if (length > 0) {
    const room = inside - text.length - 5;
    const shown = preview.length <= room
      ? preview
      : `${preview.slice(0, Math.max(0, room - 1))}…`;
    text += ` "${shown}"`;
  }
  return [
    `:${center(text, inside)}:`,
    "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
  ];
}
