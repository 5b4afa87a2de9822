/**
 * The parts of a packet's explanation below its drawings: the field table
 * of each header, the options one by one, the checksums worked out word by
 * word, the anomalies with the RFC section each comes from, the
 * conversation (relative sequence numbers, scaled windows), the data and
 * the notes. Every row that stands for a field or for bytes can be pointed
 * at.
 *
 * @module
 */

import {
  ANOMALY_REFERENCES,
  anomalyReferenceUrl,
  formatAnomalyReference,
} from "../../anomalies.ts";
import type {
  ChecksumWork,
  ExplainedLayer,
  ExplainedPayload,
  Explanation,
  TcpFacts,
} from "../../types.ts";
import { type FieldRef, hexWord, offsetText, rawText } from "../layout.ts";
import { h } from "./dom.ts";
import type { Pointer } from "./pointer.ts";

/** Checksum steps beyond this many are left out of the printed page. */
export const PRINTED_STEPS_MAX = 40;

/** Data bytes dumped on the page (the hex view has them all). */
export const DATA_DUMP_MAX = 1024;

function headRow(...names: string[]): HTMLElement {
  return h(
    "thead",
    {},
    h("tr", {}, ...names.map((name) => h("th", { scope: "col" }, name))),
  );
}

/**
 * The field table of one header: name, offset in the header, width, raw
 * bits, value and meaning.
 *
 * @param layer The header.
 * @param layerIndex Its index.
 * @param pointer Where the rows are registered.
 * @returns The table.
 */
export function fieldTable(
  layer: ExplainedLayer,
  layerIndex: number,
  pointer: Pointer,
): HTMLElement {
  const rows = layer.fields.map((field, i) => {
    const id = `${layerIndex}.${i}`;
    const row = h(
      "tr",
      { "data-field": id, tabindex: 0 },
      h("th", { scope: "row" }, field.name),
      h("td", { class: "num" }, offsetText(field, layer)),
      h("td", { class: "num" }, field.bitLength),
      h("td", { class: "mono raw" }, rawText(field)),
      h("td", { class: "mono value" }, field.display),
      h("td", { class: "meaning" }, field.meaning),
    );
    pointer.addField(id, row);
    return row;
  });
  return h(
    "table",
    { class: "fields", "data-layer": layerIndex },
    h("caption", {}, `${layer.name}: every field`),
    headRow("Field", "Offset", "Bits", "Raw", "Value", "Meaning"),
    h("tbody", {}, ...rows),
  );
}

/** Whether a field is an option (or the padding after them). */
function isOption(key: string): boolean {
  return /^option/.test(key) || key === "padding";
}

/**
 * The options of every header, one by one: where each is, its length and
 * bytes, its value and what it means.
 *
 * @param explanation The explanation.
 * @param refs Its fields.
 * @param pointer Where the rows are registered.
 * @returns The section, or null when no header has options.
 */
export function optionsSection(
  explanation: Explanation,
  refs: readonly FieldRef[],
  pointer: Pointer,
): HTMLElement | null {
  const options = refs.filter((ref) => isOption(ref.field.key));
  if (options.length === 0) return null;
  // Which header an option is in matters only when two headers have some.
  const headers = new Set(options.map((ref) => ref.layer)).size > 1;
  const rows = options.map((ref) => {
    const layer = explanation.layers[ref.layer]!;
    const field = ref.field;
    const row = h(
      "tr",
      { "data-field": ref.id, tabindex: 0 },
      h("th", { scope: "row" }, field.name.replace(/^Option: /, "")),
      headers ? h("td", {}, layer.name) : null,
      h("td", { class: "num" }, offsetText(field, layer)),
      h("td", { class: "num" }, field.bitLength / 8),
      h("td", { class: "mono raw" }, field.hex),
      h("td", { class: "mono" }, field.display),
      h("td", { class: "meaning" }, field.meaning),
    );
    pointer.addField(ref.id, row);
    return row;
  });
  return h(
    "section",
    { class: "options" },
    h("h3", {}, "Options"),
    h(
      "table",
      {},
      headRow(
        ...[
          "Option",
          ...(headers ? ["Header"] : []),
          "At",
          "Bytes",
          "Hex",
          "Value",
          "Meaning",
        ],
      ),
      h("tbody", {}, ...rows),
    ),
  );
}

