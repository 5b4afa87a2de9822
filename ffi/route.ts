/**
 * Source-address discovery: the address the kernel would send from to reach
 * a destination, found the way the kernel itself finds it.
 *
 * @module
 */

import { addressBytes, formatAddress } from "../src/wire/address.ts";
import { LITTLE_ENDIAN } from "./_constants.ts";
import { libc } from "./_libc.ts";
import { broadcastRoutes } from "./_netlink.ts";
import { allocate, readSockaddr, writeSockaddr } from "./_sockaddr.ts";
import { socketErrorFromErrno } from "./errors.ts";

/** Options for {@linkcode routeSource}. */
export interface RouteSourceOptions {
  /**
   * Look the route up for a broadcast address too (default false: Linux
   * refuses it with `EACCES`, as it refuses to send there without
   * `SO_BROADCAST`).
   */
  broadcast?: boolean;
}

/**
 * The local address the kernel would use as source for packets to `dst`:
 * a UDP socket is connected to the destination (which sends nothing, but
 * makes the kernel pick a route and a source), its local address is read
 * with `getsockname`, and the socket is closed. This is the address to put
 * in a TCP checksum's pseudo-header when no source is given.
 *
 * Linux refuses the lookup for a broadcast address (`EACCES`) unless
 * `broadcast` is set, as it refuses to send there.
 *
 * @param dst An IPv4 or IPv6 address (not a host name: see `resolveHost`).
 * @param options `broadcast`: look the route up for a broadcast address
 *   too (the lookup socket gets `SO_BROADCAST`; nothing is sent).
 * @returns The source address, canonical text.
 * @throws {ParseError} When `dst` is not an address.
 * @throws {SocketError} When no route leads to `dst` (ENETUNREACH and others).
 * @throws {FfiPermissionError} Without `--allow-ffi`.
 *
 * @example The loopback address routes from itself
 * ```ts
 * import { routeSource } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(routeSource("127.0.0.1"), "127.0.0.1");
 * assert.equal(routeSource("127.255.255.255", { broadcast: true }), "127.0.0.1");
 * ```
 */
export function routeSource(
  dst: string,
  options: RouteSourceOptions = {},
): string {
  const target = addressBytes(dst);
  const c = libc();
  const k = c.constants;
  const domain = target.length === 16 ? k.AF_INET6 : k.AF_INET;
  const fd = c.socket(domain, k.SOCK_DGRAM | k.SOCK_CLOEXEC, 0);
  const action = `Cannot find a source address for ${dst}`;
  const fail = (
    syscall: "socket" | "setsockopt" | "connect" | "getsockname",
  ) => {
    const errno = c.errno();
    return socketErrorFromErrno(errno, syscall, {
      action,
      strerror: c.strerror(errno),
    });
  };
  if (fd < 0) throw fail("socket");
  try {
    if (options.broadcast === true) {
      const on = allocate(4);
      new DataView(on.buffer).setInt32(0, 1, LITTLE_ENDIAN);
      if (c.setsockopt(fd, k.SOL_SOCKET, k.SO_BROADCAST, on) !== 0) {
        throw fail("setsockopt");
      }
    }
    const address = allocate(k.layout.sockaddrStorage);
    // Port 9 (discard): a connected UDP socket needs a port, nothing is sent.
    const length = writeSockaddr(address, target, k, { port: 9 });
    if (c.connect(fd, address, length) !== 0) throw fail("connect");
    address.fill(0);
    const lengthBox = allocate(4);
    new DataView(lengthBox.buffer).setUint32(0, address.length, LITTLE_ENDIAN);
    if (c.getsockname(fd, address, lengthBox) !== 0) {
      throw fail("getsockname");
    }
    const local = readSockaddr(address, k);
    if (local === undefined) {
      throw new RangeError(
        `${action}: the kernel returned an address of an unknown family`,
      );
    }
    return local.address;
  } finally {
    c.close(fd);
  }
}

/**
 * The directed broadcast addresses of this host's IPv4 subnets, as the
 * routing tables list them (`ip route show table all type broadcast`):
 * a packet sent to one reaches every host of that subnet. Linux only
 * (elsewhere: none).
 *
 * @returns The addresses, canonical text.
 * @throws {FfiPermissionError} Without `--allow-ffi`.
 *
 * @example The loopback network's broadcast address is there
 * ```ts
 * import { broadcastAddresses } from "./route.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(broadcastAddresses().includes("127.255.255.255"));
 * ```
 */
export function broadcastAddresses(): string[] {
  const c = libc();
  if (c.constants.AF_NETLINK === undefined) return [];
  return broadcastRoutes(c).map((bytes) => formatAddress(bytes));
}
