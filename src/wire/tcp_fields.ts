/**
 * The fields of the TCP header (RFC 9293 §3.1) as data: offset, width,
 * name and purpose of each. The encoder, the decoder, `TcpHeaderView` and
 * the explainer all read them here.
 *
 * @module
 */

import { type HeaderField, headerOffsets } from "./header_field.ts";

/** The keys of {@linkcode TCP_HEADER_FIELDS}: the fields of the TCP header. */
export type TcpHeaderFieldKey =
  | "srcPort"
  | "dstPort"
  | "seq"
  | "ack"
  | "dataOffset"
  | "reserved"
  | "flags"
  | "window"
  | "checksum"
  | "urgentPointer"
  | "options";

/**
 * Every field of the TCP header, in wire order. Byte 12 holds the data
 * offset (high 4 bits), the reserved bits and the AE flag (bit 7); byte 13
 * the other eight flags, so `flags` is 9 bits from bit 7 of byte 12.
 *
 * @example
 * ```ts
 * import { TCP_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { flags } = TCP_HEADER_FIELDS;
 * assert.deepEqual([flags.byteOffset, flags.bitOffset, flags.bitLength], [12, 7, 9]);
 * ```
 */
export const TCP_HEADER_FIELDS: Readonly<
  Record<TcpHeaderFieldKey, HeaderField>
> = Object.freeze({
  srcPort: {
    key: "srcPort",
    name: "Source Port",
    abbreviation: "SrcPort",
    byteOffset: 0,
    bitOffset: 0,
    bitLength: 16,
    meaning: "the sender's port",
  },
  dstPort: {
    key: "dstPort",
    name: "Destination Port",
    abbreviation: "DstPort",
    byteOffset: 2,
    bitOffset: 0,
    bitLength: 16,
    meaning: "the receiver's port",
  },
  seq: {
    key: "seq",
    name: "Sequence Number",
    abbreviation: "Seq",
    byteOffset: 4,
    bitOffset: 0,
    bitLength: 32,
    meaning: "the number of the first data byte",
  },
  ack: {
    key: "ack",
    name: "Acknowledgment Number",
    abbreviation: "Ack",
    byteOffset: 8,
    bitOffset: 0,
    bitLength: 32,
    meaning: "the next sequence number expected from the peer",
  },
  dataOffset: {
    key: "dataOffset",
    name: "Data Offset",
    abbreviation: "Offset",
    byteOffset: 12,
    bitOffset: 0,
    bitLength: 4,
    meaning: "the header length in 32-bit words",
  },
  reserved: {
    key: "reserved",
    name: "Reserved",
    abbreviation: "Rsrvd",
    byteOffset: 12,
    bitOffset: 4,
    bitLength: 3,
    meaning: "reserved for future use: senders send 0",
  },
  flags: {
    key: "flags",
    name: "Flags",
    abbreviation: "Flags",
    byteOffset: 12,
    bitOffset: 7,
    bitLength: 9,
    meaning: "the control bits, AE first and FIN last",
  },
  window: {
    key: "window",
    name: "Window",
    abbreviation: "Win",
    byteOffset: 14,
    bitOffset: 0,
    bitLength: 16,
    meaning: "how many bytes the sender can receive, before scaling",
  },
  checksum: {
    key: "checksum",
    name: "Checksum",
    abbreviation: "Cksum",
    byteOffset: 16,
    bitOffset: 0,
    bitLength: 16,
    meaning: "the Internet checksum of the pseudo-header and the segment",
  },
  urgentPointer: {
    key: "urgentPointer",
    name: "Urgent Pointer",
    abbreviation: "UrgPtr",
    byteOffset: 18,
    bitOffset: 0,
    bitLength: 16,
    meaning: "where urgent data ends, counted from the sequence number",
  },
  options: {
    key: "options",
    name: "Options",
    abbreviation: "Opts",
    byteOffset: 20,
    bitOffset: 0,
    bitLength: 0,
    meaning: "TCP options and padding, up to the data offset",
  },
});

/**
 * Where each field of the TCP header starts, in bytes from the start of the
 * header. Fields are big-endian. Byte 12 holds the data offset (high 4 bits),
 * the reserved bits (bits 3..1) and the AE flag (bit 0); byte 13 holds the
 * other eight flags; so `dataOffset`, `reserved` and `flags` all start at 12.
 * Derived from {@linkcode TCP_HEADER_FIELDS}.
 *
 * @example
 * ```ts
 * import { TCP_HEADER_OFFSETS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_HEADER_OFFSETS.checksum, 16);
 * assert.equal(TCP_HEADER_OFFSETS.options, 20);
 * ```
 */
export const TCP_HEADER_OFFSETS: Readonly<{
  srcPort: 0;
  dstPort: 2;
  seq: 4;
  ack: 8;
  dataOffset: 12;
  reserved: 12;
  flags: 12;
  window: 14;
  checksum: 16;
  urgentPointer: 18;
  options: 20;
}> = headerOffsets(
  Object.values(TCP_HEADER_FIELDS),
) as typeof TCP_HEADER_OFFSETS;

/**
 * The length of a TCP header without options, and the smallest data offset
 * (5 words).
 *
 * @example
 * ```ts
 * import { TCP_MIN_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_MIN_HEADER_LENGTH, 20);
 * ```
 */
export const TCP_MIN_HEADER_LENGTH = 20;

/**
 * The longest TCP header a 4-bit data offset can describe (15 words), which
 * leaves 40 bytes for options.
 *
 * @example
 * ```ts
 * import { TCP_MAX_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_MAX_HEADER_LENGTH, 60);
 * ```
 */
export const TCP_MAX_HEADER_LENGTH = 60;
