/**
 * The anomalies an explanation reports: each is something a correct TCP/IP
 * stack does not send, or a field a strict decoder refuses.
 *
 * @module
 */

/**
 * The anomalies {@linkcode explainPacket} reports. Each is something a
 * correct TCP/IP stack does not send, or a field a strict decoder refuses.
 */
export type AnomalyCode =
  | "xmas"
  | "null-flags"
  | "syn-fin"
  | "syn-rst"
  | "fin-without-ack"
  | "urg-without-pointer"
  | "pointer-without-urg"
  | "ack-number-without-ack"
  | "reserved-bits"
  | "port-zero"
  | "data-offset-too-small"
  | "data-offset-past-end"
  | "tcp-truncated"
  | "option-length"
  | "options-after-eol"
  | "wscale-too-large"
  | "tcp-checksum"
  | "tcp-signature"
  | "ipv4-ihl"
  | "ipv4-total-length"
  | "ipv4-header-checksum"
  | "ipv4-reserved-bit"
  | "ipv4-options"
  | "ipv6-payload-length"
  | "malformed";

/**
 * Every {@linkcode AnomalyCode}, in the order of the type.
 *
 * @example
 * ```ts
 * import { ANOMALY_CODES } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(ANOMALY_CODES.includes("xmas"));
 * ```
 */
export const ANOMALY_CODES: readonly AnomalyCode[] = Object.freeze([
  "xmas",
  "null-flags",
  "syn-fin",
  "syn-rst",
  "fin-without-ack",
  "urg-without-pointer",
  "pointer-without-urg",
  "ack-number-without-ack",
  "reserved-bits",
  "port-zero",
  "data-offset-too-small",
  "data-offset-past-end",
  "tcp-truncated",
  "option-length",
  "options-after-eol",
  "wscale-too-large",
  "tcp-checksum",
  "tcp-signature",
  "ipv4-ihl",
  "ipv4-total-length",
  "ipv4-header-checksum",
  "ipv4-reserved-bit",
  "ipv4-options",
  "ipv6-payload-length",
  "malformed",
]);

/** Something wrong or suspicious, in plain words. */
export interface Anomaly {
  /** What kind of anomaly. */
  code: AnomalyCode;
  /** One or two sentences, no trailing period. */
  message: string;
  /** Where: offset in the explained bytes of the field at fault. */
  byteOffset: number;
  /** The key of the field at fault, when there is one. */
  field?: string;
}
