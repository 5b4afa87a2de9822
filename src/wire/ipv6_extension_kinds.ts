/**
 * IPv6 extension headers as types (RFC 8200 §4): hop-by-hop and
 * destination options with their TLV options (Pad1, PadN, router alert,
 * any other type with its action bits), the routing header of type 0
 * (RFC 2460, deprecated by RFC 5095: for tests) and of type 4 (segment
 * routing, RFC 8754), and the fragment header. {@linkcode ipv6ExtensionChain}
 * turns a list of them into the wire headers of a packet (each one's Next
 * Header linked to the next), {@linkcode decodeIpv6Extension} reads one
 * back for the explainer.
 *
 * TLV options are aligned and padded as RFC 8200 §4.2 asks and as scapy
 * pads them: Pad1 or PadN before an option with an alignment requirement
 * (router alert: 2n), and at the end to a multiple of 8 bytes.
 *
 * @module
 */

import { formatIPv6, parseIPv6 } from "./address.ts";
import { read16, read32, write16, write32 } from "./bytes.ts";
import type { Ipv6ExtensionHeader } from "./ipv6_extensions.ts";

/** An option of a hop-by-hop or destination options header (RFC 8200 §4.2). */
export type Ipv6TlvOption =
  | { kind: "pad1" }
  | {
    kind: "padN";
    /** The zero bytes after type and length, 0..255. */
    size: number;
  }
  | {
    kind: "routerAlert";
    /** RFC 2711's value: 0 MLD, 1 RSVP, 2 active networks. */
    value: number;
  }
  | {
    kind: "unknown";
    /**
     * The type: the top two bits say what a node that does not know it
     * does (0 skip, 1 discard, 2 discard and send ICMP, 3 discard and send
     * ICMP unless multicast), the third whether the data may change en route.
     */
    type: number;
    /** The data, 0..255 bytes. */
    data: Uint8Array;
  };

/** A hop-by-hop (0) or destination options (60) header. */
export interface Ipv6OptionsExtension {
  /** Which of the two. */
  kind: "hopByHop" | "destinationOptions";
  /** The options, in order; padding is added as needed. */
  options: Ipv6TlvOption[];
}
/** A routing header of type 0 (RFC 2460): the addresses to visit, in order. */
export interface Ipv6Type0RoutingExtension {
  /** The discriminant: `"routing"`. */
  kind: "routing";
  /** Addresses left to visit, the last the final destination. */
  addresses: string[];
  /** Segments left (default: every address). */
  segmentsLeft?: number;
}
/** A segment routing header (routing type 4, RFC 8754). */
export interface Ipv6SegmentRoutingExtension {
  /** The discriminant: `"segmentRouting"`. */
  kind: "segmentRouting";
  /**
   * The segment list as on the wire: the final destination first, the
   * first segment to visit last.
   */
  segmentList: string[];
  /** Segments left (default: the list's length - 1). */
  segmentsLeft?: number;
  /** Last Entry (default: the list's length - 1). */
  lastEntry?: number;
  /** Flags, 8 bits (default 0). */
  flags?: number;
  /** Tag, 16 bits (default 0). */
  tag?: number;
}
/** A fragment header (44). */
export interface Ipv6FragmentExtension {
  /** The discriminant: `"fragment"`. */
  kind: "fragment";
  /** Fragment offset in 8-byte units, 0..8191. */
  offset: number;
  /** M: more fragments follow. */
  more: boolean;
  /** Identification, 32 bits. */
  id: number;
}
/** Any extension header, as its type and data (6 + 8n bytes). */
export interface Ipv6RawExtension {
  /** The discriminant: `"raw"`. */
  kind: "raw";
  /** The header's type (the Next Header value naming it). */
  type: number;
  /** The bytes after Next Header and Hdr Ext Len. */
  data: Uint8Array;
}

/** One extension header, typed. */
export type Ipv6Extension =
  | Ipv6OptionsExtension
  | Ipv6Type0RoutingExtension
  | Ipv6SegmentRoutingExtension
  | Ipv6FragmentExtension
  | Ipv6RawExtension;

/** The Next Header value of each typed header. */
const TYPES = {
  hopByHop: 0,
  destinationOptions: 60,
  routing: 43,
  segmentRouting: 43,
  fragment: 44,
} as const;

function fail(reason: string): never {
  throw new RangeError(`Cannot encode IPv6 extension header: ${reason}`);
}

function integer(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    fail(`${field} ${value} is not in 0..${max}`);
  }
}

/**
 * The Next Header value that names an extension header.
 *
 * @param extension The header.
 * @returns 0, 43, 44, 60, or a raw header's type.
 *
 * @example
 * ```ts
 * import { ipv6ExtensionType } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ipv6ExtensionType({ kind: "fragment", offset: 0, more: false, id: 1 }), 44);
 * ```
 */
