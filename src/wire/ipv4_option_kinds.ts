/**
 * The IPv4 option registry (RFC 791 and the options after it): one entry
 * per kind of option, with its model, its length, its encoder and decoder,
 * its spelling on the command line (`--ip-opt rr=9`) and the words that
 * explain it. `ipv4_options.ts` encodes and decodes option lists with it;
 * the command line and the explainer read it too.
 *
 * Kinds: end of option list (0), no operation (1), record route (7), loose
 * and strict source route (131, 137), internet timestamp (68, flags 0, 1
 * and 3), router alert (148, RFC 2113) and security (130, RFC 791's 11-byte
 * form); any other kind is `unknown` (type and data), and bytes that are
 * not an option at all are `raw`.
 *
 * @module
 */

import { formatIPv4 } from "./address.ts";
import { read16, read32, write16, write32 } from "./bytes.ts";
import { formatHex } from "./hex.ts";
import type {
  Ipv4Option,
  Ipv4OptionEntry,
  Ipv4RawOption,
  Ipv4RouteOption,
  Ipv4RouterAlertOption,
  Ipv4SecurityOption,
  Ipv4TimestampEntry,
  Ipv4TimestampOption,
  Ipv4UnknownOption,
} from "./ipv4_option_entry.ts";
import {
  addressBytes,
  fail,
  integer,
  items,
  parseAddresses,
} from "./_ipv4_option_helpers.ts";
import { hex16, plural } from "./text.ts";

const single = <K extends "eol" | "nop">(
  kind: K,
  type: number,
  label: string,
  meaning: string,
): Ipv4OptionEntry<{ kind: K }> => ({
  name: kind,
  types: [type],
  length: { form: "single" },
  check: () => {},
  type: () => type,
  bodyLength: () => 0,
  encode: () => {},
  decode: () => ({ kind }),
  label: () => [label, kind.toUpperCase()],
  words: () => ({ display: "", meaning }),
  spelling: {
    name: kind,
    form: kind,
    example: kind,
    parse: (p) => {
      p.none();
      return { kind };
    },
  },
});

const ROUTES = {
  recordRoute: { type: 7, name: "Record route", short: "RR", spell: "rr" },
  looseSourceRoute: {
    type: 131,
    name: "Loose source route",
    short: "LSRR",
    spell: "lsrr",
  },
  strictSourceRoute: {
    type: 137,
    name: "Strict source route",
    short: "SSRR",
    spell: "ssrr",
  },
} as const;

/** Where a route's pointer points, in words. */
function pointerWords(option: Ipv4RouteOption): string {
  const pointer = option.pointer ?? 4;
  const slot = (pointer - 4) / 4;
  const count = option.addresses.length;
  if (pointer < 4 || !Number.isInteger(slot)) {
    return `pointer ${pointer} is not at an address (4, 8, ...)`;
  }
  if (slot >= count) return `pointer ${pointer}: every address is used`;
  if (option.kind === "recordRoute") {
    return `pointer ${pointer}: the next router writes its address in slot ${
      slot + 1
    } of ${count}`;
  }
  return `pointer ${pointer}: next hop ${
    option.addresses[slot]
  }, final destination ${option.addresses[count - 1]}`;
}

