/**
 * IPv6 extension headers of the common layout (RFC 8200 §4): hop-by-hop
 * options (0), routing (43) and destination options (60), and the atomic
 * fragment header (RFC 6946). The packet encoder writes them back as they
 * were, and the packet decoder walks them to the upper-layer header.
 *
 * @module
 */

import { read16 } from "./bytes.ts";
import { DecodeError } from "./errors.ts";
import { readField, writeField } from "./header_field.ts";
import {
  IPV6_EXTENSION_HEADER_FIELDS,
  IPV6_HEADER_LENGTH,
} from "./ipv6_fields.ts";

/**
 * An IPv6 extension header of the kinds that share the common layout (RFC
 * 8200 §4): Next Header, Hdr Ext Len, then data. The encoder writes Hdr Ext
 * Len from the data's length; the header's own type is the Next Header of
 * the header before it.
 */
export interface Ipv6ExtensionHeader {
  /** Next Header (byte 0): the type of the header that follows. */
  nextHeader: number;
  /** The bytes after Next Header and Hdr Ext Len: 6 + 8n bytes (n = 0..255). */
  data: Uint8Array;
}

/** An extension header as decoded, with where it was and what it is. */
export interface DecodedIpv6ExtensionHeader extends Ipv6ExtensionHeader {
  /** This header's type (0 hop-by-hop, 43 routing, 60 destination options). */
  type: number;
  /** Byte offset of the header in the decoded buffer. */
  offset: number;
}
/**
 * IPv6 extension header types walked by {@linkcode decodeIp}, with their names.
 *
 * @example
 * ```ts
 * import { IPV6_EXTENSION_HEADER_NAMES } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_EXTENSION_HEADER_NAMES[43], "routing header");
 * assert.equal(IPV6_EXTENSION_HEADER_NAMES[6], undefined); // TCP ends the walk
 * ```
 */
export const IPV6_EXTENSION_HEADER_NAMES: Readonly<Record<number, string>> =
  Object.freeze({
    0: "hop-by-hop options header",
    43: "routing header",
    60: "destination options header",
  });

/**
 * IPv6 Next Header value of a fragment header: {@linkcode decodeIp} stops
 * there and reports a fragment.
 *
 * @example
 * ```ts
 * import { IPV6_FRAGMENT_HEADER } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(IPV6_FRAGMENT_HEADER, 44);
 * ```
 */
export const IPV6_FRAGMENT_HEADER = 44;
const EXTENSION = "IPv6 extension header";
const F = IPV6_EXTENSION_HEADER_FIELDS;

/**
 * The length an extension header takes on the wire: its data and the two
 * bytes before it.
 *
 * @param header The header.
 * @returns Its length in bytes, a multiple of 8 up to 2048.
 * @throws {RangeError} When the data is not 6 + 8n bytes (n = 0..255).
 *
 * @example
 * ```ts
 * import { ipv6ExtensionHeaderLength } from "./ipv6_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ipv6ExtensionHeaderLength({ nextHeader: 6, data: new Uint8Array(6) }), 8);
 * ```
 */
export function ipv6ExtensionHeaderLength(header: Ipv6ExtensionHeader): number {
  const length = header.data.length + F.data.byteOffset;
  if (length % 8 !== 0 || length > 2048) {
    throw new RangeError(
      `Cannot encode IPv6 extension header: data is ${header.data.length} bytes, must be 6 + 8n (n = 0..255)`,
    );
  }
  return length;
}

/**
 * Write extension headers one after the other: each one's Next Header as
 * given, its Hdr Ext Len from its length, then its data.
 *
 * @param headers The headers, in order.
 * @param target The buffer to write into.
 * @param offset Where the first header starts.
 * @returns The number of bytes written.
 * @throws {RangeError} For data of a wrong length or a Next Header out of range.
 *
 * @example
 * ```ts
 * import { encodeIpv6ExtensionHeadersInto } from "./ipv6_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * const target = new Uint8Array(8);
 * const written = encodeIpv6ExtensionHeadersInto(
 *   [{ nextHeader: 6, data: new Uint8Array([1, 4, 0, 0, 0, 0]) }],
 *   target,
 *   0,
 * );
 * assert.equal(written, 8);
 * assert.deepEqual(target, new Uint8Array([6, 0, 1, 4, 0, 0, 0, 0]));
 * ```
 */
