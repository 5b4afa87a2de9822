/**
 * The TCP options of the RFCs after the classic ones, each one entry of the
 * option registry (`TCP_OPTION_REGISTRY`): the MD5 signature (RFC 2385),
 * the user timeout (RFC 5482), TCP-AO (RFC 5925), Multipath TCP (RFC 8684),
 * Fast Open (RFC 7413) and the experimental kinds (RFC 6994), EDO among
 * them (`tcp_edo.ts`); MPTCP's subtypes are typed in `mptcp.ts`. A new kind
 * goes here: its model in {@linkcode TcpOptionExtension}, its entry in
 * {@linkcode TCP_OPTION_EXTENSIONS}.
 *
 * @module
 */

import { read16, write16 } from "./bytes.ts";
import { formatHex } from "./hex.ts";
import {
  checkBytes,
  checkInteger,
  encodeFail,
  hexWords,
} from "./_tcp_option_helpers.ts";
import {
  TCP_OPTION_MAX_BODY,
  type TcpOptionEntry,
} from "./tcp_option_entry.ts";
import { hex16, plural } from "./text.ts";
import { decodeMptcp, mptcpWords } from "./mptcp.ts";
import { MPTCP_FORM, parseMptcpSpec } from "./_mptcp_spelling.ts";
import { mptcpTcpdumpText } from "./_mptcp_tcpdump.ts";
import { decodeEdo, edoOption, edoWords } from "./tcp_edo.ts";
import type {
  ExperimentalOption,
  FastOpenOption,
  Md5Option,
  MptcpOption,
  TcpAoOption,
  TcpOptionExtension,
  UserTimeoutOption,
} from "./tcp_option_extension_models.ts";

export type * from "./tcp_option_extension_models.ts";

const md5: TcpOptionEntry<Md5Option> = {
  name: "md5",
  kinds: { md5: 19 },
  length: { form: "exact", length: 18 },
  check: (o) => {
    if (!(o.digest instanceof Uint8Array)) {
      encodeFail("md5", "digest is not a Uint8Array");
    }
    if (o.digest.length !== 16) {
      encodeFail("md5", `digest is ${o.digest.length} bytes, expected 16`);
    }
  },
  encode: (o, body) => body.set(o.digest),
  decode: (body) => ({ kind: "md5", digest: body.slice() }),
  spelling: {
    name: "md5",
    form: "md5=HEX",
    example: "md5=HEX",
    parse: (p) => {
      const digest = p.hex("md5 digest", p.need("md5=HEX (16 bytes)"));
      if (digest.length !== 16) {
        p.fail(`md5 digest is ${plural(digest.length, "byte")}, expected 16`);
      }
      return { kind: "md5", digest };
    },
  },
  // tcpdump (built with libcrypto, as distributions build it) checks a
  // signature only with -M's secret, and says why it did not.
  tcpdump: (o, context) =>
    `md5 ${
      context?.truncated
        ? "snaplen too short"
        : "shared secret not supplied with -M"
    }, can't check - ${formatHex(o.digest)}`,
  explanation: {
    label: () => ["MD5 signature", "MD5"],
    words: (o) => hexWords(o.digest, "TCP MD5 signature (RFC 2385)"),
  },
  word: () => "md5",
};

/** `5m` or `90s`: a user timeout with its unit. */
function timeoutText(o: UserTimeoutOption): string {
  return `${o.timeout}${o.granularity === "minutes" ? "m" : "s"}`;
}

const userTimeout: TcpOptionEntry<UserTimeoutOption> = {
  name: "userTimeout",
  kinds: { userTimeout: 28 },
  length: { form: "exact", length: 4 },
  check: (o) => {
    if (o.granularity !== "seconds" && o.granularity !== "minutes") {
      encodeFail(
        "userTimeout",
        `granularity "${o.granularity}" is not "seconds" or "minutes"`,
      );
    }
    checkInteger("userTimeout", "timeout", o.timeout, 0x7fff);
  },
  encode: (o, body) =>
    write16(body, 0, (o.granularity === "minutes" ? 0x8000 : 0) | o.timeout),
  decode: (body) => {
    const word = read16(body, 0);
    return {
      kind: "userTimeout",
      granularity: (word & 0x8000) !== 0 ? "minutes" : "seconds",
      timeout: word & 0x7fff,
    };
  },
  spelling: {
    name: "uto",
    aliases: ["user-timeout"],
    form: "uto=SECONDS[s|m]",
    example: "uto=SECONDS|5m",
    parse: (p) => {
      const given = p.need("uto=SECONDS, uto=90s or uto=5m");
      const match = /^(.*?)([sm]?)$/.exec(given)!;
      const minutes = match[2] === "m";
      const unit = minutes ? "minutes" : "seconds";
      return {
        kind: "userTimeout",
        granularity: unit,
        timeout: p.integer(`uto ${unit}`, match[1]!, 0x7fff),
      };
    },
  },
  tcpdump: (o) => {
    const raw = (o.granularity === "minutes" ? 0x8000 : 0) | o.timeout;
    return `uto 0x${raw.toString(16)} ${timeoutText(o)}`;
  },
  explanation: {
    label: () => ["User timeout", "UTO"],
    words: (o) => ({
      value: o.timeout,
      display: timeoutText(o),
      meaning: `user timeout (RFC 5482): ${o.timeout} ${o.granularity}`,
    }),
  },
  word: (o) => `uto=${timeoutText(o)}`,
};

