/**
 * The fields of the IPv4 header (RFC 791 §3.1) as data: offset, width,
 * name and purpose of each, read by the encoder, the decoder and the
 * explainer.
 *
 * @module
 */

import { type HeaderField, headerOffsets } from "./header_field.ts";

/** The keys of {@linkcode IPV4_HEADER_FIELDS}: the fields of the IPv4 header. */
export type Ipv4HeaderFieldKey =
  | "version"
  | "ihl"
  | "tos"
  | "dscp"
  | "ecn"
  | "totalLength"
  | "id"
  | "reservedBit"
  | "dontFragment"
  | "moreFragments"
  | "fragmentOffset"
  | "ttl"
  | "protocol"
  | "checksum"
  | "src"
  | "dst"
  | "options";

/**
 * Every field of the IPv4 header, in wire order. `tos` is the whole type
 * of service byte, which the explainer shows as its two parts, `dscp` and
 * `ecn`.
 *
 * @example
 * ```ts
 * import { IPV4_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { fragmentOffset } = IPV4_HEADER_FIELDS;
 * assert.deepEqual([fragmentOffset.byteOffset, fragmentOffset.bitOffset, fragmentOffset.bitLength], [6, 3, 13]);
 * ```
 */
export const IPV4_HEADER_FIELDS: Readonly<
  Record<Ipv4HeaderFieldKey, HeaderField>
> = Object.freeze({
  version: {
    key: "version",
    name: "Version",
    abbreviation: "Ver",
    byteOffset: 0,
    bitOffset: 0,
    bitLength: 4,
    meaning: "the IP version: 4",
    slot: "versionIhl",
  },
  ihl: {
    key: "ihl",
    name: "IHL",
    abbreviation: "IHL",
    byteOffset: 0,
    bitOffset: 4,
    bitLength: 4,
    meaning: "the header length in 32-bit words",
    slot: "versionIhl",
  },
  tos: {
    key: "tos",
    name: "Type of Service",
    abbreviation: "TOS",
    byteOffset: 1,
    bitOffset: 0,
    bitLength: 8,
    meaning: "DSCP and ECN",
    parts: ["dscp", "ecn"],
  },
  dscp: {
    key: "dscp",
    name: "DSCP",
    abbreviation: "DSCP",
    byteOffset: 1,
    bitOffset: 0,
    bitLength: 6,
    meaning: "the differentiated services code point: the class of traffic",
    slot: "tos",
  },
  ecn: {
    key: "ecn",
    name: "ECN",
    abbreviation: "ECN",
    byteOffset: 1,
    bitOffset: 6,
    bitLength: 2,
    meaning: "explicit congestion notification",
    slot: "tos",
  },
  totalLength: {
    key: "totalLength",
    name: "Total Length",
    abbreviation: "TotLen",
    byteOffset: 2,
    bitOffset: 0,
    bitLength: 16,
    meaning: "the datagram's length in bytes: header and data",
  },
  id: {
    key: "id",
    name: "Identification",
    abbreviation: "ID",
    byteOffset: 4,
    bitOffset: 0,
    bitLength: 16,
    meaning: "identifies the fragments of one datagram",
  },
  reservedBit: {
    key: "reservedBit",
    name: "Reserved bit",
    abbreviation: "R",
    byteOffset: 6,
    bitOffset: 0,
    bitLength: 1,
    meaning: "reserved: senders send 0",
    slot: "flagsFragmentOffset",
    group: "Flags",
  },
  dontFragment: {
    key: "dontFragment",
    name: "Don't Fragment",
    abbreviation: "DF",
    byteOffset: 6,
    bitOffset: 1,
    bitLength: 1,
    meaning: "routers must not fragment the datagram",
    slot: "flagsFragmentOffset",
    group: "Flags",
  },
  moreFragments: {
    key: "moreFragments",
    name: "More Fragments",
    abbreviation: "MF",
    byteOffset: 6,
    bitOffset: 2,
    bitLength: 1,
    meaning: "more fragments follow this one",
    slot: "flagsFragmentOffset",
    group: "Flags",
  },
  fragmentOffset: {
    key: "fragmentOffset",
    name: "Fragment Offset",
    abbreviation: "FragOff",
    byteOffset: 6,
    bitOffset: 3,
    bitLength: 13,
    meaning: "where this fragment goes in the datagram, in 8-byte units",
    slot: "flagsFragmentOffset",
  },
  ttl: {
    key: "ttl",
    name: "Time to Live",
    abbreviation: "TTL",
    byteOffset: 8,
    bitOffset: 0,
    bitLength: 8,
    meaning: "how many more hops before a router drops it",
  },
  protocol: {
    key: "protocol",
    name: "Protocol",
    abbreviation: "Proto",
    byteOffset: 9,
    bitOffset: 0,
    bitLength: 8,
    meaning: "the protocol of the data: 6 for TCP",
  },
  checksum: {
    key: "checksum",
    name: "Header Checksum",
    abbreviation: "Checksum",
    byteOffset: 10,
    bitOffset: 0,
    bitLength: 16,
    meaning: "the Internet checksum of the header",
  },
  src: {
    key: "src",
    name: "Source Address",
    abbreviation: "Src",
    byteOffset: 12,
    bitOffset: 0,
    bitLength: 32,
    meaning: "the sender",
  },
  dst: {
    key: "dst",
    name: "Destination Address",
    abbreviation: "Dst",
    byteOffset: 16,
    bitOffset: 0,
    bitLength: 32,
    meaning: "the receiver",
  },
  options: {
    key: "options",
    name: "Options",
    abbreviation: "Opts",
    byteOffset: 20,
    bitOffset: 0,
    bitLength: 0,
    meaning: "IPv4 options and padding, up to the IHL",
  },
});

/**
 * Byte offsets of the IPv4 header fields (RFC 791 §3.1), derived from
 * {@linkcode IPV4_HEADER_FIELDS}: `versionIhl` is the byte of Version and
 * IHL, `tos` the type of service byte, `flagsFragmentOffset` the 16 bits of
 * the reserved bit, DF, MF and the fragment offset.
 *
 * @example
 * ```ts
 * import { IPV4_HEADER_OFFSETS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = new Uint8Array(20);
 * header[IPV4_HEADER_OFFSETS.ttl] = 64;
 * assert.equal(header[8], 64);
 * ```
 */
export const IPV4_HEADER_OFFSETS: Readonly<
  Record<
    | "versionIhl"
    | "tos"
    | "totalLength"
    | "id"
    | "flagsFragmentOffset"
    | "ttl"
    | "protocol"
    | "checksum"
    | "src"
    | "dst"
    | "options",
    number
  >
> = headerOffsets(
  Object.values(IPV4_HEADER_FIELDS),
) as typeof IPV4_HEADER_OFFSETS;

/**
 * Length of an IPv4 header without options.
 *
 * @example
 * ```ts
 * import { IPV4_MIN_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV4_MIN_HEADER_LENGTH, 20);
 * ```
 */
export const IPV4_MIN_HEADER_LENGTH = 20;
/**
 * Most option bytes an IPv4 header can hold (IHL 15 = 60 bytes).
 *
 * @example
 * ```ts
 * import { IPV4_MAX_OPTIONS_LENGTH, IPV4_MIN_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV4_MIN_HEADER_LENGTH + IPV4_MAX_OPTIONS_LENGTH, 15 * 4);
 * ```
 */
export const IPV4_MAX_OPTIONS_LENGTH = 40;
