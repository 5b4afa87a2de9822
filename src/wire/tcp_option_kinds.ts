/**
 * The TCP option registry: one entry per kind of option, each with its
 * model, its length on the wire, its encoder and decoder, its command-line
 * spelling, its tcpdump text, the words that explain it, probe's word for
 * it and the checks on its value. The encoder, the decoder, the command
 * line, the tcpdump-like text, the explainer and probe all read
 * {@linkcode TCP_OPTION_REGISTRY}, and none of them names a kind.
 *
 * This file holds the classic options, those of RFC 9293 (end of list,
 * no-operation, MSS), RFC 7323 (window scale, timestamps) and RFC 2018
 * (SACK); `tcp_option_extensions.ts` the later ones, where a new kind goes;
 * `tcp_option_fallbacks.ts` the `unknown` and `raw` options.
 *
 * @module
 */

import { read16, read32, write16, write32 } from "./bytes.ts";
import { checkInteger, encodeFail } from "./_tcp_option_helpers.ts";
import {
  TCP_OPTION_MAX_BODY,
  type TcpOptionEntry,
} from "./tcp_option_entry.ts";
import {
  TCP_OPTION_EXTENSIONS,
  type TcpOptionExtension,
} from "./tcp_option_extensions.ts";
import {
  TCP_OPTION_FALLBACKS,
  type TcpOptionFallback,
} from "./tcp_option_fallbacks.ts";
import { plural } from "./text.ts";

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
/** The options of this file: one member of the `TcpOption` union each. */
export type TcpOptionClassic =
  | EolOption
  | NopOption
  | MssOption
  | WindowScaleOption
  | SackPermittedOption
  | SackOption
  | TimestampOption;

/** One TCP option. */
export type TcpOption =
  | TcpOptionClassic
  | TcpOptionExtension
  | TcpOptionFallback;

const mss: TcpOptionEntry<MssOption> = {
  name: "mss",
  kinds: { mss: 2 },
  length: { form: "exact", length: 4 },
  check: (o) => checkInteger("mss", "value", o.value, 0xffff),
  encode: (o, body) => write16(body, 0, o.value),
  decode: (body) => ({ kind: "mss", value: read16(body, 0) }),
  spelling: {
    name: "mss",
    form: "mss=N",
    example: "mss=1460",
    parse: (p) => ({
      kind: "mss",
      value: p.integer("mss value", p.need("mss=N"), 0xffff),
    }),
  },
  tcpdump: (o) => `mss ${o.value}`,
  explanation: {
    label: () => ["MSS", "MSS"],
    synOnly: true,
    words: (o) => ({
      value: o.value,
      display: String(o.value),
      meaning:
        `maximum segment size: send at most ${o.value} data bytes per segment`,
    }),
  },
  word: (o) => `mss=${o.value}`,
};

const wscale: TcpOptionEntry<WindowScaleOption> = {
  name: "wscale",
  kinds: { wscale: 3 },
  length: { form: "exact", length: 3 },
  check: (o) => checkInteger("wscale", "shift", o.shift, 0xff),
  encode: (o, body) => {
    body[0] = o.shift;
  },
  decode: (body) => ({ kind: "wscale", shift: body[0]! }),
  spelling: {
    name: "wscale",
    aliases: ["ws"],
    form: "wscale=N",
    example: "wscale=7",
    parse: (p) => ({
      kind: "wscale",
      shift: p.integer("wscale shift", p.need("wscale=N"), 0xff),
    }),
  },
  tcpdump: (o) => `wscale ${o.shift}`,
  explanation: {
    label: () => ["Window scale", "WS"],
    synOnly: true,
    words: (o) => ({
      value: o.shift,
      display: String(o.shift),
      meaning:
        `window scale: this side's windows after the handshake count in units of 2^${o.shift} = ${
          2 ** Math.min(o.shift, 14)
        } bytes${o.shift > 14 ? " (capped at 14, RFC 7323)" : ""}`,
    }),
  },
  word: (o) => `wscale=${o.shift}`,
  anomalies: (o, at) =>
    o.shift > 14
      ? [{
        code: "wscale-too-large",
        message:
          `window scale shift ${o.shift} at byte ${at} is more than 14: RFC 7323 says to use 14`,
      }]
      : [],
};

