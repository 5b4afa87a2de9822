/**
 * IPv4 and IPv6 addresses: parsing every textual form people type, and
 * formatting back to the canonical one (RFC 5952 for IPv6).
 *
 * Addresses are `Uint8Array`s of 4 or 16 bytes in network order.
 *
 * @module
 */

import { read16 } from "./bytes.ts";
import { ParseError } from "./errors.ts";

/** An address family: 4 or 6. */
export type AddressFamily = 4 | 6;

/** A parsed address with its family. */
export interface ParsedAddress {
  /** 4 for IPv4, 6 for IPv6. */
  family: AddressFamily;
  /** The address, 4 or 16 bytes in network order. */
  bytes: Uint8Array;
}

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parse an IPv4 address in dotted-quad form (`192.0.2.1`). Leading zeros
 * are refused, since systems disagree on whether they mean octal.
 *
 * @param text The address.
 * @returns 4 bytes.
 * @throws {ParseError} When the text is not a dotted quad.
 *
 * @example
 * ```ts
 * import { parseIPv4 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIPv4("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
 * ```
 */
export function parseIPv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new ParseError(
      "IPv4 address",
      text,
      "expected four decimal numbers separated by dots",
    );
  }
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!DECIMAL_OCTET.test(part)) {
      throw new ParseError(
        "IPv4 address",
        text,
        `part ${i + 1} "${part}" is not a decimal number without leading zeros`,
      );
    }
    const value = Number(part);
    if (value > 255) {
      throw new ParseError(
        "IPv4 address",
        text,
        `part ${i + 1} is ${value}, must be 0..255`,
      );
    }
    bytes[i] = value;
  }
  return bytes;
}

/**
 * Parse an IPv6 address in any textual form of RFC 4291 §2.2: full,
 * `::`-compressed, upper or lower case, with an embedded IPv4 address in the
 * last 32 bits (`::ffff:192.0.2.1`). Zone identifiers (`fe80::1%eth0`) are
 * refused with a clear error, since a packet cannot carry them.
 *
 * @param text The address, without brackets.
 * @returns 16 bytes.
 * @throws {ParseError} When the text is not an IPv6 address.
 *
 * @example
 * ```ts
 * import { formatIPv6, parseIPv6 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv6(parseIPv6("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
 * assert.equal(formatIPv6(parseIPv6("::ffff:192.0.2.1")), "::ffff:192.0.2.1");
 * ```
 */
export function parseIPv6(text: string): Uint8Array {
  const fail = (reason: string): never => {
    throw new ParseError("IPv6 address", text, reason);
  };
  if (text.includes("%")) {
    fail("zone identifiers (the part after %) cannot be sent in a packet");
  }
  const halves = text.split("::");
  if (halves.length > 2) fail('"::" may appear only once');
  const parseGroups = (part: string, allowIPv4: boolean): number[] => {
    if (part === "") return [];
    const groups = part.split(":");
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      if (allowIPv4 && i === groups.length - 1 && group.includes(".")) {
        let v4: Uint8Array;
        try {
          v4 = parseIPv4(group);
        } catch {
          return fail(`embedded IPv4 address "${group}" is not a dotted quad`);
        }
        words.push(read16(v4, 0), read16(v4, 2));
      } else if (HEX_GROUP.test(group)) {
        words.push(parseInt(group, 16));
      } else if (group === "") {
        fail("empty group (a single ':' where a number was expected)");
      } else {
        fail(`group "${group}" is not 1 to 4 hexadecimal digits`);
      }
    }
    return words;
  };
  let words: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    const missing = 8 - head.length - tail.length;
    if (missing < 1) fail('"::" must stand for at least one zero group');
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    words = parseGroups(text, true);
    if (words.length !== 8) {
      fail(`expected 8 groups of hexadecimal digits, found ${words.length}`);
    }
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = words[i]! >> 8;
    bytes[2 * i + 1] = words[i]! & 0xff;
  }
  return bytes;
}