const tcpAo: TcpOptionEntry<TcpAoOption> = {
  name: "tcpAo",
  kinds: { tcpAo: 29 },
  length: { form: "atLeast", length: 4 },
  check: (o) => {
    checkInteger("tcpAo", "keyId", o.keyId, 0xff);
    checkInteger("tcpAo", "rNextKeyId", o.rNextKeyId, 0xff);
    checkBytes("tcpAo", "mac", o.mac, TCP_OPTION_MAX_BODY - 2);
  },
  bodyLength: (o) => 2 + o.mac.length,
  encode: (o, body) => {
    body[0] = o.keyId;
    body[1] = o.rNextKeyId;
    body.set(o.mac, 2);
  },
  decode: (body) => ({
    kind: "tcpAo",
    keyId: body[0]!,
    rNextKeyId: body[1]!,
    mac: body.slice(2),
  }),
  spelling: {
    name: "ao",
    aliases: ["tcp-ao"],
    form: "ao=KEYID:RNEXTKEYID[:MAC]",
    example: "ao=KEYID:RNEXT[:HEX]",
    parse: (p) => {
      const parts = p.need("ao=KEYID:RNEXTKEYID[:MAC]").split(":");
      if (parts.length < 2 || parts.length > 3) {
        p.fail(
          "ao is KEYID:RNEXTKEYID[:MAC] (two numbers, then the MAC as hex)",
        );
      }
      return {
        kind: "tcpAo",
        keyId: p.integer("ao keyid", parts[0]!, 0xff),
        rNextKeyId: p.integer("ao rnextkeyid", parts[1]!, 0xff),
        mac: parts[2] === undefined
          ? new Uint8Array(12)
          : p.hex("ao mac", parts[2]),
      };
    },
  },
  tcpdump: (o) =>
    `tcp-ao keyid ${o.keyId} rnextkeyid ${o.rNextKeyId}${
      o.mac.length === 0 ? "" : ` mac 0x${formatHex(o.mac)}`
    }`,
  explanation: {
    label: () => ["TCP-AO", "AO"],
    words: (o) => ({
      value: formatHex(o.mac),
      display: `key ${o.keyId}`,
      meaning:
        `TCP authentication option (RFC 5925): key ${o.keyId}, next key ${o.rNextKeyId}, ${
          plural(o.mac.length, "byte")
        } of MAC`,
    }),
  },
  word: () => "tcp-ao",
};

const mptcp: TcpOptionEntry<MptcpOption> = {
  name: "mptcp",
  kinds: { mptcp: 30 },
  length: { form: "any" },
  check: (o) => checkBytes("mptcp", "data", o.data, TCP_OPTION_MAX_BODY),
  bodyLength: (o) => o.data.length,
  encode: (o, body) => body.set(o.data),
  decode: (body) => ({ kind: "mptcp", data: body.slice() }),
  spelling: {
    name: "mptcp",
    form: MPTCP_FORM,
    example: "mptcp=capable|join|dss|add-addr|...",
    parse: parseMptcpSpec,
  },
  tcpdump: (o, context) => mptcpTcpdumpText(o.data, context?.flags),
  explanation: {
    label: () => ["Multipath TCP", "MPTCP"],
    words: (o) => ({
      value: formatHex(o.data),
      ...mptcpWords(decodeMptcp(o.data)),
    }),
  },
  word: () => "mptcp",
};

const fastOpen: TcpOptionEntry<FastOpenOption> = {
  name: "fastOpen",
  kinds: { fastOpen: 34 },
  length: { form: "any" },
  check: (o) => checkBytes("fastOpen", "cookie", o.cookie, TCP_OPTION_MAX_BODY),
  bodyLength: (o) => o.cookie.length,
  encode: (o, body) => body.set(o.cookie),
  decode: (body) => ({ kind: "fastOpen", cookie: body.slice() }),
  spelling: {
    name: "tfo",
    aliases: ["fastopen"],
    form: "tfo[=HEX]",
    example: "tfo[=HEX]",
    parse: (p) => ({
      kind: "fastOpen",
      cookie: p.value === undefined
        ? new Uint8Array()
        : p.hex("tfo cookie", p.value),
    }),
  },
  // tcpdump calls a cookie of an odd length or outside 4..16 bytes invalid.
  tcpdump: (o) =>
    o.cookie.length === 0
      ? "tfo cookiereq"
      : o.cookie.length % 2 !== 0 || o.cookie.length < 4 ||
          o.cookie.length > 16
      ? "tfo (invalid)"
      : `tfo cookie ${formatHex(o.cookie)}`,
  explanation: {
    label: () => ["Fast Open", "TFO"],
    words: (o) =>
      o.cookie.length === 0
        ? {
          value: "",
          display: "cookie request",
          meaning: "TCP Fast Open (RFC 7413): asks for a cookie",
        }
        : hexWords(
          o.cookie,
          `TCP Fast Open (RFC 7413): a ${o.cookie.length}-byte cookie`,
        ),
  },
  word: () => "tfo",
};

