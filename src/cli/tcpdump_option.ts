/**
 * TCP options as tcpdump writes them inside `options [...]`.
 *
 * @module
 */

import { formatHex } from "../wire/hex.ts";
import type { TcpOption } from "../wire/tcp_options.ts";

function hex0x(bytes: Uint8Array): string {
  return bytes.length === 0 ? "" : ` 0x${formatHex(bytes)}`;
}

const LEGACY_U32_OPTIONS: Readonly<Record<number, string>> = Object.freeze({
  6: "echo",
  7: "echoreply",
  11: "cc",
  12: "ccnew",
  13: "ccecho",
});

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
  switch (option.kind) {
    case "eol":
      return "eol";
    case "nop":
      return "nop";
    case "mss":
      return `mss ${option.value}`;
    case "wscale":
      return `wscale ${option.shift}`;
    case "sackOk":
      return "sackOK";
    case "sack":
      return `sack ${option.blocks.length} ${
        option.blocks.map(([left, right]) => `{${left}:${right}}`).join("")
      }`;
    case "timestamp":
      return `TS val ${option.value} ecr ${option.echo}`;
    case "md5":
      return `md5 ${formatHex(option.digest)}`;
    case "userTimeout": {
      const minutes = option.granularity === "minutes";
      const raw = (minutes ? 0x8000 : 0) | option.timeout;
      return `uto 0x${raw.toString(16)} ${option.timeout}${
        minutes ? "m" : "s"
      }`;
    }
    case "tcpAo":
      return `tcp-ao keyid ${option.keyId} rnextkeyid ${option.rNextKeyId}${
        option.mac.length === 0 ? "" : ` mac 0x${formatHex(option.mac)}`
      }`;
    case "mptcp":
      return `mptcp${hex0x(option.data)}`;
    case "fastOpen":
      return option.cookie.length === 0
        ? "tfo cookiereq"
        : `tfo cookie ${formatHex(option.cookie)}`;
    case "experimental": {
      const exid = option.exid.toString(16).padStart(4, "0");
      return option.type === 254
        ? `exp-${exid}${hex0x(option.data)}`
        : `unknown-253 0x${exid}${formatHex(option.data)}`;
    }
    case "unknown": {
      const legacy = LEGACY_U32_OPTIONS[option.type];
      if (legacy !== undefined && option.data.length === 4) {
        const view = new DataView(
          option.data.buffer,
          option.data.byteOffset,
          4,
        );
        return `${legacy} ${view.getUint32(0)}`;
      }
      if (option.type === 20 && option.data.length === 2) {
        return `scps cap ${formatHex(option.data.subarray(0, 1))} id ${
          option.data[1]
        }`;
      }
      return `unknown-${option.type}${hex0x(option.data)}`;
    }
    case "raw":
      return `bad opt${hex0x(option.bytes)}`;
  }
}

export function optionLength(option: TcpOption): number {
  switch (option.kind) {
    case "eol":
    case "nop":
      return 1;
    case "mss":
    case "userTimeout":
      return 4;
    case "wscale":
      return 3;
    case "sackOk":
      return 2;
    case "sack":
      return 2 + 8 * option.blocks.length;
    case "timestamp":
      return 10;
    case "md5":
      return 18;
    case "tcpAo":
      return 4 + option.mac.length;
    case "mptcp":
    case "unknown":
      return 2 + option.data.length;
    case "fastOpen":
      return 2 + option.cookie.length;
    case "experimental":
      return 4 + option.data.length;
    case "raw":
      return option.bytes.length;
  }
}
