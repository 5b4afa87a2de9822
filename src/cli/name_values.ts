/**
 * Parsers for the names people type on a command line: files and network
 * interfaces. They refuse what no file or interface can be called (an
 * empty name, above all) with a {@linkcode ValueError} giving the reason
 * only; the argument parser puts the flag's name in front. Whether the
 * file or interface exists is for the system to say when it is opened.
 *
 * @module
 */

import { quote, ValueError } from "./errors.ts";

/**
 * Parse a file name (`--pcap FILE`, `--data-file PATH`): any text but the
 * empty one, which names no file (`-` is standard input or output where
 * the option says so).
 *
 * @param text The text.
 * @returns The name.
 * @throws {ValueError} For an empty name.
 *
 * @example
 * ```ts
 * import { parseFileName } from "./name_values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseFileName("out.pcapng"), "out.pcapng");
 * assert.throws(() => parseFileName(""), { message: "the file name is empty" });
 * ```
 */
export function parseFileName(text: string): string {
  if (text === "") throw new ValueError("the file name is empty");
  return text;
}

/**
 * Parse a network interface's name (`-I`): what Linux accepts, 1 to 15
 * characters, none of them `/`, `:` or white space, and not `.` or `..`.
 * Whether the interface exists is for the system to say when it is opened.
 *
 * @param text The text.
 * @returns The name.
 * @throws {ValueError} For a name no interface can have.
 *
 * @example
 * ```ts
 * import { parseInterfaceName } from "./name_values.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseInterfaceName("eth0"), "eth0");
 * assert.throws(() => parseInterfaceName(""), { message: "the interface name is empty" });
 * assert.throws(() => parseInterfaceName("a/b"), /is not an interface name/);
 * ```
 */
export function parseInterfaceName(text: string): string {
  if (text === "") throw new ValueError("the interface name is empty");
  if (
    text.length > 15 || text === "." || text === ".." ||
    /[\s/:]/.test(text)
  ) {
    throw new ValueError(
      `${
        quote(text)
      } is not an interface name (1 to 15 characters, no "/", ":" or spaces; see ip link)`,
    );
  }
  return text;
}
