/**
 * A seeded pseudo-random permutation of `[0, size)` in O(1) memory, and
 * shards of it: what lets a scanner visit every (address, port) pair once,
 * in an order no one can predict without the seed, and lets N machines
 * split the work without talking to each other (zmap's `--shard`,
 * masscan's `--shards`).
 *
 * How it works: a Feistel network permutes the integers of `[0, 2^b)`,
 * `2^b` the smallest power of two not below `size`; values at or above
 * `size` are sent through the network again ("cycle walking") until they
 * land inside. Each round adds a keyed 32-bit hash of one half to the other,
 * FF1-style, so the halves may differ in width by one bit and the domain is
 * under `2 * size`: fewer than two passes on average. Round keys come from
 * the seed, so the same seed gives the same order on every machine.
 *
 * Shards are defined on the permuted sequence, as zmap does: the element at
 * position `k` belongs to shard `k mod N` (shards are numbered 1..N in the
 * text form `I/N`, as masscan writes them). The shards of one seed are
 * therefore disjoint and together cover the whole space, each a 1/N sample
 * of it, whatever N is.
 *
 * The order is unpredictable to whoever lacks the seed only in the sense a
 * scanner needs (no two consecutive probes to one network); it is not a
 * cryptographic permutation.
 *
 * @module
 */

import { ParseError } from "../wire/errors.ts";

/** The largest size a {@linkcode Permutation} accepts: 2^52. */
export const MAX_PERMUTATION_SIZE = 2 ** 52;

/** The number of Feistel rounds (even, so the halves end as they began). */
const ROUNDS = 6;

/** Options for {@linkcode Permutation}. */
export interface PermutationOptions {
  /**
   * The seed, an integer in 0..2^53-1. The same seed and size give the same
   * order.
   */
  seed: number;
}

/** A shard: the `index`-th (1-based) of `count` disjoint slices. */
export interface Shard {
  /** Which slice, 1..count. */
  index: number;
  /** How many slices, at least 1. */
  count: number;
}

/** One shard of a permutation, with random access. */
export interface PermutationShard {
  /** How many elements the shard holds. */
  readonly length: number;
  /**
   * The `j`-th element of the shard: the permutation's element at position
   * `shard.index - 1 + j * shard.count`.
   */
  at(j: number): number;
  /**
   * Where an element is in the shard: the `j` with `at(j) === element`,
   * or -1 when the element belongs to another shard (or is out of range).
   */
  positionOf(element: number): number;
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** SplitMix32-like key schedule from a 53-bit seed. */
function roundKeys(seed: number): Uint32Array {
  const keys = new Uint32Array(ROUNDS * 2);
  let low = seed >>> 0;
  let high = Math.floor(seed / 2 ** 32) >>> 0;
  let state = fmix32(low ^ fmix32(high ^ 0x9e3779b9));
  for (let i = 0; i < keys.length; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    low = fmix32(state ^ high);
    high = fmix32(low + 0x7f4a7c15);
    keys[i] = low;
  }
  return keys;
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `Cannot make permutation: seed ${seed} is not an integer in 0..${Number.MAX_SAFE_INTEGER}`,
    );
  }
}

/**
 * A pseudo-random permutation of the integers `[0, size)`, chosen by a
 * seed. `at(k)` is the element at position `k`, computed in O(1) time
 * (expected) and memory: nothing is materialised.
 *
 * @example Every element once, in an order fixed by the seed
 * ```ts
 * import { Permutation } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const permutation = new Permutation(10, { seed: 7 });
 * const order = [...permutation];
 * assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assert.deepEqual([...new Permutation(10, { seed: 7 })], order);
 * assert.equal(permutation.at(3), order[3]);
 * ```
 */
export class Permutation implements Iterable<number> {
  /** How many elements: the permutation is of `[0, size)`. */
  readonly size: number;
  /** The seed. */
  readonly seed: number;
  readonly #keys: Uint32Array;
  /** Bits of the first (high) half and of the second (low) half. */
  readonly #highBits: number;
  readonly #lowBits: number;

