/**
 * The Internet checksum (RFC 1071) and the pseudo-headers that TCP sums over
 * (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6).
 *
 * Sums are kept *uncomplemented* and folded to 16 bits so that callers can
 * combine them: `finishChecksum(sumWords(segment, pseudoHeaderSumV4(...)))`.
 * Every value is a plain number in 0..0xffff, independent of the host's byte
 * order; bytes are always read big-endian (network order).
 *
 * @module
 */

import { read16 } from "./bytes.ts";
import { simdSum } from "./_checksum_simd.ts";
import { sumAligned } from "./_checksum_words.ts";

/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;

/**
 * Fold a 32-bit (or larger, up to 2^53) one's complement accumulator to 16
 * bits by adding the carries back in.
 *
 * @param sum A non-negative accumulator.
 * @returns The folded sum, 0..0xffff.
 *
 * @example
 * ```ts
 * import { foldSum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(foldSum(0x1_fffe), 0xffff);
 * assert.equal(foldSum(0x2_0001), 0x0003);
 * ```
 */
export function foldSum(sum: number): number {
  while (sum > 0xffff) {
    sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  }
  return sum;
}

/**
 * Sum a byte string as big-endian 16-bit words (one's complement
 * arithmetic). An odd trailing byte is padded with a zero byte on the right,
 * as RFC 1071 says.
 *
 * @param data The bytes to sum.
 * @param initial A folded sum to continue from (default 0).
 * @returns The folded, uncomplemented sum.
 *
 * @example Continuing a sum across two buffers
 * ```ts
 * import { sumWords } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const whole = sumWords(new Uint8Array([0x12, 0x34, 0xff, 0xff]));
 * const split = sumWords(new Uint8Array([0xff, 0xff]), sumWords(new Uint8Array([0x12, 0x34])));
 * assert.equal(whole, split);
 * ```
 */
export function sumWords(data: Uint8Array, initial = 0): number {
  const length = data.length;
  if (length >= SIMD_MIN_LENGTH) {
    const sum = simdSum(data);
    if (sum !== undefined) return foldSum(initial + sum);
  }
  if (length >= WORDS_MIN_LENGTH) return foldSum(initial + sumAligned(data));
  let sum = initial;
  const even = length & ~1;
  for (let i = 0; i < even; i += 2) sum += read16(data, i);
  if (even !== length) sum += data[even]! << 8;
  return foldSum(sum);
}

/** From this length on, the WebAssembly SIMD kernel sums (when it can run). */
const SIMD_MIN_LENGTH = 96;
/** From this length on, 32-bit words are read instead of bytes. */
const WORDS_MIN_LENGTH = 256;

/**
 * Complement a folded sum to get the checksum to write into a header.
 *
 * @param sum A folded sum from {@linkcode sumWords}.
 * @returns The checksum, 0..0xffff.
 *
 * @example
 * ```ts
 * import { finishChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(finishChecksum(0x1234), 0xedcb);
 * ```
 */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/**
 * The Internet checksum of a byte string: sum, fold, complement.
 *
 * @param data The bytes, with the checksum field zeroed.
 * @param initial A folded sum to include, such as a pseudo-header sum.
 * @returns The checksum to store.
 *
 * @example The worked example of RFC 1071 §3
 * ```ts
 * import { internetChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
 * assert.equal(internetChecksum(bytes), 0x220d); // ~0xddf2
 * ```
 */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return finishChecksum(sumWords(data, initial));
}

/**
 * Check the checksum of bytes that contain their checksum field: the
 * one's complement sum of everything (plus the pseudo-header sum) must be
 * 0xffff.
 *
 * @param data The bytes, checksum field included.
 * @param initial A pseudo-header sum, when the checksum covers one.
 * @returns Whether the checksum is right.
 *
 * @example
 * ```ts
 * import { internetChecksum, verifyChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x45, 0x00, 0x00, 0x14, 0, 0]);
 * const sum = internetChecksum(bytes);
 * bytes[4] = sum >> 8;
 * bytes[5] = sum & 0xff;
 * assert.ok(verifyChecksum(bytes));
 * ```
 */
export function verifyChecksum(data: Uint8Array, initial = 0): boolean {
  return sumWords(data, initial) === 0xffff;
}

function sumAddress(address: Uint8Array, sum: number): number {
  for (let i = 0; i < address.length; i += 2) {
    sum += read16(address, i);
  }
  return sum;
}

function requireLength(
  address: Uint8Array,
  length: number,
  what: string,
): void {
  if (address.length !== length) {
    throw new RangeError(
      `Cannot sum ${what} pseudo-header: address is ${address.length} bytes, expected ${length}`,
    );
  }
}

