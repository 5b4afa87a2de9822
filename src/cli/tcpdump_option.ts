/**
 * TCP options as tcpdump writes them inside `options [...]`: each kind's
 * text is in its entry of the option registry.
 *
 * @module
 */

import {
  type TcpOption,
  tcpOptionEntry,
  tcpOptionLength,
} from "../wire/tcp_options.ts";

/**
 * One TCP option as tcpdump writes it inside `options [...]`.
 *
 * @param option The option.
 * @returns The text: `mss 1460`, `sackOK`, `TS val 1 ecr 0`, `sack 1 {100:200}`.
 *
 * @example
 * ```ts
 * import { tcpdumpOption } from "./tcpdump_option.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpdumpOption({ kind: "timestamp", value: 1, echo: 0 }), "TS val 1 ecr 0");
 * assert.equal(tcpdumpOption({ kind: "sack", blocks: [[100, 200]] }), "sack 1 {100:200}");
 * assert.equal(
 *   tcpdumpOption({ kind: "userTimeout", granularity: "minutes", timeout: 5 }),
 *   "uto 0x8005 5m",
 * );
 * ```
 */
export function tcpdumpOption(option: TcpOption): string {
  return tcpOptionEntry(option).tcpdump(option);
}

/**
 * The length of one option on the wire, kind and length bytes included.
 *
 * @param option The option.
 * @returns Its length in bytes.
 *
 * @example
 * ```ts
 * import { optionLength } from "./tcpdump_option.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionLength({ kind: "timestamp", value: 1, echo: 0 }), 10);
 * ```
 */
export function optionLength(option: TcpOption): number {
  return tcpOptionLength(option);
}