  /**
   * Make the permutation of `[0, size)` that `seed` selects.
   *
   * @param size How many elements, 0..2^52.
   * @param options The seed.
   * @throws {RangeError} For a size or seed out of range.
   */
  constructor(size: number, options: PermutationOptions) {
    if (
      !Number.isSafeInteger(size) || size < 0 || size > MAX_PERMUTATION_SIZE
    ) {
      throw new RangeError(
        `Cannot make permutation: size ${size} is not an integer in 0..2^52`,
      );
    }
    checkSeed(options.seed);
    this.size = size;
    this.seed = options.seed;
    this.#keys = roundKeys(options.seed);
    let bits = 0;
    while (2 ** bits < size) bits++;
    this.#highBits = Math.ceil(bits / 2);
    this.#lowBits = bits - this.#highBits;
  }

  /** One pass of the Feistel network over `[0, 2^bits)`. */
  #encrypt(x: number): number {
    const keys = this.#keys;
    const high = this.#highBits;
    const low = this.#lowBits;
    const lowSize = 2 ** low;
    // Each half has at most 26 bits: everything below is int32 arithmetic.
    let a = Math.floor(x / lowSize);
    let b = x - a * lowSize;
    let aMask = (1 << high) - 1;
    let bMask = (1 << low) - 1;
    for (let round = 0; round < ROUNDS; round++) {
      const f = fmix32(
        fmix32((b ^ keys[2 * round]!) >>> 0) + keys[2 * round + 1]!,
      );
      // (a + f) mod 2^aBits, without leaving int32.
      const c = (a + (f & aMask)) & aMask;
      a = b;
      b = c;
      const t = aMask;
      aMask = bMask;
      bMask = t;
    }
    return a * lowSize + b;
  }

  /** The inverse of {@linkcode Permutation.#encrypt}: the rounds undone, last first. */
  #decrypt(x: number): number {
    const keys = this.#keys;
    const high = this.#highBits;
    const low = this.#lowBits;
    const lowSize = 2 ** low;
    // After an even number of rounds the halves are (high, low) bits again.
    let a = Math.floor(x / lowSize);
    let b = x - a * lowSize;
    for (let round = ROUNDS - 1; round >= 0; round--) {
      // Round r took (a, b) to (b, (a + f(b)) mod 2^aBits).
      const aMask = round % 2 === 0 ? (1 << high) - 1 : (1 << low) - 1;
      const previousB = a;
      const f = fmix32(
        fmix32((previousB ^ keys[2 * round]!) >>> 0) + keys[2 * round + 1]!,
      );
      a = (b - (f & aMask)) & aMask;
      b = previousB;
    }
    return a * lowSize + b;
  }

  /**
   * The position of an element: the `k` with `at(k) === element`.
   *
   * @param element The element, 0..size-1.
   * @returns Its position, 0..size-1.
   * @throws {RangeError} For an element out of range.
   *
   * @example
   * ```ts
   * import { Permutation } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const permutation = new Permutation(1000, { seed: 3 });
   * assert.equal(permutation.positionOf(permutation.at(417)), 417);
   * ```
   */
  positionOf(element: number): number {
    if (
      !Number.isInteger(element) || element < 0 || element >= this.size
    ) {
      throw new RangeError(
        `Cannot find in permutation: element ${element} is not in 0..${
          this.size - 1
        }`,
      );
    }
    if (this.size === 1) return 0;
    let x = this.#decrypt(element);
    while (x >= this.size) x = this.#decrypt(x);
    return x;
  }

  /**
   * The element at position `k` of the permuted sequence.
   *
   * @param k The position, 0..size-1.
   * @returns The element, 0..size-1; distinct positions give distinct elements.
   * @throws {RangeError} For a position out of range.
   */
  at(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.size) {
      throw new RangeError(
        `Cannot read permutation: position ${k} is not in 0..${this.size - 1}`,
      );
    }
    if (this.size === 1) return 0;
    let x = this.#encrypt(k);
    // Cycle walking: the domain is under 2 * size, so this ends quickly.
    while (x >= this.size) x = this.#encrypt(x);
    return x;
  }

  /**
   * One shard of the permuted sequence: the elements at positions `k` with
   * `k mod count == index - 1`.
   *
   * @param shard Which of how many slices.
   * @returns The shard, with its length and random access.
   * @throws {RangeError} For a shard whose index is not in 1..count.
   *
   * @example Three machines, one seed: disjoint slices that cover the space
   * ```ts
   * import { Permutation } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const permutation = new Permutation(100, { seed: 42 });
   * const seen = new Set<number>();
   * for (let index = 1; index <= 3; index++) {
   *   const shard = permutation.shard({ index, count: 3 });
   *   for (let j = 0; j < shard.length; j++) seen.add(shard.at(j));
   * }
   * assert.equal(seen.size, 100);
   * ```
   */
  shard(shard: Shard): PermutationShard {
    checkShard(shard);
    const first = shard.index - 1;
    const step = shard.count;
    const length = shardLength(this.size, shard);
    return {
      length,
      at: (j: number) => {
        if (!Number.isInteger(j) || j < 0 || j >= length) {
          throw new RangeError(
            `Cannot read shard ${shard.index}/${shard.count}: position ${j} is not in 0..${
              length - 1
            }`,
          );
        }
        return this.at(first + j * step);
      },
      positionOf: (element: number) => {
        if (!Number.isInteger(element) || element < 0 || element >= this.size) {
          return -1;
        }
        const k = this.positionOf(element) - first;
        return k < 0 || k % step !== 0 ? -1 : k / step;
      },
    };
  }

  /** The elements in permuted order. */
  *[Symbol.iterator](): Iterator<number> {
    for (let k = 0; k < this.size; k++) yield this.at(k);
  }
}

