/**
 * Printing: every packet on a page of its own (A4, the page's `@page`
 * rule), each scaled down as far as it must be to fit its page, so that a
 * capture of N packets prints on N pages.
 *
 * @module
 */

import type { PageData, PageEntry } from "../model.ts";
import { h } from "./dom.ts";

const MM = 96 / 25.4;
/** The printed area of a page, in CSS pixels: A4 less 10 mm margins. */
export const PRINTED_WIDTH = 190 * MM;
/** Its height, less a little for rounding. */
export const PRINTED_HEIGHT = 277 * MM - 8;

/**
 * Lay every entry out for print, one to a page, each scaled to fit.
 *
 * @param area The print area (laid out at the printed width).
 * @param data The entries.
 * @param view How an entry is drawn.
 */
export function printAll(
  area: HTMLElement,
  data: PageData,
  view: (entry: PageEntry, index: number) => HTMLElement,
): void {
  const pages = data.entries.map((entry, i) =>
    h("div", { class: "print-page" }, view(entry, i))
  );
  area.replaceChildren(...pages);
  for (const page of pages) {
    const { width, height } = page.getBoundingClientRect();
    const wide = Math.max(width, page.scrollWidth);
    const scale = Math.min(1, PRINTED_HEIGHT / height, PRINTED_WIDTH / wide);
    if (scale < 1) page.style.zoom = String(Math.floor(scale * 1000) / 1000);
  }
}
