/**
 * Big-endian (network order) reads and writes of 16- and 32-bit unsigned
 * integers in a byte array: the one set every header, option and capture
 * reader uses, whatever the host's byte order.
 *
 * Reads past the end of the array read zero bytes; writes past the end are
 * dropped, as typed arrays do. Callers check lengths first.
 *
 * @module
 */

/**
 * Read a big-endian 16-bit unsigned integer.
 *
 * @param bytes The bytes.
 * @param at Offset of the high byte.
 * @returns 0..0xffff.
 *
 * @example
 * ```ts
 * import { read16 } from "./bytes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(read16(new Uint8Array([0x05, 0xb4]), 0), 1460);
 * ```
 */
export function read16(bytes: Uint8Array, at: number): number {
  // A byte past the end reads as undefined, which the shift and the OR take as 0.
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/**
 * Read a big-endian 32-bit unsigned integer.
 *
 * @param bytes The bytes.
 * @param at Offset of the high byte.
 * @returns 0..0xffffffff.
 *
 * @example
 * ```ts
 * import { read32 } from "./bytes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(read32(new Uint8Array([0xde, 0xad, 0xbe, 0xef]), 0), 0xdeadbeef);
 * ```
 */
export function read32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) |
    (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/**
 * Write a 16-bit unsigned integer big-endian.
 *
 * @param bytes The bytes to write into.
 * @param at Offset of the high byte.
 * @param value 0..0xffff (higher bits are dropped).
 *
 * @example
 * ```ts
 * import { write16 } from "./bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array(2);
 * write16(bytes, 0, 443);
 * assert.deepEqual(bytes, new Uint8Array([0x01, 0xbb]));
 * ```
 */
export function write16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}

/**
 * Write a 32-bit unsigned integer big-endian.
 *
 * @param bytes The bytes to write into.
 * @param at Offset of the high byte.
 * @param value 0..0xffffffff.
 *
 * @example
 * ```ts
 * import { write32 } from "./bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array(4);
 * write32(bytes, 0, 0x0badcafe);
 * assert.deepEqual(bytes, new Uint8Array([0x0b, 0xad, 0xca, 0xfe]));
 * ```
 */
export function write32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}
