/**
 * Header fields as data: where each field of a header lies, to the bit,
 * with its name and what it is for. The TCP, IPv4 and IPv6 tables
 * (`TCP_HEADER_FIELDS`, `IPV4_HEADER_FIELDS`, `IPV6_HEADER_FIELDS`) are
 * read by the encoders, the decoders, `TcpHeaderView` and the explainer,
 * so an offset is written once.
 *
 * @module
 */

import { read16, read32, write16, write32 } from "./bytes.ts";

/** One field of a header, located to the bit. */
export interface HeaderField {
  /** A stable name for programs, the model's property where it has one: `srcPort`, `ttl`, `dscp`. */
  readonly key: string;
  /** The name RFCs use: `Source Port`, `Time to Live`. */
  readonly name: string;
  /** A short name for narrow places (diagram cells): `SrcPort`, `TTL`. */
  readonly abbreviation: string;
  /** Offset of the byte the field starts in, from the start of the header. */
  readonly byteOffset: number;
  /** Bit of that byte where the field starts, 0 = most significant. */
  readonly bitOffset: number;
  /** Width in bits; 0 for a field as long as the header makes it (options). */
  readonly bitLength: number;
  /** What the field is for, whatever its value. */
  readonly meaning: string;
  /**
   * The entry of the header's offset table (`IPV4_HEADER_OFFSETS`…) the
   * field is counted under, when it is not `key`: `versionIhl` for
   * `version` and `ihl`.
   */
  readonly slot?: string;
  /**
   * The name of the group of one-bit fields this field belongs to, used
   * where a group is named as a whole (`Flags` for DF and MF).
   */
  readonly group?: string;
  /** For a field that is the sum of finer ones: their keys (`tos` is `dscp` and `ecn`). */
  readonly parts?: readonly string[];
}

/**
 * The largest value a field can hold: 2^bitLength - 1.
 *
 * @param field The field.
 * @returns Its maximum.
 *
 * @example
 * ```ts
 * import { fieldMax, TCP_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fieldMax(TCP_HEADER_FIELDS.flags), 0x1ff);
 * ```
 */
export function fieldMax(field: HeaderField): number {
  const bits = field.bitLength;
  // Shifts and a constant for the usual widths: a power is slow on hot paths.
  if (bits < 32) return ((1 << bits) >>> 0) - 1;
  return bits === 32 ? 0xffffffff : 2 ** bits - 1;
}

/**
 * Read an integer field from a header in a buffer: a field of 8, 16 or 32
 * bits on a byte boundary, or one that lies within 4 bytes. Bytes past the
 * end of the buffer read as zero.
 *
 * @param bytes The buffer.
 * @param base Where the header starts in the buffer.
 * @param field The field.
 * @returns Its value, unsigned.
 *
 * @example
 * ```ts
 * import { IPV6_HEADER_FIELDS, readField } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = new Uint8Array([0x6b, 0x81, 0x23, 0x45]);
 * assert.equal(readField(header, 0, IPV6_HEADER_FIELDS.flowLabel), 0x12345);
 * assert.equal(readField(header, 0, IPV6_HEADER_FIELDS.trafficClass), 0xb8);
 * ```
 */
export function readField(
  bytes: Uint8Array,
  base: number,
  field: HeaderField,
): number {
  const at = base + field.byteOffset;
  const { bitOffset, bitLength } = field;
  if (bitOffset === 0) {
    if (bitLength === 8) return bytes[at] ?? 0;
    if (bitLength === 16) return read16(bytes, at);
    if (bitLength === 32) return read32(bytes, at);
  }
  const end = bitOffset + bitLength;
  const count = (end + 7) >> 3;
  let word = 0;
  for (let i = 0; i < count; i++) word = (word << 8) | bytes[at + i]!;
  // At most 4 bytes (every field of the tables is), read as 32 bits.
  return (word >>> (count * 8 - end)) & ((1 << bitLength) - 1);
}

