/**
 * The page: it reads the packets the CLI wrote into it (or a pasted hex
 * string, or a dropped capture file), lists them when there are several,
 * and explains the one chosen with tcpcraft's own library, bundled in the
 * page. Whatever goes wrong is said in one line on the page, never only on
 * the console; a damaged capture still shows the packets before the damage.
 *
 * @module
 */

import { readCaptureBytes } from "../../../capture/read.ts";
import { DecodeError, ParseError } from "../../../wire/errors.ts";
import type { Explanation } from "../../types.ts";
import { packetRow, relativeTime } from "../layout.ts";
import {
  decodePageData,
  entriesFromRecords,
  explainInput,
  inputFromBytes,
  isCaptureFile,
  type PageData,
  type PageEntry,
  parsePastedHex,
} from "../model.ts";
import { h } from "./dom.ts";
import { packetView } from "./packet_view.ts";
import { printAll } from "./print.ts";

/** The parts of the page the app fills. */
interface Parts {
  title: HTMLElement;
  error: HTMLElement;
  list: HTMLElement;
  packet: HTMLElement;
  print: HTMLElement;
  hex: HTMLTextAreaElement;
  segment: HTMLInputElement;
  src: HTMLInputElement;
  dst: HTMLInputElement;
}

/** The entries shown, each explained once for the list. */
interface Shown {
  data: PageData;
  summaries: (Explanation | undefined)[];
  selected: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The page's state and what changes it. */
class Page {
  readonly parts: Parts;
  shown: Shown = {
    data: { title: "", entries: [] },
    summaries: [],
    selected: 0,
  };

  constructor(parts: Parts) {
    this.parts = parts;
  }

  /** Say what went wrong, in one line (or clear it). */
  fail(message: string | undefined): void {
    this.parts.error.hidden = message === undefined;
    this.parts.error.textContent = message ?? "";
  }

  /** Show a set of packets: the list, and the first packet. */
  load(data: PageData): void {
    const summaries = data.entries.map((entry) => {
      if (entry.kind !== "packet") return undefined;
      try {
        return explainInput(entry.input, { steps: false });
      } catch {
        return undefined;
      }
    });
    this.shown = { data, summaries, selected: 0 };
    this.parts.title.textContent = data.title;
    document.title = `tcpcraft explain: ${data.title}`;
    this.fail(data.error);
    this.#drawList();
    this.select(0, false);
  }

  #drawList(): void {
    const { data, summaries } = this.shown;
    const list = this.parts.list;
    list.hidden = data.entries.length < 2;
    if (list.hidden) {
      list.replaceChildren();
      return;
    }
    const first = data.entries[0]?.capture;
    const options = data.entries.map((entry, i) =>
      listOption(entry, summaries[i], i, first)
    );
    const box = h(
      "div",
      {
        role: "listbox",
        tabindex: 0,
        class: "entries",
        "aria-label":
          `Packets (${data.entries.length}): the arrow keys choose one`,
      },
      h(
        "div",
        { class: "entry list-head", "aria-hidden": "true" },
        ...["No.", "Time", "Source", "Destination", "Flags", "Length", ""].map((
          name,
        ) => h("span", {}, name)),
      ),
      ...options,
    );
    box.addEventListener("keydown", (event) => this.#listKeys(event));
    box.addEventListener("click", (event) => {
      const option = event.target instanceof Element
        ? event.target.closest("[role=option]")
        : null;
      if (option !== null) {
        this.select(Number(option.getAttribute("data-index")), true);
      }
    });
    list.replaceChildren(
      h("h2", { class: "list-title" }, `${data.entries.length} packets`),
      box,
    );
  }

