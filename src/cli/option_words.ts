/**
 * TCP options in the `key=value` words of probe's reply lines: each kind's
 * word is in its entry of the option registry.
 *
 * @module
 */

import { type TcpOption, tcpOptionEntry } from "../wire/tcp_options.ts";

/**
 * The TCP options of a reply in `key=value` words: `mss=1460`,
 * `wscale=7`, `sackOK`, `ts=VAL/ECR`, `sack=L-R,…`; NOP and EOL are left
 * out, anything else is `opt<KIND>`.
 *
 * @param options The decoded options.
 * @returns The words, in wire order.
 *
 * @example
 * ```ts
 * import { optionWords } from "./option_words.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   optionWords([
 *     { kind: "mss", value: 1460 }, { kind: "nop" }, { kind: "wscale", shift: 7 },
 *     { kind: "sackOk" }, { kind: "timestamp", value: 5, echo: 0 },
 *   ]),
 *   ["mss=1460", "wscale=7", "sackOK", "ts=5/0"],
 * );
 * ```
 */
export function optionWords(options: readonly TcpOption[]): string[] {
  const words: string[] = [];
  for (const option of options) {
    const word = tcpOptionEntry(option).word(option);
    if (word !== undefined) words.push(word);
  }
  return words;
}
