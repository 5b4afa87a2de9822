/**
 * The C structures of `recvmsg` and `sendmmsg`, laid out in buffers the
 * kernel reads and writes: `msghdr`, `iovec`, `mmsghdr`, and the control
 * messages (`cmsghdr`) that carry a received packet's time stamp and IPv6
 * facts. Offsets come from the OS's layout in `_constants.ts`; nothing
 * here makes a system call.
 *
 * @module
 */

import { LITTLE_ENDIAN, type OsConstants } from "./_constants.ts";
import { allocate } from "./_sockaddr.ts";
import { formatAddress } from "../src/wire/address.ts";

/** The largest IP datagram. */
export const MAX_DATAGRAM = 65535;

/** Room for the control messages of one received packet. */
const CONTROL_BYTES = 512;

/**
 * The address of a buffer, for a pointer field of a C structure.
 *
 * @param buffer The buffer.
 * @returns Its address.
 *
 * @example
 * ```ts
 * import { pointerOf } from "./_msghdr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(pointerOf(new Uint8Array(8)) > 0n);
 * ```
 */
export function pointerOf(buffer: Uint8Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

/**
 * Write a `size_t`-like field that is 4 or 8 bytes wide depending on the OS.
 *
 * @param view The structure.
 * @param at The field's offset.
 * @param size Its width.
 * @param value The value.
 *
 * @example
 * ```ts
 * import { getSized, setSized } from "./_msghdr.ts";
 * import assert from "node:assert/strict";
 *
 * const view = new DataView(new ArrayBuffer(12));
 * setSized(view, 0, 8, 1500);
 * setSized(view, 8, 4, 7);
 * assert.equal(getSized(view, 0, 8), 1500);
 * assert.equal(getSized(view, 8, 4), 7);
 * ```
 */
export function setSized(
  view: DataView,
  at: number,
  size: 4 | 8,
  value: number,
): void {
  if (size === 8) view.setBigUint64(at, BigInt(value), LITTLE_ENDIAN);
  else view.setUint32(at, value, LITTLE_ENDIAN);
}

/**
 * Read a field that is 4 or 8 bytes wide depending on the OS.
 *
 * @param view The structure.
 * @param at The field's offset.
 * @param size Its width.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { getSized } from "./_msghdr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getSized(new DataView(new Uint8Array([5, 0, 0, 0]).buffer), 0, 4), 5);
 * ```
 */
export function getSized(view: DataView, at: number, size: 4 | 8): number {
  return size === 8
    ? Number(view.getBigUint64(at, LITTLE_ENDIAN))
    : view.getUint32(at, LITTLE_ENDIAN);
}

/** What the kernel said about a received packet in control messages. */
export interface ControlData {
  /** The kernel's receive time, epoch ms. */
  timestamp?: number;
  /** The address the packet was sent to (IPv6). */
  destination?: string;
  /** The interface it arrived on (IPv6). */
  interfaceIndex?: number;
  /** Its hop limit (IPv6). */
  hopLimit?: number;
  /** Its traffic class (IPv6). */
  trafficClass?: number;
  /** Its flow label (IPv6, Linux). */
  flowLabel?: number;
}

/**
 * The buffers of `recvmsg` for one socket, set up once: the data (with
 * `dataOffset` bytes free in front, where an IPv6 header is rebuilt), the
 * sender's address, the control messages, one `iovec` and the `msghdr`.
 *
 * @example Before any `recvmsg`, there is nothing to read
 * ```ts
 * import { ReceiveBuffers } from "./_msghdr.ts";
 * import { LINUX } from "./_constants.ts";
 * import assert from "node:assert/strict";
 *
 * const buffers = new ReceiveBuffers(LINUX, 40);
 * buffers.reset();
 * assert.equal(buffers.flags, 0);
 * assert.deepEqual(buffers.readControl(), {});
 * ```
 */
export class ReceiveBuffers {
  /** Where the datagram lands, `dataOffset` bytes in. */
  readonly data: Uint8Array<ArrayBuffer>;
  /** The sender's socket address. */
  readonly name: Uint8Array<ArrayBuffer>;
  /** The `msghdr` to hand to `recvmsg`. */
  readonly msghdr: Uint8Array<ArrayBuffer>;
  readonly #control: Uint8Array<ArrayBuffer>;
  readonly #iov: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  readonly #k: OsConstants;

  /**
   * Allocate and link the buffers.
   *
   * @param k The OS's constants and layouts.
   * @param dataOffset Bytes left free before the datagram.
   */
  constructor(k: OsConstants, dataOffset: number) {
    this.#k = k;
    const layout = k.layout;
    this.data = allocate(dataOffset + MAX_DATAGRAM + 1);
    this.name = allocate(layout.sockaddrStorage);
    this.#control = allocate(CONTROL_BYTES);
    this.#iov = allocate(layout.iovec);
    this.msghdr = allocate(layout.msghdr.size);
    this.#view = new DataView(this.msghdr.buffer);
    const iov = new DataView(this.#iov.buffer);
    iov.setBigUint64(
      0,
      pointerOf(this.data) + BigInt(dataOffset),
      LITTLE_ENDIAN,
    );
    iov.setBigUint64(8, BigInt(MAX_DATAGRAM + 1), LITTLE_ENDIAN);
    const m = this.#view;
    const ml = layout.msghdr;
    m.setBigUint64(ml.name, pointerOf(this.name), LITTLE_ENDIAN);
    m.setBigUint64(ml.iov, pointerOf(this.#iov), LITTLE_ENDIAN);
    setSized(m, ml.iovlen, ml.iovlenSize, 1);
    m.setBigUint64(ml.control, pointerOf(this.#control), LITTLE_ENDIAN);
  }

  /** Reset the lengths and flags the kernel overwrites, before each `recvmsg`. */
  reset(): void {
    const m = this.#view;
    const ml = this.#k.layout.msghdr;
    m.setUint32(ml.namelen, this.name.length, LITTLE_ENDIAN);
    setSized(m, ml.controllen, ml.controllenSize, CONTROL_BYTES);
    m.setInt32(ml.flags, 0, LITTLE_ENDIAN);
  }

  /** The `msg_flags` the kernel returned (`MSG_TRUNC`…). */
  get flags(): number {
    return this.#view.getInt32(this.#k.layout.msghdr.flags, LITTLE_ENDIAN);
  }

  /** The sender's address as the kernel wrote it. */
  get sender(): Uint8Array {
    const length = this.#view.getUint32(
      this.#k.layout.msghdr.namelen,
      LITTLE_ENDIAN,
    );
    return this.name.subarray(0, Math.min(length, this.name.length));
  }

  /**
   * Read the control messages of the last `recvmsg`: the time stamp
   * (`SCM_TIMESTAMP`, as a `timespec` or a `timeval`), and for IPv6 the
   * destination and interface (`IPV6_PKTINFO`), hop limit, traffic class
   * and flow label.
   *
   * @returns What they say.
   */
  readControl(): ControlData {
    const k = this.#k;
    const ml = k.layout.msghdr;
    const cl = k.layout.cmsghdr;
    const control = this.#control;
    const view = new DataView(control.buffer);
    const end = Math.min(
      getSized(this.#view, ml.controllen, ml.controllenSize),
      control.length,
    );
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
        readIpv6Control(k, control, view, type, data, dataLength, out);
      }
      at += Math.ceil(length / cl.align) * cl.align;
    }
    return out;
  }
}

function readIpv6Control(
  k: OsConstants,
  control: Uint8Array,
  view: DataView,
  type: number,
  data: number,
  dataLength: number,
  out: ControlData,
): void {
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

/**
 * The vector of `sendmmsg` for one socket: an `mmsghdr` and an `iovec` per
 * packet, all pointing into one buffer of packets and at one destination,
 * kept and grown between calls.
 *
 * @example
 * ```ts
 * import { SendVector } from "./_msghdr.ts";
 * import { LINUX } from "./_constants.ts";
 * import assert from "node:assert/strict";
 *
 * const vector = new SendVector(LINUX).fill(
 *   new Uint8Array(80), new Uint32Array([40, 40]), 2, new Uint8Array(128), 16,
 * );
 * assert.ok(vector.length >= 2 * (LINUX.layout.mmsghdr + LINUX.layout.iovec));
 * ```
 */
export class SendVector {
  readonly #k: OsConstants;
  #vector: Uint8Array<ArrayBuffer> = allocate(0);

  /**
   * Create the vector (empty until the first fill).
   *
   * @param k The OS's constants and layouts.
   */
  constructor(k: OsConstants) {
    this.#k = k;
  }

  /**
   * Describe `count` packets lying one after the other in `buffer`.
   *
   * @param buffer The packets.
   * @param lengths Each packet's length.
   * @param count How many.
   * @param sockaddr The destination's socket address.
   * @param sockaddrLength Its length.
   * @returns The `mmsghdr` array (the first `count` entries).
   */
  fill(
    buffer: Uint8Array<ArrayBuffer>,
    lengths: Uint32Array,
    count: number,
    sockaddr: Uint8Array<ArrayBuffer>,
    sockaddrLength: number,
  ): Uint8Array<ArrayBuffer> {
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
    const nameBase = pointerOf(sockaddr);
    const iovStart = count * headerSize;
    const ml = layout.msghdr;
    vector.fill(0, 0, vectorBytes);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const iov = iovStart + i * iovSize;
      v.setBigUint64(iov, base + BigInt(offset), LITTLE_ENDIAN);
      v.setBigUint64(iov + 8, BigInt(lengths[i]!), LITTLE_ENDIAN);
      const h = i * headerSize;
      v.setBigUint64(h + ml.name, nameBase, LITTLE_ENDIAN);
      v.setUint32(h + ml.namelen, sockaddrLength, LITTLE_ENDIAN);
      v.setBigUint64(h + ml.iov, vectorBase + BigInt(iov), LITTLE_ENDIAN);
      setSized(v, h + ml.iovlen, ml.iovlenSize, 1);
      offset += lengths[i]!;
    }
    return vector;
  }
}
