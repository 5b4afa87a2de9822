/**
 * Parsers for the numbers people type on a command line: integers in
 * decimal, `0x`, `0b` and `0o` with a range check, and durations (`1s`,
 * `10ms`, `500us`, `2m`), rates, and the intervals and timeouts of the
 * commands. They throw {@linkcode ValueError} with the reason
 * only; the argument parser puts the flag's name in front.
 *
 * @module
 */

import { quote, ValueError } from "./errors.ts";

/** Options for {@linkcode parseInteger}. */
export interface IntegerOptions {
  /** Smallest value accepted (default 0). */
  min?: number;
  /** Largest value accepted (default `Number.MAX_SAFE_INTEGER`). */
  max?: number;
  /**
   * What the value is, with its article, for messages: `"a port"` gives
   * `"70000" is not a port (0..65535)`. Without it the messages read
   * `is not an integer (0..255)` and `is out of range (0..255)`.
   */
  noun?: string;
}

const INTEGER = /^(-?)(0x[0-9a-f]+|0b[01]+|0o[0-7]+|[0-9]+)$/i;

/**
 * Parse an integer written in decimal (`41`), hex (`0x29`), binary
 * (`0b101001`) or octal (`0o51`), optionally negative (`-1`), and check it
 * against a range. Fractions, exponents, spaces and `+` are refused.
 *
 * @param text The text.
 * @param options The range and what the value is.
 * @returns The value.
 * @throws {ValueError} When the text is not an integer in range.
 *
 * @example
 * ```ts
 * import { parseInteger } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseInteger("0x29", { max: 255 }), 41);
 * assert.equal(parseInteger("0b101001", { max: 255 }), 41);
 * assert.throws(
 *   () => parseInteger("70000", { max: 65535, noun: "a port" }),
 *   { message: '"70000" is not a port (0..65535)' },
 * );
 * assert.throws(
 *   () => parseInteger("-1", { max: 65535 }),
 *   { message: '"-1" is out of range (0..65535)' },
 * );
 * ```
 */
export function parseInteger(
  text: string,
  options: IntegerOptions = {},
): number {
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const range = `(${min}..${max})`;
  const match = INTEGER.exec(text);
  if (match === null) {
    throw new ValueError(
      `${quote(text)} is not ${options.noun ?? "an integer"} ${range}`,
    );
  }
  const body = match[2]!.toLowerCase();
  const magnitude = body.startsWith("0b") || body.startsWith("0o") ||
      body.startsWith("0x")
    ? BigInt(body)
    : BigInt(body.replace(/^0+(?=.)/, ""));
  const value = match[1] === "-" ? -magnitude : magnitude;
  if (value < BigInt(min) || value > BigInt(max)) {
    throw new ValueError(
      options.noun === undefined
        ? `${quote(text)} is out of range ${range}`
        : `${quote(text)} is not ${options.noun} ${range}`,
    );
  }
  return Number(value);
}

/** Options for {@linkcode parseDuration}. */
export interface DurationOptions {
  /** Smallest duration accepted, in milliseconds (default 0). */
  minMs?: number;
  /** Largest duration accepted, in milliseconds (default: one day). */
  maxMs?: number;
}

const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({
  us: 0.001,
  "µs": 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
});

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(us|µs|ms|s|m|h)?$/;

/**
 * Parse a duration: a decimal number and a unit (`us`, `ms`, `s`, `m`,
 * `h`): `500us`, `10ms`, `1.5s`, `2m`. A bare number means seconds, as for
 * `sleep` and `timeout`.
 *
 * @param text The text.
 * @param options The range accepted.
 * @returns The duration in milliseconds (fractions for microseconds).
 * @throws {ValueError} When the text is not a duration in range.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseDuration("10ms"), 10);
 * assert.equal(parseDuration("2m"), 120_000);
 * assert.equal(parseDuration("500us"), 0.5);
 * assert.equal(parseDuration("3"), 3000);
 * assert.throws(() => parseDuration("soon"), /is not a duration/);
 * ```
 */
