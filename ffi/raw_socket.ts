/**
 * Raw IPv4 and IPv6 sockets: send crafted TCP packets, one or a thousand
 * per system call, and receive what comes back without blocking the event
 * loop.
 *
 * Two sending modes:
 * - **kernel header** (default): the kernel writes the IP header (source,
 *   TTL, ID chosen by the kernel); we hand it the TCP segment. The TCP
 *   checksum is always ours (raw sockets never compute it): for a
 *   `TcpPacket` it is computed over a pseudo-header with the source the
 *   kernel will use (found with `routeSource`), so it is right without the
 *   caller knowing that address. Linux IPv6 raw sockets could fill it
 *   themselves (`IPV6_CHECKSUM`), but that would overwrite a checksum set
 *   wrong on purpose, so tcpcraft does not ask them to.
 * - **header included** (`headerIncluded: true`, `IP_HDRINCL` /
 *   `IPV6_HDRINCL`): we write the IP header too, so the source address,
 *   TTL or hop limit, ID, TOS or traffic class, DF and flow label are ours.
 *   On Linux the kernel still rewrites an IPv4 header's total length and
 *   checksum, and fills an ID of 0 and a source of 0.0.0.0; an IPv6 header
 *   is sent exactly as written.
 *
 * @module
 */

import { addressBytes, formatAddress } from "../src/wire/address.ts";
import { DecodeError } from "../src/wire/errors.ts";
import { encodeIpv6HeaderInto, IPV6_HEADER_LENGTH } from "../src/wire/ipv6.ts";
import {
  type DecodedTcpPacket,
  decodePacket,
  encodePacketInto,
  packetLength,
  type TcpPacket,
} from "../src/wire/packet.ts";
import { encodeTcpInto, tcpHeaderLength } from "../src/wire/tcp.ts";
import { LITTLE_ENDIAN, type OsConstants } from "./_constants.ts";
import { type Libc, libc } from "./_libc.ts";
import { allocate, readSockaddr, writeSockaddr } from "./_sockaddr.ts";
import { SocketError, socketErrorFromErrno, type Syscall } from "./errors.ts";
import { routeSource } from "./route.ts";

/** IP protocols a raw socket can be opened for: TCP (6), ICMP (1), ICMPv6 (58). */
export type RawProtocol = 6 | 1 | 58;

/** Options for {@linkcode RawSocket.open}. */
export interface RawSocketOptions {
  /** 4 for IPv4, 6 for IPv6. */
  family: 4 | 6;
  /**
   * Whether packets sent carry their own IP header (`IP_HDRINCL` /
   * `IPV6_HDRINCL`, Linux 4.5+ for IPv6). Default false: the kernel writes it.
   */
  headerIncluded?: boolean;
  /**
   * The protocol to send and receive (default 6, TCP). ICMP (1, IPv4) and
   * ICMPv6 (58, IPv6) sockets receive error messages about the packets
   * sent; their received packets carry no `packet` decode.
   */
  protocol?: RawProtocol;
  /** The kernel receive buffer size in bytes (`SO_RCVBUF`); the system default when absent. */
  receiveBufferBytes?: number;
}

/** Options for {@linkcode RawSocket.receive}. */
export interface ReceiveOptions {
  /**
   * How long to wait for the first packet, in milliseconds (default 1000;
   * 0 returns at once with whatever is queued). At most 2147483647.
   */
  timeoutMs?: number;
  /** The most packets to return from one call (default 1024). */
  maxPackets?: number;
}

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

/** What the kernel said about a received packet in control messages. */
interface ControlData {
  timestamp?: number;
  destination?: string;
  interfaceIndex?: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
}

