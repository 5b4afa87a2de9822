/**
 * The TCP header (RFC 9293 §3.1): a plain-object model, an encoder and a
 * decoder that lose nothing, and the checksum over the pseudo-header. The
 * view for editing header fields in place, `TcpHeaderView`, is in
 * `tcp_view.ts` and exported here too.
 *
 * Every field of the header is in the model, including those a sane segment
 * computes (data offset, reserved bits, checksum, padding after an
 * end-of-list option), so a deliberately broken segment can be built and a
 * decoded one re-encodes to the same bytes.
 *
 * @module
 */

import { addressBytes } from "./address.ts";
import {
  finishChecksum,
  IPPROTO_TCP,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
  sumWords,
} from "./checksum.ts";
import { DecodeError } from "./errors.ts";
import { checkFieldValue, readField, writeField } from "./header_field.ts";
import {
  TCP_HEADER_FIELDS,
  TCP_MAX_HEADER_LENGTH,
  TCP_MIN_HEADER_LENGTH,
  type TcpHeaderFieldKey,
} from "./tcp_fields.ts";
import {
  decodeTcpOptions,
  encodeTcpOptions,
  type TcpOption,
  tcpOptionsLength,
} from "./tcp_options.ts";

export {
  TCP_HEADER_OFFSETS,
  TCP_MAX_HEADER_LENGTH,
  TCP_MIN_HEADER_LENGTH,
} from "./tcp_fields.ts";
export { type TcpHeaderFields, TcpHeaderView } from "./tcp_view.ts";

/** A TCP segment as a plain object. Every header field is here. */
export interface TcpSegment {
  /** Source port, 0..65535. */
  srcPort: number;
  /** Destination port, 0..65535. */
  dstPort: number;
  /** Sequence number, 32 bits unsigned. */
  seq: number;
  /** Acknowledgment number, 32 bits unsigned. */
  ack: number;
  /** The 9 flag bits (see `TCP_FLAGS`). */
  flags: number;
  /** Window, 0..65535 (unscaled, as on the wire). */
  window: number;
  /** Urgent pointer, 0..65535. */
  urgentPointer: number;
  /** Options in wire order (padding to a multiple of 4 bytes is added by the encoder). */
  options: TcpOption[];
  /** The data after the header. */
  payload: Uint8Array;
  /** Data offset in 32-bit words; computed when absent. An override may be wrong on purpose (0..15). */
  dataOffset?: number;
  /** The three reserved bits (byte 12, bits 1..3), 0..7; 0 when absent. */
  reserved?: number;
  /** Checksum; computed from the pseudo-header when absent. */
  checksum?: number;
  /**
   * Bytes after an EOL option up to the end of the option area, kept when
   * they are not the zero padding the encoder would add itself.
   */
  padding?: Uint8Array;
}

/** A segment as decoded: the computed fields are always present. */
export interface DecodedTcpSegment extends TcpSegment {
  /** Data offset in 32-bit words, as on the wire (even when wrong). */
  dataOffset: number;
  /** The three reserved bits, as on the wire. */
  reserved: number;
  /** The checksum, as on the wire (right or wrong). */
  checksum: number;
}

/** Options for {@linkcode encodeTcp}: the addresses of the pseudo-header. */
export interface EncodeTcpOptions {
  /**
   * Source address (text or 4/16 bytes), for the pseudo-header of the
   * checksum. Needed only when the segment has no `checksum`.
   */
  src?: string | Uint8Array;
  /** Destination address, of the same family as `src`. */
  dst?: string | Uint8Array;
}

/** Options for {@linkcode encodeTcpInto}. */
export interface EncodeTcpIntoOptions extends EncodeTcpOptions {
  /** Where in the target the segment starts. Default 0. */
  offset?: number;
}

/** Options for {@linkcode decodeTcp}. */
export interface DecodeTcpOptions {
  /**
   * Never throw for a buffer of 20 bytes or more; see {@linkcode decodeTcp}.
   * Default false.
   */
  lenient?: boolean;
}

const LAYER = "TCP header";
const F = TCP_HEADER_FIELDS;

function checkField(key: TcpHeaderFieldKey, value: number): void {
  checkFieldValue(LAYER, F[key], value);
}