function stepsTable(work: ChecksumWork): HTMLElement | null {
  const steps = work.steps;
  if (steps === undefined || steps.length === 0) return null;
  const rows = steps.map((step) => {
    const bytes = step.byteOffset === undefined
      ? undefined
      : `${step.byteOffset}-${step.byteOffset + 1}`;
    return h(
      "tr",
      {
        class: step.carry ? "carry" : undefined,
        "data-bytes": bytes,
        tabindex: bytes === undefined ? undefined : 0,
      },
      h("td", { class: "mono num" }, hexWord(step.before)),
      h("td", { class: "mono num" }, `+ ${hexWord(step.word)}`),
      h("td", { class: "mono num" }, `= ${hexWord(step.sum)}`),
      h(
        "td",
        { class: "mono num" },
        step.carry ? `carry folded: ${hexWord(step.folded)}` : "",
      ),
      h("td", {}, step.from),
    );
  });
  return h(
    "div",
    {
      class: `steps${steps.length > PRINTED_STEPS_MAX ? " long" : ""}`,
      tabindex: 0,
      role: "region",
      "aria-label": `${work.name}: every word summed`,
    },
    h(
      "table",
      {},
      h(
        "caption",
        {},
        "One's complement sum of 16-bit words (RFC 1071): add each word; a carry out of 16 bits is added back in (end-around carry)",
      ),
      headRow("Running sum", "Word", "Sum", "Carry", "From"),
      h("tbody", {}, ...rows),
    ),
  );
}

function checksumBlock(work: ChecksumWork): HTMLElement {
  const pseudo = work.pseudoHeader;
  const hex = pseudo === undefined
    ? ""
    : [...pseudo.bytes].map((b) => b.toString(16).padStart(2, "0")).join("")
      .match(/.{1,8}/g)?.join(" ") ?? "";
  const end = work.sum === undefined || work.computed === undefined ? null : h(
    "p",
    { class: "mono" },
    `sum ${hexWord(work.sum)} (${
      pseudo === undefined ? "" : "pseudo-header, "
    }${work.covered.length} bytes from byte ${work.covered.byteOffset}, checksum field counted as 0); complement: ~${
      hexWord(work.sum)
    } = ${hexWord(work.computed)}; stored ${
      hexWord(work.stored)
    }: ${work.status}`,
  );
  return h(
    "section",
    { class: `checksum status-${work.status}` },
    h(
      "h4",
      {},
      `${work.name}, stored at byte ${work.byteOffset}: `,
      h("span", { class: "verdict" }, work.status),
    ),
    h(
      "p",
      {
        class: "verdict-text",
        tabindex: 0,
        "data-bytes": `${work.byteOffset}-${work.byteOffset + 1}`,
      },
      work.verdict,
    ),
    pseudo === undefined ? null : h(
      "p",
      {},
      `Pseudo-header: source ${pseudo.src}, destination ${pseudo.dst}, zero, protocol ${pseudo.protocol}, TCP length ${pseudo.length}; its bytes `,
      h("span", { class: "mono" }, hex),
      pseudo.note === undefined ? null : ` (${pseudo.note})`,
    ),
    work.note === undefined ? null : h("p", { class: "note" }, work.note),
    stepsTable(work),
    end,
  );
}

/**
 * The checksums, worked out: the pseudo-header, every word with the
 * running sum and each carry folded back in, the complement, the verdict.
 *
 * @param explanation The explanation.
 * @returns The section, or null when there is no checksum.
 */
export function checksumsSection(explanation: Explanation): HTMLElement | null {
  if (explanation.checksums.length === 0) return null;
  return h(
    "section",
    { class: "checksums" },
    h("h3", {}, "Checksums, worked out"),
    ...explanation.checksums.map(checksumBlock),
  );
}

/**
 * The anomalies in plain words, each with the RFC section it comes from;
 * pointing at one points at its field.
 *
 * @param explanation The explanation.
 * @param refs Its fields.
 * @returns The section.
 */
export function anomaliesSection(
  explanation: Explanation,
  refs: readonly FieldRef[],
): HTMLElement {
  const items = explanation.anomalies.map((anomaly) => {
    const ref = refs.find((r) =>
      r.field.key === anomaly.field && anomaly.byteOffset >= r.start &&
      anomaly.byteOffset < r.end
    ) ?? refs.find((r) =>
      r.field.key === anomaly.field
    );
    const reference = anomaly.reference ?? ANOMALY_REFERENCES[anomaly.code];
    return h(
      "li",
      {
        tabindex: 0,
        "data-field": ref?.id,
        "data-bytes": ref === undefined ? anomaly.byteOffset : undefined,
        "data-code": anomaly.code,
      },
      h("strong", { class: "code" }, anomaly.code),
      ` at byte ${anomaly.byteOffset}: `,
      h("span", { class: "message" }, anomaly.message),
      reference === undefined ? null : h(
        "span",
        { class: "reference" },
        " (",
        h(
          "a",
          { href: anomalyReferenceUrl(reference), rel: "noreferrer" },
          formatAnomalyReference(reference),
        ),
        ")",
      ),
    );
  });
  return h(
    "section",
    { class: "anomalies" },
    h(
      "h3",
      {},
      items.length === 0 ? "Anomalies: none" : `Anomalies (${items.length})`,
    ),
    items.length === 0 ? null : h("ul", {}, ...items),
  );
}

