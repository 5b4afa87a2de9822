/**
 * Batched socket I/O with nothing built per packet: a send ring (`sendmmsg`
 * over slots whose `mmsghdr`, `iovec` and socket addresses are written
 * once) and a receive ring (`recvmmsg` into buffers set up once, each
 * datagram handed over in place with the kernel's time stamp).
 *
 * Everything of a ring lives in one `ArrayBuffer` outside the V8 heap, so
 * its addresses are fixed: pointers are computed (as BigInts) when the ring
 * is made, and a send or receive touches only numbers and bytes.
 *
 * @module
 */

import { LITTLE_ENDIAN, type OsConstants } from "./_constants.ts";
import type { Libc } from "./_libc.ts";
import { pointerOf } from "./_msghdr.ts";
import { allocate } from "./_sockaddr.ts";

/** Where a ring's `sockaddr` room per message is (enough for `sockaddr_in6`). */
const NAME_BYTES = 32;

/** Round up to a multiple of 16. */
function align16(n: number): number {
  return (n + 15) & ~15;
}

/** Makes the error a failed system call throws: `errno`, the call, packets sent before, packets asked. */
export type RingFailure = (
  errno: number,
  syscall: "sendmmsg" | "sendto" | "recvmmsg",
  sent: number,
  count: number,
) => Error;

/** Options for {@linkcode SendRing}. */
export interface SendRingOptions {
  /** How many slots. */
  slots: number;
  /** Bytes of each slot. */
  slotBytes: number;
  /**
   * The one socket address every message goes to (written once), or
   * `"per-slot"`: each message to the address in its slot's IP header
   * (an IPv4 header's bytes 16-19, an IPv6 header's 24-39), copied into
   * the slot's socket address at each send.
   */
  destination: { sockaddr: Uint8Array; length: number } | {
    perSlot: 4 | 6;
  };
}

/**
 * A send ring; see the module documentation.
 *
 * @example The layout, without sending
 * ```ts
 * import { SendRing } from "./_rings.ts";
 * import { LINUX } from "./_constants.ts";
 * import assert from "node:assert/strict";
 *
 * const ring = new SendRing(LINUX, {
 *   slots: 4, slotBytes: 40, destination: { perSlot: 4 },
 * });
 * assert.equal(ring.slots.length, 4);
 * assert.equal(ring.slots[3]!.length, 40);
 * assert.ok(ring.vector.length >= 4 * LINUX.layout.mmsghdr);
 * ```
 */
export class SendRing {
  /** The slots, each a view of the ring's memory. */
  readonly slots: readonly Uint8Array[];
  /** The `mmsghdr` array (the first bytes of the ring's memory). */
  readonly vector: Uint8Array<ArrayBuffer>;
  readonly #memory: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  readonly #k: OsConstants;
  readonly #iovAt: number;
  readonly #namesAt: number;
  readonly #packetsAt: number;
  readonly #stride: number;
  readonly #perSlot: 0 | 4 | 6;
  #length = -1;
  #offset = -1;