/**
 * The folded pseudo-header sum for a segment of `length` bytes between two
 * addresses, which must be of the same family.
 */
function pseudoSum(
  src: string | Uint8Array,
  dst: string | Uint8Array,
  length: number,
  action: string,
): number {
  const s = addressBytes(src);
  const d = addressBytes(dst);
  if (s.length !== d.length) {
    throw new RangeError(
      `Cannot ${action}: mixed address families (src is IPv${
        s.length === 4 ? 4 : 6
      }, dst is IPv${d.length === 4 ? 4 : 6})`,
    );
  }
  return s.length === 4
    ? pseudoHeaderSumV4(s, d, IPPROTO_TCP, length)
    : pseudoHeaderSumV6(s, d, IPPROTO_TCP, length);
}

function paddedHeaderLength(optionBytes: number, padding: number): number {
  return TCP_MIN_HEADER_LENGTH + Math.ceil((optionBytes + padding) / 4) * 4;
}

/**
 * The length of the header {@linkcode encodeTcp} writes for a segment: 20
 * bytes, plus the options and `padding`, rounded up to a multiple of 4. A
 * `dataOffset` override does not change it.
 *
 * @param segment The segment.
 * @returns The header length in bytes (the payload not included).
 * @throws {RangeError} When an option holds a value out of range.
 *
 * @example
 * ```ts
 * import { tcpHeaderLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const segment = {
 *   srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0x02, window: 0,
 *   urgentPointer: 0, options: [{ kind: "wscale" as const, shift: 7 }],
 *   payload: new Uint8Array(),
 * };
 * assert.equal(tcpHeaderLength(segment), 24);
 * ```
 */
export function tcpHeaderLength(segment: TcpSegment): number {
  return paddedHeaderLength(
    tcpOptionsLength(segment.options),
    segment.padding?.length ?? 0,
  );
}

/**
 * Encode a segment (header and payload) into a buffer at an offset.
 *
 * The header is laid out as computed: 20 bytes, the options, `padding` if
 * present, then zero bytes to a multiple of 4, then the payload. The data
 * offset is computed from that length unless the segment gives `dataOffset`,
 * which is then written as given (0..15), right or wrong, while the layout
 * stays as computed; so is `reserved`. The checksum is computed over the
 * pseudo-header of `src` and `dst` unless the segment gives `checksum`, which
 * is then written as given.
 *
 * Every byte from `offset` to `offset + ` the returned length is written; the
 * target is left untouched when an error is thrown.
 *
 * @param segment The segment.
 * @param target The buffer to write into.
 * @param options `src` and `dst` for the pseudo-header; `offset` in target.
 * @returns The number of bytes written: header plus payload.
 * @throws {RangeError} When a field is out of range
 * (`Cannot encode TCP header: srcPort 70000 is not in 0..65535`), an option
 * is, the options make a header over 60 bytes without a `dataOffset`
 * override, the target is too small, or the checksum is to be computed
 * without both addresses or with addresses of two families.
 *
 * @example Re-using one buffer for many probes
 * ```ts
 * import { encodeTcpInto, verifyTcpChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new Uint8Array(64);
 * const written = encodeTcpInto(
 *   {
 *     srcPort: 40000, dstPort: 443, seq: 1, ack: 0, flags: 0x02,
 *     window: 1024, urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 *   buffer,
 *   { src: "192.0.2.42", dst: "192.0.2.1", offset: 20 },
 * );
 * assert.equal(written, 20);
 * assert.ok(verifyTcpChecksum(buffer.subarray(20, 40), "192.0.2.42", "192.0.2.1"));
 * ```
 */
