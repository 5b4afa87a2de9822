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
  CaptureRecord,
  ReadCaptureOptions,
} from "./types.ts";
import { MAX_ORIGINAL_LENGTH } from "./types.ts";
import { DecodeError } from "../wire/errors.ts";
import {
  ByteQueue,
  decodeUtf8,
  DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_CAPTURE_LENGTH,
  hex32,
  originalLengthProblem,
  pad4,
  viewOf,
} from "./_io.ts";
import {
  BYTE_ORDER_MAGIC,
  decodeOptions,
  DEFAULT_TSRESOL,
  EPB_FLAGS,
  IF_DESCRIPTION,
  IF_FCSLEN,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  joinedComments,
  LAYER,
  mismatchedTrailer,
  SHB_HARDWARE,
  SHB_OS,
  SHB_USERAPPL,
  truncated,
  truncatedBlock,
} from "./_pcapng_codec.ts";
import {
  PCAPNG_BLOCK_TYPE,
  type PcapngInterface,
  type PcapngSection,
} from "./pcapng_blocks.ts";

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
      const head = this.#blockHead(at);
      if (head === undefined) return undefined;
      const { type, littleEndian, length } = head;
      const known = DECODED_BLOCKS.get(type);
      const name = known?.name ?? `block of type ${hex32(type)}`;
      checkBlockLength(name, at, length, known?.min ?? 12);
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
      const trailer = viewOf(block).getUint32(length - 4, littleEndian);
      if (trailer !== length) {
        throw mismatchedTrailer(trailer, at + length - 4, length, at);
      }
      const record = this.#decodeBlock(type, name, block, at, littleEndian);
      queue.discard(length);
      if (record !== undefined) return record;
    }
  }

  /**
   * The type, byte order and total length of the block at `at`, or
   * undefined when more bytes are needed.
   */
  #blockHead(
    at: number,
  ): { type: number; littleEndian: boolean; length: number } | undefined {
    const queue = this.#queue;
    const head = queue.peek(8);
    if (head === undefined) {
      if (this.#ended) throw truncated("block header", at, queue.available, 8);
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
          throw truncated("section header block", at, queue.available, 12);
        }
        return undefined;
      }
      littleEndian = sectionByteOrder(first12, at);
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
    return { type, littleEndian, length: headView.getUint32(4, littleEndian) };
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
    switch (type) {
      case PCAPNG_BLOCK_TYPE.SECTION_HEADER:
        this.#section = decodeSectionHeader(block, name, at, le);
        this.#interfaces = [];
        this.#units = [];
        return undefined;
      case PCAPNG_BLOCK_TYPE.INTERFACE_DESCRIPTION: {
        const id = this.#interfaces.length;
        const iface = decodeInterface(block, name, at, le, id);
        this.#interfaces.push(iface);
        const { base, exponent } = iface.timestampResolution;
        this.#units.push(BigInt(base) ** BigInt(exponent));
        return undefined;
      }
      case PCAPNG_BLOCK_TYPE.ENHANCED_PACKET:
      case PCAPNG_BLOCK_TYPE.PACKET:
        return this.#packetBlock(type, name, block, at, le);
      case PCAPNG_BLOCK_TYPE.SIMPLE_PACKET:
        return this.#simplePacket(name, block, at, le);
    }
    return undefined;
  }

  /** An enhanced packet block, or an obsolete packet block. */
  #packetBlock(
    type: number,
    name: string,
    block: Uint8Array,
    at: number,
    le: boolean,
  ): CaptureRecord {
    const view = viewOf(block);
    const end = block.length - 4;
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
    const problem = originalLengthProblem(
      capturedLength,
      originalLength,
      at + 24,
      MAX_ORIGINAL_LENGTH,
    );
    if (problem !== undefined) record.lengthProblem = problem;
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

  /** A simple packet block: interface 0, no timestamp. */
  #simplePacket(
    name: string,
    block: Uint8Array,
    at: number,
    le: boolean,
  ): CaptureRecord {
    const end = block.length - 4;
    const iface = this.#interface(0, name, at, at);
    const originalLength = viewOf(block).getUint32(8, le);
    let capturedLength = Math.min(originalLength, end - 12);
    if (iface.snaplen > 0) {
      capturedLength = Math.min(capturedLength, iface.snaplen);
    }
    this.#checkCapturedLength(capturedLength, at + 8);
    const record: CaptureRecord = {
      timestamp: { seconds: 0, nanoseconds: 0 },
      linkType: iface.linkType,
      interfaceId: 0,
      data: block.slice(12, 12 + capturedLength),
      originalLength,
    };
    const problem = originalLengthProblem(
      capturedLength,
      originalLength,
      at + 8,
      MAX_ORIGINAL_LENGTH,
    );
    if (problem !== undefined) record.lengthProblem = problem;
    return record;
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

/** The byte order a section header's byte-order magic (bytes 8..11) says. */
function sectionByteOrder(first12: Uint8Array, at: number): boolean {
  const view = viewOf(first12);
  const bom = view.getUint32(8, true);
  if (bom === BYTE_ORDER_MAGIC) return true;
  if (bom === 0x4d3c2b1a) return false;
  throw new DecodeError(
    `byte-order magic ${hex32(view.getUint32(8, false))} at byte ${
      at + 8
    } is not 1a2b3c4d in either byte order`,
    { kind: "malformed", layer: LAYER, offset: at + 8 },
  );
}

/** A block's total length must be a multiple of 4 and at least its minimum. */
function checkBlockLength(
  name: string,
  at: number,
  length: number,
  min: number,
): void {
  if (length % 4 !== 0) {
    throw new DecodeError(
      `${name} at byte ${at} has total length ${length} at byte ${
        at + 4
      }, which is not a multiple of 4`,
      { kind: "malformed", layer: LAYER, offset: at + 4 },
    );
  }
  if (length < min) {
    throw new DecodeError(
      `${name} at byte ${at} has total length ${length} at byte ${
        at + 4
      }, expected at least ${min}`,
      { kind: "malformed", layer: LAYER, offset: at + 4 },
    );
  }
}

/** A section header block (whole, trailer included). */
function decodeSectionHeader(
  block: Uint8Array,
  name: string,
  at: number,
  le: boolean,
): PcapngSection {
  const view = viewOf(block);
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
  const options = decodeOptions(block, 24, block.length - 4, at, le, name);
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
    else if (option.code === SHB_USERAPPL) section.userApplication ??= text;
  }
  return section;
}

/** An interface description block (whole, trailer included). */
function decodeInterface(
  block: Uint8Array,
  name: string,
  at: number,
  le: boolean,
  id: number,
): PcapngInterface {
  const view = viewOf(block);
  const options = decodeOptions(block, 16, block.length - 4, at, le, name);
  const iface: PcapngInterface = {
    id,
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
  return iface;
}
