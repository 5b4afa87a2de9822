/**
 * What a raw socket does to the packets it sends, apart from sending them:
 * the destination's socket address (kept between calls), the checks a
 * packet model must pass for the socket's mode, and its encoding: whole
 * when the socket is header-included (an unspecified source replaced by
 * the routed one), else only its TCP segment, checksummed with the source
 * the kernel will write; IPv4 headers in the byte order macOS expects.
 *
 * @module
 */

import { addressBytes, formatAddress } from "../src/wire/address.ts";
import {
  encodePacketInto,
  packetLength,
  type TcpPacket,
} from "../src/wire/packet.ts";
import { encodeTcpInto, tcpHeaderLength } from "../src/wire/tcp.ts";
import { LITTLE_ENDIAN, type OsConstants } from "./_constants.ts";
import { allocate, writeSockaddr } from "./_sockaddr.ts";
import { routeSource } from "./route.ts";

/** Where packets go: the address and its socket address. */
export interface Destination {
  /** As the caller wrote it. */
  text: string;
  /** Canonical text. */
  canonical: string;
  bytes: Uint8Array;
  sockaddr: Uint8Array<ArrayBuffer>;
  length: number;
  /** The routed source, once looked up. */
  source?: string;
  /** The last packet source and destination texts found acceptable (kernel-header mode). */
  checked?: string;
}

/**
 * Put the total length (bytes 2-3) and fragment field (bytes 6-7) of an
 * IPv4 header into host byte order, in place, as BSD-derived kernels
 * (macOS) expect from an `IP_HDRINCL` socket. On a little-endian host this
 * swaps the two bytes of each field; on a big-endian host it does nothing.
 * Linux wants network order and does not need this.
 *
 * @param datagram An IPv4 datagram, at least 8 bytes.
 * @param littleEndian Whether the host is little-endian (default: this host).
 * @returns `datagram`, changed.
 *
 * @example
 * ```ts
 * import { bsdIpv4HeaderOrder } from "./raw_socket.ts";
 * import assert from "node:assert/strict";
 *
 * const header = new Uint8Array([0x45, 0, 0x00, 0x28, 0, 1, 0x40, 0x00]);
 * bsdIpv4HeaderOrder(header, true);
 * assert.deepEqual(header, new Uint8Array([0x45, 0, 0x28, 0x00, 0, 1, 0x00, 0x40]));
 * ```
 */
export function bsdIpv4HeaderOrder(
  datagram: Uint8Array,
  littleEndian: boolean = LITTLE_ENDIAN,
): Uint8Array {
  if (datagram.length < 8) {
    throw new RangeError(
      `Cannot reorder IPv4 header: ${datagram.length} bytes, expected at least 8`,
    );
  }
  if (!littleEndian) return datagram;
  for (const at of [2, 6]) {
    const high = datagram[at]!;
    datagram[at] = datagram[at + 1]!;
    datagram[at + 1] = high;
  }
  return datagram;
}

function isUnspecified(address: string): boolean {
  return addressBytes(address).every((byte) => byte === 0);
}

function canonical(address: string): string {
  return formatAddress(addressBytes(address));
}

/** A socket's mode: what decides how a packet model is sent. */
export interface SocketMode {
  /** 4 or 6. */
  family: 4 | 6;
  /** Whether the packets carry their IP header. */
  headerIncluded: boolean;
  /** The socket's protocol. */
  protocol: number;
}

/**
 * The packet work of one raw socket; see the module documentation.
 *
 * @example A model encoded for a header-included IPv4 socket
 * ```ts
 * import { OutgoingPackets } from "./_packets.ts";
 * import { LINUX } from "./_constants.ts";
 * import { decodePacket, makeTcpPacket } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packets = new OutgoingPackets({ family: 4, headerIncluded: true, protocol: 6 }, LINUX);
 * const dest = packets.destination("192.0.2.1");
 * const model = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 443 });
 * const length = packets.lengthOf(model, dest);
 * const buffer = new Uint8Array(length);
 * packets.encode(model, dest, buffer, 0, length);
 * assert.equal(decodePacket(buffer).tcp.dstPort, 443);
 * ```
 */
export class OutgoingPackets {
  readonly #mode: SocketMode;
  readonly #k: OsConstants;
  #lastDestination: Destination | undefined;
  #lastSpecified = "";
  readonly #sources = new Map<string, string>();

  /**
   * Create the packet work of a socket.
   *
   * @param mode The socket's family, mode and protocol.
   * @param k The OS's constants and layouts.
   */
  constructor(mode: SocketMode, k: OsConstants) {
    this.#mode = mode;
    this.#k = k;
  }

