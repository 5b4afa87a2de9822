/**
 * SYN cookies, as masscan has them: a probe's sequence number (and, for
 * probes with ACK set, its acknowledgment number) is a keyed hash of its
 * destination, its ports and its try, so a reply can be told ours and no
 * two tries of one port look alike. The hash is MurmurHash3's 32-bit
 * finaliser (`fmix32`) over each word, with the key mixed in.
 *
 * @module
 */

/** The sequence and acknowledgment numbers of one probe. */
export interface ProbeCookies {
  /** The sequence number. */
  seq: number;
  /** The acknowledgment number (used when the probe has ACK set). */
  ack: number;
}

/**
 * A fresh random key for {@linkcode probeCookies}: four 32-bit words.
 *
 * @returns The key.
 *
 * @example
 * ```ts
 * import { cookieKey } from "./cookies.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cookieKey().length, 4);
 * ```
 */
export function cookieKey(): Uint32Array {
  return crypto.getRandomValues(new Uint32Array(4));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Keyed hashes of a probe's destination, ports and try: its sequence and
 * acknowledgment numbers.
 *
 * @param key The scan's key ({@linkcode cookieKey}).
 * @param address The destination's address bytes (4 or 16).
 * @param port The destination port.
 * @param sport The source port.
 * @param tryNumber The try, from 0.
 * @returns The numbers.
 *
 * @example
 * ```ts
 * import { probeCookies } from "./cookies.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint32Array([1, 2, 3, 4]);
 * const address = new Uint8Array([192, 0, 2, 1]);
 * const first = probeCookies(key, address, 80, 50000, 0);
 * assert.deepEqual(probeCookies(key, address, 80, 50000, 0), first);
 * assert.notEqual(probeCookies(key, address, 80, 50000, 1).seq, first.seq);
 * ```
 */
export function probeCookies(
  key: Uint32Array,
  address: Uint8Array,
  port: number,
  sport: number,
  tryNumber: number,
): ProbeCookies {
  let h = key[0]!;
  for (let i = 0; i < address.length; i += 4) {
    h = fmix32(
      (h ^ ((address[i]! << 24) | (address[i + 1]! << 16) |
        (address[i + 2]! << 8) | address[i + 3]!)) >>> 0,
    );
  }
  h = fmix32((h ^ ((port << 16) | sport) ^ key[1]!) >>> 0);
  const seq = fmix32((h ^ tryNumber ^ key[2]!) >>> 0);
  return { seq, ack: fmix32((seq ^ key[3]!) >>> 0) };
}
