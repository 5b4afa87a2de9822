/**
 * Transmit time stamps: when the kernel saw a packet sent on a raw socket
 * leave, as tcpdump would see it (Linux `SO_TIMESTAMPING` with software
 * transmit stamps, read from the socket's error queue).
 *
 * Two stamps come per packet: one when it enters the device's queue
 * (`SCM_TSTAMP_SCHED`) and one when the driver takes it (`SCM_TSTAMP_SND`;
 * drivers that call `skb_tx_timestamp`, veth and loopback among them). On
 * a veth pair tcpdump's time for an outgoing packet falls between the two
 * (measured: the queue's stamp 3 µs before it, the driver's 6 µs after).
 * Each stamp comes back with a copy of the packet as it left, link-layer
 * header first; the IP datagram is found in it by its own length field, so
 * a stamp is matched to its packet by the packet's bytes.
 *
 * Stamps queue on the socket's error queue, which shares the receive
 * buffer and makes `poll` report the socket ready: read them right after
 * every send ({@linkcode TransmitStamps.drain}), as `createFfiNet()`'s
 * receivers do.
 *
 * @module
 */

import type { NetTransmitStamp } from "../src/host/net.ts";
import { LITTLE_ENDIAN } from "./_constants.ts";
import { type Libc, libc } from "./_libc.ts";
import { getSized, pointerOf, setSized } from "./_msghdr.ts";
import { allocate } from "./_sockaddr.ts";

/** The largest packet copy read back (a whole datagram and a link header). */
const DATA_BYTES = 65536 + 256;
const CONTROL_BYTES = 512;
/** Stamps read in one drain, at most (two per packet sent). */
const MAX_PER_DRAIN = 4096;

/**
 * Where the IP datagram starts in a packet copy from the error queue: the
 * first offset (0 to 64) where an IPv4 or IPv6 header of the family begins
 * whose length field says the datagram runs to the end.
 *
 * @param bytes The copy, link-layer header first (or none).
 * @param family 4 or 6.
 * @returns The offset, or -1.
 *
 * @example
 * ```ts
 * import { datagramOffset } from "./tx_stamps.ts";
 * import { encodePacket, makeTcpPacket } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const datagram = encodePacket(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }));
 * const frame = new Uint8Array(14 + datagram.length);
 * frame.set([8, 0], 12); // EtherType IPv4
 * frame.set(datagram, 14);
 * assert.equal(datagramOffset(frame, 4), 14);
 * assert.equal(datagramOffset(datagram, 4), 0);
 * assert.equal(datagramOffset(frame, 6), -1);
 * ```
 */
export function datagramOffset(bytes: Uint8Array, family: 4 | 6): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at <= 64 && at + 20 <= bytes.length; at++) {
    if (bytes[at]! >> 4 !== family) continue;
    const rest = bytes.length - at;
    if (family === 4) {
      if ((bytes[at]! & 0x0f) >= 5 && view.getUint16(at + 2) === rest) {
        return at;
      }
    } else if (rest >= 40 && view.getUint16(at + 4) + 40 === rest) {
      return at;
    }
  }
  return -1;
}

/**
 * The transmit time stamps of one raw socket. Create it with
 * {@linkcode TransmitStamps.enable}; read with `drain()` after each send.
 *
 * @example (needs root)
 * ```ts ignore
 * import { makeTcpPacket } from "../mod.ts";
 * import { RawSocket, TransmitStamps } from "./mod.ts";
 *
 * using socket = RawSocket.open({ family: 4, headerIncluded: true });
 * const stamps = TransmitStamps.enable(socket.fd, 4);
 * socket.send(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }), "192.0.2.1");
 * for (const { stage, sentAt } of stamps?.drain() ?? []) console.log(stage, sentAt);
 * ```
 */
export class TransmitStamps {
  readonly #c: Libc;
  readonly #fd: number;
  readonly #family: 4 | 6;
  readonly #data = allocate(DATA_BYTES);
  readonly #control = allocate(CONTROL_BYTES);
  readonly #iov: Uint8Array<ArrayBuffer>;
  readonly #msghdr: Uint8Array<ArrayBuffer>;

