/**
 * IP fragmentation as a sender does it (RFC 791 §3.2 for IPv4, RFC 8200
 * §4.5 for IPv6), and the deliberate variants firewall and IDS tests send:
 * out of order or reversed, a tiny first fragment that splits the TCP
 * header (RFC 1858), overlapping fragments that carry different data, a
 * duplicate, a missing last fragment.
 *
 * IPv4: every fragment has the datagram's header, with MF set on all but
 * the last and the offset in 8-byte units; later fragments carry only the
 * options whose copied flag is set (RFC 791). A datagram with DF set is not
 * fragmented. IPv6: the unfragmentable part (the fixed header and the
 * extension headers up to a routing header, or a first hop-by-hop header)
 * starts every fragment, followed by a fragment header with the
 * identification, then a piece of the rest.
 *
 * @module
 */

import { decodeIpv4, encodeIpv4Header, type Ipv4Header } from "./ipv4.ts";
import { ipv4OptionCopied } from "./ipv4_options.ts";
import { decodeIpv6, encodeIpv6Header } from "./ipv6.ts";
import {
  IPV6_FRAGMENT_HEADER,
  walkIpv6ExtensionHeaders,
} from "./ipv6_extensions.ts";
import { ipv6ExtensionChain } from "./ipv6_extension_kinds.ts";
import { encodePacket, type TcpPacket } from "./packet.ts";

/** In which order the fragments go out. */
export type FragmentOrder =
  | "in-order"
  | "reverse"
  | "random"
  | readonly number[];

/**
 * The fragment orders by name, for the command line.
 *
 * @example
 * ```ts
 * import { FRAGMENT_ORDERS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(FRAGMENT_ORDERS, ["in-order", "reverse", "random"]);
 * ```
 */
export const FRAGMENT_ORDERS: readonly FragmentOrder[] = Object.freeze([
  "in-order",
  "reverse",
  "random",
]);

/** Which copy of overlapping data a target must keep to see the true datagram. */
export type FragmentOverlap = "first" | "last";

/** Options for {@linkcode fragment}. */
export interface FragmentOptions {
  /** Data bytes per fragment: a multiple of 8, at least 8 (unless `raw`). */
  size: number;
  /**
   * Data bytes of the first fragment, when it is not `size`: 8 puts only
   * the ports and the sequence number in it (a tiny fragment, RFC 1858).
   */
  firstSize?: number;
  /**
   * Allow sizes that are not multiples of 8, or under 8: the offsets are
   * still written in 8-byte units, so such fragments overlap or leave gaps.
   */
  raw?: boolean;
  /**
   * The order the fragments go out in (default in order); a list gives
   * the fragments' indices (from 0) in the order to send, any of them
   * left out or repeated.
   */
  order?: FragmentOrder;
  /** Where `"random"` draws from: numbers in [0, 1) (default `Math.random`). */
  random?: () => number;
  /**
   * Send, for each fragment but the first, a decoy with the same offset
   * and length and every byte inverted: after the true fragment for
   * `"first"` (a target that keeps the first copy of overlapping data
   * reassembles the true datagram, one that keeps the last the decoy),
   * before it for `"last"`. A decoy that would complete the datagram, or
   * arrive once it is complete, is left out.
   */
  overlap?: FragmentOverlap;
  /** Send the fragment of this index (from 0) twice, the copy right after it. */
  duplicate?: number;
  /** Leave out the last fragment, so the datagram never completes. */
  dropLast?: boolean;
  /** The identification of an IPv6 fragment header (default 1); IPv4 keeps the header's. */
  id?: number;
}

/** One piece of the datagram: where its data starts, and the data. */
interface Piece {
  start: number;
  data: Uint8Array;
  last: boolean;
}

function fail(reason: string): never {
  throw new RangeError(`Cannot fragment: ${reason}`);
}

function checkSize(name: string, value: number, raw: boolean): void {
  if (!Number.isInteger(value) || value < 1) {
    fail(`${name} ${value} is not a positive number of bytes`);
  }
  if (!raw && (value < 8 || value % 8 !== 0)) {
    fail(
      `${name} ${value} is not a multiple of 8 bytes of at least 8 (fragment offsets count 8-byte units)`,
    );
  }
}

/** Cut the data into pieces of `first`, then `size` bytes. */
function pieces(data: Uint8Array, size: number, first: number): Piece[] {
  const list: Piece[] = [];
  let start = 0;
  do {
    const length = start === 0 ? first : size;
    const end = Math.min(start + length, data.length);
    list.push({ start, data: data.subarray(start, end), last: false });
    start = end;
  } while (start < data.length);
  list[list.length - 1]!.last = true;
  if (Math.floor(list.at(-1)!.start / 8) > 0x1fff) {
    fail(
      `a fragment would start at byte ${
        list.at(-1)!.start
      }, past the 13-bit offset`,
    );
  }
  return list;
}