function route(
  kind: Ipv4RouteOption["kind"],
): Ipv4OptionEntry<Ipv4RouteOption> {
  const { type, name, short, spell } = ROUTES[kind];
  return {
    name: kind,
    types: [type],
    length: { form: "blocks", head: 3, block: 4, unit: "slot" },
    check: (o) => {
      integer(kind, "pointer", o.pointer ?? 4, 0xff);
      if (!Array.isArray(o.addresses)) fail(kind, "addresses is not a list");
      for (const address of o.addresses) addressBytes(kind, address);
      if (o.addresses.length > 9) {
        fail(
          kind,
          `${o.addresses.length} addresses, at most 9 fit in 40 bytes`,
        );
      }
    },
    type: () => type,
    bodyLength: (o) => 1 + 4 * o.addresses.length,
    encode: (o, body) => {
      body[0] = o.pointer ?? 4;
      o.addresses.forEach((a, i) => body.set(addressBytes(kind, a), 1 + 4 * i));
    },
    decode: (body) => {
      const addresses: string[] = [];
      for (let at = 1; at + 4 <= body.length; at += 4) {
        addresses.push(formatIPv4(body.subarray(at, at + 4)));
      }
      return { kind, pointer: body[0]!, addresses };
    },
    label: () => [name, short],
    words: (o) => ({
      display: `${short} ${o.addresses.length}`,
      meaning: `${name.toLowerCase()} (RFC 791): ${
        o.addresses.length === 0 ? "no addresses" : o.addresses.join(", ")
      }; ${pointerWords(o)}`,
    }),
    spelling: {
      name: spell,
      form: kind === "recordRoute"
        ? `${spell}=N|ADDR,...`
        : `${spell}=ADDR,...`,
      example: kind === "recordRoute" ? `${spell}=9` : `${spell}=ADDR,ADDR`,
      parse: (p) => {
        const { plain, named } = items(p.need(`${spell}=ADDR,ADDR`));
        const pointer = named.has("ptr")
          ? p.integer(`${spell} ptr`, named.get("ptr")!, 0xff)
          : 4;
        let addresses: string[];
        if (
          kind === "recordRoute" && plain.length === 1 &&
          /^[0-9]+$/.test(plain[0]!)
        ) {
          const slots = p.integer("rr slots", plain[0]!, 9);
          addresses = Array.from({ length: slots }, () => "0.0.0.0");
        } else {
          addresses = parseAddresses(p, plain);
        }
        if (addresses.length === 0 || addresses.length > 9) {
          p.fail(`${spell} takes 1 to 9 addresses (40 bytes of options)`);
        }
        return { kind, pointer, addresses };
      },
    },
  };
}

const TIMESTAMP_FLAGS: Readonly<Record<number, string>> = {
  0: "timestamps only",
  1: "each router writes its address and a timestamp",
  3: "the routers at the given addresses write a timestamp",
};

/** Whether entries of this flag carry an address. */
function withAddresses(flag: number): boolean {
  return flag === 1 || flag === 3;
}

const timestamp: Ipv4OptionEntry<Ipv4TimestampOption> = {
  name: "timestamp",
  types: [68],
  length: { form: "atLeast", length: 4 },
  check: (o) => {
    integer("timestamp", "pointer", o.pointer ?? 5, 0xff);
    integer("timestamp", "overflow", o.overflow, 15);
    integer("timestamp", "flag", o.flag, 15);
    for (const entry of o.entries) {
      integer("timestamp", "timestamp", entry.timestamp, 0xffffffff);
      if (withAddresses(o.flag)) {
        if (entry.address === undefined) {
          fail("timestamp", `flag ${o.flag} needs an address in every entry`);
        }
        addressBytes("timestamp", entry.address);
      }
    }
    if (o.entries.length * (withAddresses(o.flag) ? 8 : 4) > 36) {
      fail("timestamp", `${o.entries.length} entries do not fit in 40 bytes`);
    }
  },
  type: () => 68,
  bodyLength: (o) => 2 + o.entries.length * (withAddresses(o.flag) ? 8 : 4),
  encode: (o, body) => {
    body[0] = o.pointer ?? 5;
    body[1] = (o.overflow << 4) | o.flag;
    let at = 2;
    for (const entry of o.entries) {
      if (withAddresses(o.flag)) {
        body.set(addressBytes("timestamp", entry.address!), at);
        at += 4;
      }
      write32(body, at, entry.timestamp);
      at += 4;
    }
  },
  decode: (body) => {
    const flag = body[1]! & 15;
    const size = withAddresses(flag) ? 8 : 4;
    if ((body.length - 2) % size !== 0) {
      return `${
        body.length - 2
      } bytes of entries are not whole ${size}-byte entries (flag ${flag})`;
    }
    const entries: Ipv4TimestampEntry[] = [];
    for (let at = 2; at < body.length; at += size) {
      entries.push(
        size === 8
          ? {
            address: formatIPv4(body.subarray(at, at + 4)),
            timestamp: read32(body, at + 4),
          }
          : { timestamp: read32(body, at) },
      );
    }
    return {
      kind: "timestamp",
      pointer: body[0]!,
      overflow: body[1]! >> 4,
      flag,
      entries,
    };
  },
  label: () => ["Timestamp", "TS"],
  words: (o) => {
    const size = withAddresses(o.flag) ? 8 : 4;
    const used = Math.max(0, Math.floor(((o.pointer ?? 5) - 5) / size));
    return {
      display: `TS flag ${o.flag}`,
      meaning: `internet timestamp (RFC 791), flag ${o.flag}: ${
        TIMESTAMP_FLAGS[o.flag] ?? "undefined"
      }; ${plural(o.entries.length, "entry")}, ${
        Math.min(used, o.entries.length)
      } filled (pointer ${o.pointer ?? 5}), overflow ${o.overflow}`,
    };
  },
  spelling: {
    name: "ts",
    form: "ts[=N] | ts=addr[:N] | ts=prespec:ADDR,...",
    example: "ts=4",
    parse: (p) => {
      const value = p.value ?? "";
      const { plain, named } = items(value);
      const pointer = named.has("ptr")
        ? p.integer("ts ptr", named.get("ptr")!, 0xff)
        : 5;
      const overflow = named.has("oflw")
        ? p.integer("ts oflw", named.get("oflw")!, 15)
        : 0;
      const first = plain[0] ?? "";
      const colon = first.indexOf(":");
      const mode = colon < 0 ? first : first.slice(0, colon);
      if (mode === "prespec") {
        const addresses = parseAddresses(
          p,
          [
            first.slice(colon + 1),
            ...plain.slice(1),
          ].filter((a) => a !== ""),
        );
        if (addresses.length === 0 || addresses.length > 4) {
          p.fail("ts=prespec takes 1 to 4 addresses");
        }
        return {
          kind: "timestamp",
          pointer,
          overflow,
          flag: 3,
          entries: addresses.map((address) => ({ address, timestamp: 0 })),
        };
      }
      if (mode === "addr") {
        const n = colon < 0
          ? 4
          : p.integer("ts addr slots", first.slice(colon + 1), 4);
        return {
          kind: "timestamp",
          pointer,
          overflow,
          flag: 1,
          entries: Array.from(
            { length: n },
            () => ({ address: "0.0.0.0", timestamp: 0 }),
          ),
        };
      }
      const n = first === "" ? 9 : p.integer("ts slots", first, 9);
      return {
        kind: "timestamp",
        pointer,
        overflow,
        flag: 0,
        entries: Array.from({ length: n }, () => ({ timestamp: 0 })),
      };
    },
  },
};