export function ipv6ExtensionType(extension: Ipv6Extension): number {
  return extension.kind === "raw" ? extension.type : TYPES[extension.kind];
}

/** The bytes of one TLV option. */
function tlvBytes(option: Ipv6TlvOption): Uint8Array {
  switch (option.kind) {
    case "pad1":
      return new Uint8Array(1);
    case "padN":
      integer("padN size", option.size, 255);
      return Uint8Array.of(1, option.size, ...new Uint8Array(option.size));
    case "routerAlert": {
      integer("router alert value", option.value, 0xffff);
      const bytes = Uint8Array.of(5, 2, 0, 0);
      write16(bytes, 2, option.value);
      return bytes;
    }
    case "unknown":
      integer("option type", option.type, 0xff);
      if (option.data.length > 255) fail("option data over 255 bytes");
      return Uint8Array.of(option.type, option.data.length, ...option.data);
  }
}

/** Padding of `n` bytes: Pad1, or PadN with n - 2 zero bytes. */
function padding(n: number): Uint8Array {
  return n === 1
    ? new Uint8Array(1)
    : Uint8Array.of(1, n - 2, ...new Uint8Array(n - 2));
}

/**
 * The options area of a hop-by-hop or destination options header: the
 * options in order, a router alert aligned to 2n, padded to end at a
 * multiple of 8 bytes from the start of the header.
 *
 * @param options The options.
 * @returns The bytes after Next Header and Hdr Ext Len: 6 + 8n of them.
 * @throws {RangeError} For a value out of range, or more than 2046 bytes.
 *
 * @example A router alert, as MLD carries it
 * ```ts
 * import { encodeIpv6TlvOptions, formatHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatHex(encodeIpv6TlvOptions([{ kind: "routerAlert", value: 0 }])), "050200000100");
 * ```
 */
