/**
 * `--pcap FILE` for commands that make, send or receive packets: every
 * packet goes into a capture file that Wireshark, tshark and tcpdump read,
 * with the time it happened and which way it went.
 *
 * Format by file name: a name ending in `.pcap` (any case) gets classic
 * pcap, which every tool reads but which has no place for directions or
 * comments; any other name (`.pcapng`, `.cap`, none) gets pcapng, where
 * each packet carries
 * - the direction flag (`epb_flags`): outbound for a packet sent, inbound
 *   for one received, none for one only built;
 * - a comment (`opt_comment`): `sent`, `received` or `built`, followed by
 *   `: ` and the command's note when it gives one (`sent: probe 3 of 10`).
 * Packets are raw IP datagrams (link type 101, `LINKTYPE_RAW`), time-stamped
 * to the nanosecond (pcapng) or microsecond (pcap) from the host's wall
 * clock unless the command gives the time (a reply's kernel receive time).
 *
 * Use from a command (`send`, `probe`, `scan` …):
 * ```ts ignore
 * const options = defineOptions({ ...PACKET_OPTIONS, ...CAPTURE_OUTPUT_OPTIONS });
 * // in run(): open before doing anything, so a bad path fails first (exit 2)
 * const capture = values.pcap === undefined
 *   ? undefined
 *   : await openCaptureOutput(host, values.pcap);
 * try {
 *   await capture?.record(probe, "sent");
 *   await capture?.record(reply.bytes, "received", { timestamp: reply.receivedAt });
 * } finally {
 *   await capture?.close();
 * }
 * ```
 *
 * Errors: a file that cannot be created is a `UsageError` naming `--pcap`
 * (exit 2, nothing has been done yet); a write that fails later is a
 * `CliError` (exit 1).
 *
 * @module
 */

import type {
  CaptureFormat,
  CaptureTimestampInput,
  CaptureWriter,
} from "../capture/mod.ts";
import { PcapWriter } from "../capture/pcap.ts";
import { PcapngWriter } from "../capture/pcapng_writer.ts";
import { defineOptions } from "./args.ts";
import { CliError, quote, UsageError } from "./errors.ts";
import type { CliFileWriter, CliHost } from "./host.ts";
import { parseFileName } from "./name_values.ts";

/** What happened to a packet recorded in a capture file. */
export type CaptureEvent = "built" | "sent" | "received";

/** The `--pcap FILE` option of commands that write what they make, send or receive. */
export const CAPTURE_OUTPUT_OPTIONS = defineOptions({
  pcap: {
    kind: "string",
    valueName: "FILE",
    parse: parseFileName,
    help:
      "also write every packet to this capture file: pcapng with directions and comments (sent, received, built), or classic pcap when FILE ends in .pcap",
    group: "Output",
  },
});

/**
 * The capture format for a file name: `pcap` when it ends in `.pcap` (any
 * case), else `pcapng`.
 *
 * @param path The file name.
 * @returns The format.
 *
 * @example
 * ```ts
 * import { captureFormatFor } from "./capture_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(captureFormatFor("out.pcap"), "pcap");
 * assert.equal(captureFormatFor("OUT.PCAP"), "pcap");
 * assert.equal(captureFormatFor("out.pcapng"), "pcapng");
 * assert.equal(captureFormatFor("out"), "pcapng");
 * ```
 */
export function captureFormatFor(path: string): CaptureFormat {
  return /\.pcap$/i.test(path) ? "pcap" : "pcapng";
}

/** Per-packet options for {@linkcode CaptureOutput.record}. */
export interface CaptureRecordOptions {
  /** When it happened: epoch milliseconds or seconds and nanoseconds; default the host's wall clock now. */
  timestamp?: CaptureTimestampInput;
  /** Added to the comment after `: ` (pcapng only). */
  note?: string;
}

/** An open capture file; see the module documentation. */
export interface CaptureOutput {
  /** The file name given. */
  readonly path: string;
  /** The format written. */
  readonly format: CaptureFormat;
  /** Packets recorded so far. */
  readonly count: number;
  /**
   * Append one packet.
   *
   * @param packet The IP datagram.
   * @param event Built, sent or received: the comment and direction.
   * @param options Time and a note.
   * @throws {CliError} When the write fails.
   */
  record(
    packet: Uint8Array,
    event: CaptureEvent,
    options?: CaptureRecordOptions,
  ): Promise<void>;
  /** Finish the file (a file with no packet still gets its header) and close it. Idempotent. */
  close(): Promise<void>;
}