/**
 * The folded sum of the IPv4 pseudo-header (RFC 9293 §3.1): source address,
 * destination address, a zero byte, the protocol, and the TCP length
 * (header plus data) as 16 bits.
 *
 * @param src Source address, 4 bytes.
 * @param dst Destination address, 4 bytes.
 * @param protocol IP protocol number (6 for TCP).
 * @param length Length of the TCP segment, header and data, in bytes.
 * @returns The folded, uncomplemented sum.
 *
 * @example
 * ```ts
 * import { pseudoHeaderSumV4 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const src = new Uint8Array([192, 0, 2, 42]);
 * const dst = new Uint8Array([192, 0, 2, 1]);
 * // 0xc000 + 0x022a + 0xc000 + 0x0201 + 0x0006 + 0x0014 = 0x1_8445 -> 0x8446
 * assert.equal(pseudoHeaderSumV4(src, dst, 6, 20), 0x8446);
 * ```
 */
export function pseudoHeaderSumV4(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  length: number,
): number {
  requireLength(src, 4, "IPv4");
  requireLength(dst, 4, "IPv4");
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new RangeError(
      `Cannot sum IPv4 pseudo-header: length ${length} is not in 0..65535`,
    );
  }
  return foldSum(
    sumAddress(dst, sumAddress(src, 0)) + (protocol & 0xff) + length,
  );
}

/**
 * The folded sum of the IPv6 pseudo-header (RFC 8200 §8.1): source address,
 * destination address, the upper-layer packet length as 32 bits, three zero
 * bytes and the next header value.
 *
 * @param src Source address, 16 bytes.
 * @param dst Destination address, 16 bytes (the final destination, if a routing header is present).
 * @param nextHeader The upper-layer protocol (6 for TCP).
 * @param length Upper-layer packet length in bytes (a 32-bit value).
 * @returns The folded, uncomplemented sum.
 *
 * @example
 * ```ts
 * import { parseIPv6, pseudoHeaderSumV6 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const sum = pseudoHeaderSumV6(parseIPv6("2001:db8::1"), parseIPv6("2001:db8::2"), 6, 20);
 * // 2 * (0x2001 + 0x0db8) + 0x0001 + 0x0002 + 0x0014 + 0x0006 = 0x5b8f
 * assert.equal(sum, 0x5b8f);
 * ```
 */
export function pseudoHeaderSumV6(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  requireLength(src, 16, "IPv6");
  requireLength(dst, 16, "IPv6");
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError(
      `Cannot sum IPv6 pseudo-header: length ${length} is not in 0..4294967295`,
    );
  }
  const sum = sumAddress(dst, sumAddress(src, 0)) +
    Math.floor(length / 0x10000) + (length & 0xffff) + (nextHeader & 0xff);
  return foldSum(sum);
}

/**
 * Update a stored checksum after one aligned 16-bit word of the covered data
 * changed, without re-summing everything (RFC 1624, eqn. 3:
 * `HC' = ~(~HC + ~m + m')`).
 *
 * @param checksum The checksum as stored before the change.
 * @param oldWord The 16-bit word before the change.
 * @param newWord The 16-bit word after the change.
 * @returns The checksum to store after the change.
 *
 * @example Changing an IPv4 TTL byte (the high half of the TTL/protocol word)
 * ```ts
 * import { updateChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * // TTL 64 -> 63 in a header whose checksum was 0xb1e6
 * assert.equal(updateChecksum(0xb1e6, 0x4006, 0x3f06), 0xb2e6);
 * ```
 */
export function updateChecksum(
  checksum: number,
  oldWord: number,
  newWord: number,
): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return finishChecksum(sum);
}

/**
 * Update a stored checksum after an aligned run of bytes changed (for
 * example a 32-bit sequence number or a 16-byte address), by applying
 * {@linkcode updateChecksum} to each 16-bit word.
 *
 * @param checksum The checksum as stored before the change.
 * @param oldBytes The bytes before the change; an even number, starting at an even offset.
 * @param newBytes The bytes after the change, as many as `oldBytes`.
 * @returns The checksum to store after the change.
 *
 * @example
 * ```ts
 * import { internetChecksum, updateChecksumBytes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const data = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
 * const before = internetChecksum(data);
 * const next = new Uint8Array([9, 9, 9, 9]);
 * const updated = updateChecksumBytes(before, data.slice(2, 6), next);
 * data.set(next, 2);
 * assert.equal(updated, internetChecksum(data));
 * ```
 */
export function updateChecksumBytes(
  checksum: number,
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
): number {
  if (oldBytes.length !== newBytes.length || oldBytes.length % 2 !== 0) {
    throw new RangeError(
      `Cannot update checksum: old and new bytes must be the same even length, got ${oldBytes.length} and ${newBytes.length}`,
    );
  }
  let sum = ~checksum & 0xffff;
  for (let i = 0; i < oldBytes.length; i += 2) {
    sum += ~read16(oldBytes, i) & 0xffff;
    sum += read16(newBytes, i);
  }
  return finishChecksum(sum);
}
