/**
 * What a scan covers: target addresses (single addresses, CIDR blocks and
 * ranges, IPv4 and IPv6), exclusions, and port lists, kept as ranges and
 * never materialised, so a /8 is as cheap as one host. A `TargetSpace`
 * (`target_space.ts`) numbers every (address, port) pair of them.
 *
 * Forms accepted for a target:
 * - an address: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`;
 * - a CIDR block: `192.0.2.0/24`, `2001:db8::/120` (host bits are ignored,
 *   as nmap does: `192.0.2.77/24` is the whole /24);
 * - a range: `192.0.2.10-192.0.2.20`, `2001:db8::1-2001:db8::ff`;
 * - a host name (`scanme.example`), returned as such for the caller to
 *   resolve.
 *
 * Size limits: IPv4 has no limit below the whole space (2^32). An IPv6
 * target may hold at most {@linkcode MAX_IPV6_ADDRESSES} (2^24, a /104):
 * sweeping a /64 would take longer than the universe has, so it is refused
 * with an error that says so, not started.
 *
 * Ports: `22,80,443`, `1-1024`, `-` (all of 1-65535, nmap's `-p-`),
 * `-1024` (1-1024), `60000-` (60000-65535), and mixes (`22,80-90,443`).
 * Port 0 is scanned only when named.
 *
 * @module
 */

import { type AddressFamily, parseAddress } from "../wire/address.ts";
import { ParseError } from "../wire/errors.ts";

/** The most addresses one IPv6 target may hold: 2^24 (a /104). */
export const MAX_IPV6_ADDRESSES = 2 ** 24;

/** A run of consecutive addresses of one family, both ends included. */
export interface AddressRange {
  /** 4 or 6. */
  family: AddressFamily;
  /** The first address, as an unsigned integer (32 or 128 bits). */
  first: bigint;
  /** The last address, as an unsigned integer; not below `first`. */
  last: bigint;
}

/** A run of consecutive ports, both ends included. */
export interface PortRange {
  /** The first port, 0..65535. */
  first: number;
  /** The last port, `first`..65535. */
  last: number;
}

/** A parsed target: addresses, or a host name to resolve. */
export type TargetSpec =
  | {
    /** Discriminant: one address, a CIDR block or a range. */
    kind: "addresses";
    /** The addresses. */
    range: AddressRange;
    /** The text as given. */
    text: string;
  }
  | {
    /** Discriminant: a host name. */
    kind: "name";
    /** The name, as given. */
    name: string;
    /** The text as given. */
    text: string;
  };

