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

/**
 * Option kind numbers (IANA "TCP Option Kind Numbers").
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
  {
    eol: 0,
    nop: 1,
    mss: 2,
    wscale: 3,
    sackOk: 4,
    sack: 5,
    timestamp: 8,
    md5: 19,
    userTimeout: 28,
    tcpAo: 29,
    mptcp: 30,
    fastOpen: 34,
    experimental1: 253,
    experimental2: 254,
  } as const,
);

/** End of option list (kind 0, one byte). */
export interface EolOption {
  /** The discriminant: `"eol"`. */
  kind: "eol";
}
/** No-operation (kind 1, one byte). */
export interface NopOption {
  /** The discriminant: `"nop"`. */
  kind: "nop";
}
/** Maximum segment size (kind 2, length 4). */
export interface MssOption {
  /** The discriminant: `"mss"`. */
  kind: "mss";
  /** 0..65535 */
  value: number;
}
/** Window scale (kind 3, length 3, RFC 7323). */
export interface WindowScaleOption {
  /** The discriminant: `"wscale"`. */
  kind: "wscale";
  /** Shift count 0..255 (RFC 7323 caps the effect at 14; larger values are representable). */
  shift: number;
}
/** SACK permitted (kind 4, length 2, RFC 2018). */
export interface SackPermittedOption {
  /** The discriminant: `"sackOk"`. */
  kind: "sackOk";
}
/** One SACK block: left edge and right edge, 32-bit sequence numbers. */
export type SackBlock = readonly [left: number, right: number];
/** Selective acknowledgment (kind 5, length 2 + 8n, RFC 2018). */
export interface SackOption {
  /** The discriminant: `"sack"`. */
  kind: "sack";
  /** The blocks in wire order, at most 31 (4 fit in a 40-byte option area). */
  blocks: SackBlock[];
}
/** Timestamps (kind 8, length 10, RFC 7323). */
export interface TimestampOption {
  /** The discriminant: `"timestamp"`. */
  kind: "timestamp";
  /** TSval, 32 bits. */
  value: number;
  /** TSecr, 32 bits. */
  echo: number;
}
/** TCP MD5 signature (kind 19, length 18, RFC 2385). */
export interface Md5Option {
  /** The discriminant: `"md5"`. */
  kind: "md5";
  /** 16 bytes. */
  digest: Uint8Array;
}
/** User timeout (kind 28, length 4, RFC 5482). */
export interface UserTimeoutOption {
  /** The discriminant: `"userTimeout"`. */
  kind: "userTimeout";
  /** The G bit: `"minutes"` when set, `"seconds"` when clear. */
  granularity: "seconds" | "minutes";
  /** 15-bit timeout value. */
  timeout: number;
}
/** TCP Authentication Option (kind 29, RFC 5925). */
export interface TcpAoOption {
  /** The discriminant: `"tcpAo"`. */
  kind: "tcpAo";
  /** KeyID of the MKT used for this segment, 0..255. */
  keyId: number;
  /** RNextKeyID: the KeyID the sender wants to receive, 0..255. */
  rNextKeyId: number;
  /** The MAC, any length up to 251 bytes. */
  mac: Uint8Array;
}
/** Multipath TCP (kind 30, RFC 8684): the body after kind and length, raw. */
export interface MptcpOption {
  /** The discriminant: `"mptcp"`. */
  kind: "mptcp";
  /** The bytes after kind and length (subtype first), up to 253. */
  data: Uint8Array;
}
/** TCP Fast Open cookie (kind 34, RFC 7413); an empty cookie is a cookie request. */
export interface FastOpenOption {
  /** The discriminant: `"fastOpen"`. */
  kind: "fastOpen";
  /** 0 or 4..16 bytes (any length up to 253 is representable). */
  cookie: Uint8Array;
}
/** Experimental option (kind 253 or 254) with a 16-bit ExID (RFC 6994). */
export interface ExperimentalOption {
  /** The discriminant: `"experimental"`. */
  kind: "experimental";
  /** The option kind: 253 or 254. */
  type: 253 | 254;
  /** 16-bit experiment identifier. */
  exid: number;
  /** Bytes after the ExID. */
  data: Uint8Array;
}
/** Any other option: kind, then length = 2 + data.length, then data. */
export interface UnknownOption {
  /** The discriminant: `"unknown"`. */
  kind: "unknown";
  /** The option kind, 0..255. */
  type: number;
  /** The bytes after kind and length, up to 253. */
  data: Uint8Array;
}
/**
 * Bytes written verbatim into the option area, for crafting malformed
 * options (a length of 0 or 1, a length past the end). A lenient decoder
 * returns the rest of an option area it cannot parse as one of these.
 */
