/**
 * Route netlink (Linux), the little of it the link-layer path needs: an
 * interface's hardware address (`RTM_GETLINK`), the next hop to a
 * destination through an interface (`RTM_GETROUTE`, as `ip route get DST
 * oif NAME`), and the neighbour table (`RTM_GETNEIGH`, as `ip neigh`).
 * Requests and replies are `nlmsghdr` messages with attributes (`rtattr`),
 * host byte order, aligned to 4 bytes.
 *
 * @module
 */

import { LITTLE_ENDIAN } from "./_constants.ts";
import type { Libc } from "./_libc.ts";
import { allocate } from "./_sockaddr.ts";
import { socketErrorFromErrno } from "./errors.ts";

const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const RTM_GETLINK = 18;
const RTM_NEWLINK = 16;
const RTM_GETROUTE = 26;
const RTM_NEWROUTE = 24;
const RTM_GETNEIGH = 30;
const RTM_NEWNEIGH = 28;
const IFLA_ADDRESS = 1;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PREFSRC = 7;
const NDA_DST = 1;
const NDA_LLADDR = 2;
/** Neighbour states with no usable address: none, incomplete, failed. */
const NUD_UNUSABLE = 0x00 | 0x01 | 0x20;

/** One attribute: its type and bytes. */
export type Attributes = Map<number, Uint8Array>;

/** A reply message: its type, its fixed header and its attributes. */
export interface NetlinkMessage {
  type: number;
  header: Uint8Array;
  attributes: Attributes;
}

/** A netlink request failed: the kernel's errno, and what was asked. */
export class NetlinkError extends Error {
  /** The errno (positive). */
  readonly errno: number;