/**
 * Parse an IPv4 or IPv6 address, telling which. IPv6 may be written in
 * brackets (`[2001:db8::1]`).
 *
 * @param text The address.
 * @returns The family and the bytes.
 * @throws {ParseError} When the text is neither.
 *
 * @example
 * ```ts
 * import { parseAddress } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseAddress("192.0.2.1").family, 4);
 * assert.equal(parseAddress("[2001:db8::1]").family, 6);
 * ```
 */
export function parseAddress(text: string): ParsedAddress {
  if (text.startsWith("[") && text.endsWith("]")) {
    return { family: 6, bytes: parseIPv6(text.slice(1, -1)) };
  }
  if (text.includes(":")) return { family: 6, bytes: parseIPv6(text) };
  if (/^[0-9.]+$/.test(text)) return { family: 4, bytes: parseIPv4(text) };
  throw new ParseError(
    "address",
    text,
    "expected an IPv4 address (192.0.2.1) or an IPv6 address (2001:db8::1)",
  );
}

/**
 * Format 4 bytes as a dotted quad.
 *
 * @param bytes The address.
 * @returns `a.b.c.d`.
 *
 * @example
 * ```ts
 * import { formatIPv4 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv4(new Uint8Array([10, 0, 0, 1])), "10.0.0.1");
 * ```
 */
export function formatIPv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) {
    throw new RangeError(
      `Cannot format IPv4 address: ${bytes.length} bytes, expected 4`,
    );
  }
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * Format 16 bytes as an IPv6 address in the canonical text form of RFC 5952:
 * lowercase, no leading zeros, the longest run of two or more zero groups
 * (the first, on a tie) replaced by `::`, and IPv4-mapped addresses
 * (`::ffff:0:0/96`) written with a dotted quad.
 *
 * @param bytes The address.
 * @returns The canonical text.
 *
 * @example
 * ```ts
 * import { formatIPv6, parseIPv6 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv6(parseIPv6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
 * assert.equal(formatIPv6(parseIPv6("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");
 * ```
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new RangeError(
      `Cannot format IPv6 address: ${bytes.length} bytes, expected 16`,
    );
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(read16(bytes, i));
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (mapped) return `::ffff:${formatIPv4(bytes.subarray(12, 16))}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${
    hex(words.slice(bestStart + bestLength))
  }`;
}

/**
 * Format 4 or 16 bytes as an IPv4 or IPv6 address.
 *
 * @param bytes The address.
 * @returns Its canonical text.
 *
 * @example
 * ```ts
 * import { formatAddress } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAddress(new Uint8Array(16)), "::");
 * ```
 */
export function formatAddress(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
}

/**
 * Accept an address as text or bytes and return its bytes, checking the
 * family when one is required.
 *
 * @param address Text (`"192.0.2.1"`) or 4/16 bytes.
 * @param family The family required, if any.
 * @returns The address bytes.
 * @throws {ParseError} For text that is not an address, or of the wrong family.
 *
 * @example
 * ```ts
 * import { addressBytes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressBytes("2001:db8::1", 6).length, 16);
 * ```
 */
export function addressBytes(
  address: string | Uint8Array,
  family?: AddressFamily,
): Uint8Array {
  if (typeof address !== "string") {
    if (address.length !== 4 && address.length !== 16) {
      throw new RangeError(
        `Cannot use address: ${address.length} bytes, expected 4 or 16`,
      );
    }
    if (family !== undefined && address.length !== (family === 4 ? 4 : 16)) {
      throw new RangeError(
        `Cannot use address: ${address.length} bytes is not an IPv${family} address`,
      );
    }
    return address;
  }
  const parsed = parseAddress(address);
  if (family !== undefined && parsed.family !== family) {
    throw new ParseError(
      `IPv${family} address`,
      address,
      `this is an IPv${parsed.family} address`,
    );
  }
  return parsed.bytes;
}
