/**
 * The `-o SPEC` spellings of TCP options on the command line.
 *
 * @module
 */

import { ParseError } from "../wire/errors.ts";
import { parseHex } from "../wire/hex.ts";
import type { SackBlock, TcpOption } from "../wire/tcp_options.ts";
import { didYouMean } from "./args.ts";
import { plural, quote, reasonOf, ValueError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";

const OPTION_SPEC_FORMS =
  "mss=N, wscale=N, sackok, sack=L-R[,L-R], ts=VAL[:ECHO], nop, eol, md5=HEX, uto=SECONDS[s|m], tfo[=HEX], raw=KIND:HEX, rawbytes=HEX";

const OPTION_SPEC_NAMES = [
  "mss",
  "wscale",
  "sackok",
  "sack",
  "ts",
  "nop",
  "eol",
  "md5",
  "uto",
  "tfo",
  "raw",
  "rawbytes",
] as const;

const OPTION_SPEC_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  ws: "wscale",
  "sack-permitted": "sackok",
  sackpermitted: "sackok",
  timestamp: "ts",
  "user-timeout": "uto",
  fastopen: "tfo",
});

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
  const eq = text.indexOf("=");
  const rawName = (eq < 0 ? text : text.slice(0, eq)).trim().toLowerCase();
  const name = OPTION_SPEC_ALIASES[rawName] ?? rawName;
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  const fail = (reason: string): never => {
    throw new ValueError(`${quote(text)}: ${reason}`);
  };
  const need = (form: string): string =>
    value === undefined || value === ""
      ? fail(`${name} needs a value: ${form}`)
      : value;
  const none = () => {
    if (value !== undefined) fail(`${name} takes no value`);
  };
  const integer = (field: string, digits: string, max: number): number => {
    try {
      return parseInteger(digits, { max });
    } catch (error) {
      if (error instanceof ValueError) {
        return fail(`${field} ${reasonOf(error)}`);
      }
      throw error;
    }
  };
  const hex = (field: string, digits: string): Uint8Array => {
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
  };
  switch (name) {
    case "mss":
      return {
        kind: "mss",
        value: integer("mss value", need("mss=N"), 0xffff),
      };
    case "wscale":
      return {
        kind: "wscale",
        shift: integer("wscale shift", need("wscale=N"), 0xff),
      };
    case "sackok":
      none();
      return { kind: "sackOk" };
    case "nop":
      none();
      return { kind: "nop" };
    case "eol":
      none();
      return { kind: "eol" };
    case "sack": {
      const blocks: SackBlock[] = need("sack=LEFT-RIGHT[,LEFT-RIGHT]")
        .split(",")
        .map((block) => {
          const edges = block.split("-");
          if (edges.length !== 2) {
            return fail(
              `sack block ${
                quote(block)
              } is not LEFT-RIGHT (two 32-bit numbers joined by -)`,
            );
          }
          return [
            integer("sack left edge", edges[0]!, 0xffffffff),
            integer("sack right edge", edges[1]!, 0xffffffff),
          ] as const;
        });
      return { kind: "sack", blocks };
    }
    case "ts": {
      const parts = need("ts=VAL:ECHO").split(":");
      if (parts.length > 2) fail("ts is VAL:ECHO (two 32-bit numbers)");
      return {
        kind: "timestamp",
        value: integer("ts value", parts[0]!, 0xffffffff),
        echo: integer("ts echo", parts[1] ?? "0", 0xffffffff),
      };
    }
    case "md5": {
      const digest = hex("md5 digest", need("md5=HEX (16 bytes)"));
      if (digest.length !== 16) {
        fail(`md5 digest is ${plural(digest.length, "byte")}, expected 16`);
      }
      return { kind: "md5", digest };
    }
    case "uto": {
      const given = need("uto=SECONDS, uto=90s or uto=5m");
      const match = /^(.*?)([sm]?)$/.exec(given)!;
      const minutes = match[2] === "m";
      return {
        kind: "userTimeout",
        granularity: minutes ? "minutes" : "seconds",
        timeout: integer(
          `uto ${minutes ? "minutes" : "seconds"}`,
          match[1]!,
          0x7fff,
        ),
      };
    }
    case "tfo":
      return {
        kind: "fastOpen",
        cookie: value === undefined
          ? new Uint8Array()
          : hex("tfo cookie", value),
      };
    case "raw": {
      const given = need("raw=KIND:HEX");
      const colon = given.indexOf(":");
      if (colon < 0) fail("raw is KIND:HEX (a kind number, a colon, the data)");
      const type = integer("raw kind", given.slice(0, colon), 0xff);
      const data = hex("raw data", given.slice(colon + 1));
      if (data.length > 253) {
        fail(
          `raw data is ${data.length} bytes, more than the 253 an option holds`,
        );
      }
      return { kind: "unknown", type, data };
    }
    case "rawbytes":
      return { kind: "raw", bytes: hex("rawbytes", need("rawbytes=HEX")) };
    default:
      return fail(
        `unknown TCP option${
          didYouMean(name, [...OPTION_SPEC_NAMES], "")
        }; use ${OPTION_SPEC_FORMS}`,
      );
  }
}
