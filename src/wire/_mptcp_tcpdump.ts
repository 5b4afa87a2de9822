/**
 * A Multipath TCP option as tcpdump 4.99 writes it inside `options [...]`:
 * `mptcp LENGTH SUBTYPE` and the subtype's fields, read the way tcpdump's
 * `print-mptcp.c` reads them, which depends on the segment's SYN and ACK
 * flags (an MP_CAPABLE with one key is valid only in a SYN). Where
 * tcpdump's dissector gives up, the text ends with `[bad opt]`, as
 * tcpdump's line does. Private to `src/wire`.
 *
 * @module
 */

import { read16, read32 } from "./bytes.ts";
import { formatIPv4, formatIPv6 } from "./address.ts";
import { formatHex } from "./hex.ts";

const SYN = 0x02;
const ACK = 0x10;

/** The subtypes' names, by number; 8 and above are `unknown`. */
const NAMES = [
  "capable",
  "join",
  "dss",
  "add-addr",
  "rem-addr",
  "prio",
  "fail",
  "fast-close",
  "unknown",
] as const;

/** The add-addr version and echo nibble, as tcpdump names it. */
const ADD_ADDR_VERSIONS: Readonly<Record<number, string>> = {
  6: "v0-ip6",
  4: "v0-ip4",
  1: "v1-echo",
  0: "v1",
};

/** A 64-bit big-endian number at `at` of the whole option. */
function u64(option: Uint8Array, at: number): bigint {
  return (BigInt(read32(option, at)) << 32n) | BigInt(read32(option, at + 4));
}

/** What tcpdump writes where its dissector gives up. */
const BAD = "[bad opt]";

/**
 * The fields a subtype's printer writes: undefined where tcpdump gives up
 * before writing any, text ending in {@linkcode BAD} where it gives up
 * part way.
 */
type Printer = (o: Uint8Array, flags: number | undefined) => string | undefined;

/** Whether the flags allow it: always when the flags are not known. */
function when(flags: number | undefined, test: (f: number) => boolean) {
  return flags === undefined || test(flags);
}

const capable: Printer = (o, flags) => {
  const n = o.length;
  if (
    !((n === 12 || n === 4) && when(flags, (f) => (f & SYN) !== 0)) &&
    !((n === 20 || n === 22) && when(flags, (f) => (f & (SYN | ACK)) === ACK))
  ) return undefined;
  const version = o[2]! & 0x0f;
  if (version > 1) return ` Unknown Version (${version})`;
  let text = ` v${version}`;
  if ((o[3]! & 0x80) !== 0) text += " csum";
  if (n === 12 || n >= 20) {
    text += ` {0x${u64(o, 4).toString(16)}`;
    if (n >= 20) text += `,0x${u64(o, 12).toString(16)}`;
    text += "}";
  }
  return text;
};

const join: Printer = (o, flags) => {
  const n = o.length;
  if (
    !(n === 12 && when(flags, (f) => (f & SYN) !== 0)) &&
    !(n === 16 && when(flags, (f) => (f & (SYN | ACK)) === (SYN | ACK))) &&
    !(n === 24 && when(flags, (f) => (f & ACK) !== 0))
  ) return undefined;
  let text = "";
  if (n !== 24) {
    if ((o[2]! & 0x01) !== 0) text += " backup";
    text += ` id ${o[3]}`;
  }
  if (n === 12) {
    text += ` token 0x${read32(o, 4).toString(16)} nonce 0x${
      read32(o, 8).toString(16)
    }`;
  } else if (n === 16) {
    text += ` hmac 0x${u64(o, 4).toString(16)} nonce 0x${
      read32(o, 12).toString(16)
    }`;
  } else {
    text += ` hmac 0x${formatHex(o.subarray(4, 24))}`;
  }
  return text;
};