/** Options for {@linkcode openCaptureOutput}. */
export interface OpenCaptureOutputOptions {
  /** The format, when not chosen by the file name ({@linkcode captureFormatFor}). */
  format?: CaptureFormat;
  /**
   * Append to the file, which holds this many bytes (a resumed scan): a
   * pcapng file gets a new section, a pcap file more records.
   */
  appendAt?: number;
}

const DIRECTIONS = { sent: "outbound", received: "inbound" } as const;

/**
 * The checks of {@linkcode openCaptureOutput} that need no file: a command
 * runs them before it opens a socket, and creates the file after, so that a
 * socket it cannot open leaves no empty capture behind.
 *
 * @param host The CLI host.
 * @param path The `--pcap` value.
 * @returns The host's file access.
 * @throws {UsageError} For `-` (standard output).
 * @throws {CliError} When the host cannot write files.
 *
 * @example
 * ```ts
 * import { checkCaptureOutput } from "./capture_output.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkCaptureOutput(createMemoryHost(), "-"), /give a file name/);
 * assert.ok(checkCaptureOutput(createMemoryHost(), "out.pcapng"));
 * ```
 */
export function checkCaptureOutput(
  host: CliHost,
  path: string,
): NonNullable<CliHost["files"]> {
  if (path === "-") {
    throw new UsageError(
      "--pcap: give a file name; a capture is not written to standard output",
    );
  }
  if (host.files === undefined) {
    throw new CliError("--pcap: this host cannot write files");
  }
  return host.files;
}

/**
 * Create (or truncate) a capture file for `--pcap`.
 *
 * @param host The host; it must have `files`.
 * @param path The file name, as given to `--pcap`.
 * @param options The format, when not chosen by the name.
 * @returns The open capture.
 * @throws {UsageError} When the file cannot be created (`--pcap: cannot write
 *   "x": permission denied`) or the name is `-`.
 * @throws {CliError} When the host cannot write files.
 *
 * @example A built packet, read back
 * ```ts
 * import { openCaptureOutput } from "./capture_output.ts";
 * import { createMemoryHost } from "./host.ts";
 * import { readCaptureBytes } from "../capture/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const capture = await openCaptureOutput(host, "out.pcapng");
 * await capture.record(new Uint8Array([0x45, 0, 0, 20]), "sent", { timestamp: 1000, note: "probe 1" });
 * await capture.close();
 * const { records } = readCaptureBytes(await host.readFile("out.pcapng"));
 * assert.equal(records[0]?.comment, "sent: probe 1");
 * assert.equal(records[0]?.direction, "outbound");
 * assert.deepEqual(records[0]?.timestamp, { seconds: 1, nanoseconds: 0 });
 * ```
 */
export async function openCaptureOutput(
  host: CliHost,
  path: string,
  options: OpenCaptureOutputOptions = {},
): Promise<CaptureOutput> {
  const files = checkCaptureOutput(host, path);
  let file: CliFileWriter;
  try {
    file = options.appendAt === undefined
      ? await files.openWrite(path)
      : files.openAppend === undefined
      ? await Promise.reject(new Error("this host cannot append to files"))
      : await files.openAppend(path, options.appendAt);
  } catch (error) {
    throw new UsageError(
      `--pcap: cannot write ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  const format = options.format ?? captureFormatFor(path);
  // A pcap file appended to keeps its one header: the new one is dropped.
  let skip = options.appendAt !== undefined && format === "pcap" ? 24 : 0;
  const sink = (chunk: Uint8Array) => {
    if (skip === 0) return file.write(chunk);
    const cut = Math.min(skip, chunk.length);
    skip -= cut;
    return cut === chunk.length
      ? Promise.resolve()
      : file.write(chunk.subarray(cut));
  };
  const writer: CaptureWriter = format === "pcap"
    ? new PcapWriter({ sink })
    : new PcapngWriter({ sink });
  let count = 0;
  let closed = false;
  const failed = (error: unknown): CliError =>
    new CliError(
      `cannot write capture file ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  return {
    path,
    format,
    get count() {
      return count;
    },
    async record(packet, event, recordOptions = {}) {
      if (closed) throw new CliError(`capture file ${quote(path)} is closed`);
      const comment = recordOptions.note === undefined
        ? event
        : `${event}: ${recordOptions.note}`;
      const timestamp = recordOptions.timestamp ??
        host.net?.wallClock() ?? Date.now();
      try {
        await writer.write(packet, {
          timestamp,
          comment,
          ...(event === "built" ? {} : { direction: DIRECTIONS[event] }),
        });
      } catch (error) {
        throw failed(error);
      }
      count++;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await writer.end();
      } catch (error) {
        await file.close().catch(() => undefined);
        throw failed(error);
      }
      try {
        await file.close();
      } catch (error) {
        throw failed(error);
      }
    },
  };
}
