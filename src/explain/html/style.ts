/**
 * The page's style sheet: light and dark schemes from the reader's
 * setting, layouts that reflow down to a narrow window (200% zoom), a
 * visible focus everywhere, and print on A4, one packet to a page.
 *
 * @module
 */

const FONTS =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const MONO =
  'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

const LIGHT = `
  --bg: #ffffff; --fg: #1a1a1a; --muted: #4a4a4a; --line: #7a7a7a;
  --rule: #d0d0d0; --panel: #f3f3f1; --accent: #0b57d0; --on-accent: #ffffff;
  --lit-bg: #ffd23f; --lit-fg: #000000; --part-bg: #fff0b3;
  --ok: #17692a; --bad: #b3261e; --focus: #0b57d0;
  --t-ipv4: #dbeafe; --t-ipv6: #ede9fe; --t-ipv6-extension: #fde4d4;
  --t-tcp: #dcf5e3; --t-data: #ececec; --t-other: transparent;`;

const DARK = `
  --bg: #121417; --fg: #e9e9e9; --muted: #bdbdbd; --line: #8f8f8f;
  --rule: #3a3d42; --panel: #1d2025; --accent: #8ab4f8; --on-accent: #0d1117;
  --lit-bg: #ffd23f; --lit-fg: #000000; --part-bg: #5c4d12;
  --ok: #86d69b; --bad: #ff9b91; --focus: #8ab4f8;
  --t-ipv4: #1c314d; --t-ipv6: #30265a; --t-ipv6-extension: #4a2d1b;
  --t-tcp: #173a24; --t-data: #2b2b2b; --t-other: transparent;`;

