/**
 * The link-layer path (Linux `AF_PACKET`): whole Ethernet frames handed to
 * the driver (`PACKET_QDISC_BYPASS`), what masscan and zmap send through.
 * It skips the kernel's IP output path (routing, netfilter, the queueing
 * discipline), so it sends more packets a second than a raw IP socket.
 *
 * {@linkcode resolveLink} finds, once, what a frame needs: the interface's
 * index and hardware address, the next hop to the destination through it
 * (the gateway, or the destination itself when it is on the link) and the
 * next hop's hardware address from the kernel's neighbour table (route
 * netlink). {@linkcode LinkSocket} sends datagrams (IP header included:
 * nothing is written by the kernel, checksums included) in frames to that
 * next hop, one at a time or from send slots (`sendmmsg`).
 *
 * @module
 */

import { formatAddress, parseAddress } from "../src/wire/address.ts";
import { encodePacket, type TcpPacket } from "../src/wire/packet.ts";
import { LITTLE_ENDIAN } from "./_constants.ts";
import { type Libc, libc } from "./_libc.ts";
import { linkAddress, neighbour, NetlinkError, nextHop } from "./_netlink.ts";
import { SendRing } from "./_rings.ts";
import { allocate } from "./_sockaddr.ts";
import { socketErrorFromErrno } from "./errors.ts";
import type { RawSendRing } from "./raw_socket.ts";

/** The Ethernet header: destination, source, type. */
const ETHERNET = 14;

/** What a frame to one destination needs, found once. */
export interface LinkTarget {
  /** The interface's name. */
  interface: string;
  /** Its index. */
  ifindex: number;
  /** Its hardware address. */
  source: Uint8Array;
  /** The next hop: the gateway, or the destination itself. */
  nextHop: string;
  /** The next hop's hardware address. */
  destination: Uint8Array;
}

/**
 * The link-layer path cannot be used: no such interface, no route through
 * it, or a next hop missing from the neighbour table. The message says
 * what to do.
 *
 * @example
 * ```ts
 * import { LinkError } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new LinkError("Cannot send on eth9: no such interface").name, "LinkError");
 * ```
 */
export class LinkError extends Error {
  /**
   * Create the error.
   *
   * @param message What could not be done, and why.
   */
  constructor(message: string) {
    super(message);
    this.name = "LinkError";
  }
}

/**
 * Format a hardware address as `aa:bb:cc:dd:ee:ff`.
 *
 * @param mac The bytes.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatMac } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatMac(new Uint8Array([2, 0, 0, 0, 0, 0xab])), "02:00:00:00:00:ab");
 * ```
 */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * Find what frames to `destination` through interface `name` need; see
 * the module documentation. Nothing is sent.
 *
 * @param name The interface.
 * @param destination The address the frames carry datagrams to.
 * @returns The interface, the next hop and both hardware addresses.
 * @throws {LinkError} For an unknown interface, no route through it, or a
 *   next hop the neighbour table does not hold (ping it once first).
 */
export function resolveLink(name: string, destination: string): LinkTarget {
  const c = libc();
  const what = `Cannot send on ${name} to ${destination}`;
  if (c.constants.AF_PACKET === undefined) {
    throw new LinkError(
      `${what}: ${c.os} has no AF_PACKET sockets (Linux only)`,
    );
  }
  const ifindex = c.ifNameToIndex(name);
  if (ifindex === 0) throw new LinkError(`${what}: no interface ${name}`);
  const address = parseAddress(destination).bytes;
  let hop;
  let mac;
  try {
    const source = linkAddress(c, ifindex);
    if (source === undefined || source.length !== 6) {
      throw new LinkError(`${what}: ${name} has no Ethernet address`);
    }
    hop = nextHop(c, address, ifindex);
    const via = hop.gateway ?? address;
    mac = neighbour(c, via, ifindex);
    const text = formatAddress(via);
    if (mac === undefined || mac.length !== 6) {
      throw new LinkError(
        `${what}: the next hop ${text} is not in the neighbour table; ping it once (ping -c 1 ${text}) and try again`,
      );
    }
    return {
      interface: name,
      ifindex,
      source,
      nextHop: text,
      destination: mac,
    };
  } catch (error) {
    if (error instanceof NetlinkError) {
      throw new LinkError(
        `${what}: no route through ${name} (${c.strerror(error.errno)})`,
      );
    }
    throw error;
  }
}

/** Options for {@linkcode LinkSocket.open}. */
export interface LinkSocketOptions {
  /** The interface. */
  interface: string;
  /** The address whose next hop every frame goes to. */
  destination: string;
}

/**
 * An `AF_PACKET` socket sending datagrams in Ethernet frames to one next
 * hop; see the module documentation. Needs root or `cap_net_raw`.
 *
 * @example Send a SYN as a frame (needs root)
 * ```ts ignore
 * import { makeTcpPacket } from "../mod.ts";
 * import { LinkSocket } from "./link.ts";
 *
 * using socket = LinkSocket.open({ interface: "eth0", destination: "192.0.2.1" });
 * socket.send(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 80 }), "192.0.2.1");
 * ```
 */
export class LinkSocket implements Disposable {
  /** What the frames need. */
  readonly target: LinkTarget;
  readonly #c: Libc;
  readonly #fd: number;
  readonly #address: Uint8Array<ArrayBuffer>;
  readonly #frame: Uint8Array<ArrayBuffer> = allocate(ETHERNET + 65535);
  #closed = false;

