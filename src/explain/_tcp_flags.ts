/**
 * The nine TCP flags explained one bit each, and the flag combinations no
 * TCP stack sends. Private to the explainer.
 *
 * @module
 */

import { TCP_FLAG_NAMES, TCP_FLAGS, type TcpFlagName } from "../wire/flags.ts";
import { TCP_HEADER_FIELDS } from "../wire/tcp_fields.ts";
import type { AnomalyCode } from "./anomalies.ts";
import type { Builder } from "./_builder.ts";
import type { ExplainedLayer } from "./types.ts";

/** What each flag means set and clear. */
const FLAG_MEANINGS: Readonly<
  Record<TcpFlagName, { set: string; clear: string }>
> = Object.freeze({
  ae: {
    set: "set: accurate ECN (AccECN; this bit was NS, RFC 3540)",
    clear: "clear",
  },
  cwr: { set: "set: congestion window reduced (RFC 3168)", clear: "clear" },
  ece: {
    set: "set: ECN echo (RFC 3168); in a SYN, the sender does ECN",
    clear: "clear",
  },
  urg: {
    set: "set: the urgent pointer is significant",
    clear: "clear: the urgent pointer is not used",
  },
  ack: {
    set: "set: the acknowledgment number is significant",
    clear: "clear: the acknowledgment number is not used",
  },
  psh: {
    set: "set: push, deliver the data to the application now",
    clear: "clear",
  },
  rst: { set: "set: reset, abort the connection", clear: "clear" },
  syn: {
    set: "set: synchronize sequence numbers, open a connection",
    clear: "clear",
  },
  fin: {
    set: "set: the sender has no more data, close its direction",
    clear: "clear",
  },
});

/**
 * One field per flag bit, in wire order (AE first): the flags field of
 * `TCP_HEADER_FIELDS` holds them from its top bit, AE, to its last, FIN.
 */
export function explainFlags(
  b: Builder,
  layer: ExplainedLayer,
  flags: number,
): void {
  const field = TCP_HEADER_FIELDS.flags;
  for (let bit = 0; bit < field.bitLength; bit++) {
    const name = TCP_FLAG_NAMES[field.bitLength - 1 - bit]!;
    const label = name.toUpperCase();
    const set = (flags & TCP_FLAGS[name]) !== 0;
    b.field(
      layer,
      {
        key: `flags.${name}`,
        name: label,
        abbreviation: label,
        byteOffset: field.byteOffset,
        bitOffset: field.bitOffset + bit,
        bitLength: 1,
      },
      { meaning: set ? FLAG_MEANINGS[name].set : FLAG_MEANINGS[name].clear },
    );
  }
}

const XMAS = TCP_FLAGS.fin | TCP_FLAGS.psh | TCP_FLAGS.urg;

/** A flag combination no TCP stack sends, and what it says. */
interface FlagAnomaly {
  code: AnomalyCode;
  /** Whether the flags show it. */
  test(flags: number): boolean;
  message: string;
}

const has = (flags: number, name: TcpFlagName) =>
  (flags & TCP_FLAGS[name]) !== 0;

/** The flag combinations reported, in the order they are reported. */
const FLAG_ANOMALIES: readonly FlagAnomaly[] = [
  {
    code: "xmas",
    test: (flags) => (flags & XMAS) === XMAS,
    message:
      "Christmas tree packet: FIN, PSH and URG are all set, lit up like a tree; no TCP stack sends this, it is a port-scan probe (nmap -sX)",
  },
  {
    code: "null-flags",
    test: (flags) => (flags & 0x1ff) === 0,
    message:
      "NULL packet: no flag is set; every real segment has at least one (SYN, RST or ACK), so this is a port-scan probe (nmap -sN)",
  },
  {
    code: "syn-fin",
    test: (flags) => has(flags, "syn") && has(flags, "fin"),
    message:
      "SYN and FIN are both set: open and close at once; no TCP stack sends this, and firewalls and IDSs treat it as a probe or an evasion attempt",
  },
  {
    code: "syn-rst",
    test: (flags) => has(flags, "syn") && has(flags, "rst"),
    message:
      "SYN and RST are both set: open and reset at once; no valid segment has both",
  },
  {
    code: "fin-without-ack",
    test: (flags) =>
      has(flags, "fin") && !has(flags, "ack") && !has(flags, "syn") &&
      (flags & XMAS) !== XMAS,
    message:
      "FIN without ACK: every FIN of a real connection carries ACK, so this is a probe (nmap -sF, FIN scan)",
  },
];

/** Report the flag combinations no stack sends, at the byte of FIN..CWR. */
export function flagAnomalies(b: Builder, base: number, flags: number): void {
  const field = TCP_HEADER_FIELDS.flags;
  const at = base + field.byteOffset +
    ((field.bitOffset + field.bitLength - 1) >> 3);
  for (const anomaly of FLAG_ANOMALIES) {
    if (anomaly.test(flags)) {
      b.anomaly(anomaly.code, anomaly.message, at, "flags");
    }
  }
}
