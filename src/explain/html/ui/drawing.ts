/**
 * The two drawings of a packet that can be pointed at: each header as the
 * RFC's diagram of 32-bit rows drawn to scale (one column per bit, each
 * field a box with its name, value and bits), and the bytes as a hex view
 * (16 to a row, with their text), tinted by the header they belong to.
 * Both are keyboard grids: Tab enters one, the arrow keys move within it.
 *
 * @module
 */

import type {
  ExplainedLayer,
  ExplainedPayload,
  Explanation,
} from "../../types.ts";
import { type DiagramPiece, diagramRows } from "../layout.ts";
import { h, moveFocus } from "./dom.ts";
import type { Pointer } from "./pointer.ts";

/** Longest run of bytes the hex view draws; the rest is counted. */
export const HEX_VIEW_MAX = 4096;

function pieceLabel(
  layer: ExplainedLayer,
  piece: DiagramPiece,
): { name: string; short: string; value: string } | undefined {
  if (piece.field === undefined) return { name: "?", short: "?", value: "" };
  if (!piece.labelled) return undefined;
  const field = layer.fields[piece.field]!;
  return {
    name: field.name.replace(/^Option: /, ""),
    short: field.abbreviation,
    value: field.display,
  };
}

function pieceElement(
  layer: ExplainedLayer,
  layerIndex: number,
  piece: DiagramPiece,
  row: number,
  pointer: Pointer,
): HTMLElement {
  const label = pieceLabel(layer, piece);
  const narrow = piece.bits < 4;
  const field = piece.field === undefined
    ? undefined
    : layer.fields[piece.field]!;
  const id = piece.field === undefined
    ? undefined
    : `${layerIndex}.${piece.field}`;
  const bits = h(
    "span",
    { class: "bits", "aria-hidden": "true" },
    ...[...piece.text].map((bit) => h("span", {}, bit)),
  );
  bits.style.gridTemplateColumns = `repeat(${piece.bits}, minmax(0, 1fr))`;
  const name = field === undefined
    ? "bits no field covers"
    : `${field.name}${field.display === "" ? "" : ` = ${field.display}`}`;
  const cell = h(
    "div",
    {
      role: "gridcell",
      tabindex: -1,
      class: `piece${narrow ? " narrow" : ""}${
        label === undefined ? " more" : ""
      }`,
      "data-field": id,
      "data-row": row,
      "data-start": piece.start,
      "data-bits": piece.bits,
      "aria-label": `${name}, bits ${piece.text}`,
    },
    label === undefined ? null : h(
      "span",
      { class: "label", "aria-hidden": "true" },
      h("span", { class: "name" }, narrow ? label.short : label.name),
      narrow || label.value === ""
        ? null
        : h("span", { class: "value" }, label.value),
    ),
    bits,
  );
  cell.style.gridColumn = `${piece.start + 2} / span ${piece.bits}`;
  if (id !== undefined) pointer.addField(id, cell);
  return cell;
}

/** Arrow keys in a diagram: across a row, and to the row above or below. */
function diagramKeys(grid: HTMLElement, event: KeyboardEvent): void {
  const current = event.target;
  if (!(current instanceof HTMLElement) || !current.matches(".piece")) return;
  const pieces = [...grid.querySelectorAll<HTMLElement>(".piece")];
  const at = pieces.indexOf(current);
  const row = Number(current.dataset.row);
  const middle = Number(current.dataset.start) +
    (Number(current.dataset.bits) - 1) / 2;
  const inRow = (r: number) =>
    pieces.find((p) =>
      Number(p.dataset.row) === r &&
      Number(p.dataset.start) <= middle &&
      Number(p.dataset.start) + Number(p.dataset.bits) > middle
    ) ?? pieces.filter((p) => Number(p.dataset.row) === r).at(-1);
  let next: HTMLElement | undefined;
  switch (event.key) {
    case "ArrowRight":
      next = pieces[at + 1];
      break;
    case "ArrowLeft":
      next = pieces[at - 1];
      break;
    case "ArrowDown":
      next = inRow(row + 1);
      break;
    case "ArrowUp":
      next = inRow(row - 1);
      break;
    case "Home":
      next = pieces[0];
      break;
    case "End":
      next = pieces.at(-1);
      break;
    default:
      return;
  }
  event.preventDefault();
  moveFocus(current, next);
}

/**
 * A header's diagram: a bit ruler, then one grid row per 32 bits, the byte
 * offset of each row at its left.
 *
 * @param layer The header.
 * @param layerIndex Its index in the explanation.
 * @param pointer Where its fields are registered.
 * @returns The diagram.
 */
export function drawDiagram(
  layer: ExplainedLayer,
  layerIndex: number,
  pointer: Pointer,
): HTMLElement {
  const ruler = h(
    "div",
    { class: "ruler", "aria-hidden": "true" },
    h("span", { class: "offset" }, "byte"),
    ...Array.from({ length: 32 }, (_, bit) => h("span", {}, bit)),
  );
  const rows = diagramRows(layer).map((pieces, r) =>
    h(
      "div",
      { role: "row", class: "word" },
      h("span", { class: "offset", "aria-hidden": "true" }, r * 4),
      ...pieces.map((piece) =>
        pieceElement(layer, layerIndex, piece, r, pointer)
      ),
    )
  );
  const grid = h(
    "div",
    {
      role: "grid",
      class: `diagram layer-${layerTint(layer)}`,
      "aria-label": `${layer.name} diagram, 32 bits to a row`,
      "aria-roledescription": "header diagram",
    },
    ruler,
    ...rows,
  );
  grid.querySelector(".piece")?.setAttribute("tabindex", "0");
  grid.addEventListener("keydown", (event) => diagramKeys(grid, event));
  return grid;
}

