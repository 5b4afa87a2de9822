/**
 * A packet socket that sees the IP packets this host sends and receives,
 * with a classic BPF program attached so the kernel drops what the program
 * rejects before it is queued (Linux `AF_PACKET`, `SOCK_DGRAM`,
 * `SO_ATTACH_FILTER`): on a busy host the traffic nobody asked for never
 * reaches JavaScript.
 *
 * - `SOCK_DGRAM` hands over the network-layer packet, IP header first, in
 *   both directions, so the program tcpcraft compiles from a typed filter
 *   (`compilePacketFilter`, IP header first) runs as written, whatever the
 *   link layer.
 * - The socket is opened for no protocol, the program attached, and only
 *   then bound to every protocol (and an interface, if asked): no packet
 *   gets in before the filter does (libpcap does the same).
 * - Each packet comes with the kernel's receive time stamp
 *   (`SO_TIMESTAMPNS`, the clock tcpdump reads) and its direction from
 *   `sll_pkttype` (in, out, broadcast, multicast, other host).
 * - Frames that are not IPv4 or IPv6 (by `sll_protocol`) are dropped.
 *
 * Needs Linux, `--allow-ffi`, and root or `cap_net_raw`.
 *
 * @module
 */

import type {
  NetBpfInstruction,
  NetPacketDirection,
  NetSniffedPacket,
  NetSnifferOptions,
  NetSnifferStats,
} from "../src/host/net.ts";
import { epochNow } from "./_received.ts";
import { type CaptureConstants, LITTLE_ENDIAN } from "./_constants.ts";
import { type Libc, libc } from "./_libc.ts";
import { getSized, pointerOf, setSized } from "./_msghdr.ts";
import { allocate } from "./_sockaddr.ts";
import { LibcLoadError, SocketError, socketErrorFromErrno } from "./errors.ts";

/** The receive buffer asked for when none is given (the kernel caps it at `rmem_max`). */
const DEFAULT_RECEIVE_BUFFER = 4 << 20;
/** The most packets one read returns. */
const MAX_PER_READ = 1024;

/**
 * `struct sock_filter[]` as the kernel reads it: per instruction a 16-bit
 * code, two 8-bit jumps and a 32-bit constant, in the host's byte order.
 *
 * @param program The instructions.
 * @returns The bytes, in a buffer of their own.
 *
 * @example
 * ```ts
 * import { sockFilterBytes } from "./sniffer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   sockFilterBytes([{ code: 6, jt: 0, jf: 0, k: 0x40000 }]),
 *   new Uint8Array([6, 0, 0, 0, 0, 0, 4, 0]),
 * );
 * ```
 */
export function sockFilterBytes(
  program: readonly NetBpfInstruction[],
): Uint8Array<ArrayBuffer> {
  const bytes = allocate(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, LITTLE_ENDIAN);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, LITTLE_ENDIAN);
  });
  return bytes;
}

/**
 * An open packet socket with its filter. Open it with
 * {@linkcode Sniffer.open}; close it with `close()` or `using`.
 *
 * @example Every TCP packet to or from port 80, for one second (needs root)
 * ```ts ignore
 * import { compilePacketFilter } from "../mod.ts";
 * import { Sniffer } from "./sniffer.ts";
 *
 * using sniffer = Sniffer.open({ program: compilePacketFilter({ port: [80] }) });
 * for (const packet of await sniffer.poll(1000)) {
 *   console.log(packet.direction, packet.bytes.length);
 * }
 * ```
 */
export class Sniffer implements Disposable {
  /** The interface index it is bound to (0: every interface). */
  readonly interfaceIndex: number;
  readonly #c: Libc;
  readonly #k: CaptureConstants;
  readonly #fd: number;
  readonly #data = allocate(65536 + 1);
  readonly #name = allocate(32);
  readonly #control = allocate(256);
  readonly #msghdr: Uint8Array<ArrayBuffer>;
  readonly #pollfd: Uint8Array<ArrayBuffer>;
  readonly #stats = allocate(8);
  #closed = false;