const routerAlert: Ipv4OptionEntry<Ipv4RouterAlertOption> = {
  name: "routerAlert",
  types: [148],
  length: { form: "exact", length: 4 },
  check: (o) => integer("routerAlert", "value", o.value, 0xffff),
  type: () => 148,
  bodyLength: () => 2,
  encode: (o, body) => write16(body, 0, o.value),
  decode: (body) => ({ kind: "routerAlert", value: read16(body, 0) }),
  label: () => ["Router alert", "RA"],
  words: (o) => ({
    display: `RA ${o.value}`,
    meaning: `router alert (RFC 2113): value ${o.value}${
      o.value === 0 ? ", routers shall examine this packet" : " (reserved)"
    }`,
  }),
  spelling: {
    name: "ra",
    aliases: ["router-alert"],
    form: "ra[=N]",
    example: "ra",
    parse: (p) => ({
      kind: "routerAlert",
      value: p.value === undefined ? 0 : p.integer("ra value", p.value, 0xffff),
    }),
  },
};

/** RFC 791's security levels. */
const SECURITY_LEVELS: Readonly<Record<string, number>> = Object.freeze({
  unclassified: 0x0000,
  confidential: 0xf135,
  efto: 0x789a,
  mmmm: 0xbc4d,
  prog: 0x5e26,
  restricted: 0xaf13,
  secret: 0xd788,
  "top-secret": 0x6bc5,
});

function levelName(level: number): string {
  const name = Object.entries(SECURITY_LEVELS).find(([, v]) => v === level);
  return name === undefined ? "not one of RFC 791's levels" : name[0];
}