/** The pieces in the order and with the variants asked for. */
function arrange(list: Piece[], options: FragmentOptions): Piece[] {
  const order = options.order ?? "in-order";
  let indices = list.map((_, i) => i);
  if (order === "reverse") indices.reverse();
  else if (order === "random") {
    const random = options.random ?? Math.random;
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
  } else if (Array.isArray(order)) {
    for (const i of order) {
      if (!Number.isInteger(i) || i < 0 || i >= list.length) {
        fail(
          `fragment ${i} of the order does not exist (there are ${list.length}, from 0)`,
        );
      }
    }
    indices = [...order];
  } else if (order !== "in-order") {
    fail(`unknown order ${JSON.stringify(order)}`);
  }
  const duplicate = options.duplicate;
  if (
    duplicate !== undefined &&
    (!Number.isInteger(duplicate) || duplicate < 0 || duplicate >= list.length)
  ) {
    fail(
      `there is no fragment ${duplicate} to duplicate (there are ${list.length}, from 0)`,
    );
  }
  const out: Sent[] = [];
  for (const i of indices) {
    const piece = list[i]!;
    if (options.dropLast === true && piece.last) continue;
    const decoy: Sent | undefined = options.overlap !== undefined && i > 0
      ? {
        piece: { ...piece, data: piece.data.map((b) => b ^ 0xff) },
        index: i,
        decoy: true,
      }
      : undefined;
    if (decoy !== undefined && options.overlap === "last") out.push(decoy);
    out.push({ piece, index: i, decoy: false });
    if (decoy !== undefined && options.overlap === "first") out.push(decoy);
    if (i === duplicate) out.push({ piece, index: i, decoy: false });
  }
  const sent = options.overlap === undefined
    ? out
    : withoutLateDecoys(out, list.length);
  return sent.map((item) => item.piece);
}

/** A piece as sent: which fragment it is, and whether it is a decoy of it. */
interface Sent {
  piece: Piece;
  index: number;
  decoy: boolean;
}

/**
 * The pieces without the decoys that would complete the datagram or
 * arrive once it is complete (a target would reassemble the decoy's data,
 * or start a new datagram that never completes). At least one decoy must
 * remain.
 */
function withoutLateDecoys(out: Sent[], count: number): Sent[] {
  const seen = new Set<number>();
  const kept = out.filter((item) => {
    const completes = seen.size === count ||
      (seen.size === count - 1 && !seen.has(item.index));
    if (item.decoy && completes) return false;
    seen.add(item.index);
    return true;
  });
  if (!kept.some((item) => item.decoy)) {
    fail(
      "no decoy would arrive before the datagram is complete: overlapping needs a fragment other than the first to arrive before the one that completes it (use at least 3 fragments, or another order)",
    );
  }
  return kept;
}

/** The options of an IPv4 header that later fragments carry: those with the copied flag. */
function copiedOptions(options: Uint8Array): Uint8Array {
  const kept: number[] = [];
  let p = 0;
  while (p < options.length) {
    const type = options[p]!;
    if (type === 0) break;
    if (type === 1) {
      p++;
      continue;
    }
    const length = options[p + 1] ?? 0;
    if (length < 2 || p + length > options.length) break;
    if (ipv4OptionCopied(type)) kept.push(...options.subarray(p, p + length));
    p += length;
  }
  return Uint8Array.from(kept);
}

function fragmentIpv4(
  bytes: Uint8Array,
  options: FragmentOptions,
): Uint8Array[] {
  const { header, payload } = decodeIpv4(bytes);
  if (header.dontFragment) {
    fail(
      "DF (don't fragment) is set: a router would drop the datagram rather than fragment it; clear DF",
    );
  }
  if (header.moreFragments || header.fragmentOffset !== 0) {
    fail("the datagram is already a fragment");
  }
  const base: Ipv4Header = {
    version: 4,
    tos: header.tos,
    id: header.id,
    dontFragment: false,
    moreFragments: false,
    reservedBit: header.reservedBit,
    fragmentOffset: 0,
    ttl: header.ttl,
    protocol: header.protocol,
    src: header.src,
    dst: header.dst,
    options: header.options,
  };
  const later = copiedOptions(header.options);
  const list = pieces(payload, options.size, options.firstSize ?? options.size);
  return arrange(list, options).map((piece) => {
    const ip: Ipv4Header = {
      ...base,
      moreFragments: !piece.last,
      fragmentOffset: Math.floor(piece.start / 8),
      options: piece.start === 0 ? base.options : later,
    };
    const head = encodeIpv4Header(ip, { payloadLength: piece.data.length });
    return Uint8Array.of(...head, ...piece.data);
  });
}