/** The style sheet, for a `<style>` element. */
export const PAGE_CSS: string = `
:root { color-scheme: light dark; ${LIGHT} }
@media (prefers-color-scheme: dark) { :root { ${DARK} } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 1rem/1.45 ${FONTS}; }
.mono, pre, .hexview, .bits, .value, .raw, .preview, .dump, .steps td.num { font-family: ${MONO}; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
.skip { position: absolute; left: -100vw; }
.skip:focus { position: static; }
header.top, main { max-width: 92rem; margin: 0 auto; padding: 0 1rem; }
header.top h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; }
header.top h1 .title { font-weight: normal; color: var(--muted); overflow-wrap: anywhere; }
.lead { margin: 0 0 .5rem; color: var(--muted); max-width: 70rem; }
form.input { display: grid; gap: .35rem; background: var(--panel);
  padding: .6rem .75rem; border-radius: .4rem; }
form.input textarea { width: 100%; font: .95rem ${MONO}; background: var(--bg);
  color: var(--fg); border: 1px solid var(--line); border-radius: .25rem; padding: .3rem; }
.controls { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; }
.controls input:not([type]) { font: inherit; background: var(--bg); color: var(--fg);
  border: 1px solid var(--line); border-radius: .25rem; padding: .1rem .3rem; }
button { font: inherit; padding: .2rem 1rem; border-radius: .3rem; border: 1px solid var(--accent);
  background: var(--accent); color: var(--on-accent); cursor: pointer; }
.error { color: var(--bad); font-weight: 600; margin: .5rem 0; overflow-wrap: anywhere; }
.error::before { content: "⚠ "; }
h2 { font-size: 1.25rem; margin: 1rem 0 .25rem; overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin: 1rem 0 .35rem; }
h4 { font-size: 1rem; margin: .75rem 0 .25rem; }
/* The packet list */
.list-title { font-size: 1.05rem; }
.entries { max-height: 40vh; overflow: auto; border: 1px solid var(--line); border-radius: .25rem; }
.entry { display: grid; gap: .1rem .6rem; padding: .1rem .5rem; font-size: .9rem;
  grid-template-columns: 4ch 9ch minmax(9ch, 1fr) minmax(9ch, 1fr) minmax(8ch, 13ch) 6ch 4ch; }
.entry > span { overflow-wrap: anywhere; }
.list-head { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: var(--bg); border-bottom: 1px solid var(--line); }
.entries .entry { cursor: pointer; border-top: 1px solid var(--rule); }
.entries .entry[aria-selected="true"] { background: var(--accent); color: var(--on-accent); }
.entries:focus-visible .entry[aria-selected="true"] { outline: 3px solid var(--fg); outline-offset: -3px; }
.entry .warn { color: var(--bad); font-weight: 700; }
.entry[aria-selected="true"] .warn { color: inherit; }
.entry .skip-reason { grid-column: 3 / -1; font-style: italic; }
@media (max-width: 44rem) {
  .entry { grid-template-columns: 4ch minmax(0, 1fr) minmax(0, 1fr) 6ch 4ch;
    grid-template-areas: "no time flags length warn" "no source destination destination destination"; }
  .entry > :nth-child(1) { grid-area: no; } .entry > :nth-child(2) { grid-area: time; }
  .entry > :nth-child(3) { grid-area: source; } .entry > :nth-child(4) { grid-area: destination; }
  .entry > :nth-child(5) { grid-area: flags; } .entry > :nth-child(6) { grid-area: length; }
  .entry > :nth-child(7) { grid-area: warn; }
  .entry > .skip-reason:nth-child(3) { grid-area: source / source / destination / destination; }
}
/* One packet */
.packet-head .summary, .packet-head .capture { margin: .1rem 0; overflow-wrap: anywhere; }
.badges { list-style: none; padding: 0; margin: .4rem 0; display: flex; flex-wrap: wrap; gap: .4rem; }
.badges li { border: 1px solid currentColor; border-radius: 1rem; padding: 0 .6rem; font-size: .9rem; }
.status-correct .verdict, .badges .status-correct { color: var(--ok); }
.status-wrong .verdict, .badges .status-wrong { color: var(--bad); }
.layout { display: grid; grid-template-columns: minmax(0, 44rem) minmax(18rem, 1fr);
  gap: 1.5rem; align-items: start; }
.side { position: sticky; top: .5rem; max-height: calc(100vh - 1rem); overflow: auto; }
@media (max-width: 72rem) {
  .layout { grid-template-columns: minmax(0, 1fr); }
  .side { position: static; max-height: none; }
}
/* The diagrams: one column per bit */
.diagram { font-size: .8rem; min-width: 30em; }
.ruler, .word { display: grid; grid-template-columns: 2.75em repeat(32, minmax(0, 1fr)); }
.ruler > span { text-align: center; font-size: .78em; color: var(--muted); }
.offset { text-align: right; padding-right: .4em; color: var(--muted); font-size: .88em; align-self: center; }
.diagram.layer-ipv4 { --tint: var(--t-ipv4); }
.diagram.layer-ipv6 { --tint: var(--t-ipv6); }
.diagram.layer-ipv6-extension { --tint: var(--t-ipv6-extension); }
.diagram.layer-tcp { --tint: var(--t-tcp); }
.piece { border: 1px solid var(--line); margin: 0 -1px -1px 0; background: var(--tint);
  display: flex; flex-direction: column; justify-content: space-between; min-height: 3.9em;
  text-align: center; overflow: hidden; cursor: default; }
.piece .label { padding: .2em .2em 0; overflow-wrap: anywhere; line-height: 1.2; }
.piece .name { display: block; font-weight: 600; }
.piece .value { display: block; }
.piece.narrow .name { writing-mode: vertical-rl; text-orientation: upright; font-size: .85em;
  letter-spacing: -.05em; margin: 0 auto; }
.bits { display: grid; font-size: .85em; color: var(--muted); border-top: 1px dotted var(--line); margin-top: auto; }
.bits > span { text-align: center; }
.databar { border: 1px dashed var(--line); border-top: 0; margin-left: 2.75em; padding: .3em;
  text-align: center; font-size: .8rem; background: var(--t-data); overflow-wrap: anywhere; }
/* The hex view */
.hexview { font-size: .82rem; }
.hexrow { display: flex; gap: 1ch; white-space: pre; }
.hexbytes, .hextext { display: flex; flex: none; }
.hexbytes { width: 40.5ch; }
.hexbyte { width: 2.4ch; text-align: center; cursor: default; }
/* A gap after every 4 bytes: one 32-bit row of the diagrams. */
.hexbyte:nth-child(4n):not(:last-child) { margin-right: .7ch; }
.hexrow .offset { font-size: .85rem; padding: 0; }
.tint-ipv4 { background: var(--t-ipv4); } .tint-ipv6 { background: var(--t-ipv6); }
.tint-ipv6-extension { background: var(--t-ipv6-extension); } .tint-tcp { background: var(--t-tcp); }
.tint-data { background: var(--t-data); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem; padding: 0; margin: .4rem 0; font-size: .85rem; }
.legend li { padding: 0 .4rem; border: 1px solid var(--rule); }
/* Pointing */
.lit, .lit .bits, tr.lit th, tr.lit td { background: var(--lit-bg) !important; color: var(--lit-fg) !important; }
.piece.lit, .hexbyte.lit { outline: 2px solid var(--fg); outline-offset: -2px; }
.lit-part { background: var(--part-bg) !important; outline: 1px dashed var(--fg); outline-offset: -1px; }
.detail { margin-top: .6rem; border-top: 1px solid var(--rule); font-size: .9rem; overflow-x: auto; }
.detail .hint { color: var(--muted); }
.detail .places { margin: .3rem 0; padding-left: 1.2rem; }
/* Tables */
table { border-collapse: collapse; width: 100%; font-size: .87rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .15rem .4rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
td.raw, td.mono { overflow-wrap: anywhere; }
.detail td.raw, .detail td.mono { overflow-wrap: break-word; }
thead th { color: var(--muted); overflow-wrap: normal; }
td.num { text-align: right; white-space: nowrap; }
.fields td.raw { min-width: 9ch; }
.tables table { margin-bottom: 1rem; }
tr[data-field], tr[data-bytes], li[data-code], .verdict-text, .databar { cursor: default; }
.steps { max-height: 26rem; overflow: auto; border: 1px solid var(--rule); }
.steps tr.carry td { font-weight: 700; }
.note { font-style: italic; }
.anomalies li { margin: .25rem 0; }
.anomalies .code { color: var(--bad); }
.dump { background: var(--panel); padding: .4rem; overflow: auto; font-size: .85rem; }
.preview { overflow-wrap: anywhere; }
/* Print: A4, one packet to a page (the script lays them out in .print-area,
   at the printed width, and scales each down to fit its page) */
@page { size: A4; margin: 10mm; }
.print-area { display: none; }
body.printing .print-area { display: block; position: absolute; top: 0; left: 0; width: 190mm;
  visibility: hidden; font-size: 8pt; line-height: 1.3; }
.print-area h2 { font-size: 1.3em; margin: 0 0 .2em; }
.print-area h3 { font-size: 1.1em; margin: .5em 0 .2em; }
.print-area h4 { font-size: 1em; margin: .4em 0 .1em; }
.print-area p { margin: .2em 0; }
.print-area .badges { margin: .2em 0; }
.print-area .badges li { font-size: 1em; }
.print-area .layout { grid-template-columns: minmax(0, 1fr); gap: .3em; }
.print-area .side { position: static; max-height: none; }
.print-area .side h3 { display: none; }
.print-area .diagram { font-size: .9em; min-width: 0; }
.print-area .piece { min-height: 3.2em; }
.print-area .hexview, .print-area .legend { font-size: .9em; }
.print-area .hextext, .print-area .detail, .print-area .steps.long, .print-area .skip { display: none; }
.print-area .steps, .print-area .entries { max-height: none; overflow: visible; border: 0; }
.print-area table { font-size: .92em; }
.print-area th, .print-area td { padding: 0 .3em; }
.print-area .tables { columns: 2; column-gap: 1.5em; }
.print-area .tables h3 { column-span: all; }
.print-area .tables table { break-inside: avoid; }
.print-area .fields td.raw, .print-area .fields thead th:nth-child(4) { display: none; }
.print-area .checksums { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5em; }
.print-area .checksums h3 { grid-column: 1 / -1; }
.print-area .steps caption, .print-area .steps thead th:first-child,
.print-area .steps td:first-child { display: none; }
.print-area .dump { max-height: 8em; overflow: hidden; font-size: .9em; }
@media print {
  :root { color-scheme: light; ${LIGHT} }
  body { font-size: 9pt; }
  header.top form, header.top .lead, .skip, .list { display: none; }
  body.printing #app > :not(.print-area) { display: none; }
  body.printing .print-area { position: static; visibility: visible; }
  .print-page { break-after: page; }
  .print-page:last-child { break-after: auto; }
  .lit, .lit-part { background: none !important; outline: none !important; }
}
`;
