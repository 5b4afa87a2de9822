/**
 * TCP options (RFC 9293 §3.2 and the registries that extend it), as a
 * discriminated union on `kind`, in wire order, round-trip exact.
 *
 * {@linkcode encodeTcpOptions} writes a list of options without padding;
 * {@linkcode decodeTcpOptions} reads an option area back. What follows an
 * end-of-list option is kept whenever it is not exactly the zero padding an
 * encoder adds, so `encode(decode(bytes))` gives back the same bytes. A
 * lenient decode turns the first option it cannot parse, and everything
 * after it, into one `raw` option instead of throwing.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { TCP_HEADER_FIELDS } from "./tcp_fields.ts";
import {
  lengthProblem,
  type TcpOptionEntry,
  type TcpOptionLengthRule,
} from "./tcp_option_entry.ts";
import { TCP_OPTION_REGISTRY, type TcpOption } from "./tcp_option_kinds.ts";

// The option models moved to the registry's files; they are also exported
// here, where they were defined before.
export type {
  EolOption,
  MssOption,
  NopOption,
  SackBlock,
  SackOption,
  SackPermittedOption,
  TcpOption,
  TimestampOption,
  WindowScaleOption,
} from "./tcp_option_kinds.ts";
export type {
  ExperimentalOption,
  FastOpenOption,
  Md5Option,
  MptcpOption,
  TcpAoOption,
  UserTimeoutOption,
} from "./tcp_option_extensions.ts";
export type { RawOption, UnknownOption } from "./tcp_option_fallbacks.ts";
export { TCP_OPTION_MAX_BODY } from "./tcp_option_entry.ts";

const BY_NAME: ReadonlyMap<string, TcpOptionEntry<TcpOption>> = new Map(
  TCP_OPTION_REGISTRY.map((entry) => [entry.name, entry]),
);
const BY_KIND: ReadonlyMap<number, TcpOptionEntry<TcpOption>> = new Map(
  TCP_OPTION_REGISTRY.flatMap((entry) =>
    Object.values(entry.kinds).map((kind) => [kind, entry] as const)
  ),
);
/**
 * Every option but a one-byte one starts with its kind and its length
 * (RFC 9293 §3.2): the length byte, then the body.
 */
const LENGTH_AT = 1;
const BODY_AT = 2;

/** The kind number of each entry that has exactly one. */
const SOLE_KIND: ReadonlyMap<TcpOptionEntry<TcpOption>, number> = new Map(
  TCP_OPTION_REGISTRY.flatMap((entry) => {
    const kinds = Object.values(entry.kinds);
    return kinds.length === 1 ? [[entry, kinds[0]!] as const] : [];
  }),
);

/** The entry for bytes that are not a well-formed option (`raw`). */
const MALFORMED = TCP_OPTION_REGISTRY.find((entry) =>
  entry.length.form === "verbatim"
)!;
/** The entry for kind numbers no other entry claims (`unknown`). */
const OTHER = TCP_OPTION_REGISTRY.find((entry) =>
  entry !== MALFORMED && Object.keys(entry.kinds).length === 0
)!;

/**
 * Option kind numbers (IANA "TCP Option Kind Numbers"), from the entries
 * of `TCP_OPTION_REGISTRY`, in numeric order.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_KINDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_OPTION_KINDS.mss, 2);
 * assert.equal(TCP_OPTION_KINDS.timestamp, 8);
 * ```
 */
export const TCP_OPTION_KINDS: Readonly<{
  eol: 0;
  nop: 1;
  mss: 2;
  wscale: 3;
  sackOk: 4;
  sack: 5;
  timestamp: 8;
  md5: 19;
  userTimeout: 28;
  tcpAo: 29;
  mptcp: 30;
  fastOpen: 34;
  experimental1: 253;
  experimental2: 254;
}> = Object.freeze(
  Object.fromEntries(
    TCP_OPTION_REGISTRY.flatMap((entry) => Object.entries(entry.kinds))
      .sort(([, a], [, b]) => a - b),
  ),
) as typeof TCP_OPTION_KINDS;

/**
 * The length on the wire (kind and length bytes included) that each
 * fixed-length option must have: the `exact` length rules of
 * `TCP_OPTION_REGISTRY`. A strict decode refuses any other.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_LENGTHS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_OPTION_LENGTHS.timestamp, 10);
 * ```
 */
