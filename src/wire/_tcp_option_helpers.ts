/**
 * Helpers for writing the entries of the TCP option registry: the checks
 * and errors of encoding, and the common shapes of tcpdump text and
 * explanation words. Private to `src/wire`.
 *
 * @module
 */

import { formatHex } from "./hex.ts";
import type { TcpOptionWords } from "./tcp_option_entry.ts";

/**
 * Throw the error of an option that cannot be encoded.
 *
 * @param kind The option's model name.
 * @param reason Why.
 * @throws {RangeError} Always: `Cannot encode TCP option KIND: REASON`.
 *
 * @example
 * ```ts
 * import { encodeFail } from "./_tcp_option_helpers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => encodeFail("md5", "digest is 3 bytes, expected 16"), {
 *   message: "Cannot encode TCP option md5: digest is 3 bytes, expected 16",
 * });
 * ```
 */
export function encodeFail(kind: string, reason: string): never {
  throw new RangeError(`Cannot encode TCP option ${kind}: ${reason}`);
}

/**
 * Check that an option's integer field is in 0..max.
 *
 * @param kind The option's model name.
 * @param field The field, as the message names it.
 * @param value The value.
 * @param max The largest value allowed.
 * @throws {RangeError} `Cannot encode TCP option mss: value 70000 is not in 0..65535`.
 *
 * @example
 * ```ts
 * import { checkInteger } from "./_tcp_option_helpers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkInteger("wscale", "shift", 256, 0xff), /shift 256 is not in 0..255/);
 * ```
 */
export function checkInteger(
  kind: string,
  field: string,
  value: number,
  max: number,
): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    encodeFail(kind, `${field} ${value} is not in 0..${max}`);
  }
}

/**
 * Check that an option's byte field is a `Uint8Array` of at most `max` bytes.
 *
 * @param kind The option's model name.
 * @param field The field, as the message names it.
 * @param value The value.
 * @param max The most bytes allowed.
 * @throws {RangeError} `Cannot encode TCP option mptcp: data is 254 bytes, more than the 253 an option can carry`.
 *
 * @example
 * ```ts
 * import { checkBytes } from "./_tcp_option_helpers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkBytes("mptcp", "data", new Uint8Array(254), 253), /more than the 253/);
 * ```
 */
export function checkBytes(
  kind: string,
  field: string,
  value: Uint8Array,
  max: number,
): void {
  if (!(value instanceof Uint8Array)) {
    encodeFail(kind, `${field} is not a Uint8Array`);
  }
  if (value.length > max) {
    encodeFail(
      kind,
      `${field} is ${value.length} bytes, more than the ${max} an option can carry`,
    );
  }
}

/**
 * Option data as tcpdump appends it: a space, `0x` and hex, or nothing for
 * no bytes.
 *
 * @param bytes The data.
 * @returns ` 0x0102`, or the empty string.
 *
 * @example
 * ```ts
 * import { tcpdumpHex } from "./_tcp_option_helpers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(`mptcp${tcpdumpHex(new Uint8Array([1, 2]))}`, "mptcp 0x0102");
 * assert.equal(tcpdumpHex(new Uint8Array()), "");
 * ```
 */
export function tcpdumpHex(bytes: Uint8Array): string {
  return bytes.length === 0 ? "" : ` 0x${formatHex(bytes)}`;
}

/**
 * The explanation words of an option whose value is a byte string: the
 * bytes as hex for value and display.
 *
 * @param bytes The bytes.
 * @param meaning What the option says.
 * @returns The words.
 *
 * @example
 * ```ts
 * import { hexWords } from "./_tcp_option_helpers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(hexWords(new Uint8Array([0xab]), "a cookie"), {
 *   value: "ab", display: "ab", meaning: "a cookie",
 * });
 * ```
 */
export function hexWords(bytes: Uint8Array, meaning: string): TcpOptionWords {
  return { value: formatHex(bytes), display: formatHex(bytes), meaning };
}