export function encodeTcpInto(
  segment: TcpSegment,
  target: Uint8Array,
  options: EncodeTcpIntoOptions = {},
): number {
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
    throw new RangeError(
      `Cannot encode TCP header: offset ${offset} is not in 0..${target.length}`,
    );
  }
  checkField("srcPort", segment.srcPort);
  checkField("dstPort", segment.dstPort);
  checkField("seq", segment.seq);
  checkField("ack", segment.ack);
  checkField("flags", segment.flags);
  checkField("window", segment.window);
  checkField("urgentPointer", segment.urgentPointer);
  const reserved = segment.reserved ?? 0;
  checkField("reserved", reserved);
  if (segment.checksum !== undefined) checkField("checksum", segment.checksum);
  if (!(segment.payload instanceof Uint8Array)) {
    throw new RangeError(
      "Cannot encode TCP header: payload is not a Uint8Array",
    );
  }
  const padding = segment.padding;
  if (padding !== undefined && !(padding instanceof Uint8Array)) {
    throw new RangeError(
      "Cannot encode TCP header: padding is not a Uint8Array",
    );
  }
  const optionBytes = encodeTcpOptions(segment.options);
  const headerLength = paddedHeaderLength(
    optionBytes.length,
    padding?.length ?? 0,
  );
  let dataOffset = segment.dataOffset;
  if (dataOffset === undefined) {
    if (headerLength > TCP_MAX_HEADER_LENGTH) {
      throw new RangeError(
        `Cannot encode TCP header: options and padding make a ${headerLength}-byte header, more than ${TCP_MAX_HEADER_LENGTH} (give dataOffset to write it anyway)`,
      );
    }
    dataOffset = headerLength / 4;
  } else {
    checkField("dataOffset", dataOffset);
  }
  const total = headerLength + segment.payload.length;
  if (target.length - offset < total) {
    throw new RangeError(
      `Cannot encode TCP header: the segment is ${total} bytes, but the target has ${
        target.length - offset
      } bytes from offset ${offset}`,
    );
  }
  let pseudo = 0;
  if (segment.checksum === undefined) {
    if (options.src === undefined || options.dst === undefined) {
      throw new RangeError(
        "Cannot encode TCP header: the checksum needs src and dst addresses for the pseudo-header (or give checksum)",
      );
    }
    pseudo = pseudoSum(options.src, options.dst, total, "encode TCP header");
  }

  const o = offset;
  writeField(target, o, F.srcPort, segment.srcPort);
  writeField(target, o, F.dstPort, segment.dstPort);
  writeField(target, o, F.seq, segment.seq);
  writeField(target, o, F.ack, segment.ack);
  writeField(target, o, F.dataOffset, dataOffset);
  writeField(target, o, F.reserved, reserved);
  writeField(target, o, F.flags, segment.flags);
  writeField(target, o, F.window, segment.window);
  writeField(target, o, F.checksum, 0);
  writeField(target, o, F.urgentPointer, segment.urgentPointer);
  let at = o + F.options.byteOffset;
  target.set(optionBytes, at);
  at += optionBytes.length;
  if (padding !== undefined) {
    target.set(padding, at);
    at += padding.length;
  }
  target.fill(0, at, o + headerLength);
  target.set(segment.payload, o + headerLength);
  const checksum = segment.checksum ??
    finishChecksum(sumWords(target.subarray(o, o + total), pseudo));
  writeField(target, o, F.checksum, checksum);
  return total;
}

/**
 * Encode a segment, header and payload, into a new buffer. See
 * {@linkcode encodeTcpInto} for how each field is written.
 *
 * @param segment The segment.
 * @param options `src` and `dst` for the pseudo-header of the checksum;
 * needed unless the segment gives `checksum`.
 * @returns The segment's bytes.
 * @throws {RangeError} As {@linkcode encodeTcpInto}.
 *
 * @example A Christmas-tree probe (FIN, PSH, URG) from port 20 to 666
 * ```ts
 * import { decodeTcp, encodeTcp, parseFlags, verifyTcpChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeTcp(
 *   {
 *     srcPort: 20, dstPort: 666, seq: 0, ack: 0, flags: parseFlags("xmas"),
 *     window: 8192, urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 *   { src: "192.0.2.42", dst: "192.0.2.1" },
 * );
 * assert.equal(bytes.length, 20);
 * assert.equal(bytes[13], 0x29);
 * assert.equal(decodeTcp(bytes).checksum, 0x08e2);
 * assert.ok(verifyTcpChecksum(bytes, "192.0.2.42", "192.0.2.1"));
 * ```
 */