const security: Ipv4OptionEntry<Ipv4SecurityOption> = {
  name: "security",
  types: [130],
  length: { form: "exact", length: 11 },
  check: (o) => {
    integer("security", "level", o.level, 0xffff);
    integer("security", "compartments", o.compartments, 0xffff);
    integer("security", "handling", o.handling, 0xffff);
    integer("security", "tcc", o.tcc, 0xffffff);
  },
  type: () => 130,
  bodyLength: () => 9,
  encode: (o, body) => {
    write16(body, 0, o.level);
    write16(body, 2, o.compartments);
    write16(body, 4, o.handling);
    body[6] = o.tcc >> 16;
    write16(body, 7, o.tcc & 0xffff);
  },
  decode: (body) => ({
    kind: "security",
    level: read16(body, 0),
    compartments: read16(body, 2),
    handling: read16(body, 4),
    tcc: (body[6]! << 16) | read16(body, 7),
  }),
  label: () => ["Security", "SEC"],
  words: (o) => ({
    display: `SEC ${hex16(o.level)}`,
    meaning: `security (RFC 791): level ${hex16(o.level)} (${
      levelName(o.level)
    }), compartments ${hex16(o.compartments)}, handling ${
      hex16(o.handling)
    }, TCC 0x${o.tcc.toString(16).padStart(6, "0")}`,
  }),
  spelling: {
    name: "sec",
    aliases: ["security"],
    form: "sec=LEVEL[,comp=N,handling=N,tcc=N]",
    example: "sec=secret",
    parse: (p) => {
      const { plain, named } = items(p.need("sec=secret or sec=0xd788"));
      const given = (plain[0] ?? "unclassified").toLowerCase();
      const level = Object.hasOwn(SECURITY_LEVELS, given)
        ? SECURITY_LEVELS[given]!
        : p.integer("sec level", given, 0xffff);
      const field = (name: string, max: number) =>
        named.has(name) ? p.integer(`sec ${name}`, named.get(name)!, max) : 0;
      return {
        kind: "security",
        level,
        compartments: field("comp", 0xffff),
        handling: field("handling", 0xffff),
        tcc: field("tcc", 0xffffff),
      };
    },
  },
};

const unknown: Ipv4OptionEntry<Ipv4UnknownOption> = {
  name: "unknown",
  types: [],
  length: { form: "any" },
  check: (o) => {
    integer("unknown", "type", o.type, 0xff);
    if (!(o.data instanceof Uint8Array) || o.data.length > 38) {
      fail("unknown", "data must be at most 38 bytes");
    }
  },
  type: (o) => o.type,
  bodyLength: (o) => o.data.length,
  encode: (o, body) => body.set(o.data),
  decode: (body, type) => ({ kind: "unknown", type, data: body.slice() }),
  label: (type) => [`Option ${type}`, `O${type}`],
  words: (o) => ({
    display: formatHex(o.data),
    meaning: `option type ${o.type} (copied ${o.type >> 7}, class ${
      (o.type >> 5) & 3
    }, number ${o.type & 31}), ${plural(o.data.length, "byte")} of data`,
  }),
  spelling: {
    name: "raw",
    form: "raw=TYPE:HEX",
    example: "raw=TYPE:HEX",
    parse: (p) => {
      const given = p.need("raw=TYPE:HEX");
      const colon = given.indexOf(":");
      if (colon < 0) {
        p.fail("raw is TYPE:HEX (an option type, a colon, the data)");
      }
      return {
        kind: "unknown",
        type: p.integer("raw type", given.slice(0, colon), 0xff),
        data: p.hex("raw data", given.slice(colon + 1)),
      };
    },
  },
};

const raw: Ipv4OptionEntry<Ipv4RawOption> = {
  name: "raw",
  types: [],
  length: { form: "verbatim" },
  check: (o) => {
    if (!(o.bytes instanceof Uint8Array)) fail("raw", "bytes is not bytes");
  },
  type: (o) => o.bytes[0] ?? 0,
  bodyLength: (o) => o.bytes.length,
  encode: (o, body) => body.set(o.bytes),
  decode: (body) => ({ kind: "raw", bytes: body.slice() }),
  label: () => ["Malformed", "BAD"],
  words: (o) => ({
    display: formatHex(o.bytes),
    meaning: "bytes that are not a well-formed option",
  }),
  spelling: {
    name: "rawbytes",
    form: "rawbytes=HEX",
    example: "rawbytes=HEX",
    parse: (p) => ({
      kind: "raw",
      bytes: p.hex("rawbytes", p.need("rawbytes=HEX")),
    }),
  },
};

/**
 * Every kind of IPv4 option tcpcraft knows, in the order help lists their
 * spellings; `unknown` and `raw` last.
 *
 * @example
 * ```ts
 * import { IPV4_OPTION_REGISTRY } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const rr = IPV4_OPTION_REGISTRY.find((entry) => entry.name === "recordRoute")!;
 * assert.deepEqual(rr.types, [7]);
 * assert.equal(rr.spelling?.example, "rr=9");
 * ```
 */
export const IPV4_OPTION_REGISTRY: readonly Ipv4OptionEntry<Ipv4Option>[] =
  Object.freeze([
    route("recordRoute"),
    route("looseSourceRoute"),
    route("strictSourceRoute"),
    timestamp,
    routerAlert,
    security,
    single(
      "nop",
      1,
      "No operation",
      "no operation: fills space between options",
    ),
    single("eol", 0, "End of options", "end of the option list"),
    unknown,
    raw,
  ] as Ipv4OptionEntry<Ipv4Option>[]);
