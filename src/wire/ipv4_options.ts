/**
 * IPv4 option lists (RFC 791 §3.1) as typed options, in wire order and
 * round-trip exact: {@linkcode encodeIpv4Options} writes a list (the header
 * encoder pads it with zeros to a multiple of 4), {@linkcode decodeIpv4Options}
 * reads one back. The kinds are the entries of `IPV4_OPTION_REGISTRY`.
 *
 * The IPv4 header model keeps its options as bytes (`Ipv4Header.options`);
 * these functions turn a typed list into those bytes and back, and
 * `makeTcpPacket` takes either.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import type { Ipv4Option, Ipv4OptionEntry } from "./ipv4_option_entry.ts";
import { IPV4_OPTION_REGISTRY } from "./ipv4_option_kinds.ts";
import { IPV4_MAX_OPTIONS_LENGTH } from "./ipv4_fields.ts";
import { lengthProblem } from "./tcp_option_entry.ts";

export * from "./ipv4_option_entry.ts";
export * from "./ipv4_option_kinds.ts";

const BY_NAME: ReadonlyMap<string, Ipv4OptionEntry<Ipv4Option>> = new Map(
  IPV4_OPTION_REGISTRY.map((entry) => [entry.name, entry]),
);
const BY_TYPE: ReadonlyMap<number, Ipv4OptionEntry<Ipv4Option>> = new Map(
  IPV4_OPTION_REGISTRY.flatMap((entry) =>
    entry.types.map((type) => [type, entry] as const)
  ),
);
const UNKNOWN = BY_NAME.get("unknown")!;
const RAW = BY_NAME.get("raw")!;
/** Where the IPv4 options start in the header, for offsets in messages. */
const OPTIONS_AT = 20;

/**
 * The registry entry of an option, by its `kind`.
 *
 * @param option The option.
 * @returns Its entry.
 * @throws {RangeError} For a kind no entry has.
 *
 * @example
 * ```ts
 * import { ipv4OptionEntry } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ipv4OptionEntry({ kind: "routerAlert", value: 0 }).types[0], 148);
 * ```
 */
export function ipv4OptionEntry(
  option: Ipv4Option,
): Ipv4OptionEntry<Ipv4Option> {
  const kind = (option as { kind?: unknown }).kind;
  const entry = typeof kind === "string" ? BY_NAME.get(kind) : undefined;
  if (entry === undefined) {
    throw new RangeError(
      `Cannot encode IPv4 option: unknown kind ${JSON.stringify(kind)}`,
    );
  }
  return entry;
}

/**
 * The registry entry that decodes an option type: its own, or `unknown`'s.
 *
 * @param type The type byte.
 * @returns The entry.
 *
 * @example
 * ```ts
 * import { ipv4OptionEntryOfType } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ipv4OptionEntryOfType(131).name, "looseSourceRoute");
 * assert.equal(ipv4OptionEntryOfType(25).name, "unknown");
 * ```
 */
export function ipv4OptionEntryOfType(
  type: number,
): Ipv4OptionEntry<Ipv4Option> {
  return BY_TYPE.get(type) ?? UNKNOWN;
}

/**
 * The length of one option on the wire, once its values are checked.
 *
 * @param option The option.
 * @returns Its length in bytes.
 * @throws {RangeError} For a value out of range.
 *
 * @example
 * ```ts
 * import { ipv4OptionLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ipv4OptionLength({ kind: "recordRoute", addresses: ["0.0.0.0", "0.0.0.0"] }), 11);
 * ```
 */
export function ipv4OptionLength(option: Ipv4Option): number {
  const entry = ipv4OptionEntry(option);
  entry.check(option);
  const form = entry.length.form;
  if (form === "single") return 1;
  if (form === "verbatim") return entry.bodyLength(option);
  return 2 + entry.bodyLength(option);
}

/**
 * Whether an option is copied into every fragment (the copied flag, the
 * top bit of its type, RFC 791): source routes, security and router alert
 * are; record route and timestamp are not.
 *
 * @param type The option type.
 * @returns True when copied.
 *
 * @example
 * ```ts
 * import { ipv4OptionCopied } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ipv4OptionCopied(131), true);
 * assert.equal(ipv4OptionCopied(7), false);
 * ```
 */
export function ipv4OptionCopied(type: number): boolean {
  return (type & 0x80) !== 0;
}

/**
 * Encode IPv4 options in the order given, without padding.
 *
 * @param options The options.
 * @returns The bytes.
 * @throws {RangeError} For a value out of range, or more than 40 bytes.
 *
 * @example A record route with three slots, then a router alert
 * ```ts
 * import { encodeIpv4Options, formatHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeIpv4Options([
 *   { kind: "recordRoute", addresses: ["0.0.0.0", "0.0.0.0", "0.0.0.0"] },
 *   { kind: "routerAlert", value: 0 },
 * ]);
 * assert.equal(formatHex(bytes), "070f04000000000000000000000000" + "94040000");
 * ```
 */
