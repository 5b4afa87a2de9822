/**
 * The IPv4 header (RFC 791): plain-object model, encoder and decoder.
 *
 * The encoder computes the header length (IHL), the total length and the
 * header checksum unless the model overrides them, so a header with a wrong
 * checksum, IHL or total length can be crafted on purpose. The decoder keeps
 * every field, so decoding then encoding gives back the same bytes.
 *
 * @module
 */

import { addressBytes, formatIPv4 } from "./address.ts";
import { internetChecksum, verifyChecksum } from "./checksum.ts";
import { DecodeError } from "./errors.ts";
import {
  checkFieldValue,
  fieldBytes,
  readField,
  writeField,
} from "./header_field.ts";
import {
  IPV4_HEADER_FIELDS,
  IPV4_MAX_OPTIONS_LENGTH,
  IPV4_MIN_HEADER_LENGTH,
} from "./ipv4_fields.ts";

export {
  IPV4_HEADER_OFFSETS,
  IPV4_MAX_OPTIONS_LENGTH,
  IPV4_MIN_HEADER_LENGTH,
} from "./ipv4_fields.ts";

/** An IPv4 header as a plain object. */
export interface Ipv4Header {
  /** Always 4: the discriminant between IPv4 and IPv6 headers. */
  version: 4;
  /** Type of service byte: DSCP (high 6 bits) and ECN (low 2 bits). */
  tos: number;
  /** Identification, 16 bits. */
  id: number;
  /** DF (don't fragment). */
  dontFragment: boolean;
  /** MF (more fragments). */
  moreFragments: boolean;
  /** The reserved (evil) bit; false when absent. */
  reservedBit?: boolean;
  /** Fragment offset in 8-byte units, 0..8191. */
  fragmentOffset: number;
  /** Time to live. */
  ttl: number;
  /** Protocol number (6 for TCP). */
  protocol: number;
  /** Source address, canonical text. */
  src: string;
  /** Destination address, canonical text. */
  dst: string;
  /** Options, raw bytes; zero-padded to a multiple of 4 when encoded. */
  options: Uint8Array;
  /** Header length in 32-bit words; computed when absent. */
  ihl?: number;
  /** Total length; computed when absent. */
  totalLength?: number;
  /** Header checksum; computed when absent. */
  checksum?: number;
}

/** An IPv4 header as decoded: computed fields present. */
export interface DecodedIpv4Header extends Ipv4Header {
  /** The reserved (evil) bit as read. */
  reservedBit: boolean;
  /** Header length in 32-bit words, as read. */
  ihl: number;
  /** Total length, as read. */
  totalLength: number;
  /** Header checksum, as read. */
  checksum: number;
}

/** Options for {@linkcode encodeIpv4Header}. */
export interface EncodeIpv4HeaderOptions {
  /** Bytes that follow the header (the TCP segment); used for the computed total length. */
  payloadLength: number;
}

/** Options for {@linkcode encodeIpv4HeaderInto}. */
export interface EncodeIpv4HeaderIntoOptions extends EncodeIpv4HeaderOptions {
  /** Where in the target the header starts (default 0). */
  offset?: number;
}

/** Options for {@linkcode decodeIpv4}. */
export interface DecodeIpv4Options {
  /**
   * Accept inconsistent lengths instead of throwing (default false). See
   * {@linkcode decodeIpv4} for what is done with them.
   */
  lenient?: boolean;
}

/** The result of {@linkcode decodeIpv4}. */
export interface DecodedIpv4 {
  /** The header, every field present. */
  header: DecodedIpv4Header;
  /** The bytes after the header, up to the total length: a view into the input, not a copy. */
  payload: Uint8Array;
}

const LAYER = "IPv4 header";
const F = IPV4_HEADER_FIELDS;

/** A one-bit flag's value. */
function flag(set: boolean | undefined): number {
  return set ? 1 : 0;
}

/**
 * The length in bytes the encoder writes for a header: 20 plus the options
 * rounded up to a multiple of 4. An `ihl` override does not change it (the
 * override is written into the field, not obeyed).
 *
 * @param header The header.
 * @returns The header length in bytes, 20..60.
 * @throws {RangeError} When the options are longer than 40 bytes.
 *
 * @example
 * ```ts
 * import { ipv4HeaderLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = {
 *   version: 4, tos: 0, id: 1, dontFragment: false, moreFragments: false,
 *   fragmentOffset: 0, ttl: 64, protocol: 6, src: "192.0.2.1", dst: "192.0.2.2",
 *   options: new Uint8Array([1, 1, 1]),
 * } as const;
 * assert.equal(ipv4HeaderLength(header), 24);
 * ```
 */
