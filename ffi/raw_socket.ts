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

import { IPV6_HEADER_LENGTH } from "../src/wire/ipv6.ts";
import type { TcpPacket } from "../src/wire/packet.ts";
import { LITTLE_ENDIAN, type OsConstants } from "./_constants.ts";
import { type Libc, libc } from "./_libc.ts";
import { ReceiveBuffers, SendVector } from "./_msghdr.ts";
import { OutgoingPackets } from "./_packets.ts";
import { type ReceivedPacket, receivedPacket } from "./_received.ts";
import {
  ReceiveRing,
  type RingFailure,
  type RingPacketHandler,
  SendRing,
} from "./_rings.ts";
import { allocate } from "./_sockaddr.ts";
import { forceReceiveBuffer, socketDrops } from "./_sockopt.ts";
import { SocketError, socketErrorFromErrno, type Syscall } from "./errors.ts";

export { bsdIpv4HeaderOrder } from "./_packets.ts";
export { epochNow, type ReceivedPacket } from "./_received.ts";

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
  /**
   * The kernel receive buffer size in bytes; the system default when
   * absent. Asked with `SO_RCVBUFFORCE` (Linux, as root: past
   * `net.core.rmem_max`), else `SO_RCVBUF` (capped by the kernel).
   */
  receiveBufferBytes?: number;
  /**
   * Allow sending to broadcast addresses (`SO_BROADCAST`). Default false:
   * Linux then refuses a packet to a broadcast address with `EACCES`.
   */
  broadcast?: boolean;
}

/** Options for {@linkcode RawSocket.openSendRing}. */
export interface RawSendRingOptions {
  /** How many slots: the most packets one `send` takes. */
  slots: number;
  /** Bytes of each slot. */
  slotBytes: number;
  /**
   * Where every packet goes; `"per-slot"` sends each datagram to the
   * destination address in its IP header (`headerIncluded` sockets).
   */
  destination: string | "per-slot";
}

/**
 * Send slots on a raw socket (from {@linkcode RawSocket.openSendRing}):
 * write a datagram into each slot once, patch it in place, and `send` the
 * first `count` slots in one `sendmmsg`, nothing built per packet.
 */