export interface RawOption {
  /** The discriminant: `"raw"`. */
  kind: "raw";
  /** The bytes, written as they are. */
  bytes: Uint8Array;
}

/** One TCP option. */
export type TcpOption =
  | EolOption
  | NopOption
  | MssOption
  | WindowScaleOption
  | SackPermittedOption
  | SackOption
  | TimestampOption
  | Md5Option
  | UserTimeoutOption
  | TcpAoOption
  | MptcpOption
  | FastOpenOption
  | ExperimentalOption
  | UnknownOption
  | RawOption;

/**
 * The length on the wire (kind and length bytes included) that each
 * fixed-length option must have. A strict decode refuses any other.
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
  {
    mss: 4,
    wscale: 3,
    sackOk: 2,
    timestamp: 10,
    md5: 18,
    userTimeout: 4,
  } as const,
);

/**
 * The longest body an option can carry: its length byte counts the kind and
 * length bytes too, so 255 - 2.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_MAX_BODY } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_OPTION_MAX_BODY, 253);
 * ```
 */
export const TCP_OPTION_MAX_BODY = 253;

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

const KIND_NAMES: Readonly<Record<number, string>> = Object.freeze({
  2: "mss",
  3: "wscale",
  4: "sackOk",
  5: "sack",
  8: "timestamp",
  19: "md5",
  28: "userTimeout",
  29: "tcpAo",
  30: "mptcp",
  34: "fastOpen",
  253: "experimental",
  254: "experimental",
});

function encodeFail(kind: string, reason: string): never {
  throw new RangeError(`Cannot encode TCP option ${kind}: ${reason}`);
}

function checkInteger(
  kind: string,
  field: string,
  value: number,
  max: number,
): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    encodeFail(kind, `${field} ${value} is not in 0..${max}`);
  }
}