  private constructor(c: Libc, fd: number, target: LinkTarget) {
    this.#c = c;
    this.#fd = fd;
    this.target = target;
    // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype; u8 halen; u8 addr[8]; }
    this.#address = allocate(20);
    const view = new DataView(this.#address.buffer);
    view.setUint16(0, c.constants.AF_PACKET!, LITTLE_ENDIAN);
    view.setUint16(2, target.nextHop.includes(":") ? 0x86dd : 0x0800);
    view.setInt32(4, target.ifindex, LITTLE_ENDIAN);
    view.setUint8(11, 6);
    this.#address.set(target.destination, 12);
    this.#frame.set(target.destination, 0);
    this.#frame.set(target.source, 6);
  }

  /**
   * Resolve the link and open the socket (send only: it receives nothing).
   *
   * @param options The interface and the destination.
   * @returns The socket.
   * @throws {LinkError} See {@linkcode resolveLink}.
   * @throws {SocketError} `EPERM` without root or `cap_net_raw`.
   */
  static open(options: LinkSocketOptions): LinkSocket {
    const target = resolveLink(options.interface, options.destination);
    const c = libc();
    const k = c.constants;
    const fd = c.socket(k.AF_PACKET!, k.SOCK_RAW | k.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      const errno = c.errno();
      throw socketErrorFromErrno(errno, "socket", {
        strerror: c.strerror(errno),
      });
    }
    const one = allocate(4);
    new DataView(one.buffer).setInt32(0, 1, LITTLE_ENDIAN);
    // Straight to the driver; where the kernel lacks it, through the qdisc.
    c.setsockopt(fd, k.SOL_PACKET!, k.PACKET_QDISC_BYPASS!, one);
    return new LinkSocket(c, fd, target);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  #check(what: string): void {
    if (this.#closed) {
      throw socketErrorFromErrno(this.#c.constants.errno.EBADF, "sendto", {
        action: `Cannot ${what} on ${this.target.interface}`,
        strerror: "the socket is closed",
      });
    }
  }

  /** The Ethernet type of a datagram. */
  #type(datagram: Uint8Array): number {
    return datagram[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  }

  /**
   * Send one datagram (IP header included) in a frame to the next hop.
   *
   * @param packet The datagram, or a packet model (encoded whole).
   * @param _destination Ignored: every frame goes to the resolved next hop.
   * @returns Bytes of the datagram sent.
   * @throws {SocketError} When the kernel refuses.
   */
  send(packet: Uint8Array | TcpPacket, _destination?: string): number {
    this.#check("send packet");
    const datagram = packet instanceof Uint8Array
      ? packet
      : encodePacket(packet);
    const frame = this.#frame;
    const type = this.#type(datagram);
    frame[12] = type >>> 8;
    frame[13] = type & 0xff;
    frame.set(datagram, ETHERNET);
    const length = ETHERNET + datagram.length;
    const c = this.#c;
    const { EAGAIN, ENOBUFS, EINTR } = c.constants.errno;
    for (let tries = 0;; tries++) {
      const sent = c.sendto(this.#fd, frame, length, 0, this.#address, 20);
      if (sent >= 0) return datagram.length;
      const errno = c.errno();
      if (
        (errno === ENOBUFS || errno === EAGAIN || errno === EINTR) &&
        tries < 100_000
      ) continue;
      throw socketErrorFromErrno(errno, "sendto", {
        action: `Cannot send packet on ${this.target.interface}`,
        strerror: c.strerror(errno),
        length: datagram.length,
      });
    }
  }

  /**
   * Send datagrams one after the other.
   *
   * @param packets The datagrams or models.
   * @param destination Ignored (see {@linkcode LinkSocket.send}).
   * @returns How many were sent.
   */
  sendMany(
    packets: readonly (Uint8Array | TcpPacket)[],
    destination?: string,
  ): number {
    for (const packet of packets) this.send(packet, destination);
    return packets.length;
  }

  /**
   * Send slots of frames: each slot is a datagram's room, its Ethernet
   * header written once in front of it; `send` hands the kernel the frames
   * in one `sendmmsg`.
   *
   * @param options Slots and the bytes of each datagram.
   * @returns The ring (whole datagrams only: `offset` must be 0).
   */
  openSendRing(options: { slots: number; slotBytes: number }): RawSendRing {
    this.#check("send packets");
    const ring = new SendRing(this.#c.constants, {
      slots: options.slots,
      slotBytes: ETHERNET + options.slotBytes,
      destination: { sockaddr: this.#address, length: 20 },
    });
    const slots = ring.slots.map((frame) => {
      frame.set(this.#frame.subarray(0, 12));
      return frame.subarray(ETHERNET);
    });
    const name = this.target.interface;
    const c = this.#c;
    return {
      slots,
      send: (count, length, offset = 0) => {
        this.#check("send packets");
        if (offset !== 0) {
          throw new RangeError(
            `Cannot send on ${name}: frames carry whole datagrams (header included)`,
          );
        }
        for (let i = 0; i < count; i++) {
          const type = this.#type(slots[i]!);
          const frame = ring.slots[i]!;
          frame[12] = type >>> 8;
          frame[13] = type & 0xff;
        }
        return ring.send(
          c,
          this.#fd,
          count,
          ETHERNET + length,
          0,
          (errno, syscall, sent, total) =>
            socketErrorFromErrno(errno, syscall, {
              action:
                `Cannot send packets on ${name} (after ${sent} of ${total} were sent)`,
              strerror: c.strerror(errno),
            }),
        );
      },
    };
  }

  /**
   * Not a receiving socket.
   *
   * @returns Never.
   */
  receive(): Promise<never> {
    return Promise.reject(
      new RangeError(
        `Cannot receive on the link-layer socket of ${this.target.interface}: it only sends`,
      ),
    );
  }

  /** Close the socket (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#c.close(this.#fd);
  }

  /** Close the socket (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