const dss: Printer = (o, flags) => {
  if (o.length < 4 || (flags !== undefined && (flags & SYN) !== 0)) {
    return undefined;
  }
  const bits = o[3]!;
  let text = (bits & 0x10) !== 0 ? " fin" : "";
  let at = 4;
  // tcpdump writes each field's name before it checks the field is there.
  const number = (name: string, wide: boolean): boolean => {
    text += ` ${name} `;
    const size = wide ? 8 : 4;
    if (o.length - at < size) return false;
    text += String(wide ? u64(o, at) : read32(o, at));
    at += size;
    return true;
  };
  const bad = () => `${text}${BAD}`;
  if ((bits & 0x01) !== 0 && !number("ack", (bits & 0x02) !== 0)) return bad();
  if ((bits & 0x04) !== 0) {
    if (!number("seq", (bits & 0x08) !== 0) || o.length - at < 4) return bad();
    text += ` subseq ${read32(o, at)}`;
    at += 4;
    if (o.length - at < 2) return bad();
    text += ` len ${read16(o, at)}`;
    at += 2;
    if (o.length - at >= 2) {
      text += ` csum 0x${read16(o, at).toString(16)}`;
      at += 2;
    }
  }
  return at === o.length ? text : bad();
};

const addAddr: Printer = (o) => {
  const n = o.length;
  if (![8, 10, 16, 18, 20, 22, 28, 30].includes(n)) return undefined;
  let text = ` ${ADD_ADDR_VERSIONS[o[2]! & 0x0f] ?? "[bad version/echo]"} id ${
    o[3]
  }`;
  const v4 = n <= 18;
  const addressEnd = v4 ? 8 : 20;
  text += ` ${
    v4 ? formatIPv4(o.subarray(4, 8)) : formatIPv6(o.subarray(4, 20))
  }`;
  const port = n === (v4 ? 10 : 22) || n === (v4 ? 18 : 30);
  if (port) text += `:${read16(o, addressEnd)}`;
  if (n === (v4 ? 16 : 28) || n === (v4 ? 18 : 30)) {
    text += ` hmac 0x${u64(o, n - 8).toString(16)}`;
  }
  return text;
};

const removeAddr: Printer = (o) =>
  o.length < 4
    ? undefined
    : ` id${Array.from(o.subarray(3), (id) => ` ${id}`).join("")}`;

const prio: Printer = (o) => {
  if (o.length !== 3 && o.length !== 4) return undefined;
  return `${(o[2]! & 0x01) !== 0 ? " backup" : " non-backup"}${
    o.length === 4 ? ` id ${o[3]}` : ""
  }`;
};

const fail: Printer = (o) => o.length === 12 ? ` seq ${u64(o, 4)}` : undefined;

const fastClose: Printer = (o) =>
  o.length === 12 ? ` key 0x${u64(o, 4).toString(16)}` : undefined;

const PRINTERS: readonly Printer[] = [
  capable,
  join,
  dss,
  addAddr,
  removeAddr,
  prio,
  fail,
  fastClose,
  () => "",
];

/**
 * How tcpdump 4.99 writes an MPTCP option (kind 30) with this body.
 *
 * @param data The bytes after the kind and length bytes.
 * @param flags The segment's TCP flags, when known: the subtypes whose
 *   form depends on SYN and ACK are read as the flags say, and otherwise
 *   as if the flags fit.
 * @returns `mptcp 12 capable v1 {0x102030405060708}`, or text ending in
 *   `[bad opt]` where tcpdump's dissector gives up.
 */
export function mptcpTcpdumpText(
  data: Uint8Array,
  flags: number | undefined,
): string {
  const option = new Uint8Array(data.length + 2);
  option[0] = 30;
  option[1] = data.length + 2;
  option.set(data, 2);
  if (option.length < 3) return `mptcp${BAD}`;
  const subtype = Math.min(option[2]! >> 4, 8);
  const fields = PRINTERS[subtype]!(option, flags);
  return `mptcp ${option.length} ${NAMES[subtype]}${fields ?? BAD}`;
}
