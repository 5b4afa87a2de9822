/**
 * The two entries of the option registry (`TCP_OPTION_REGISTRY`) that take
 * what no other entry does: `unknown`, an option of any other kind number,
 * kept as its bytes; and `raw`, bytes written verbatim, which is also what
 * a lenient decoder makes of bytes that are not a well-formed option.
 *
 * @module
 */

import { read32 } from "./bytes.ts";
import { formatHex } from "./hex.ts";
import {
  checkBytes,
  checkInteger,
  encodeFail,
  hexWords,
  tcpdumpHex,
} from "./_tcp_option_helpers.ts";
import {
  TCP_OPTION_MAX_BODY,
  type TcpOptionEntry,
} from "./tcp_option_entry.ts";

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

/** The options of this file: one member of the `TcpOption` union each. */
export type TcpOptionFallback = UnknownOption | RawOption;

/** Kinds tcpdump shows with a name and one 32-bit number though tcpcraft does not decode them. */
const TCPDUMP_U32_OPTIONS: Readonly<Record<number, string>> = Object.freeze({
  6: "echo",
  7: "echoreply",
  11: "cc",
  12: "ccnew",
  13: "", // tcpdump's table names kind 13 with an empty string
});

const unknown: TcpOptionEntry<UnknownOption> = {
  name: "unknown",
  kinds: {},
  length: { form: "any" },
  check: (o) => {
    checkInteger("unknown", "type", o.type, 0xff);
    checkBytes("unknown", "data", o.data, TCP_OPTION_MAX_BODY);
  },
  bodyLength: (o) => o.data.length,
  type: (o) => o.type,
  encode: (o, body) => body.set(o.data),
  decode: (body, type) => ({ kind: "unknown", type, data: body.slice() }),
  spelling: {
    name: "raw",
    form: "raw=KIND:HEX",
    example: "raw=KIND:HEX",
    parse: (p) => {
      const given = p.need("raw=KIND:HEX");
      const colon = given.indexOf(":");
      if (colon < 0) {
        p.fail("raw is KIND:HEX (a kind number, a colon, the data)");
      }
      const type = p.integer("raw kind", given.slice(0, colon), 0xff);
      const data = p.hex("raw data", given.slice(colon + 1));
      if (data.length > TCP_OPTION_MAX_BODY) {
        p.fail(
          `raw data is ${data.length} bytes, more than the ${TCP_OPTION_MAX_BODY} an option holds`,
        );
      }
      return { kind: "unknown", type, data };
    },
  },
  tcpdump: (o) => {
    const named = TCPDUMP_U32_OPTIONS[o.type];
    if (named !== undefined && o.data.length === 4) {
      return `${named} ${read32(o.data, 0)}`; // kind 13: " 5", as tcpdump
    }
    if (o.type === 20 && o.data.length === 2) {
      return `scps cap ${formatHex(o.data.subarray(0, 1))} id ${o.data[1]}`;
    }
    return `unknown-${o.type}${tcpdumpHex(o.data)}`;
  },
  explanation: {
    label: (type) => [`Kind ${type}`, `K${type}`],
    words: (o) =>
      hexWords(o.data, `option kind ${o.type}, not one tcpcraft knows`),
  },
  word: (o) => `opt${o.type}`,
};

const raw: TcpOptionEntry<RawOption> = {
  name: "raw",
  kinds: {},
  length: { form: "verbatim" },
  check: (o) => {
    if (!(o.bytes instanceof Uint8Array)) {
      encodeFail("raw", "bytes is not a Uint8Array");
    }
  },
  bodyLength: (o) => o.bytes.length,
  type: (o) => o.bytes[0] ?? 0,
  encode: (o, body) => body.set(o.bytes),
  decode: (body) => ({ kind: "raw", bytes: body.slice() }),
  spelling: {
    name: "rawbytes",
    form: "rawbytes=HEX",
    example: "rawbytes=HEX",
    parse: (p) => ({
      kind: "raw",
      bytes: p.hex("rawbytes", p.need("rawbytes=HEX")),
    }),
  },
  tcpdump: (o) => `bad opt${tcpdumpHex(o.bytes)}`,
  explanation: {
    label: () => ["Malformed", "BAD"],
    words: (o) => hexWords(o.bytes, "bytes that are not a well-formed option"),
  },
  word: () => "opt-malformed",
};

/**
 * The entries of this file: `unknown`, then `raw`.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_FALLBACKS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(TCP_OPTION_FALLBACKS.map((entry) => entry.name), ["unknown", "raw"]);
 * ```
 */
export const TCP_OPTION_FALLBACKS: readonly TcpOptionEntry<
  TcpOptionFallback
>[] = Object.freeze([unknown, raw]);