export const TCP_OPTION_LENGTHS: Readonly<{
  mss: 4;
  wscale: 3;
  sackOk: 2;
  timestamp: 10;
  md5: 18;
  userTimeout: 4;
}> = Object.freeze(
  Object.fromEntries(
    TCP_OPTION_REGISTRY.flatMap((entry) =>
      entry.length.form === "exact" ? [[entry.name, entry.length.length]] : []
    ),
  ),
) as typeof TCP_OPTION_LENGTHS;

/** Options for {@linkcode decodeTcpOptions}. */
export interface DecodeTcpOptionsOptions {
  /**
   * Never throw: from the first option that cannot be parsed onward, the rest
   * of the option area becomes one `{ kind: "raw", bytes }` option, which
   * encodes back to the same bytes. Default false.
   */
  lenient?: boolean;
  /**
   * Where the bytes start within the TCP header, so that error messages and
   * {@linkcode DecodeError.offset} count from the start of the header.
   * Default 20, where the option area of every TCP header starts.
   */
  offset?: number;
}

/** What {@linkcode decodeTcpOptions} returns. */
export interface DecodedTcpOptions {
  /** The options in wire order. */
  options: TcpOption[];
  /**
   * The bytes after an end-of-list option, verbatim, when they are not
   * exactly the zero padding an encoder adds itself. Absent when there are
   * none.
   */
  padding?: Uint8Array;
}

/**
 * The registry entry of an option, found by its `kind`.
 *
 * @param option The option.
 * @returns Its entry in `TCP_OPTION_REGISTRY`.
 * @throws {RangeError} For a `kind` no entry has:
 * `Cannot encode TCP option: unknown kind "bogus"`.
 *
 * @example
 * ```ts
 * import { tcpOptionEntry } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const option = { kind: "wscale", shift: 7 } as const;
 * assert.equal(tcpOptionEntry(option).tcpdump(option), "wscale 7");
 * ```
 */
export function tcpOptionEntry(option: TcpOption): TcpOptionEntry<TcpOption> {
  const entry = BY_NAME.get((option as { kind?: unknown }).kind as string);
  if (entry === undefined) {
    const kind = (option as { kind?: unknown }).kind;
    throw new RangeError(
      `Cannot encode TCP option: unknown kind ${JSON.stringify(kind)}`,
    );
  }
  return entry;
}

/**
 * The registry entry that decodes an option kind number: its own, or for a
 * number no entry names, the entry of `unknown` options.
 *
 * @param type The kind number, 0..255.
 * @returns Its entry in `TCP_OPTION_REGISTRY`.
 *
 * @example
 * ```ts
 * import { tcpOptionEntryOfKind } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpOptionEntryOfKind(8).name, "timestamp");
 * assert.equal(tcpOptionEntryOfKind(99).name, "unknown");
 * assert.deepEqual(tcpOptionEntryOfKind(99).explanation.label(99), ["Kind 99", "K99"]);
 * ```
 */
export function tcpOptionEntryOfKind(
  type: number,
): TcpOptionEntry<TcpOption> {
  return BY_KIND.get(type) ?? OTHER;
}

/**
 * The kind number an option is written with (for `raw` bytes, their first
 * byte, or 0 when there are none).
 *
 * @param option The option.
 * @returns The kind number.
 *
 * @example
 * ```ts
 * import { tcpOptionType } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpOptionType({ kind: "sackOk" }), 4);
 * assert.equal(tcpOptionType({ kind: "unknown", type: 99, data: new Uint8Array() }), 99);
 * ```
 */
export function tcpOptionType(option: TcpOption): number {
  const entry = tcpOptionEntry(option);
  return entry.type?.(option) ?? SOLE_KIND.get(entry)!;
}

/** The wire length of an option, by its entry's rule, once checked. */
function wireLength(
  rule: TcpOptionLengthRule,
  entry: TcpOptionEntry<TcpOption>,
  option: TcpOption,
): number {
  switch (rule.form) {
    case "single":
      return 1;
    case "exact":
      return rule.length;
    case "verbatim":
      return entry.bodyLength!(option);
    default:
      return 2 + entry.bodyLength!(option);
  }
}

/**
 * The length of one option on the wire, kind and length bytes included,
 * once its values are checked.
 *
 * @param option The option.
 * @returns Its length in bytes.
 * @throws {RangeError} When the option holds a value out of range, as
 * {@linkcode encodeTcpOptions} would.
 *
 * @example
 * ```ts
 * import { tcpOptionLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpOptionLength({ kind: "sack", blocks: [[1, 2], [3, 4]] }), 18);
 * ```
 */