const sackOk: TcpOptionEntry<SackPermittedOption> = {
  name: "sackOk",
  kinds: { sackOk: 4 },
  length: { form: "exact", length: 2 },
  check: () => {},
  encode: () => {},
  decode: () => ({ kind: "sackOk" }),
  spelling: {
    name: "sackok",
    aliases: ["sack-permitted", "sackpermitted"],
    form: "sackok",
    example: "sackok",
    parse: (p) => {
      p.none();
      return { kind: "sackOk" };
    },
  },
  tcpdump: () => "sackOK",
  explanation: {
    label: () => ["SACK permitted", "SACKOK"],
    synOnly: true,
    words: () => ({
      value: 4,
      display: "",
      meaning:
        "SACK permitted: the sender understands selective acknowledgments (RFC 2018)",
    }),
  },
  word: () => "sackOK",
};

const sack: TcpOptionEntry<SackOption> = {
  name: "sack",
  kinds: { sack: 5 },
  length: { form: "blocks", head: 2, block: 8, unit: "SACK block" },
  check: (o) => {
    if (!Array.isArray(o.blocks)) encodeFail("sack", "blocks is not an array");
    const body = o.blocks.length * 8;
    if (body > TCP_OPTION_MAX_BODY) {
      encodeFail(
        "sack",
        `${o.blocks.length} blocks make a body of ${body} bytes, more than ${TCP_OPTION_MAX_BODY}`,
      );
    }
    o.blocks.forEach(([left, right], i) => {
      checkInteger("sack", `block ${i} left edge`, left, 0xffffffff);
      checkInteger("sack", `block ${i} right edge`, right, 0xffffffff);
    });
  },
  bodyLength: (o) => o.blocks.length * 8,
  encode: (o, body) =>
    o.blocks.forEach(([left, right], i) => {
      write32(body, 8 * i, left);
      write32(body, 8 * i + 4, right);
    }),
  decode: (body) => {
    const blocks: SackBlock[] = [];
    for (let at = 0; at < body.length; at += 8) {
      blocks.push([read32(body, at), read32(body, at + 4)]);
    }
    return { kind: "sack", blocks };
  },
  spelling: {
    name: "sack",
    form: "sack=L-R[,L-R]",
    example: "sack=100-200[,300-400]",
    parse: (p) => ({
      kind: "sack",
      blocks: p.need("sack=LEFT-RIGHT[,LEFT-RIGHT]").split(",").map(
        (block) => {
          const edges = block.split("-");
          if (edges.length !== 2) {
            return p.fail(
              `sack block ${
                p.quote(block)
              } is not LEFT-RIGHT (two 32-bit numbers joined by -)`,
            );
          }
          return [
            p.integer("sack left edge", edges[0]!, 0xffffffff),
            p.integer("sack right edge", edges[1]!, 0xffffffff),
          ] as const;
        },
      ),
    }),
  },
  tcpdump: (o) =>
    `sack ${o.blocks.length} ${
      o.blocks.map(([left, right]) => `{${left}:${right}}`).join("")
    }`,
  explanation: {
    label: () => ["SACK", "SACK"],
    words: (o) => {
      const blocks = o.blocks.map(([l, r]) => `${l}-${r}`).join(" ");
      return {
        value: blocks,
        display: blocks,
        meaning: `selective acknowledgment: also received ${
          plural(o.blocks.length, "block")
        } ${blocks}`,
      };
    },
  },
  word: (o) => `sack=${o.blocks.map(([l, r]) => `${l}-${r}`).join(",")}`,
};