  /**
   * The destination of a send: its socket address, kept for the next call
   * to the same text.
   *
   * @param text The address as the caller wrote it.
   * @returns The destination.
   * @throws {ParseError} For text that is not an address of the family.
   */
  destination(text: string): Destination {
    const last = this.#lastDestination;
    if (last !== undefined && last.text === text) return last;
    const bytes = addressBytes(text, this.#mode.family);
    const sockaddr = allocate(this.#k.layout.sockaddrStorage);
    const length = writeSockaddr(sockaddr, bytes, this.#k);
    const dest: Destination = {
      text,
      canonical: formatAddress(bytes),
      bytes,
      sockaddr,
      length,
    };
    this.#lastDestination = dest;
    return dest;
  }

  #routedSource(dest: Destination): string {
    if (dest.source !== undefined) return dest.source;
    let source = this.#sources.get(dest.canonical);
    if (source === undefined) {
      source = routeSource(dest.canonical);
      this.#sources.set(dest.canonical, source);
    }
    dest.source = source;
    return source;
  }

  #isUnspecified(address: string): boolean {
    if (address === this.#lastSpecified) return false;
    if (isUnspecified(address)) return true;
    this.#lastSpecified = address;
    return false;
  }

  /**
   * How many bytes a packet takes on this socket: bytes as they are, a
   * model checked and measured for the mode.
   *
   * @param packet Bytes or a packet model.
   * @param dest The destination.
   * @returns The length.
   * @throws {RangeError} For a model the mode cannot send.
   */
  lengthOf(packet: Uint8Array | TcpPacket, dest: Destination): number {
    if (packet instanceof Uint8Array) return packet.length;
    this.#checkPacket(packet, dest);
    return this.#mode.headerIncluded
      ? packetLength(packet)
      : tcpHeaderLength(packet.tcp) + packet.tcp.payload.length;
  }

  #checkPacket(packet: TcpPacket, dest: Destination): void {
    const what = `Cannot send packet to ${dest.text}`;
    if (this.#mode.protocol !== 6) {
      throw new RangeError(
        `${what}: a TCP packet model cannot be sent on a protocol ${this.#mode.protocol} socket; send bytes`,
      );
    }
    if (packet.ip.version !== this.#mode.family) {
      throw new RangeError(
        `${what}: the packet is IPv${packet.ip.version} but the socket is IPv${this.#mode.family}`,
      );
    }
    if (this.#mode.headerIncluded) return;
    const protocol = packet.ip.version === 4
      ? packet.ip.protocol
      : packet.ip.nextHeader;
    if (
      protocol !== 6 ||
      (packet.extensionHeaders !== undefined &&
        packet.extensionHeaders.length > 0)
    ) {
      throw new RangeError(
        `${what}: a packet with protocol ${protocol} or IPv6 extension headers needs a socket opened with headerIncluded`,
      );
    }
    const src = packet.ip.src;
    const dst = packet.ip.dst;
    // Sending many packets with the same addresses checks them once.
    const pair = `${src} ${dst}`;
    if (dest.checked === pair) return;
    if (!isUnspecified(src) && canonical(src) !== this.#routedSource(dest)) {
      throw new RangeError(
        `${what}: source ${src} differs from ${
          this.#routedSource(dest)
        }, the address the kernel writes; open the socket with headerIncluded to set the source`,
      );
    }
    if (!isUnspecified(dst) && canonical(dst) !== dest.canonical) {
      throw new RangeError(
        `${what}: the packet's destination ${dst} differs; the kernel writes ${dest.text} in the IP header (open the socket with headerIncluded to send it anyway)`,
      );
    }
    dest.checked = pair;
  }

  /**
   * Write a packet where the socket's buffer holds it: bytes copied, a
   * model encoded for the mode (the routed source filled in), and on macOS
   * an IPv4 header put into host order.
   *
   * @param packet Bytes or a packet model.
   * @param dest The destination.
   * @param target The buffer.
   * @param offset Where the packet starts.
   * @param length Its length ({@linkcode OutgoingPackets.lengthOf}).
   */
  encode(
    packet: Uint8Array | TcpPacket,
    dest: Destination,
    target: Uint8Array,
    offset: number,
    length: number,
  ): void {
    if (packet instanceof Uint8Array) {
      target.set(packet, offset);
    } else if (this.#mode.headerIncluded) {
      let model = packet;
      if (this.#isUnspecified(packet.ip.src)) {
        model = {
          ...packet,
          ip: { ...packet.ip, src: this.#routedSource(dest) },
        };
      }
      encodePacketInto(model, target, { offset });
    } else {
      encodeTcpInto(packet.tcp, target, {
        src: this.#routedSource(dest),
        dst: dest.bytes,
        offset,
      });
    }
    if (
      this.#mode.headerIncluded && this.#mode.family === 4 &&
      this.#k.os === "darwin" &&
      length >= 8
    ) {
      bsdIpv4HeaderOrder(target.subarray(offset, offset + length));
    }
  }
}