  /**
   * Create the error.
   *
   * @param message The message.
   * @param errno The errno.
   */
  constructor(message: string, errno: number) {
    super(message);
    this.name = "NetlinkError";
    this.errno = errno;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Build a request: header, fixed part, attributes. */
function request(
  type: number,
  flags: number,
  fixed: Uint8Array,
  attributes: [number, Uint8Array][],
): Uint8Array<ArrayBuffer> {
  let length = 16 + align4(fixed.length);
  for (const [, data] of attributes) length += align4(4 + data.length);
  const bytes = allocate(length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, LITTLE_ENDIAN);
  view.setUint16(4, type, LITTLE_ENDIAN);
  view.setUint16(6, flags, LITTLE_ENDIAN);
  view.setUint32(8, 1, LITTLE_ENDIAN);
  bytes.set(fixed, 16);
  let at = 16 + align4(fixed.length);
  for (const [kind, data] of attributes) {
    view.setUint16(at, 4 + data.length, LITTLE_ENDIAN);
    view.setUint16(at + 2, kind, LITTLE_ENDIAN);
    bytes.set(data, at + 4);
    at += align4(4 + data.length);
  }
  return bytes;
}

/**
 * Parse the messages of one datagram.
 *
 * @param bytes The datagram.
 * @param fixedLength The length of the fixed header after `nlmsghdr`.
 * @returns The messages, and whether the last one ends the reply.
 *
 * @example
 * ```ts
 * import { parseNetlink } from "./_netlink.ts";
 * import assert from "node:assert/strict";
 *
 * // NLMSG_DONE alone
 * const done = new Uint8Array([20, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
 * assert.deepEqual(parseNetlink(done, 12), { messages: [], done: true });
 * ```
 */
export function parseNetlink(
  bytes: Uint8Array,
  fixedLength: number,
): { messages: NetlinkMessage[]; done: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: NetlinkMessage[] = [];
  let at = 0;
  while (at + 16 <= bytes.length) {
    const length = view.getUint32(at, LITTLE_ENDIAN);
    const type = view.getUint16(at + 4, LITTLE_ENDIAN);
    if (length < 16 || at + length > bytes.length) break;
    if (type === NLMSG_DONE) return { messages, done: true };
    if (type === NLMSG_ERROR) {
      const errno = -view.getInt32(at + 16, LITTLE_ENDIAN);
      if (errno !== 0) throw new NetlinkError(`netlink error ${errno}`, errno);
      return { messages, done: true };
    }
    const header = bytes.subarray(at + 16, at + 16 + fixedLength);
    const attributes: Attributes = new Map();
    let a = at + 16 + align4(fixedLength);
    while (a + 4 <= at + length) {
      const alength = view.getUint16(a, LITTLE_ENDIAN);
      if (alength < 4 || a + alength > at + length) break;
      attributes.set(
        view.getUint16(a + 2, LITTLE_ENDIAN) & 0x3fff,
        bytes.slice(a + 4, a + alength),
      );
      a += align4(alength);
    }
    messages.push({ type, header, attributes });
    at += align4(length);
  }
  return { messages, done: false };
}

/** Send one request on a fresh route netlink socket and read its whole reply. */
function ask(
  c: Libc,
  message: Uint8Array<ArrayBuffer>,
  fixedLength: number,
  dump: boolean,
): NetlinkMessage[] {
  const k = c.constants;
  if (k.AF_NETLINK === undefined) {
    throw new NetlinkError(`${k.os} has no route netlink`, k.errno.ENOSYS);
  }
  const fd = c.socket(k.AF_NETLINK, k.SOCK_RAW | k.SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    const errno = c.errno();
    throw socketErrorFromErrno(errno, "socket", {
      strerror: c.strerror(errno),
    });
  }
  try {
    const kernel = allocate(12);
    new DataView(kernel.buffer).setUint16(0, k.AF_NETLINK, LITTLE_ENDIAN);
    if (c.sendto(fd, message, message.length, 0, kernel, 12) < 0) {
      const errno = c.errno();
      throw new NetlinkError(c.strerror(errno), errno);
    }
    const out: NetlinkMessage[] = [];
    const buffer = allocate(1 << 16);
    const from = allocate(16);
    const fromLength = allocate(4);
    // Bounded: a dump of a large table is a few dozen datagrams.
    for (let i = 0; i < 4096; i++) {
      new DataView(fromLength.buffer).setUint32(0, 16, LITTLE_ENDIAN);
      const n = c.recvfrom(fd, buffer, buffer.length, 0, from, fromLength);
      if (n < 0) {
        const errno = c.errno();
        if (errno === k.errno.EINTR) continue;
        throw new NetlinkError(c.strerror(errno), errno);
      }
      const { messages, done } = parseNetlink(
        buffer.subarray(0, n),
        fixedLength,
      );
      out.push(...messages);
      if (done || !dump) return out;
    }
    return out;
  } finally {
    c.close(fd);
  }
}

/**
 * An interface's hardware address.
 *
 * @param c The C library.
 * @param ifindex The interface.
 * @returns Its address (6 bytes on Ethernet), or undefined when it has none.
 */
export function linkAddress(c: Libc, ifindex: number): Uint8Array | undefined {
  const fixed = new Uint8Array(16);
  new DataView(fixed.buffer).setInt32(4, ifindex, LITTLE_ENDIAN);
  const reply = ask(
    c,
    request(RTM_GETLINK, NLM_F_REQUEST, fixed, []),
    16,
    false,
  );
  return reply.find((m) => m.type === RTM_NEWLINK)?.attributes.get(
    IFLA_ADDRESS,
  );
}

/**
 * The next hop to a destination through an interface, and the source the
 * kernel would use (`ip route get DST oif IFINDEX`).
 *
 * @param c The C library.
 * @param destination 4 or 16 address bytes.
 * @param ifindex The interface.
 * @returns The gateway's bytes (undefined: the destination is on the link) and the preferred source.
 * @throws {NetlinkError} When there is no route through the interface.
 */
export function nextHop(
  c: Libc,
  destination: Uint8Array,
  ifindex: number,
): { gateway?: Uint8Array; source?: Uint8Array } {
  const k = c.constants;
  const fixed = new Uint8Array(12);
  fixed[0] = destination.length === 4 ? k.AF_INET : k.AF_INET6;
  fixed[1] = destination.length * 8;
  const oif = new Uint8Array(4);
  new DataView(oif.buffer).setInt32(0, ifindex, LITTLE_ENDIAN);
  const reply = ask(
    c,
    request(RTM_GETROUTE, NLM_F_REQUEST, fixed, [
      [RTA_DST, destination],
      [RTA_OIF, oif],
    ]),
    12,
    false,
  );
  const route = reply.find((m) => m.type === RTM_NEWROUTE);
  const out: { gateway?: Uint8Array; source?: Uint8Array } = {};
  const gateway = route?.attributes.get(RTA_GATEWAY);
  const source = route?.attributes.get(RTA_PREFSRC);
  if (gateway !== undefined) out.gateway = gateway;
  if (source !== undefined) out.source = source;
  return out;
}

/**
 * The hardware address of a neighbour in the kernel's table.
 *
 * @param c The C library.
 * @param address 4 or 16 address bytes.
 * @param ifindex The interface.
 * @returns Its hardware address, or undefined when the table has no usable entry.
 */
export function neighbour(
  c: Libc,
  address: Uint8Array,
  ifindex: number,
): Uint8Array | undefined {
  const k = c.constants;
  const fixed = new Uint8Array(12);
  fixed[0] = address.length === 4 ? k.AF_INET : k.AF_INET6;
  const reply = ask(
    c,
    request(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, fixed, []),
    12,
    true,
  );
  for (const m of reply) {
    if (m.type !== RTM_NEWNEIGH) continue;
    const view = new DataView(
      m.header.buffer,
      m.header.byteOffset,
      m.header.byteLength,
    );
    if (view.getInt32(4, LITTLE_ENDIAN) !== ifindex) continue;
    const state = view.getUint16(8, LITTLE_ENDIAN);
    if ((state & ~NUD_UNUSABLE) === 0) continue;
    const dst = m.attributes.get(NDA_DST);
    const mac = m.attributes.get(NDA_LLADDR);
    if (dst === undefined || mac === undefined) continue;
    if (
      dst.length === address.length && dst.every((b, i) => b === address[i])
    ) {
      return mac;
    }
  }
  return undefined;
}

/** `RTN_BROADCAST`: a route of type broadcast (`rtmsg.rtm_type`). */
const RTN_BROADCAST = 3;

/**
 * The IPv4 broadcast addresses of the routing tables (the kernel puts one
 * in its local table for each subnet of an interface), as `ip route show
 * table all type broadcast` lists them.
 *
 * @param c The C library.
 * @returns Their bytes, four each, without duplicates.
 */
export function broadcastRoutes(c: Libc): Uint8Array[] {
  const k = c.constants;
  const fixed = new Uint8Array(12);
  fixed[0] = k.AF_INET;
  const reply = ask(
    c,
    request(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, fixed, []),
    12,
    true,
  );
  const out: Uint8Array[] = [];
  for (const m of reply) {
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type.
    if (m.type !== RTM_NEWROUTE || m.header[7] !== RTN_BROADCAST) continue;
    const dst = m.attributes.get(RTA_DST);
    if (dst?.length !== 4) continue;
    if (!out.some((seen) => seen.every((b, i) => b === dst[i]))) out.push(dst);
  }
  return out;
}
