/**
 * Pointing: whatever the mouse is over or the keyboard has focused (a
 * field's box in a diagram, a row of a table, a byte of the hex view, a
 * checksum word, an anomaly) lights up the field and its bytes everywhere
 * they are drawn, and the detail panel shows the field's row of the field
 * table. Pointing at a byte lights up every field in it.
 *
 * Elements say what they stand for with `data-field="L.I"` (layer and
 * field index) or `data-bytes="S"`, `data-bytes="S-E"` (explained bytes S
 * to E).
 *
 * @module
 */

import type { ExplainedLayer } from "../../types.ts";
import { type FieldRef, offsetText, placeText, rawText } from "../layout.ts";
import { h } from "./dom.ts";

/** What the detail panel shows when nothing is pointed at. */
const HINT =
  "Point at a field or a byte (or Tab to a diagram or the bytes and use the arrow keys): its bytes light up and its row of the field table shows here.";

/** Lights up fields and bytes, and fills the detail panel. */
export class Pointer {
  readonly #refs: Map<string, FieldRef>;
  readonly #layers: readonly ExplainedLayer[];
  readonly #whole: string;
  readonly #fieldElements = new Map<string, HTMLElement[]>();
  readonly #byteElements = new Map<number, HTMLElement[]>();
  readonly #detail: HTMLElement;
  #lit: HTMLElement[] = [];
  #pointed: Element | undefined;

  /**
   * @param refs Every field of the explanation.
   * @param layers The explanation's layers.
   * @param whole `packet` or `segment`, for the detail's words.
   */
  constructor(
    refs: readonly FieldRef[],
    layers: readonly ExplainedLayer[],
    whole: string,
  ) {
    this.#refs = new Map(refs.map((ref) => [ref.id, ref]));
    this.#layers = layers;
    this.#whole = whole;
    this.#detail = h(
      "section",
      { class: "detail", "aria-live": "polite", "aria-label": "Pointed at" },
      h("p", { class: "hint" }, HINT),
    );
  }

  /** The detail panel, to put on the page. */
  get detail(): HTMLElement {
    return this.#detail;
  }

  /** Register an element drawn for a field (`data-field`). */
  addField(id: string, element: HTMLElement): void {
    const list = this.#fieldElements.get(id);
    if (list === undefined) this.#fieldElements.set(id, [element]);
    else list.push(element);
  }

  /** Register an element drawn for a byte (`data-bytes`). */
  addByte(offset: number, element: HTMLElement): void {
    const list = this.#byteElements.get(offset);
    if (list === undefined) this.#byteElements.set(offset, [element]);
    else list.push(element);
  }

  /**
   * Follow the mouse and the focus within `root`.
   *
   * @param root The element holding what can be pointed at.
   */
  listen(root: HTMLElement): void {
    const follow = (event: Event) => {
      const target = event.target instanceof Element
        ? event.target.closest("[data-field], [data-bytes]")
        : null;
      if (target !== null && root.contains(target)) this.point(target);
    };
    root.addEventListener("pointerover", follow);
    root.addEventListener("focusin", follow);
  }

  /**
   * Point at what an element stands for.
   *
   * @param element An element with `data-field` or `data-bytes`.
   */
  point(element: Element): void {
    if (element === this.#pointed) return;
    this.#pointed = element;
    const id = element.getAttribute("data-field");
    const ref = id === null ? undefined : this.#refs.get(id);
    if (ref !== undefined) {
      this.#show([ref], ref.start, ref.end);
      return;
    }
    const match = /^(\d+)(?:-(\d+))?$/.exec(
      element.getAttribute("data-bytes") ?? "",
    );
    if (match === null) return;
    const start = Number(match[1]);
    const end = Number(match[2] ?? match[1]) + 1;
    const refs = [...this.#refs.values()].filter((r) =>
      r.start < end && r.end > start
    );
    this.#show(refs, start, end);
  }

  #light(element: HTMLElement, part = false): void {
    element.classList.add(part ? "lit-part" : "lit");
    this.#lit.push(element);
  }

  #show(refs: FieldRef[], start: number, end: number): void {
    for (const element of this.#lit) {
      element.classList.remove("lit", "lit-part");
    }
    this.#lit = [];
    for (const ref of refs) {
      for (const element of this.#fieldElements.get(ref.id) ?? []) {
        this.#light(element);
      }
    }
    for (let at = start; at < end; at++) {
      // A byte the pointed fields only partly fill is marked as such.
      const whole = refs.length !== 1 || wholeByte(refs[0]!, at);
      for (const element of this.#byteElements.get(at) ?? []) {
        this.#light(element, !whole);
      }
    }
    this.#detail.replaceChildren(...this.#describe(refs, start, end));
  }

  #describe(refs: FieldRef[], start: number, end: number): HTMLElement[] {
    if (refs.length === 0) {
      return [
        h(
          "p",
          {},
          `${
            end - start === 1 ? `Byte ${start}` : `Bytes ${start}–${end - 1}`
          }: no header field (data or bytes after the headers)`,
        ),
      ];
    }
    const rows = refs.map((ref) => {
      const layer = this.#layers[ref.layer]!;
      const field = ref.field;
      return h(
        "tr",
        { "data-detail": ref.id },
        h("th", { scope: "row" }, field.name),
        h("td", {}, offsetText(field, layer)),
        h("td", {}, field.bitLength),
        h("td", { class: "mono" }, rawText(field)),
        h("td", { class: "mono" }, field.display),
        h("td", {}, field.meaning),
      );
    });
    const places = refs.map((ref) =>
      h(
        "li",
        {},
        `${ref.field.name}: ${
          placeText(ref, this.#layers[ref.layer]!, this.#whole)
        }`,
      )
    );
    return [
      h(
        "table",
        { class: "fields" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Field", "Offset", "Bits", "Raw", "Value", "Meaning"].map((
              name,
            ) => h("th", { scope: "col" }, name)),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
      h("ul", { class: "places" }, ...places),
    ];
  }
}

function wholeByte(ref: FieldRef, at: number): boolean {
  const first = ref.field.byteOffset * 8 + ref.field.bitOffset;
  const last = first + ref.field.bitLength;
  return first <= at * 8 && last >= at * 8 + 8;
}
