/**
 * nmap's outputs of `scan`: the sorted table on standard output (the
 * default `--format nmap`: nmap's normal output as nmap prints it on a
 * terminal) and the files of `-oN`, `-oX`, `-oG` and `-oA BASE`, all fed by
 * one {@linkcode NmapReporter}. Every file is opened before the first probe
 * (a file that cannot be written is a usage error, nothing sent); what is
 * written to each is counted, so a resume file can say how many bytes of
 * each are complete, and a resumed scan appends after them.
 *
 * @module
 */

import {
  type NmapFormat,
  nmapGrepableFormat,
  nmapNormalFormat,
  NmapReporter,
  type NmapRunEnd,
  type NmapRunInfo,
  type NmapScanType,
  nmapXmlFormat,
} from "../engine/report/mod.ts";
import type { ScanResult } from "../engine/scan/result.ts";
import type { TargetSpace } from "../engine/target_space.ts";
import { defineOptions, type OptionValues } from "./args.ts";
import { quote, reasonOf, UsageError } from "./errors.ts";
import type { CliFileWriter, CliHost } from "./host.ts";
import { nmapAllPaths, nmapFormatter } from "./nmap_output.ts";
import type { OutputFormatter } from "./output.ts";
import { parseFileName } from "./name_values.ts";

/** The options of nmap's outputs. */
export const SCAN_REPORT_OPTIONS = defineOptions({
  outputNormal: {
    kind: "string",
    long: "output-normal",
    valueName: "FILE",
    parse: parseFileName,
    help: "-oN FILE: also write nmap's normal output to FILE",
    group: "Output",
  },
  outputXml: {
    kind: "string",
    long: "output-xml",
    valueName: "FILE",
    parse: parseFileName,
    help:
      "-oX FILE: also write nmap's XML to FILE (ndiff and importers of nmap XML read it)",
    group: "Output",
  },
  outputGrepable: {
    kind: "string",
    long: "output-grepable",
    valueName: "FILE",
    parse: parseFileName,
    help: "-oG FILE: also write nmap's grepable output to FILE",
    group: "Output",
  },
  outputAll: {
    kind: "string",
    long: "output-all",
    valueName: "BASE",
    parse: parseFileName,
    help: "-oA BASE: all three, BASE.nmap, BASE.xml and BASE.gnmap",
    group: "Output",
  },
  allPorts: {
    kind: "boolean",
    help:
      'list every port in nmap\'s outputs: no "Not shown: N closed tcp ports" line',
    group: "Output",
  },
  verbose: {
    kind: "boolean",
    short: "v",
    help: "nmap's -v: list more ports before collapsing the commonest state",
    group: "Output",
  },
  reason: {
    kind: "boolean",
    help: "nmap's --reason: a REASON column in nmap's normal output",
    group: "Output",
  },
});

/** The values of {@linkcode SCAN_REPORT_OPTIONS}. */
export type ScanReportValues = OptionValues<typeof SCAN_REPORT_OPTIONS>;

/** One file of nmap's outputs. */
export interface ReportFile {
  /** The path. */
  path: string;
  /** `normal`, `xml` or `grepable`. */
  format: string;
  /** The option that named it, for messages. */
  flag: string;
}

/**
 * The files the options name, `-oA` expanded.
 *
 * @param values The options.
 * @returns The files, in the order normal, XML, grepable.
 *
 * @example
 * ```ts
 * import { reportFiles } from "./scan_reports.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(reportFiles({ outputAll: "s" }).map((f) => f.path), ["s.nmap", "s.xml", "s.gnmap"]);
 * assert.deepEqual(reportFiles({ outputXml: "x.xml" }), [{ path: "x.xml", format: "xml", flag: "-oX" }]);
 * ```
 */
export function reportFiles(values: ScanReportValues): ReportFile[] {
  const files: ReportFile[] = [];
  const all = values.outputAll === undefined
    ? undefined
    : nmapAllPaths(values.outputAll);
  const add = (path: string | undefined, format: string, flag: string) => {
    if (path !== undefined) files.push({ path, format, flag });
  };
  add(values.outputNormal, "normal", "-oN");
  add(all?.normal, "normal", "-oA");
  add(values.outputXml, "xml", "-oX");
  add(all?.xml, "xml", "-oA");
  add(values.outputGrepable, "grepable", "-oG");
  add(all?.grepable, "grepable", "-oA");
  return files;
}

function why(error: unknown): string {
  return error instanceof Error ? reasonOf(error) : String(error);
}

function formatOf(name: string): NmapFormat {
  return name === "xml"
    ? nmapXmlFormat()
    : name === "grepable"
    ? nmapGrepableFormat()
    : nmapNormalFormat();
}

/** An open output file: its text written in order, its bytes counted. */
class ReportSink {
  readonly file: ReportFile;
  /** Bytes handed to the file so far. */
  written: number;
  #writer: CliFileWriter;
  #chain: Promise<void> = Promise.resolve();
  #error: unknown;
  readonly #encoder = new TextEncoder();

  constructor(file: ReportFile, writer: CliFileWriter, offset: number) {
    this.file = file;
    this.#writer = writer;
    this.written = offset;
  }