export function ipv4HeaderLength(header: Ipv4Header): number {
  const length = header.options.length;
  if (length > IPV4_MAX_OPTIONS_LENGTH) {
    throw new RangeError(
      `Cannot encode IPv4 header: options are ${length} bytes, at most 40 fit`,
    );
  }
  return IPV4_MIN_HEADER_LENGTH + ((length + 3) & ~3);
}

/**
 * Write an IPv4 header into a buffer. IHL, total length (header plus
 * `payloadLength`) and checksum are computed unless the header gives them;
 * given values are written as they are, right or wrong. The computed
 * checksum covers the header bytes written (20 plus padded options), with
 * whatever IHL and total length are written. Options are padded with zero
 * bytes to a multiple of 4.
 *
 * @param header The header.
 * @param target The buffer to write into.
 * @param options `payloadLength` (bytes after the header) and `offset` (default 0).
 * @returns The number of bytes written (the header length).
 * @throws {RangeError} For a field out of range, options over 40 bytes, a
 *   total length over 65535, or a target too small.
 * @throws {ParseError} For an address that is not IPv4 text.
 *
 * @example
 * ```ts
 * import { encodeIpv4HeaderInto } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new Uint8Array(40);
 * const written = encodeIpv4HeaderInto({
 *   version: 4, tos: 0, id: 1, dontFragment: false, moreFragments: false,
 *   fragmentOffset: 0, ttl: 64, protocol: 6, src: "192.0.2.42", dst: "192.0.2.1",
 *   options: new Uint8Array(),
 * }, buffer, { payloadLength: 20 });
 * assert.equal(written, 20);
 * assert.deepEqual(buffer.subarray(0, 4), new Uint8Array([0x45, 0, 0, 40]));
 * ```
 */
export function encodeIpv4HeaderInto(
  header: Ipv4Header,
  target: Uint8Array,
  options: EncodeIpv4HeaderIntoOptions,
): number {
  const offset = options.offset ?? 0;
  if ((header.version as number) !== 4) {
    throw new RangeError(
      `Cannot encode IPv4 header: version ${header.version} is not 4`,
    );
  }
  const length = ipv4HeaderLength(header);
  checkFieldValue(LAYER, F.tos, header.tos);
  checkFieldValue(LAYER, F.id, header.id);
  checkFieldValue(LAYER, F.fragmentOffset, header.fragmentOffset);
  checkFieldValue(LAYER, F.ttl, header.ttl);
  checkFieldValue(LAYER, F.protocol, header.protocol);
  if (
    !Number.isSafeInteger(options.payloadLength) || options.payloadLength < 0
  ) {
    throw new RangeError(
      `Cannot encode IPv4 header: payloadLength ${options.payloadLength} is not a byte count`,
    );
  }
  if (header.ihl !== undefined) checkFieldValue(LAYER, F.ihl, header.ihl);
  if (header.checksum !== undefined) {
    checkFieldValue(LAYER, F.checksum, header.checksum);
  }
  let totalLength = header.totalLength;
  if (totalLength === undefined) {
    totalLength = length + options.payloadLength;
    if (totalLength > 0xffff) {
      throw new RangeError(
        `Cannot encode IPv4 header: total length ${totalLength} (header ${length} + payload ${options.payloadLength}) is over 65535`,
      );
    }
  } else {
    checkFieldValue(LAYER, F.totalLength, totalLength);
  }
  const src = addressBytes(header.src, 4);
  const dst = addressBytes(header.dst, 4);
  if (
    !Number.isInteger(offset) || offset < 0 || offset + length > target.length
  ) {
    throw new RangeError(
      `Cannot encode IPv4 header: ${length} bytes do not fit at offset ${offset} of a ${target.length}-byte buffer`,
    );
  }
  writeField(target, offset, F.version, 4);
  writeField(target, offset, F.ihl, header.ihl ?? length / 4);
  writeField(target, offset, F.tos, header.tos);
  writeField(target, offset, F.totalLength, totalLength);
  writeField(target, offset, F.id, header.id);
  writeField(target, offset, F.reservedBit, flag(header.reservedBit));
  writeField(target, offset, F.dontFragment, flag(header.dontFragment));
  writeField(target, offset, F.moreFragments, flag(header.moreFragments));
  writeField(target, offset, F.fragmentOffset, header.fragmentOffset);
  writeField(target, offset, F.ttl, header.ttl);
  writeField(target, offset, F.protocol, header.protocol);
  writeField(target, offset, F.checksum, 0);
  target.set(src, offset + F.src.byteOffset);
  target.set(dst, offset + F.dst.byteOffset);
  const optionsAt = offset + F.options.byteOffset;
  target.set(header.options, optionsAt);
  target.fill(0, optionsAt + header.options.length, offset + length);
  const checksum = header.checksum ??
    internetChecksum(target.subarray(offset, offset + length));
  writeField(target, offset, F.checksum, checksum);
  return length;
}

