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

/** Where the rule an anomaly breaks is written: one section of one RFC. */
export interface AnomalyReference {
  /** The RFC's number: `9293`. */
  rfc: number;
  /** The section, as the RFC numbers it: `3.1`, `3.10.7.4`. */
  section: string;
  /** The section's title, as the RFC writes it: `Header Format`. */
  title: string;
}

const ref = (
  rfc: number,
  section: string,
  title: string,
): AnomalyReference => Object.freeze({ rfc, section, title });

const TCP_HEADER = ref(9293, "3.1", "Header Format");
const SEGMENT_ARRIVES = ref(9293, "3.10.7", "SEGMENT ARRIVES");
const IPV4_HEADER = ref(791, "3.1", "Internet Header Format");

/**
 * The section of the RFC each anomaly comes from: the rule the packet
 * breaks, or for a scanner's flag combination the event processing that
 * makes it a probe (a closed port answers it with a reset, an open one
 * drops it). `malformed` has none: it stands for whatever a strict
 * decoder refuses, and its message says which rule.
 *
 * @example
 * ```ts
 * import { ANOMALY_REFERENCES, formatAnomalyReference } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const reference = ANOMALY_REFERENCES["wscale-too-large"]!;
 * assert.equal(formatAnomalyReference(reference), "RFC 7323 §2.3 (Using the Window Scale Option)");
 * assert.equal(ANOMALY_REFERENCES.malformed, undefined);
 * ```
 */
export const ANOMALY_REFERENCES: Readonly<
  Record<AnomalyCode, AnomalyReference | undefined>
> = Object.freeze({
  "xmas": SEGMENT_ARRIVES,
  "null-flags": SEGMENT_ARRIVES,
  "syn-fin": SEGMENT_ARRIVES,
  "syn-rst": SEGMENT_ARRIVES,
  "fin-without-ack": ref(9293, "3.10.7.4", "Other States"),
  "urg-without-pointer": ref(
    9293,
    "3.8.5",
    "The Communication of Urgent Information",
  ),
  "pointer-without-urg": TCP_HEADER,
  "ack-number-without-ack": TCP_HEADER,
  "reserved-bits": TCP_HEADER,
  "port-zero": ref(6335, "6", "Port Number Ranges"),
  "data-offset-too-small": TCP_HEADER,
  "data-offset-past-end": TCP_HEADER,
  "tcp-truncated": TCP_HEADER,
  "option-length": TCP_HEADER,
  "options-after-eol": TCP_HEADER,
  "wscale-too-large": ref(7323, "2.3", "Using the Window Scale Option"),
  "tcp-checksum": TCP_HEADER,
  "ipv4-ihl": IPV4_HEADER,
  "ipv4-total-length": IPV4_HEADER,
  "ipv4-header-checksum": IPV4_HEADER,
  "ipv4-reserved-bit": IPV4_HEADER,
  "ipv4-options": IPV4_HEADER,
  "tcp-signature": ref(2385, "2.0", "Proposal"),
  "ipv6-payload-length": ref(8200, "3", "IPv6 Header Format"),
  "malformed": undefined,
});

/**
 * A reference as people cite it: `RFC 9293 §3.1 (Header Format)`.
 *
 * @param reference An RFC section.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatAnomalyReference } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatAnomalyReference({ rfc: 791, section: "3.1", title: "Internet Header Format" }),
 *   "RFC 791 §3.1 (Internet Header Format)",
 * );
 * ```
 */
export function formatAnomalyReference(reference: AnomalyReference): string {
  return `RFC ${reference.rfc} §${reference.section} (${reference.title})`;
}

/**
 * Where a reference can be read: the section's anchor in the RFC Editor's
 * HTML rendering of the RFC.
 *
 * @param reference An RFC section.
 * @returns The URL.
 *
 * @example
 * ```ts
 * import { anomalyReferenceUrl } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   anomalyReferenceUrl({ rfc: 9293, section: "3.10.7.4", title: "Other States" }),
 *   "https://www.rfc-editor.org/rfc/rfc9293.html#section-3.10.7.4",
 * );
 * ```
 */
export function anomalyReferenceUrl(reference: AnomalyReference): string {
  return `https://www.rfc-editor.org/rfc/rfc${reference.rfc}.html#section-${reference.section}`;
}

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
  /**
   * The RFC section the anomaly comes from ({@linkcode ANOMALY_REFERENCES}),
   * when there is one.
   */
  reference?: AnomalyReference;
}