  private constructor(c: Libc, fd: number, family: 4 | 6) {
    this.#c = c;
    this.#fd = fd;
    this.#family = family;
    const layout = c.constants.layout;
    this.#iov = allocate(layout.iovec);
    const iov = new DataView(this.#iov.buffer);
    iov.setBigUint64(0, pointerOf(this.#data), LITTLE_ENDIAN);
    iov.setBigUint64(8, BigInt(DATA_BYTES), LITTLE_ENDIAN);
    this.#msghdr = allocate(layout.msghdr.size);
    const m = new DataView(this.#msghdr.buffer);
    m.setBigUint64(layout.msghdr.iov, pointerOf(this.#iov), LITTLE_ENDIAN);
    setSized(m, layout.msghdr.iovlen, layout.msghdr.iovlenSize, 1);
    m.setBigUint64(
      layout.msghdr.control,
      pointerOf(this.#control),
      LITTLE_ENDIAN,
    );
  }

  /**
   * Turn on software transmit stamps (driver and queue) on a socket.
   *
   * @param fd The raw socket.
   * @param family Its family.
   * @returns The stamps' reader, or undefined where the OS or kernel has
   *   none (then RTTs start at the send call).
   */
  static enable(fd: number, family: 4 | 6): TransmitStamps | undefined {
    const c = libc();
    const k = c.constants.capture;
    if (k === undefined) return undefined;
    const flags = k.SOF_TIMESTAMPING_TX_SOFTWARE |
      k.SOF_TIMESTAMPING_TX_SCHED | k.SOF_TIMESTAMPING_SOFTWARE;
    const value = allocate(4);
    new DataView(value.buffer).setInt32(0, flags, LITTLE_ENDIAN);
    const result = c.setsockopt(
      fd,
      c.constants.SOL_SOCKET,
      k.SO_TIMESTAMPING,
      value,
    );
    return result === 0 ? new TransmitStamps(c, fd, family) : undefined;
  }

  /**
   * Read every stamp queued on the socket's error queue (non-blocking).
   *
   * @returns The stamps, oldest first; other error-queue messages are dropped.
   */
  drain(): NetTransmitStamp[] {
    const c = this.#c;
    const k = c.constants;
    const capture = k.capture!;
    const ml = k.layout.msghdr;
    const m = new DataView(this.#msghdr.buffer);
    const stamps: NetTransmitStamp[] = [];
    for (let i = 0; i < MAX_PER_DRAIN; i++) {
      setSized(m, ml.controllen, ml.controllenSize, CONTROL_BYTES);
      m.setInt32(ml.flags, 0, LITTLE_ENDIAN);
      const length = c.recvmsg(
        this.#fd,
        this.#msghdr,
        capture.MSG_ERRQUEUE | k.MSG_DONTWAIT,
      );
      if (length < 0) break; // EAGAIN: nothing left (or the socket closed)
      const stamp = this.#read(Math.min(length, DATA_BYTES), m);
      if (stamp !== undefined) stamps.push(stamp);
    }
    return stamps;
  }

  #read(length: number, m: DataView): NetTransmitStamp | undefined {
    const k = this.#c.constants;
    const capture = k.capture!;
    const cl = k.layout.cmsghdr;
    const end = Math.min(
      getSized(m, k.layout.msghdr.controllen, k.layout.msghdr.controllenSize),
      CONTROL_BYTES,
    );
    const view = new DataView(this.#control.buffer);
    let sentAt: number | undefined;
    let stage: NetTransmitStamp["stage"] | undefined;
    let at = 0;
    for (let guard = 0; guard < 16 && at + cl.headerSize <= end; guard++) {
      const cmsgLength = getSized(view, at, cl.lenSize);
      if (cmsgLength < cl.headerSize || at + cmsgLength > end) break;
      const level = view.getInt32(at + cl.level, LITTLE_ENDIAN);
      const type = view.getInt32(at + cl.type, LITTLE_ENDIAN);
      const data = at + cl.headerSize;
      if (level === k.SOL_SOCKET && type === capture.SO_TIMESTAMPING) {
        // struct scm_timestamping { struct timespec ts[3]; }: ts[0] is software.
        const seconds = Number(view.getBigInt64(data, LITTLE_ENDIAN));
        const nanoseconds = Number(view.getBigInt64(data + 8, LITTLE_ENDIAN));
        if (seconds !== 0 || nanoseconds !== 0) {
          sentAt = seconds * 1000 + nanoseconds / 1e6;
        }
      } else if (
        (level === k.IPPROTO_IP && type === capture.IP_RECVERR) ||
        (level === k.IPPROTO_IPV6 && type === capture.IPV6_RECVERR)
      ) {
        // struct sock_extended_err: errno u32, origin u8, type, code, pad, info u32, data u32.
        const origin = view.getUint8(data + 4);
        const info = view.getUint32(data + 8, LITTLE_ENDIAN);
        if (origin === capture.SO_EE_ORIGIN_TIMESTAMPING) {
          if (info === capture.SCM_TSTAMP_SND) stage = "sent";
          else if (info === capture.SCM_TSTAMP_SCHED) stage = "scheduled";
        }
      }
      at += Math.ceil(cmsgLength / cl.align) * cl.align;
    }
    if (sentAt === undefined || stage === undefined) return undefined;
    const copy = this.#data.subarray(0, length);
    const offset = datagramOffset(copy, this.#family);
    if (offset < 0) return undefined;
    return { bytes: copy.slice(offset), sentAt, stage };
  }
}
