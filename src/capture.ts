/**
 * Capture files (classic pcap and pcapng) without libpcap: the record type
 * both formats decode to, link-type numbers, stripping the link layer down
 * to the IP datagram, and readers that sniff the format and stream a file
 * chunk by chunk.
 *
 * Readers keep memory bounded: a record is buffered only up to its declared
 * length, and a declared length past a sane limit is an error, not an
 * allocation. On malformed or truncated input the records before the damage
 * are still delivered, then a {@linkcode DecodeError} names the byte offset
 * and what was expected there.
 *
 * The writers live in `pcap.ts` ({@linkcode PcapWriter}) and `pcapng.ts`
 * ({@linkcode PcapngWriter}); both implement {@linkcode CaptureWriter}.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { normalizeTimestamp } from "./_capture_io.ts";
import { PcapDecoder } from "./pcap.ts";
import { PcapngDecoder } from "./pcapng.ts";

/**
 * When a packet was captured: whole seconds since the Unix epoch (UTC) and
 * the nanoseconds within that second.
 *
 * Two plain numbers rather than one bigint of nanoseconds: they are exact for
 * any date a capture file can hold (seconds up to 2^53), print and compare
 * simply, and survive `JSON.stringify`.
 */
export interface CaptureTimestamp {
  /** Whole seconds since 1970-01-01T00:00:00Z (may be negative in theory; files hold 0 or more). */
  seconds: number;
  /** Nanoseconds within the second, an integer in 0..999999999. */
  nanoseconds: number;
}

/**
 * A timestamp as callers give it: epoch milliseconds (as from `Date.now()`,
 * fractions allowed: `1700000000123.456`) or a {@linkcode CaptureTimestamp}.
 */
export type CaptureTimestampInput = number | CaptureTimestamp;

/** Which way a packet went, as pcapng's `epb_flags` records it. */
export type CaptureDirection = "inbound" | "outbound";

/** The two capture-file formats. */
export type CaptureFormat = "pcap" | "pcapng";

/** One packet read from a capture file. */
export interface CaptureRecord {
  /** When the packet was captured. pcapng simple packet blocks carry none: `{ seconds: 0, nanoseconds: 0 }`. */
  timestamp: CaptureTimestamp;
  /** Link-layer header type of `data` (see {@linkcode LINKTYPE}), FCS bits masked off. */
  linkType: number;
  /** pcapng: the interface (index within its section) the packet was captured on. Absent for pcap. */
  interfaceId?: number;
  /** The captured bytes, starting with the link-layer header. Owned by the record (a copy). */
  data: Uint8Array;
  /** The packet's length on the wire; more than `data.length` when the capture was cut at the snapshot length. */
  originalLength: number;
  /** pcapng `opt_comment`; several comments on one packet are joined with "\n". */
  comment?: string;
  /** pcapng `epb_flags` bits 0-1, when they say inbound (1) or outbound (2). */
  direction?: CaptureDirection;
  /** pcapng: the whole `epb_flags` word (or obsolete `pack_flags`), when the block carries one. */
  flags?: number;
}

/**
 * Link-layer header types (tcpdump.org/linktypes.html) as they appear in
 * capture files. Readers accept any number; {@linkcode linkPayload} knows
 * these.
 *
 * @example
 * ```ts
 * import { LINKTYPE } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LINKTYPE.RAW, 101);
 * assert.equal(LINKTYPE.ETHERNET, 1);
 * ```
 */
export const LINKTYPE = {
  /** BSD loopback: a 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  /** Ethernet II (with 802.1Q/802.1ad tags when present). */
  ETHERNET: 1,
  /** Raw IP: the datagram itself, IPv4 or IPv6 (what tcpcraft writes). */
  RAW: 101,
  /** OpenBSD loopback: a 4-byte address family, big-endian. */
  LOOP: 108,
  /** Linux "cooked" capture v1 (`tcpdump -i any`), 16-byte header. */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux "cooked" capture v2 (`tcpdump -i any -y LINUX_SLL2`), 20-byte header. */
  LINUX_SLL2: 276,
} as const;

/** Ethernet types that lead to the IP layer, and VLAN tags that are skipped. */
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_ETHERTYPES: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100]);
/** Address-family values for IPv6 across BSDs, Darwin and Linux. */
const AF_INET = 2;
const AF_INET6_VALUES: ReadonlySet<number> = new Set([10, 24, 28, 30]);