/**
 * Encode an IPv4 header into a new buffer. See
 * {@linkcode encodeIpv4HeaderInto} for what is computed.
 *
 * @param header The header.
 * @param options `payloadLength`: the bytes that will follow the header.
 * @returns The header bytes.
 * @throws {RangeError} For a field out of range.
 *
 * @example
 * ```ts
 * import { encodeIpv4Header, verifyIpv4Checksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeIpv4Header({
 *   version: 4, tos: 0, id: 1, dontFragment: true, moreFragments: false,
 *   fragmentOffset: 0, ttl: 64, protocol: 6, src: "192.0.2.42", dst: "192.0.2.1",
 *   options: new Uint8Array(),
 * }, { payloadLength: 20 });
 * assert.equal(bytes.length, 20);
 * assert.equal(bytes[6], 0x40); // DF
 * assert.ok(verifyIpv4Checksum(bytes));
 * ```
 */
export function encodeIpv4Header(
  header: Ipv4Header,
  options: EncodeIpv4HeaderOptions,
): Uint8Array {
  const bytes = new Uint8Array(ipv4HeaderLength(header));
  encodeIpv4HeaderInto(header, bytes, { payloadLength: options.payloadLength });
  return bytes;
}

/**
 * Decode an IPv4 header and find its payload.
 *
 * The payload is `bytes[ihl * 4 .. totalLength]`; bytes after the total
 * length (Ethernet padding, say) are ignored.
 *
 * Strict (the default), it throws a {@linkcode DecodeError} for fewer than 20
 * bytes, a version other than 4, an IHL under 5, an IHL or a total length
 * past the end of the buffer, and a total length shorter than the header.
 *
 * Lenient, it throws only for fewer than 20 bytes or a version other than 4,
 * and keeps the header fields as read (IHL, total length, checksum) while
 * reading what the buffer holds:
 * - IHL under 5: the header is the 20 fixed bytes, without options;
 * - IHL past the end: the options are the whole 4-byte words present, and
 *   any bytes after them are the payload;
 * - total length shorter than the header or past the end: the payload runs
 *   to the end of the buffer.
 *
 * Either way, encoding the decoded header with the payload's length and
 * appending the payload gives back the bytes the header and payload were
 * read from.
 *
 * @param bytes The datagram, starting with the IPv4 header.
 * @param options `lenient` (default false).
 * @returns The header and the payload (a view into `bytes`).
 * @throws {DecodeError} With layer `"IPv4 header"`, as above.
 *
 * @example
 * ```ts
 * import { decodeIpv4, encodeIpv4Header } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = encodeIpv4Header({
 *   version: 4, tos: 0, id: 7, dontFragment: false, moreFragments: false,
 *   fragmentOffset: 0, ttl: 64, protocol: 6, src: "192.0.2.42", dst: "192.0.2.1",
 *   options: new Uint8Array(),
 * }, { payloadLength: 2 });
 * const { header: decoded, payload } = decodeIpv4(
 *   new Uint8Array([...header, 0xbe, 0xef, 0, 0]), // two bytes of padding
 * );
 * assert.equal(decoded.id, 7);
 * assert.equal(decoded.totalLength, 22);
 * assert.deepEqual(payload, new Uint8Array([0xbe, 0xef]));
 * ```
 */
