/**
 * SHA-1 (FIPS 180-4) and HMAC-SHA-1 (RFC 2104), for TCP-AO's HMAC-SHA-1-96
 * and its key derivation (RFC 5926). Web Crypto has both, but only behind a
 * promise; written here they keep the packet encoder synchronous, so a
 * probe or a series of packets is signed as it is encoded. The tests check
 * them against Web Crypto.
 *
 * @module
 */

/** SHA-1's block size in bytes, which HMAC pads its key to. */
const BLOCK = 64;

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/**
 * The SHA-1 digest of the concatenation of some byte strings.
 *
 * @param parts The bytes, in order; they are hashed as one message.
 * @returns The 20-byte digest.
 *
 * @example FIPS 180's "abc"
 * ```ts
 * import { sha1 } from "./sha1.ts";
 * import { formatHex } from "../hex.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatHex(sha1(new TextEncoder().encode("abc"))),
 *   "a9993e364706816aba3e25717850c26c9cd0d89d",
 * );
 * ```
 */
export function sha1(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const padded = new Uint8Array((((length + 8) >> 6) + 1) << 6);
  let at = 0;
  for (const part of parts) {
    padded.set(part, at);
    at += part.length;
  }
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x2000_0000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const h = Uint32Array.of(
    0x67452301,
    0xefcdab89,
    0x98badcfe,
    0x10325476,
    0xc3d2e1f0,
  );
  const w = new Uint32Array(80);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + 4 * i);
    for (let i = 16; i < 80; i++) {
      w[i] = rotl(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1);
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (rotl(a, 5) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
  }
  const digest = new Uint8Array(20);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 5; i++) out.setUint32(4 * i, h[i]!);
  return digest;
}

/**
 * HMAC-SHA-1 (RFC 2104) of the concatenation of some byte strings.
 *
 * @param key The key, any length (a key longer than 64 bytes is hashed first).
 * @param parts The message, in parts.
 * @returns The 20-byte MAC.
 *
 * @example RFC 2202's test case 2
 * ```ts
 * import { hmacSha1 } from "./sha1.ts";
 * import { formatHex } from "../hex.ts";
 * import assert from "node:assert/strict";
 *
 * const text = (s: string) => new TextEncoder().encode(s);
 * assert.equal(
 *   formatHex(hmacSha1(text("Jefe"), text("what do ya want for nothing?"))),
 *   "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
 * );
 * ```
 */
export function hmacSha1(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const padded = new Uint8Array(BLOCK);
  padded.set(key.length > BLOCK ? sha1(key) : key);
  const inner = padded.map((byte) => byte ^ 0x36);
  const outer = padded.map((byte) => byte ^ 0x5c);
  return sha1(outer, sha1(inner, ...parts));
}