function fragmentIpv6(
  bytes: Uint8Array,
  options: FragmentOptions,
): Uint8Array[] {
  const { header, payload } = decodeIpv6(bytes);
  const walk = walkIpv6ExtensionHeaders(header.nextHeader, payload, false);
  const types = [header.nextHeader, ...walk.headers.map((h) => h.nextHeader)];
  if (types.includes(IPV6_FRAGMENT_HEADER)) {
    fail("the packet already has a fragment header");
  }
  // The unfragmentable part: up to the last routing header, or a first hop-by-hop header.
  let kept = walk.headers.findLastIndex((h) => h.type === 43) + 1;
  if (kept === 0 && walk.headers[0]?.type === 0) kept = 1;
  const unfragmentable = walk.headers.slice(0, kept);
  const end = kept === 0 ? 0 : unfragmentable.at(-1)!.offset - 40 +
    unfragmentable.at(-1)!.data.length + 2;
  const rest = payload.subarray(end);
  const inner = kept === 0
    ? header.nextHeader
    : unfragmentable.at(-1)!.nextHeader;
  const id = options.id ?? 1;
  const list = pieces(rest, options.size, options.firstSize ?? options.size);
  return arrange(list, options).map((piece) => {
    const chain = ipv6ExtensionChain([{
      kind: "fragment",
      offset: Math.floor(piece.start / 8),
      more: !piece.last,
      id,
    }], inner);
    const headers = [
      ...unfragmentable.map((h, i) => ({
        nextHeader: i === kept - 1 ? IPV6_FRAGMENT_HEADER : h.nextHeader,
        data: h.data,
      })),
      ...chain.headers,
    ];
    const length = headers.reduce((n, h) => n + 2 + h.data.length, 0) +
      piece.data.length;
    const fixed = encodeIpv6Header({
      version: 6,
      trafficClass: header.trafficClass,
      flowLabel: header.flowLabel,
      nextHeader: kept === 0 ? IPV6_FRAGMENT_HEADER : header.nextHeader,
      hopLimit: header.hopLimit,
      src: header.src,
      dst: header.dst,
    }, { payloadLength: length });
    const out = new Uint8Array(40 + length);
    out.set(fixed);
    let at = 40;
    for (const h of headers) {
      out[at] = h.nextHeader;
      out[at + 1] = (h.data.length + 2) / 8 - 1;
      out.set(h.data, at + 2);
      at += 2 + h.data.length;
    }
    out.set(piece.data, at);
    return out;
  });
}

/**
 * Split an IP datagram into fragments; see the module documentation for
 * what each fragment carries and the variants.
 *
 * @param packet The packet model (encoded first, signature included) or
 *   the datagram's bytes.
 * @param options The size of each fragment and the variants.
 * @returns The fragments' datagrams, in the order to send them.
 * @throws {RangeError} For a size that is not a multiple of 8 of at least
 *   8 (unless `raw`), IPv4 with DF set, a datagram that is already a
 *   fragment, or an order or duplicate naming a fragment that does not exist.
 *
 * @example A SYN with 8 bytes of data in three IPv4 fragments
 * ```ts
 * import { decodeIp, fragment, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", payload: new Uint8Array(8),
 * });
 * const pieces = fragment(packet, { size: 8, firstSize: 16 });
 * assert.deepEqual(pieces.map((bytes) => bytes.length), [36, 28, 24]);
 * const headers = pieces.map((bytes) => decodeIp(bytes).ip);
 * assert.deepEqual(
 *   headers.map((ip) => ip.version === 4 && [ip.moreFragments, ip.fragmentOffset]),
 *   [[true, 0], [true, 2], [false, 3]],
 * );
 * assert.throws(() => fragment(packet, { size: 12 }), /not a multiple of 8/);
 * ```
 */
export function fragment(
  packet: TcpPacket | Uint8Array,
  options: FragmentOptions,
): Uint8Array[] {
  const raw = options.raw === true;
  checkSize("size", options.size, raw);
  if (options.firstSize !== undefined) {
    checkSize("firstSize", options.firstSize, raw);
  }
  if (
    options.id !== undefined &&
    (!Number.isInteger(options.id) || options.id < 0 || options.id > 0xffffffff)
  ) {
    fail(`id ${options.id} is not in 0..4294967295`);
  }
  const bytes = packet instanceof Uint8Array ? packet : encodePacket(packet);
  return (bytes[0]! >> 4) === 6
    ? fragmentIpv6(bytes, options)
    : fragmentIpv4(bytes, options);
}