export function encodeIpv6TlvOptions(
  options: readonly Ipv6TlvOption[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  let position = 2;
  for (const option of options) {
    if (option.kind === "routerAlert" && position % 2 !== 0) {
      parts.push(padding(1));
      position++;
    }
    const bytes = tlvBytes(option);
    parts.push(bytes);
    position += bytes.length;
  }
  const end = (8 - (position % 8)) % 8;
  if (end > 0) parts.push(padding(end));
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total > 2046) fail(`options take ${total} bytes, more than 2046`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Read the TLV options of a hop-by-hop or destination options header,
 * as far as they parse.
 *
 * @param data The bytes after Next Header and Hdr Ext Len.
 * @returns The options, and the offset in `data` of each; bytes that do
 *   not parse end the list (`rest` gives their offset).
 *
 * @example
 * ```ts
 * import { decodeIpv6TlvOptions, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { options } = decodeIpv6TlvOptions(parseHex("050200000100"));
 * assert.deepEqual(options, [{ kind: "routerAlert", value: 0 }, { kind: "padN", size: 0 }]);
 * ```
 */
export function decodeIpv6TlvOptions(
  data: Uint8Array,
): { options: Ipv6TlvOption[]; offsets: number[]; rest?: number } {
  const options: Ipv6TlvOption[] = [];
  const offsets: number[] = [];
  let p = 0;
  while (p < data.length) {
    const type = data[p]!;
    offsets.push(p);
    if (type === 0) {
      options.push({ kind: "pad1" });
      p++;
      continue;
    }
    const length = data[p + 1];
    if (length === undefined || p + 2 + length > data.length) {
      offsets.pop();
      return { options, offsets, rest: p };
    }
    const body = data.subarray(p + 2, p + 2 + length);
    if (type === 1 && body.every((b) => b === 0)) {
      options.push({ kind: "padN", size: length });
    } else if (type === 5 && length === 2) {
      options.push({ kind: "routerAlert", value: read16(body, 0) });
    } else {
      options.push({ kind: "unknown", type, data: body.slice() });
    }
    p += 2 + length;
  }
  return { options, offsets };
}

function addresses(list: readonly string[], what: string): Uint8Array {
  if (list.length === 0 || list.length > 127) {
    fail(`${what} needs 1 to 127 addresses, got ${list.length}`);
  }
  const bytes = new Uint8Array(16 * list.length);
  list.forEach((address, i) => bytes.set(parseIPv6(address), 16 * i));
  return bytes;
}

/** The data of one typed header (after Next Header and Hdr Ext Len). */
function extensionData(extension: Ipv6Extension): Uint8Array {
  switch (extension.kind) {
    case "hopByHop":
    case "destinationOptions":
      return encodeIpv6TlvOptions(extension.options);
    case "routing": {
      const list = addresses(extension.addresses, "a type 0 routing header");
      const left = extension.segmentsLeft ?? extension.addresses.length;
      integer("segmentsLeft", left, 0xff);
      return Uint8Array.of(0, left, 0, 0, 0, 0, ...list);
    }
    case "segmentRouting": {
      const list = addresses(extension.segmentList, "a segment routing header");
      const last = extension.segmentList.length - 1;
      const left = extension.segmentsLeft ?? last;
      const lastEntry = extension.lastEntry ?? last;
      integer("segmentsLeft", left, 0xff);
      integer("lastEntry", lastEntry, 0xff);
      integer("flags", extension.flags ?? 0, 0xff);
      integer("tag", extension.tag ?? 0, 0xffff);
      const head = Uint8Array.of(
        4,
        left,
        lastEntry,
        extension.flags ?? 0,
        0,
        0,
      );
      write16(head, 4, extension.tag ?? 0);
      return Uint8Array.of(...head, ...list);
    }
    case "fragment": {
      integer("fragment offset", extension.offset, 0x1fff);
      integer("fragment id", extension.id, 0xffffffff);
      const data = new Uint8Array(6);
      write16(data, 0, (extension.offset << 3) | (extension.more ? 1 : 0));
      write32(data, 2, extension.id);
      return data;
    }
    case "raw":
      integer("raw header type", extension.type, 0xff);
      return extension.data;
  }
}

/**
 * The wire headers of a chain of typed extension headers: each one's Next
 * Header is the type of the one after it, the last one's is `upper`.
 *
 * @param extensions The headers, in order.
 * @param upper The protocol after them (default 6, TCP).
 * @returns `nextHeader`, the type of the first one (or `upper` when there
 *   are none): what the fixed header's Next Header must be; and the headers.
 * @throws {RangeError} For a value out of range or an address that is not IPv6.
 *
 * @example A destination options header then TCP
 * ```ts
 * import { encodePacket, ipv6ExtensionChain, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chain = ipv6ExtensionChain([{ kind: "destinationOptions", options: [] }]);
 * assert.equal(chain.nextHeader, 60);
 * assert.deepEqual(chain.headers[0], { nextHeader: 6, data: new Uint8Array([1, 4, 0, 0, 0, 0]) });
 * const packet = makeTcpPacket({
 *   src: "2001:db8::1", dst: "2001:db8::2",
 *   protocol: chain.nextHeader, extensionHeaders: chain.headers,
 * });
 * assert.equal(encodePacket(packet).length, 68);
 * ```
 */
export function ipv6ExtensionChain(
  extensions: readonly Ipv6Extension[],
  upper = 6,
): { nextHeader: number; headers: Ipv6ExtensionHeader[] } {
  const headers = extensions.map((extension, i) => {
    const next = extensions[i + 1];
    return {
      nextHeader: next === undefined ? upper : ipv6ExtensionType(next),
      data: extensionData(extension),
    };
  });
  const first = extensions[0];
  return {
    nextHeader: first === undefined ? upper : ipv6ExtensionType(first),
    headers,
  };
}

/**
 * Read a walked extension header as a typed one, or undefined when its
 * type is not one of these (or its data does not fit the type's layout).
 * The fragment header is read from its 6 bytes of data.
 *
 * @param type The header's type (the Next Header that named it).
 * @param data The bytes after Next Header and Hdr Ext Len.
 * @returns The typed header.
 *
 * @example
 * ```ts
 * import { decodeIpv6Extension, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeIpv6Extension(44, parseHex("0009 12345678")), {
 *   kind: "fragment", offset: 1, more: true, id: 0x12345678,
 * });
 * ```
 */
export function decodeIpv6Extension(
  type: number,
  data: Uint8Array,
): Ipv6Extension | undefined {
  if (type === 0 || type === 60) {
    const { options, rest } = decodeIpv6TlvOptions(data);
    if (rest !== undefined) return undefined;
    return { kind: type === 0 ? "hopByHop" : "destinationOptions", options };
  }
  if (type === 44 && data.length === 6) {
    const word = read16(data, 0);
    return {
      kind: "fragment",
      offset: word >> 3,
      more: (word & 1) === 1,
      id: read32(data, 2),
    };
  }
  if (type !== 43 || data.length < 6) return undefined;
  const list = (count: number): string[] | undefined => {
    if (6 + 16 * count !== data.length) return undefined;
    return Array.from(
      { length: count },
      (_, i) => formatIPv6(data.subarray(6 + 16 * i, 22 + 16 * i)),
    );
  };
  if (data[0] === 0) {
    const addresses = list(Math.floor((data.length - 6) / 16));
    if (addresses === undefined) return undefined;
    return { kind: "routing", addresses, segmentsLeft: data[1]! };
  }
  if (data[0] === 4) {
    // Segment routing TLVs after the list are not modelled: left raw.
    const segmentList = list(data[2]! + 1);
    if (segmentList === undefined) return undefined;
    return {
      kind: "segmentRouting",
      segmentList,
      segmentsLeft: data[1]!,
      lastEntry: data[2]!,
      flags: data[3]!,
      tag: read16(data, 4),
    };
  }
  return undefined;
}
