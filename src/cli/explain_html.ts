/**
 * `--html FILE` for `explain` and `build`: the packets as one
 * self-contained HTML page (see `src/explain/html/page.ts`), written only
 * once everything has been read and explained, so that input `explain`
 * refuses leaves no file behind.
 *
 * `explain` writes its records through {@linkcode PageOutput} instead of a
 * text or JSON formatter; each packet record carries what the page needs
 * to explain it again the same way (`ExplainRecord.input`). `build` calls
 * {@linkcode writePage} with the packet it made.
 *
 * @module
 */

import { captureFacts, type PageEntry } from "../explain/html/model.ts";
import { type PageData, renderPage } from "../explain/html/page.ts";
import { defineOptions } from "./args.ts";
import { CliError, quote, UsageError } from "./errors.ts";
import type { ExplainRecord } from "./explain_output.ts";
import type { CliFileWriter, CliHost } from "./host.ts";
import type { OutputFormatter } from "./output.ts";
import { parseFileName } from "./name_values.ts";

/** The `--html FILE` option. */
export const HTML_OUTPUT_OPTIONS = defineOptions({
  html: {
    kind: "string",
    valueName: "FILE",
    parse: parseFileName,
    help:
      "write one self-contained HTML page (no network, no install) where every field and byte can be pointed at, with the checksums worked out; - for standard output",
    group: "Output",
  },
});

/**
 * The options `--html` cannot be given with: the page is the output, and
 * shows every packet in full.
 *
 * @param values The options given.
 * @throws {UsageError} When `--html` comes with `--brief` or `--format`.
 *
 * @example
 * ```ts
 * import { checkHtmlOptions } from "./explain_html.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => checkHtmlOptions({ html: "a.html", format: "json" }),
 *   /^UsageError: --html: conflicts with --format json; the page is the output/,
 * );
 * checkHtmlOptions({ html: "a.html", steps: true });
 * ```
 */
export function checkHtmlOptions(
  values: { html?: string; brief?: boolean; format?: string; steps?: boolean },
): void {
  if (values.html === undefined) return;
  if (values.brief === true) {
    throw new UsageError(
      "--html: conflicts with --brief; the page shows every packet in full",
    );
  }
  if (values.format !== undefined) {
    throw new UsageError(
      `--html: conflicts with --format ${values.format}; the page is the output`,
    );
  }
}

/**
 * Write a page: to standard output for `-`, else to a file created (or
 * truncated) only now.
 *
 * @param host The host.
 * @param path The `--html` value.
 * @param data The page's packets.
 * @throws {UsageError} When the file cannot be created.
 * @throws {CliError} When writing it fails, or the host cannot write files.
 *
 * @example
 * ```ts
 * import { writePage } from "./explain_html.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * await writePage(host, "x.html", { title: "nothing", entries: [] });
 * const html = new TextDecoder().decode(await host.readFile("x.html"));
 * assert.match(html, /<title>tcpcraft explain: nothing<\/title>/);
 * ```
 */
export async function writePage(
  host: CliHost,
  path: string,
  data: PageData,
): Promise<void> {
  const html = renderPage(data);
  if (path === "-") {
    host.stdout(html);
    return;
  }
  if (host.files === undefined) {
    throw new CliError("--html: this host cannot write files");
  }
  let file: CliFileWriter;
  try {
    file = await host.files.openWrite(path);
  } catch (error) {
    throw new UsageError(
      `--html: cannot write ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  try {
    await file.write(new TextEncoder().encode(html));
    await file.close();
  } catch (error) {
    await file.close().catch(() => undefined);
    throw new CliError(
      `cannot write ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

/**
 * The page as an output of `explain`: it keeps the records, and
 * {@linkcode PageOutput.save} writes them once the command is done.
 */
export class PageOutput implements OutputFormatter<ExplainRecord, unknown> {
  readonly #entries: PageEntry[] = [];
  readonly #path: string;
  readonly #title: string;

  /**
   * @param path The `--html` value.
   * @param title What is explained, for the page's title.
   */
  constructor(path: string, title: string) {
    this.#path = path;
    this.#title = title;
  }

  /** Nothing to do before the records. */
  begin(): void {}

  /** Keep records for the page. */
  write(records: readonly ExplainRecord[]): void {
    for (const record of records) {
      const capture = record.entry === undefined
        ? undefined
        : captureFacts(record.entry.record, record.entry.index);
      if (record.kind === "skipped") {
        this.#entries.push({
          kind: "skipped",
          reason: record.reason,
          capture: capture!,
        });
      } else if (record.input !== undefined) {
        this.#entries.push({
          kind: "packet",
          input: record.input,
          ...(capture === undefined ? {} : { capture }),
        });
      }
    }
  }

  /** Nothing to do after the records. */
  end(): void {}

  /** The number of packets kept (skipped ones too). */
  get count(): number {
    return this.#entries.length;
  }

  /**
   * Write the page.
   *
   * @param host The host.
   */
  async save(host: CliHost): Promise<void> {
    await writePage(host, this.#path, {
      title: this.#title,
      entries: this.#entries,
    });
  }
}