/**
 * Write an integer field into a header in a buffer (a field of 8, 16 or 32
 * bits on a byte boundary, or one that lies within 4 bytes), leaving the
 * other bits of the bytes it shares as they are. The value is
 * not checked: bits above the field's width are dropped.
 *
 * @param bytes The buffer.
 * @param base Where the header starts in the buffer.
 * @param field The field.
 * @param value The value, 0..{@linkcode fieldMax}.
 *
 * @example
 * ```ts
 * import { readField, TCP_HEADER_FIELDS, writeField } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = new Uint8Array(20);
 * writeField(header, 0, TCP_HEADER_FIELDS.dataOffset, 5);
 * writeField(header, 0, TCP_HEADER_FIELDS.flags, 0x112); // AE, ACK, SYN
 * assert.deepEqual(header.subarray(12, 14), new Uint8Array([0x51, 0x12]));
 * assert.equal(readField(header, 0, TCP_HEADER_FIELDS.dataOffset), 5);
 * ```
 */
export function writeField(
  bytes: Uint8Array,
  base: number,
  field: HeaderField,
  value: number,
): void {
  const at = base + field.byteOffset;
  const { bitOffset, bitLength } = field;
  if (bitOffset === 0) {
    if (bitLength === 8) {
      bytes[at] = value;
      return;
    }
    if (bitLength === 16) return write16(bytes, at, value);
    if (bitLength === 32) return write32(bytes, at, value);
  }
  const end = bitOffset + bitLength;
  const count = (end + 7) >> 3;
  const shift = count * 8 - end;
  const mask = ((1 << bitLength) - 1) << shift;
  let word = 0;
  for (let i = 0; i < count; i++) word = (word << 8) | bytes[at + i]!;
  word = (word & ~mask) | ((value << shift) & mask);
  for (let i = count - 1; i >= 0; i--) {
    bytes[at + i] = word & 0xff;
    word >>>= 8;
  }
}

/**
 * The bytes of a byte-aligned field (an address), as a view into the buffer.
 *
 * @param bytes The buffer.
 * @param base Where the header starts in the buffer.
 * @param field The field; its offset and width must be whole bytes.
 * @returns A view of `bitLength / 8` bytes.
 *
 * @example
 * ```ts
 * import { fieldBytes, IPV4_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = new Uint8Array(20).fill(7, 16);
 * assert.deepEqual(fieldBytes(header, 0, IPV4_HEADER_FIELDS.dst), new Uint8Array([7, 7, 7, 7]));
 * ```
 */
export function fieldBytes(
  bytes: Uint8Array,
  base: number,
  field: HeaderField,
): Uint8Array {
  const at = base + field.byteOffset;
  return bytes.subarray(at, at + field.bitLength / 8);
}

/**
 * Check a value for a field before it is encoded.
 *
 * @param layer The header, as in the message: `TCP header`.
 * @param field The field.
 * @param value The value.
 * @throws {RangeError} When the value is not an integer in
 * 0..{@linkcode fieldMax}: `Cannot encode TCP header: srcPort 70000 is not in 0..65535`.
 *
 * @example
 * ```ts
 * import { checkFieldValue, TCP_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => checkFieldValue("TCP header", TCP_HEADER_FIELDS.srcPort, 70000),
 *   { message: "Cannot encode TCP header: srcPort 70000 is not in 0..65535" },
 * );
 * ```
 */
export function checkFieldValue(
  layer: string,
  field: HeaderField,
  value: number,
): void {
  const max = fieldMax(field);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `Cannot encode ${layer}: ${field.key} ${value} is not in 0..${max}`,
    );
  }
}

/**
 * The offset table of a header: for each field's slot (its `slot`, else its
 * key), the byte offset of the first field counted under it.
 *
 * @param fields The header's fields, in wire order.
 * @returns The offsets, frozen, in wire order.
 *
 * @example
 * ```ts
 * import { headerOffsets, IPV4_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const offsets = headerOffsets(Object.values(IPV4_HEADER_FIELDS));
 * assert.equal(offsets.versionIhl, 0);
 * assert.equal(offsets.ttl, 8);
 * ```
 */
export function headerOffsets(
  fields: readonly HeaderField[],
): Readonly<Record<string, number>> {
  const offsets: Record<string, number> = {};
  for (const field of fields) {
    offsets[field.slot ?? field.key] ??= field.byteOffset;
  }
  return Object.freeze(offsets);
}