export function encodeIpv6ExtensionHeadersInto(
  headers: readonly Ipv6ExtensionHeader[],
  target: Uint8Array,
  offset: number,
): number {
  let at = offset;
  for (const header of headers) {
    const length = ipv6ExtensionHeaderLength(header);
    if (
      !Number.isInteger(header.nextHeader) || header.nextHeader < 0 ||
      header.nextHeader > 0xff
    ) {
      throw new RangeError(
        `Cannot encode IPv6 extension header: nextHeader ${header.nextHeader} is not in 0..255`,
      );
    }
    writeField(target, at, F.nextHeader, header.nextHeader);
    writeField(target, at, F.hdrExtLen, length / 8 - 1);
    target.set(header.data, at + F.data.byteOffset);
    at += length;
  }
  return at - offset;
}

/** What {@linkcode walkIpv6ExtensionHeaders} found. */
export interface Ipv6ExtensionWalk {
  /** The Next Header after the last header walked: the upper-layer protocol. */
  protocol: number;
  /** The bytes of the payload the headers walked take. */
  consumed: number;
  /** The headers walked, in order. */
  headers: DecodedIpv6ExtensionHeader[];
}

/**
 * Whether the header at `pos` is an atomic fragment (RFC 6946): a fragment
 * header with offset 0, M clear and a zero reserved byte, which holds a
 * whole datagram. It has the common layout (its reserved byte reads as Hdr
 * Ext Len 0, 8 bytes), so it is walked and re-encoded like the others.
 */
function isAtomicFragment(
  type: number,
  payload: Uint8Array,
  pos: number,
): boolean {
  if (type !== IPV6_FRAGMENT_HEADER || payload.length - pos < 8) return false;
  const reserved = readField(payload, pos, F.hdrExtLen);
  const offsetAndFlags = read16(payload, pos + F.data.byteOffset);
  return reserved === 0 && offsetAndFlags === 0;
}

/**
 * Walk the extension headers at the start of an IPv6 payload to the
 * upper-layer header. Strict, a header cut short by the payload, or a
 * hop-by-hop header that is not first, throws; lenient, the walk stops at
 * a cut-short header.
 *
 * @param nextHeader The fixed header's Next Header.
 * @param payload The bytes after the fixed header.
 * @param lenient Stop instead of throwing.
 * @returns The protocol, the bytes walked and the headers.
 * @throws {DecodeError} With layer `IPv6 extension header`, as above.
 *
 * @example
 * ```ts
 * import { walkIpv6ExtensionHeaders } from "./ipv6_extensions.ts";
 * import assert from "node:assert/strict";
 *
 * const payload = new Uint8Array([6, 0, 1, 4, 0, 0, 0, 0]); // destination options, then TCP
 * const walk = walkIpv6ExtensionHeaders(60, payload, false);
 * assert.equal(walk.protocol, 6);
 * assert.equal(walk.consumed, 8);
 * assert.equal(walk.headers[0]?.offset, 40);
 * ```
 */
export function walkIpv6ExtensionHeaders(
  nextHeader: number,
  payload: Uint8Array,
  lenient: boolean,
): Ipv6ExtensionWalk {
  const headers: DecodedIpv6ExtensionHeader[] = [];
  let type = nextHeader;
  let pos = 0;
  while (
    Object.hasOwn(IPV6_EXTENSION_HEADER_NAMES, type) ||
    isAtomicFragment(type, payload, pos)
  ) {
    const name = IPV6_EXTENSION_HEADER_NAMES[type] ?? "atomic fragment header";
    const at = IPV6_HEADER_LENGTH + pos;
    const payloadEnd = IPV6_HEADER_LENGTH + payload.length;
    if (payload.length - pos < F.data.byteOffset) {
      if (lenient) break;
      throw new DecodeError(
        `${name} at byte ${at} needs 2 bytes, the IPv6 payload ends at byte ${payloadEnd}`,
        { kind: "truncated", layer: EXTENSION, offset: at },
      );
    }
    const hdrExtLen = readField(payload, pos, F.hdrExtLen);
    const length = (hdrExtLen + 1) * 8;
    if (pos + length > payload.length) {
      if (lenient) break;
      const lengthAt = at + F.hdrExtLen.byteOffset;
      throw new DecodeError(
        `${name} at byte ${at} is ${length} bytes (Hdr Ext Len ${hdrExtLen} at byte ${lengthAt}), past the end of the IPv6 payload at byte ${payloadEnd}`,
        { kind: "truncated", layer: EXTENSION, offset: lengthAt },
      );
    }
    if (type === 0 && headers.length > 0 && !lenient) {
      throw new DecodeError(
        `${name} at byte ${at} is not the first extension header (RFC 8200 §4.1)`,
        { kind: "malformed", layer: EXTENSION, offset: at },
      );
    }
    const next = readField(payload, pos, F.nextHeader);
    headers.push({
      type,
      offset: at,
      nextHeader: next,
      data: payload.slice(pos + F.data.byteOffset, pos + length),
    });
    type = next;
    pos += length;
  }
  return { protocol: type, consumed: pos, headers };
}