/**
 * Turn epoch milliseconds (fractions allowed) or seconds and nanoseconds
 * into a checked {@linkcode CaptureTimestamp}.
 *
 * @param input Epoch milliseconds, or `{ seconds, nanoseconds }`.
 * @returns The timestamp with `nanoseconds` in 0..999999999.
 * @throws {RangeError} For a non-finite number or nanoseconds out of range.
 *
 * @example
 * ```ts
 * import { toCaptureTimestamp } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(toCaptureTimestamp(1700000000123.5), {
 *   seconds: 1700000000,
 *   nanoseconds: 123500000,
 * });
 * assert.deepEqual(toCaptureTimestamp({ seconds: 1, nanoseconds: 5 }), {
 *   seconds: 1,
 *   nanoseconds: 5,
 * });
 * ```
 */
export function toCaptureTimestamp(
  input: CaptureTimestampInput,
): CaptureTimestamp {
  return normalizeTimestamp(input);
}

/**
 * Where the IP datagram starts after an EtherType at `typeAt` (skipping any
 * 802.1Q/802.1ad VLAN tags), and its version; undefined when the frame is
 * too short or does not carry IP.
 */
function afterEtherType(
  data: Uint8Array,
  view: DataView,
  typeAt: number,
): { start: number; version: 4 | 6 } | undefined {
  if (typeAt + 2 > data.length) return undefined;
  let type = view.getUint16(typeAt);
  while (VLAN_ETHERTYPES.has(type)) {
    typeAt += 4;
    if (typeAt + 2 > data.length) return undefined;
    type = view.getUint16(typeAt);
  }
  const version = etherTypeVersion(type);
  return version === undefined ? undefined : { start: typeAt + 2, version };
}

/**
 * The IP datagram inside a captured frame: strips an Ethernet header
 * (skipping 802.1Q/802.1ad VLAN tags), a Linux cooked header (SLL, SLL2) or
 * a loopback address-family word (NULL, LOOP); raw link types (RAW, IPV4,
 * IPV6) are the datagram already.
 *
 * When the IP header's length field says the datagram ends before the
 * captured bytes do (Ethernet padding, a trailing FCS), the view stops there.
 *
 * @param record A record from a capture reader (only `linkType` and `data` are used).
 * @returns A view into `record.data` starting at the IP header, or
 *   `undefined` when the frame does not carry IPv4 or IPv6 or the link type
 *   is not one of those above.
 *
 * @example Ethernet frame padded to 60 bytes
 * ```ts
 * import { LINKTYPE, linkPayload } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = new Uint8Array(60);
 * frame.set([0x08, 0x00], 12); // EtherType IPv4
 * frame.set([0x45, 0x00, 0x00, 0x28], 14); // IPv4, total length 40
 * const ip = linkPayload({ linkType: LINKTYPE.ETHERNET, data: frame });
 * assert.equal(ip?.length, 40);
 * assert.equal(ip?.[0], 0x45);
 * ```
 */
export function linkPayload(
  record: Pick<CaptureRecord, "linkType" | "data">,
): Uint8Array | undefined {
  const data = record.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let start: number;
  let ipVersion: 4 | 6 | undefined;
  switch (record.linkType) {
    case LINKTYPE.RAW:
      start = 0;
      break;
    case LINKTYPE.IPV4:
      start = 0;
      ipVersion = 4;
      break;
    case LINKTYPE.IPV6:
      start = 0;
      ipVersion = 6;
      break;
    case LINKTYPE.ETHERNET:
    case LINKTYPE.LINUX_SLL: {
      // The EtherType (after any VLAN tags) is at byte 12 of Ethernet, 14 of SLL.
      const found = afterEtherType(
        data,
        view,
        record.linkType === LINKTYPE.ETHERNET ? 12 : 14,
      );
      if (found === undefined) return undefined;
      start = found.start;
      ipVersion = found.version;
      break;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (data.length < 20) return undefined;
      const version = etherTypeVersion(view.getUint16(0));
      if (version === undefined) return undefined;
      start = 20;
      ipVersion = version;
      break;
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (data.length < 4) return undefined;
      let family = view.getUint32(0, record.linkType === LINKTYPE.NULL);
      // NULL is in the capturing host's byte order: a big-endian writer
      // leaves the small family number in the last byte.
      if (record.linkType === LINKTYPE.NULL && family > 0xffff) {
        family = view.getUint32(0, false);
      }
      if (family === AF_INET) ipVersion = 4;
      else if (AF_INET6_VALUES.has(family)) ipVersion = 6;
      else return undefined;
      start = 4;
      break;
    }
    default:
      return undefined;
  }
  const ip = data.subarray(start);
  if (ip.length === 0) return undefined;
  const nibble = ip[0]! >> 4;
  if (ipVersion === undefined) {
    if (nibble !== 4 && nibble !== 6) return undefined;
    ipVersion = nibble;
  }
  return trimToDatagram(ip, ipVersion);
}