function conversationLines(tcp: TcpFacts): string[] {
  const lines: string[] = [];
  if (tcp.relativeSeq !== undefined) {
    lines.push(
      `Sequence number ${tcp.seq}: relative ${tcp.relativeSeq} (counted from this side's initial sequence number ${
        (tcp.seq - tcp.relativeSeq + 0x1_0000_0000) % 0x1_0000_0000
      })`,
    );
  }
  if (tcp.relativeAck !== undefined) {
    lines.push(
      `Acknowledgment number ${tcp.ack}: relative ${tcp.relativeAck} (counted from the peer's initial sequence number)`,
    );
  }
  if (tcp.windowShift !== undefined && tcp.scaledWindow !== undefined) {
    lines.push(
      tcp.windowShift === 0
        ? `Window ${tcp.window}: unscaled, ${tcp.scaledWindow} bytes (the handshake did not negotiate window scaling)`
        : `Window ${tcp.window} × 2^${tcp.windowShift} = ${tcp.scaledWindow} bytes (window scale ${tcp.windowShift} from this side's SYN)`,
    );
  }
  if (tcp.announcedWindowShift !== undefined) {
    lines.push(
      `Announces a window scale of ${tcp.announcedWindowShift}: its later windows count in units of ${
        2 ** Math.min(tcp.announcedWindowShift, 14)
      } bytes if the other side's SYN announces one too (RFC 7323)`,
    );
  }
  return lines;
}

/**
 * What the conversation says about this segment: relative sequence and
 * acknowledgment numbers, the window scaled.
 *
 * @param explanation The explanation.
 * @returns The section, or null when nothing is known.
 */
export function conversationSection(
  explanation: Explanation,
): HTMLElement | null {
  const tcp = explanation.tcp;
  const lines = tcp === undefined ? [] : conversationLines(tcp);
  if (lines.length === 0) return null;
  return h(
    "section",
    { class: "conversation" },
    h("h3", {}, "In its conversation"),
    h("ul", {}, ...lines.map((line) => h("li", {}, line))),
  );
}

/**
 * The data after the TCP header: a hex dump with the bytes as text, and
 * the escaped preview.
 *
 * @param payload The data.
 * @returns The section, or null when there is none.
 */
export function dataSection(
  payload: ExplainedPayload | undefined,
): HTMLElement | null {
  if (payload === undefined || payload.length === 0) return null;
  const shown = Math.min(payload.length, DATA_DUMP_MAX);
  const lines: string[] = [];
  for (let at = 0; at < shown; at += 16) {
    const row = payload.bytes.subarray(at, Math.min(at + 16, shown));
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0"));
    const text = [...row].map((b) =>
      b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : "."
    ).join("");
    lines.push(
      `${(payload.byteOffset + at).toString(16).padStart(4, "0")}  ${
        `${hex.slice(0, 8).join(" ")}  ${hex.slice(8).join(" ")}`.padEnd(49)
      }  ${text}`,
    );
  }
  if (shown < payload.length) {
    lines.push(`… ${payload.length - shown} more bytes`);
  }
  return h(
    "section",
    { class: "data" },
    h(
      "h3",
      {},
      `Data, ${payload.length} bytes from byte ${payload.byteOffset}`,
    ),
    h("pre", { class: "dump", tabindex: 0 }, lines.join("\n")),
    h(
      "p",
      {},
      "As text: ",
      h(
        "span",
        { class: "mono preview" },
        payload.preview.length > 4 * DATA_DUMP_MAX
          ? `${payload.preview.slice(0, 4 * DATA_DUMP_MAX)}…`
          : payload.preview,
      ),
    ),
  );
}

/**
 * The notes: what is not an anomaly but matters (not TCP, a fragment, a
 * capture cut short, an Ethernet header left out).
 *
 * @param notes The notes.
 * @returns The list, or null when there is none.
 */
export function notesSection(notes: readonly string[]): HTMLElement | null {
  if (notes.length === 0) return null;
  return h(
    "section",
    { class: "notes", "aria-label": "Notes" },
    h("ul", {}, ...notes.map((note) => h("li", {}, `Note: ${note}`))),
  );
}