const HOST_NAME =
  /^(?=.*[a-z])[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?$/i;

/**
 * An address as an unsigned integer.
 *
 * @param bytes 4 or 16 bytes, network order.
 * @returns The integer.
 *
 * @example
 * ```ts
 * import { addressToBigInt, parseAddress } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressToBigInt(parseAddress("10.0.0.1").bytes), 0x0a000001n);
 * ```
 */
export function addressToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new RangeError(
      `Cannot convert address: ${bytes.length} bytes, expected 4 or 16`,
    );
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * An unsigned integer as an address of a family.
 *
 * @param value The integer, 0..2^32-1 or 0..2^128-1.
 * @param family 4 or 6.
 * @returns 4 or 16 bytes, network order.
 *
 * @example
 * ```ts
 * import { bigIntToAddress, formatAddress } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAddress(bigIntToAddress(0x20010db8n << 96n | 1n, 6)), "2001:db8::1");
 * ```
 */
export function bigIntToAddress(
  value: bigint,
  family: AddressFamily,
): Uint8Array {
  const length = family === 4 ? 4 : 16;
  if (value < 0n || value >= 1n << BigInt(length * 8)) {
    throw new RangeError(
      `Cannot convert ${value} to an IPv${family} address: out of range`,
    );
  }
  const bytes = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

/**
 * How many addresses a range holds.
 *
 * @param range The range.
 * @returns `last - first + 1`.
 *
 * @example
 * ```ts
 * import { addressRangeSize, parseTargetSpec } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseTargetSpec("192.0.2.0/24");
 * assert.equal(spec.kind === "addresses" && addressRangeSize(spec.range), 256n);
 * ```
 */
export function addressRangeSize(range: AddressRange): bigint {
  return range.last - range.first + 1n;
}

function describeSize(count: bigint): string {
  let bits = 0;
  while (1n << BigInt(bits) < count) bits++;
  return 1n << BigInt(bits) === count ? `2^${bits}` : String(count);
}

function checkIpv6Size(range: AddressRange, text: string): void {
  if (
    range.family === 6 && addressRangeSize(range) > BigInt(MAX_IPV6_ADDRESSES)
  ) {
    throw new ParseError(
      "target",
      text,
      `${
        describeSize(addressRangeSize(range))
      } addresses, more than the 2^24 (a /104) an IPv6 target may hold: IPv6 space is too large to sweep, scan known addresses or a smaller block`,
    );
  }
}

function parseOneAddress(text: string, whole: string): {
  family: AddressFamily;
  value: bigint;
} {
  try {
    const parsed = parseAddress(text);
    return { family: parsed.family, value: addressToBigInt(parsed.bytes) };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new ParseError(
      "target",
      whole,
      error.message.replace(/^Cannot parse /, ""),
    );
  }
}

/**
 * Parse one target: an address, a CIDR block, a range of addresses, or a
 * host name (see the module documentation).
 *
 * @param text The target.
 * @returns The addresses it covers, or the name to resolve.
 * @throws {ParseError} For text that is none of these, a prefix out of
 *   range, a range whose ends differ in family or are reversed, and an IPv6
 *   target over {@linkcode MAX_IPV6_ADDRESSES} addresses.
 *
 * @example
 * ```ts
 * import { parseTargetSpec } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseTargetSpec("192.0.2.77/30"), {
 *   kind: "addresses",
 *   range: { family: 4, first: 0xc000024cn, last: 0xc000024fn },
 *   text: "192.0.2.77/30",
 * });
 * assert.equal(parseTargetSpec("scanme.example").kind, "name");
 * assert.throws(() => parseTargetSpec("2001:db8::/64"), /too large to sweep/);
 * assert.throws(() => parseTargetSpec("192.0.2.1:80"), /takes no port; the ports are given apart \(-p 80\)/);
 * ```
 */
export function parseTargetSpec(text: string): TargetSpec {
  const trimmed = text.trim();
  if (trimmed === "") throw new ParseError("target", text, "it is empty");
  // ADDRESS:PORT or [IPv6]:PORT, as other commands take it: not to be
  // mistaken for a broken IPv6 address.
  const withPort = /^(?:\[[^\]]*\]|[^:[\]]+):([0-9]*)$/.exec(trimmed);
  if (withPort !== null) {
    throw new ParseError(
      "target",
      text,
      `a target takes no port; the ports are given apart (-p ${
        withPort[1] || "PORTS"
      })`,
    );
  }
  const slash = trimmed.indexOf("/");
  if (slash >= 0) {
    const base = trimmed.slice(0, slash);
    const prefixText = trimmed.slice(slash + 1);
    if (HOST_NAME.test(base) && !/^[0-9.]+$/.test(base)) {
      throw new ParseError(
        "target",
        text,
        "a host name cannot take a prefix; give ADDRESS/PREFIX",
      );
    }
    const unbracketed = base.startsWith("[") && base.endsWith("]")
      ? base.slice(1, -1)
      : base;
    const { family, value } = parseOneAddress(unbracketed, text);
    const bits = family === 4 ? 32 : 128;
    if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      throw new ParseError(
        "target",
        text,
        `prefix "${prefixText}" is not a number in 0..${bits}`,
      );
    }
    const hostBits = BigInt(bits - Number(prefixText));
    const first = (value >> hostBits) << hostBits;
    const last = first + (1n << hostBits) - 1n;
    const range: AddressRange = { family, first, last };
    checkIpv6Size(range, text);
    return { kind: "addresses", range, text };
  }
  const dash = trimmed.indexOf("-");
  const looksLikeName = HOST_NAME.test(trimmed) && !trimmed.includes(":") &&
    !/^[0-9.-]+$/.test(trimmed);
  if (dash > 0 && !looksLikeName) {
    const a = parseOneAddress(trimmed.slice(0, dash), text);
    const b = parseOneAddress(trimmed.slice(dash + 1), text);
    if (a.family !== b.family) {
      throw new ParseError(
        "target",
        text,
        `the range starts with an IPv${a.family} address and ends with an IPv${b.family} one`,
      );
    }
    if (b.value < a.value) {
      throw new ParseError(
        "target",
        text,
        "the range ends before it starts",
      );
    }
    const range: AddressRange = {
      family: a.family,
      first: a.value,
      last: b.value,
    };
    checkIpv6Size(range, text);
    return { kind: "addresses", range, text };
  }
  const unbracketed = trimmed.startsWith("[") && trimmed.endsWith("]")
    ? trimmed.slice(1, -1)
    : trimmed;
  if (
    !unbracketed.includes(":") && !/^[0-9.]+$/.test(unbracketed) &&
    HOST_NAME.test(unbracketed)
  ) {
    return { kind: "name", name: unbracketed, text };
  }
  const { family, value } = parseOneAddress(unbracketed, text);
  return {
    kind: "addresses",
    range: { family, first: value, last: value },
    text,
  };
}

