/**
 * Output formats: one interface, {@linkcode OutputFormatter}, that every
 * command writes its output through, and one implementation per format,
 * shared by the commands:
 *
 * | format | writes | used by |
 * | --- | --- | --- |
 * | `text` | a header, then each record's text as it comes, then an ending | build, send, probe, trace, explain (`text`); scan (`table`) |
 * | `hex` | each record's bytes as one line of hex | build, send |
 * | `ndjson` | each record's JSON value on a line of its own, then an ending value | probe, scan (`ndjson`); build, send, explain (`json`: one object per packet, per line) |
 * | `json` | one document at the end, made of every record's JSON value | probe, trace, scan (`json`) |
 * | `csv` | a header of column names, then a row per record | scan |
 *
 * A command says what its records and its ending look like once, in an
 * {@linkcode OutputView}: the text of a record, its JSON value, its bytes,
 * its CSV row, the document; a format reads the members it needs. Whatever
 * a format leaves on standard output is records only: the summary a text
 * format prints at the end goes to standard error in the other formats
 * ({@linkcode OutputView.note}). JSON text has every control and bidi
 * character escaped (`\u00XX`), so nothing from a packet can move the
 * cursor of the terminal it is printed on.
 *
 * @module
 */

import { formatHex } from "../wire/hex.ts";

/** A JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Where output goes (a host satisfies it). */
export interface OutputSink {
  /** Write to standard output. */
  stdout(text: string): void;
  /** Write to standard error. */
  stderr(text: string): void;
}

/** The columns and rows of the `csv` format. */
export interface CsvView<R> {
  /** The column names, the first line. */
  columns: readonly string[];
  /** A record's row, one value per column (`null` is an empty field). */
  row(record: R): readonly (string | number | null)[];
}

/**
 * What a command's output says, whatever the format: the members each
 * format reads. `R` is a record (a packet, a reply, a hop, a port's result),
 * `F` what the command knows at the end (counts, a summary).
 */
export interface OutputView<R, F> {
  /** `text`: written by `begin()` (a table's column header, a banner). */
  header?: string;
  /** `text`: a record's lines, without the last newline. */
  text?(record: R): string;
  /** `text`: written between two records (default nothing). */
  separator?: string;
  /** `text`: the lines that end the output (a summary), if any. */
  textEnd?(final: F): string | undefined;
  /** `hex`: a record's bytes. */
  bytes?(record: R): Uint8Array;
  /** `json`, `ndjson`: a record's JSON value. */
  json?(record: R): JsonValue;
  /** `ndjson`: the value of the last line (a summary object), if any. */
  jsonEnd?(final: F): JsonValue | undefined;
  /** `json`: the document, from every record (in the order they came) and the end. */
  document?(records: readonly R[], final: F): JsonValue;
  /** `json`: indent the document by this many spaces (default: one line). */
  documentIndent?: number;
  /** `csv`: columns and rows. */
  csv?: CsvView<R>;
  /**
   * Every format but `text`: a line for standard error at the end (the
   * summary `text` prints with {@linkcode OutputView.textEnd}), if any.
   */
  note?(final: F): string | undefined;
}

/**
 * A command's output in one format. Call `begin()` when the output starts,
 * `write()` with records as they come (several at once are written in one
 * piece), and `end()` once at the end.
 */
export interface OutputFormatter<R, F> {
  /** Start the output: a text header, CSV column names. */
  begin(): void;
  /** Write records (or keep them for the document). */
  write(records: readonly R[]): void;
  /** End the output: the document, the summary. */
  end(final: F): void;
}

/** The implementations: one per format. */
export type OutputKind = "text" | "hex" | "json" | "ndjson" | "csv";

/** What `JSON.stringify` leaves raw and a terminal would act on (C0 it escapes itself). */
const UNSAFE_JSON =
  /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON text with every control and bidi character escaped (still the same
 * JSON value).
 *
 * @param value The value.
 * @param indent Spaces per level (default: one line).
 * @returns The text.
 *
 * @example
 * ```ts
 * import { safeJson } from "./output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(safeJson({ a: "x\u202ey" }), '{"a":"x\\u202ey"}');
 * assert.equal(JSON.parse(safeJson(["\u0085"]))[0], "\u0085");
 * ```
 */
