/**
 * SYN cookies, as masscan and zmap have them: a probe's sequence number
 * (and, for probes with ACK set, its acknowledgment number) is a keyed hash
 * of its flow (destination address, destination port, source port) plus
 * the try, so a reply is known to be ours from its own bytes (its
 * acknowledgment number, or the sequence number an ICMP error quotes, less
 * the hash, is a try that was sent) and no two tries of one port look
 * alike. The hash is MurmurHash3's 32-bit finaliser (`fmix32`) over each
 * word, with a random key mixed in: nothing is kept per probe.
 *
 * @module
 */

/**
 * A fresh random key for the cookies: four 32-bit words.
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
 * The cookie of an IPv4 flow: try `t`'s sequence number is `cookie + t`
 * (mod 2^32).
 *
 * @param key The scan's key ({@linkcode cookieKey}).
 * @param address The destination, a 32-bit number.
 * @param port The destination port.
 * @param sport The source port.
 * @returns The cookie, 0..2^32-1.
 *
 * @example
 * ```ts
 * import { cookieV4 } from "./cookies.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint32Array([1, 2, 3, 4]);
 * assert.equal(cookieV4(key, 0xc0000201, 80, 50000), cookieV4(key, 0xc0000201, 80, 50000));
 * assert.notEqual(cookieV4(key, 0xc0000201, 81, 50000), cookieV4(key, 0xc0000201, 80, 50000));
 * ```
 */
export function cookieV4(
  key: Uint32Array,
  address: number,
  port: number,
  sport: number,
): number {
  const h = fmix32((key[0]! ^ address) >>> 0);
  return fmix32(
    (fmix32((h ^ ((port << 16) | sport) ^ key[1]!) >>> 0) ^
      key[2]!) >>> 0,
  );
}

/**
 * The cookie of an IPv6 flow, as {@linkcode cookieV4}.
 *
 * @param key The scan's key.
 * @param bytes Holds the 16 address bytes.
 * @param offset Where they start.
 * @param port The destination port.
 * @param sport The source port.
 * @returns The cookie.
 */
export function cookieV6(
  key: Uint32Array,
  bytes: Uint8Array,
  offset: number,
  port: number,
  sport: number,
): number {
  let h = key[0]!;
  for (let i = offset; i < offset + 16; i += 4) {
    h = fmix32(
      (h ^ ((bytes[i]! << 24) | (bytes[i + 1]! << 16) |
        (bytes[i + 2]! << 8) | bytes[i + 3]!)) >>> 0,
    );
  }
  return fmix32(
    (fmix32((h ^ ((port << 16) | sport) ^ key[1]!) >>> 0) ^
      key[2]!) >>> 0,
  );
}

/**
 * The acknowledgment cookie of a flow (for probes with ACK set): try `t`'s
 * acknowledgment number is `ackCookie + t`.
 *
 * @param key The scan's key.
 * @param cookie The flow's cookie.
 * @returns The acknowledgment cookie.
 */
export function ackCookie(key: Uint32Array, cookie: number): number {
  return fmix32((cookie ^ key[3]!) >>> 0);
}
