/**
 * pcapng files (draft-ietf-opsawg-pcapng): sections in either byte order,
 * interface description, enhanced, simple and (obsolete) packet blocks, and
 * their options (comments, direction flags, timestamp resolution). Other
 * block types are skipped as they stream by.
 *
 * @module
 */

import type {
  CaptureDecoder,
  CaptureDirection,
  CapturePacketOptions,
  CaptureRecord,
  CaptureSink,
  CaptureWriter,
  ReadCaptureOptions,
} from "./types.ts";
import { DecodeError } from "../wire/errors.ts";
import {
  ByteQueue,
  checkUint,
  concatBytes,
  decodeUtf8,
  DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_CAPTURE_LENGTH,
  DEFAULT_SNAPLEN,
  encodeUtf8,
  hex32,
  normalizeTimestamp,
  pad4,
  rangeError,
  U64_MAX,
  viewOf,
  writeToSink,
} from "./_io.ts";

/**
 * pcapng block type codes.
 *
 * @example
 * ```ts
 * import { PCAPNG_BLOCK_TYPE } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PCAPNG_BLOCK_TYPE.SECTION_HEADER, 0x0a0d0d0a);
 * assert.equal(PCAPNG_BLOCK_TYPE.ENHANCED_PACKET, 6);
 * ```
 */
export const PCAPNG_BLOCK_TYPE = {
  /** Starts a section; its byte-order magic sets the byte order of the section. */
  SECTION_HEADER: 0x0a0d0d0a,
  /** Describes one interface: link type, snapshot length, timestamp resolution. */
  INTERFACE_DESCRIPTION: 0x0000_0001,
  /** Obsolete packet block (16-bit interface id). */
  PACKET: 0x0000_0002,
  /** A packet without timestamp, on interface 0. */
  SIMPLE_PACKET: 0x0000_0003,
  /** Name resolution records (skipped). */
  NAME_RESOLUTION: 0x0000_0004,
  /** Interface statistics (skipped). */
  INTERFACE_STATISTICS: 0x0000_0005,
  /** A packet with interface, timestamp and options. */
  ENHANCED_PACKET: 0x0000_0006,
  /** TLS keys and the like (skipped). */
  DECRYPTION_SECRETS: 0x0000_000a,
  /** Custom block that may be copied (skipped). */
  CUSTOM: 0x0000_0bad,
  /** Custom block that should not be copied (skipped). */
  CUSTOM_NO_COPY: 0x4000_0bad,
} as const;

/** The byte-order magic of a section header, as written in the section's byte order. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const LAYER = "pcapng file";
/** Option codes used here. */
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;
const EPB_FLAGS = 2;
/** Timestamp resolution when an interface has no if_tsresol: microseconds. */
const DEFAULT_TSRESOL = 6;

/** Minimum total length and name of each block type that is decoded. */
const DECODED_BLOCKS: ReadonlyMap<number, { name: string; min: number }> =
  new Map([
    [PCAPNG_BLOCK_TYPE.SECTION_HEADER, {
      name: "section header block",
      min: 28,
    }],
    [PCAPNG_BLOCK_TYPE.INTERFACE_DESCRIPTION, {
      name: "interface description block",
      min: 20,
    }],
    [PCAPNG_BLOCK_TYPE.PACKET, { name: "packet block", min: 32 }],
    [PCAPNG_BLOCK_TYPE.SIMPLE_PACKET, { name: "simple packet block", min: 16 }],
    [PCAPNG_BLOCK_TYPE.ENHANCED_PACKET, {
      name: "enhanced packet block",
      min: 32,
    }],
  ]);

/** One option of a block, undecoded: its code and value bytes (padding removed). */
export interface PcapngOption {
  /** Option code (meaning depends on the block type; 1 is a comment everywhere). */
  code: number;
  /** The value bytes. */
  value: Uint8Array;
}

