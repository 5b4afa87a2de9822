/**
 * The `-o SPEC` spellings of TCP options on the command line.
 *
 * @module
 */

import { ParseError } from "../wire/errors.ts";
import { parseHex } from "../wire/hex.ts";
import type { TcpOptionSpecParser } from "../wire/tcp_option_entry.ts";
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

const OPTION_SPEC_NAMES = SPELLED.map((spelling) => spelling.name);

const OPTION_SPEC_ALIASES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    SPELLED.flatMap((spelling) =>
      (spelling.aliases ?? []).map((alias) => [alias, spelling.name])
    ),
  ),
);

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
  const eq = text.indexOf("=");
  const rawName = (eq < 0 ? text : text.slice(0, eq)).trim().toLowerCase();
  const name = Object.hasOwn(OPTION_SPEC_ALIASES, rawName)
    ? OPTION_SPEC_ALIASES[rawName]!
    : rawName;
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  const fail = (reason: string): never => {
    throw new ValueError(`${quote(text)}: ${reason}`);
  };
  const spelling = SPELLED.find((spelling) => spelling.name === name);
  if (spelling === undefined) {
    return fail(
      `unknown TCP option${
        didYouMean(name, OPTION_SPEC_NAMES, "")
      }; use ${OPTION_SPEC_FORMS}`,
    );
  }
  return spelling.parse(specParser(name, value, fail));
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
