/**
 * Hexadecimal byte strings: parsing the forms people paste (`deadbeef`,
 * `de:ad:be:ef`, `de ad be ef`, `0xdeadbeef`, `0xde 0xad`) and formatting
 * bytes back as lowercase hex.
 *
 * @module
 */

import { ParseError } from "./errors.ts";

const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/**
 * Parse hex bytes. Whitespace and colons separate groups; each group may
 * start with `0x` (or `0X`) and must hold an even number of hex digits, so
 * that no digit is silently paired with the wrong neighbour. Upper and lower
 * case are accepted. Text with no digits gives no bytes.
 *
 * @param text The hex text.
 * @returns The bytes.
 * @throws {ParseError} For a character that is not a hex digit or a
 * separator, or a group with an odd number of digits.
 *
 * @example
 * ```ts
 * import { parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
 * assert.deepEqual(parseHex("deadbeef"), bytes);
 * assert.deepEqual(parseHex("DE:AD:BE:EF"), bytes);
 * assert.deepEqual(parseHex("0xdead 0xbeef"), bytes);
 * assert.deepEqual(parseHex(""), new Uint8Array());
 * assert.throws(() => parseHex("abc"), /odd number of hex digits/);
 * ```
 */
export function parseHex(text: string): Uint8Array {
  const groups = text.split(/[\s:]+/).filter((group) => group !== "");
  let digits = "";
  for (const group of groups) {
    const body = /^0x/i.test(group) ? group.slice(2) : group;
    if (!HEX_DIGITS.test(body)) {
      const bad = [...body].find((c) => !/[0-9a-fA-F]/.test(c)) ?? "";
      throw new ParseError(
        "hex bytes",
        text,
        `${JSON.stringify(bad)} is not a hex digit`,
      );
    }
    if (body.length % 2 !== 0) {
      throw new ParseError(
        "hex bytes",
        text,
        groups.length === 1
          ? `odd number of hex digits (${body.length})`
          : `group "${group}" has an odd number of hex digits`,
      );
    }
    digits += body;
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/** Options for {@linkcode formatHex}. */
export interface FormatHexOptions {
  /** Text put between bytes (default: none). */
  separator?: string;
}

/**
 * Format bytes as lowercase hex, two digits a byte.
 *
 * @param bytes The bytes.
 * @param options A separator between bytes, if any.
 * @returns The hex text.
 *
 * @example
 * ```ts
 * import { formatHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatHex(new Uint8Array([0x45, 0x00, 0xff])), "4500ff");
 * assert.equal(formatHex(new Uint8Array([1, 2]), { separator: ":" }), "01:02");
 * ```
 */
export function formatHex(
  bytes: Uint8Array,
  options: FormatHexOptions = {},
): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    parts[i] = (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  }
  return parts.join(options.separator ?? "");
}
