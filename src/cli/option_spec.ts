/**
 * The spellings of options on the command line: TCP options (`-o SPEC`)
 * and IPv4 options (`--ip-opt SPEC`), read from their registries, and IPv6
 * extension headers (`--ext SPEC`).
 *
 * @module
 */

import { formatIPv6, parseIPv6 } from "../wire/address.ts";
import { ParseError } from "../wire/errors.ts";
import { parseHex } from "../wire/hex.ts";
import { IPV4_OPTION_REGISTRY } from "../wire/ipv4_option_kinds.ts";
import type { Ipv4Option } from "../wire/ipv4_option_entry.ts";
import type {
  Ipv6Extension,
  Ipv6TlvOption,
} from "../wire/ipv6_extension_kinds.ts";
import type {
  TcpOptionSpecParser,
  TcpOptionSpelling,
} from "../wire/tcp_option_entry.ts";
import { TCP_OPTION_REGISTRY } from "../wire/tcp_option_kinds.ts";
import type { TcpOption } from "../wire/tcp_options.ts";
import { didYouMean } from "./args.ts";
import { quote, reasonOf, ValueError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";

const SPELLED = TCP_OPTION_REGISTRY.flatMap((entry) => [
  ...(entry.spelling === undefined ? [] : [entry.spelling]),
  ...(entry.moreSpellings ?? []),
]);

const OPTION_SPEC_FORMS = SPELLED.map((spelling) => spelling.form).join(", ");

/**
 * The spellings of `-o`, for the help text: `mss=1460, wscale=7, sackok, …`.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_SPEC_EXAMPLES } from "./option_spec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(TCP_OPTION_SPEC_EXAMPLES.startsWith("mss=1460, wscale=7, sackok"));
 * ```
 */
export const TCP_OPTION_SPEC_EXAMPLES: string = SPELLED.map((spelling) =>
  spelling.example
).join(", ");

/**
 * Parse one `-o` option spec into a TCP option:
 *
 * | spec | option |
 * | --- | --- |
 * | `mss=1460` | maximum segment size, 0..65535 |
 * | `wscale=7` (`ws=7`) | window scale shift, 0..255 |
 * | `sackok` | SACK permitted |
 * | `sack=100-200,300-400` | SACK blocks LEFT-RIGHT, 32-bit each |
 * | `ts=VAL:ECHO` (`ts=VAL` for echo 0) | timestamps, 32-bit each |
 * | `nop`, `eol` | one-byte options |
 * | `md5=HEX` | MD5 signature, 16 bytes |
 * | `uto=SECONDS`, `uto=90s`, `uto=5m` | user timeout, 0..32767, G bit set for `m` |
 * | `tfo`, `tfo=HEX` | Fast Open cookie request, or cookie |
 * | `raw=KIND:HEX` | any kind, with a correct length byte |
 * | `rawbytes=HEX` | bytes written verbatim (malformed options) |
 *
 * Names are case-insensitive. Numbers may be decimal, `0x`, `0b` or `0o`.
 *
 * @param text The spec.
 * @returns The option.
 * @throws {ValueError} When the spec is not one of these.
 *
 * @example
 * ```ts
 * import { parseTcpOptionSpec } from "./option_spec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseTcpOptionSpec("mss=1460"), { kind: "mss", value: 1460 });
 * assert.deepEqual(parseTcpOptionSpec("sack=100-200,300-400"), {
 *   kind: "sack", blocks: [[100, 200], [300, 400]],
 * });
 * assert.deepEqual(parseTcpOptionSpec("uto=5m"), {
 *   kind: "userTimeout", granularity: "minutes", timeout: 5,
 * });
 * assert.deepEqual(parseTcpOptionSpec("raw=99:7879"), {
 *   kind: "unknown", type: 99, data: new Uint8Array([0x78, 0x79]),
 * });
 * assert.throws(() => parseTcpOptionSpec("mss=abc"), /mss value "abc" is not an integer/);
 * ```
 */
export function parseTcpOptionSpec(text: string): TcpOption {
  return parseSpelled(text, SPELLED, "TCP option", OPTION_SPEC_FORMS);
}

/** Parse a spec against a list of spellings: `NAME[=VALUE]`. */
function parseSpelled<O>(
  text: string,
  spellings: readonly TcpOptionSpelling<O>[],
  what: string,
  forms: string,
): O {
  const eq = text.indexOf("=");
  const rawName = (eq < 0 ? text : text.slice(0, eq)).trim().toLowerCase();
  const spelling = spellings.find((s) =>
    s.name === rawName || (s.aliases ?? []).includes(rawName)
  );
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  const fail = (reason: string): never => {
    throw new ValueError(`${quote(text)}: ${reason}`);
  };
  if (spelling === undefined) {
    return fail(
      `unknown ${what}${
        didYouMean(rawName, spellings.map((s) => s.name), "")
      }; use ${forms}`,
    );
  }
  return spelling.parse(specParser(spelling.name, value, fail));
}

const IPV4_SPELLED = IPV4_OPTION_REGISTRY.flatMap((entry) =>
  entry.spelling === undefined ? [] : [entry.spelling]
);

/**
 * The spellings of `--ip-opt`, for the help text.
 *
 * @example
 * ```ts
 * import { IPV4_OPTION_SPEC_EXAMPLES } from "./option_spec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(IPV4_OPTION_SPEC_EXAMPLES.startsWith("rr=9, lsrr=ADDR,ADDR"));
 * ```
 */
export const IPV4_OPTION_SPEC_EXAMPLES: string = IPV4_SPELLED.map((s) =>
  s.example
).join(", ");

/**
 * Parse one `--ip-opt` spec into an IPv4 option: `rr=9` (nine empty
 * record-route slots) or `rr=ADDR,…`, `lsrr=ADDR,…`, `ssrr=ADDR,…` (with
 * `ptr=N` among the items to set the pointer), `ts[=N]`, `ts=addr[:N]`,
 * `ts=prespec:ADDR,…` (and `oflw=N`), `ra[=N]`, `sec=LEVEL[,comp=N,handling=N,tcc=N]`
 * (a level by RFC 791's name or number), `nop`, `eol`, `raw=TYPE:HEX`,
 * `rawbytes=HEX`.
 *
 * @param text The spec.
 * @returns The option.
 * @throws {ValueError} When the spec is not one of these.
 *
 * @example
 * ```ts
 * import { parseIpv4OptionSpec } from "./option_spec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIpv4OptionSpec("lsrr=198.51.100.7,203.0.113.9"), {
 *   kind: "looseSourceRoute", pointer: 4, addresses: ["198.51.100.7", "203.0.113.9"],
 * });
 * assert.deepEqual(parseIpv4OptionSpec("ra"), { kind: "routerAlert", value: 0 });
 * assert.throws(() => parseIpv4OptionSpec("rr=10"), /rr slots "10" is out of range/);
 * ```
 */
export function parseIpv4OptionSpec(text: string): Ipv4Option {
  return parseSpelled(
    text,
    IPV4_SPELLED,
    "IPv4 option",
    IPV4_SPELLED.map((s) => s.form).join(", "),
  );
}

/** The forms of `--ext`, for help and errors. */
export const IPV6_EXTENSION_FORMS =
  "hbh[=ra|pad1|padn=N|opt=TYPE:HEX,...], dst[=...], rh0=ADDR,...[,left=N], srh=SEG,...[,left=N,tag=N,flags=N], frag[=id=N,offset=N,m], raw=TYPE:HEX";

/** The action bits of an IPv6 option type, by name (RFC 8200 §4.2). */
const TLV_ACTIONS: Readonly<Record<string, number>> = Object.freeze({
  skip: 0,
  discard: 1,
  icmp: 2,
  "icmp-unicast": 3,
});

function tlvOption(p: TcpOptionSpecParser, item: string): Ipv6TlvOption {
  const eq = item.indexOf("=");
  const name = (eq < 0 ? item : item.slice(0, eq)).toLowerCase();
  const value = eq < 0 ? undefined : item.slice(eq + 1);
  switch (name) {
    case "pad1":
      return { kind: "pad1" };
    case "padn":
      return { kind: "padN", size: p.integer("padn", value ?? "0", 255) };
    case "ra":
      return {
        kind: "routerAlert",
        value: value === undefined ? 0 : p.integer("ra", value, 0xffff),
      };
    case "opt": {
      const [type = "", hex] = (value ?? "").split(":");
      const slash = type.indexOf("/");
      let code: number;
      if (slash >= 0) {
        const action = TLV_ACTIONS[type.slice(0, slash).toLowerCase()];
        if (action === undefined) {
          p.fail(
            `option action ${
              quote(type.slice(0, slash))
            } is not skip, discard, icmp or icmp-unicast`,
          );
        }
        code = (action << 6) |
          p.integer("option number", type.slice(slash + 1), 63);
      } else {
        code = p.integer("option type", type, 0xff);
      }
      return {
        kind: "unknown",
        type: code,
        data: hex === undefined ? new Uint8Array() : p.hex("option data", hex),
      };
    }
  }
  return p.fail(
    `${
      quote(item)
    } is not an IPv6 option: ra[=N], pad1, padn=N or opt=TYPE[:HEX] (TYPE a number or ACTION/N)`,
  );
}

function ipv6Addresses(p: TcpOptionSpecParser, items: string[]): string[] {
  return items.map((item) => {
    try {
      return formatIPv6(parseIPv6(item));
    } catch (error) {
      if (error instanceof ParseError) {
        return p.fail(`${quote(item)} is not an IPv6 address`);
      }
      throw error;
    }
  });
}

/** Split items, taking out the named ones (`left=1`). */
function named(
  items: string[],
  names: readonly string[],
): { plain: string[]; values: Map<string, string> } {
  const values = new Map<string, string>();
  const plain = items.filter((item) => {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item.toLowerCase() : item.slice(0, eq).toLowerCase();
    if (!names.includes(key)) return true;
    values.set(key, eq < 0 ? "" : item.slice(eq + 1));
    return false;
  });
  return { plain, values };
}

function ipv6Extension(p: TcpOptionSpecParser, name: string): Ipv6Extension {
  const items = (p.value ?? "").split(",").map((s) => s.trim()).filter((s) =>
    s !== ""
  );
  const number = (values: Map<string, string>, key: string, max: number) =>
    values.has(key) ? p.integer(key, values.get(key)!, max) : undefined;
  switch (name) {
    case "hbh":
    case "dst":
      return {
        kind: name === "hbh" ? "hopByHop" : "destinationOptions",
        options: items.map((item) => tlvOption(p, item)),
      };
    case "rh0": {
      const { plain, values } = named(items, ["left"]);
      if (plain.length === 0) p.fail("rh0 needs addresses: rh0=ADDR,ADDR");
      const left = number(values, "left", 0xff);
      return {
        kind: "routing",
        addresses: ipv6Addresses(p, plain),
        ...(left === undefined ? {} : { segmentsLeft: left }),
      };
    }
    case "srh": {
      const { plain, values } = named(items, ["left", "tag", "flags"]);
      if (plain.length === 0) {
        p.fail("srh needs segments, in the order visited: srh=SEG,SEG");
      }
      const left = number(values, "left", 0xff);
      const extension: Ipv6Extension = {
        kind: "segmentRouting",
        // The segment list holds the final destination first (RFC 8754).
        segmentList: ipv6Addresses(p, plain).reverse(),
        tag: number(values, "tag", 0xffff) ?? 0,
        flags: number(values, "flags", 0xff) ?? 0,
      };
      if (left !== undefined) extension.segmentsLeft = left;
      return extension;
    }
    case "frag": {
      const { plain, values } = named(items, ["id", "offset", "m"]);
      if (plain.length > 0) {
        p.fail(`frag takes id=N, offset=N and m, not ${quote(plain[0]!)}`);
      }
      return {
        kind: "fragment",
        id: number(values, "id", 0xffffffff) ?? 0,
        offset: number(values, "offset", 0x1fff) ?? 0,
        more: values.has("m"),
      };
    }
    case "raw": {
      const [type = "", hex = ""] = (p.value ?? "").split(":");
      const data = p.hex("raw data", hex);
      if (data.length % 8 !== 6) {
        p.fail(
          `raw data is ${data.length} bytes; an extension header's is 6 + 8n`,
        );
      }
      return { kind: "raw", type: p.integer("raw type", type, 0xff), data };
    }
  }
  return p.fail(`unknown extension header; use ${IPV6_EXTENSION_FORMS}`);
}

/**
 * Parse one `--ext` spec into a typed IPv6 extension header (in the order
 * given, the first after the fixed header): `hbh` and `dst` with options
 * `ra[=N]`, `pad1`, `padn=N`, `opt=TYPE[:HEX]` (TYPE a number, or an
 * action `skip`, `discard`, `icmp`, `icmp-unicast` and a number:
 * `icmp/30`); `rh0=ADDR,…` (type 0, `left=N`); `srh=SEG,…` (type 4, the
 * segments in the order visited, `left=`, `tag=`, `flags=`);
 * `frag[=id=N,offset=N,m]`; `raw=TYPE:HEX`.
 *
 * @param text The spec.
 * @returns The extension header.
 * @throws {ValueError} When the spec is not one of these.
 *
 * @example
 * ```ts
 * import { parseIpv6ExtensionSpec } from "./option_spec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIpv6ExtensionSpec("hbh=ra"), {
 *   kind: "hopByHop", options: [{ kind: "routerAlert", value: 0 }],
 * });
 * assert.deepEqual(parseIpv6ExtensionSpec("dst=opt=icmp/30:0102"), {
 *   kind: "destinationOptions",
 *   options: [{ kind: "unknown", type: 0x9e, data: new Uint8Array([1, 2]) }],
 * });
 * assert.throws(() => parseIpv6ExtensionSpec("rh0=192.0.2.1"), /not an IPv6 address/);
 * ```
 */
export function parseIpv6ExtensionSpec(text: string): Ipv6Extension {
  const eq = text.indexOf("=");
  const name = (eq < 0 ? text : text.slice(0, eq)).trim().toLowerCase();
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  const fail = (reason: string): never => {
    throw new ValueError(`${quote(text)}: ${reason}`);
  };
  return ipv6Extension(specParser(name, value, fail), name);
}

/** The tools an entry parses its value with, throwing this spec's errors. */
function specParser(
  name: string,
  value: string | undefined,
  fail: (reason: string) => never,
): TcpOptionSpecParser {
  return {
    value,
    fail,
    quote,
    need: (form) =>
      value === undefined || value === ""
        ? fail(`${name} needs a value: ${form}`)
        : value,
    none: () => {
      if (value !== undefined) fail(`${name} takes no value`);
    },
    integer: (field, digits, max) => {
      try {
        return parseInteger(digits, { max });
      } catch (error) {
        if (error instanceof ValueError) {
          return fail(`${field} ${reasonOf(error)}`);
        }
        throw error;
      }
    },
    hex: (field, digits) => {
      try {
        return parseHex(digits);
      } catch (error) {
        if (error instanceof ParseError) {
          return fail(
            `${field} ${quote(digits)} is not hex bytes (${
              reasonOf(error).replace(/^.*": /, "")
            })`,
          );
        }
        throw error;
      }
    },
  };
}
