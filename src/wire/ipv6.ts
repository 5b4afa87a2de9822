/**
 * The IPv6 fixed header (RFC 8200 §3): plain-object model, encoder and decoder.
 *
 * Extension headers are handled by `decodeIp` and `encodePacket` in
 * `packet.ts`; this module covers the 40-byte fixed header only.
 *
 * @module
 */

import { addressBytes, formatIPv6 } from "./address.ts";
import { DecodeError } from "./errors.ts";
import {
  checkFieldValue,
  fieldBytes,
  readField,
  writeField,
} from "./header_field.ts";
import { IPV6_HEADER_FIELDS, IPV6_HEADER_LENGTH } from "./ipv6_fields.ts";

export { IPV6_HEADER_LENGTH, IPV6_HEADER_OFFSETS } from "./ipv6_fields.ts";

/** An IPv6 header as a plain object. */
export interface Ipv6Header {
  /** Always 6: the discriminant between IPv4 and IPv6 headers. */
  version: 6;
  /** Traffic class, 8 bits (DSCP and ECN). */
  trafficClass: number;
  /** Flow label, 20 bits. */
  flowLabel: number;
  /** Next header (6 for TCP). */
  nextHeader: number;
  /** Hop limit. */
  hopLimit: number;
  /** Source address, canonical text. */
  src: string;
  /** Destination address, canonical text. */
  dst: string;
  /** Payload length; computed when absent. */
  payloadLength?: number;
}

/** An IPv6 header as decoded. */
export interface DecodedIpv6Header extends Ipv6Header {
  /** Payload length, as read. */
  payloadLength: number;
}

/** Options for {@linkcode encodeIpv6Header}. */
export interface EncodeIpv6HeaderOptions {
  /** Bytes that follow the fixed header (extension headers and the TCP segment). */
  payloadLength: number;
}

/** Options for {@linkcode encodeIpv6HeaderInto}. */
export interface EncodeIpv6HeaderIntoOptions extends EncodeIpv6HeaderOptions {
  /** Where in the target the header starts (default 0). */
  offset?: number;
}

/** Options for {@linkcode decodeIpv6}. */
export interface DecodeIpv6Options {
  /** Accept a payload length past the end of the buffer (default false). */
  lenient?: boolean;
}

/** The result of {@linkcode decodeIpv6}. */
export interface DecodedIpv6 {
  /** The fixed header. */
  header: DecodedIpv6Header;
  /** The bytes after the fixed header, up to the payload length: a view into the input, not a copy. */
  payload: Uint8Array;
}

const LAYER = "IPv6 header";
const F = IPV6_HEADER_FIELDS;

/**
 * Write an IPv6 fixed header into a buffer. The payload length is
 * `options.payloadLength` unless the header gives one, which is written as
 * it is, right or wrong. Jumbograms (RFC 2675) are not supported: a payload
 * over 65535 bytes is a RangeError.
 *
 * @param header The header.
 * @param target The buffer to write into.
 * @param options `payloadLength` (bytes after the fixed header) and `offset` (default 0).
 * @returns The number of bytes written: 40.
 * @throws {RangeError} For a field out of range or a target too small.
 * @throws {ParseError} For an address that is not IPv6 text.
 *
 * @example
 * ```ts
 * import { encodeIpv6HeaderInto } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new Uint8Array(60);
 * const written = encodeIpv6HeaderInto({
 *   version: 6, trafficClass: 0xb8, flowLabel: 0x12345, nextHeader: 6,
 *   hopLimit: 64, src: "2001:db8::1", dst: "2001:db8::2",
 * }, buffer, { payloadLength: 20 });
 * assert.equal(written, 40);
 * assert.deepEqual(buffer.subarray(0, 8), new Uint8Array([0x6b, 0x81, 0x23, 0x45, 0, 20, 6, 64]));
 * ```
 */
export function encodeIpv6HeaderInto(
  header: Ipv6Header,
  target: Uint8Array,
  options: EncodeIpv6HeaderIntoOptions,
): number {
  const offset = options.offset ?? 0;
  if ((header.version as number) !== 6) {
    throw new RangeError(
      `Cannot encode IPv6 header: version ${header.version} is not 6`,
    );
  }
  checkFieldValue(LAYER, F.trafficClass, header.trafficClass);
  checkFieldValue(LAYER, F.flowLabel, header.flowLabel);
  checkFieldValue(LAYER, F.nextHeader, header.nextHeader);
  checkFieldValue(LAYER, F.hopLimit, header.hopLimit);
  const payloadLength = header.payloadLength ?? options.payloadLength;
  checkFieldValue(LAYER, F.payloadLength, payloadLength);
  const src = addressBytes(header.src, 6);
  const dst = addressBytes(header.dst, 6);
  if (
    !Number.isInteger(offset) || offset < 0 ||
    offset + IPV6_HEADER_LENGTH > target.length
  ) {
    throw new RangeError(
      `Cannot encode IPv6 header: 40 bytes do not fit at offset ${offset} of a ${target.length}-byte buffer`,
    );
  }
  writeField(target, offset, F.version, 6);
  writeField(target, offset, F.trafficClass, header.trafficClass);
  writeField(target, offset, F.flowLabel, header.flowLabel);
  writeField(target, offset, F.payloadLength, payloadLength);
  writeField(target, offset, F.nextHeader, header.nextHeader);
  writeField(target, offset, F.hopLimit, header.hopLimit);
  target.set(src, offset + F.src.byteOffset);
  target.set(dst, offset + F.dst.byteOffset);
  return IPV6_HEADER_LENGTH;
}

