/**
 * The fields of the IPv6 fixed header (RFC 8200 §3) as data: offset,
 * width, name and purpose of each, read by the encoder, the decoder and
 * the explainer.
 *
 * @module
 */

import { type HeaderField, headerOffsets } from "./header_field.ts";

/** The keys of {@linkcode IPV6_HEADER_FIELDS}: the fields of the IPv6 fixed header. */
export type Ipv6HeaderFieldKey =
  | "version"
  | "trafficClass"
  | "dscp"
  | "ecn"
  | "flowLabel"
  | "payloadLength"
  | "nextHeader"
  | "hopLimit"
  | "src"
  | "dst";

/**
 * Every field of the IPv6 fixed header, in wire order. `trafficClass` is
 * the whole byte, which the explainer shows as its two parts, `dscp` and
 * `ecn`.
 *
 * @example
 * ```ts
 * import { IPV6_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { flowLabel } = IPV6_HEADER_FIELDS;
 * assert.deepEqual([flowLabel.byteOffset, flowLabel.bitOffset, flowLabel.bitLength], [1, 4, 20]);
 * ```
 */
export const IPV6_HEADER_FIELDS: Readonly<
  Record<Ipv6HeaderFieldKey, HeaderField>
> = Object.freeze({
  version: {
    key: "version",
    name: "Version",
    abbreviation: "Ver",
    byteOffset: 0,
    bitOffset: 0,
    bitLength: 4,
    meaning: "the IP version: 6",
    slot: "versionClassFlow",
  },
  trafficClass: {
    key: "trafficClass",
    name: "Traffic Class",
    abbreviation: "TC",
    byteOffset: 0,
    bitOffset: 4,
    bitLength: 8,
    meaning: "DSCP and ECN",
    slot: "versionClassFlow",
    parts: ["dscp", "ecn"],
  },
  dscp: {
    key: "dscp",
    name: "DSCP",
    abbreviation: "DSCP",
    byteOffset: 0,
    bitOffset: 4,
    bitLength: 6,
    meaning: "the differentiated services code point: the class of traffic",
    slot: "versionClassFlow",
  },
  ecn: {
    key: "ecn",
    name: "ECN",
    abbreviation: "ECN",
    byteOffset: 1,
    bitOffset: 2,
    bitLength: 2,
    meaning: "explicit congestion notification",
    slot: "versionClassFlow",
  },
  flowLabel: {
    key: "flowLabel",
    name: "Flow Label",
    abbreviation: "Flow",
    byteOffset: 1,
    bitOffset: 4,
    bitLength: 20,
    meaning: "marks packets of one flow for routers",
    slot: "versionClassFlow",
  },
  payloadLength: {
    key: "payloadLength",
    name: "Payload Length",
    abbreviation: "PayLen",
    byteOffset: 4,
    bitOffset: 0,
    bitLength: 16,
    meaning: "the bytes after this 40-byte header",
  },
  nextHeader: {
    key: "nextHeader",
    name: "Next Header",
    abbreviation: "NextHdr",
    byteOffset: 6,
    bitOffset: 0,
    bitLength: 8,
    meaning: "the type of the header that follows: 6 for TCP",
  },
  hopLimit: {
    key: "hopLimit",
    name: "Hop Limit",
    abbreviation: "HopLim",
    byteOffset: 7,
    bitOffset: 0,
    bitLength: 8,
    meaning: "how many more hops before a router drops it",
  },
  src: {
    key: "src",
    name: "Source Address",
    abbreviation: "Src",
    byteOffset: 8,
    bitOffset: 0,
    bitLength: 128,
    meaning: "the sender",
  },
  dst: {
    key: "dst",
    name: "Destination Address",
    abbreviation: "Dst",
    byteOffset: 24,
    bitOffset: 0,
    bitLength: 128,
    meaning: "the receiver",
  },
});

/**
 * Byte offsets of the IPv6 fixed header fields (RFC 8200 §3), derived from
 * {@linkcode IPV6_HEADER_FIELDS}: `versionClassFlow` is the 32 bits of
 * version, traffic class and flow label.
 *
 * @example
 * ```ts
 * import { IPV6_HEADER_OFFSETS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_HEADER_OFFSETS.hopLimit, 7);
 * ```
 */
export const IPV6_HEADER_OFFSETS: Readonly<
  Record<
    | "versionClassFlow"
    | "payloadLength"
    | "nextHeader"
    | "hopLimit"
    | "src"
    | "dst",
    number
  >
> = headerOffsets(
  Object.values(IPV6_HEADER_FIELDS),
) as typeof IPV6_HEADER_OFFSETS;

/**
 * Length of the IPv6 fixed header.
 *
 * @example
 * ```ts
 * import { IPV6_HEADER_LENGTH } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_HEADER_LENGTH, 40);
 * ```
 */
export const IPV6_HEADER_LENGTH = 40;

/**
 * The fields every IPv6 extension header of the common layout starts with
 * (RFC 8200 §4): Next Header, Hdr Ext Len (the length in 8-byte units, not
 * counting the first 8 bytes), then the header's own data.
 *
 * @example
 * ```ts
 * import { IPV6_EXTENSION_HEADER_FIELDS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_EXTENSION_HEADER_FIELDS.hdrExtLen.byteOffset, 1);
 * assert.equal(IPV6_EXTENSION_HEADER_FIELDS.data.byteOffset, 2);
 * ```
 */
export const IPV6_EXTENSION_HEADER_FIELDS: Readonly<
  Record<"nextHeader" | "hdrExtLen" | "data", HeaderField>
> = Object.freeze({
  nextHeader: {
    key: "nextHeader",
    name: "Next Header",
    abbreviation: "NextHdr",
    byteOffset: 0,
    bitOffset: 0,
    bitLength: 8,
    meaning: "the type of the header that follows",
  },
  hdrExtLen: {
    key: "hdrExtLen",
    name: "Hdr Ext Len",
    abbreviation: "Len",
    byteOffset: 1,
    bitOffset: 0,
    bitLength: 8,
    meaning: "the header's length in 8-byte units, not counting the first 8",
  },
  data: {
    key: "data",
    name: "Data",
    abbreviation: "Data",
    byteOffset: 2,
    bitOffset: 0,
    bitLength: 0,
    meaning: "options or routing data, to the end of the header",
  },
});
