/**
 * TCP options in the `key=value` words of probe's reply lines.
 *
 * @module
 */

import type { TcpOption } from "../wire/tcp_options.ts";

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
    switch (option.kind) {
      case "nop":
      case "eol":
        break;
      case "mss":
        words.push(`mss=${option.value}`);
        break;
      case "wscale":
        words.push(`wscale=${option.shift}`);
        break;
      case "sackOk":
        words.push("sackOK");
        break;
      case "timestamp":
        words.push(`ts=${option.value}/${option.echo}`);
        break;
      case "sack":
        words.push(
          `sack=${option.blocks.map(([l, r]) => `${l}-${r}`).join(",")}`,
        );
        break;
      case "raw":
        words.push("opt-malformed");
        break;
      case "unknown":
      case "experimental":
        words.push(`opt${option.type}`);
        break;
      case "md5":
        words.push("md5");
        break;
      case "tcpAo":
        words.push("tcp-ao");
        break;
      case "mptcp":
        words.push("mptcp");
        break;
      case "fastOpen":
        words.push("tfo");
        break;
      case "userTimeout":
        words.push(
          `uto=${option.timeout}${
            option.granularity === "minutes" ? "m" : "s"
          }`,
        );
        break;
    }
  }
  return words;
}