export function encodeIpv4Options(options: readonly Ipv4Option[]): Uint8Array {
  const lengths = options.map(ipv4OptionLength);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total > IPV4_MAX_OPTIONS_LENGTH) {
    throw new RangeError(
      `Cannot encode IPv4 options: the options take ${total} bytes, more than the ${IPV4_MAX_OPTIONS_LENGTH} an IPv4 header holds`,
    );
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  options.forEach((option, i) => {
    const entry = ipv4OptionEntry(option);
    const length = lengths[i]!;
    const form = entry.length.form;
    if (form === "verbatim") {
      entry.encode(option, bytes.subarray(at, at + length));
    } else {
      bytes[at] = entry.type(option);
      if (form !== "single") {
        bytes[at + 1] = length;
        entry.encode(option, bytes.subarray(at + 2, at + length));
      }
    }
    at += length;
  });
  return bytes;
}

/** Options for {@linkcode decodeIpv4Options}. */
export interface DecodeIpv4OptionsOptions {
  /** Never throw: the rest of an area that does not parse becomes one `raw` option. */
  lenient?: boolean;
}

/** An option decoded, with where it was. */
export interface DecodedIpv4OptionAt {
  /** The option. */
  option: Ipv4Option;
  /** Its offset in the option area. */
  offset: number;
  /** Its length in bytes. */
  length: number;
}

/** What {@linkcode decodeIpv4Options} returns. */
export interface DecodedIpv4Options {
  /** The options, in wire order (an end-of-list option included). */
  options: Ipv4Option[];
  /** Each option with its offset and length, in the same order. */
  located: DecodedIpv4OptionAt[];
  /** The bytes after an end-of-list option, when any are not zero. */
  padding?: Uint8Array;
}

/** Whether the bytes from `p` are the zero padding an encoder adds after options ending at `p`. */
function isPadding(bytes: Uint8Array, p: number): boolean {
  return bytes.length - p === (4 - (p % 4)) % 4 &&
    bytes.subarray(p).every((b) => b === 0);
}

/** Why the option at `p` cannot be read, or undefined. */
function problem(
  bytes: Uint8Array,
  p: number,
  entry: Ipv4OptionEntry<Ipv4Option>,
): string | undefined {
  const length = bytes[p + 1];
  if (length === undefined) return "has no length byte";
  if (length < 2) return `has length ${length}, less than 2`;
  if (p + length > bytes.length) {
    return `has length ${length}, past the end of the options`;
  }
  const wrong = lengthProblem(entry.length, length);
  return wrong === undefined ? undefined : `has length ${length}, ${wrong}`;
}

/**
 * Decode an IPv4 option area (the header bytes after the first 20). The
 * zero bytes an encoder pads the options with to a multiple of 4 are left
 * out; any other end-of-list option is kept and ends the list, and the
 * bytes after it are returned as `padding` unless they are that padding.
 *
 * @param bytes The option area.
 * @param options `lenient` to never throw.
 * @returns The options, located, and any padding.
 * @throws {DecodeError} Unless lenient, with layer `IPv4 options`, for an
 *   option whose length is missing, under 2, past the end, or wrong for its
 *   type, or whose data does not make whole entries.
 *
 * @example A loose source route
 * ```ts
 * import { decodeIpv4Options, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { options } = decodeIpv4Options(parseHex("830b04 c6336407 cb007109 00"));
 * // The last byte is the zero padding to 12 bytes.
 * assert.deepEqual(options, [
 *   { kind: "looseSourceRoute", pointer: 4, addresses: ["198.51.100.7", "203.0.113.9"] },
 * ]);
 * ```
 */
export function decodeIpv4Options(
  bytes: Uint8Array,
  options: DecodeIpv4OptionsOptions = {},
): DecodedIpv4Options {
  const lenient = options.lenient ?? false;
  const result: DecodedIpv4Options = { options: [], located: [] };
  const push = (option: Ipv4Option, offset: number, length: number) => {
    result.options.push(option);
    result.located.push({ option, offset, length });
  };
  let p = 0;
  while (p < bytes.length) {
    const type = bytes[p]!;
    const entry = ipv4OptionEntryOfType(type);
    if (entry.length.form === "single") {
      if (type === 0 && isPadding(bytes, p)) break;
      push(entry.decode(new Uint8Array(), type) as Ipv4Option, p, 1);
      p++;
      if (type === 0) {
        // What follows an end-of-list option is padding.
        if (p < bytes.length && !isPadding(bytes, p)) {
          result.padding = bytes.slice(p);
        }
        break;
      }
      continue;
    }
    const why = problem(bytes, p, entry);
    const length = bytes[p + 1] ?? 0;
    const decoded = why === undefined
      ? entry.decode(bytes.subarray(p + 2, p + length), type)
      : why;
    if (typeof decoded === "string") {
      if (lenient) {
        push(
          RAW.decode(bytes.subarray(p), type) as Ipv4Option,
          p,
          bytes.length - p,
        );
        break;
      }
      const name = entry === UNKNOWN
        ? `type ${type}`
        : `${entry.name} (type ${type})`;
      throw new DecodeError(
        `option ${name} at offset ${OPTIONS_AT + p} ${decoded}`,
        { kind: "malformed", layer: "IPv4 options", offset: OPTIONS_AT + p },
      );
    }
    push(decoded, p, length);
    p += length;
  }
  return result;
}
