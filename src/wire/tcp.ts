/**
 * The TCP header (RFC 9293 §3.1): a plain-object model, an encoder and a
 * decoder that lose nothing, the checksum over the pseudo-header, and a view
 * for editing header fields in place.
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
import {
  decodeTcpOptions,
  encodeTcpOptions,
  type TcpOption,
  tcpOptionsLength,
} from "./tcp_options.ts";

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

/**
 * Where each field of the TCP header starts, in bytes from the start of the
 * header. Fields are big-endian. Byte 12 holds the data offset (high 4 bits),
 * the reserved bits (bits 3..1) and the AE flag (bit 0); byte 13 holds the
 * other eight flags; so `dataOffset`, `reserved` and `flags` all start at 12.
 *
 * @example
 * ```ts
 * import { TCP_HEADER_OFFSETS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_HEADER_OFFSETS.checksum, 16);
 * assert.equal(TCP_HEADER_OFFSETS.options, 20);
 * ```
 */
export const TCP_HEADER_OFFSETS: Readonly<{
  srcPort: 0;
  dstPort: 2;
  seq: 4;
  ack: 8;
  dataOffset: 12;
  reserved: 12;
  flags: 12;
  window: 14;
  checksum: 16;
  urgentPointer: 18;
  options: 20;
}> = Object.freeze(
  {
    srcPort: 0,
    dstPort: 2,
    seq: 4,
    ack: 8,
    dataOffset: 12,
    reserved: 12,
    flags: 12,
    window: 14,
    checksum: 16,
    urgentPointer: 18,
    options: 20,
  } as const,
);

/**
 * The length of a TCP header without options, and the smallest data offset
 * (5 words).
 *
 * @example
 * ```ts
 * import { TCP_MIN_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_MIN_HEADER_LENGTH, 20);
 * ```
 */
export const TCP_MIN_HEADER_LENGTH = 20;

/**
 * The longest TCP header a 4-bit data offset can describe (15 words), which
 * leaves 40 bytes for options.
 *
 * @example
 * ```ts
 * import { TCP_MAX_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_MAX_HEADER_LENGTH, 60);
 * ```
 */
export const TCP_MAX_HEADER_LENGTH = 60;

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

/** The fixed header fields that {@linkcode TcpHeaderView.patch} can change. */
export interface TcpHeaderFields {
  /** Source port, 0..65535. */
  srcPort?: number;
  /** Destination port, 0..65535. */
  dstPort?: number;
  /** Sequence number, 32 bits unsigned. */
  seq?: number;
  /** Acknowledgment number, 32 bits unsigned. */
  ack?: number;
  /** Data offset in 32-bit words, 0..15. */
  dataOffset?: number;
  /** The three reserved bits, 0..7. */
  reserved?: number;
  /** The 9 flag bits, 0..0x1ff. */
  flags?: number;
  /** Window, 0..65535. */
  window?: number;
  /** Urgent pointer, 0..65535. */
  urgentPointer?: number;
}

const MAX: Readonly<Record<keyof TcpHeaderFields | "checksum", number>> = Object
  .freeze({
    srcPort: 0xffff,
    dstPort: 0xffff,
    seq: 0xffffffff,
    ack: 0xffffffff,
    dataOffset: 15,
    reserved: 7,
    flags: 0x1ff,
    window: 0xffff,
    urgentPointer: 0xffff,
    checksum: 0xffff,
  });

function checkField(
  name: keyof typeof MAX,
  value: number,
): void {
  const max = MAX[name];
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `Cannot encode TCP header: ${name} ${value} is not in 0..${max}`,
    );
  }
}

function read16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function read32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) |
    (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function write16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}

