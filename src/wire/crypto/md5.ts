/**
 * MD5 (RFC 1321), for the TCP MD5 signature option (RFC 2385). Web Crypto
 * has no MD5, so it is written here, portable and synchronous: the packet
 * encoder signs a segment as it writes it. MD5 is broken for collisions;
 * TCP-MD5 uses it because RFC 2385 says so, and routers still check it.
 *
 * @module
 */

/** Left-rotation amounts, four per round (RFC 1321 §3.4). */
const SHIFTS = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
];

/** T[i] = floor(2^32 × |sin(i + 1)|) (RFC 1321 §3.4). */
const SINES = Uint32Array.from(
  { length: 64 },
  (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x1_0000_0000),
);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** Process one 64-byte block into the state. */
function block(state: Uint32Array, words: Uint32Array): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const next = d;
    d = c;
    c = b;
    b =
      (b + rotl((a + f + SINES[i]! + words[g]!) | 0, SHIFTS[i >> 4]![i & 3]!)) |
      0;
    a = next;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/**
 * The MD5 digest of the concatenation of some byte strings (RFC 1321).
 *
 * @param parts The bytes, in order; they are hashed as one message.
 * @returns The 16-byte digest.
 *
 * @example RFC 1321's test suite
 * ```ts
 * import { md5 } from "./md5.ts";
 * import { formatHex } from "../hex.ts";
 * import assert from "node:assert/strict";
 *
 * const text = (s: string) => new TextEncoder().encode(s);
 * assert.equal(formatHex(md5(text(""))), "d41d8cd98f00b204e9800998ecf8427e");
 * assert.equal(formatHex(md5(text("a"), text("bc"))), "900150983cd24fb0d6963f7d28e17f72");
 * ```
 */
export function md5(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  // The message, a 0x80 byte, zeros to 56 mod 64, the bit length (64-bit LE).
  const padded = new Uint8Array((((length + 8) >> 6) + 1) << 6);
  let at = 0;
  for (const part of parts) {
    padded.set(part, at);
    at += part.length;
  }
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(length / 0x2000_0000), true);
  const state = Uint32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476);
  const words = new Uint32Array(16);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) {
      words[i] = view.getUint32(offset + 4 * i, true);
    }
    block(state, words);
  }
  const digest = new Uint8Array(16);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 4; i++) out.setUint32(4 * i, state[i]!, true);
  return digest;
}