/** A decoded section header block. */
export interface PcapngSection {
  /** Byte offset of the block in the file. */
  offset: number;
  /** Byte order of the section. */
  littleEndian: boolean;
  /** Format version, major (1). */
  versionMajor: number;
  /** Format version, minor (0). */
  versionMinor: number;
  /** Length of the section in bytes after this block, or -1n for unknown. */
  sectionLength: bigint;
  /** `shb_hardware`, when present. */
  hardware?: string;
  /** `shb_os`, when present. */
  os?: string;
  /** `shb_userappl`: the application that wrote the section, when present. */
  userApplication?: string;
  /** `opt_comment`s joined with "\n", when present. */
  comment?: string;
  /** Every option in file order, undecoded. */
  options: PcapngOption[];
}

/** A decoded interface description block. */
export interface PcapngInterface {
  /** Interface id: the index of this block among the section's interfaces. */
  id: number;
  /** Byte offset of the block in the file. */
  offset: number;
  /** Link type of the packets on this interface. */
  linkType: number;
  /** Snapshot length (0: no limit). */
  snaplen: number;
  /** `if_name`, when present. */
  name?: string;
  /** `if_description`, when present. */
  description?: string;
  /** `if_tsresol`: timestamps count units of `base ** -exponent` seconds (default 10^-6). */
  timestampResolution: { base: 2 | 10; exponent: number };
  /** `if_tsoffset`: seconds added to every timestamp (default 0). */
  timestampOffset: number;
  /** `if_fcslen`: bytes of frame check sequence at the end of each frame, when present. */
  fcsLength?: number;
  /** Every option in file order, undecoded. */
  options: PcapngOption[];
}

interface Skip {
  type: number;
  offset: number;
  length: number;
  remaining: number;
  littleEndian: boolean;
}

/**
 * Incremental pcapng decoder: push chunks, pull records. Most callers want
 * `readCapture` or `readCaptureBytes`; this is the synchronous engine under
 * them. Blocks it does not decode are skipped without being buffered.
 *
 * @example
 * ```ts
 * import { PcapngDecoder, PcapngWriter } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapngWriter();
 * const decoder = new PcapngDecoder();
 * decoder.push(writer.header());
 * decoder.push(writer.packet(new Uint8Array([0x45, 0, 0, 4]), { timestamp: 5 }));
 * decoder.end();
 * const record = decoder.next();
 * assert.equal(decoder.section?.userApplication, "tcpcraft");
 * assert.equal(decoder.interfaces[0]?.timestampResolution.exponent, 9);
 * assert.deepEqual(record?.timestamp, { seconds: 0, nanoseconds: 5_000_000 });
 * assert.equal(decoder.next(), undefined);
 * ```
 */
export class PcapngDecoder implements CaptureDecoder {
  /** Always `"pcapng"`. */
  readonly format = "pcapng" as const;
  #queue = new ByteQueue();
  #section: PcapngSection | undefined;
  #interfaces: PcapngInterface[] = [];
  #units: bigint[] = [];
  #skip: Skip | undefined;
  #ended = false;
  #error: DecodeError | undefined;
  #maxCaptureLength: number;
  #maxBlockLength: number;

  /**
   * Create a decoder.
   *
   * @param options Limits on declared lengths.
   */
  constructor(options: ReadCaptureOptions = {}) {
    this.#maxCaptureLength = options.maxCaptureLength ??
      DEFAULT_MAX_CAPTURE_LENGTH;
    this.#maxBlockLength = options.maxBlockLength ?? DEFAULT_MAX_BLOCK_LENGTH;
  }

  /** The current section's header, once decoded. */
  get section(): PcapngSection | undefined {
    return this.#section;
  }

