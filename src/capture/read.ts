/**
 * Reading capture files: sniff pcap from pcapng by the magic number, then
 * stream the records with bounded memory.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { PcapDecoder } from "./pcap.ts";
import { PcapngDecoder } from "./pcapng.ts";
import type {
  CaptureDecoder,
  CaptureRecord,
  ReadCaptureOptions,
} from "./types.ts";

/** What a capture reader can read from: a byte stream, async chunks, or bytes in memory. */
export type CaptureSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array;

/** An opened capture file: its format, its decoder (headers so far) and its records. */
export type CaptureFile =
  | {
    /** Classic pcap. */
    format: "pcap";
    /** The decoder; `decoder.header` is the file header. */
    decoder: PcapDecoder;
    /** The packets, streamed; throws {@linkcode DecodeError} after the last good one. */
    records: AsyncGenerator<CaptureRecord, void, undefined>;
  }
  | {
    /** pcapng. */
    format: "pcapng";
    /** The decoder; `decoder.section` and `decoder.interfaces` grow as the file is read. */
    decoder: PcapngDecoder;
    /** The packets, streamed; throws {@linkcode DecodeError} after the last good one. */
    records: AsyncGenerator<CaptureRecord, void, undefined>;
  };

const FILE_LAYER = "capture file";

/** Magic numbers (read little-endian) and what they mean. */
function sniff(magic: Uint8Array, options: ReadCaptureOptions): CaptureDecoder {
  const value = new DataView(magic.buffer, magic.byteOffset, 4).getUint32(
    0,
    true,
  );
  switch (value) {
    case 0xa1b2c3d4:
    case 0xd4c3b2a1:
    case 0xa1b23c4d:
    case 0x4d3cb2a1:
    case 0xa1b2cd34:
    case 0x34cdb2a1:
      return new PcapDecoder(options);
    case 0x0a0d0d0a:
      return new PcapngDecoder(options);
    default:
      throw new DecodeError(
        `magic number 0x${
          [...magic.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0"))
            .join("")
        } at byte 0 is neither pcap (a1b2c3d4, a1b23c4d in either byte order) nor pcapng (0a0d0d0a)`,
        { kind: "malformed", layer: FILE_LAYER, offset: 0 },
      );
  }
}

function truncatedMagic(length: number): DecodeError {
  return new DecodeError(
    `magic number at byte 0 is truncated: ${length} bytes, expected 4`,
    { kind: "truncated", layer: FILE_LAYER, offset: 0 },
  );
}

/** Chunks of any source, as one async iterator; cancels a stream left early. */
async function* chunksOf(
  source: CaptureSource,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (isReadableStream(source)) {
    const reader = source.getReader();
    let finished = false;
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          return;
        }
        yield checkChunk(value);
      }
    } finally {
      if (!finished) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  if (Symbol.asyncIterator in source) {
    for await (const chunk of source) yield checkChunk(chunk);
    return;
  }
  for (const chunk of source) yield checkChunk(chunk);
}

function isReadableStream(
  source: CaptureSource,
): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader ===
    "function";
}

function checkChunk(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError(
      "Cannot read capture file: the source yielded a chunk that is not a Uint8Array",
    );
  }
  return chunk;
}

/**
 * Open a capture file: read just enough to tell pcap from pcapng (and decode
 * the first header), then stream the records.
 *
 * @param source The file's bytes: a `ReadableStream` (such as a fetch body or
 *   `Deno.FsFile.readable`), chunks from an (async) iterable, or a `Uint8Array`.
 * @param options Limits on declared lengths.
 * @returns The format, the decoder (for header fields) and the records.
 * @throws {DecodeError} When the magic number is unknown or the first header
 *   is truncated or malformed.
 *
 * @example
 * ```ts
 * import { openCapture, PcapWriter } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapWriter({ precision: "nanoseconds" });
 * const bytes = new Uint8Array([
 *   ...writer.header(),
 *   ...writer.packet(new Uint8Array([0x45, 0, 0, 20]), { timestamp: 1000 }),
 * ]);
 * const file = await openCapture(bytes);
 * assert.equal(file.format, "pcap");
 * if (file.format === "pcap") assert.equal(file.decoder.header?.precision, "nanoseconds");
 * const records = await Array.fromAsync(file.records);
 * assert.deepEqual(records[0]?.timestamp, { seconds: 1, nanoseconds: 0 });
 * ```
 */