  #listKeys(event: KeyboardEvent): void {
    const count = this.shown.data.entries.length;
    const at = this.shown.selected;
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      PageDown: at + 10,
      PageUp: at - 10,
      Home: 0,
      End: count - 1,
    };
    const next = moves[event.key];
    if (next === undefined) return;
    event.preventDefault();
    this.select(Math.max(0, Math.min(count - 1, next)), false);
  }

  /** Explain entry `index` below the list. */
  select(index: number, focusList: boolean): void {
    const { data } = this.shown;
    this.shown.selected = index;
    const box = this.parts.list.querySelector<HTMLElement>("[role=listbox]");
    for (const option of box?.querySelectorAll("[role=option]") ?? []) {
      const selected = Number(option.getAttribute("data-index")) === index;
      option.setAttribute("aria-selected", String(selected));
      if (selected) {
        box?.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    }
    if (focusList) box?.focus();
    const entry = data.entries[index];
    this.parts.packet.replaceChildren(
      entry === undefined ? emptyView(data) : this.view(entry, index),
    );
  }

  /** One entry, explained in full. */
  view(entry: PageEntry, index: number): HTMLElement {
    const heading = entry.capture === undefined
      ? this.shown.data.entries.length === 1
        ? "The packet"
        : `Packet ${index + 1}`
      : `Packet ${entry.capture.index}`;
    if (entry.kind === "skipped") {
      return h(
        "article",
        { class: "packet skipped" },
        h("h2", {}, heading),
        h("p", {}, entry.reason),
      );
    }
    try {
      const first = this.shown.data.entries[0]?.capture;
      return packetView(entry.input, explainInput(entry.input), {
        heading,
        ...(entry.capture === undefined ? {} : { capture: entry.capture }),
        ...(first === undefined ? {} : { first }),
      });
    } catch (error) {
      return h(
        "article",
        { class: "packet skipped" },
        h("h2", {}, heading),
        h("p", { class: "error" }, `Cannot explain it: ${messageOf(error)}`),
      );
    }
  }

  /** Explain pasted or typed hex; a mistake is a line, the page stays. */
  readText(text: string, title: string): void {
    if (text.trim() === "") return;
    try {
      const bytes = parsePastedHex(text);
      if (bytes.length === 0) {
        throw new ParseError("hex bytes", text, "no hex bytes");
      }
      const segment = this.parts.segment.checked ? this.#segment() : undefined;
      const input = inputFromBytes(bytes, segment);
      explainInput(input, { steps: false });
      this.load({ title, entries: [{ kind: "packet", input }] });
    } catch (error) {
      if (
        !(error instanceof ParseError || error instanceof DecodeError ||
          error instanceof RangeError)
      ) {
        throw error;
      }
      const first =
        (/^[0-9a-f]{2}/i.exec(text.replace(/^\s*(0x)?/i, "")) ?? [""])[0];
      const hint =
        error instanceof DecodeError && !this.parts.segment.checked &&
          first !== "" && !/^[46]/.test(first)
          ? ` (byte 0 is 0x${first.toLowerCase()}; tick "a bare TCP segment" for a segment without an IP header)`
          : "";
      this.fail(`${messageOf(error)}${hint}`);
    }
  }

  #segment(): { src?: string; dst?: string } {
    const src = this.parts.src.value.trim();
    const dst = this.parts.dst.value.trim();
    return {
      ...(src === "" ? {} : { src }),
      ...(dst === "" ? {} : { dst }),
    };
  }

  /** Explain a file: a capture, or text holding hex. */
  async readFile(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (!isCaptureFile(bytes)) {
      this.readText(new TextDecoder().decode(bytes), file.name);
      return;
    }
    const { records, error } = readCaptureBytes(bytes);
    const data: PageData = {
      title: file.name,
      entries: entriesFromRecords(records),
    };
    if (error !== undefined) data.error = error.message;
    this.load(data);
  }
}

function listOption(
  entry: PageEntry,
  summary: Explanation | undefined,
  index: number,
  first: PageEntry["capture"],
): HTMLElement {
  const capture = entry.capture;
  const number = capture?.index ?? index + 1;
  const time = capture === undefined || first === undefined
    ? ""
    : relativeTime(capture, first);
  const cells: (string | HTMLElement)[] = [String(number), time];
  if (entry.kind === "skipped" || summary === undefined) {
    const reason = entry.kind === "skipped"
      ? entry.reason
      : "cannot be explained";
    cells.push(h("span", { class: "skip-reason" }, reason));
  } else {
    const row = packetRow(summary);
    const warn = row.anomalies.length === 0 ? "" : `⚠ ${row.anomalies.length}`;
    cells.push(
      row.source,
      row.destination,
      row.flags,
      String(row.length),
      h(
        "span",
        {
          class: "warn",
          title: row.anomalies.join(", "),
          "aria-label": row.anomalies.length === 0
            ? "no anomalies"
            : `${row.anomalies.length} anomalies: ${row.anomalies.join(", ")}`,
        },
        warn,
      ),
    );
  }
  return h(
    "div",
    {
      role: "option",
      id: `entry-${index}`,
      class: `entry${entry.kind === "skipped" ? " skipped" : ""}`,
      "data-index": index,
      "aria-selected": "false",
    },
    ...cells.map((cell) =>
      typeof cell === "string" ? h("span", {}, cell) : cell
    ),
  );
}

