/**
 * A receiver for probes' answers: a raw TCP socket and a raw ICMP (IPv4)
 * or ICMPv6 (IPv6) socket for one family, waited on together.
 *
 * One {@linkcode Receiver.poll} is one `poll(2)` over both descriptors on
 * a worker thread (the event loop keeps running), then non-blocking reads
 * of everything queued on each. Waiting on the two sockets one after the
 * other would let a time-exceeded message sit in the ICMP queue while the
 * TCP wait runs out; one wait for both costs one worker round trip per
 * batch, never one per packet.
 *
 * The TCP socket sends too (`receiver.tcp.send(...)`), and should: every
 * raw TCP socket on Linux gets a copy of every TCP packet the host
 * receives, so a second one only for sending would fill its queue with
 * packets nobody reads. Match what comes back with `ReplyMatcher`
 * (`../mod.ts`).
 *
 * @example Send a SYN and wait for what answers it (needs root)
 * ```ts ignore
 * import { makeTcpPacket, ReplyMatcher, TCP_FLAGS } from "../mod.ts";
 * import { epochNow, Receiver, routeSource } from "./mod.ts";
 *
 * const dst = "192.0.2.1";
 * const src = routeSource(dst);
 * using receiver = Receiver.open({ family: 4, headerIncluded: true });
 * const matcher = new ReplyMatcher();
 * const probe = {
 *   id: 1, family: 4 as const, src, dst, srcPort: 40000, dstPort: 80,
 *   seq: 1000, ack: 0, flags: TCP_FLAGS.syn, payloadLength: 0, sentAt: epochNow(),
 * };
 * receiver.tcp.send(makeTcpPacket({ ...probe, ttl: 64 }), dst);
 * matcher.add(probe);
 * const batch = await receiver.poll(1000);
 * for (const p of batch.tcp) console.log(matcher.matchTcp(p.bytes, p.receivedAt));
 * for (const p of batch.icmp) console.log(matcher.matchIcmp(p.bytes, p.receivedAt, 4));
 * ```
 *
 * @module
 */

import { LITTLE_ENDIAN } from "./_constants.ts";
import { type Libc, libc } from "./_libc.ts";
import { allocate } from "./_sockaddr.ts";
import { SocketError } from "./errors.ts";
import {
  type RawSendRing,
  RawSocket,
  type ReceivedPacket,
} from "./raw_socket.ts";

/** Options for {@linkcode Receiver.open}. */
export interface ReceiverOptions {
  /** 4 (TCP and ICMP sockets) or 6 (TCP and ICMPv6 sockets). */
  family: 4 | 6;
  /**
   * Whether the TCP socket sends whole datagrams, IP header included
   * (default false). See `RawSocketOptions.headerIncluded`.
   */
  headerIncluded?: boolean;
  /** `SO_RCVBUF` of both sockets, in bytes (default: the system's). */
  receiveBufferBytes?: number;
  /**
   * Let the TCP socket send to broadcast addresses (`SO_BROADCAST`;
   * default false). See `RawSocketOptions.broadcast`.
   */
  broadcast?: boolean;
}

/** Options for {@linkcode Receiver.poll}. */
export interface ReceiverPollOptions {
  /** The most packets to read from each socket in one batch (default 1024). */
  maxPackets?: number;
}

/** What one {@linkcode Receiver.poll} read. */
export interface ReceivedBatch {
  /** From the TCP socket, oldest first (each with `packet` when it decoded). */
  tcp: ReceivedPacket[];
  /** From the ICMP or ICMPv6 socket, oldest first: whole datagrams (IPv6: rebuilt header). */
  icmp: ReceivedPacket[];
}

/**
 * A raw TCP socket and a raw ICMP or ICMPv6 socket of one family, read
 * together. Needs `--allow-ffi` and root or `cap_net_raw`. Close it with
 * `close()` or a `using` declaration.
 */
export class Receiver implements Disposable {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The TCP socket: send probes on it; replies are read by `poll`. */
  readonly tcp: RawSocket;
  /** The ICMP (IPv4) or ICMPv6 (IPv6) socket: read by `poll`. */
  readonly icmp: RawSocket;
  readonly #c: Libc;
  readonly #pollfds: Uint8Array<ArrayBuffer>;
  #closed = false;
  #onPacket:
    | ((
      data: Uint8Array,
      offset: number,
      length: number,
      receivedAt: number,
      icmp: boolean,
    ) => void)
    | undefined;
  #tcpHandler:
    | ((data: Uint8Array, offset: number, length: number, at: number) => void)
    | undefined;
  #icmpHandler:
    | ((data: Uint8Array, offset: number, length: number, at: number) => void)
    | undefined;