/**
 * Split the text of a targets file (or an exclude file) into targets: one
 * or more per line, separated by spaces, tabs or commas; `#` starts a
 * comment to the end of the line.
 *
 * @param text The file's contents.
 * @returns The targets, in order.
 *
 * @example
 * ```ts
 * import { parseTargetList } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   parseTargetList("# lab\n192.0.2.0/28, 192.0.2.99\n\n2001:db8::1 # router\n"),
 *   ["192.0.2.0/28", "192.0.2.99", "2001:db8::1"],
 * );
 * ```
 */
export function parseTargetList(text: string): string[] {
  const targets: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const hash = line.indexOf("#");
    const content = hash < 0 ? line : line.slice(0, hash);
    for (const word of content.split(/[\s,]+/)) {
      if (word !== "") targets.push(word);
    }
  }
  return targets;
}

/**
 * Parse a port list: `22,80,443`, `1-1024`, `-` (1-65535), `-1024`
 * (1-1024), `60000-` (60000-65535), or a mix. The result is sorted, with
 * overlapping and adjacent ranges merged.
 *
 * @param text The list.
 * @returns The ranges.
 * @throws {ParseError} For anything else, a port over 65535 or a reversed range.
 *
 * @example
 * ```ts
 * import { parsePorts, portCount } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parsePorts("443,22,80-90,81"), [
 *   { first: 22, last: 22 }, { first: 80, last: 90 }, { first: 443, last: 443 },
 * ]);
 * assert.equal(portCount(parsePorts("-")), 65535);
 * assert.throws(() => parsePorts("70000"), /70000 is not a port/);
 * ```
 */
export function parsePorts(text: string): PortRange[] {
  const fail = (reason: string): never => {
    throw new ParseError("ports", text, reason);
  };
  const trimmed = text.trim();
  if (trimmed === "") fail("the list is empty");
  const port = (digits: string, fallback: number): number => {
    if (digits === "") return fallback;
    if (!/^[0-9]{1,5}$/.test(digits) || Number(digits) > 65535) {
      return fail(`${digits} is not a port (0..65535)`);
    }
    return Number(digits);
  };
  const ranges: PortRange[] = [];
  for (const part of trimmed.split(",")) {
    const item = part.trim();
    if (item === "") fail("an empty item between commas");
    const dash = item.indexOf("-");
    if (dash < 0) {
      const value = port(item, -1);
      ranges.push({ first: value, last: value });
      continue;
    }
    const first = port(item.slice(0, dash), 1);
    const last = port(item.slice(dash + 1), 65535);
    if (last < first) fail(`the range ${item} ends before it starts`);
    ranges.push({ first, last });
  }
  return mergePortRanges(ranges);
}