function write32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
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
  write16(target, o, segment.srcPort);
  write16(target, o + 2, segment.dstPort);
  write32(target, o + 4, segment.seq);
  write32(target, o + 8, segment.ack);
  target[o + 12] = (dataOffset << 4) | (reserved << 1) | (segment.flags >>> 8);
  target[o + 13] = segment.flags & 0xff;
  write16(target, o + 14, segment.window);
  write16(target, o + 16, 0);
  write16(target, o + 18, segment.urgentPointer);
  let at = o + TCP_MIN_HEADER_LENGTH;
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
  write16(target, o + 16, checksum);
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
      { kind: "truncated", layer: "TCP header", offset: bytes.length },
    );
  }
  const byte12 = bytes[12]!;
  const dataOffset = byte12 >>> 4;
  let headerEnd = dataOffset * 4;
  if (dataOffset < 5) {
    if (!lenient) {
      throw new DecodeError(
        `data offset ${dataOffset} at byte 12 is under 5 (a header is at least 20 bytes)`,
        { kind: "malformed", layer: "TCP header", offset: 12 },
      );
    }
    headerEnd = TCP_MIN_HEADER_LENGTH;
  } else if (headerEnd > bytes.length) {
    if (!lenient) {
      throw new DecodeError(
        `data offset ${dataOffset} at byte 12 makes a ${headerEnd}-byte header, but the buffer is ${bytes.length} bytes`,
        { kind: "truncated", layer: "TCP header", offset: 12 },
      );
    }
    headerEnd = TCP_MIN_HEADER_LENGTH +
      ((bytes.length - TCP_MIN_HEADER_LENGTH) & ~3);
  }
  const decoded = decodeTcpOptions(
    bytes.subarray(TCP_MIN_HEADER_LENGTH, headerEnd),
    { lenient, offset: TCP_MIN_HEADER_LENGTH },
  );
  const segment: DecodedTcpSegment = {
    srcPort: read16(bytes, 0),
    dstPort: read16(bytes, 2),
    seq: read32(bytes, 4),
    ack: read32(bytes, 8),
    dataOffset,
    reserved: (byte12 >>> 1) & 7,
    flags: ((byte12 & 1) << 8) | bytes[13]!,
    window: read16(bytes, 14),
    checksum: read16(bytes, 16),
    urgentPointer: read16(bytes, 18),
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
      { kind: "truncated", layer: "TCP header", offset: segment.length },
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
    segment.subarray(0, TCP_HEADER_OFFSETS.checksum),
    pseudo,
  );
  return finishChecksum(
    sumWords(segment.subarray(TCP_HEADER_OFFSETS.checksum + 2), before),
  );
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

/**
 * A view over the fixed 20 bytes of a TCP header inside a buffer, with a
 * getter and a setter per field, for hot paths that edit packets in place
 * (a scanner rewriting the destination port and sequence number per probe).
 *
 * Once constructed, no getter can fail; setters throw a `RangeError` only for
 * values out of range. Plain setters change only their field and leave the
 * checksum as it is. {@linkcode TcpHeaderView.patch} and
 * {@linkcode TcpHeaderView.setDstPortAndSeq} change fields *and* adjust the
 * stored checksum incrementally (RFC 1624: `HC' = ~(~HC + ~m + m')` for each
 * changed 16-bit word), which gives the same value as recomputing it over the
 * whole segment when the stored checksum was right, and keeps a wrong
 * checksum wrong by the same amount. The pseudo-header (addresses, length) is
 * not covered: after changing those, recompute with {@linkcode tcpChecksum}.
 *
 * @example Rewriting a probe for the next port, checksum kept right
 * ```ts
 * import { encodeTcp, TcpHeaderView, verifyTcpChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const probe = encodeTcp(
 *   {
 *     srcPort: 40000, dstPort: 1, seq: 0x1000, ack: 0, flags: 0x02,
 *     window: 1024, urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 *   { src: "192.0.2.42", dst: "192.0.2.1" },
 * );
 * const view = new TcpHeaderView(probe);
 * view.setDstPortAndSeq(443, 0xdeadbeef);
 * assert.equal(view.dstPort, 443);
 * assert.equal(view.seq, 0xdeadbeef);
 * assert.ok(verifyTcpChecksum(probe, "192.0.2.42", "192.0.2.1"));
 *
 * view.window = 0; // a plain setter: the checksum is now stale
 * assert.ok(!verifyTcpChecksum(probe, "192.0.2.42", "192.0.2.1"));
 * ```
 */
export class TcpHeaderView {
  /** The buffer the view reads and writes. */
  readonly bytes: Uint8Array;
  /** Where the TCP header starts in {@linkcode TcpHeaderView.bytes}. */
  readonly offset: number;

