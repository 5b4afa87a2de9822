/**
 * The only state a scan keeps per probe, and only when it needs it: one
 * bit per position of the shard's order, set when the port is decided (a
 * reply read, or silence after the last try). It suppresses duplicate
 * replies, lets retries skip answered ports, and tells silence from an
 * answer. A scan that reports only answers and sends no retries keeps no
 * bitmap at all.
 *
 * @module
 */

/**
 * One bit per position; see the module documentation.
 *
 * @example
 * ```ts
 * import { DecidedBits } from "./bitmap.ts";
 * import assert from "node:assert/strict";
 *
 * const bits = new DecidedBits(524280);
 * assert.equal(bits.bytes, 65536); // 16384 words of 32 bits
 * assert.ok(bits.set(7));
 * assert.ok(!bits.set(7)); // already set: a duplicate
 * assert.ok(bits.has(7) && !bits.has(8));
 * assert.equal(bits.count, 1);
 * ```
 */
export class DecidedBits {
  readonly #words: Uint32Array;
  /** How many bits are set. */
  count = 0;

  /**
   * Make the bits of `size` positions, all clear.
   *
   * @param size How many positions.
   */
  constructor(size: number) {
    this.#words = new Uint32Array(Math.ceil(size / 32));
  }

  /** The memory the bits take, bytes: `ceil(size / 32) * 4`. */
  get bytes(): number {
    return this.#words.byteLength;
  }

  /**
   * Whether a position is decided.
   *
   * @param position The position.
   * @returns True when its bit is set.
   */
  has(position: number): boolean {
    return (this.#words[position >>> 5]! & (1 << (position & 31))) !== 0;
  }

  /**
   * Set a position's bit.
   *
   * @param position The position.
   * @returns True when it was clear (the first decision), false for a duplicate.
   */
  set(position: number): boolean {
    const word = position >>> 5;
    const bit = 1 << (position & 31);
    const value = this.#words[word]!;
    if ((value & bit) !== 0) return false;
    this.#words[word] = value | bit;
    this.count++;
    return true;
  }
}

/**
 * The duplicate filter of a scan without decision bits: the indices
 * reported last, one per slot of a fixed table (a later index in the same
 * slot takes its place), so a reply sent twice is reported once, in
 * memory that does not grow with the scan.
 *
 * @example
 * ```ts
 * import { RecentIndices } from "./bitmap.ts";
 * import assert from "node:assert/strict";
 *
 * const recent = new RecentIndices(16);
 * assert.ok(!recent.seen(5));
 * assert.ok(recent.seen(5));
 * assert.ok(!recent.seen(21)); // the same slot: 5 is forgotten
 * ```
 */
export class RecentIndices {
  readonly #slots: Float64Array;

  /**
   * Make the table.
   *
   * @param size Slots.
   */
  constructor(size: number) {
    this.#slots = new Float64Array(size);
  }

  /**
   * Whether an index was the last one seen in its slot; it is now.
   *
   * @param index The index.
   * @returns True for a duplicate.
   */
  seen(index: number): boolean {
    const slot = index % this.#slots.length;
    if (this.#slots[slot] === index + 1) return true;
    this.#slots[slot] = index + 1;
    return false;
  }
}