  private constructor(c: Libc, fd: number, interfaceIndex: number) {
    this.#c = c;
    this.#k = c.constants.capture!;
    this.#fd = fd;
    this.interfaceIndex = interfaceIndex;
    this.#msghdr = messageHeader(
      c,
      this.#data,
      this.#name,
      this.#control,
    );
    this.#pollfd = allocate(c.constants.layout.pollfd);
    const p = new DataView(this.#pollfd.buffer);
    p.setInt32(0, fd, LITTLE_ENDIAN);
    p.setInt16(4, c.constants.POLLIN, LITTLE_ENDIAN);
  }

  /**
   * Open the socket: filter first, then bound.
   *
   * @param options The program, the interface, the receive buffer.
   * @returns The sniffer.
   * @throws {SocketError} `EPERM` without root or `cap_net_raw`, `ENODEV`
   *   for an interface that does not exist, `EINVAL` for a program the
   *   kernel refuses; nothing stays open when it throws.
   * @throws {LibcLoadError} Where the OS has no packet sockets (macOS).
   * @throws {RangeError} For an empty or too long program.
   */
  static open(options: NetSnifferOptions): Sniffer {
    const c = libc();
    const k = c.constants.capture;
    if (k === undefined) {
      throw new LibcLoadError(
        `Cannot sniff on ${c.os}: packet sockets (AF_PACKET) are Linux's; use Linux`,
      );
    }
    const program = options.program;
    if (program.length < 1 || program.length > 4096) {
      throw new RangeError(
        `Cannot sniff: the filter program has ${program.length} instructions, not 1..4096`,
      );
    }
    let interfaceIndex = 0;
    if (options.interface !== undefined) {
      interfaceIndex = c.ifNameToIndex(options.interface);
      if (interfaceIndex === 0) {
        throw new SocketError(
          `Cannot sniff on interface "${options.interface}": there is no such interface (see ip link)`,
          { code: "ENODEV", errno: 19, syscall: "bind" },
        );
      }
    }
    const fd = c.socket(
      k.AF_PACKET,
      c.constants.SOCK_DGRAM | c.constants.SOCK_CLOEXEC,
      0,
    );
    if (fd < 0) {
      const errno = c.errno();
      throw socketErrorFromErrno(errno, "socket", {
        action: "Cannot open packet socket",
        strerror: c.strerror(errno),
      });
    }
    try {
      configure(c, k, fd, options);
      bindAll(c, k, fd, interfaceIndex, options.interface);
    } catch (error) {
      c.close(fd);
      throw error;
    }
    return new Sniffer(c, fd, interfaceIndex);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * What is queued, else wait up to `timeoutMs` (one `poll` on a worker
   * thread, the event loop keeps running) and return what arrived. Empty
   * when the time ran out or the sniffer was closed while waiting.
   *
   * @param timeoutMs Milliseconds, 0..2147483647 (0: what is queued).
   * @returns The packets, oldest first.
   * @throws {SocketError} When closed before the call, or reading fails.
   */
  async poll(timeoutMs: number): Promise<NetSniffedPacket[]> {
    if (this.#closed) {
      throw new SocketError("Cannot receive packets: the sniffer is closed", {
        code: "EBADF",
        errno: this.#c.constants.errno.EBADF,
        syscall: "recvmsg",
      });
    }
    let packets = this.#drain();
    if (packets.length > 0 || timeoutMs <= 0) return packets;
    const deadline = performance.now() + timeoutMs;
    for (let round = 0; round < 64; round++) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) break;
      const ready = await this.#c.poll(this.#pollfd, 1, remaining);
      if (this.#closed) return [];
      if (ready === 0) break;
      if (ready > 0) {
        packets = this.#drain();
        if (packets.length > 0) return packets;
      }
    }
    return [];
  }