  /**
   * Create a view over the TCP header at `offset` in `bytes`.
   *
   * @param bytes The buffer; it is not copied.
   * @param offset Where the TCP header starts. Default 0.
   * @throws {DecodeError} When fewer than 20 bytes follow `offset`.
   */
  constructor(bytes: Uint8Array, offset = 0) {
    if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new RangeError(
        `Cannot view TCP header: offset ${offset} is not in 0..${bytes.length}`,
      );
    }
    if (bytes.length - offset < TCP_MIN_HEADER_LENGTH) {
      throw new DecodeError(
        `buffer is ${
          bytes.length - offset
        } bytes from offset ${offset}, expected at least ${TCP_MIN_HEADER_LENGTH}`,
        { kind: "truncated", layer: "TCP header", offset: bytes.length },
      );
    }
    this.bytes = bytes;
    this.offset = offset;
  }

  /** Source port. */
  get srcPort(): number {
    return read16(this.bytes, this.offset);
  }
  set srcPort(value: number) {
    checkField("srcPort", value);
    write16(this.bytes, this.offset, value);
  }

  /** Destination port. */
  get dstPort(): number {
    return read16(this.bytes, this.offset + 2);
  }
  set dstPort(value: number) {
    checkField("dstPort", value);
    write16(this.bytes, this.offset + 2, value);
  }

  /** Sequence number. */
  get seq(): number {
    return read32(this.bytes, this.offset + 4);
  }
  set seq(value: number) {
    checkField("seq", value);
    write32(this.bytes, this.offset + 4, value);
  }

  /** Acknowledgment number. */
  get ack(): number {
    return read32(this.bytes, this.offset + 8);
  }
  set ack(value: number) {
    checkField("ack", value);
    write32(this.bytes, this.offset + 8, value);
  }

  /** Data offset in 32-bit words (high 4 bits of byte 12). */
  get dataOffset(): number {
    return this.bytes[this.offset + 12]! >>> 4;
  }
  set dataOffset(value: number) {
    checkField("dataOffset", value);
    const at = this.offset + 12;
    this.bytes[at] = (value << 4) | (this.bytes[at]! & 0x0f);
  }

  /** The three reserved bits (bits 3..1 of byte 12). */
  get reserved(): number {
    return (this.bytes[this.offset + 12]! >>> 1) & 7;
  }
  set reserved(value: number) {
    checkField("reserved", value);
    const at = this.offset + 12;
    this.bytes[at] = (this.bytes[at]! & 0xf1) | (value << 1);
  }

  /** The 9 flag bits (AE in bit 0 of byte 12, the rest in byte 13). */
  get flags(): number {
    const at = this.offset + 12;
    return ((this.bytes[at]! & 1) << 8) | this.bytes[at + 1]!;
  }
  set flags(value: number) {
    checkField("flags", value);
    const at = this.offset + 12;
    this.bytes[at] = (this.bytes[at]! & 0xfe) | (value >>> 8);
    this.bytes[at + 1] = value & 0xff;
  }

  /** Window. */
  get window(): number {
    return read16(this.bytes, this.offset + 14);
  }
  set window(value: number) {
    checkField("window", value);
    write16(this.bytes, this.offset + 14, value);
  }

  /** Checksum, as stored. */
  get checksum(): number {
    return read16(this.bytes, this.offset + 16);
  }
  set checksum(value: number) {
    checkField("checksum", value);
    write16(this.bytes, this.offset + 16, value);
  }

  /** Urgent pointer. */
  get urgentPointer(): number {
    return read16(this.bytes, this.offset + 18);
  }
  set urgentPointer(value: number) {
    checkField("urgentPointer", value);
    write16(this.bytes, this.offset + 18, value);
  }

  /** The header length the data offset gives, in bytes. */
  get headerLength(): number {
    return this.dataOffset * 4;
  }

  /**
   * Set the destination port and the sequence number, and adjust the stored
   * checksum incrementally: the per-probe edit of a port scanner, without
   * allocating.
   *
   * @param port Destination port, 0..65535.
   * @param seq Sequence number, 32 bits unsigned.
   * @throws {RangeError} For a value out of range; nothing is changed then.
   *
   * @example
   * ```ts
   * import { encodeTcp, TcpHeaderView, tcpChecksum } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const bytes = encodeTcp(
   *   {
   *     srcPort: 40000, dstPort: 1, seq: 0, ack: 0, flags: 0x02, window: 1024,
   *     urgentPointer: 0, options: [], payload: new Uint8Array(),
   *   },
   *   { src: "192.0.2.42", dst: "192.0.2.1" },
   * );
   * const view = new TcpHeaderView(bytes);
   * view.setDstPortAndSeq(8080, 12345);
   * assert.equal(view.checksum, tcpChecksum(bytes, "192.0.2.42", "192.0.2.1"));
   * ```
   */
  setDstPortAndSeq(port: number, seq: number): void {
    checkField("dstPort", port);
    checkField("seq", seq);
    const b = this.bytes;
    const o = this.offset;
    let sum = ~read16(b, o + 16) & 0xffff;
    sum += ~read16(b, o + 2) & 0xffff;
    sum += ~read16(b, o + 4) & 0xffff;
    sum += ~read16(b, o + 6) & 0xffff;
    sum += port + (seq >>> 16) + (seq & 0xffff);
    write16(b, o + 2, port);
    write32(b, o + 4, seq);
    write16(b, o + 16, finishChecksum(sum));
  }

  /**
   * Set any of the fixed fields (all but the checksum) and adjust the stored
   * checksum incrementally for every 16-bit word that changed.
   *
   * @param fields The fields to set; the others are left as they are.
   * @throws {RangeError} For a value out of range; nothing is changed then.
   *
   * @example
   * ```ts
   * import { encodeTcp, TcpHeaderView, tcpChecksum } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const bytes = encodeTcp(
   *   {
   *     srcPort: 40000, dstPort: 22, seq: 0, ack: 0, flags: 0x02, window: 1024,
   *     urgentPointer: 0, options: [], payload: new TextEncoder().encode("hi!"),
   *   },
   *   { src: "2001:db8::1", dst: "2001:db8::2" },
   * );
   * const view = new TcpHeaderView(bytes);
   * view.patch({ flags: 0x29, urgentPointer: 1, window: 8192 });
   * assert.equal(view.flags, 0x29);
   * assert.equal(view.checksum, tcpChecksum(bytes, "2001:db8::1", "2001:db8::2"));
   * ```
   */
  patch(fields: TcpHeaderFields): void {
    const keys = Object.keys(fields) as (keyof TcpHeaderFields)[];
    for (const key of keys) {
      if (!Object.hasOwn(MAX, key) || key === ("checksum" as string)) {
        throw new RangeError(
          `Cannot patch TCP header: unknown field ${JSON.stringify(key)}`,
        );
      }
      const value = fields[key];
      if (value !== undefined) checkField(key, value);
    }
    const b = this.bytes;
    const o = this.offset;
    let sum = ~read16(b, o + 16) & 0xffff;
    for (let at = 0; at < TCP_MIN_HEADER_LENGTH; at += 2) {
      if (at !== TCP_HEADER_OFFSETS.checksum) {
        sum += ~read16(b, o + at) & 0xffff;
      }
    }
    if (fields.srcPort !== undefined) this.srcPort = fields.srcPort;
    if (fields.dstPort !== undefined) this.dstPort = fields.dstPort;
    if (fields.seq !== undefined) this.seq = fields.seq;
    if (fields.ack !== undefined) this.ack = fields.ack;
    if (fields.dataOffset !== undefined) this.dataOffset = fields.dataOffset;
    if (fields.reserved !== undefined) this.reserved = fields.reserved;
    if (fields.flags !== undefined) this.flags = fields.flags;
    if (fields.window !== undefined) this.window = fields.window;
    if (fields.urgentPointer !== undefined) {
      this.urgentPointer = fields.urgentPointer;
    }
    for (let at = 0; at < TCP_MIN_HEADER_LENGTH; at += 2) {
      if (at !== TCP_HEADER_OFFSETS.checksum) sum += read16(b, o + at);
    }
    write16(b, o + 16, finishChecksum(sum));
  }
}
