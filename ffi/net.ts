/**
 * The engines' network interface ({@linkcode Net} in `src/host/net.ts`)
 * implemented with this layer's raw sockets, receivers, routing and
 * resolution, so that a program can hand the portable engines the real
 * network.
 *
 * @module
 */

import type { ReceiverNet } from "../src/host/net.ts";
import { libc } from "./_libc.ts";
import { LinkSocket } from "./link.ts";
import { epochNow, RawSocket } from "./raw_socket.ts";
import { Receiver } from "./receiver.ts";
import { resolveHost } from "./resolve.ts";
import { routeSource } from "./route.ts";

/**
 * The real network, as the engines take it: raw sockets, receivers (a raw
 * TCP and a raw ICMP or ICMPv6 socket read together), the routed source,
 * the system's name resolution and the wall clock of received packets.
 * Nothing is loaded until a member is called; errors are this layer's
 * typed errors, whose messages say what to do (`--allow-ffi`, root or
 * `cap_net_raw`).
 *
 * @returns The network access.
 *
 * @example
 * ```ts
 * import { createFfiNet } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const net = createFfiNet();
 * assert.deepEqual(await net.resolveHost("2001:DB8::1"), ["2001:db8::1"]);
 * assert.ok(Math.abs(net.wallClock() - Date.now()) < 1000);
 * ```
 */
export function createFfiNet(): ReceiverNet {
  return {
    openRawSocket(options) {
      return RawSocket.open(options);
    },
    routeSource(dst) {
      return routeSource(dst);
    },
    resolveHost(name, options) {
      return resolveHost(name, options);
    },
    wallClock() {
      return epochNow();
    },
    openLinkSocket(options) {
      return LinkSocket.open(options);
    },
    openReceiver(family, options = {}) {
      const { link, ...rest } = options;
      // The link socket first: a next hop that does not resolve opens nothing.
      const out = link === undefined ? undefined : LinkSocket.open(link);
      let receiver: Receiver;
      try {
        receiver = Receiver.open({ family, ...rest });
      } catch (error) {
        out?.close();
        throw error;
      }
      const sender = out ?? receiver.tcp;
      return {
        send: (packet, destination) => sender.send(packet, destination),
        sendMany: (packets, destination) =>
          sender.sendMany(packets, destination),
        poll: (timeoutMs) => receiver.poll(timeoutMs),
        close: () => {
          receiver.close();
          out?.close();
        },
        ...(out !== undefined
          ? { openSendRing: (o) => out.openSendRing(o) }
          : receiver.tcp.headerIncluded
          ? { openSendRing: (o) => receiver.openSendRing(o) }
          : {}),
        ...(libc().recvmmsg === undefined ? {} : {
          drain: (onPacket, max) => receiver.drain(onPacket, max),
        }),
        drops: () => receiver.drops(),
      };
    },
  };
}