/**
 * Sort port ranges and merge those that overlap or touch.
 *
 * @param ranges The ranges.
 * @returns New sorted, disjoint ranges.
 *
 * @example
 * ```ts
 * import { mergePortRanges } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   mergePortRanges([{ first: 5, last: 9 }, { first: 1, last: 4 }]),
 *   [{ first: 1, last: 9 }],
 * );
 * ```
 */
export function mergePortRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  const merged: PortRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range.first <= last.last + 1) {
      last.last = Math.max(last.last, range.last);
    } else {
      merged.push({ first: range.first, last: range.last });
    }
  }
  return merged;
}

/**
 * How many ports a list of ranges holds (counting overlaps once).
 *
 * @param ranges The ranges.
 * @returns The number of distinct ports.
 *
 * @example
 * ```ts
 * import { portCount } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(portCount([{ first: 1, last: 1024 }, { first: 1000, last: 1030 }]), 1030);
 * ```
 */
export function portCount(ranges: readonly PortRange[]): number {
  return mergePortRanges(ranges).reduce(
    (sum, range) => sum + range.last - range.first + 1,
    0,
  );
}

function compareRanges(a: AddressRange, b: AddressRange): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.first < b.first ? -1 : a.first > b.first ? 1 : 0;
}

/**
 * Sort address ranges (IPv4 first) and merge those of one family that
 * overlap or touch, so no address appears twice.
 *
 * @param ranges The ranges.
 * @returns New sorted, disjoint ranges.
 *
 * @example
 * ```ts
 * import { mergeAddressRanges } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   mergeAddressRanges([
 *     { family: 4, first: 10n, last: 20n },
 *     { family: 4, first: 0n, last: 10n },
 *     { family: 6, first: 0n, last: 0n },
 *   ]),
 *   [{ family: 4, first: 0n, last: 20n }, { family: 6, first: 0n, last: 0n }],
 * );
 * ```
 */
export function mergeAddressRanges(
  ranges: readonly AddressRange[],
): AddressRange[] {
  const sorted = [...ranges].sort(compareRanges);
  const merged: AddressRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (
      last !== undefined && last.family === range.family &&
      range.first <= last.last + 1n
    ) {
      if (range.last > last.last) last.last = range.last;
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

/**
 * Remove excluded addresses from address ranges.
 *
 * @param include The addresses to keep.
 * @param exclude The addresses to take out.
 * @returns Sorted, disjoint ranges: what is in `include` and not in `exclude`.
 *
 * @example
 * ```ts
 * import { subtractAddressRanges } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   subtractAddressRanges(
 *     [{ family: 4, first: 0n, last: 9n }],
 *     [{ family: 4, first: 3n, last: 4n }, { family: 6, first: 0n, last: 9n }],
 *   ),
 *   [{ family: 4, first: 0n, last: 2n }, { family: 4, first: 5n, last: 9n }],
 * );
 * ```
 */
export function subtractAddressRanges(
  include: readonly AddressRange[],
  exclude: readonly AddressRange[],
): AddressRange[] {
  const cuts = mergeAddressRanges(exclude);
  const result: AddressRange[] = [];
  for (const range of mergeAddressRanges(include)) {
    let pieces: AddressRange[] = [range];
    for (const cut of cuts) {
      if (cut.family !== range.family) continue;
      const next: AddressRange[] = [];
      for (const piece of pieces) {
        if (cut.last < piece.first || cut.first > piece.last) {
          next.push(piece);
          continue;
        }
        if (cut.first > piece.first) {
          next.push({ ...piece, last: cut.first - 1n });
        }
        if (cut.last < piece.last) {
          next.push({ ...piece, first: cut.last + 1n });
        }
      }
      pieces = next;
      if (pieces.length === 0) break;
    }
    result.push(...pieces);
  }
  return result;
}
