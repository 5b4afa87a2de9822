/**
 * Classic pcap files (draft-ietf-opsawg-pcap): microsecond and nanosecond
 * variants in either byte order, read incrementally and written packet by
 * packet.
 *
 * @module
 */

import type {
  CaptureDecoder,
  CapturePacketOptions,
  CaptureRecord,
  CaptureSink,
  CaptureWriter,
  ReadCaptureOptions,
} from "./types.ts";
import { MAX_ORIGINAL_LENGTH } from "./types.ts";
import { DecodeError } from "../wire/errors.ts";
import {
  ByteQueue,
  checkUint,
  concatBytes,
  DEFAULT_MAX_CAPTURE_LENGTH,
  DEFAULT_SNAPLEN,
  hex32,
  normalizeTimestamp,
  originalLengthProblem,
  rangeError,
  viewOf,
  writeToSink,
} from "./_io.ts";

/**
 * The magic numbers that start a pcap file, as written in the file's own
 * byte order.
 *
 * @example
 * ```ts
 * import { PCAP_MAGIC } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PCAP_MAGIC.MICROSECONDS, 0xa1b2c3d4);
 * assert.equal(PCAP_MAGIC.NANOSECONDS, 0xa1b23c4d);
 * ```
 */
export const PCAP_MAGIC = {
  /** Timestamps in seconds and microseconds. */
  MICROSECONDS: 0xa1b2c3d4,
  /** Timestamps in seconds and nanoseconds. */
  NANOSECONDS: 0xa1b23c4d,
} as const;

