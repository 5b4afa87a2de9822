/**
 * The explanation page in a real browser: Debian's headless Chromium opens
 * the pages `explain --html` and `build --html` write for the fixtures,
 * driven through the DevTools protocol (tests/_browser.ts). It checks what
 * a reader sees and does: the diagrams on a screenshot, pointing at a
 * field and at a byte, the keyboard, pasted hex, a dropped damaged
 * capture, every value on the page against `explain --format json`,
 * hostile payloads that must stay text, no network request (from the
 * browser's own events, and a canary server that must never be asked),
 * 200% zoom, the dark scheme, and print on one page per packet.
 */

import assert from "node:assert/strict";
import * as library from "../mod.ts";
import {
  encodePacket,
  makeTcpPacket,
  parseHex,
  PcapngWriter,
  PcapWriter,
} from "../mod.ts";
import { offsetText, rawText } from "../src/explain/html/layout.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import {
  Browser,
  chromiumMissing,
  type Page,
  pdfPageCount,
} from "./_browser.ts";
import { fixture } from "./fixtures/_tools.ts";

const SKIP = chromiumMissing();
const XMAS_HEX = [
  "45000028",
  "00010000",
  "4006f6a3",
  "c000022a",
  "c0000201",
  "0014029a",
  "00000000",
  "00000000",
  "50292000",
  "08e20000",
];
const CAPTURES = [
  "lo_ethernet.pcap",
  "tshark_lo.pcapng",
  "any_sll.pcap",
  "editcap_comments.pcapng",
  "scapy_vlan.pcap",
];

/** Run the CLI in memory; return its standard output and the files it wrote. */
async function cli(
  args: string[],
  files: Record<string, Uint8Array> = {},
): Promise<{ out: string; file(path: string): Promise<string> }> {
  const host = createMemoryHost({ files });
  const code = await runCli(args, host, { version: "0" });
  assert.equal(code, 0, `${args.join(" ")}: ${host.err}`);
  return {
    out: host.out,
    file: async (path) => new TextDecoder().decode(await host.readFile(path)),
  };
}

/** Write the page the CLI makes for `args` (plus `--html`) into `dir`. */
async function writePage(
  dir: string,
  name: string,
  args: string[],
  files: Record<string, Uint8Array> = {},
): Promise<string> {
  const run = await cli([...args, "--html", "page.html"], files);
  const path = `${dir}/${name}.html`;
  await Deno.writeTextFile(path, await run.file("page.html"));
  return `file://${path}`;
}

/** A pcap of the Christmas-tree packet, then a record cut short. */
function damagedPcap(): Uint8Array {
  const writer = new PcapWriter();
  const record = writer.packet(parseHex(XMAS_HEX.join("")), {
    timestamp: 1000,
  });
  return new Uint8Array([
    ...writer.header(),
    ...record,
    ...record.subarray(0, 9),
  ]);
}

/** What the page shows for the packet selected: every value, read from the DOM. */
interface Shown {
  heading: string;
  tables: { layer: number; rows: string[][] }[];
  pieces: {
    id: string;
    name: string | null;
    value: string | null;
    bits: string;
  }[];
  checksums: { verdict: string; steps: string[][] }[];
  anomalies: { code: string; message: string; reference: string | null }[];
  notes: string[];
  preview: string | null;
}

const READ_SHOWN = `(() => {
  const article = document.querySelector("#packet article");
  const text = (e) => e === null || e === undefined ? null : e.textContent;
  return {
    heading: text(article.querySelector("h2")),
    tables: [...article.querySelectorAll("table.fields[data-layer]")].map((t) => ({
      layer: Number(t.dataset.layer),
      rows: [...t.querySelectorAll("tbody tr")].map((r) => [...r.children].map((c) => c.textContent)),
    })),
    pieces: [...article.querySelectorAll(".diagram .piece[data-field]")].map((p) => ({
      id: p.dataset.field,
      name: text(p.querySelector(".name")),
      value: text(p.querySelector(".value")),
      bits: p.querySelector(".bits").textContent,
    })),
    checksums: [...article.querySelectorAll(".checksum")].map((c) => ({
      verdict: c.querySelector(".verdict-text").textContent,
      steps: [...c.querySelectorAll(".steps tbody tr")].map((r) => [...r.children].map((x) => x.textContent)),
    })),
    anomalies: [...article.querySelectorAll(".anomalies li")].map((li) => ({
      code: li.dataset.code,
      message: li.querySelector(".message").textContent,
      reference: text(li.querySelector(".reference a")),
    })),
    notes: [...article.querySelectorAll(".notes li")].map((li) => li.textContent),
    preview: text(article.querySelector(".data .preview")),
  };
})()`;