function checkBytes(
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

/** Validate one option and return its length on the wire. */
function measure(option: TcpOption): number {
  switch (option.kind) {
    case "eol":
    case "nop":
      return 1;
    case "mss":
      checkInteger("mss", "value", option.value, 0xffff);
      return 4;
    case "wscale":
      checkInteger("wscale", "shift", option.shift, 0xff);
      return 3;
    case "sackOk":
      return 2;
    case "sack": {
      if (!Array.isArray(option.blocks)) {
        encodeFail("sack", "blocks is not an array");
      }
      const body = option.blocks.length * 8;
      if (body > TCP_OPTION_MAX_BODY) {
        encodeFail(
          "sack",
          `${option.blocks.length} blocks make a body of ${body} bytes, more than ${TCP_OPTION_MAX_BODY}`,
        );
      }
      option.blocks.forEach(([left, right], i) => {
        checkInteger("sack", `block ${i} left edge`, left, 0xffffffff);
        checkInteger("sack", `block ${i} right edge`, right, 0xffffffff);
      });
      return 2 + body;
    }
    case "timestamp":
      checkInteger("timestamp", "value", option.value, 0xffffffff);
      checkInteger("timestamp", "echo", option.echo, 0xffffffff);
      return 10;
    case "md5":
      if (!(option.digest instanceof Uint8Array)) {
        encodeFail("md5", "digest is not a Uint8Array");
      }
      if (option.digest.length !== 16) {
        encodeFail(
          "md5",
          `digest is ${option.digest.length} bytes, expected 16`,
        );
      }
      return 18;
    case "userTimeout":
      if (
        option.granularity !== "seconds" && option.granularity !== "minutes"
      ) {
        encodeFail(
          "userTimeout",
          `granularity "${option.granularity}" is not "seconds" or "minutes"`,
        );
      }
      checkInteger("userTimeout", "timeout", option.timeout, 0x7fff);
      return 4;
    case "tcpAo":
      checkInteger("tcpAo", "keyId", option.keyId, 0xff);
      checkInteger("tcpAo", "rNextKeyId", option.rNextKeyId, 0xff);
      checkBytes("tcpAo", "mac", option.mac, TCP_OPTION_MAX_BODY - 2);
      return 4 + option.mac.length;
    case "mptcp":
      checkBytes("mptcp", "data", option.data, TCP_OPTION_MAX_BODY);
      return 2 + option.data.length;
    case "fastOpen":
      checkBytes("fastOpen", "cookie", option.cookie, TCP_OPTION_MAX_BODY);
      return 2 + option.cookie.length;
    case "experimental":
      if (option.type !== 253 && option.type !== 254) {
        encodeFail("experimental", `type ${option.type} is not 253 or 254`);
      }
      checkInteger("experimental", "exid", option.exid, 0xffff);
      checkBytes("experimental", "data", option.data, TCP_OPTION_MAX_BODY - 2);
      return 4 + option.data.length;
    case "unknown":
      checkInteger("unknown", "type", option.type, 0xff);
      checkBytes("unknown", "data", option.data, TCP_OPTION_MAX_BODY);
      return 2 + option.data.length;
    case "raw":
      if (!(option.bytes instanceof Uint8Array)) {
        encodeFail("raw", "bytes is not a Uint8Array");
      }
      return option.bytes.length;
    default: {
      const kind = (option as { kind?: unknown }).kind;
      throw new RangeError(
        `Cannot encode TCP option: unknown kind ${JSON.stringify(kind)}`,
      );
    }
  }
}

function write16(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 8;
  target[at + 1] = value & 0xff;
}

function write32(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = (value >>> 16) & 0xff;
  target[at + 2] = (value >>> 8) & 0xff;
  target[at + 3] = value & 0xff;
}

function read16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function read32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) |
    (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Write one validated option of `length` bytes at `at`. */
function writeOption(
  option: TcpOption,
  length: number,
  target: Uint8Array,
  at: number,
): void {
  const head = (type: number) => {
    target[at] = type;
    target[at + 1] = length;
  };
  switch (option.kind) {
    case "eol":
      target[at] = 0;
      return;
    case "nop":
      target[at] = 1;
      return;
    case "mss":
      head(2);
      write16(target, at + 2, option.value);
      return;
    case "wscale":
      head(3);
      target[at + 2] = option.shift;
      return;
    case "sackOk":
      head(4);
      return;
    case "sack":
      head(5);
      option.blocks.forEach(([left, right], i) => {
        write32(target, at + 2 + 8 * i, left);
        write32(target, at + 6 + 8 * i, right);
      });
      return;
    case "timestamp":
      head(8);
      write32(target, at + 2, option.value);
      write32(target, at + 6, option.echo);
      return;
    case "md5":
      head(19);
      target.set(option.digest, at + 2);
      return;
    case "userTimeout":
      head(28);
      write16(
        target,
        at + 2,
        (option.granularity === "minutes" ? 0x8000 : 0) | option.timeout,
      );
      return;
    case "tcpAo":
      head(29);
      target[at + 2] = option.keyId;
      target[at + 3] = option.rNextKeyId;
      target.set(option.mac, at + 4);
      return;
    case "mptcp":
      head(30);
      target.set(option.data, at + 2);
      return;
    case "fastOpen":
      head(34);
      target.set(option.cookie, at + 2);
      return;
    case "experimental":
      head(option.type);
      write16(target, at + 2, option.exid);
      target.set(option.data, at + 4);
      return;
    case "unknown":
      head(option.type);
      target.set(option.data, at + 2);
      return;
    case "raw":
      target.set(option.bytes, at);
      return;
  }
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
  for (const option of options) length += measure(option);
  return length;
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
  const lengths = options.map(measure);
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

function describeKind(type: number): string {
  const name = KIND_NAMES[type];
  return name === undefined
    ? `option kind ${type}`
    : `option ${name} (kind ${type})`;
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== 0) return false;
  }
  return true;
}