export function encodeTcp(
  segment: TcpSegment,
  options: EncodeTcpOptions = {},
): Uint8Array {
  const bytes = new Uint8Array(
    tcpHeaderLength(segment) + segment.payload.length,
  );
  encodeTcpInto(segment, bytes, options);
  return bytes;
}

/**
 * Decode a TCP segment. All bytes after the header are the payload, so pass
 * exactly the segment (the IP payload).
 *
 * Strict decoding (the default) throws a {@linkcode DecodeError} for a buffer
 * under 20 bytes (`truncated`), a data offset under 5 (`malformed`), a data
 * offset past the end of the buffer (`truncated`) and any option the strict
 * {@linkcode decodeTcpOptions} refuses.
 *
 * Lenient decoding throws only for a buffer under 20 bytes. A data offset
 * under 5 is read as a 20-byte header without options; a data offset past
 * the end as a header that reaches the last whole 32-bit word of the buffer,
 * with the 0..3 bytes left over as payload; an option that cannot be parsed
 * starts a `raw` option holding the rest of the option area. `dataOffset`
 * keeps the value on the wire, so re-encoding reproduces the bytes.
 *
 * The payload, the padding and every option body are copies: the result
 * shares no memory with `bytes`.
 *
 * @param bytes The segment: header and payload.
 * @param options `lenient` to accept broken headers.
 * @returns The segment, with `dataOffset`, `reserved` and `checksum` as on the
 * wire and `padding` only when there is some.
 * @throws {DecodeError} As described above, e.g.
 * `Cannot decode TCP header: buffer is 12 bytes, expected at least 20`.
 *
 * @example A SYN with an MSS option
 * ```ts
 * import { decodeTcp } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([
 *   0xb2, 0x6f, 0x00, 0x50,
 *   0x0b, 0xad, 0xca, 0xfe,
 *   0x00, 0x00, 0x00, 0x00,
 *   0x60, 0x02, 0xfa, 0xf0,
 *   0x8f, 0x9e, 0x00, 0x00,
 *   0x02, 0x04, 0x05, 0xb4,
 * ]);
 * assert.deepEqual(decodeTcp(bytes), {
 *   srcPort: 45679, dstPort: 80, seq: 0x0badcafe, ack: 0,
 *   dataOffset: 6, reserved: 0, flags: 0x02, window: 64240,
 *   checksum: 0x8f9e, urgentPointer: 0,
 *   options: [{ kind: "mss", value: 1460 }],
 *   payload: new Uint8Array(),
 * });
 * ```
 */
export function decodeTcp(
  bytes: Uint8Array,
  options: DecodeTcpOptions = {},
): DecodedTcpSegment {
  const lenient = options.lenient ?? false;
  if (bytes.length < TCP_MIN_HEADER_LENGTH) {
    throw new DecodeError(
      `buffer is ${bytes.length} bytes, expected at least ${TCP_MIN_HEADER_LENGTH}`,
      { kind: "truncated", layer: LAYER, offset: bytes.length },
    );
  }
  const dataOffset = readField(bytes, 0, F.dataOffset);
  const dataOffsetAt = F.dataOffset.byteOffset;
  let headerEnd = dataOffset * 4;
  if (dataOffset < 5) {
    if (!lenient) {
      throw new DecodeError(
        `data offset ${dataOffset} at byte ${dataOffsetAt} is under 5 (a header is at least 20 bytes)`,
        { kind: "malformed", layer: LAYER, offset: dataOffsetAt },
      );
    }
    headerEnd = TCP_MIN_HEADER_LENGTH;
  } else if (headerEnd > bytes.length) {
    if (!lenient) {
      throw new DecodeError(
        `data offset ${dataOffset} at byte ${dataOffsetAt} makes a ${headerEnd}-byte header, but the buffer is ${bytes.length} bytes`,
        { kind: "truncated", layer: LAYER, offset: dataOffsetAt },
      );
    }
    headerEnd = TCP_MIN_HEADER_LENGTH +
      ((bytes.length - TCP_MIN_HEADER_LENGTH) & ~3);
  }
  const decoded = decodeTcpOptions(
    bytes.subarray(F.options.byteOffset, headerEnd),
    { lenient, offset: F.options.byteOffset },
  );
  const segment: DecodedTcpSegment = {
    srcPort: readField(bytes, 0, F.srcPort),
    dstPort: readField(bytes, 0, F.dstPort),
    seq: readField(bytes, 0, F.seq),
    ack: readField(bytes, 0, F.ack),
    dataOffset,
    reserved: readField(bytes, 0, F.reserved),
    flags: readField(bytes, 0, F.flags),
    window: readField(bytes, 0, F.window),
    checksum: readField(bytes, 0, F.checksum),
    urgentPointer: readField(bytes, 0, F.urgentPointer),
    options: decoded.options,
    payload: bytes.slice(headerEnd),
  };
  if (decoded.padding !== undefined) segment.padding = decoded.padding;
  return segment;
}

