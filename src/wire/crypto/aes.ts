/**
 * AES-128 block encryption (FIPS 197) and AES-CMAC (RFC 4493), for TCP-AO's
 * AES-128-CMAC-96 and its key derivation (RFC 5926). Web Crypto has AES but
 * no CMAC, and only behind a promise; written here they keep the packet
 * encoder synchronous. Encryption only: CMAC never decrypts. Not hardened
 * against timing attacks: it signs test packets, it does not guard secrets.
 *
 * @module
 */

/** The S-box, computed once from its definition (FIPS 197 §5.1.1). */
const SBOX: Uint8Array = (() => {
  const sbox = new Uint8Array(256);
  const rotl8 = (x: number, n: number) => ((x << n) | (x >> (8 - n))) & 0xff;
  let p = 1;
  let q = 1;
  // p runs through the multiplicative group by powers of 3, q through the
  // inverses by powers of 1/3: q = p⁻¹ at every step.
  do {
    p = (p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)) & 0xff;
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    sbox[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^
      0x63;
  } while (p !== 1);
  sbox[0] = 0x63;
  return sbox;
})();

/** Multiply by x (that is, 2) in GF(2^8). */
function xtime(b: number): number {
  return ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;
}

/** The 11 round keys of a 16-byte key, 176 bytes (FIPS 197 §5.2). */
function expandKey(key: Uint8Array): Uint8Array {
  const w = new Uint8Array(176);
  w.set(key);
  let rcon = 1;
  for (let i = 16; i < 176; i += 4) {
    let t0 = w[i - 4]!, t1 = w[i - 3]!, t2 = w[i - 2]!, t3 = w[i - 1]!;
    if (i % 16 === 0) {
      [t0, t1, t2, t3] = [
        SBOX[t1]! ^ rcon,
        SBOX[t2]!,
        SBOX[t3]!,
        SBOX[t0]!,
      ];
      rcon = xtime(rcon);
    }
    w[i] = w[i - 16]! ^ t0;
    w[i + 1] = w[i - 15]! ^ t1;
    w[i + 2] = w[i - 14]! ^ t2;
    w[i + 3] = w[i - 13]! ^ t3;
  }
  return w;
}

/** SubBytes and ShiftRows together: byte r of column c comes from column c + r. */
function subShift(s: Uint8Array): void {
  const t = s.slice();
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      s[4 * c + r] = SBOX[t[4 * ((c + r) % 4) + r]!]!;
    }
  }
}

function mixColumns(s: Uint8Array): void {
  for (let c = 0; c < 16; c += 4) {
    const a0 = s[c]!, a1 = s[c + 1]!, a2 = s[c + 2]!, a3 = s[c + 3]!;
    const all = a0 ^ a1 ^ a2 ^ a3;
    s[c] = a0 ^ all ^ xtime(a0 ^ a1);
    s[c + 1] = a1 ^ all ^ xtime(a1 ^ a2);
    s[c + 2] = a2 ^ all ^ xtime(a2 ^ a3);
    s[c + 3] = a3 ^ all ^ xtime(a3 ^ a0);
  }
}

function addRoundKey(s: Uint8Array, w: Uint8Array, round: number): void {
  for (let i = 0; i < 16; i++) s[i]! ^= w[16 * round + i]!;
}

/** Encrypt one block with expanded round keys. */
function encryptBlock(w: Uint8Array, block: Uint8Array): Uint8Array {
  const s = block.slice();
  addRoundKey(s, w, 0);
  for (let round = 1; round < 10; round++) {
    subShift(s);
    mixColumns(s);
    addRoundKey(s, w, round);
  }
  subShift(s);
  addRoundKey(s, w, 10);
  return s;
}

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== 16) {
    throw new RangeError(
      `Cannot compute ${what}: the key is ${
        key instanceof Uint8Array ? `${key.length} bytes` : "not bytes"
      }, AES-128 needs 16`,
    );
  }
}

/**
 * Encrypt one 16-byte block with AES-128.
 *
 * @param key The 16-byte key.
 * @param block The 16-byte block.
 * @returns The 16-byte ciphertext.
 * @throws {RangeError} For a key or block that is not 16 bytes.
 *
 * @example FIPS 197 appendix C.1
 * ```ts
 * import { aes128Encrypt } from "./aes.ts";
 * import { formatHex, parseHex } from "../hex.ts";
 * import assert from "node:assert/strict";
 *
 * const out = aes128Encrypt(
 *   parseHex("000102030405060708090a0b0c0d0e0f"),
 *   parseHex("00112233445566778899aabbccddeeff"),
 * );
 * assert.equal(formatHex(out), "69c4e0d86a7b0430d8cdb78070b4c55a");
 * ```
 */
export function aes128Encrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  checkKey(key, "AES-128");
  if (block.length !== 16) {
    throw new RangeError(
      `Cannot compute AES-128: the block is ${block.length} bytes, expected 16`,
    );
  }
  return encryptBlock(expandKey(key), block);
}

/** Double a 128-bit value in GF(2^128) (RFC 4493 §2.3). */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    out[i] = ((block[i]! << 1) | ((block[i + 1] ?? 0) >> 7)) & 0xff;
  }
  if (block[0]! & 0x80) out[15]! ^= 0x87;
  return out;
}

/**
 * AES-CMAC (RFC 4493) of the concatenation of some byte strings, with a
 * 16-byte key.
 *
 * @param key The 16-byte key.
 * @param parts The message, in parts.
 * @returns The 16-byte MAC.
 * @throws {RangeError} For a key that is not 16 bytes.
 *
 * @example RFC 4493's example 2 (a 16-byte message)
 * ```ts
 * import { aesCmac } from "./aes.ts";
 * import { formatHex, parseHex } from "../hex.ts";
 * import assert from "node:assert/strict";
 *
 * const mac = aesCmac(
 *   parseHex("2b7e151628aed2a6abf7158809cf4f3c"),
 *   parseHex("6bc1bee22e409f96e93d7e117393172a"),
 * );
 * assert.equal(formatHex(mac), "070a16b46b4d4144f79bdd9dd04a287c");
 * ```
 */
export function aesCmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  checkKey(key, "AES-CMAC");
  const w = expandKey(key);
  const k1 = double(encryptBlock(w, new Uint8Array(16)));
  const k2 = double(k1);
  let length = 0;
  for (const part of parts) length += part.length;
  const message = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    message.set(part, at);
    at += part.length;
  }
  const blocks = Math.max(1, Math.ceil(length / 16));
  const complete = length > 0 && length % 16 === 0;
  const last = new Uint8Array(16);
  last.set(message.subarray(16 * (blocks - 1)));
  if (!complete) last[length - 16 * (blocks - 1)] = 0x80;
  const subkey = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i]! ^= subkey[i]!;
  let x: Uint8Array = new Uint8Array(16);
  for (let b = 0; b < blocks - 1; b++) {
    for (let i = 0; i < 16; i++) x[i]! ^= message[16 * b + i]!;
    x = encryptBlock(w, x);
  }
  for (let i = 0; i < 16; i++) x[i]! ^= last[i]!;
  return encryptBlock(w, x);
}