export function safeJson(value: JsonValue, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function need<T>(member: T | undefined, kind: OutputKind, name: string): T {
  if (member === undefined) {
    throw new Error(
      `Cannot format output as ${kind}: the command's view has no ${name}`,
    );
  }
  return member;
}

function textFormatter<R, F>(
  sink: OutputSink,
  view: OutputView<R, F>,
): OutputFormatter<R, F> {
  const text = need(view.text, "text", "text()");
  const separator = view.separator ?? "";
  let written = 0;
  return {
    begin() {
      if (view.header !== undefined) sink.stdout(`${view.header}\n`);
    },
    write(records) {
      if (records.length === 0) return;
      let out = "";
      for (const record of records) {
        out += `${written++ > 0 ? separator : ""}${text(record)}\n`;
      }
      sink.stdout(out);
    },
    end(final) {
      const ending = view.textEnd?.(final);
      if (ending !== undefined) sink.stdout(`${ending}\n`);
    },
  };
}

function noteAtEnd<F>(
  sink: OutputSink,
  view: OutputView<unknown, F>,
  final: F,
): void {
  const note = view.note?.(final);
  if (note !== undefined) sink.stderr(`${note}\n`);
}

function hexFormatter<R, F>(
  sink: OutputSink,
  view: OutputView<R, F>,
): OutputFormatter<R, F> {
  const bytes = need(view.bytes, "hex", "bytes()");
  return {
    begin() {},
    write(records) {
      if (records.length === 0) return;
      sink.stdout(records.map((r) => `${formatHex(bytes(r))}\n`).join(""));
    },
    end(final) {
      noteAtEnd(sink, view, final);
    },
  };
}

function ndjsonFormatter<R, F>(
  sink: OutputSink,
  view: OutputView<R, F>,
): OutputFormatter<R, F> {
  const json = need(view.json, "ndjson", "json()");
  return {
    begin() {},
    write(records) {
      if (records.length === 0) return;
      sink.stdout(records.map((r) => `${safeJson(json(r))}\n`).join(""));
    },
    end(final) {
      const last = view.jsonEnd?.(final);
      if (last !== undefined) sink.stdout(`${safeJson(last)}\n`);
      noteAtEnd(sink, view, final);
    },
  };
}

function jsonFormatter<R, F>(
  sink: OutputSink,
  view: OutputView<R, F>,
): OutputFormatter<R, F> {
  const document = need(view.document, "json", "document()");
  const kept: R[] = [];
  return {
    begin() {},
    write(records) {
      kept.push(...records);
    },
    end(final) {
      sink.stdout(`${safeJson(document(kept, final), view.documentIndent)}\n`);
      noteAtEnd(sink, view, final);
    },
  };
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvFormatter<R, F>(
  sink: OutputSink,
  view: OutputView<R, F>,
): OutputFormatter<R, F> {
  const csv = need(view.csv, "csv", "csv");
  const line = (values: readonly (string | number | null)[]) =>
    `${values.map(csvField).join(",")}\n`;
  return {
    begin() {
      sink.stdout(line(csv.columns));
    },
    write(records) {
      if (records.length === 0) return;
      sink.stdout(records.map((r) => line(csv.row(r))).join(""));
    },
    end(final) {
      noteAtEnd(sink, view, final);
    },
  };
}

/** Every implementation, by kind. */
const IMPLEMENTATIONS: {
  readonly [K in OutputKind]: <R, F>(
    sink: OutputSink,
    view: OutputView<R, F>,
  ) => OutputFormatter<R, F>;
} = {
  text: textFormatter,
  hex: hexFormatter,
  json: jsonFormatter,
  ndjson: ndjsonFormatter,
  csv: csvFormatter,
};

/**
 * The formatter of one format for a command's view.
 *
 * @param kind The format's implementation.
 * @param sink Where the output goes.
 * @param view What the command's records and ending look like.
 * @returns The formatter.
 * @throws {Error} When the view lacks what the format needs (a bug).
 *
 * @example Ports in two formats
 * ```ts
 * import { createFormatter, type OutputView } from "./output.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * type Port = { port: number; state: string };
 * const view: OutputView<Port, number> = {
 *   header: "PORT  STATE",
 *   text: (r) => `${String(r.port).padEnd(4)}  ${r.state}`,
 *   textEnd: (n) => `${n} ports`,
 *   json: (r) => ({ ...r }),
 *   note: (n) => `${n} ports`,
 * };
 * const host = createMemoryHost();
 * const text = createFormatter("text", host, view);
 * text.begin();
 * text.write([{ port: 22, state: "open" }, { port: 80, state: "closed" }]);
 * text.end(2);
 * assert.equal(host.out, "PORT  STATE\n22    open\n80    closed\n2 ports\n");
 *
 * const lines = createMemoryHost();
 * const ndjson = createFormatter("ndjson", lines, view);
 * ndjson.begin();
 * ndjson.write([{ port: 22, state: "open" }]);
 * ndjson.end(1);
 * assert.equal(lines.out, '{"port":22,"state":"open"}\n');
 * assert.equal(lines.err, "1 ports\n");
 * ```
 */
export function createFormatter<R, F>(
  kind: OutputKind,
  sink: OutputSink,
  view: OutputView<R, F>,
): OutputFormatter<R, F> {
  return IMPLEMENTATIONS[kind](sink, view);
}