function requireHeader(segment: Uint8Array): void {
  if (segment.length < TCP_MIN_HEADER_LENGTH) {
    throw new DecodeError(
      `buffer is ${segment.length} bytes, expected at least ${TCP_MIN_HEADER_LENGTH}`,
      { kind: "truncated", layer: LAYER, offset: segment.length },
    );
  }
}

/**
 * The checksum a segment's bytes should carry: the Internet checksum of the
 * pseudo-header and the segment, with the segment's own checksum field
 * counted as zero.
 *
 * @param segment The whole segment, header and payload.
 * @param src Source address of the IP header (text or 4/16 bytes).
 * @param dst Destination address, same family.
 * @returns The checksum, 0..0xffff.
 * @throws {DecodeError} For fewer than 20 bytes.
 * @throws {RangeError} For addresses of two families.
 *
 * @example Fixing the checksum of a hand-edited segment
 * ```ts
 * import { decodeTcp, encodeTcp, tcpChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeTcp(
 *   {
 *     srcPort: 40000, dstPort: 22, seq: 1, ack: 0, flags: 0, window: 1024,
 *     urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 *   { src: "192.0.2.42", dst: "192.0.2.1" },
 * );
 * assert.equal(tcpChecksum(bytes, "192.0.2.42", "192.0.2.1"), decodeTcp(bytes).checksum);
 * bytes[3] = 23; // dstPort 22 -> 23
 * assert.notEqual(tcpChecksum(bytes, "192.0.2.42", "192.0.2.1"), decodeTcp(bytes).checksum);
 * ```
 */
export function tcpChecksum(
  segment: Uint8Array,
  src: string | Uint8Array,
  dst: string | Uint8Array,
): number {
  requireHeader(segment);
  const pseudo = pseudoSum(src, dst, segment.length, "compute TCP checksum");
  const before = sumWords(
    segment.subarray(0, F.checksum.byteOffset),
    pseudo,
  );
  const after = F.checksum.byteOffset + F.checksum.bitLength / 8;
  return finishChecksum(sumWords(segment.subarray(after), before));
}

/**
 * Check a segment's checksum against the pseudo-header of two addresses.
 *
 * @param segment The whole segment, header and payload.
 * @param src Source address of the IP header (text or 4/16 bytes).
 * @param dst Destination address, same family.
 * @returns Whether the stored checksum is right.
 * @throws {DecodeError} For fewer than 20 bytes.
 * @throws {RangeError} For addresses of two families.
 *
 * @example
 * ```ts
 * import { encodeTcp, verifyTcpChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeTcp(
 *   {
 *     srcPort: 80, dstPort: 45678, seq: 1, ack: 0, flags: 0x04, window: 0,
 *     urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 *   { src: "2001:db8::1", dst: "2001:db8::2" },
 * );
 * assert.ok(verifyTcpChecksum(bytes, "2001:db8::1", "2001:db8::2"));
 * assert.ok(!verifyTcpChecksum(bytes, "2001:db8::1", "2001:db8::3"));
 * ```
 */
export function verifyTcpChecksum(
  segment: Uint8Array,
  src: string | Uint8Array,
  dst: string | Uint8Array,
): boolean {
  requireHeader(segment);
  const pseudo = pseudoSum(src, dst, segment.length, "verify TCP checksum");
  return sumWords(segment, pseudo) === 0xffff;
}