const timestamp: TcpOptionEntry<TimestampOption> = {
  name: "timestamp",
  kinds: { timestamp: 8 },
  length: { form: "exact", length: 10 },
  check: (o) => {
    checkInteger("timestamp", "value", o.value, 0xffffffff);
    checkInteger("timestamp", "echo", o.echo, 0xffffffff);
  },
  encode: (o, body) => {
    write32(body, 0, o.value);
    write32(body, 4, o.echo);
  },
  decode: (body) => ({
    kind: "timestamp",
    value: read32(body, 0),
    echo: read32(body, 4),
  }),
  spelling: {
    name: "ts",
    aliases: ["timestamp"],
    form: "ts=VAL[:ECHO]",
    example: "ts=VAL:ECHO",
    parse: (p) => {
      const parts = p.need("ts=VAL:ECHO").split(":");
      if (parts.length > 2) p.fail("ts is VAL:ECHO (two 32-bit numbers)");
      return {
        kind: "timestamp",
        value: p.integer("ts value", parts[0]!, 0xffffffff),
        echo: p.integer("ts echo", parts[1] ?? "0", 0xffffffff),
      };
    },
  },
  tcpdump: (o) => `TS val ${o.value} ecr ${o.echo}`,
  explanation: {
    label: () => ["Timestamps", "TS"],
    words: (o) => ({
      value: `${o.value} ${o.echo}`,
      display: `val ${o.value} ecr ${o.echo}`,
      meaning: `timestamps (RFC 7323): TSval ${o.value}, echo reply ${o.echo}`,
    }),
  },
  word: (o) => `ts=${o.value}/${o.echo}`,
};

const nop: TcpOptionEntry<NopOption> = {
  name: "nop",
  kinds: { nop: 1 },
  length: { form: "single" },
  check: () => {},
  encode: () => {},
  decode: () => ({ kind: "nop" }),
  spelling: {
    name: "nop",
    form: "nop",
    example: "nop",
    parse: (p) => {
      p.none();
      return { kind: "nop" };
    },
  },
  tcpdump: () => "nop",
  explanation: {
    label: () => ["NOP", "NOP"],
    words: () => ({
      value: 1,
      display: "",
      meaning: "no-operation: fills space so the next option is aligned",
    }),
  },
  word: () => undefined,
};

const eol: TcpOptionEntry<EolOption> = {
  name: "eol",
  kinds: { eol: 0 },
  length: { form: "single" },
  endsList: true,
  check: () => {},
  encode: () => {},
  decode: () => ({ kind: "eol" }),
  spelling: {
    name: "eol",
    form: "eol",
    example: "eol",
    parse: (p) => {
      p.none();
      return { kind: "eol" };
    },
  },
  tcpdump: () => "eol",
  explanation: {
    label: () => ["EOL", "EOL"],
    words: () => ({ value: 0, display: "", meaning: "end of option list" }),
  },
  word: () => undefined,
};

/**
 * Every kind of TCP option tcpcraft knows, in the order the command line's
 * help lists their spellings: the classic options of a SYN first, then the
 * one-byte ones, then the later options by kind number, and last the two
 * that take what no other entry does: `unknown` (any other kind number)
 * and `raw` (bytes that are not a well-formed option).
 *
 * @example
 * ```ts
 * import { TCP_OPTION_REGISTRY } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const mss = TCP_OPTION_REGISTRY.find((entry) => entry.name === "mss")!;
 * assert.deepEqual(mss.kinds, { mss: 2 });
 * assert.equal(mss.tcpdump({ kind: "mss", value: 1460 }), "mss 1460");
 * assert.equal(mss.spelling?.example, "mss=1460");
 * ```
 */
export const TCP_OPTION_REGISTRY: readonly TcpOptionEntry<TcpOption>[] = Object
  .freeze([
    mss,
    wscale,
    sackOk,
    sack,
    timestamp,
    nop,
    eol,
    ...TCP_OPTION_EXTENSIONS,
    ...TCP_OPTION_FALLBACKS,
  ]);
