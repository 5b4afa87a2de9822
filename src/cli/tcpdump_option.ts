/**
 * TCP options as tcpdump writes them inside `options [...]`: each kind's
 * text is in its entry of the option registry. A header that a capture
 * cut short is walked byte by byte as tcpdump walks it, to the option
 * where the bytes end, which tcpdump marks `[|tcp]`.
 *
 * @module
 */

import type { TcpdumpOptionContext } from "../wire/tcp_option_entry.ts";
import {
  decodeTcpOptions,
  type TcpOption,
  tcpOptionEntry,
  tcpOptionLength,
} from "../wire/tcp_options.ts";
import { formatHex } from "../wire/hex.ts";

export type { TcpdumpOptionContext } from "../wire/tcp_option_entry.ts";

/**
 * One TCP option as tcpdump writes it inside `options [...]`.
 *
 * @param option The option.
 * @param context The segment's flags (MPTCP reads by them) and whether its
 *   data is cut short (an MD5 signature then cannot be checked).
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
 * // MP_CAPABLE with the sender's key: valid in a SYN only.
 * const capable = { kind: "mptcp", data: new Uint8Array([0x01, 0x81, 0, 0, 0, 0, 0, 0, 0, 1]) } as const;
 * assert.equal(tcpdumpOption(capable, { flags: 0x02 }), "mptcp 12 capable v1 csum {0x1}");
 * assert.equal(tcpdumpOption(capable, { flags: 0x10 }), "mptcp 12 capable[bad opt]");
 * ```
 */
export function tcpdumpOption(
  option: TcpOption,
  context: TcpdumpOptionContext = {},
): string {
  return tcpOptionEntry(option).tcpdump(option, context);
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

/** tcpdump's names of the option kinds, `unknown-N` for the others. */
const NAMES: Readonly<Record<number, string>> = {
  0: "eol",
  1: "nop",
  2: "mss",
  3: "wscale",
  4: "sackOK",
  5: "sack",
  6: "echo",
  7: "echoreply",
  8: "TS",
  11: "cc",
  12: "ccnew",
  13: "",
  19: "md5",
  20: "scps",
  28: "uto",
  29: "tcp-ao",
  30: "mptcp",
  34: "tfo",
  254: "exp",
};

/** The data length tcpdump needs before it writes anything of a kind. */
const FIXED: Readonly<Record<number, number>> = {
  2: 2,
  3: 1,
  6: 4,
  7: 4,
  8: 8,
  11: 4,
  12: 4,
  13: 4,
  19: 16,
  20: 2,
  28: 2,
};

/** What tcpdump writes of an option whose data the capture cut: as far as it goes. */
function partial(kind: number, length: number, data: Uint8Array): string {
  const datalen = length - 2;
  const hex = (from: number) =>
    Array.from(data.subarray(from), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  if (kind === 5) {
    if (datalen % 8 !== 0) return " invalid sack";
    let text = ` ${datalen / 8} `;
    for (let i = 0; i + 8 <= data.length; i += 8) {
      const view = new DataView(data.buffer, data.byteOffset + i, 8);
      text += `{${view.getUint32(0)}:${view.getUint32(4)}}`;
    }
    return text;
  }
  if (kind === 29) {
    if (datalen < 2) return " (invalid)";
    let text = data.length >= 1 ? ` keyid ${data[0]}` : "";
    if (data.length >= 2) text += ` rnextkeyid ${data[1]}`;
    if (datalen > 2 && data.length >= 2) text += ` mac 0x${hex(2)}`;
    return text;
  }
  if (FIXED[kind] !== undefined || [30, 34, 254].includes(kind)) return "";
  return datalen > 0 ? ` 0x${hex(0)}` : "";
}

/**
 * What tcpdump writes for the options of a TCP header the capture cut
 * short: the options as far as the bytes go, then `[|tcp]` where they end
 * (`>` after it when an option was cut part way, as tcpdump does). Whole
 * options are written as {@linkcode tcpdumpOption} writes them; a length
 * byte tcpdump cannot accept ends the text with `[bad opt]`, as it ends
 * tcpdump's line.
 *
 * @param area The option bytes the capture holds (from byte 20 of the header).
 * @param areaLength The option area's length by the data offset.
 * @param context As for {@linkcode tcpdumpOption}.
 * @returns The text after `options [`, and whether tcpdump's line goes on
 *   after it (when an end-of-list option comes before the cut, the text
 *   ends with `]`, and the line goes on to the length; `mptcp` says then
 *   whether an MPTCP option came before, which tcpdump's next words name).
 *
 * @example A SYN's options cut after sackOK
 * ```ts
 * import { tcpdumpCutOptions } from "./tcpdump_option.ts";
 * import assert from "node:assert/strict";
 *
 * // mss 1460, sackOK, then a timestamp the capture holds 2 bytes of
 * const area = new Uint8Array([2, 4, 5, 0xb4, 4, 2, 8, 10]);
 * assert.deepEqual(
 *   tcpdumpCutOptions(area, 20),
 *   { text: "mss 1460,sackOK,TS [|tcp]>", goesOn: false },
 * );
 * assert.deepEqual(
 *   tcpdumpCutOptions(area.subarray(0, 6), 20),
 *   { text: "mss 1460,sackOK, [|tcp]", goesOn: false },
 * );
 * ```
 */
export function tcpdumpCutOptions(
  area: Uint8Array,
  areaLength: number,
  context: TcpdumpOptionContext = {},
): { text: string; goesOn: boolean; mptcp?: boolean } {
  let mptcp = false;
  // tcpdump names the protocol it last read in the mark: MPTCP's after one.
  const cut = (text: string) => ({
    text: mptcp ? text.replace(/ \[\|tcp\](>?)$/, " [|mptcp]$1") : text,
    goesOn: false,
  });
  let text = "";
  let at = 0;
  let left = areaLength;
  let first = true;
  while (left > 0) {
    if (!first) text += ",";
    if (at >= area.length) return cut(`${text} [|tcp]`);
    const kind = area[at]!;
    let length = 1;
    if (kind > 1) {
      if (at + 1 >= area.length) return cut(`${text} [|tcp]`);
      length = area[at + 1]!;
      if (length < 2 || length > left) {
        return cut(`${text}[bad opt]${first ? "" : "]"}`);
      }
    }
    const end = at + length;
    if (end > area.length) {
      const data = area.subarray(at + 2, area.length);
      const name = NAMES[kind] ?? `unknown-${kind}`;
      return cut(
        `${text}${name}${partial(kind, length, data)} [|tcp]${
          first ? "" : ">"
        }`,
      );
    }
    const [option] = decodeTcpOptions(area.subarray(at, end), {
      lenient: true,
    }).options;
    text += option === undefined
      ? `bad opt 0x${formatHex(area.subarray(at, end))}`
      : tcpdumpOption(option, context);
    mptcp ||= kind === 30;
    if (kind === 0) return { text: `${text}]`, goesOn: true, mptcp };
    at = end;
    left -= length;
    first = false;
  }
  return { text: `${text}]`, goesOn: true, mptcp };
}