function hexWord(value: number): string {
  return `0x${value.toString(16).padStart(value > 0xffff ? 5 : 4, "0")}`;
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** Every value the page shows for a packet equals what explain --format json says. */
function compareShown(shown: Shown, line: Json, label: string): void {
  const layers: Json[] = line.layers;
  assert.equal(
    shown.tables.length,
    layers.filter((l) => l.fields.length > 0).length,
    label,
  );
  for (const table of shown.tables) {
    const layer = layers[table.layer];
    assert.equal(table.rows.length, layer.fields.length, label);
    table.rows.forEach((row, i) => {
      const field = layer.fields[i];
      assert.deepEqual(row, [
        field.name,
        offsetText(field, layer),
        String(field.bitLength),
        rawText(field),
        field.display,
        field.meaning,
      ], `${label}: ${layer.name} ${field.name}`);
      assert.equal(
        row[3]!.replace(/^0x/, "").replaceAll(" ", ""),
        field.bitLength > 32 ? field.hex : field.bits,
      );
    });
  }
  // The diagram: each field's bits, piece after piece; its value where written.
  const bits = new Map<string, string>();
  for (const piece of shown.pieces) {
    bits.set(piece.id, (bits.get(piece.id) ?? "") + piece.bits);
    if (piece.value === null) continue;
    const [l, f] = piece.id.split(".").map(Number);
    assert.equal(
      piece.value,
      layers[l!].fields[f!].display,
      `${label}: diagram ${piece.id}`,
    );
  }
  for (const [id, text] of bits) {
    const [l, f] = id.split(".").map(Number);
    assert.equal(
      text,
      layers[l!].fields[f!].bits,
      `${label}: diagram bits ${id}`,
    );
  }
  assert.equal(shown.checksums.length, line.checksums.length, label);
  shown.checksums.forEach((work, i) => {
    const expected = line.checksums[i];
    assert.equal(work.verdict, expected.verdict, label);
    assert.deepEqual(
      work.steps,
      (expected.steps ?? []).map((step: Json) => [
        hexWord(step.before),
        `+ ${hexWord(step.word)}`,
        `= ${hexWord(step.sum)}`,
        step.carry ? `carry folded: ${hexWord(step.folded)}` : "",
        step.from,
      ]),
      `${label}: ${expected.name} steps`,
    );
  });
  assert.deepEqual(
    shown.anomalies,
    line.anomalies.map((a: Json) => ({
      code: a.code,
      message: a.message,
      reference: a.reference === undefined
        ? null
        : `RFC ${a.reference.rfc} §${a.reference.section} (${a.reference.title})`,
    })),
    label,
  );
  assert.deepEqual(
    shown.notes,
    line.notes.map((n: string) => `Note: ${n}`),
    label,
  );
  if (line.payload !== undefined && line.payload.length > 0) {
    assert.equal(shown.preview, line.payload.preview, label);
  }
}

/** The requests the page's session has made since `from` events. */
function requests(page: Page, from: number): string[] {
  return page.events("Network.requestWillBeSent").slice(from).map((e) =>
    e.params.request.url as string
  );
}

/** The hostile capture: payloads and a comment that try to become markup and load things. */
function hostileCapture(canary: string): Uint8Array {
  const writer = new PcapngWriter();
  const payloads = [
    "<script>window.__pwned = 1</script>",
    `<img src="${canary}/img" onerror="window.__pwned = 2">`,
    `"><svg onload="window.__pwned = 3"><link rel=stylesheet href="${canary}/css">`,
    `</script><script src="${canary}/js"></script><!--`,
  ];
  const packets = payloads.map((text, i) =>
    writer.packet(
      encodePacket(makeTcpPacket({
        src: "192.0.2.1",
        dst: "192.0.2.2",
        srcPort: 40000 + i,
        dstPort: 80,
        flags: 0x18,
        payload: new TextEncoder().encode(text),
      })),
      {
        timestamp: 1000 + i,
        comment: `</script><script>window.__pwned = ${10 + i}</script>`,
      },
    )
  );
  return new Uint8Array([writer.header(), ...packets].flatMap((b) => [...b]));
}

function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

Deno.test({
  name: `the explanation page in headless Chromium${
    SKIP === undefined ? "" : ` (skipped: ${SKIP})`
  }`,
  ignore: SKIP !== undefined,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-page-" });
    const hits: string[] = [];
    const canary = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => {
        hits.push(request.url);
        return new Response("no", { status: 404 });
      },
    );
    const canaryUrl = `http://127.0.0.1:${canary.addr.port}`;
    const browser = await Browser.launch();
    try {
      const page = await browser.newPage();
      await page.send("Network.enable");
      await page.send("Emulation.setDeviceMetricsOverride", {
        width: 1280,
        height: 900,
        deviceScaleFactor: 1,
        mobile: false,
      });
      const xmasUrl = await writePage(dir, "xmas", ["explain", ...XMAS_HEX]);

      await t.step(
        "the Christmas-tree page shows both diagrams, makes no request and exposes the library mod.ts exports",
        async () => {
          const before = page.events("Network.requestWillBeSent").length;
          await page.goto(xmasUrl);
          await page.waitFor(
            `document.querySelectorAll(".diagram").length === 2`,
          );
          assert.deepEqual(requests(page, before), [xmasUrl]);
          assert.equal(page.events("Runtime.exceptionThrown").length, 0);
          const png = await page.screenshot();
          assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
          assert.ok(png.length > 20000, `screenshot of ${png.length} bytes`);
          const diagram = await page.evaluate(
            `[...document.querySelectorAll(".diagram")].map((d) => {
          const r = d.getBoundingClientRect();
          return { label: d.getAttribute("aria-label"), rows: d.querySelectorAll(".word").length, top: r.top };
        })`,
          );
          assert.deepEqual(diagram.map((d: Json) => [d.label, d.rows]), [
            ["IPv4 header diagram, 32 bits to a row", 5],
            ["TCP header diagram, 32 bits to a row", 5],
          ]);
          assert.ok(
            diagram[0].top < 900,
            "the first diagram is on the first screen",
          );
          // Nothing covers them: the middle of each diagram is one of its boxes.
          const seen = await page.evaluate(
            `[...document.querySelectorAll(".diagram")].map((d) => {
              d.scrollIntoView({ block: "center" });
              const r = d.getBoundingClientRect();
              const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
              return e !== null && e.closest(".piece") !== null && d.contains(e);
            })`,
          );
          assert.deepEqual(seen, [true, true]);
          const keys = await page.evaluate(
            `Object.keys(globalThis.tcpcraft).sort()`,
          );
          assert.deepEqual(keys, Object.keys(library).sort());
        },
      );

      await t.step(
        "pointing at the TCP checksum lights bytes 16-17 of the TCP header and shows its row of the field table; pointing at a byte lights its fields",
        async () => {
          await page.hover(
            `.diagram.layer-tcp .piece[aria-label^="Checksum = 0x08e2"]`,
          );
          await page.waitFor(
            `document.querySelectorAll(".hexbyte.lit").length > 0`,
          );
          const lit = await page.evaluate(
            `[...document.querySelectorAll(".hexbyte.lit, .hexbyte.lit-part")].map((e) => Number(e.dataset.bytes))`,
          );
          assert.deepEqual(lit, [36, 37]);
          const detail = await page.evaluate(`(() => {
          const d = document.querySelector(".detail");
          return { row: [...d.querySelectorAll("tbody td, tbody th")].map((c) => c.textContent), place: d.querySelector(".places").textContent };
        })()`);
          assert.deepEqual(detail.row, [
            "Checksum",
            "16",
            "16",
            "00001000 11100010",
            "0x08e2",
            "correct: stored 0x08e2 = computed 0x08e2",
          ]);
          assert.equal(
            detail.place,
            "Checksum: bytes 16–17 of the TCP header (36–37 of the packet)",
          );
          const rows = await page.evaluate(
            `[...document.querySelectorAll("tr.lit th")].map((e) => e.textContent)`,
          );
          assert.deepEqual(rows, ["Checksum"]);

          await page.hover(`.hexbyte[data-bytes="33"]`);
          await page.waitFor(
            `document.querySelector(".hexbyte.lit")?.dataset.bytes === "33"`,
          );
          const fields = await page.evaluate(
            `[...document.querySelectorAll(".diagram .piece.lit")].map((e) => e.querySelector(".name").textContent)`,
          );
          assert.deepEqual(fields, [
            "CWR",
            "ECE",
            "URG",
            "ACK",
            "PSH",
            "RST",
            "SYN",
            "FIN",
          ]);
        },
      );

      await t.step(
        "pasting the Christmas-tree hex shows FIN, PSH and URG; a bad paste is one line and the page stays",
        async () => {
          const empty = await writePage(dir, "empty", [
            "explain",
            "--pcap",
            "none.pcap",
          ], {
            "none.pcap": new PcapngWriter().header(),
          });
          await page.goto(empty);
          await page.waitFor(
            `document.querySelector("#packet .empty") !== null`,
          );
          await page.evaluate(`document.getElementById("hex").focus()`);
          await page.send("Input.insertText", { text: XMAS_HEX.join(" ") });
          await page.waitFor(
            `document.querySelector("#packet h2")?.textContent.includes("192.0.2.42:20")`,
          );
          const shown = await page.evaluate(`({
          summary: document.querySelector("#packet .summary").textContent,
          flags: [...document.querySelectorAll("table.fields[data-layer='1'] tbody tr")]
            .filter((r) => r.children[4].textContent === "1" && r.children[2].textContent === "1")
            .map((r) => r.children[0].textContent),
        })`);
          assert.match(shown.summary, /^FIN PSH URG · /);
          assert.deepEqual(shown.flags, ["URG", "PSH", "FIN"]);
          await page.evaluate(
            `(() => { const t = document.getElementById("hex"); t.value = ""; t.focus(); })()`,
          );
          await page.send("Input.insertText", {
            text: `<img src="${canaryUrl}/paste" onerror="window.__pwned = 9">`,
          });
          await page.press("Enter");
          const error = await page.waitFor(
            `!document.getElementById("error").hidden && document.getElementById("error").textContent`,
          );
          assert.match(error, /^Cannot parse hex bytes "<img src=/);
          assert.equal(
            await page.evaluate(`document.querySelectorAll("img").length`),
            0,
          );
          assert.match(
            await page.evaluate(
              `document.querySelector("#packet .summary").textContent`,
            ),
            /^FIN PSH URG/,
          );
        },
      );

      await t.step(
        "a capture opened on the page is listed; a damaged one dropped on it shows the good packets and one plain error line",
        async () => {
          const good = `${dir}/lo_ethernet.pcap`;
          await Deno.writeFile(good, fixture("lo_ethernet.pcap"));
          const { root } = await page.send("DOM.getDocument");
          const { nodeId } = await page.send("DOM.querySelector", {
            nodeId: root.nodeId,
            selector: "#file",
          });
          await page.send("DOM.setFileInputFiles", { nodeId, files: [good] });
          await page.waitFor(
            `document.querySelectorAll("[role=option]").length === 20`,
          );
          assert.equal(
            await page.evaluate(`document.getElementById("error").hidden`),
            true,
          );
          const path = `${dir}/damaged.pcap`;
          await Deno.writeFile(path, damagedPcap());
          const data = { items: [], files: [path], dragOperationsMask: 1 };
          for (const type of ["dragEnter", "dragOver", "drop"]) {
            await page.send("Input.dispatchDragEvent", {
              type,
              x: 400,
              y: 300,
              data,
            });
          }
          await page.waitFor(
            `document.querySelector("header.top .title").textContent === "damaged.pcap"`,
          );
          const error = await page.evaluate(
            `!document.getElementById("error").hidden && document.getElementById("error").textContent`,
          );
          assert.equal(
            error,
            "Cannot decode pcap file: record header at byte 80 is truncated: 9 bytes, expected 16",
          );
          assert.equal(
            await page.evaluate(`document.querySelectorAll(".error").length`),
            1,
          );
          assert.match(
            await page.evaluate(
              `document.querySelector("#packet h2").textContent`,
            ),
            /^Packet 1: 192\.0\.2\.42:20 → 192\.0\.2\.1:666$/,
          );
          assert.equal(
            await page.evaluate(
              `document.querySelector("header.top .title").textContent`,
            ),
            "damaged.pcap",
          );
          assert.equal(page.events("Runtime.exceptionThrown").length, 0);
        },
      );

      await t.step(
        "every value shown equals explain --format json, for every packet of the fixture captures",
        async () => {
          for (const name of CAPTURES) {
            const files = { [name]: fixture(name) };
            const json = await cli([
              "explain",
              "--pcap",
              name,
              "--format",
              "json",
              "--steps",
            ], files);
            const lines: Json[] = json.out.trim().split("\n").map((l) =>
              JSON.parse(l)
            );
            await page.goto(
              await writePage(dir, name, ["explain", "--pcap", name], files),
            );
            await page.waitFor(
              `document.querySelector("[role=listbox]") !== null`,
            );
            await page.evaluate(
              `document.querySelector("[role=listbox]").focus()`,
            );
            for (let i = 0; i < lines.length; i++) {
              if (i > 0) await page.press("ArrowDown");
              const line = lines[i];
              const heading = `Packet ${line.index}`;
              await page.waitFor(
                `document.querySelector("#packet h2")?.textContent.startsWith(${
                  JSON.stringify(`${heading}:`)
                }) || document.querySelector("#packet h2")?.textContent === ${
                  JSON.stringify(heading)
                }`,
              );
              if (line.skipped !== undefined) {
                assert.equal(
                  await page.evaluate(
                    `document.querySelector("#packet p").textContent`,
                  ),
                  line.skipped,
                );
                continue;
              }
              compareShown(
                await page.evaluate<Shown>(READ_SHOWN),
                line,
                `${name} ${heading}`,
              );
            }
          }
        },
      );

      await t.step(
        "the keyboard alone chooses packets, walks a diagram field by field and the bytes one by one",
        async () => {
          await page.goto(
            await writePage(dir, "keys", ["explain", "--pcap", "c.pcap"], {
              "c.pcap": fixture("lo_ethernet.pcap"),
            }),
          );
          await page.waitFor(
            `document.querySelector("[role=listbox]") !== null`,
          );
          const focused =
            `(() => { const e = document.activeElement; return e.getAttribute("role") ?? e.className ?? e.tagName; })()`;
          let presses = 0;
          while (await page.evaluate(focused) !== "listbox") {
            await page.press("Tab");
            assert.ok(++presses < 20, "Tab never reached the packet list");
          }
          await page.press("ArrowDown");
          await page.press("ArrowDown");
          assert.match(
            await page.evaluate(
              `document.querySelector("#packet h2").textContent`,
            ),
            /^Packet 3:/,
          );
          assert.equal(
            await page.evaluate(
              `document.querySelector("[aria-selected=true]").id`,
            ),
            await page.evaluate(
              `document.querySelector("[role=listbox]").getAttribute("aria-activedescendant")`,
            ),
          );
          await page.press("End");
          assert.match(
            await page.evaluate(
              `document.querySelector("#packet h2").textContent`,
            ),
            /^Packet 20:/,
          );
          await page.press("Home");
          assert.match(
            await page.evaluate(
              `document.querySelector("#packet h2").textContent`,
            ),
            /^Packet 1:/,
          );
          while (
            !(await page.evaluate(
              `document.activeElement.classList.contains("piece")`,
            ))
          ) {
            await page.press("Tab");
            assert.ok(++presses < 40, "Tab never reached a diagram");
          }
          const lit =
            `[...document.querySelectorAll(".hexbyte.lit, .hexbyte.lit-part")].map((e) => Number(e.dataset.bytes))`;
          assert.deepEqual(await page.evaluate(lit), [0]); // Version, in byte 0
          await page.press("ArrowRight");
          assert.equal(
            await page.evaluate(
              `document.activeElement.querySelector(".name").textContent`,
            ),
            "IHL",
          );
          await page.press("ArrowDown");
          assert.equal(
            await page.evaluate(
              `document.activeElement.querySelector(".name").textContent`,
            ),
            "Identification",
          );
          assert.deepEqual(await page.evaluate(lit), [4, 5]);
          while (
            !(await page.evaluate(
              `document.activeElement.classList.contains("hexbyte")`,
            ))
          ) {
            await page.press("Tab");
            assert.ok(++presses < 60, "Tab never reached the bytes");
          }
          await page.press("ArrowRight");
          await page.press("ArrowDown");
          assert.equal(
            await page.evaluate(`document.activeElement.dataset.bytes`),
            "17",
          );
          assert.deepEqual(await page.evaluate(lit), [17]);
          assert.match(
            await page.evaluate(
              `document.querySelector(".detail .places").textContent`,
            ),
            /^Destination Address: bytes 16–19 of the IPv4 header/,
          );
        },
      );

      await t.step(
        "a capture of hostile payloads and comments runs no script, loads nothing and shows the text as text",
        async () => {
          const hostile = hostileCapture(canaryUrl);
          const url = await writePage(dir, "hostile", [
            "explain",
            "--pcap",
            "h.pcapng",
          ], { "h.pcapng": hostile });
          const before = page.events("Network.requestWillBeSent").length;
          const dialogs = page.events("Page.javascriptDialogOpening").length;
          await page.goto(url);
          await page.waitFor(
            `document.querySelector("[role=listbox]") !== null`,
          );
          await page.evaluate(
            `document.querySelector("[role=listbox]").focus()`,
          );
          const previews: string[] = [];
          for (let i = 0; i < 4; i++) {
            if (i > 0) await page.press("ArrowDown");
            await page.waitFor(
              `document.querySelector("#packet h2").textContent.startsWith("Packet ${
                i + 1
              }:")`,
            );
            previews.push(
              await page.evaluate(
                `document.querySelector("#packet .data .preview").textContent`,
              ),
            );
            assert.match(
              await page.evaluate(
                `document.querySelector("#packet .capture").textContent`,
              ),
              /comment "<\/script><script>window\.__pwned = /,
            );
          }
          assert.equal(previews[0], "<script>window.__pwned = 1</script>");
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.equal(
            await page.evaluate(`typeof window.__pwned`),
            "undefined",
          );
          assert.equal(
            await page.evaluate(`document.querySelectorAll("script").length`),
            2,
          );
          assert.equal(
            await page.evaluate(
              `document.querySelectorAll("img, svg, link, iframe").length`,
            ),
            0,
          );
          assert.equal(
            page.events("Page.javascriptDialogOpening").length,
            dialogs,
          );
          assert.deepEqual(requests(page, before), [url]);
          assert.deepEqual(hits, []);
        },
      );

      await t.step(
        "at 200% zoom (a 640-pixel-wide window) nothing scrolls sideways and the bytes move below the diagrams",
        async () => {
          await page.send("Emulation.setDeviceMetricsOverride", {
            width: 640,
            height: 900,
            deviceScaleFactor: 2,
            mobile: false,
          });
          await page.goto(
            await writePage(dir, "zoom", ["explain", "--pcap", "c.pcap"], {
              "c.pcap": fixture("lo_ethernet.pcap"),
            }),
          );
          await page.waitFor(`document.querySelector(".diagram") !== null`);
          const layout = await page.evaluate(`(() => {
          const box = (s) => document.querySelector(s).getBoundingClientRect();
          return {
            scroll: document.documentElement.scrollWidth,
            width: innerWidth,
            diagram: box(".diagram").right,
            hex: box(".hexview").right,
            table: Math.max(...[...document.querySelectorAll("table")].map((t) => t.getBoundingClientRect().right)),
            sideTop: box(".side").top,
            diagramsBottom: box(".diagrams").bottom,
            font: getComputedStyle(document.body).fontSize,
          };
        })()`);
          assert.equal(layout.width, 640);
          assert.ok(
            layout.scroll <= 640,
            `the page is ${layout.scroll} pixels wide`,
          );
          for (const key of ["diagram", "hex", "table"]) {
            assert.ok(layout[key] <= 640, `${key} ends at ${layout[key]}`);
          }
          assert.ok(
            layout.sideTop >= layout.diagramsBottom,
            "the bytes are below the diagrams",
          );
          assert.equal(layout.font, "16px");
          await page.send("Emulation.setDeviceMetricsOverride", {
            width: 1280,
            height: 900,
            deviceScaleFactor: 1,
            mobile: false,
          });
        },
      );

      await t.step(
        "the page follows the light and the dark scheme, its text readable in both",
        async () => {
          const colours = `(() => {
          const style = (s) => getComputedStyle(document.querySelector(s));
          return {
            bg: style("body").backgroundColor, fg: style("body").color,
            pieceBg: style(".diagram.layer-tcp .piece").backgroundColor,
            pieceFg: style(".diagram.layer-tcp .piece .name").color,
          };
        })()`;
          await page.goto(xmasUrl);
          await page.waitFor(`document.querySelector(".diagram") !== null`);
          for (const scheme of ["light", "dark"]) {
            await page.send("Emulation.setEmulatedMedia", {
              features: [{ name: "prefers-color-scheme", value: scheme }],
            });
            const c = await page.evaluate(colours);
            assert.ok(
              (luminance(c.bg) > 0.5) === (scheme === "light"),
              `${scheme}: background ${c.bg}`,
            );
            assert.ok(
              contrast(c.fg, c.bg) >= 7,
              `${scheme}: text ${c.fg} on ${c.bg}`,
            );
            assert.ok(
              contrast(c.pieceFg, c.pieceBg) >= 4.5,
              `${scheme}: diagram ${c.pieceFg} on ${c.pieceBg}`,
            );
          }
          await page.send("Emulation.setEmulatedMedia", { features: [] });
        },
      );

      await t.step(
        "printing gives one page per packet: 1 for the Christmas tree, 5 for five IPv6 segments with options and data",
        async () => {
          await page.goto(xmasUrl);
          await page.waitFor(`document.querySelector(".diagram") !== null`);
          assert.equal(pdfPageCount(await page.pdf()), 1);
          await page.goto(
            await writePage(dir, "print", [
              "explain",
              "--pcap",
              "c.pcap",
              "--filter",
              "ip6",
              "--count",
              "5",
            ], { "c.pcap": fixture("lo_ethernet.pcap") }),
          );
          await page.waitFor(`document.querySelector(".diagram") !== null`);
          assert.equal(
            await page.evaluate(
              `document.querySelectorAll("[role=option]").length`,
            ),
            5,
          );
          assert.equal(pdfPageCount(await page.pdf()), 5);
          assert.equal(
            await page.evaluate(
              `document.querySelector(".print-area").children.length`,
            ),
            0,
          );
        },
      );

      await t.step(
        "build --html shows what the flags and options became",
        async () => {
          await page.goto(
            await writePage(dir, "built", [
              "build",
              "192.0.2.1:80",
              "--src",
              "192.0.2.42",
              "-f",
              "SA",
              "-o",
              "mss=1460",
              "-o",
              "wscale=7",
            ]),
          );
          await page.waitFor(`document.querySelector(".diagram") !== null`);
          const shown = await page.evaluate(`({
          title: document.querySelector("header.top .title").textContent,
          summary: document.querySelector("#packet .summary").textContent,
          options: [...document.querySelectorAll(".options tbody tr th")].map((e) => e.textContent),
        })`);
          assert.equal(shown.title, "built packet");
          assert.match(shown.summary, /^SYN ACK · /);
          assert.deepEqual(shown.options.slice(0, 2), ["MSS", "Window scale"]);
        },
      );
      assert.equal(page.events("Runtime.exceptionThrown").length, 0);
      assert.deepEqual(hits, []);
    } finally {
      await browser.close();
      await canary.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
