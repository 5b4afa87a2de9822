/**
 * One packet, explained on the page: a heading with its summary and
 * verdicts, the header diagrams beside the hex view and the detail panel,
 * then the field tables, the options, the checksums worked out, the
 * anomalies, the conversation, the data and the notes.
 *
 * @module
 */

import type { Explanation, TcpFacts } from "../../types.ts";
import { fieldRefs, isoTime, packetRow, relativeTime } from "../layout.ts";
import type { CaptureFacts, PacketInput } from "../model.ts";
import { h } from "./dom.ts";
import { drawDataBar, drawDiagram, drawHexView } from "./drawing.ts";
import { Pointer } from "./pointer.ts";
import {
  anomaliesSection,
  checksumsSection,
  conversationSection,
  dataSection,
  fieldTable,
  notesSection,
  optionsSection,
} from "./sections.ts";

/** How a packet is headed. */
export interface PacketViewOptions {
  /** Its heading: `Packet 3`, `The packet`. */
  heading: string;
  /** Where it comes from, for a packet of a capture. */
  capture?: CaptureFacts;
  /** The first packet of the capture, for the time since. */
  first?: CaptureFacts;
}

function summaryText(explanation: Explanation, tcp: TcpFacts | undefined) {
  const parts: string[] = [];
  if (tcp !== undefined) {
    parts.push(
      tcp.flagNames.length === 0
        ? "no flags"
        : tcp.flagNames.map((n) => n.toUpperCase()).join(" "),
      `seq ${tcp.seq}${
        tcp.relativeSeq === undefined ? "" : ` (relative ${tcp.relativeSeq})`
      }`,
      `ack ${tcp.ack}${
        tcp.relativeAck === undefined ? "" : ` (relative ${tcp.relativeAck})`
      }`,
      `window ${tcp.window}${
        tcp.scaledWindow === undefined || tcp.windowShift === 0
          ? ""
          : ` (×${2 ** (tcp.windowShift ?? 0)} = ${tcp.scaledWindow})`
      }`,
      tcp.wirePayloadLength === undefined
        ? `${tcp.payloadLength} byte${
          tcp.payloadLength === 1 ? "" : "s"
        } of data`
        : `${tcp.payloadLength} of ${tcp.wirePayloadLength} bytes of data captured`,
    );
  }
  parts.push(
    `${explanation.length} bytes in all`,
  );
  return parts.join(" · ");
}

function captureText(capture: CaptureFacts, first?: CaptureFacts): string {
  const facts = [
    `captured ${isoTime(capture)}`,
    first === undefined
      ? ""
      : `${relativeTime(capture, first)} s after the first`,
    capture.capturedLength === capture.originalLength
      ? `${capture.capturedLength} bytes with the link-layer header`
      : `${capture.capturedLength} of ${capture.originalLength} bytes captured`,
  ].filter((fact) => fact !== "");
  if (capture.direction !== undefined) facts.push(capture.direction);
  if (capture.comment !== undefined) facts.push(`comment "${capture.comment}"`);
  return facts.join(", ");
}

function badges(explanation: Explanation): HTMLElement {
  const items = explanation.checksums.map((work) =>
    h(
      "li",
      { class: `status-${work.status}` },
      `${work.name} ${work.status}`,
    )
  );
  const count = explanation.anomalies.length;
  items.push(
    count === 0 ? h("li", { class: "status-correct" }, "no anomalies") : h(
      "li",
      { class: "status-wrong" },
      h("span", { "aria-hidden": "true" }, "⚠ "),
      `${count} anomal${count === 1 ? "y" : "ies"}: ${
        explanation.anomalies.map((a) => a.code).join(", ")
      }`,
    ),
  );
  return h("ul", { class: "badges" }, ...items);
}

/**
 * Explain one packet on the page.
 *
 * @param input The packet.
 * @param explanation Its explanation (with checksum steps).
 * @param options Its heading and capture facts.
 * @returns The packet's `<article>`.
 */
export function packetView(
  input: PacketInput,
  explanation: Explanation,
  options: PacketViewOptions,
): HTMLElement {
  const whole = explanation.kind;
  const refs = fieldRefs(explanation);
  const pointer = new Pointer(refs, explanation.layers, whole);
  const row = packetRow(explanation);
  const route = row.source === "" && row.destination === ""
    ? ""
    : `: ${row.source} → ${row.destination}`;
  const head = h(
    "header",
    { class: "packet-head" },
    h("h2", {}, `${options.heading}${route}`),
    h("p", { class: "summary" }, summaryText(explanation, explanation.tcp)),
    options.capture === undefined ? null : h(
      "p",
      { class: "capture" },
      captureText(options.capture, options.first),
    ),
    badges(explanation),
  );
  const diagrams = explanation.layers.map((layer, l) =>
    h(
      "section",
      { class: "layer" },
      h(
        "h3",
        {},
        `${layer.name}, bytes ${layer.byteOffset}–${
          layer.byteOffset + layer.length - 1
        } of the ${whole}`,
      ),
      layer.fields.length === 0 ? null : drawDiagram(layer, l, pointer),
      layer.kind === "tcp" && explanation.payload !== undefined
        ? drawDataBar(explanation.payload)
        : null,
    )
  );
  const side = h(
    "aside",
    { class: "side", "aria-label": "Bytes and the field pointed at" },
    h("h3", {}, `The ${whole}'s bytes`),
    drawHexView(input.bytes, explanation, pointer),
    pointer.detail,
  );
  const tables = explanation.layers.filter((layer) => layer.fields.length > 0);
  const article = h(
    "article",
    { class: "packet", "aria-label": options.heading },
    head,
    h(
      "div",
      { class: "layout" },
      h("div", { class: "diagrams" }, ...diagrams),
      side,
    ),
    tables.length === 0 ? null : h(
      "section",
      { class: "tables" },
      h("h3", {}, "Every field"),
      ...explanation.layers.map((layer, l) =>
        layer.fields.length === 0 ? null : fieldTable(layer, l, pointer)
      ),
    ),
    optionsSection(explanation, refs, pointer),
    checksumsSection(explanation),
    anomaliesSection(explanation, refs),
    conversationSection(explanation),
    dataSection(explanation.payload),
    notesSection(explanation.notes),
  );
  pointer.listen(article);
  return article;
}
