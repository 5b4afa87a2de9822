/**
 * Writing pcapng, little-endian: a section header block, then an interface
 * description block per link type and an enhanced packet block per packet.
 *
 * @module
 */

import type {
  CapturePacketOptions,
  CaptureSink,
  CaptureWriter,
} from "./types.ts";
import {
  checkUint,
  concatBytes,
  DEFAULT_SNAPLEN,
  encodeUtf8,
  normalizeTimestamp,
  pad4,
  rangeError,
  U64_MAX,
  viewOf,
  writeToSink,
} from "./_io.ts";
import {
  BYTE_ORDER_MAGIC,
  directionBits,
  encodeBlock,
  encodeOptions,
  EPB_FLAGS,
  IF_TSRESOL,
  OPT_COMMENT,
  SHB_USERAPPL,
} from "./_pcapng_codec.ts";
import { PCAPNG_BLOCK_TYPE } from "./pcapng_blocks.ts";

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