function checkShard(shard: Shard): void {
  if (
    !Number.isSafeInteger(shard.count) || shard.count < 1 ||
    !Number.isSafeInteger(shard.index) || shard.index < 1 ||
    shard.index > shard.count
  ) {
    throw new RangeError(
      `Cannot take shard ${shard.index}/${shard.count}: the index must be in 1..count`,
    );
  }
}

/**
 * How many of `size` positions fall in a shard: those `k` with
 * `k mod count == index - 1`.
 *
 * @param size The size of the whole space.
 * @param shard The shard.
 * @returns The number of positions.
 *
 * @example
 * ```ts
 * import { shardLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shardLength(10, { index: 1, count: 3 }), 4); // 0, 3, 6, 9
 * assert.equal(shardLength(10, { index: 3, count: 3 }), 3); // 2, 5, 8
 * assert.equal(shardLength(2, { index: 3, count: 3 }), 0);
 * ```
 */
export function shardLength(size: number, shard: Shard): number {
  checkShard(shard);
  const first = shard.index - 1;
  return size <= first ? 0 : Math.ceil((size - first) / shard.count);
}

/**
 * Parse a shard as masscan writes it: `I/N`, I in 1..N.
 *
 * @param text The text: `2/5`.
 * @returns The shard.
 * @throws {ParseError} When the text is not `I/N` with 1 <= I <= N.
 *
 * @example
 * ```ts
 * import { parseShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseShard("2/5"), { index: 2, count: 5 });
 * assert.throws(() => parseShard("0/5"), /must be 1\.\.5/);
 * ```
 */
export function parseShard(text: string): Shard {
  const match = /^([0-9]{1,9})\/([0-9]{1,9})$/.exec(text.trim());
  if (match === null) {
    throw new ParseError(
      "shard",
      text,
      "expected I/N, the I-th of N slices (1/2, 2/2)",
    );
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) {
    throw new ParseError(
      "shard",
      text,
      "the number of shards must be at least 1",
    );
  }
  if (index < 1 || index > count) {
    throw new ParseError(
      "shard",
      text,
      `the shard index ${index} must be 1..${count}`,
    );
  }
  return { index, count };
}
