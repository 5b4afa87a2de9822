/**
 * Capture timestamps as callers give them, checked.
 *
 * @module
 */

import { normalizeTimestamp } from "./_io.ts";
import type { CaptureTimestamp, CaptureTimestampInput } from "./types.ts";

/**
 * Turn epoch milliseconds (fractions allowed) or seconds and nanoseconds
 * into a checked {@linkcode CaptureTimestamp}.
 *
 * @param input Epoch milliseconds, or `{ seconds, nanoseconds }`.
 * @returns The timestamp with `nanoseconds` in 0..999999999.
 * @throws {RangeError} For a non-finite number or nanoseconds out of range.
 *
 * @example
 * ```ts
 * import { toCaptureTimestamp } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(toCaptureTimestamp(1700000000123.5), {
 *   seconds: 1700000000,
 *   nanoseconds: 123500000,
 * });
 * assert.deepEqual(toCaptureTimestamp({ seconds: 1, nanoseconds: 5 }), {
 *   seconds: 1,
 *   nanoseconds: 5,
 * });
 * ```
 */
export function toCaptureTimestamp(
  input: CaptureTimestampInput,
): CaptureTimestamp {
  return normalizeTimestamp(input);
}