export interface RawSendRing {
  /** The slots, each `slotBytes` long; their bytes stay as written. */
  readonly slots: readonly Uint8Array[];
  /**
   * Send bytes `offset..length` of slots `0..count-1`.
   *
   * @returns `count`.
   * @throws {SocketError} When the kernel refuses; the message says how many were sent.
   */
  send(count: number, length: number, offset?: number): number;
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

const closer = new FinalizationRegistry<{ c: Libc; fd: number }>(
  ({ c, fd }) => {
    c.close(fd);
  },
);

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
  #lengths: Uint32Array = new Uint32Array(0);
  readonly #packets: OutgoingPackets;
  readonly #vector: SendVector;
  readonly #received: ReceiveBuffers;
  readonly #pollfd: Uint8Array<ArrayBuffer>;
  readonly #token = {};
  #ring: ReceiveRing | undefined;

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
    this.#packets = new OutgoingPackets(options, this.#k);
    this.#vector = new SendVector(this.#k);
    // IPv6: the payload lands 40 bytes in, leaving room for the rebuilt header.
    this.#received = new ReceiveBuffers(
      this.#k,
      this.family === 6 ? IPV6_HEADER_LENGTH : 0,
    );
    this.#pollfd = allocate(layout.pollfd);
    const p = new DataView(this.#pollfd.buffer);
    p.setInt32(0, fd, LITTLE_ENDIAN);
    p.setInt16(4, this.#k.POLLIN, LITTLE_ENDIAN);
    closer.register(this, { c, fd }, this.#token);
  }

  /**
   * Open a raw socket.
   *
   * @param options Family, mode, protocol, receive buffer size and
   *   whether broadcast addresses may be sent to.
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
      if (options.broadcast === true) {
        set(k.SOL_SOCKET, k.SO_BROADCAST, 1, "SO_BROADCAST");
      }
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
        if (!forceReceiveBuffer(c, fd, bytes)) {
          set(k.SOL_SOCKET, k.SO_RCVBUF, bytes, "SO_RCVBUF");
        }
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
    const dest = this.#packets.destination(destination);
    const length = this.#packets.lengthOf(packet, dest);
    this.#ensureBuffer(length);
    this.#packets.encode(packet, dest, this.#buffer, 0, length);
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
    const dest = this.#packets.destination(destination);
    if (this.#lengths.length < count) this.#lengths = new Uint32Array(count);
    const lengths = this.#lengths;
    let total = 0;
    for (let i = 0; i < count; i++) {
      lengths[i] = this.#packets.lengthOf(packets[i]!, dest);
      total += lengths[i]!;
    }
    this.#ensureBuffer(total);
    const buffer = this.#buffer;
    let offset = 0;
    for (let i = 0; i < count; i++) {
      this.#packets.encode(packets[i]!, dest, buffer, offset, lengths[i]!);
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
    const headerSize = this.#k.layout.mmsghdr;
    const vector = this.#vector.fill(
      buffer,
      lengths,
      count,
      dest.sockaddr,
      dest.length,
    );
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
   * Open send slots on this socket ({@linkcode RawSendRing}): the fast
   * path of floods and scans. The ring lives as long as the socket.
   *
   * @param options Slots, their size, and where packets go.
   * @returns The ring.
   * @throws {ParseError} For a destination that is not an address of the socket's family.
   * @throws {RangeError} For slots out of range, or `"per-slot"` on a socket that is not `headerIncluded`.
   *
   * @example
   * ```ts ignore
   * import { RawSocket } from "./mod.ts";
   *
   * using socket = RawSocket.open({ family: 4 });
   * const ring = socket.openSendRing({ slots: 64, slotBytes: 20, destination: "192.0.2.1" });
   * // write a TCP segment into each slot, then:
   * ring.send(64, 20);
   * ```
   */
  openSendRing(options: RawSendRingOptions): RawSendRing {
    this.#requireOpen("sendmmsg");
    let destination;
    if (options.destination === "per-slot") {
      if (!this.headerIncluded) {
        throw new RangeError(
          "Cannot open send ring: per-slot destinations need a headerIncluded socket",
        );
      }
      destination = { perSlot: this.family };
    } else {
      const dest = this.#packets.destination(options.destination);
      destination = { sockaddr: dest.sockaddr, length: dest.length };
    }
    const ring = new SendRing(this.#k, {
      slots: options.slots,
      slotBytes: options.slotBytes,
      destination,
    });
    const text = options.destination;
    const fail: RingFailure = (errno, syscall, sent, count) =>
      this.#error(errno, syscall, text, options.slotBytes, sent, count);
    return {
      slots: ring.slots,
      send: (count, length, offset = 0) => {
        this.#requireOpen("sendmmsg", text);
        return ring.send(this.#c, this.#fd, count, length, offset, fail);
      },
    };
  }

  /**
   * Read what is queued (non-blocking) with `recvmmsg`, up to `maxPackets`,
   * handing each datagram to `onPacket` in place: the fast path of scans
   * (Linux). IPv6 datagrams get their fixed header rebuilt in front.
   *
   * @param onPacket Takes each datagram (valid only during the call).
   * @param maxPackets The most to read (default 4096).
   * @returns How many were read.
   * @throws {SocketError} When reading fails for a reason other than an empty queue.
   * @throws {RangeError} Where the OS has no `recvmmsg` (macOS).
   */
  drain(onPacket: RingPacketHandler, maxPackets = 4096): number {
    this.#requireOpen("recvmsg");
    if (this.#c.recvmmsg === undefined) {
      throw new RangeError(
        `Cannot drain packets: ${this.#k.os} has no recvmmsg; use receive()`,
      );
    }
    this.#ring ??= new ReceiveRing(this.#k, {
      family: this.family,
      protocol: this.protocol,
    });
    return this.#ring.drain(
      this.#c,
      this.#fd,
      maxPackets,
      onPacket,
      (errno, syscall) =>
        socketErrorFromErrno(errno, syscall, {
          strerror: this.#c.strerror(errno),
        }),
    );
  }

  /**
   * Packets the kernel dropped on this socket for want of receive buffer
   * room since it was opened (Linux; 0 where the OS does not say).
   *
   * @returns The count.
   */
  drops(): number {
    return this.#closed ? 0 : socketDrops(this.#c, this.#fd);
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
    syscall: Syscall | "recvmmsg",
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

  #ensureBuffer(length: number): void {
    if (this.#buffer.length >= length) return;
    let size = this.#buffer.length;
    while (size < length) size *= 2;
    this.#buffer = allocate(size);
  }

  #drain(maxPackets: number): ReceivedPacket[] {
    const packets: ReceivedPacket[] = [];
    const c = this.#c;
    const k = this.#k;
    const buffers = this.#received;
    for (let i = 0; i < maxPackets; i++) {
      buffers.reset();
      const length = c.recvmsg(this.#fd, buffers.msghdr, k.MSG_DONTWAIT);
      if (length < 0) {
        const errno = c.errno();
        if (errno === k.errno.EAGAIN || errno === k.errno.EINTR) break;
        throw socketErrorFromErrno(errno, "recvmsg", {
          strerror: c.strerror(errno),
        });
      }
      packets.push(receivedPacket(buffers, length, this, k));
    }
    return packets;
  }
}