function etherTypeVersion(type: number): 4 | 6 | undefined {
  if (type === ETHERTYPE_IPV4) return 4;
  if (type === ETHERTYPE_IPV6) return 6;
  return undefined;
}

/** Cut trailing link-layer bytes when the IP length field is sane and shorter. */
function trimToDatagram(ip: Uint8Array, version: 4 | 6): Uint8Array {
  if (version === 4 && ip.length >= 20 && ip[0]! >> 4 === 4) {
    const total = (ip[2]! << 8) | ip[3]!;
    if (total >= 20 && total < ip.length) return ip.subarray(0, total);
  } else if (version === 6 && ip.length >= 40 && ip[0]! >> 4 === 6) {
    const payload = (ip[4]! << 8) | ip[5]!;
    // Payload length 0 may mean a jumbogram: keep everything then.
    if (payload > 0 && 40 + payload < ip.length) {
      return ip.subarray(0, 40 + payload);
    }
  }
  return ip;
}

/** Limits that keep a reader's memory bounded whatever a file declares. */
export interface ReadCaptureOptions {
  /**
   * Largest captured length of one packet accepted; a record declaring more
   * is a {@linkcode DecodeError}. Default 262144 (libpcap's maximum snapshot
   * length, which tcpdump and Wireshark also enforce). A captured length
   * above the file's own snapshot length but within this limit is accepted,
   * as libpcap and Wireshark accept it (some writers declare snaplen 0).
   */
  maxCaptureLength?: number;
  /**
   * Largest pcapng block that is decoded (and so buffered) whole. Default
   * 16 MiB (Wireshark's limit). Blocks tcpcraft does not decode (name
   * resolution, statistics, custom ...) are skipped as they stream by,
   * whatever their size.
   */
  maxBlockLength?: number;
}

/**
 * An incremental, synchronous capture decoder: push chunks, pull records.
 * {@linkcode PcapDecoder} and {@linkcode PcapngDecoder} implement it.
 */
export interface CaptureDecoder {
  /** Which format this decoder reads. */
  readonly format: CaptureFormat;
  /** Absolute byte offset of the first byte not yet consumed. */
  readonly position: number;
  /** Append the next chunk of the file. */
  push(chunk: Uint8Array): void;
  /** Declare the end of the file: from now on, a partial structure is an error. */
  end(): void;
  /**
   * The next complete record, or `undefined` when more bytes are needed (or,
   * after `end()`, when the file is finished).
   *
   * @throws {DecodeError} When the bytes are malformed, or truncated after `end()`;
   *   every later call throws the same error.
   */
  next(): CaptureRecord | undefined;
}

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
 * import { openCapture, PcapWriter } from "../mod.ts";
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
 * import { DecodeError, PcapWriter, readCapture } from "../mod.ts";
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
 * import { PcapngWriter, readCaptureBytes } from "../mod.ts";
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

/** Where a writer sends its chunks: a function (sync or async) or a stream writer. */
export type CaptureSink =
  | ((chunk: Uint8Array) => void | Promise<void>)
  | Pick<WritableStreamDefaultWriter<Uint8Array>, "write">;

/** Per-packet options for {@linkcode CaptureWriter.packet}. */
export interface CapturePacketOptions {
  /** When the packet was captured; default: now (`Date.now()`). */
  timestamp?: CaptureTimestampInput;
  /** Length on the wire; default `data.length`; at least `data.length`. */
  originalLength?: number;
  /** pcapng only (`opt_comment`, UTF-8); classic pcap has no place for it and drops it. */
  comment?: string;
  /** pcapng only (`epb_flags`); classic pcap has no place for it and drops it. */
  direction?: CaptureDirection;
  /**
   * Link type of `data`. pcapng: picks (or adds) the interface for it,
   * default the writer's. pcap: must equal the file's.
   */
  linkType?: number;
}

/**
 * A capture-file writer: a header chunk, then one chunk per packet, either
 * returned (`header()`, `packet()`) or sent to a sink (`write()`, `end()`).
 * Use one style or the other on a given writer, not both.
 */
export interface CaptureWriter {
  /** Which format this writer produces. */
  readonly format: CaptureFormat;
  /** The bytes that start the file. */
  header(): Uint8Array;
  /** The bytes that append one packet to the file. */
  packet(data: Uint8Array, options?: CapturePacketOptions): Uint8Array;
  /**
   * Send one packet to the sink (preceded by the header on the first call);
   * resolves when the sink has accepted it.
   */
  write(data: Uint8Array, options?: CapturePacketOptions): Promise<void>;
  /** Send the header if nothing was written yet, so an empty capture is still a valid file. */
  end(): Promise<void>;
}