/**
 * The bar under the TCP diagram that stands for the data, as RFC 9293
 * draws it.
 *
 * @param payload The data.
 * @returns The bar.
 */
export function drawDataBar(payload: ExplainedPayload): HTMLElement {
  const count = `${payload.length} byte${payload.length === 1 ? "" : "s"}`;
  const preview = payload.preview.length > 60
    ? `${payload.preview.slice(0, 59)}…`
    : payload.preview;
  return h(
    "div",
    {
      class: "databar",
      tabindex: payload.length === 0 ? undefined : 0,
      "data-bytes": payload.length === 0
        ? undefined
        : `${payload.byteOffset}-${payload.byteOffset + payload.length - 1}`,
    },
    h("span", { class: "name" }, `Data: ${count}`),
    payload.length === 0 ? null : h("span", { class: "mono" }, ` "${preview}"`),
  );
}

/** Which tint a layer's bytes and diagram get. */
export function layerTint(layer: ExplainedLayer): string {
  return layer.kind;
}

function byteOwner(explanation: Explanation, at: number): string {
  for (const layer of explanation.layers) {
    if (at >= layer.byteOffset && at < layer.byteOffset + layer.length) {
      return layerTint(layer);
    }
  }
  const payload = explanation.payload;
  if (
    payload !== undefined && at >= payload.byteOffset &&
    at < payload.byteOffset + payload.length
  ) {
    return "data";
  }
  return "other";
}

function hexKeys(grid: HTMLElement, event: KeyboardEvent): void {
  const current = event.target;
  if (
    !(current instanceof HTMLElement) || current.dataset.bytes === undefined
  ) {
    return;
  }
  const cells = [...grid.querySelectorAll<HTMLElement>(".hexbyte")];
  const at = cells.indexOf(current);
  const step: Record<string, number> = {
    ArrowRight: 1,
    ArrowLeft: -1,
    ArrowDown: 16,
    ArrowUp: -16,
    Home: -at,
    End: cells.length - 1 - at,
  };
  const move = step[event.key];
  if (move === undefined) return;
  event.preventDefault();
  moveFocus(current, cells[Math.max(0, Math.min(cells.length - 1, at + move))]);
}

/**
 * The hex view: every byte explained, 16 to a row with the row's offset
 * and the bytes as text (`.` for what is not printable ASCII), each byte
 * tinted by the header it belongs to.
 *
 * @param bytes The bytes explained.
 * @param explanation Their explanation.
 * @param pointer Where the bytes are registered.
 * @returns The view.
 */
export function drawHexView(
  bytes: Uint8Array,
  explanation: Explanation,
  pointer: Pointer,
): HTMLElement {
  const shown = Math.min(bytes.length, HEX_VIEW_MAX);
  const rows: HTMLElement[] = [];
  for (let start = 0; start < shown; start += 16) {
    const hex: HTMLElement[] = [];
    const text: HTMLElement[] = [];
    for (let at = start; at < Math.min(start + 16, shown); at++) {
      const byte = bytes[at]!;
      const tint = `tint-${byteOwner(explanation, at)}`;
      const cell = h(
        "span",
        {
          role: "gridcell",
          tabindex: at === 0 ? 0 : -1,
          class: `hexbyte ${tint}`,
          "data-bytes": at,
          "aria-label": `byte ${at}: 0x${byte.toString(16).padStart(2, "0")}`,
        },
        byte.toString(16).padStart(2, "0"),
      );
      const char = h(
        "span",
        { class: tint, "data-bytes": at },
        byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : ".",
      );
      pointer.addByte(at, cell);
      pointer.addByte(at, char);
      hex.push(cell);
      text.push(char);
    }
    rows.push(h(
      "div",
      { role: "row", class: "hexrow" },
      h(
        "span",
        { class: "offset", "aria-hidden": "true" },
        start.toString(16).padStart(4, "0"),
      ),
      h("span", { class: "hexbytes" }, ...hex),
      h("span", { class: "hextext", "aria-hidden": "true" }, ...text),
    ));
  }
  const grid = h(
    "div",
    { role: "grid", class: "hexview", "aria-label": "The bytes, in hex" },
    ...rows,
  );
  grid.addEventListener("keydown", (event) => hexKeys(grid, event));
  const legend = h(
    "ul",
    { class: "legend" },
    ...explanation.layers.map((layer) =>
      h("li", { class: `tint-${layerTint(layer)}` }, layer.name)
    ),
    explanation.payload !== undefined && explanation.payload.length > 0
      ? h("li", { class: "tint-data" }, "data")
      : null,
  );
  const more = bytes.length > shown
    ? h("p", {}, `… ${bytes.length - shown} more bytes`)
    : null;
  return h("div", { class: "bytes" }, grid, more, legend);
}
