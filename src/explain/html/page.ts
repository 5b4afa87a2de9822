/**
 * The explanation page as one self-contained HTML file: the style sheet,
 * the packets as JSON data, and the page's script (tcpcraft's library and
 * the page, bundled in `_bundle.ts`), all inline. It loads nothing: no
 * font, no image, no script from anywhere, and its Content-Security-Policy
 * forbids the browser to (`default-src 'none'`), allowing only its own
 * script, by hash. Nothing from a packet is ever markup: the data is JSON
 * with `<`, `>` and `&` escaped, and the script puts text on the page as
 * text.
 *
 * This module is not part of `mod.ts`: the bundle it embeds is `mod.ts`
 * itself, which could not contain its own bundle. Import it by its path.
 *
 * @module
 */

import { PAGE_SCRIPT, PAGE_SCRIPT_SHA256 } from "./_bundle.ts";
import { encodePageData, type PageData } from "./model.ts";
import { PAGE_CSS } from "./style.ts";

export type {
  CaptureFacts,
  PacketInput,
  PageData,
  PageEntry,
} from "./model.ts";

/**
 * Text for HTML: `&`, `<`, `>`, `"` and `'` as character references.
 *
 * @param text Any text.
 * @returns The text, safe in element content and quoted attributes.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./page.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** The page's Content-Security-Policy: nothing but its own script and style. */
export const PAGE_CSP: string = [
  "default-src 'none'",
  `script-src 'sha256-${PAGE_SCRIPT_SHA256}'`,
  "style-src 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * The page explaining some packets, as one HTML document.
 *
 * @param data The packets, and the page's title.
 * @returns The HTML text.
 *
 * @example
 * ```ts
 * import { renderPage } from "./page.ts";
 * import { parseHex } from "../../wire/hex.ts";
 * import assert from "node:assert/strict";
 *
 * const html = renderPage({
 *   title: "<xmas>",
 *   entries: [{ kind: "packet", input: { bytes: parseHex("45000028 00010000 4006f6a3") } }],
 * });
 * assert.match(html, /^<!doctype html>/);
 * assert.match(html, /<title>tcpcraft explain: &lt;xmas&gt;<\/title>/);
 * assert.ok(!html.includes("<xmas>"));
 * ```
 */
export function renderPage(data: PageData): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(PAGE_CSP)}">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="tcpcraft">
<title>tcpcraft explain: ${escapeHtml(data.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<noscript><p>This page explains packets with the tcpcraft library bundled in it, as a script: allow JavaScript to see them.</p></noscript>
<div id="app"></div>
<script type="application/json" id="tcpcraft-data">${
    encodePageData(data)
  }</script>
<script type="module">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