/** Byte sizes of the pcap file header and record header. */
const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** Bits of the link-type field that hold the link type (libpcap's LT_LINKTYPE). */
const LINKTYPE_MASK = 0x03ff_ffff;
/** The "FCS length present" bit and the 4-bit FCS length (in 16-bit words) above it. */
const FCS_PRESENT_BIT = 0x0400_0000;
const LAYER = "pcap file";

/** Timestamp resolution of a pcap file. */
export type PcapPrecision = "microseconds" | "nanoseconds";

/** The 24-byte pcap file header, decoded. */
export interface PcapHeader {
  /** Byte order of every multi-byte field in the file. */
  littleEndian: boolean;
  /** Resolution of the record timestamps (from the magic number). */
  precision: PcapPrecision;
  /** Format version, major (2). */
  versionMajor: number;
  /** Format version, minor (4). */
  versionMinor: number;
  /** GMT-to-local correction in seconds (in practice always 0). */
  thiszone: number;
  /** Timestamp accuracy (in practice always 0). */
  sigfigs: number;
  /** Snapshot length: the most bytes captured of any packet. */
  snaplen: number;
  /** Link-layer header type of every record, FCS bits masked off. */
  linkType: number;
  /** Frame check sequence length in bytes, when the header's F bit says it is known. */
  fcsLength?: number;
}

/**
 * Incremental pcap decoder: push chunks, pull records. Most callers want
 * `readCapture` or `readCaptureBytes`; this is the synchronous engine under
 * them.
 *
 * @example
 * ```ts
 * import { PcapDecoder, PcapWriter } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapWriter();
 * const decoder = new PcapDecoder();
 * decoder.push(writer.header());
 * assert.equal(decoder.next(), undefined); // header only: wants more
 * assert.equal(decoder.header?.linkType, 101);
 * decoder.push(writer.packet(new Uint8Array([0x45]), { timestamp: 1.5 }));
 * decoder.end();
 * const record = decoder.next();
 * assert.deepEqual(record?.timestamp, { seconds: 0, nanoseconds: 1_500_000 });
 * assert.equal(decoder.next(), undefined); // the end
 * ```
 */
export class PcapDecoder implements CaptureDecoder {
  /** Always `"pcap"`. */
  readonly format = "pcap" as const;
  #queue = new ByteQueue();
  #header: PcapHeader | undefined;
  #ended = false;
  #error: DecodeError | undefined;
  #maxCaptureLength: number;

  /**
   * Create a decoder.
   *
   * @param options Limits on declared lengths.
   */
  constructor(options: ReadCaptureOptions = {}) {
    this.#maxCaptureLength = options.maxCaptureLength ??
      DEFAULT_MAX_CAPTURE_LENGTH;
  }

  /** The file header, once its 24 bytes have been decoded. */
  get header(): PcapHeader | undefined {
    return this.#header;
  }

  /** Absolute byte offset of the first byte not yet consumed. */
  get position(): number {
    return this.#queue.position;
  }

  /**
   * Append the next chunk of the file (kept by reference until consumed).
   *
   * @param chunk Bytes that follow the ones pushed before.
   */
  push(chunk: Uint8Array): void {
    if (this.#ended) {
      throw new Error("Cannot push to a pcap decoder: end() was called");
    }
    this.#queue.push(chunk);
  }

  /** Declare the end of the file. */
  end(): void {
    this.#ended = true;
  }

  /**
   * The next record, or `undefined` when more bytes are needed (after
   * `end()`: when the file is finished).
   *
   * @returns A record whose `data` is a copy, or `undefined`.
   * @throws {DecodeError} For malformed bytes, or a partial header or record
   *   after `end()`; later calls throw the same error.
   */
  next(): CaptureRecord | undefined {
    if (this.#error) throw this.#error;
    try {
      return this.#next();
    } catch (error) {
      if (error instanceof DecodeError) this.#error = error;
      throw error;
    }
  }

  #next(): CaptureRecord | undefined {
    const queue = this.#queue;
    if (this.#header === undefined) {
      const bytes = queue.peek(FILE_HEADER_LENGTH);
      if (bytes === undefined) {
        if (this.#ended) {
          throw truncated(
            "file header",
            0,
            queue.available,
            FILE_HEADER_LENGTH,
          );
        }
        return undefined;
      }
      this.#header = decodeFileHeader(bytes);
      queue.discard(FILE_HEADER_LENGTH);
    }
    const header = this.#header;
    const at = queue.position;
    const recordHeader = queue.peek(RECORD_HEADER_LENGTH);
    if (recordHeader === undefined) {
      if (this.#ended && queue.available > 0) {
        throw truncated(
          "record header",
          at,
          queue.available,
          RECORD_HEADER_LENGTH,
        );
      }
      return undefined;
    }
    const view = viewOf(recordHeader);
    const le = header.littleEndian;
    const seconds = view.getUint32(0, le);
    const fraction = view.getUint32(4, le);
    const capturedLength = view.getUint32(8, le);
    const originalLength = view.getUint32(12, le);
    if (capturedLength > this.#maxCaptureLength) {
      throw new DecodeError(
        `captured length ${capturedLength} at byte ${
          at + 8
        } is more than the maximum ${this.#maxCaptureLength}`,
        { kind: "malformed", layer: LAYER, offset: at + 8 },
      );
    }
    const total = RECORD_HEADER_LENGTH + capturedLength;
    if (queue.available < total) {
      if (this.#ended) {
        throw truncated(
          "packet data",
          at + RECORD_HEADER_LENGTH,
          queue.available - RECORD_HEADER_LENGTH,
          capturedLength,
        );
      }
      return undefined;
    }
    const record = queue.take(total)!;
    // A fraction of a second past 10^6 (10^9) carries into the seconds, as
    // Wireshark shows it.
    const perSecond = header.precision === "nanoseconds" ? 1e9 : 1e6;
    const scale = header.precision === "nanoseconds" ? 1 : 1000;
    const decoded: CaptureRecord = {
      timestamp: {
        seconds: seconds + Math.floor(fraction / perSecond),
        nanoseconds: (fraction % perSecond) * scale,
      },
      linkType: header.linkType,
      data: record.slice(RECORD_HEADER_LENGTH),
      originalLength,
    };
    const problem = originalLengthProblem(
      capturedLength,
      originalLength,
      at + 12,
      MAX_ORIGINAL_LENGTH,
    );
    if (problem !== undefined) decoded.lengthProblem = problem;
    return decoded;
  }
}

function truncated(
  what: string,
  offset: number,
  have: number,
  expected: number,
): DecodeError {
  return new DecodeError(
    `${what} at byte ${offset} is truncated: ${have} bytes, expected ${expected}`,
    { kind: "truncated", layer: LAYER, offset },
  );
}

function decodeFileHeader(bytes: Uint8Array): PcapHeader {
  const view = viewOf(bytes);
  const magic = view.getUint32(0, true);
  let littleEndian: boolean;
  let precision: PcapPrecision;
  switch (magic) {
    case 0xa1b2c3d4:
      [littleEndian, precision] = [true, "microseconds"];
      break;
    case 0xd4c3b2a1:
      [littleEndian, precision] = [false, "microseconds"];
      break;
    case 0xa1b23c4d:
      [littleEndian, precision] = [true, "nanoseconds"];
      break;
    case 0x4d3cb2a1:
      [littleEndian, precision] = [false, "nanoseconds"];
      break;
    case 0xa1b2cd34:
    case 0x34cdb2a1:
      throw new DecodeError(
        "magic number a1b2cd34 at byte 0 is the modified (Kuznetzov) pcap format, which is not supported",
        { kind: "unsupported", layer: LAYER, offset: 0 },
      );
    default:
      throw new DecodeError(
        `magic number ${
          hex32(view.getUint32(0, false))
        } at byte 0 is not a pcap magic number (a1b2c3d4 or a1b23c4d in either byte order)`,
        { kind: "malformed", layer: LAYER, offset: 0 },
      );
  }
  const versionMajor = view.getUint16(4, littleEndian);
  const versionMinor = view.getUint16(6, littleEndian);
  if (versionMajor !== 2 || versionMinor > 4) {
    throw new DecodeError(
      `version ${versionMajor}.${versionMinor} at byte 4 is not supported, expected 2.0 to 2.4`,
      { kind: "unsupported", layer: LAYER, offset: 4 },
    );
  }
  const linkField = view.getUint32(20, littleEndian);
  const header: PcapHeader = {
    littleEndian,
    precision,
    versionMajor,
    versionMinor,
    thiszone: view.getInt32(8, littleEndian),
    sigfigs: view.getUint32(12, littleEndian),
    snaplen: view.getUint32(16, littleEndian),
    linkType: linkField & LINKTYPE_MASK,
  };
  if (linkField & FCS_PRESENT_BIT) {
    header.fcsLength = (linkField >>> 28) * 2;
  }
  return header;
}

/** Options for {@linkcode PcapWriter}. */
export interface PcapWriterOptions {
  /** Timestamp resolution; default `"microseconds"` (readable by every tool). */
  precision?: PcapPrecision;
  /** Link type of every packet, 0..65535; default 101 (`LINKTYPE.RAW`: IP datagrams). */
  linkType?: number;
  /** Snapshot length declared in the header, 1..2^32-1; default 262144. Packets may not be longer. */
  snaplen?: number;
  /** Where `write()` and `end()` send chunks. */
  sink?: CaptureSink;
}

/**
 * Writes classic pcap, little-endian: a 24-byte header, then a 16-byte
 * record header and the bytes of each packet. Timestamps are truncated to
 * the chosen precision; comments and directions are dropped (pcap has no
 * place for them).
 *
 * @example Chunks in memory
 * ```ts
 * import { PcapWriter, readCaptureBytes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapWriter();
 * const header = writer.header();
 * assert.equal(header.length, 24);
 * const chunk = writer.packet(new Uint8Array(20), {
 *   timestamp: { seconds: 10, nanoseconds: 123_456_789 },
 * });
 * assert.equal(chunk.length, 16 + 20);
 * const { records } = readCaptureBytes(new Uint8Array([...header, ...chunk]));
 * assert.deepEqual(records[0]?.timestamp, { seconds: 10, nanoseconds: 123_456_000 });
 * ```
 *
 * @example Appending to a sink packet by packet
 * ```ts
 * import { PcapWriter } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks: Uint8Array[] = [];
 * const writer = new PcapWriter({ sink: (chunk) => void chunks.push(chunk) });
 * await writer.write(new Uint8Array(40), { timestamp: 0 });
 * await writer.write(new Uint8Array(40), { timestamp: 0 });
 * assert.equal(chunks.length, 2); // header + first packet, then the second packet
 * assert.equal(chunks[0]?.length, 24 + 16 + 40);
 * ```
 */
export class PcapWriter implements CaptureWriter {
  /** Always `"pcap"`. */
  readonly format = "pcap" as const;
  /** Timestamp resolution. */
  readonly precision: PcapPrecision;
  /** Link type of every packet. */
  readonly linkType: number;
  /** Snapshot length. */
  readonly snaplen: number;
  #sink: CaptureSink | undefined;
  #headerSent = false;

  /**
   * Create a writer.
   *
   * @param options Precision, link type, snapshot length, sink.
   * @throws {RangeError} For a link type or snapshot length out of range.
   */
  constructor(options: PcapWriterOptions = {}) {
    this.precision = options.precision ?? "microseconds";
    if (
      this.precision !== "microseconds" && this.precision !== "nanoseconds"
    ) {
      throw rangeError(
        "pcap header",
        `precision "${this.precision}" is not "microseconds" or "nanoseconds"`,
      );
    }
    this.linkType = options.linkType ?? 101;
    checkUint("pcap header", "linkType", this.linkType, 0xffff);
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    checkUint("pcap header", "snaplen", this.snaplen, 0xffff_ffff);
    if (this.snaplen === 0) {
      throw rangeError("pcap header", "snaplen 0 is not in 1..4294967295");
    }
    this.#sink = options.sink;
  }

  /**
   * The 24-byte file header.
   *
   * @returns A fresh array.
   */
  header(): Uint8Array {
    const bytes = new Uint8Array(FILE_HEADER_LENGTH);
    const view = viewOf(bytes);
    view.setUint32(
      0,
      this.precision === "nanoseconds"
        ? PCAP_MAGIC.NANOSECONDS
        : PCAP_MAGIC.MICROSECONDS,
      true,
    );
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setInt32(8, 0, true);
    view.setUint32(12, 0, true);
    view.setUint32(16, this.snaplen, true);
    view.setUint32(20, this.linkType, true);
    return bytes;
  }

  /**
   * One record: the 16-byte record header and a copy of `data`.
   *
   * @param data The packet, starting with the link-layer header (for the
   *   default raw link type: the IP header).
   * @param options Timestamp (default now), original length.
   * @returns A fresh array to append to the file.
   * @throws {RangeError} When `data` is longer than the snapshot length, the
   *   original length is shorter than `data` or above 2^32-1, the link type
   *   differs from the file's, or the timestamp is outside 1970..2106.
   */
  packet(data: Uint8Array, options: CapturePacketOptions = {}): Uint8Array {
    const what = "pcap record";
    if (data.length > this.snaplen) {
      throw rangeError(
        what,
        `data is ${data.length} bytes, more than snaplen ${this.snaplen}`,
      );
    }
    if (options.linkType !== undefined && options.linkType !== this.linkType) {
      throw rangeError(
        what,
        `linkType ${options.linkType} differs from the file's ${this.linkType}`,
      );
    }
    const originalLength = options.originalLength ?? data.length;
    checkUint(what, "originalLength", originalLength, 0xffff_ffff);
    if (originalLength < data.length) {
      throw rangeError(
        what,
        `originalLength ${originalLength} is less than the ${data.length} bytes captured`,
      );
    }
    const timestamp = normalizeTimestamp(options.timestamp ?? Date.now());
    checkUint(what, "timestamp seconds", timestamp.seconds, 0xffff_ffff);
    const bytes = new Uint8Array(RECORD_HEADER_LENGTH + data.length);
    const view = viewOf(bytes);
    view.setUint32(0, timestamp.seconds, true);
    view.setUint32(
      4,
      this.precision === "nanoseconds"
        ? timestamp.nanoseconds
        : Math.floor(timestamp.nanoseconds / 1000),
      true,
    );
    view.setUint32(8, data.length, true);
    view.setUint32(12, originalLength, true);
    bytes.set(data, RECORD_HEADER_LENGTH);
    return bytes;
  }

  /**
   * Append one packet to the sink, preceded by the file header on the first
   * call. Chunks reach the sink in call order even if calls are not awaited.
   *
   * @param data The packet.
   * @param options As for {@linkcode PcapWriter.packet}.
   * @returns Resolves when the sink has accepted the chunk; rejects with a
   *   `RangeError` as `packet()` throws (nothing is written then), or a
   *   `TypeError` when the writer has no sink.
   */
  async write(
    data: Uint8Array,
    options: CapturePacketOptions = {},
  ): Promise<void> {
    const sink = this.#requireSink();
    const chunk = this.packet(data, options);
    await writeToSink(sink, this.#withHeader(chunk));
  }

  /**
   * Write the header if no packet was written, so the sink holds a valid
   * (empty) capture file. Does not close the sink.
   *
   * @returns Resolves when the sink has accepted it.
   */
  async end(): Promise<void> {
    const sink = this.#requireSink();
    if (this.#headerSent) return;
    await writeToSink(sink, this.#withHeader(new Uint8Array(0)));
  }

  #requireSink(): CaptureSink {
    if (this.#sink === undefined) {
      throw new TypeError(
        "Cannot write pcap record: the writer has no sink (use header() and packet())",
      );
    }
    return this.#sink;
  }

  #withHeader(chunk: Uint8Array): Uint8Array {
    if (this.#headerSent) return chunk;
    this.#headerSent = true;
    return concatBytes([this.header(), chunk]);
  }
}