export function parseDuration(
  text: string,
  options: DurationOptions = {},
): number {
  const match = DURATION.exec(text);
  if (match === null) {
    throw new ValueError(
      `${
        quote(text)
      } is not a duration (a number and a unit: 500us, 10ms, 1.5s, 2m, 1h)`,
    );
  }
  const ms = Number(match[1]) * DURATION_UNITS[match[2] ?? "s"]!;
  const minMs = options.minMs ?? 0;
  const maxMs = options.maxMs ?? 86_400_000;
  if (ms < minMs || ms > maxMs) {
    throw new ValueError(
      `${quote(text)} is out of range (${formatDuration(minMs)}..${
        formatDuration(maxMs)
      })`,
    );
  }
  return ms;
}

/**
 * Write a duration in milliseconds in the largest unit that keeps it exact
 * enough to read: `1.5s`, `10ms`, `500us`, `2m`.
 *
 * @param ms The duration in milliseconds.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDuration(1500), "1.5s");
 * assert.equal(formatDuration(0.5), "500us");
 * assert.equal(formatDuration(120_000), "2m");
 * ```
 */
export function formatDuration(ms: number): string {
  const round = (value: number) => String(Number(value.toFixed(3)));
  if (ms === 0) return "0s";
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${round(ms / 1000)}s`;
  if (ms >= 1) return `${round(ms)}ms`;
  return `${round(ms * 1000)}us`;
}

/** The fastest `--rate`, in packets per second (send goes faster with `--flood`). */
const MAX_RATE = 1_000_000;

/**
 * Parse a `--rate` value: packets per second, a decimal number above 0 and
 * at most 1000000.
 *
 * @param text The text.
 * @param options `hint`: words for the end of the message (send's
 *   `faster: --flood`).
 * @returns The rate.
 * @throws {ValueError} When the text is not such a number.
 *
 * @example
 * ```ts
 * import { parseRate } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseRate("100"), 100);
 * assert.equal(parseRate("0.5"), 0.5);
 * assert.throws(() => parseRate("0"), /is not a rate/);
 * assert.throws(
 *   () => parseRate("2000000", { hint: "faster: --flood" }),
 *   /at most 1000000; faster: --flood\)$/,
 * );
 * ```
 */
export function parseRate(
  text: string,
  options: { hint?: string } = {},
): number {
  const value = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!(value > 0 && value <= MAX_RATE)) {
    throw new ValueError(
      `${
        quote(text)
      } is not a rate (packets per second above 0, at most ${MAX_RATE}${
        options.hint === undefined ? "" : `; ${options.hint}`
      })`,
    );
  }
  return value;
}

/**
 * Parse an `--interval` value: a duration from 1us to one day (`1s`,
 * `10ms`, `500us`; a bare number is seconds).
 *
 * @param text The text.
 * @returns The interval in milliseconds.
 * @throws {ValueError} When the text is not a duration in range.
 *
 * @example
 * ```ts
 * import { parseInterval } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseInterval("10ms"), 10);
 * assert.equal(parseInterval("500us"), 0.5);
 * assert.throws(() => parseInterval("0"), /out of range/);
 * ```
 */
export function parseInterval(text: string): number {
  return parseDuration(text, { minMs: 0.001 });
}

/**
 * Parse the `--timeout` of `probe` and `trace`: a duration from 1ms to one
 * hour (`1s`, `250ms`; a bare number is seconds).
 *
 * @param text The text.
 * @returns Milliseconds.
 * @throws {ValueError} When the text is not a duration in range.
 *
 * @example
 * ```ts
 * import { parseTimeout } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTimeout("250ms"), 250);
 * assert.throws(() => parseTimeout("0"), /out of range/);
 * ```
 */
export function parseTimeout(text: string): number {
  return parseDuration(text, { minMs: 1, maxMs: 3_600_000 });
}

/**
 * A count with its thousands grouped: `16,777,216`.
 *
 * @param count The count.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { groupDigits } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(groupDigits(16777216), "16,777,216");
 * assert.equal(groupDigits(999n), "999");
 * ```
 */
export function groupDigits(count: number | bigint): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