const experimental: TcpOptionEntry<ExperimentalOption> = {
  name: "experimental",
  kinds: { experimental1: 253, experimental2: 254 },
  length: { form: "atLeast", length: 4 },
  check: (o) => {
    if (o.type !== 253 && o.type !== 254) {
      encodeFail("experimental", `type ${o.type} is not 253 or 254`);
    }
    checkInteger("experimental", "exid", o.exid, 0xffff);
    checkBytes("experimental", "data", o.data, TCP_OPTION_MAX_BODY - 2);
  },
  bodyLength: (o) => 2 + o.data.length,
  type: (o) => o.type,
  encode: (o, body) => {
    write16(body, 0, o.exid);
    body.set(o.data, 2);
  },
  decode: (body, type) => ({
    kind: "experimental",
    type: type as 253 | 254,
    exid: read16(body, 0),
    data: body.slice(2),
  }),
  spelling: {
    name: "exp",
    form: "exp=KIND:EXID[:HEX]",
    example: "exp=254:EXID[:HEX]",
    parse: (p) => {
      const parts = p.need("exp=KIND:EXID[:HEX]").split(":");
      if (parts.length < 2 || parts.length > 3) {
        p.fail("exp is KIND:EXID[:HEX] (253 or 254, a 16-bit ExID, the data)");
      }
      const type = p.integer("exp kind", parts[0]!, 0xff);
      if (type !== 253 && type !== 254) {
        p.fail(`exp kind ${type} is not 253 or 254`);
      }
      return {
        kind: "experimental",
        type: type as 253 | 254,
        exid: p.integer("exp exid", parts[1]!, 0xffff),
        data: parts[2] === undefined
          ? new Uint8Array()
          : p.hex("exp data", parts[2]),
      };
    },
  },
  moreSpellings: [{
    name: "edo",
    form: "edo[=HEADERWORDS[:SEGMENTBYTES]]",
    example: "edo[=WORDS]",
    parse: (p) => {
      if (p.value === undefined) return edoOption({ form: "supported" });
      const [words, segment] = p.value.split(":");
      const headerLength = p.integer("edo header length", words!, 0xffff);
      return edoOption(
        segment === undefined ? { form: "extension", headerLength } : {
          form: "extension",
          headerLength,
          segmentLength: p.integer("edo segment length", segment, 0xffff),
        },
      );
    },
  }],
  // tcpdump names kind 254 by its ExID and leaves the data out, but reads
  // Fast Open's (0xf989); kind 253 it does not know, and shows as bytes.
  tcpdump: (o) => {
    const exid = o.exid.toString(16).padStart(4, "0");
    if (o.type !== 254) return `unknown-253 0x${exid}${formatHex(o.data)}`;
    if (o.exid !== 0xf989) return `exp-${exid}`;
    const n = o.data.length;
    return n === 0
      ? "exp-tfo cookiereq"
      : n % 2 !== 0 || n < 4 || n > 16
      ? "exp-tfo (invalid)"
      : `exp-tfo cookie ${formatHex(o.data)}`;
  },
  explanation: {
    label: () => ["Experimental", "EXP"],
    words: (o) => {
      const edo = decodeEdo(o);
      return {
        value: formatHex(o.data),
        ...(edo === undefined
          ? {
            display: `ExID ${hex16(o.exid)}`,
            meaning: `experimental option (RFC 6994), ExID ${hex16(o.exid)}`,
          }
          : edoWords(edo)),
      };
    },
  },
  word: (o) => `opt${o.type}`,
};

/**
 * The entries of this file, in the order the command line's help lists
 * their spellings.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_EXTENSIONS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const md5 = TCP_OPTION_EXTENSIONS.find((entry) => entry.name === "md5")!;
 * assert.deepEqual(md5.kinds, { md5: 19 });
 * assert.deepEqual(md5.length, { form: "exact", length: 18 });
 * ```
 */
export const TCP_OPTION_EXTENSIONS: readonly TcpOptionEntry<
  TcpOptionExtension
>[] = Object.freeze([md5, userTimeout, tcpAo, mptcp, fastOpen, experimental]);