export async function openCapture(
  source: CaptureSource,
  options: ReadCaptureOptions = {},
): Promise<CaptureFile> {
  const chunks = chunksOf(source);
  const early: Uint8Array[] = [];
  let have = 0;
  let exhausted = false;
  while (have < 4) {
    const step = await chunks.next();
    if (step.done) {
      exhausted = true;
      break;
    }
    early.push(step.value);
    have += step.value.length;
  }
  try {
    const magic = early.length === 1
      ? early[0]!
      : new Uint8Array(early.flatMap((chunk) => [...chunk.subarray(0, 4)]));
    if (have < 4) throw truncatedMagic(have);
    const decoder = sniff(magic, options);
    for (const chunk of early) decoder.push(chunk);
    if (exhausted) decoder.end();
    // Decode the first header now so callers can look at it.
    const pending: CaptureRecord[] = [];
    while (!hasHeader(decoder)) {
      const record = decoder.next();
      if (record !== undefined) {
        pending.push(record);
        break;
      }
      if (hasHeader(decoder)) break;
      if (exhausted) break; // next() would have thrown on a partial header
      const step = await chunks.next();
      if (step.done) {
        exhausted = true;
        decoder.end();
      } else {
        decoder.push(step.value);
      }
    }
    const records = recordsOf(decoder, chunks, pending, exhausted);
    return decoder instanceof PcapDecoder
      ? { format: "pcap", decoder, records }
      : { format: "pcapng", decoder: decoder as PcapngDecoder, records };
  } catch (error) {
    await chunks.return();
    throw error;
  }
}

function hasHeader(decoder: CaptureDecoder): boolean {
  return decoder instanceof PcapDecoder
    ? decoder.header !== undefined
    : (decoder as PcapngDecoder).section !== undefined;
}

async function* recordsOf(
  decoder: CaptureDecoder,
  chunks: AsyncGenerator<Uint8Array, void, undefined>,
  pending: CaptureRecord[],
  exhausted: boolean,
): AsyncGenerator<CaptureRecord, void, undefined> {
  try {
    yield* pending;
    while (true) {
      const record = decoder.next();
      if (record !== undefined) {
        yield record;
        continue;
      }
      if (exhausted) return;
      const step = await chunks.next();
      if (step.done) {
        exhausted = true;
        decoder.end();
      } else {
        decoder.push(step.value);
      }
    }
  } finally {
    await chunks.return();
  }
}

/**
 * Read the packets of a pcap or pcapng file, streaming: memory holds one
 * record (and the source's current chunk), not the file.
 *
 * @param source The file's bytes: a `ReadableStream`, chunks from an (async)
 *   iterable, or a `Uint8Array`.
 * @param options Limits on declared lengths.
 * @returns The records in file order. When the file is malformed or truncated,
 *   the records before the damage are yielded, then the generator throws a
 *   {@linkcode DecodeError} whose `offset` is the absolute byte offset.
 *
 * @example A truncated file still gives its first packet
 * ```ts
 * import { DecodeError, PcapWriter, readCapture } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapWriter();
 * const packet = new Uint8Array(40).fill(0x45, 0, 1);
 * const file = new Uint8Array([
 *   ...writer.header(),
 *   ...writer.packet(packet, { timestamp: 0 }),
 *   ...writer.packet(packet, { timestamp: 0 }).subarray(0, 9),
 * ]);
 * const seen = [];
 * try {
 *   for await (const record of readCapture(file)) seen.push(record);
 *   assert.fail("expected a DecodeError");
 * } catch (error) {
 *   assert.ok(error instanceof DecodeError);
 *   assert.equal(
 *     error.message,
 *     "Cannot decode pcap file: record header at byte 80 is truncated: 9 bytes, expected 16",
 *   );
 * }
 * assert.equal(seen.length, 1);
 * ```
 */
export async function* readCapture(
  source: CaptureSource,
  options: ReadCaptureOptions = {},
): AsyncGenerator<CaptureRecord, void, undefined> {
  const file = await openCapture(source, options);
  yield* file.records;
}

/** What {@linkcode readCaptureBytes} found. */
export interface CaptureBytesResult {
  /** The records decoded before the end of the file or the first error. */
  records: CaptureRecord[];
  /** Why decoding stopped early, when it did. */
  error?: DecodeError;
}

/**
 * Decode a whole capture file held in memory, synchronously.
 *
 * @param bytes The file.
 * @param options Limits on declared lengths.
 * @returns The records, and the {@linkcode DecodeError} that stopped decoding
 *   if the file is malformed or truncated (the records before it are kept).
 *
 * @example
 * ```ts
 * import { PcapngWriter, readCaptureBytes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapngWriter();
 * const file = new Uint8Array([
 *   ...writer.header(),
 *   ...writer.packet(new Uint8Array([0x60, 0, 0, 0]), {
 *     timestamp: { seconds: 2, nanoseconds: 7 },
 *     comment: "héllo",
 *     direction: "outbound",
 *   }),
 * ]);
 * const { records, error } = readCaptureBytes(file);
 * assert.equal(error, undefined);
 * assert.equal(records[0]?.comment, "héllo");
 * assert.equal(records[0]?.direction, "outbound");
 * assert.deepEqual(records[0]?.timestamp, { seconds: 2, nanoseconds: 7 });
 * ```
 */
export function readCaptureBytes(
  bytes: Uint8Array,
  options: ReadCaptureOptions = {},
): CaptureBytesResult {
  const records: CaptureRecord[] = [];
  try {
    if (bytes.length < 4) throw truncatedMagic(bytes.length);
    const decoder = sniff(bytes, options);
    decoder.push(bytes);
    decoder.end();
    for (let record = decoder.next(); record; record = decoder.next()) {
      records.push(record);
    }
    return { records };
  } catch (error) {
    if (error instanceof DecodeError) return { records, error };
    throw error;
  }
}
