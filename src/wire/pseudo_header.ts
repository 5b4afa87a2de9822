/**
 * Which destination address the TCP pseudo-header uses: the final one, as
 * the kernel, tcpdump and scapy take it, when a source route or a routing
 * header sends the packet through other addresses first (RFC 9293 §3.1,
 * RFC 8200 §8.1).
 *
 * @module
 */

import { formatAddress } from "./address.ts";
import type { Ipv4Header } from "./ipv4.ts";
import type { Ipv6Header } from "./ipv6.ts";
import type { Ipv6ExtensionHeader } from "./ipv6_extensions.ts";

/** Next Header value of a routing header. */
const ROUTING_HEADER = 43;

/**
 * Offsets in the data of a routing header (after Next Header and Hdr Ext
 * Len, RFC 8200 §4.4): Routing Type, Segments Left, and the addresses,
 * which start at byte 8 of the header.
 */
const ROUTING_DATA = Object.freeze({ type: 0, segmentsLeft: 1, addresses: 6 });

/** Routing types whose last address is the final destination (type 0, RFC 2460; type 2, RFC 6275). */
const ADDRESS_LIST_ROUTING: ReadonlySet<number> = new Set([0, 2]);

/** Routing type of segment routing (RFC 8754), whose first segment is the final destination. */
const SEGMENT_ROUTING = 4;

/**
 * The final destination of the last routing header with segments left, or
 * undefined when there is none.
 */
function ipv6FinalDestination(
  extensionHeaders: readonly Ipv6ExtensionHeader[],
  firstType: number,
): Uint8Array | undefined {
  const { type: typeAt, segmentsLeft, addresses } = ROUTING_DATA;
  let final: Uint8Array | undefined;
  let type = firstType;
  for (const { data, nextHeader } of extensionHeaders) {
    if (
      type === ROUTING_HEADER && data.length >= addresses + 16 &&
      data[segmentsLeft]! > 0
    ) {
      const routingType = data[typeAt]!;
      if (ADDRESS_LIST_ROUTING.has(routingType)) {
        const count = Math.floor((data.length - addresses) / 16);
        const start = addresses + 16 * (count - 1);
        final = data.slice(start, start + 16);
      } else if (routingType === SEGMENT_ROUTING) {
        final = data.slice(addresses, addresses + 16);
      }
    }
    type = nextHeader;
  }
  return final;
}

/** IPv4 option kinds whose last address is the final destination. */
const IPV4_SOURCE_ROUTES: ReadonlySet<number> = new Set([
  131, // loose source and record route (LSRR)
  137, // strict source and record route (SSRR)
]);

/** IPv4 option kinds of one byte: end of option list, no-operation. */
const IPV4_END_OF_OPTIONS = 0;
const IPV4_NO_OPERATION = 1;

/**
 * Offsets in an IPv4 source route option (RFC 791): kind, length, pointer,
 * then the route data, 4 bytes an address.
 */
const SOURCE_ROUTE = Object.freeze({ length: 1, pointer: 2, route: 3 });

/**
 * The final destination of an IPv4 source route option (LSRR or SSRR) with
 * addresses left to visit (pointer at most length - 3): its last address;
 * undefined when there is none. A malformed option list ends the walk.
 */
function ipv4FinalDestination(options: Uint8Array): Uint8Array | undefined {
  let p = 0;
  while (p < options.length) {
    const kind = options[p]!;
    if (kind === IPV4_END_OF_OPTIONS) break;
    if (kind === IPV4_NO_OPERATION) {
      p++;
      continue;
    }
    const length = options[p + SOURCE_ROUTE.length];
    if (length === undefined || length < 2 || p + length > options.length) {
      break;
    }
    if (IPV4_SOURCE_ROUTES.has(kind) && length >= SOURCE_ROUTE.route + 4) {
      const pointer = options[p + SOURCE_ROUTE.pointer]!;
      if (pointer >= 4 && pointer <= length - 3) {
        const count = Math.floor((length - SOURCE_ROUTE.route) / 4);
        const last = p + SOURCE_ROUTE.route + 4 * (count - 1);
        return options.slice(last, last + 4);
      }
    }
    p += length;
  }
  return undefined;
}

/**
 * The final destination the TCP pseudo-header uses when a source route or
 * a routing header makes it differ from the IP header's destination.
 *
 * @param packet A packet, or a decoded datagram.
 * @returns The final destination's bytes, or undefined when the pseudo-header
 * uses the IP header's destination.
 *
 * @example
 * ```ts
 * import { finalDestinationBytes } from "./pseudo_header.ts";
 * import { makeTcpPacket, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(finalDestinationBytes(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" })), undefined);
 * const routed = makeTcpPacket({
 *   src: "192.0.2.42", dst: "198.51.100.7", ipOptions: parseHex("830b04 c6336407 cb007109 00"),
 * });
 * assert.deepEqual(finalDestinationBytes(routed), new Uint8Array([203, 0, 113, 9]));
 * ```
 */
export function finalDestinationBytes(packet: {
  ip: Ipv4Header | Ipv6Header;
  extensionHeaders?: readonly Ipv6ExtensionHeader[];
}): Uint8Array | undefined {
  const { ip } = packet;
  return ip.version === 4
    ? ipv4FinalDestination(ip.options)
    : ipv6FinalDestination(packet.extensionHeaders ?? [], ip.nextHeader);
}

/**
 * The destination address the TCP checksum's pseudo-header uses: the final
 * destination of an IPv6 routing header with segments left (RFC 8200 §8.1),
 * or the last address of an IPv4 source route option (LSRR, SSRR) with
 * addresses left to visit; otherwise the IP header's destination.
 *
 * @param packet A packet, or a decoded datagram from `decodeIp`.
 * @returns The address, canonical text.
 *
 * @example
 * ```ts
 * import { makeTcpPacket, parseHex, tcpPseudoHeaderDestination } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const plain = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * assert.equal(tcpPseudoHeaderDestination(plain), "192.0.2.1");
 * // Loose source route via 198.51.100.7 to 203.0.113.9, pointer 4: both left.
 * const routed = makeTcpPacket({
 *   src: "192.0.2.42",
 *   dst: "198.51.100.7",
 *   ipOptions: parseHex("830b04 c6336407 cb007109 00"),
 * });
 * assert.equal(tcpPseudoHeaderDestination(routed), "203.0.113.9");
 * ```
 */
export function tcpPseudoHeaderDestination(packet: {
  ip: Ipv4Header | Ipv6Header;
  extensionHeaders?: readonly Ipv6ExtensionHeader[];
}): string {
  const final = finalDestinationBytes(packet);
  return final === undefined ? packet.ip.dst : formatAddress(final);
}