export function decodeIpv4(
  bytes: Uint8Array,
  options: DecodeIpv4Options = {},
): DecodedIpv4 {
  const lenient = options.lenient ?? false;
  if (bytes.length < IPV4_MIN_HEADER_LENGTH) {
    throw new DecodeError(
      `buffer is ${bytes.length} bytes, expected at least 20`,
      { kind: "truncated", layer: LAYER, offset: 0 },
    );
  }
  const version = readField(bytes, 0, F.version);
  const ihl = readField(bytes, 0, F.ihl);
  const ihlAt = F.ihl.byteOffset;
  if (version !== 4) {
    throw new DecodeError(
      `version ${version} at byte ${F.version.byteOffset} is not 4`,
      { kind: "malformed", layer: LAYER, offset: F.version.byteOffset },
    );
  }
  let headerLength = ihl * 4;
  if (ihl < 5) {
    if (!lenient) {
      throw new DecodeError(`IHL ${ihl} at byte ${ihlAt} is less than 5`, {
        kind: "malformed",
        layer: LAYER,
        offset: ihlAt,
      });
    }
    headerLength = IPV4_MIN_HEADER_LENGTH;
  } else if (headerLength > bytes.length) {
    if (!lenient) {
      throw new DecodeError(
        `IHL ${ihl} at byte ${ihlAt} means a ${headerLength}-byte header, past the end of the ${bytes.length}-byte buffer`,
        { kind: "truncated", layer: LAYER, offset: ihlAt },
      );
    }
    headerLength = bytes.length & ~3;
  }
  const totalLength = readField(bytes, 0, F.totalLength);
  const totalAt = F.totalLength.byteOffset;
  let end = totalLength;
  if (totalLength < headerLength) {
    if (!lenient) {
      throw new DecodeError(
        `total length ${totalLength} at byte ${totalAt} is less than the ${headerLength}-byte header`,
        { kind: "malformed", layer: LAYER, offset: totalAt },
      );
    }
    end = bytes.length;
  } else if (totalLength > bytes.length) {
    if (!lenient) {
      throw new DecodeError(
        `total length ${totalLength} at byte ${totalAt} is past the end of the ${bytes.length}-byte buffer`,
        { kind: "truncated", layer: LAYER, offset: totalAt },
      );
    }
    end = bytes.length;
  }
  const header: DecodedIpv4Header = {
    version: 4,
    tos: readField(bytes, 0, F.tos),
    id: readField(bytes, 0, F.id),
    dontFragment: readField(bytes, 0, F.dontFragment) === 1,
    moreFragments: readField(bytes, 0, F.moreFragments) === 1,
    reservedBit: readField(bytes, 0, F.reservedBit) === 1,
    fragmentOffset: readField(bytes, 0, F.fragmentOffset),
    ttl: readField(bytes, 0, F.ttl),
    protocol: readField(bytes, 0, F.protocol),
    src: formatIPv4(fieldBytes(bytes, 0, F.src)),
    dst: formatIPv4(fieldBytes(bytes, 0, F.dst)),
    options: bytes.slice(F.options.byteOffset, headerLength),
    ihl,
    totalLength,
    checksum: readField(bytes, 0, F.checksum),
  };
  return { header, payload: bytes.subarray(headerLength, end) };
}

/**
 * Check the header checksum of an IPv4 header: the one's complement sum of
 * the IHL × 4 header bytes must be 0xffff. Accepts the header alone or a
 * whole datagram (bytes past the header are not summed).
 *
 * @param headerBytes Bytes starting with an IPv4 header.
 * @returns Whether the checksum is right; false when the bytes are too short
 *   for the header their IHL announces, or the IHL is under 5.
 *
 * @example
 * ```ts
 * import { encodeIpv4Header, verifyIpv4Checksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = {
 *   version: 4, tos: 0, id: 1, dontFragment: false, moreFragments: false,
 *   fragmentOffset: 0, ttl: 64, protocol: 6, src: "192.0.2.42", dst: "192.0.2.1",
 *   options: new Uint8Array(),
 * } as const;
 * assert.ok(verifyIpv4Checksum(encodeIpv4Header(header, { payloadLength: 0 })));
 * const broken = encodeIpv4Header({ ...header, checksum: 0xdead }, { payloadLength: 0 });
 * assert.equal(verifyIpv4Checksum(broken), false);
 * ```
 */
export function verifyIpv4Checksum(headerBytes: Uint8Array): boolean {
  if (headerBytes.length < IPV4_MIN_HEADER_LENGTH) return false;
  const ihl = readField(headerBytes, 0, F.ihl);
  const length = ihl * 4;
  if (ihl < 5 || length > headerBytes.length) return false;
  return verifyChecksum(headerBytes.subarray(0, length));
}
