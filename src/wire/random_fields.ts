/**
 * Random field values for crafted packets, reproducible with a seed: a
 * small seeded generator ({@linkcode SeededRandom}, xoshiro128** seeded
 * through splitmix32), a crypto-strength one with the same face
 * ({@linkcode cryptoRandom}), addresses drawn from a CIDR block
 * ({@linkcode parseCidr}, {@linkcode randomAddress}) and ports drawn from a
 * range ({@linkcode randomPort}), as hping3's `--rand-source`,
 * `--rand-dest` and nmap's decoys use them. Not for secrets: a seed makes
 * every value guessable, which is the point of a seed.
 *
 * @module
 */

import { type AddressFamily, formatAddress, parseAddress } from "./address.ts";
import { ParseError } from "./errors.ts";

/** Where random values come from: 32 random bits at a time. */
export interface RandomSource {
  /** An unsigned 32-bit integer. */
  next32(): number;
}

/**
 * A seeded generator: the same seed gives the same values, on every
 * runtime (xoshiro128**, its state filled by splitmix32 from the seed).
 *
 * @example
 * ```ts
 * import { SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new SeededRandom(42);
 * const b = new SeededRandom(42);
 * assert.equal(a.next32(), b.next32());
 * assert.ok(a.float() < 1);
 * ```
 */
export class SeededRandom implements RandomSource {
  readonly #s = new Uint32Array(4);

  /**
   * Start the sequence a seed gives.
   *
   * @param seed Any integer; only its low 32 bits count.
   */
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((word) => word === 0)) this.#s[0] = 1;
  }

  /**
   * The next value of the sequence.
   *
   * @returns An unsigned 32-bit integer.
   */
  next32(): number {
    const s = this.#s;
    const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /**
   * The next value as a fraction.
   *
   * @returns A number in [0, 1).
   */
  float(): number {
    return this.next32() / 0x1_0000_0000;
  }
}

/**
 * A source of crypto-strength random values (`crypto.getRandomValues`),
 * for when no seed is given. Values are fetched 256 at a time, so a flood
 * drawing several per packet allocates nothing per packet.
 *
 * @returns The source.
 *
 * @example
 * ```ts
 * import { cryptoRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const n = cryptoRandom().next32();
 * assert.ok(Number.isInteger(n) && n >= 0 && n < 2 ** 32);
 * ```
 */
export function cryptoRandom(): RandomSource {
  const values = new Uint32Array(256);
  let next = values.length;
  return {
    next32() {
      if (next === values.length) {
        crypto.getRandomValues(values);
        next = 0;
      }
      return values[next++]!;
    },
  };
}

/** An integer in min..max drawn without bias. */
function uniform(random: RandomSource, min: number, max: number): number {
  const span = max - min + 1;
  if (span >= 0x1_0000_0000) return min + random.next32();
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
  let value: number;
  do value = random.next32(); while (value >= limit);
  return min + (value % span);
}

/** A block of addresses: a prefix of one family. */
export interface Cidr {
  /** 4 or 6. */
  family: AddressFamily;
  /** The network address, its host bits cleared. */
  bytes: Uint8Array;
  /** The prefix length: 0..32 or 0..128. */
  prefix: number;
}

/**
 * Parse a CIDR block (`10.0.0.0/8`, `2001:db8::/32`); an address alone is
 * a block of one address. Host bits set in the address are cleared.
 *
 * @param text The block.
 * @returns The block.
 * @throws {ParseError} For an address that does not parse or a prefix
 *   out of range for its family.
 *
 * @example
 * ```ts
 * import { formatCidr, parseCidr } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatCidr(parseCidr("192.0.2.77/24")), "192.0.2.0/24");
 * assert.equal(parseCidr("2001:db8::1").prefix, 128);
 * ```
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const bits = address.bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(digits) || Number(digits) > bits) {
      throw new ParseError(
        "CIDR block",
        text,
        `the prefix length must be 0..${bits} for IPv${address.family}`,
      );
    }
    prefix = Number(digits);
  }
  const bytes = address.bytes.slice();
  for (let bit = prefix; bit < bits; bit++) {
    bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return { family: address.family, bytes, prefix };
}

/**
 * A block as text: `192.0.2.0/24`.
 *
 * @param cidr The block.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatCidr } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatCidr({ family: 4, bytes: new Uint8Array([10, 0, 0, 0]), prefix: 8 }), "10.0.0.0/8");
 * ```
 */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.bytes)}/${cidr.prefix}`;
}

/**
 * An address drawn from a block: its prefix kept, every other bit random
 * (the network and broadcast addresses included).
 *
 * @param cidr The block, or its text.
 * @param random Where the bits come from.
 * @returns The address, canonical text.
 * @throws {ParseError} For text that is not a block.
 *
 * @example The same seed, the same address
 * ```ts
 * import { randomAddress, SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const a = randomAddress("10.0.0.0/8", new SeededRandom(7));
 * assert.ok(a.startsWith("10."));
 * assert.equal(randomAddress("10.0.0.0/8", new SeededRandom(7)), a);
 * assert.equal(randomAddress("192.0.2.9/32", new SeededRandom(1)), "192.0.2.9");
 * ```
 */
export function randomAddress(
  cidr: Cidr | string,
  random: RandomSource,
): string {
  const block = typeof cidr === "string" ? parseCidr(cidr) : cidr;
  const bytes = block.bytes.slice();
  for (let i = 0; i < bytes.length; i += 4) {
    const word = random.next32();
    for (let j = 0; j < 4 && i + j < bytes.length; j++) {
      const bit = 8 * (i + j);
      const keep = Math.max(0, Math.min(8, block.prefix - bit));
      const mask = keep === 0 ? 0xff : 0xff >> keep;
      bytes[i + j] = (bytes[i + j]! & ~mask) | ((word >>> (24 - 8 * j)) & mask);
    }
  }
  return formatAddress(bytes);
}

/**
 * A port drawn from a range, every port as likely.
 *
 * @param random Where it comes from.
 * @param range The range (default 1024..65535, the ports a client may use).
 * @returns The port.
 *
 * @example
 * ```ts
 * import { randomPort, SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const port = randomPort(new SeededRandom(3), { min: 49152, max: 65535 });
 * assert.ok(port >= 49152 && port <= 65535);
 * ```
 */
export function randomPort(
  random: RandomSource,
  range: { min?: number; max?: number } = {},
): number {
  return uniform(random, range.min ?? 1024, range.max ?? 0xffff);
}

/**
 * An unsigned random number of 16 or 32 bits, for an IPv4 ID, a sequence
 * or an acknowledgment number.
 *
 * @param random Where it comes from.
 * @param bits 16 or 32.
 * @returns The number.
 *
 * @example
 * ```ts
 * import { randomBits, SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(randomBits(new SeededRandom(1), 16) < 65536);
 * ```
 */
export function randomBits(random: RandomSource, bits: 16 | 32): number {
  const value = random.next32();
  return bits === 32 ? value : value >>> 16;
}