  /**
   * The kernel's counts since the last call (`PACKET_STATISTICS`, which
   * the kernel resets when read).
   *
   * @returns Packets the filter took, and those dropped for want of room.
   */
  stats(): NetSnifferStats {
    if (this.#closed) return { received: 0, dropped: 0 };
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(
      0,
      this.#stats.byteLength,
      LITTLE_ENDIAN,
    );
    const result = this.#c.getsockopt(
      this.#fd,
      this.#k.SOL_PACKET,
      this.#k.PACKET_STATISTICS,
      this.#stats,
      length,
    );
    if (result !== 0) return { received: 0, dropped: 0 };
    const view = new DataView(this.#stats.buffer);
    return {
      received: view.getUint32(0, LITTLE_ENDIAN),
      dropped: view.getUint32(4, LITTLE_ENDIAN),
    };
  }

  /** Close the socket. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#c.close(this.#fd);
  }

  /** Close the socket (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #drain(): NetSniffedPacket[] {
    const c = this.#c;
    const k = c.constants;
    const ml = k.layout.msghdr;
    const m = new DataView(this.#msghdr.buffer);
    const packets: NetSniffedPacket[] = [];
    for (let i = 0; i < MAX_PER_READ; i++) {
      m.setUint32(ml.namelen, this.#name.length, LITTLE_ENDIAN);
      setSized(m, ml.controllen, ml.controllenSize, this.#control.length);
      m.setInt32(ml.flags, 0, LITTLE_ENDIAN);
      const length = c.recvmsg(
        this.#fd,
        this.#msghdr,
        k.MSG_DONTWAIT | k.MSG_TRUNC,
      );
      if (length < 0) {
        const errno = c.errno();
        if (errno === k.errno.EAGAIN || errno === k.errno.EINTR) break;
        throw socketErrorFromErrno(errno, "recvmsg", {
          strerror: c.strerror(errno),
        });
      }
      const packet = this.#packet(length, m);
      if (packet !== undefined) packets.push(packet);
    }
    return packets;
  }

  #packet(length: number, m: DataView): NetSniffedPacket | undefined {
    const view = new DataView(this.#name.buffer);
    // struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8, halen u8, addr[8].
    const protocol = view.getUint16(2);
    if (protocol !== this.#k.ETH_P_IP && protocol !== this.#k.ETH_P_IPV6) {
      return undefined;
    }
    const interfaceIndex = view.getInt32(4, LITTLE_ENDIAN);
    const type = view.getUint8(10);
    const direction =
      (this.#k.PACKET_TYPES[type] ?? "other-host") as NetPacketDirection;
    const kept = Math.min(length, this.#data.length);
    const time = this.#time(m);
    return {
      bytes: this.#data.slice(0, kept),
      length,
      receivedAt: time === undefined
        ? epochNow()
        : time.seconds * 1000 + time.nanoseconds / 1e6,
      ...(time === undefined ? {} : { time }),
      direction,
      interfaceIndex,
    };
  }

  /** The `SCM_TIMESTAMPNS` control message of the last read: a `timespec`. */
  #time(m: DataView): { seconds: number; nanoseconds: number } | undefined {
    const k = this.#c.constants;
    const cl = k.layout.cmsghdr;
    const end = Math.min(
      getSized(m, k.layout.msghdr.controllen, k.layout.msghdr.controllenSize),
      this.#control.length,
    );
    const view = new DataView(this.#control.buffer);
    let at = 0;
    for (let guard = 0; guard < 8 && at + cl.headerSize <= end; guard++) {
      const size = getSized(view, at, cl.lenSize);
      if (size < cl.headerSize || at + size > end) break;
      const level = view.getInt32(at + cl.level, LITTLE_ENDIAN);
      const type = view.getInt32(at + cl.type, LITTLE_ENDIAN);
      if (
        level === k.SOL_SOCKET && type === k.SCM_TIMESTAMP &&
        size >= cl.headerSize + 16
      ) {
        const data = at + cl.headerSize;
        return {
          seconds: Number(view.getBigInt64(data, LITTLE_ENDIAN)),
          nanoseconds: Number(view.getBigInt64(data + 8, LITTLE_ENDIAN)),
        };
      }
      at += Math.ceil(size / cl.align) * cl.align;
    }
    return undefined;
  }
}

/** A `msghdr` for `recvmsg` into these buffers: one `iovec`, a name, control. */
function messageHeader(
  c: Libc,
  data: Uint8Array<ArrayBuffer>,
  name: Uint8Array<ArrayBuffer>,
  control: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const layout = c.constants.layout;
  const iov = allocate(layout.iovec);
  const iv = new DataView(iov.buffer);
  iv.setBigUint64(0, pointerOf(data), LITTLE_ENDIAN);
  iv.setBigUint64(8, BigInt(data.length), LITTLE_ENDIAN);
  const msghdr = allocate(layout.msghdr.size);
  const m = new DataView(msghdr.buffer);
  const ml = layout.msghdr;
  m.setBigUint64(ml.name, pointerOf(name), LITTLE_ENDIAN);
  m.setBigUint64(ml.iov, pointerOf(iov), LITTLE_ENDIAN);
  setSized(m, ml.iovlen, ml.iovlenSize, 1);
  m.setBigUint64(ml.control, pointerOf(control), LITTLE_ENDIAN);
  // The iovec must live as long as the header that points at it.
  kept.set(msghdr, iov);
  return msghdr;
}

const kept = new WeakMap<Uint8Array, Uint8Array>();

function setInt(
  c: Libc,
  fd: number,
  level: number,
  name: number,
  value: number,
): number {
  const box = allocate(4);
  new DataView(box.buffer).setInt32(0, value, LITTLE_ENDIAN);
  return c.setsockopt(fd, level, name, box) === 0 ? 0 : c.errno();
}

function configure(
  c: Libc,
  k: CaptureConstants,
  fd: number,
  options: NetSnifferOptions,
): void {
  const filter = sockFilterBytes(options.program);
  const fprog = allocate(k.sockFprog);
  const view = new DataView(fprog.buffer);
  view.setUint16(0, options.program.length, LITTLE_ENDIAN);
  view.setBigUint64(8, pointerOf(filter), LITTLE_ENDIAN);
  if (
    c.setsockopt(fd, c.constants.SOL_SOCKET, k.SO_ATTACH_FILTER, fprog) !== 0
  ) {
    const errno = c.errno();
    throw socketErrorFromErrno(errno, "setsockopt", {
      action: "Cannot attach the packet filter",
      strerror: c.strerror(errno),
    });
  }
  const s = c.constants;
  const stamping = setInt(
    c,
    fd,
    s.SOL_SOCKET,
    s.SO_TIMESTAMP,
    1,
  );
  if (stamping !== 0) {
    throw socketErrorFromErrno(stamping, "setsockopt", {
      action: "Cannot set socket option SO_TIMESTAMPNS",
      strerror: c.strerror(stamping),
    });
  }
  const bytes = options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER;
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 0x7fffffff) {
    throw new RangeError(
      `Cannot sniff: receiveBufferBytes ${bytes} is not in 1..2147483647`,
    );
  }
  // Past rmem_max where privileged; else the kernel caps SO_RCVBUF itself.
  if (
    setInt(c, fd, s.SOL_SOCKET, k.SO_RCVBUFFORCE, bytes) !== 0
  ) {
    setInt(c, fd, s.SOL_SOCKET, s.SO_RCVBUF, bytes);
  }
}

function bindAll(
  c: Libc,
  k: CaptureConstants,
  fd: number,
  interfaceIndex: number,
  interfaceName: string | undefined,
): void {
  const address = allocate(k.sockaddrLl);
  const view = new DataView(address.buffer);
  view.setUint16(0, k.AF_PACKET, LITTLE_ENDIAN);
  view.setUint16(2, k.ETH_P_ALL); // network order
  view.setInt32(4, interfaceIndex, LITTLE_ENDIAN);
  if (c.bind(fd, address, k.sockaddrLl) !== 0) {
    const errno = c.errno();
    throw socketErrorFromErrno(errno, "bind", {
      action: interfaceName === undefined
        ? "Cannot listen on every interface"
        : `Cannot listen on interface "${interfaceName}"`,
      strerror: c.strerror(errno),
    });
  }
}