/**
 * Encode an IPv6 fixed header into a new 40-byte buffer. See
 * {@linkcode encodeIpv6HeaderInto}.
 *
 * @param header The header.
 * @param options `payloadLength`: the bytes that will follow the fixed header.
 * @returns The 40 header bytes.
 * @throws {RangeError} For a field out of range.
 *
 * @example
 * ```ts
 * import { encodeIpv6Header } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeIpv6Header({
 *   version: 6, trafficClass: 0, flowLabel: 0, nextHeader: 6, hopLimit: 64,
 *   src: "2001:db8::1", dst: "2001:db8::2",
 * }, { payloadLength: 20 });
 * assert.equal(bytes.length, 40);
 * assert.equal(bytes[0], 0x60);
 * assert.equal(bytes[39], 2);
 * ```
 */
export function encodeIpv6Header(
  header: Ipv6Header,
  options: EncodeIpv6HeaderOptions,
): Uint8Array {
  const bytes = new Uint8Array(IPV6_HEADER_LENGTH);
  encodeIpv6HeaderInto(header, bytes, { payloadLength: options.payloadLength });
  return bytes;
}

/**
 * Decode an IPv6 fixed header and find its payload:
 * `bytes[40 .. 40 + payloadLength]`; bytes after it (Ethernet padding) are
 * ignored.
 *
 * Strict (the default), it throws a {@linkcode DecodeError} for fewer than
 * 40 bytes, a version other than 6 and a payload length past the end of the
 * buffer. Lenient, it accepts a payload length past the end (the header
 * keeps it; the payload runs to the end of the buffer), so encoding the
 * header and appending the payload gives back the bytes read. A payload
 * length of 0 is taken as an empty payload: jumbograms (RFC 2675) are not
 * decoded.
 *
 * @param bytes The datagram, starting with the IPv6 header.
 * @param options `lenient` (default false).
 * @returns The header and the payload (a view into `bytes`).
 * @throws {DecodeError} With layer `"IPv6 header"`, as above.
 *
 * @example
 * ```ts
 * import { decodeIpv6, encodeIpv6Header } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = encodeIpv6Header({
 *   version: 6, trafficClass: 0, flowLabel: 0xbeef, nextHeader: 59, hopLimit: 1,
 *   src: "2001:db8::1", dst: "ff02::1",
 * }, { payloadLength: 0 });
 * const { header: decoded, payload } = decodeIpv6(header);
 * assert.equal(decoded.flowLabel, 0xbeef);
 * assert.equal(decoded.dst, "ff02::1");
 * assert.equal(payload.length, 0);
 * ```
 */
export function decodeIpv6(
  bytes: Uint8Array,
  options: DecodeIpv6Options = {},
): DecodedIpv6 {
  const lenient = options.lenient ?? false;
  if (bytes.length < IPV6_HEADER_LENGTH) {
    throw new DecodeError(
      `buffer is ${bytes.length} bytes, expected at least 40`,
      { kind: "truncated", layer: LAYER, offset: 0 },
    );
  }
  const version = readField(bytes, 0, F.version);
  if (version !== 6) {
    throw new DecodeError(
      `version ${version} at byte ${F.version.byteOffset} is not 6`,
      { kind: "malformed", layer: LAYER, offset: F.version.byteOffset },
    );
  }
  const payloadLength = readField(bytes, 0, F.payloadLength);
  const payloadAt = F.payloadLength.byteOffset;
  let end = IPV6_HEADER_LENGTH + payloadLength;
  if (end > bytes.length) {
    if (!lenient) {
      throw new DecodeError(
        `payload length ${payloadLength} at byte ${payloadAt} is past the end of the ${bytes.length}-byte buffer (needs ${end})`,
        { kind: "truncated", layer: LAYER, offset: payloadAt },
      );
    }
    end = bytes.length;
  }
  const header: DecodedIpv6Header = {
    version: 6,
    trafficClass: readField(bytes, 0, F.trafficClass),
    flowLabel: readField(bytes, 0, F.flowLabel),
    nextHeader: readField(bytes, 0, F.nextHeader),
    hopLimit: readField(bytes, 0, F.hopLimit),
    src: formatIPv6(fieldBytes(bytes, 0, F.src)),
    dst: formatIPv6(fieldBytes(bytes, 0, F.dst)),
    payloadLength,
  };
  return { header, payload: bytes.subarray(IPV6_HEADER_LENGTH, end) };
}
