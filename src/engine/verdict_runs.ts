/**
 * Verdicts of a target space as runs, in a few bytes: each run is the gap
 * since the previous one, its length and its verdict number, three
 * unsigned LEB128 numbers. The 65,535 closed ports of a host are one run;
 * a sparse scan costs a few bytes per answer. Used by the resume file
 * (`resume.ts`), with its CRC-32 and base64.
 *
 * @module
 */

/** Targets of the space that share a verdict: `length` indices from `start`. */
export interface VerdictRun {
  /** The first index of the target space. */
  start: number;
  /** How many consecutive indices. */
  length: number;
  /** The verdict, an index into {@linkcode ResumeDecided.verdicts}. */
  verdict: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, as zlib and gzip compute it) of text's UTF-8 bytes.
 *
 * @param text The text.
 * @returns The CRC as 8 hex digits.
 *
 * @example
 * ```ts
 * import { crc32Hex } from "./verdict_runs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(crc32Hex("123456789"), "cbf43926");
 * ```
 */
export function crc32Hex(text: string): string {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
}

/** Unsigned LEB128 of integers up to 2^53, written with arithmetic. */
function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function readVarint(
  bytes: Uint8Array,
  at: { offset: number },
): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[at.offset++];
    if (byte === undefined || scale > 2 ** 49) {
      throw new RangeError("a number of the runs is cut or too long");
    }
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value;
    scale *= 0x80;
  }
}

/**
 * Bytes as base64 text.
 *
 * @param bytes The bytes.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { fromBase64, toBase64 } from "./verdict_runs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(toBase64(new Uint8Array([1, 2, 255])), "AQL/");
 * assert.deepEqual(fromBase64("AQL/"), new Uint8Array([1, 2, 255]));
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/**
 * Bytes from base64 text.
 *
 * @param text The text.
 * @returns The bytes.
 * @throws {DOMException} For text that is not base64.
 *
 * @example
 * ```ts
 * import { fromBase64 } from "./verdict_runs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(fromBase64("AAE="), new Uint8Array([0, 1]));
 * assert.throws(() => fromBase64("!"));
 * ```
 */
export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/**
 * The runs as bytes: for each run, the gap since the end of the previous
 * one, its length and its verdict, each an unsigned LEB128 number.
 *
 * @param runs The runs, ascending and not overlapping.
 * @returns The bytes.
 * @throws {RangeError} For runs out of order, overlapping or empty.
 *
 * @example
 * ```ts
 * import { decodeVerdictRuns, encodeVerdictRuns } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const runs = [{ start: 0, length: 65535, verdict: 0 }, { start: 2 ** 40, length: 1, verdict: 1 }];
 * const bytes = encodeVerdictRuns(runs);
 * assert.equal(bytes.length, 13);
 * assert.deepEqual(decodeVerdictRuns(bytes), runs);
 * ```
 */
export function encodeVerdictRuns(runs: readonly VerdictRun[]): Uint8Array {
  const out: number[] = [];
  let end = 0;
  for (const run of runs) {
    if (run.start < end || run.length < 1) {
      throw new RangeError(
        `Cannot encode verdict runs: run at ${run.start} overlaps or is empty`,
      );
    }
    writeVarint(out, run.start - end);
    writeVarint(out, run.length);
    writeVarint(out, run.verdict);
    end = run.start + run.length;
  }
  return Uint8Array.from(out);
}

/**
 * Runs from the bytes {@linkcode encodeVerdictRuns} wrote.
 *
 * @param bytes The bytes.
 * @returns The runs.
 * @throws {RangeError} For bytes cut short.
 *
 * @example
 * ```ts
 * import { decodeVerdictRuns } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeVerdictRuns(new Uint8Array([5, 2, 0])), [{ start: 5, length: 2, verdict: 0 }]);
 * assert.throws(() => decodeVerdictRuns(new Uint8Array([5, 0x82])), /cut/);
 * ```
 */
export function decodeVerdictRuns(bytes: Uint8Array): VerdictRun[] {
  const runs: VerdictRun[] = [];
  const at = { offset: 0 };
  let end = 0;
  while (at.offset < bytes.length) {
    const start = end + readVarint(bytes, at);
    const length = readVarint(bytes, at);
    const verdict = readVarint(bytes, at);
    runs.push({ start, length, verdict });
    end = start + length;
  }
  return runs;
}

/**
 * Runs from verdict numbers by target index (a dense array, 0 for no
 * verdict yet, else 1 + the verdict's index): what a scan that keeps its
 * verdicts in an array hands to the resume file.
 *
 * @param codes The numbers, one per index of the target space.
 * @returns The runs of indices with a verdict.
 *
 * @example
 * ```ts
 * import { verdictRunsFromCodes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(verdictRunsFromCodes(new Uint8Array([0, 1, 1, 2, 0, 1])), [
 *   { start: 1, length: 2, verdict: 0 },
 *   { start: 3, length: 1, verdict: 1 },
 *   { start: 5, length: 1, verdict: 0 },
 * ]);
 * ```
 */
export function verdictRunsFromCodes(
  codes: ArrayLike<number>,
): VerdictRun[] {
  const runs: VerdictRun[] = [];
  for (let i = 0; i < codes.length;) {
    const code = codes[i]!;
    let j = i + 1;
    while (j < codes.length && codes[j] === code) j++;
    if (code !== 0) runs.push({ start: i, length: j - i, verdict: code - 1 });
    i = j;
  }
  return runs;
}