export function tcpOptionLength(option: TcpOption): number {
  const entry = tcpOptionEntry(option);
  entry.check(option);
  return wireLength(entry.length, entry, option);
}

/**
 * The number of bytes {@linkcode encodeTcpOptions} writes for these options,
 * without padding.
 *
 * @param options The options in wire order.
 * @returns Their length in bytes.
 * @throws {RangeError} When an option holds a value out of range, as
 * {@linkcode encodeTcpOptions} would.
 *
 * @example
 * ```ts
 * import { tcpOptionsLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpOptionsLength([{ kind: "mss", value: 1460 }, { kind: "nop" }]), 5);
 * ```
 */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let length = 0;
  for (const option of options) length += tcpOptionLength(option);
  return length;
}

/** Write one checked option of `length` bytes at `at`. */
function writeOption(
  option: TcpOption,
  length: number,
  target: Uint8Array,
  at: number,
): void {
  const entry = tcpOptionEntry(option);
  switch (entry.length.form) {
    case "verbatim":
      entry.encode(option, target.subarray(at, at + length));
      return;
    case "single":
      target[at] = tcpOptionType(option);
      return;
    default:
      target[at] = tcpOptionType(option);
      target[at + LENGTH_AT] = length;
      entry.encode(option, target.subarray(at + BODY_AT, at + length));
  }
}

/**
 * Encode TCP options in the order given, without padding (the TCP header
 * encoder pads the option area to a multiple of 4 bytes).
 *
 * `raw` options are written verbatim, `unknown` ones as type, length
 * (2 + data length) and data, `experimental` ones as type, length, the
 * 16-bit ExID and data.
 *
 * @param options The options in wire order.
 * @returns The encoded bytes.
 * @throws {RangeError} When a value is out of range for its option, for
 * example `Cannot encode TCP option mss: value 70000 is not in 0..65535`, or
 * a body is longer than 253 bytes.
 *
 * @example A SYN's options as Linux sends them
 * ```ts
 * import { encodeTcpOptions } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeTcpOptions([
 *   { kind: "mss", value: 1460 },
 *   { kind: "sackOk" },
 *   { kind: "timestamp", value: 1, echo: 0 },
 *   { kind: "nop" },
 *   { kind: "wscale", shift: 7 },
 * ]);
 * assert.deepEqual(
 *   bytes,
 *   new Uint8Array([2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]),
 * );
 * ```
 */
export function encodeTcpOptions(options: readonly TcpOption[]): Uint8Array {
  const lengths = options.map(tcpOptionLength);
  let total = 0;
  for (const length of lengths) total += length;
  const bytes = new Uint8Array(total);
  let at = 0;
  options.forEach((option, i) => {
    const length = lengths[i]!;
    writeOption(option, length, bytes, at);
    at += length;
  });
  return bytes;
}

/** `option mss (kind 2)`, or `option kind 99` for a kind no entry names. */
function describeKind(type: number): string {
  const entry = tcpOptionEntryOfKind(type);
  return entry === OTHER
    ? `option kind ${type}`
    : `option ${entry.name} (kind ${type})`;
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== 0) return false;
  }
  return true;
}

/**
 * What an end-of-list option at `p` leaves: nothing when it and what
 * follows are the zero padding an encoder adds; the option alone when the
 * rest is that padding; else the option and the rest, verbatim.
 */
function endOfList(
  bytes: Uint8Array,
  p: number,
  list: TcpOption[],
  eol: TcpOption,
): DecodedTcpOptions {
  const end = bytes.length;
  if (end - p === (4 - (p % 4)) % 4 && allZero(bytes, p)) {
    return { options: list };
  }
  list.push(eol);
  const after = p + 1;
  if (
    after === end ||
    (end - after === (4 - (after % 4)) % 4 && allZero(bytes, after))
  ) {
    return { options: list };
  }
  return { options: list, padding: bytes.slice(after) };
}

/** Why the option at `p` cannot be read, or undefined when it can. */
function optionProblem(
  bytes: Uint8Array,
  p: number,
  base: number,
  rule: TcpOptionLengthRule,
): string | undefined {
  const end = bytes.length;
  const length = bytes[p + LENGTH_AT];
  if (length === undefined) {
    return `has no length byte: the options end at offset ${base + end}`;
  }
  if (length < 2) return `has length ${length}, less than 2`;
  if (p + length > end) {
    return `has length ${length}, past the end of the options at offset ${
      base + end
    }`;
  }
  const expected = lengthProblem(rule, length);
  return expected === undefined
    ? undefined
    : `has length ${length}, ${expected}`;
}