  /**
   * Lay out the ring: message headers, `iovec`s, addresses, slots.
   *
   * @param k The OS's constants and layouts.
   * @param options Slots, their size and where messages go.
   */
  constructor(k: OsConstants, options: SendRingOptions) {
    const { slots, slotBytes, destination } = options;
    if (!Number.isInteger(slots) || slots < 1 || slots > 65536) {
      throw new RangeError(
        `Cannot open send ring: ${slots} slots is not in 1..65536`,
      );
    }
    if (!Number.isInteger(slotBytes) || slotBytes < 1 || slotBytes > 65535) {
      throw new RangeError(
        `Cannot open send ring: ${slotBytes} bytes a slot is not in 1..65535`,
      );
    }
    this.#k = k;
    const layout = k.layout;
    const headerSize = Math.max(layout.mmsghdr, layout.msghdr.size);
    this.#iovAt = align16(slots * headerSize);
    this.#namesAt = align16(this.#iovAt + slots * layout.iovec);
    const perSlot = "perSlot" in destination ? destination.perSlot : 0;
    this.#perSlot = perSlot;
    const namesBytes = perSlot === 0 ? 128 : slots * NAME_BYTES;
    this.#packetsAt = align16(this.#namesAt + namesBytes);
    this.#stride = align16(slotBytes);
    this.#memory = allocate(this.#packetsAt + slots * this.#stride);
    this.#view = new DataView(this.#memory.buffer);
    this.vector = this.#memory.subarray(0, this.#iovAt);
    const base = pointerOf(this.#memory);
    const view = this.#view;
    const ml = layout.msghdr;
    let nameLength: number;
    if (perSlot === 0) {
      const d = destination as { sockaddr: Uint8Array; length: number };
      this.#memory.set(d.sockaddr.subarray(0, 128), this.#namesAt);
      nameLength = d.length;
    } else {
      nameLength = perSlot === 4 ? layout.sockaddrIn : layout.sockaddrIn6;
      for (let i = 0; i < slots; i++) {
        const at = this.#namesAt + i * NAME_BYTES;
        if (layout.sockaddrHasLength) {
          view.setUint8(at, nameLength);
          view.setUint8(at + 1, perSlot === 4 ? k.AF_INET : k.AF_INET6);
        } else {
          view.setUint16(
            at,
            perSlot === 4 ? k.AF_INET : k.AF_INET6,
            LITTLE_ENDIAN,
          );
        }
      }
    }
    const list: Uint8Array[] = [];
    for (let i = 0; i < slots; i++) {
      const h = i * headerSize;
      const name = this.#namesAt + (perSlot === 0 ? 0 : i * NAME_BYTES);
      view.setBigUint64(h + ml.name, base + BigInt(name), LITTLE_ENDIAN);
      view.setUint32(h + ml.namelen, nameLength, LITTLE_ENDIAN);
      view.setBigUint64(
        h + ml.iov,
        base + BigInt(this.#iovAt + i * layout.iovec),
        LITTLE_ENDIAN,
      );
      if (ml.iovlenSize === 8) {
        view.setBigUint64(h + ml.iovlen, 1n, LITTLE_ENDIAN);
      } else view.setUint32(h + ml.iovlen, 1, LITTLE_ENDIAN);
      const at = this.#packetsAt + i * this.#stride;
      list.push(this.#memory.subarray(at, at + slotBytes));
    }
    this.slots = list;
  }

  /** Point every `iovec` at bytes `offset..length` of its slot (only when they change). */
  #setIov(length: number, offset: number): void {
    if (length === this.#length && offset === this.#offset) return;
    const view = this.#view;
    const iovSize = this.#k.layout.iovec;
    const base = pointerOf(this.#memory);
    for (let i = 0; i < this.slots.length; i++) {
      const at = this.#iovAt + i * iovSize;
      view.setBigUint64(
        at,
        base + BigInt(this.#packetsAt + i * this.#stride + offset),
        LITTLE_ENDIAN,
      );
      view.setBigUint64(at + 8, BigInt(length - offset), LITTLE_ENDIAN);
    }
    this.#length = length;
    this.#offset = offset;
  }

  /** Copy each slot's destination address from its IP header into its socket address. */
  #copyDestinations(count: number): void {
    const m = this.#memory;
    const stride = this.#stride;
    let packet = this.#packetsAt;
    let name = this.#namesAt;
    if (this.#perSlot === 4) {
      for (let i = 0; i < count; i++) {
        m[name + 4] = m[packet + 16]!;
        m[name + 5] = m[packet + 17]!;
        m[name + 6] = m[packet + 18]!;
        m[name + 7] = m[packet + 19]!;
        packet += stride;
        name += NAME_BYTES;
      }
    } else {
      for (let i = 0; i < count; i++) {
        m.copyWithin(name + 8, packet + 24, packet + 40);
        packet += stride;
        name += NAME_BYTES;
      }
    }
  }

  /**
   * Send bytes `offset..length` of slots `0..count-1` on `fd`: one
   * `sendmmsg` per `SENDMMSG_MAX` messages (a full queue, `ENOBUFS` or
   * `EAGAIN`, is waited out by trying again, a bounded number of times),
   * or one `sendto` each where there is no `sendmmsg`.
   *
   * @param c The C library.
   * @param fd The socket.
   * @param count How many slots.
   * @param length The end of each datagram in its slot.
   * @param offset Where each datagram starts in its slot.
   * @param fail Makes the error of a failed call.
   * @returns `count`.
   */
  send(
    c: Libc,
    fd: number,
    count: number,
    length: number,
    offset: number,
    fail: RingFailure,
  ): number {
    if (count === 0) return 0;
    if (count > this.slots.length || count < 0 || !Number.isInteger(count)) {
      throw new RangeError(
        `Cannot send from ring: ${count} packets, the ring has ${this.slots.length} slots`,
      );
    }
    if (offset < 0 || length > this.slots[0]!.length || length <= offset) {
      throw new RangeError(
        `Cannot send from ring: bytes ${offset}..${length} are not in a slot of ${
          this.slots[0]!.length
        }`,
      );
    }
    this.#setIov(length, offset);
    if (this.#perSlot !== 0) this.#copyDestinations(count);
    const k = this.#k;
    const { EAGAIN, ENOBUFS, EINTR } = k.errno;
    if (c.sendmmsg === undefined) return this.#sendEach(c, fd, count, fail);
    const headerSize = k.layout.mmsghdr;
    let sent = 0;
    let busy = 0;
    while (sent < count) {
      const batch = Math.min(count - sent, k.SENDMMSG_MAX);
      const vector = sent === 0
        ? this.vector
        : this.vector.subarray(sent * headerSize);
      const result = c.sendmmsg(fd, vector, batch, 0);
      if (result > 0) {
        sent += result;
        busy = 0;
        continue;
      }
      const errno = c.errno();
      if (
        (errno === ENOBUFS || errno === EAGAIN || errno === EINTR) &&
        ++busy < 100_000
      ) continue;
      throw fail(errno, "sendmmsg", sent, count);
    }
    return count;
  }

  #sendEach(c: Libc, fd: number, count: number, fail: RingFailure): number {
    const name = this.#memory;
    const length = this.#length - this.#offset;
    for (let i = 0; i < count; i++) {
      const at = this.#packetsAt + i * this.#stride + this.#offset;
      const nameAt = this.#namesAt + (this.#perSlot === 0 ? 0 : i * NAME_BYTES);
      const nameLength = this.#view.getUint32(
        i * this.#k.layout.msghdr.size + this.#k.layout.msghdr.namelen,
        LITTLE_ENDIAN,
      );
      const result = c.sendto(
        fd,
        this.#memory.subarray(at, at + length),
        length,
        0,
        name.subarray(nameAt, nameAt + NAME_BYTES),
        nameLength,
      );
      if (result < 0) throw fail(c.errno(), "sendto", i, count);
    }
    return count;
  }
}

/** Options for {@linkcode ReceiveRing}. */
export interface ReceiveRingOptions {
  /** Messages per `recvmmsg` (default 64). */
  messages?: number;
  /** Room for each datagram (default 2048; longer ones are cut). */
  dataBytes?: number;
  /** The socket's family: IPv6 datagrams get their fixed header rebuilt in front. */
  family: 4 | 6;
  /** The socket's protocol (the rebuilt IPv6 header's next header). */
  protocol: number;
}

/** Called with each datagram received, in place: `data[offset..offset+length)`. */
export type RingPacketHandler = (
  data: Uint8Array,
  offset: number,
  length: number,
  receivedAt: number,
) => void;

/** The time stamp of a packet without one: now, epoch ms. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A receive ring; see the module documentation.
 *
 * @example Laid out, nothing received yet
 * ```ts
 * import { ReceiveRing } from "./_rings.ts";
 * import { LINUX } from "./_constants.ts";
 * import assert from "node:assert/strict";
 *
 * const ring = new ReceiveRing(LINUX, { family: 4, protocol: 6, messages: 8 });
 * assert.equal(ring.messages, 8);
 * ```
 */
export class ReceiveRing {
  /** Messages per call. */
  readonly messages: number;
  readonly #memory: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  readonly #k: OsConstants;
  readonly #family: 4 | 6;
  readonly #protocol: number;
  readonly #headerSize: number;
  readonly #namesAt: number;
  readonly #controlAt: number;
  readonly #controlBytes: number;
  readonly #dataAt: number;
  readonly #dataStride: number;
  readonly #lead: number;

  /**
   * Lay out the ring.
   *
   * @param k The OS's constants and layouts.
   * @param options Messages, room, family and protocol.
   */
  constructor(k: OsConstants, options: ReceiveRingOptions) {
    this.#k = k;
    const messages = options.messages ?? 64;
    const dataBytes = options.dataBytes ?? 2048;
    this.messages = messages;
    this.#family = options.family;
    this.#protocol = options.protocol;
    const layout = k.layout;
    this.#headerSize = Math.max(layout.mmsghdr, layout.msghdr.size);
    const iovAt = align16(messages * this.#headerSize);
    this.#namesAt = align16(iovAt + messages * layout.iovec);
    this.#controlAt = align16(this.#namesAt + messages * NAME_BYTES);
    this.#controlBytes = options.family === 6 ? 256 : 64;
    this.#dataAt = align16(this.#controlAt + messages * this.#controlBytes);
    this.#lead = options.family === 6 ? 40 : 0;
    this.#dataStride = align16(this.#lead + dataBytes);
    this.#memory = allocate(this.#dataAt + messages * this.#dataStride);
    this.#view = new DataView(this.#memory.buffer);
    const view = this.#view;
    const base = pointerOf(this.#memory);
    const ml = layout.msghdr;
    for (let i = 0; i < messages; i++) {
      const h = i * this.#headerSize;
      const iov = iovAt + i * layout.iovec;
      view.setBigUint64(
        iov,
        base + BigInt(this.#dataAt + i * this.#dataStride + this.#lead),
        LITTLE_ENDIAN,
      );
      view.setBigUint64(iov + 8, BigInt(dataBytes), LITTLE_ENDIAN);
      view.setBigUint64(
        h + ml.name,
        base + BigInt(this.#namesAt + i * NAME_BYTES),
        LITTLE_ENDIAN,
      );
      view.setBigUint64(h + ml.iov, base + BigInt(iov), LITTLE_ENDIAN);
      if (ml.iovlenSize === 8) {
        view.setBigUint64(h + ml.iovlen, 1n, LITTLE_ENDIAN);
      } else view.setUint32(h + ml.iovlen, 1, LITTLE_ENDIAN);
      view.setBigUint64(
        h + ml.control,
        base + BigInt(this.#controlAt + i * this.#controlBytes),
        LITTLE_ENDIAN,
      );
    }
  }

  /**
   * Read what is queued on `fd` (non-blocking), up to `max` datagrams, and
   * hand each to `onPacket`.
   *
   * @param c The C library (with `recvmmsg`).
   * @param fd The socket.
   * @param max The most datagrams to read.
   * @param onPacket Takes each datagram, in place.
   * @param fail Makes the error of a failed call.
   * @returns How many were read.
   */
  drain(
    c: Libc,
    fd: number,
    max: number,
    onPacket: RingPacketHandler,
    fail: RingFailure,
  ): number {
    const k = this.#k;
    const ml = k.layout.msghdr;
    const view = this.#view;
    const size = this.#headerSize;
    let total = 0;
    while (total < max) {
      const want = Math.min(this.messages, max - total);
      for (let i = 0; i < want; i++) {
        const h = i * size;
        view.setUint32(h + ml.namelen, NAME_BYTES, LITTLE_ENDIAN);
        view.setUint32(h + ml.controllen, this.#controlBytes, LITTLE_ENDIAN);
      }
      const n = c.recvmmsg!(fd, this.#memory, want, k.MSG_DONTWAIT);
      if (n < 0) {
        const errno = c.errno();
        if (errno === k.errno.EAGAIN || errno === k.errno.EINTR) break;
        throw fail(errno, "recvmmsg", total, max);
      }
      for (let i = 0; i < n; i++) this.#deliver(i, onPacket);
      total += n;
      if (n < want) break;
    }
    return total;
  }

  #deliver(i: number, onPacket: RingPacketHandler): void {
    const k = this.#k;
    const layout = k.layout;
    const view = this.#view;
    const h = i * this.#headerSize;
    const length = view.getUint32(h + layout.mmsghdrLen, LITTLE_ENDIAN);
    const control = this.#controlAt + i * this.#controlBytes;
    const controlEnd = control +
      Math.min(
        view.getUint32(h + layout.msghdr.controllen, LITTLE_ENDIAN),
        this.#controlBytes,
      );
    const data = this.#dataAt + i * this.#dataStride;
    let receivedAt = NaN;
    let hopLimit = 0;
    let trafficClass = 0;
    let flow = 0;
    let destination = -1;
    const cl = layout.cmsghdr;
    let at = control;
    for (
      let guard = 0;
      guard < 16 && at + cl.headerSize <= controlEnd;
      guard++
    ) {
      const cmsgLength = view.getUint32(at, LITTLE_ENDIAN);
      if (cmsgLength < cl.headerSize || at + cmsgLength > controlEnd) break;
      const level = view.getInt32(at + cl.level, LITTLE_ENDIAN);
      const type = view.getInt32(at + cl.type, LITTLE_ENDIAN);
      const d = at + cl.headerSize;
      if (level === k.SOL_SOCKET && type === k.SCM_TIMESTAMP) {
        const seconds = view.getUint32(d, LITTLE_ENDIAN) +
          view.getInt32(d + 4, LITTLE_ENDIAN) * 4294967296;
        receivedAt = layout.timestamp === "timespec"
          ? seconds * 1000 + view.getUint32(d + 8, LITTLE_ENDIAN) / 1e6
          : seconds * 1000 + view.getInt32(d + 8, LITTLE_ENDIAN) / 1e3;
      } else if (level === k.IPPROTO_IPV6) {
        if (type === k.IPV6_HOPLIMIT) {
          hopLimit = view.getInt32(
            d,
            LITTLE_ENDIAN,
          );
        } else if (type === k.IPV6_TCLASS) {
          trafficClass = view.getInt32(d, LITTLE_ENDIAN);
        } else if (type === k.IPV6_PKTINFO) destination = d;
        else if (type === k.IPV6_FLOWINFO) flow = view.getUint32(d) & 0xfffff;
      }
      at += Math.ceil(cmsgLength / cl.align) * cl.align;
    }
    if (Number.isNaN(receivedAt)) receivedAt = now();
    if (this.#family === 6) {
      const m = this.#memory;
      view.setUint32(
        data,
        (0x60000000 | (trafficClass << 20) | flow) >>> 0,
      );
      view.setUint16(data + 4, length);
      m[data + 6] = this.#protocol;
      m[data + 7] = hopLimit;
      const name = this.#namesAt + i * NAME_BYTES;
      m.copyWithin(data + 8, name + 8, name + 24);
      if (destination >= 0) {
        m.copyWithin(data + 24, destination, destination + 16);
      } else m.fill(0, data + 24, data + 40);
      onPacket(m, data, 40 + length, receivedAt);
      return;
    }
    onPacket(this.#memory, data, length, receivedAt);
  }
}
