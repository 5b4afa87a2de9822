/**
 * Small words shared by the texts the wire layer writes for people: error
 * messages, option explanations, command-line parse errors.
 *
 * @module
 */

/**
 * A count and a noun, the noun in the plural unless the count is 1.
 *
 * @param count How many.
 * @param noun The noun in the singular.
 * @returns `1 byte`, `0 bytes`, `3 blocks`.
 *
 * @example
 * ```ts
 * import { plural } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(plural(1, "byte"), "1 byte");
 * assert.equal(plural(2, "block"), "2 blocks");
 * ```
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * A 16-bit value as `0x` and four lowercase hex digits.
 *
 * @param value 0..0xffff.
 * @returns `0x08e2`.
 *
 * @example
 * ```ts
 * import { hex16 } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hex16(0x8e2), "0x08e2");
 * ```
 */
export function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}
