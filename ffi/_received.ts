/**
 * What a raw socket makes of a datagram it received: the whole IP datagram
 * (for IPv6, the fixed header the kernel strips rebuilt from the ancillary
 * data), the sender and destination, the kernel's time stamp and, on a TCP
 * socket, the lenient decoding.
 *
 * @module
 */

import { formatAddress } from "../src/wire/address.ts";
import { DecodeError } from "../src/wire/errors.ts";
import { encodeIpv6HeaderInto, IPV6_HEADER_LENGTH } from "../src/wire/ipv6.ts";
import { type DecodedTcpPacket, decodePacket } from "../src/wire/packet.ts";
import type { OsConstants } from "./_constants.ts";
import { MAX_DATAGRAM, type ReceiveBuffers } from "./_msghdr.ts";
import { readSockaddr } from "./_sockaddr.ts";

/** A packet read from a raw socket. */
export interface ReceivedPacket {
  /**
   * The IP datagram. An IPv4 raw socket delivers the header as received.
   * An IPv6 raw socket delivers only what follows the IPv6 header; tcpcraft
   * puts a fixed header in front, built from what the kernel reports:
   * source (from the socket address), destination (`IPV6_PKTINFO`), hop
   * limit (`IPV6_HOPLIMIT`), traffic class (`IPV6_TCLASS`), flow label
   * (`IPV6_FLOWINFO`, Linux; 0 elsewhere), the socket's protocol as Next
   * Header and the payload length. Extension headers the packet had are
   * not reproduced (see `headerReconstructed`).
   */
  bytes: Uint8Array;
  /** Whether `bytes` starts with an IPv6 header rebuilt by tcpcraft (IPv6 sockets) rather than received. */
  headerReconstructed: boolean;
  /** The decoded packet (TCP sockets), decoded leniently; absent when decoding failed. */
  packet?: DecodedTcpPacket;
  /** Why decoding failed, when it did. */
  error?: DecodeError;
  /** The sender's address. */
  source: string;
  /** The address the packet was sent to, when known. */
  destination?: string;
  /** Index of the interface the packet arrived on, when known (IPv6). */
  interfaceIndex?: number;
  /**
   * Arrival time in milliseconds since the Unix epoch (fractional): the
   * kernel's timestamp (`SO_TIMESTAMPNS` on Linux, `SO_TIMESTAMP` on
   * macOS), or `performance.timeOrigin + performance.now()` when it was
   * read if the kernel gave none. Comparable with {@linkcode epochNow}.
   */
  receivedAt: number;
  /** Whether the datagram was longer than the receive buffer and was cut (`MSG_TRUNC`). */
  truncated: boolean;
}

/**
 * The current time in milliseconds since the Unix epoch, with sub-millisecond
 * precision, on the same clock as {@linkcode ReceivedPacket.receivedAt}.
 *
 * @returns `performance.timeOrigin + performance.now()`.
 *
 * @example
 * ```ts
 * import { epochNow } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Math.abs(epochNow() - Date.now()) < 1000);
 * ```
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The packet of the last `recvmsg` on a socket's buffers.
 *
 * @param buffers The socket's receive buffers, just filled.
 * @param length What `recvmsg` returned.
 * @param socket The socket's family and protocol.
 * @param k The OS's constants and layouts.
 * @returns The packet.
 *
 * @example An IPv4 datagram as a raw TCP socket hands it over
 * ```ts
 * import { receivedPacket } from "./_received.ts";
 * import { ReceiveBuffers } from "./_msghdr.ts";
 * import { LINUX } from "./_constants.ts";
 * import { encodePacket, makeTcpPacket } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const datagram = encodePacket(makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.42" }));
 * const buffers = new ReceiveBuffers(LINUX, 0);
 * buffers.reset();
 * buffers.data.set(datagram);
 * const packet = receivedPacket(buffers, datagram.length, { family: 4, protocol: 6 }, LINUX);
 * assert.equal(packet.source, "192.0.2.1");
 * assert.equal(packet.destination, "192.0.2.42");
 * assert.equal(packet.packet?.tcp.dstPort, 80);
 * ```
 */
export function receivedPacket(
  buffers: ReceiveBuffers,
  length: number,
  socket: { family: 4 | 6; protocol: number },
  k: OsConstants,
): ReceivedPacket {
  const truncated = (buffers.flags & k.MSG_TRUNC) !== 0;
  const received = Math.min(length, MAX_DATAGRAM);
  const from = readSockaddr(buffers.sender, k);
  const control = buffers.readControl();
  let bytes: Uint8Array;
  let source = from?.address ?? "";
  let destination = control.destination;
  if (socket.family === 6) {
    encodeIpv6HeaderInto(
      {
        version: 6,
        trafficClass: control.trafficClass ?? 0,
        flowLabel: control.flowLabel ?? 0,
        nextHeader: socket.protocol,
        hopLimit: control.hopLimit ?? 0,
        src: source === "" ? "::" : source,
        dst: destination ?? "::",
      },
      buffers.data,
      { payloadLength: received, offset: 0 },
    );
    bytes = buffers.data.slice(0, IPV6_HEADER_LENGTH + received);
  } else {
    bytes = buffers.data.slice(0, received);
    if (bytes.length >= 20) {
      if (source === "") source = formatAddress(bytes.subarray(12, 16));
      destination ??= formatAddress(bytes.subarray(16, 20));
    }
  }
  const result: ReceivedPacket = {
    bytes,
    headerReconstructed: socket.family === 6,
    source,
    receivedAt: control.timestamp ?? epochNow(),
    truncated,
  };
  if (destination !== undefined) result.destination = destination;
  if (control.interfaceIndex !== undefined) {
    result.interfaceIndex = control.interfaceIndex;
  }
  if (socket.protocol === 6) {
    try {
      result.packet = decodePacket(bytes, { lenient: true });
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      result.error = error;
    }
  }
  return result;
}