function emptyView(data: PageData): HTMLElement {
  return h(
    "article",
    { class: "packet empty" },
    h(
      "p",
      {},
      data.title === ""
        ? "No packet yet: paste one as hex above, or open or drop a capture file."
        : "No packet to show.",
    ),
  );
}

function skeleton(): Parts & { form: HTMLFormElement; file: HTMLInputElement } {
  const hex = h("textarea", {
    id: "hex",
    rows: 3,
    spellcheck: "false",
    placeholder: "45000028 00010000 4006f6a3 c000022a c0000201 …",
  });
  const segment = h("input", { type: "checkbox", id: "segment" });
  const src = h("input", { id: "src", size: 18, autocomplete: "off" });
  const dst = h("input", { id: "dst", size: 18, autocomplete: "off" });
  const file = h("input", { type: "file", id: "file" });
  const form = h(
    "form",
    { class: "input", "aria-label": "Explain another packet" },
    h(
      "label",
      { for: "hex" },
      "Paste a packet as hex (an IP datagram, an Ethernet frame, or tcpdump -x output)",
    ),
    hex,
    h(
      "div",
      { class: "controls" },
      h("button", { type: "submit" }, "Explain"),
      h("label", {}, segment, " a bare TCP segment"),
      h("label", {}, "source ", src),
      h("label", {}, "destination ", dst),
      h("label", { class: "file" }, "or open a capture (pcap, pcapng) ", file),
    ),
  );
  const title = h("span", { class: "title" });
  const error = h("p", { class: "error", role: "alert", id: "error" });
  error.hidden = true;
  const header = h(
    "header",
    { class: "top" },
    h("a", { class: "skip", href: "#packet" }, "Skip to the packet"),
    h("h1", {}, "tcpcraft explain ", title),
    h(
      "p",
      { class: "lead" },
      "Every field of the packet, to the bit: point at a field to see its bytes, or at a byte to see its field. Explained here, offline, by the tcpcraft library bundled in this page; a capture file dropped on the page never leaves it.",
    ),
    form,
    error,
  );
  const list = h("section", { class: "list", "aria-label": "Packets" });
  const packet = h("div", { id: "packet", tabindex: -1 });
  const print = h("div", { class: "print-area", "aria-hidden": "true" });
  document.getElementById("app")?.replaceChildren(
    header,
    h("main", {}, list, packet),
    print,
  );
  return {
    title,
    error,
    list,
    packet,
    print,
    hex,
    segment,
    src,
    dst,
    form,
    file,
  };
}

function wire(page: Page, parts: ReturnType<typeof skeleton>): void {
  const read = () => page.readText(parts.hex.value, "pasted hex");
  let timer: number | undefined;
  parts.hex.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(read, 200);
  });
  parts.form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    read();
  });
  const readFile = (file: File | undefined) => {
    if (file === undefined) return;
    page.readFile(file).catch((error) => page.fail(messageOf(error)));
  };
  parts.file.addEventListener("change", () => readFile(parts.file.files?.[0]));
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    readFile(event.dataTransfer?.files[0]);
  });
  addEventListener("beforeprint", () => {
    // With no packet, the page prints as it is.
    if (page.shown.data.entries.length === 0) return;
    document.body.classList.add("printing");
    printAll(parts.print, page.shown.data, (entry, i) => page.view(entry, i));
  });
  addEventListener("afterprint", () => {
    document.body.classList.remove("printing");
    parts.print.replaceChildren();
  });
}

/**
 * Start the page: draw it, read the packets written into it, and follow
 * the reader's input. Errors, even unexpected ones, are said on the page.
 */
export function startPage(): void {
  const parts = skeleton();
  const page = new Page(parts);
  addEventListener(
    "error",
    (event) => page.fail(`Something went wrong: ${event.message}`),
  );
  addEventListener(
    "unhandledrejection",
    (event) => page.fail(`Something went wrong: ${messageOf(event.reason)}`),
  );
  wire(page, parts);
  const json = document.getElementById("tcpcraft-data")?.textContent ?? "";
  try {
    page.load(
      json.trim() === "" ? { title: "", entries: [] } : decodePageData(json),
    );
  } catch (error) {
    page.load({ title: "", entries: [] });
    page.fail(`Cannot read the packets in this page: ${messageOf(error)}`);
  }
}