  private constructor(c: Libc, tcp: RawSocket, icmp: RawSocket) {
    this.#c = c;
    this.family = tcp.family;
    this.tcp = tcp;
    this.icmp = icmp;
    const size = c.constants.layout.pollfd;
    this.#pollfds = allocate(2 * size);
    const view = new DataView(this.#pollfds.buffer);
    for (const [i, socket] of [tcp, icmp].entries()) {
      // struct pollfd { int fd; short events; short revents; }
      view.setInt32(i * size, socket.fd, LITTLE_ENDIAN);
      view.setInt16(i * size + 4, c.constants.POLLIN, LITTLE_ENDIAN);
    }
  }

  /**
   * Open the two sockets.
   *
   * @param options Family, sending mode, receive buffer size, broadcast.
   * @returns The receiver.
   * @throws {SocketError} `EPERM` without root or `cap_net_raw`, and what
   *   `RawSocket.open` throws; nothing stays open when it throws.
   */
  static open(options: ReceiverOptions): Receiver {
    const { family } = options;
    const shared = options.receiveBufferBytes === undefined
      ? {}
      : { receiveBufferBytes: options.receiveBufferBytes };
    const tcp = RawSocket.open({
      family,
      headerIncluded: options.headerIncluded ?? false,
      protocol: 6,
      broadcast: options.broadcast ?? false,
      ...shared,
    });
    try {
      const icmp = RawSocket.open({
        family,
        protocol: family === 4 ? 1 : 58,
        ...shared,
      });
      return new Receiver(libc(), tcp, icmp);
    } catch (error) {
      tcp.close();
      throw error;
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Return what is queued on either socket; if nothing is, wait up to
   * `timeoutMs` for a packet on either (one `poll` on a worker thread),
   * then return everything queued on both. An empty batch means the time
   * ran out, or the receiver was closed while waiting (a close takes
   * effect when that wait ends: keep timeouts short where closing early
   * matters).
   *
   * @param timeoutMs How long to wait, in milliseconds (0..2147483647;
   *   0 returns at once).
   * @param options `maxPackets` per socket (default 1024).
   * @returns The packets read from each socket.
   * @throws {SocketError} When the receiver is closed, or reading fails.
   */
  async poll(
    timeoutMs: number,
    options: ReceiverPollOptions = {},
  ): Promise<ReceivedBatch> {
    if (this.#closed) {
      throw new SocketError("Cannot receive packets: the receiver is closed", {
        code: "EBADF",
        errno: this.#c.constants.errno.EBADF,
        syscall: "recvmsg",
      });
    }
    if (
      !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0x7fffffff
    ) {
      throw new RangeError(
        `Cannot receive packets: timeoutMs ${timeoutMs} is not an integer in 0..2147483647`,
      );
    }
    const maxPackets = options.maxPackets ?? 1024;
    let batch = await this.#drain(maxPackets);
    if (batch.tcp.length + batch.icmp.length > 0 || timeoutMs === 0) {
      return batch;
    }
    const deadline = performance.now() + timeoutMs;
    // Each round waits until the deadline or a packet; a round without a
    // packet (an interrupted wait, or data that was not a whole datagram)
    // waits again, 64 rounds at most.
    for (let round = 0; round < 64; round++) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) break;
      const ready = await this.#c.poll(this.#pollfds, 2, remaining);
      if (this.#closed) return { tcp: [], icmp: [] };
      if (ready === 0) break;
      if (ready > 0) {
        batch = await this.#drain(maxPackets);
        if (batch.tcp.length + batch.icmp.length > 0) return batch;
      }
    }
    return { tcp: [], icmp: [] };
  }

  /**
   * Send slots on the TCP socket, each datagram to the destination in its
   * own IP header (the receiver must be `headerIncluded`): the scan's fast
   * path. See `RawSocket.openSendRing`.
   *
   * @param options Slots and their size.
   * @returns The ring.
   */
  openSendRing(options: { slots: number; slotBytes: number }): RawSendRing {
    return this.tcp.openSendRing({ ...options, destination: "per-slot" });
  }

  /**
   * Read what is queued on both sockets now (non-blocking, `recvmmsg`),
   * TCP first, up to `maxPackets` in all, each datagram handed over in
   * place: the scan's fast path (Linux).
   *
   * @param onPacket Takes each datagram (valid only during the call) and
   *   whether it came from the ICMP socket.
   * @param maxPackets The most to read (default 4096).
   * @returns How many were read.
   */
  drain(
    onPacket: (
      data: Uint8Array,
      offset: number,
      length: number,
      receivedAt: number,
      icmp: boolean,
    ) => void,
    maxPackets = 4096,
  ): number {
    this.#tcpHandler ??= (data, offset, length, receivedAt) =>
      this.#onPacket!(data, offset, length, receivedAt, false);
    this.#icmpHandler ??= (data, offset, length, receivedAt) =>
      this.#onPacket!(data, offset, length, receivedAt, true);
    this.#onPacket = onPacket;
    const tcp = this.tcp.drain(this.#tcpHandler, maxPackets);
    return tcp + this.icmp.drain(this.#icmpHandler, maxPackets - tcp);
  }

  /**
   * Packets the kernel dropped on both sockets for want of receive buffer
   * room since they were opened (Linux; 0 where the OS does not say).
   *
   * @returns The count.
   */
  drops(): number {
    return this.tcp.drops() + this.icmp.drops();
  }

  /** Close both sockets. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.tcp.close();
    this.icmp.close();
  }

  /** Close both sockets (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  async #drain(maxPackets: number): Promise<ReceivedBatch> {
    // timeoutMs 0: non-blocking reads on this thread, no worker round trip.
    const tcp = await this.tcp.receive({ timeoutMs: 0, maxPackets });
    const icmp = await this.icmp.receive({ timeoutMs: 0, maxPackets });
    return { tcp, icmp };
  }
}