/** The length a known kind must have, as a check and its description. */
function lengthProblem(type: number, length: number): string | undefined {
  switch (type) {
    case 2:
    case 3:
    case 4:
    case 8:
    case 19:
    case 28: {
      const name = KIND_NAMES[type] as keyof typeof TCP_OPTION_LENGTHS;
      const expected = TCP_OPTION_LENGTHS[name];
      return length === expected ? undefined : `expected ${expected}`;
    }
    case 5:
      return (length - 2) % 8 === 0
        ? undefined
        : "expected 2 + 8n (n SACK blocks)";
    case 29:
    case 253:
    case 254:
      return length >= 4 ? undefined : "expected at least 4";
    default:
      return undefined;
  }
}

/** Parse the option of `length` bytes at `p`, whose length is known good. */
function parseOption(
  bytes: Uint8Array,
  type: number,
  p: number,
  length: number,
): TcpOption {
  const end = p + length;
  switch (type) {
    case 2:
      return { kind: "mss", value: read16(bytes, p + 2) };
    case 3:
      return { kind: "wscale", shift: bytes[p + 2]! };
    case 4:
      return { kind: "sackOk" };
    case 5: {
      const blocks: SackBlock[] = [];
      for (let at = p + 2; at < end; at += 8) {
        blocks.push([read32(bytes, at), read32(bytes, at + 4)]);
      }
      return { kind: "sack", blocks };
    }
    case 8:
      return {
        kind: "timestamp",
        value: read32(bytes, p + 2),
        echo: read32(bytes, p + 6),
      };
    case 19:
      return { kind: "md5", digest: bytes.slice(p + 2, end) };
    case 28: {
      const word = read16(bytes, p + 2);
      return {
        kind: "userTimeout",
        granularity: (word & 0x8000) !== 0 ? "minutes" : "seconds",
        timeout: word & 0x7fff,
      };
    }
    case 29:
      return {
        kind: "tcpAo",
        keyId: bytes[p + 2]!,
        rNextKeyId: bytes[p + 3]!,
        mac: bytes.slice(p + 4, end),
      };
    case 30:
      return { kind: "mptcp", data: bytes.slice(p + 2, end) };
    case 34:
      return { kind: "fastOpen", cookie: bytes.slice(p + 2, end) };
    case 253:
    case 254:
      return {
        kind: "experimental",
        type,
        exid: read16(bytes, p + 2),
        data: bytes.slice(p + 4, end),
      };
    default:
      return { kind: "unknown", type, data: bytes.slice(p + 2, end) };
  }
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
  const base = options.offset ?? 20;
  const end = bytes.length;
  const list: TcpOption[] = [];
  let p = 0;
  while (p < end) {
    const type = bytes[p]!;
    if (type === 0) {
      if (end - p === (4 - (p % 4)) % 4 && allZero(bytes, p)) {
        return { options: list };
      }
      list.push({ kind: "eol" });
      const after = p + 1;
      if (
        after === end ||
        (end - after === (4 - (after % 4)) % 4 && allZero(bytes, after))
      ) {
        return { options: list };
      }
      return { options: list, padding: bytes.slice(after) };
    }
    if (type === 1) {
      list.push({ kind: "nop" });
      p++;
      continue;
    }
    let problem: string | undefined;
    const length = bytes[p + 1];
    if (length === undefined) {
      problem = `has no length byte: the options end at offset ${base + end}`;
    } else if (length < 2) {
      problem = `has length ${length}, less than 2`;
    } else if (p + length > end) {
      problem = `has length ${length}, past the end of the options at offset ${
        base + end
      }`;
    } else {
      const expected = lengthProblem(type, length);
      if (expected !== undefined) problem = `has length ${length}, ${expected}`;
    }
    if (problem !== undefined) {
      if (lenient) {
        list.push({ kind: "raw", bytes: bytes.slice(p) });
        return { options: list };
      }
      throw new DecodeError(
        `${describeKind(type)} at offset ${base + p} ${problem}`,
        { kind: "malformed", layer: "TCP options", offset: base + p },
      );
    }
    list.push(parseOption(bytes, type, p, length!));
    p += length!;
  }
  return { options: list };
}