interface Destination {
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

function pointerOf(buffer: Uint8Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

function isUnspecified(address: string): boolean {
  return addressBytes(address).every((byte) => byte === 0);
}

function canonical(address: string): string {
  return formatAddress(addressBytes(address));
}

const closer = new FinalizationRegistry<{ c: Libc; fd: number }>(
  ({ c, fd }) => {
    c.close(fd);
  },
);

const MAX_DATAGRAM = 65535;
const CONTROL_BYTES = 512;

/**
 * A raw IPv4 or IPv6 socket. Open it with {@linkcode RawSocket.open}; close
 * it with `close()` or a `using` declaration. Needs `--allow-ffi` and root
 * or `cap_net_raw`.
 *
 * @example Send a SYN to the loopback address and read the answer
 * ```ts ignore
 * import { makeTcpPacket } from "../mod.ts";
 * import { RawSocket } from "./mod.ts";
 *
 * using socket = RawSocket.open({ family: 4 });
 * socket.send(makeTcpPacket({ src: "127.0.0.1", dst: "127.0.0.1", dstPort: 22 }), "127.0.0.1");
 * for (const reply of await socket.receive({ timeoutMs: 500 })) {
 *   console.log(reply.source, reply.packet?.tcp.flags);
 * }
 * ```
 */
export class RawSocket implements Disposable {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Whether packets sent carry their own IP header. */
  readonly headerIncluded: boolean;
  /** The IP protocol of the socket. */
  readonly protocol: RawProtocol;
  readonly #c: Libc;
  readonly #k: OsConstants;
  readonly #fd: number;
  #closed = false;
  #buffer: Uint8Array<ArrayBuffer> = allocate(2048);
  #vector: Uint8Array<ArrayBuffer> = allocate(0);
  #lengths: Uint32Array = new Uint32Array(0);
  #lastDestination: Destination | undefined;
  #lastSpecified = "";
  readonly #sources = new Map<string, string>();
  readonly #recvData: Uint8Array<ArrayBuffer>;
  readonly #recvName: Uint8Array<ArrayBuffer>;
  readonly #recvControl: Uint8Array<ArrayBuffer>;
  readonly #recvIov: Uint8Array<ArrayBuffer>;
  readonly #recvMsghdr: Uint8Array<ArrayBuffer>;
  readonly #recvMsghdrView: DataView;
  readonly #pollfd: Uint8Array<ArrayBuffer>;
  readonly #token = {};

  private constructor(
    c: Libc,
    fd: number,
    options: Required<
      Pick<RawSocketOptions, "family" | "headerIncluded" | "protocol">
    >,
  ) {
    this.#c = c;
    this.#k = c.constants;
    this.#fd = fd;
    this.family = options.family;
    this.headerIncluded = options.headerIncluded;
    this.protocol = options.protocol;
    const layout = this.#k.layout;
    // IPv6: the payload lands 40 bytes in, leaving room for the rebuilt header.
    const dataOffset = this.family === 6 ? IPV6_HEADER_LENGTH : 0;
    this.#recvData = allocate(dataOffset + MAX_DATAGRAM + 1);
    this.#recvName = allocate(layout.sockaddrStorage);
    this.#recvControl = allocate(CONTROL_BYTES);
    this.#recvIov = allocate(layout.iovec);
    this.#recvMsghdr = allocate(layout.msghdr.size);
    this.#recvMsghdrView = new DataView(this.#recvMsghdr.buffer);
    const iov = new DataView(this.#recvIov.buffer);
    iov.setBigUint64(
      0,
      pointerOf(this.#recvData) + BigInt(dataOffset),
      LITTLE_ENDIAN,
    );
    iov.setBigUint64(8, BigInt(MAX_DATAGRAM + 1), LITTLE_ENDIAN);
    const m = this.#recvMsghdrView;
    const ml = layout.msghdr;
    m.setBigUint64(ml.name, pointerOf(this.#recvName), LITTLE_ENDIAN);
    m.setBigUint64(ml.iov, pointerOf(this.#recvIov), LITTLE_ENDIAN);
    setSized(m, ml.iovlen, ml.iovlenSize, 1);
    m.setBigUint64(ml.control, pointerOf(this.#recvControl), LITTLE_ENDIAN);
    this.#pollfd = allocate(layout.pollfd);
    const p = new DataView(this.#pollfd.buffer);
    p.setInt32(0, fd, LITTLE_ENDIAN);
    p.setInt16(4, this.#k.POLLIN, LITTLE_ENDIAN);
    closer.register(this, { c, fd }, this.#token);
  }

  /**
   * Open a raw socket.
   *
   * @param options Family, mode, protocol and receive buffer size.
   * @returns The socket.
   * @throws {SocketError} `EPERM` without root or `cap_net_raw` (the message
   *   says how to grant it), `EAFNOSUPPORT` when the family is disabled.
   * @throws {FfiPermissionError} Without `--allow-ffi`.
   * @throws {LibcLoadError} On an unsupported OS.
   * @throws {RangeError} For an unknown family or protocol, or IPv6 with
   *   `headerIncluded` where the OS has no `IPV6_HDRINCL`.
   *
   * @example
   * ```ts ignore
   * import { RawSocket } from "./mod.ts";
   *
   * using socket = RawSocket.open({ family: 6, headerIncluded: true });
   * ```
   */
  static open(options: RawSocketOptions): RawSocket {
    const family = options.family;
    if (family !== 4 && family !== 6) {
      throw new RangeError(
        `Cannot open raw socket: family ${family} is not 4 or 6`,
      );
    }
    const protocol = options.protocol ?? 6;
    const allowed = family === 4 ? [6, 1] : [6, 58];
    if (!allowed.includes(protocol)) {
      throw new RangeError(
        `Cannot open raw socket: protocol ${protocol} is not one of ${
          allowed.join(", ")
        } for IPv${family}`,
      );
    }
    const headerIncluded = options.headerIncluded ?? false;
    const c = libc();
    const k = c.constants;
    if (family === 6 && headerIncluded && k.IPV6_HDRINCL === undefined) {
      throw new RangeError(
        `Cannot open raw socket: IPv6 with headerIncluded needs IPV6_HDRINCL, which ${k.os} lacks (Linux 4.5+ has it); open it without headerIncluded`,
      );
    }
    const domain = family === 4 ? k.AF_INET : k.AF_INET6;
    const fd = c.socket(domain, k.SOCK_RAW | k.SOCK_CLOEXEC, protocol);
    if (fd < 0) {
      const errno = c.errno();
      throw socketErrorFromErrno(errno, "socket", {
        strerror: c.strerror(errno),
      });
    }
    try {
      const set = (
        level: number,
        name: number,
        value: number,
        what: string,
      ) => {
        const box = allocate(4);
        new DataView(box.buffer).setInt32(0, value, LITTLE_ENDIAN);
        if (c.setsockopt(fd, level, name, box) !== 0) {
          const errno = c.errno();
          throw socketErrorFromErrno(errno, "setsockopt", {
            action: `Cannot set socket option ${what}`,
            strerror: c.strerror(errno),
          });
        }
      };
      if (headerIncluded) {
        if (family === 4) set(k.IPPROTO_IP, k.IP_HDRINCL, 1, "IP_HDRINCL");
        else set(k.IPPROTO_IPV6, k.IPV6_HDRINCL!, 1, "IPV6_HDRINCL");
      }
      set(k.SOL_SOCKET, k.SO_TIMESTAMP, 1, "SO_TIMESTAMP");
      if (family === 6) {
        set(k.IPPROTO_IPV6, k.IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
        set(k.IPPROTO_IPV6, k.IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
        set(k.IPPROTO_IPV6, k.IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS");
        if (k.IPV6_FLOWINFO !== undefined) {
          set(k.IPPROTO_IPV6, k.IPV6_FLOWINFO, 1, "IPV6_FLOWINFO");
        }
      }
      if (options.receiveBufferBytes !== undefined) {
        const bytes = options.receiveBufferBytes;
        if (!Number.isInteger(bytes) || bytes < 1 || bytes > 0x7fffffff) {
          throw new RangeError(
            `Cannot open raw socket: receiveBufferBytes ${bytes} is not in 1..2147483647`,
          );
        }
        set(k.SOL_SOCKET, k.SO_RCVBUF, bytes, "SO_RCVBUF");
      }
    } catch (error) {
      c.close(fd);
      throw error;
    }
    return new RawSocket(c, fd, { family, headerIncluded, protocol });
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The file descriptor (for diagnostics). */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Send one packet.
   *
   * Bytes are sent as they are: a whole IP datagram when the socket is
   * `headerIncluded`, else the TCP segment (or ICMP message) that follows
   * the kernel's IP header. A `TcpPacket` is encoded for the mode: whole
   * with `headerIncluded` (a source of `0.0.0.0` or `::` is replaced by the
   * routed source, so the checksum is right); else only its TCP segment,
   * checksummed with the routed source. Without `headerIncluded` the
   * packet's IP fields other than the addresses are not sent, and its
   * source must be the routed one (or unspecified).
   *
   * @param packet Bytes or a packet model.
   * @param destination The address to send to.
   * @returns The number of bytes the kernel accepted.
   * @throws {SocketError} When the kernel refuses (ENETUNREACH, EMSGSIZE, EPERM…).
   * @throws {RangeError} For a packet of the wrong family or one the mode cannot send.
   * @throws {ParseError} For a destination that is not an address of the socket's family.
   */
  send(packet: Uint8Array | TcpPacket, destination: string): number {
    this.#requireOpen("sendto", destination);
    const dest = this.#destination(destination);
    const length = this.#lengthOf(packet, dest);
    this.#ensureBuffer(length);
    this.#encode(packet, dest, this.#buffer, 0, length);
    const c = this.#c;
    const sent = c.sendto(
      this.#fd,
      this.#buffer,
      length,
      0,
      dest.sockaddr,
      dest.length,
    );
    if (sent < 0) {
      const errno = c.errno();
      throw this.#error(errno, "sendto", dest.text, length);
    }
    return sent;
  }

  /**
   * Send many packets to one destination. They are encoded once, one after
   * the other, into a buffer the socket keeps for the next call, and handed
   * to the kernel by `sendmmsg` (Linux: up to 1024 per system call) or one
   * `sendto` each (macOS). Each packet is prepared as in {@linkcode send}.
   *
   * @param packets Bytes or packet models.
   * @param destination The address to send to.
   * @returns The number of packets sent: all of them (a failure throws).
   * @throws {SocketError} When the kernel refuses; the message says how many were sent before.
   */
  sendMany(
    packets: readonly (Uint8Array | TcpPacket)[],
    destination: string,
  ): number {
    this.#requireOpen("sendmmsg", destination);
    const count = packets.length;
    if (count === 0) return 0;
    const dest = this.#destination(destination);
    if (this.#lengths.length < count) this.#lengths = new Uint32Array(count);
    const lengths = this.#lengths;
    let total = 0;
    for (let i = 0; i < count; i++) {
      lengths[i] = this.#lengthOf(packets[i]!, dest);
      total += lengths[i]!;
    }
    this.#ensureBuffer(total);
    const buffer = this.#buffer;
    let offset = 0;
    for (let i = 0; i < count; i++) {
      this.#encode(packets[i]!, dest, buffer, offset, lengths[i]!);
      offset += lengths[i]!;
    }
    const c = this.#c;
    if (c.sendmmsg === undefined) {
      offset = 0;
      for (let i = 0; i < count; i++) {
        const length = lengths[i]!;
        const sent = c.sendto(
          this.#fd,
          buffer.subarray(offset, offset + length),
          length,
          0,
          dest.sockaddr,
          dest.length,
        );
        if (sent < 0) {
          const errno = c.errno();
          throw this.#error(errno, "sendto", dest.text, length, i, count);
        }
        offset += length;
      }
      return count;
    }
    const layout = this.#k.layout;
    const headerSize = layout.mmsghdr;
    const iovSize = layout.iovec;
    const vectorBytes = count * (headerSize + iovSize);
    if (this.#vector.length < vectorBytes) {
      this.#vector = allocate(Math.max(vectorBytes, this.#vector.length * 2));
    }
    const vector = this.#vector;
    const v = new DataView(vector.buffer);
    const base = pointerOf(buffer);
    const vectorBase = pointerOf(vector);
    const nameBase = pointerOf(dest.sockaddr);
    const iovStart = count * headerSize;
    const ml = layout.msghdr;
    vector.fill(0, 0, vectorBytes);
    offset = 0;
    for (let i = 0; i < count; i++) {
      const iov = iovStart + i * iovSize;
      v.setBigUint64(iov, base + BigInt(offset), LITTLE_ENDIAN);
      v.setBigUint64(iov + 8, BigInt(lengths[i]!), LITTLE_ENDIAN);
      const h = i * headerSize;
      v.setBigUint64(h + ml.name, nameBase, LITTLE_ENDIAN);
      v.setUint32(h + ml.namelen, dest.length, LITTLE_ENDIAN);
      v.setBigUint64(h + ml.iov, vectorBase + BigInt(iov), LITTLE_ENDIAN);
      setSized(v, h + ml.iovlen, ml.iovlenSize, 1);
      offset += lengths[i]!;
    }
    let sent = 0;
    // Each call sends at least one message or fails, so this ends.
    while (sent < count) {
      const batch = Math.min(count - sent, this.#k.SENDMMSG_MAX);
      const result = c.sendmmsg(
        this.#fd,
        vector.subarray(sent * headerSize),
        batch,
        0,
      );
      if (result <= 0) {
        const errno = c.errno();
        throw this.#error(
          errno,
          "sendmmsg",
          dest.text,
          lengths[sent]!,
          sent,
          count,
        );
      }
      sent += result;
    }
    return count;
  }

  /**
   * Wait up to `timeoutMs` for packets, then return every packet queued
   * (up to `maxPackets`). The wait is one `poll` on a worker thread, so the
   * event loop keeps running; the packets are then read with non-blocking
   * `recvmsg` calls until none is left. Returns an empty array on timeout,
   * or if the socket is closed while waiting.
   *
   * A raw TCP socket receives every TCP packet that reaches the host (Linux;
   * macOS delivers no TCP to raw sockets): filter by address and port.
   *
   * @param options `timeoutMs` (default 1000) and `maxPackets` (default 1024).
   * @returns The packets, oldest first.
   * @throws {SocketError} When reading fails for a reason other than an empty queue.
   */
  async receive(options: ReceiveOptions = {}): Promise<ReceivedPacket[]> {
    this.#requireOpen("recvmsg");
    const timeoutMs = options.timeoutMs ?? 1000;
    if (
      !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0x7fffffff
    ) {
      throw new RangeError(
        `Cannot receive packets: timeoutMs ${timeoutMs} is not an integer in 0..2147483647`,
      );
    }
    const maxPackets = options.maxPackets ?? 1024;
    if (!Number.isInteger(maxPackets) || maxPackets < 1) {
      throw new RangeError(
        `Cannot receive packets: maxPackets ${maxPackets} is not a positive integer`,
      );
    }
    let packets = this.#drain(maxPackets);
    if (packets.length > 0 || timeoutMs === 0) return packets;
    const deadline = performance.now() + timeoutMs;
    for (let round = 0; round < 64; round++) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) break;
      const ready = await this.#c.poll(this.#pollfd, 1, remaining);
      if (this.#closed) return [];
      if (ready === 0) break;
      // ready < 0: interrupted (errno belongs to the worker thread); wait again.
      if (ready > 0) {
        packets = this.#drain(maxPackets);
        if (packets.length > 0) return packets;
      }
    }
    return [];
  }

  /** Close the socket. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closer.unregister(this.#token);
    this.#c.close(this.#fd);
  }

  /** Close the socket (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #requireOpen(syscall: Syscall, destination?: string): void {
    if (!this.#closed) return;
    const action = syscall === "recvmsg"
      ? "Cannot receive packets"
      : `Cannot send packet${syscall === "sendmmsg" ? "s" : ""}${
        destination === undefined ? "" : ` to ${destination}`
      }`;
    throw new SocketError(`${action}: the socket is closed`, {
      code: "EBADF",
      errno: this.#k.errno.EBADF,
      syscall,
    });
  }

  #error(
    errno: number,
    syscall: Syscall,
    destination: string,
    length: number,
    index?: number,
    count?: number,
  ): SocketError {
    const many = count === undefined
      ? ""
      : ` (after ${index} of ${count} packets were sent)`;
    return socketErrorFromErrno(errno, syscall, {
      action: `Cannot send packet${
        count === undefined ? "" : "s"
      } to ${destination}${many}`,
      strerror: this.#c.strerror(errno),
      length,
    });
  }

  #destination(text: string): Destination {
    const last = this.#lastDestination;
    if (last !== undefined && last.text === text) return last;
    const bytes = addressBytes(text, this.family);
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

  #lengthOf(packet: Uint8Array | TcpPacket, dest: Destination): number {
    if (packet instanceof Uint8Array) return packet.length;
    this.#checkPacket(packet, dest);
    return this.headerIncluded
      ? packetLength(packet)
      : tcpHeaderLength(packet.tcp) + packet.tcp.payload.length;
  }

  #checkPacket(packet: TcpPacket, dest: Destination): void {
    const what = `Cannot send packet to ${dest.text}`;
    if (this.protocol !== 6) {
      throw new RangeError(
        `${what}: a TCP packet model cannot be sent on a protocol ${this.protocol} socket; send bytes`,
      );
    }
    if (packet.ip.version !== this.family) {
      throw new RangeError(
        `${what}: the packet is IPv${packet.ip.version} but the socket is IPv${this.family}`,
      );
    }
    if (this.headerIncluded) return;
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

  #ensureBuffer(length: number): void {
    if (this.#buffer.length >= length) return;
    let size = this.#buffer.length;
    while (size < length) size *= 2;
    this.#buffer = allocate(size);
  }

  #encode(
    packet: Uint8Array | TcpPacket,
    dest: Destination,
    target: Uint8Array,
    offset: number,
    length: number,
  ): void {
    if (packet instanceof Uint8Array) {
      target.set(packet, offset);
    } else if (this.headerIncluded) {
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
      this.headerIncluded && this.family === 4 && this.#k.os === "darwin" &&
      length >= 8
    ) {
      bsdIpv4HeaderOrder(target.subarray(offset, offset + length));
    }
  }

  #drain(maxPackets: number): ReceivedPacket[] {
    const packets: ReceivedPacket[] = [];
    const c = this.#c;
    const k = this.#k;
    const m = this.#recvMsghdrView;
    const ml = k.layout.msghdr;
    for (let i = 0; i < maxPackets; i++) {
      m.setUint32(ml.namelen, this.#recvName.length, LITTLE_ENDIAN);
      setSized(m, ml.controllen, ml.controllenSize, CONTROL_BYTES);
      m.setInt32(ml.flags, 0, LITTLE_ENDIAN);
      const length = c.recvmsg(this.#fd, this.#recvMsghdr, k.MSG_DONTWAIT);
      if (length < 0) {
        const errno = c.errno();
        if (errno === k.errno.EAGAIN || errno === k.errno.EINTR) break;
        throw socketErrorFromErrno(errno, "recvmsg", {
          strerror: c.strerror(errno),
        });
      }
      packets.push(this.#parse(length));
    }
    return packets;
  }

  #parse(length: number): ReceivedPacket {
    const k = this.#k;
    const m = this.#recvMsghdrView;
    const ml = k.layout.msghdr;
    const flags = m.getInt32(ml.flags, LITTLE_ENDIAN);
    const truncated = (flags & k.MSG_TRUNC) !== 0;
    const received = Math.min(length, MAX_DATAGRAM);
    const nameLength = m.getUint32(ml.namelen, LITTLE_ENDIAN);
    const from = readSockaddr(
      this.#recvName.subarray(0, Math.min(nameLength, this.#recvName.length)),
      k,
    );
    const control = this.#readControl(
      getSized(m, ml.controllen, ml.controllenSize),
    );
    let bytes: Uint8Array;
    let source = from?.address ?? "";
    let destination = control.destination;
    if (this.family === 6) {
      encodeIpv6HeaderInto(
        {
          version: 6,
          trafficClass: control.trafficClass ?? 0,
          flowLabel: control.flowLabel ?? 0,
          nextHeader: this.protocol,
          hopLimit: control.hopLimit ?? 0,
          src: source === "" ? "::" : source,
          dst: destination ?? "::",
        },
        this.#recvData,
        { payloadLength: received, offset: 0 },
      );
      bytes = this.#recvData.slice(0, IPV6_HEADER_LENGTH + received);
    } else {
      bytes = this.#recvData.slice(0, received);
      if (bytes.length >= 20) {
        if (source === "") source = formatAddress(bytes.subarray(12, 16));
        destination ??= formatAddress(bytes.subarray(16, 20));
      }
    }
    const result: ReceivedPacket = {
      bytes,
      headerReconstructed: this.family === 6,
      source,
      receivedAt: control.timestamp ?? epochNow(),
      truncated,
    };
    if (destination !== undefined) result.destination = destination;
    if (control.interfaceIndex !== undefined) {
      result.interfaceIndex = control.interfaceIndex;
    }
    if (this.protocol === 6) {
      try {
        result.packet = decodePacket(bytes, { lenient: true });
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        result.error = error;
      }
    }
    return result;
  }

  #readControl(controlLength: number): ControlData {
    const k = this.#k;
    const cl = k.layout.cmsghdr;
    const control = this.#recvControl;
    const view = new DataView(control.buffer);
    const end = Math.min(controlLength, control.length);
    const out: ControlData = {};
    let at = 0;
    for (let guard = 0; guard < 32 && at + cl.headerSize <= end; guard++) {
      const length = getSized(view, at, cl.lenSize);
      if (length < cl.headerSize || at + length > end) break;
      const level = view.getInt32(at + cl.level, LITTLE_ENDIAN);
      const type = view.getInt32(at + cl.type, LITTLE_ENDIAN);
      const data = at + cl.headerSize;
      const dataLength = length - cl.headerSize;
      if (level === k.SOL_SOCKET && type === k.SCM_TIMESTAMP) {
        const seconds = Number(view.getBigInt64(data, LITTLE_ENDIAN));
        if (k.layout.timestamp === "timespec" && dataLength >= 16) {
          const nanoseconds = Number(view.getBigInt64(data + 8, LITTLE_ENDIAN));
          out.timestamp = seconds * 1000 + nanoseconds / 1e6;
        } else if (dataLength >= 12) {
          const microseconds = view.getInt32(data + 8, LITTLE_ENDIAN);
          out.timestamp = seconds * 1000 + microseconds / 1e3;
        }
      } else if (level === k.IPPROTO_IPV6) {
        if (type === k.IPV6_PKTINFO && dataLength >= 20) {
          out.destination = formatAddress(control.slice(data, data + 16));
          out.interfaceIndex = view.getUint32(data + 16, LITTLE_ENDIAN);
        } else if (type === k.IPV6_HOPLIMIT && dataLength >= 4) {
          out.hopLimit = view.getInt32(data, LITTLE_ENDIAN);
        } else if (type === k.IPV6_TCLASS && dataLength >= 4) {
          out.trafficClass = view.getInt32(data, LITTLE_ENDIAN);
        } else if (type === k.IPV6_FLOWINFO && dataLength >= 4) {
          // Network order: version bits masked off, traffic class, flow label.
          out.flowLabel = view.getUint32(data) & 0xfffff;
        }
      }
      at += Math.ceil(length / cl.align) * cl.align;
    }
    return out;
  }
}

function setSized(
  view: DataView,
  at: number,
  size: 4 | 8,
  value: number,
): void {
  if (size === 8) view.setBigUint64(at, BigInt(value), LITTLE_ENDIAN);
  else view.setUint32(at, value, LITTLE_ENDIAN);
}

function getSized(view: DataView, at: number, size: 4 | 8): number {
  return size === 8
    ? Number(view.getBigUint64(at, LITTLE_ENDIAN))
    : view.getUint32(at, LITTLE_ENDIAN);
}