/**
 * Decode a TCP option area: the bytes between the fixed 20-byte header and
 * the data offset.
 *
 * Padding: an encoder pads `n` bytes of options with `(4 - n % 4) % 4` zero
 * bytes. Where the area holds exactly the padding an encoder would have
 * added, the decoder leaves it implicit, and otherwise keeps every byte:
 * - an end-of-list option (kind 0) at position `p` followed by zeros to the
 *   end of the area, `(4 - p % 4) % 4` bytes in all counting itself, is
 *   padding: it appears neither in `options` nor as `padding`;
 * - otherwise `{ kind: "eol" }` ends the list, and the bytes after it are
 *   returned verbatim as `padding`, unless they are the zero padding for
 *   options ending with that end-of-list option (3 zero bytes after an
 *   end-of-list option at a multiple of 4, nothing else).
 *
 * So encoding the result (options, then padding, then zeros to a multiple
 * of 4) always gives back the same bytes, and decoding what the encoder
 * wrote gives back its model, except for the one ambiguity the wire cannot
 * resolve: an end-of-list option written where the padding goes.
 *
 * Every byte array in the result is a copy: it does not share memory with
 * `bytes`.
 *
 * @param bytes The option area.
 * @param options `lenient` to never throw; `offset`, where `bytes` start in
 * the TCP header (default 20), for the offsets in error messages.
 * @returns The options and the padding after an end-of-list option, if any.
 * @throws {DecodeError} Unless lenient, with kind `malformed` and layer
 * `TCP options`, for an option whose length byte is missing, below 2, runs
 * past the end of the area, or is wrong for its kind (mss 4, wscale 3,
 * sackOk 2, sack 2 + 8n, timestamp 10, md5 18, userTimeout 4, tcpAo and
 * experimental at least 4).
 *
 * @example Options of a SYN-ACK, then an option with a bad length
 * ```ts
 * import { DecodeError, decodeTcpOptions } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { options } = decodeTcpOptions(new Uint8Array([2, 4, 5, 180, 1, 1, 4, 2]));
 * assert.deepEqual(options, [
 *   { kind: "mss", value: 1460 },
 *   { kind: "nop" },
 *   { kind: "nop" },
 *   { kind: "sackOk" },
 * ]);
 *
 * const bad = new Uint8Array([1, 2, 5, 5, 180, 0, 0, 0]);
 * assert.throws(() => decodeTcpOptions(bad), (error) => {
 *   assert.ok(error instanceof DecodeError);
 *   assert.equal(
 *     error.message,
 *     "Cannot decode TCP options: option mss (kind 2) at offset 21 has length 5, expected 4",
 *   );
 *   return true;
 * });
 * assert.deepEqual(decodeTcpOptions(bad, { lenient: true }).options, [
 *   { kind: "nop" },
 *   { kind: "raw", bytes: new Uint8Array([2, 5, 5, 180, 0, 0, 0]) },
 * ]);
 * ```
 */
export function decodeTcpOptions(
  bytes: Uint8Array,
  options: DecodeTcpOptionsOptions = {},
): DecodedTcpOptions {
  const lenient = options.lenient ?? false;
  const base = options.offset ?? TCP_HEADER_FIELDS.options.byteOffset;
  const list: TcpOption[] = [];
  let p = 0;
  while (p < bytes.length) {
    const type = bytes[p]!;
    const entry = tcpOptionEntryOfKind(type);
    if (entry.length.form === "single") {
      const option = entry.decode(bytes.subarray(p + 1, p + 1), type);
      if (entry.endsList) {
        return endOfList(bytes, p, list, option);
      }
      list.push(option);
      p++;
      continue;
    }
    const problem = optionProblem(bytes, p, base, entry.length);
    if (problem !== undefined) {
      if (lenient) {
        list.push(MALFORMED.decode(bytes.subarray(p), type));
        return { options: list };
      }
      throw new DecodeError(
        `${describeKind(type)} at offset ${base + p} ${problem}`,
        { kind: "malformed", layer: "TCP options", offset: base + p },
      );
    }
    const length = bytes[p + LENGTH_AT]!;
    list.push(entry.decode(bytes.subarray(p + BODY_AT, p + length), type));
    p += length;
  }
  return { options: list };
}