  write(text: string): void {
    const bytes = this.#encoder.encode(text);
    this.written += bytes.length;
    this.#chain = this.#chain.then(() => this.#writer.write(bytes)).catch(
      (error) => {
        this.#error ??= error;
      },
    );
  }

  /** Wait for what was handed over to be written. */
  async settle(): Promise<void> {
    await this.#chain;
    if (this.#error !== undefined) {
      throw new UsageError(
        `${this.file.flag}: cannot write ${quote(this.file.path)}: ${
          why(this.#error)
        }`,
        { cause: this.#error },
      );
    }
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#writer.close();
  }
}

/** nmap's outputs of one scan, opened. */
export interface ScanReports {
  /** The reporter's formatter: results in, nmap's outputs out. */
  readonly formatter: OutputFormatter<ScanResult, NmapRunEnd>;
  /** The reporter. */
  readonly reporter: NmapReporter;
  /** The files, with the bytes handed to each so far. */
  readonly files: readonly { file: ReportFile; written: number }[];
  /** Wait for every file's writes. */
  settle(): Promise<void>;
  /** Wait and close the files. */
  close(): Promise<void>;
}

/** What {@linkcode openScanReports} needs besides the options. */
export interface ScanReportsSetup {
  /** The host: files and standard output. */
  host: CliHost;
  /** nmap's scan type word. */
  scanType: NmapScanType;
  /** The target space (its ports, for the header). */
  space: TargetSpace;
  /** The command line as typed. */
  args: string;
  /** When the scan started, epoch ms. */
  startMs: number;
  /** The wall clock, epoch ms. */
  now: () => number;
  /** tcpcraft's version. */
  version: string;
  /** Whether the sorted table goes to standard output. */
  stdout: boolean;
  /** `--open`. */
  openOnly: boolean;
  /**
   * A resumed scan: each file is cut back to these bytes and appended to,
   * its header not written again.
   */
  offsets?: ReadonlyMap<string, number>;
}

function portList(space: TargetSpace): number[] {
  const ports: number[] = [];
  for (const range of space.ports) {
    for (let p = range.first; p <= range.last; p++) ports.push(p);
  }
  return ports;
}

/**
 * Open nmap's outputs: every file first (a usage error, `-oX: cannot
 * write "x.xml": …`, when one cannot be), then the reporter. Returns
 * undefined when there is no nmap output at all.
 *
 * @param values The options.
 * @param setup The host, the run, standard output.
 * @returns The outputs, or undefined.
 * @throws {UsageError} When a file cannot be opened (the ones opened are closed).
 */
export async function openScanReports(
  values: ScanReportValues,
  setup: ScanReportsSetup,
): Promise<ScanReports | undefined> {
  const files = reportFiles(values);
  if (files.length === 0 && !setup.stdout) return undefined;
  const { host } = setup;
  const sinks: ReportSink[] = [];
  for (const file of files) {
    try {
      if (host.files === undefined) {
        throw new Error("this host cannot write files");
      }
      const offset = setup.offsets?.get(file.path);
      const writer = offset === undefined
        ? await host.files.openWrite(file.path)
        : await openAppend(host, file.path, offset);
      sinks.push(new ReportSink(file, writer, offset ?? 0));
    } catch (error) {
      for (const sink of sinks) await sink.close().catch(() => {});
      throw new UsageError(
        `${file.flag}: cannot write ${quote(file.path)}: ${why(error)}`,
        { cause: error },
      );
    }
  }
  const info: NmapRunInfo = {
    scanType: setup.scanType,
    ports: portList(setup.space),
    args: setup.args,
    startMs: setup.startMs,
    version: setup.version,
    reason: values.reason === true,
    verbose: values.verbose === true ? 1 : 0,
    allPorts: values.allPorts === true,
    openOnly: setup.openOnly,
  };
  // A resumed file has its header already: the reporter's is swallowed.
  const resumed = new Set(setup.offsets?.keys() ?? []);
  const outputs = sinks.map((sink) => {
    let skipHeader = resumed.has(sink.file.path);
    return {
      format: formatOf(sink.file.format),
      write: (text: string) => {
        if (skipHeader) {
          skipHeader = false;
          return;
        }
        sink.write(text);
      },
    };
  });
  if (setup.stdout) {
    outputs.unshift({
      format: nmapNormalFormat({ style: "terminal" }),
      write: (text: string) => host.stdout(text),
    });
  }
  const reporter = new NmapReporter(info, outputs, { now: setup.now });
  return {
    formatter: nmapFormatter(reporter),
    reporter,
    get files() {
      return sinks.map((s) => ({ file: s.file, written: s.written }));
    },
    async settle() {
      for (const sink of sinks) await sink.settle();
    },
    async close() {
      for (const sink of sinks) await sink.close();
      for (const sink of sinks) await sink.settle();
    },
  };
}

async function openAppend(
  host: CliHost,
  path: string,
  offset: number,
): Promise<CliFileWriter> {
  const files = host.files!;
  if (files.openAppend === undefined) {
    throw new Error("this host cannot append to files");
  }
  return await files.openAppend(path, offset);
}