  /** The current section's interfaces decoded so far, indexed by interface id. */
  get interfaces(): readonly PcapngInterface[] {
    return this.#interfaces;
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
      throw new Error("Cannot push to a pcapng decoder: end() was called");
    }
    this.#queue.push(chunk);
  }

  /** Declare the end of the file. */
  end(): void {
    this.#ended = true;
  }

  /**
   * The next packet, or `undefined` when more bytes are needed (after
   * `end()`: when the file is finished). Section headers, interface
   * descriptions and skipped blocks are consumed on the way.
   *
   * @returns A record whose `data` is a copy, or `undefined`.
   * @throws {DecodeError} For malformed bytes, or a partial block after
   *   `end()`; later calls throw the same error.
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
    while (true) {
      if (this.#skip !== undefined && !this.#continueSkip(this.#skip)) {
        return undefined;
      }
      const at = queue.position;
      if (queue.available === 0) return undefined;
      const head = queue.peek(8);
      if (head === undefined) {
        if (this.#ended) {
          throw truncated("block header", at, queue.available, 8);
        }
        return undefined;
      }
      const headView = viewOf(head);
      let littleEndian: boolean;
      let type: number;
      if (headView.getUint32(0, true) === PCAPNG_BLOCK_TYPE.SECTION_HEADER) {
        type = PCAPNG_BLOCK_TYPE.SECTION_HEADER;
        const first12 = queue.peek(12);
        if (first12 === undefined) {
          if (this.#ended) {
            throw truncated(
              "section header block",
              at,
              queue.available,
              12,
            );
          }
          return undefined;
        }
        const bom = viewOf(first12).getUint32(8, true);
        if (bom === BYTE_ORDER_MAGIC) littleEndian = true;
        else if (bom === 0x4d3c2b1a) littleEndian = false;
        else {
          throw new DecodeError(
            `byte-order magic ${
              hex32(viewOf(first12).getUint32(8, false))
            } at byte ${at + 8} is not 1a2b3c4d in either byte order`,
            { kind: "malformed", layer: LAYER, offset: at + 8 },
          );
        }
      } else {
        const section = this.#section;
        if (section === undefined) {
          throw new DecodeError(
            `block type ${
              hex32(headView.getUint32(0, false))
            } at byte ${at} is not a section header block (0x0a0d0d0a), which must come first`,
            { kind: "malformed", layer: LAYER, offset: at },
          );
        }
        littleEndian = section.littleEndian;
        type = headView.getUint32(0, littleEndian);
      }
      const length = headView.getUint32(4, littleEndian);
      const known = DECODED_BLOCKS.get(type);
      const name = known?.name ?? `block of type ${hex32(type)}`;
      if (length % 4 !== 0) {
        throw new DecodeError(
          `${name} at byte ${at} has total length ${length} at byte ${
            at + 4
          }, which is not a multiple of 4`,
          { kind: "malformed", layer: LAYER, offset: at + 4 },
        );
      }
      const min = known?.min ?? 12;
      if (length < min) {
        throw new DecodeError(
          `${name} at byte ${at} has total length ${length} at byte ${
            at + 4
          }, expected at least ${min}`,
          { kind: "malformed", layer: LAYER, offset: at + 4 },
        );
      }
      if (known === undefined) {
        queue.discard(8);
        this.#skip = {
          type,
          offset: at,
          length,
          remaining: length - 12,
          littleEndian,
        };
        continue;
      }
      if (length > this.#maxBlockLength) {
        throw new DecodeError(
          `${name} at byte ${at} has total length ${length} at byte ${
            at + 4
          }, more than the maximum ${this.#maxBlockLength}`,
          { kind: "malformed", layer: LAYER, offset: at + 4 },
        );
      }
      const block = queue.peek(length);
      if (block === undefined) {
        if (this.#ended) truncatedBlock(name, at, queue.available, length);
        return undefined;
      }
      const view = viewOf(block);
      const trailer = view.getUint32(length - 4, littleEndian);
      if (trailer !== length) {
        throw mismatchedTrailer(trailer, at + length - 4, length, at);
      }
      const record = this.#decodeBlock(type, name, block, at, littleEndian);
      queue.discard(length);
      if (record !== undefined) return record;
    }
  }

  /** Skip an undecoded block as it streams; false when more bytes are needed. */
  #continueSkip(skip: Skip): boolean {
    const queue = this.#queue;
    skip.remaining -= queue.discard(skip.remaining);
    if (skip.remaining === 0 && queue.available >= 4) {
      const at = queue.position;
      const trailer = viewOf(queue.peek(4)!).getUint32(0, skip.littleEndian);
      if (trailer !== skip.length) {
        throw mismatchedTrailer(trailer, at, skip.length, skip.offset);
      }
      queue.discard(4);
      this.#skip = undefined;
      return true;
    }
    if (this.#ended) {
      const have = skip.length - 4 - skip.remaining + queue.available;
      truncatedBlock(
        `block of type ${hex32(skip.type)}`,
        skip.offset,
        have,
        skip.length,
      );
    }
    return false;
  }

  #decodeBlock(
    type: number,
    name: string,
    block: Uint8Array,
    at: number,
    le: boolean,
  ): CaptureRecord | undefined {
    const view = viewOf(block);
    const end = block.length - 4;
    switch (type) {
      case PCAPNG_BLOCK_TYPE.SECTION_HEADER: {
        const versionMajor = view.getUint16(12, le);
        const versionMinor = view.getUint16(14, le);
        if (versionMajor !== 1) {
          throw new DecodeError(
            `${name} at byte ${at} has version ${versionMajor}.${versionMinor} at byte ${
              at + 12
            }, expected 1.x`,
            { kind: "unsupported", layer: LAYER, offset: at + 12 },
          );
        }
        const options = decodeOptions(block, 24, end, at, le, name);
        const section: PcapngSection = {
          offset: at,
          littleEndian: le,
          versionMajor,
          versionMinor,
          sectionLength: view.getBigInt64(16, le),
          options,
        };
        const comment = joinedComments(options);
        if (comment !== undefined) section.comment = comment;
        for (const option of options) {
          const text = decodeUtf8(option.value);
          if (option.code === SHB_HARDWARE) section.hardware ??= text;
          else if (option.code === SHB_OS) section.os ??= text;
          else if (option.code === SHB_USERAPPL) {
            section.userApplication ??= text;
          }
        }
        this.#section = section;
        this.#interfaces = [];
        this.#units = [];
        return undefined;
      }
      case PCAPNG_BLOCK_TYPE.INTERFACE_DESCRIPTION: {
        const options = decodeOptions(block, 16, end, at, le, name);
        const iface: PcapngInterface = {
          id: this.#interfaces.length,
          offset: at,
          linkType: view.getUint16(8, le),
          snaplen: view.getUint32(12, le),
          timestampResolution: { base: 10, exponent: DEFAULT_TSRESOL },
          timestampOffset: 0,
          options,
        };
        for (const option of options) {
          const value = option.value;
          if (option.code === IF_NAME) iface.name ??= decodeUtf8(value);
          else if (option.code === IF_DESCRIPTION) {
            iface.description ??= decodeUtf8(value);
          } else if (option.code === IF_TSRESOL && value.length >= 1) {
            const byte = value[0]!;
            iface.timestampResolution = byte & 0x80
              ? { base: 2, exponent: byte & 0x7f }
              : { base: 10, exponent: byte };
          } else if (option.code === IF_TSOFFSET && value.length === 8) {
            iface.timestampOffset = Number(viewOf(value).getBigInt64(0, le));
          } else if (option.code === IF_FCSLEN && value.length >= 1) {
            iface.fcsLength = value[0]!;
          }
        }
        this.#interfaces.push(iface);
        const { base, exponent } = iface.timestampResolution;
        this.#units.push(BigInt(base) ** BigInt(exponent));
        return undefined;
      }
      case PCAPNG_BLOCK_TYPE.ENHANCED_PACKET:
      case PCAPNG_BLOCK_TYPE.PACKET: {
        const enhanced = type === PCAPNG_BLOCK_TYPE.ENHANCED_PACKET;
        const interfaceId = enhanced
          ? view.getUint32(8, le)
          : view.getUint16(8, le);
        const capturedLength = view.getUint32(20, le);
        const originalLength = view.getUint32(24, le);
        this.#checkCapturedLength(capturedLength, at + 20);
        const dataEnd = 28 + capturedLength;
        if (dataEnd > end) {
          throw new DecodeError(
            `${name} at byte ${at} has captured length ${capturedLength} at byte ${
              at + 20
            }, past the end of the block at byte ${at + end}`,
            { kind: "malformed", layer: LAYER, offset: at + 20 },
          );
        }
        const iface = this.#interface(interfaceId, name, at, at + 8);
        const options = decodeOptions(
          block,
          Math.min(28 + pad4(capturedLength), end),
          end,
          at,
          le,
          name,
        );
        const record: CaptureRecord = {
          timestamp: this.#timestamp(
            iface,
            view.getUint32(12, le),
            view.getUint32(16, le),
          ),
          linkType: iface.linkType,
          interfaceId,
          data: block.slice(28, dataEnd),
          originalLength,
        };
        const comment = joinedComments(options);
        if (comment !== undefined) record.comment = comment;
        const flags = options.find((option) =>
          option.code === EPB_FLAGS && option.value.length === 4
        );
        if (flags !== undefined) {
          const word = viewOf(flags.value).getUint32(0, le);
          record.flags = word;
          const direction = word & 3;
          if (direction === 1) record.direction = "inbound";
          else if (direction === 2) record.direction = "outbound";
        }
        return record;
      }
      case PCAPNG_BLOCK_TYPE.SIMPLE_PACKET: {
        const iface = this.#interface(0, name, at, at);
        const originalLength = view.getUint32(8, le);
        let capturedLength = Math.min(originalLength, end - 12);
        if (iface.snaplen > 0) {
          capturedLength = Math.min(capturedLength, iface.snaplen);
        }
        this.#checkCapturedLength(capturedLength, at + 8);
        return {
          timestamp: { seconds: 0, nanoseconds: 0 },
          linkType: iface.linkType,
          interfaceId: 0,
          data: block.slice(12, 12 + capturedLength),
          originalLength,
        };
      }
    }
    return undefined;
  }

  #checkCapturedLength(length: number, offset: number): void {
    if (length > this.#maxCaptureLength) {
      throw new DecodeError(
        `captured length ${length} at byte ${offset} is more than the maximum ${this.#maxCaptureLength}`,
        { kind: "malformed", layer: LAYER, offset },
      );
    }
  }

  #interface(
    id: number,
    name: string,
    at: number,
    offset: number,
  ): PcapngInterface {
    const iface = this.#interfaces[id];
    if (iface === undefined) {
      const count = this.#interfaces.length;
      throw new DecodeError(
        `${name} at byte ${at} names interface ${id} at byte ${offset}, but the section has ${count} interface${
          count === 1 ? "" : "s"
        } so far`,
        { kind: "malformed", layer: LAYER, offset },
      );
    }
    return iface;
  }

  #timestamp(
    iface: PcapngInterface,
    high: number,
    low: number,
  ): { seconds: number; nanoseconds: number } {
    const units = this.#units[iface.id]!;
    const ticks = (BigInt(high) << 32n) | BigInt(low);
    const seconds = ticks / units;
    const nanoseconds = ((ticks % units) * 1_000_000_000n) / units;
    return {
      seconds: Number(seconds) + iface.timestampOffset,
      nanoseconds: Number(nanoseconds),
    };
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

function truncatedBlock(
  name: string,
  offset: number,
  have: number,
  length: number,
): never {
  throw new DecodeError(
    `${name} at byte ${offset} is truncated: ${have} bytes, expected ${length} (its total length)`,
    { kind: "truncated", layer: LAYER, offset },
  );
}

function mismatchedTrailer(
  trailer: number,
  trailerOffset: number,
  length: number,
  blockOffset: number,
): DecodeError {
  return new DecodeError(
    `trailing total length ${trailer} at byte ${trailerOffset} does not match ${length} at byte ${
      blockOffset + 4
    }`,
    { kind: "malformed", layer: LAYER, offset: trailerOffset },
  );
}

function decodeOptions(
  block: Uint8Array,
  start: number,
  end: number,
  at: number,
  le: boolean,
  name: string,
): PcapngOption[] {
  const view = viewOf(block);
  const options: PcapngOption[] = [];
  let pos = start;
  while (pos + 4 <= end) {
    const code = view.getUint16(pos, le);
    const length = view.getUint16(pos + 2, le);
    if (code === OPT_ENDOFOPT) break;
    if (pos + 4 + length > end) {
      throw new DecodeError(
        `option ${code} at byte ${
          at + pos
        } in the ${name} at byte ${at} has length ${length}, past the end of the options at byte ${
          at + end
        }`,
        { kind: "malformed", layer: LAYER, offset: at + pos + 2 },
      );
    }
    options.push({ code, value: block.slice(pos + 4, pos + 4 + length) });
    pos += 4 + pad4(length);
  }
  return options;
}

function joinedComments(options: PcapngOption[]): string | undefined {
  const comments = options.filter((option) => option.code === OPT_COMMENT);
  if (comments.length === 0) return undefined;
  return comments.map((option) => decodeUtf8(option.value)).join("\n");
}

/** Options for {@linkcode PcapngWriter}. */
export interface PcapngWriterOptions {
  /** Default link type of packets, 0..65535; default 101 (`LINKTYPE.RAW`). */
  linkType?: number;
  /** Snapshot length declared for each interface, 0..2^32-1 (0: none); default 262144. */
  snaplen?: number;
  /** `shb_userappl` of the section; default "tcpcraft". */
  userApplication?: string;
  /** Where `write()` and `end()` send chunks. */
  sink?: CaptureSink;
}

/**
 * Writes pcapng, little-endian: a section header block (`shb_userappl`),
 * then for each packet an enhanced packet block with nanosecond timestamps
 * (`if_tsresol` 9), `opt_comment` and `epb_flags` direction, preceded by an
 * interface description block the first time a link type is used.
 *
 * @example
 * ```ts
 * import { LINKTYPE, PcapngWriter, readCaptureBytes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const writer = new PcapngWriter();
 * const file = new Uint8Array([
 *   ...writer.header(),
 *   ...writer.packet(new Uint8Array([0x45]), { timestamp: 0, direction: "inbound" }),
 *   ...writer.packet(new Uint8Array(14), { timestamp: 0, linkType: LINKTYPE.ETHERNET }),
 * ]);
 * const { records } = readCaptureBytes(file);
 * assert.deepEqual(records.map((r) => [r.interfaceId, r.linkType, r.direction]), [
 *   [0, LINKTYPE.RAW, "inbound"],
 *   [1, LINKTYPE.ETHERNET, undefined],
 * ]);
 * ```
 */
export class PcapngWriter implements CaptureWriter {
  /** Always `"pcapng"`. */
  readonly format = "pcapng" as const;
  /** Default link type of packets. */
  readonly linkType: number;
  /** Snapshot length of each interface. */
  readonly snaplen: number;
  /** `shb_userappl` of the section. */
  readonly userApplication: string;
  #sink: CaptureSink | undefined;
  #headerSent = false;
  #interfaces = new Map<number, number>();

  /**
   * Create a writer.
   *
   * @param options Default link type, snapshot length, application name, sink.
   * @throws {RangeError} For a link type or snapshot length out of range.
   */
  constructor(options: PcapngWriterOptions = {}) {
    this.linkType = options.linkType ?? 101;
    checkUint("pcapng interface", "linkType", this.linkType, 0xffff);
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    checkUint("pcapng interface", "snaplen", this.snaplen, 0xffff_ffff);
    this.userApplication = options.userApplication ?? "tcpcraft";
    checkUint(
      "pcapng section header",
      "userApplication length",
      encodeUtf8(this.userApplication).length,
      0xffff,
    );
    this.#sink = options.sink;
  }

  /**
   * The section header block that starts the file.
   *
   * @returns A fresh array.
   */
  header(): Uint8Array {
    const body = new Uint8Array(16);
    const view = viewOf(body);
    view.setUint32(0, BYTE_ORDER_MAGIC, true);
    view.setUint16(4, 1, true);
    view.setUint16(6, 0, true);
    view.setBigInt64(8, -1n, true);
    return encodeBlock(
      PCAPNG_BLOCK_TYPE.SECTION_HEADER,
      body,
      encodeOptions([[SHB_USERAPPL, encodeUtf8(this.userApplication)]]),
    );
  }

  /**
   * The blocks that append one packet: an interface description block if
   * this link type is new, then the enhanced packet block.
   *
   * @param data The packet, starting with the link-layer header.
   * @param options Timestamp (default now), original length, comment,
   *   direction, link type.
   * @returns A fresh array to append to the file.
   * @throws {RangeError} When `data` is longer than the snapshot length, the
   *   original length is shorter than `data` or above 2^32-1, the comment is
   *   over 65535 bytes of UTF-8, the direction is unknown, or the timestamp
   *   is before 1970.
   */
  packet(data: Uint8Array, options: CapturePacketOptions = {}): Uint8Array {
    const what = "pcapng enhanced packet block";
    if (this.snaplen > 0 && data.length > this.snaplen) {
      throw rangeError(
        what,
        `data is ${data.length} bytes, more than snaplen ${this.snaplen}`,
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
    const linkType = options.linkType ?? this.linkType;
    checkUint(what, "linkType", linkType, 0xffff);
    const timestamp = normalizeTimestamp(options.timestamp ?? Date.now());
    const ticks = BigInt(timestamp.seconds) * 1_000_000_000n +
      BigInt(timestamp.nanoseconds);
    if (ticks < 0n || ticks > U64_MAX) {
      throw rangeError(
        what,
        `timestamp ${timestamp.seconds}.${
          String(timestamp.nanoseconds).padStart(9, "0")
        } is not in 0..2^64-1 nanoseconds since the epoch`,
      );
    }
    const entries: [number, Uint8Array][] = [];
    if (options.comment !== undefined) {
      const comment = encodeUtf8(options.comment);
      checkUint(what, "comment length", comment.length, 0xffff);
      entries.push([OPT_COMMENT, comment]);
    }
    if (options.direction !== undefined) {
      const bits = directionBits(options.direction);
      const value = new Uint8Array(4);
      viewOf(value).setUint32(0, bits, true);
      entries.push([EPB_FLAGS, value]);
    }
    const parts: Uint8Array[] = [];
    let interfaceId = this.#interfaces.get(linkType);
    if (interfaceId === undefined) {
      interfaceId = this.#interfaces.size;
      this.#interfaces.set(linkType, interfaceId);
      const body = new Uint8Array(8);
      const view = viewOf(body);
      view.setUint16(0, linkType, true);
      view.setUint16(2, 0, true);
      view.setUint32(4, this.snaplen, true);
      parts.push(
        encodeBlock(
          PCAPNG_BLOCK_TYPE.INTERFACE_DESCRIPTION,
          body,
          encodeOptions([[IF_TSRESOL, new Uint8Array([9])]]),
        ),
      );
    }
    const body = new Uint8Array(20 + pad4(data.length));
    const view = viewOf(body);
    view.setUint32(0, interfaceId, true);
    view.setUint32(4, Number(ticks >> 32n), true);
    view.setUint32(8, Number(ticks & 0xffff_ffffn), true);
    view.setUint32(12, data.length, true);
    view.setUint32(16, originalLength, true);
    body.set(data, 20);
    parts.push(
      encodeBlock(
        PCAPNG_BLOCK_TYPE.ENHANCED_PACKET,
        body,
        encodeOptions(entries),
      ),
    );
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  }

  /**
   * Append one packet to the sink, preceded by the section header on the
   * first call. Chunks reach the sink in call order even if calls are not
   * awaited.
   *
   * @param data The packet.
   * @param options As for {@linkcode PcapngWriter.packet}.
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
   * Write the section header if no packet was written, so the sink holds a
   * valid (empty) capture file. Does not close the sink.
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
        "Cannot write pcapng block: the writer has no sink (use header() and packet())",
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

function directionBits(direction: CaptureDirection): number {
  if (direction === "inbound") return 1;
  if (direction === "outbound") return 2;
  throw rangeError(
    "pcapng enhanced packet block",
    `direction "${direction}" is not "inbound" or "outbound"`,
  );
}

/** Options as bytes, ended by opt_endofopt; empty when there are none. */
function encodeOptions(entries: [number, Uint8Array][]): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  let length = 4;
  for (const [, value] of entries) length += 4 + pad4(value.length);
  const bytes = new Uint8Array(length);
  const view = viewOf(bytes);
  let pos = 0;
  for (const [code, value] of entries) {
    view.setUint16(pos, code, true);
    view.setUint16(pos + 2, value.length, true);
    bytes.set(value, pos + 4);
    pos += 4 + pad4(value.length);
  }
  // opt_endofopt: code 0, length 0 (the array is zero-filled).
  return bytes;
}

/** A block: type, total length, body (already padded), options, total length. */
function encodeBlock(
  type: number,
  body: Uint8Array,
  options: Uint8Array,
): Uint8Array {
  const total = 12 + body.length + options.length;
  const bytes = new Uint8Array(total);
  const view = viewOf(bytes);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  bytes.set(body, 8);
  bytes.set(options, 8 + body.length);
  view.setUint32(total - 4, total, true);
  return bytes;
}
