/**
 * The engines' network interface ({@linkcode Net} in `src/host/net.ts`)
 * implemented with this layer's raw sockets, receivers, routing and
 * resolution, so that a program can hand the portable engines the real
 * network.
 *
 * @module
 */

import type {
  Net,
  NetReceiver,
  NetTransmitStamp,
  ReceiverNet,
} from "../src/host/net.ts";
import { libc } from "./_libc.ts";
import { LinkSocket } from "./link.ts";
import { epochNow, RawSocket } from "./raw_socket.ts";
import { Receiver } from "./receiver.ts";
import { resolveHost } from "./resolve.ts";
import { dropPrivileges as dropProcessPrivileges } from "./privileges.ts";
import {
  broadcastAddresses as routedBroadcasts,
  routeSource,
} from "./route.ts";
import { Sniffer } from "./sniffer.ts";
import { TransmitStamps } from "./tx_stamps.ts";

/**
 * The network `createFfiNet()` gives: receivers and sniffers. The hold on
 * the kernel's resets (`holdKernelResets` in `resets.ts`, which runs `nft`)
 * is added by `openSession` only, so that code that never opens a session
 * (the CLI) needs no permission to run programs.
 */
export type FfiNet =
  & ReceiverNet
  & Required<
    Pick<Net, "openSniffer" | "dropPrivileges" | "broadcastAddresses">
  >;

/** Stamps kept between two reads, at most (the oldest go first). */
const MAX_KEPT_STAMPS = 8192;

/**
 * A receiver as the engines take it. Transmit stamps, once enabled, are
 * read from the TCP socket's error queue right after every send and before
 * every wait, so they never fill the receive buffer or wake the wait.
 */
function receiverOf(receiver: Receiver, out?: LinkSocket): NetReceiver {
  let stamps: TransmitStamps | undefined;
  let kept: NetTransmitStamp[] = [];
  const readStamps = () => {
    if (stamps === undefined || receiver.closed) return;
    kept.push(...stamps.drain());
    if (kept.length > MAX_KEPT_STAMPS) {
      kept = kept.slice(kept.length - MAX_KEPT_STAMPS);
    }
  };
  // Frames go out on the link socket when there is one (`-I`), else on the
  // receiver's raw TCP socket.
  const sender = out ?? receiver.tcp;
  return {
    send(packet, destination) {
      const sent = sender.send(packet, destination);
      readStamps();
      return sent;
    },
    sendMany(packets, destination) {
      const sent = sender.sendMany(packets, destination);
      readStamps();
      return sent;
    },
    poll(timeoutMs) {
      readStamps();
      return receiver.poll(timeoutMs);
    },
    close: () => {
      receiver.close();
      out?.close();
    },
    enableTransmitStamps() {
      stamps ??= TransmitStamps.enable(receiver.tcp.fd, receiver.family);
      return stamps !== undefined;
    },
    transmitStamps() {
      readStamps();
      const taken = kept;
      kept = [];
      return taken;
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
}

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
export function createFfiNet(): FfiNet {
  return {
    openRawSocket(options) {
      return RawSocket.open(options);
    },
    routeSource(dst, options) {
      return routeSource(dst, options);
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
      try {
        return receiverOf(Receiver.open({ family, ...rest }), out);
      } catch (error) {
        out?.close();
        throw error;
      }
    },
    openSniffer(options) {
      return Sniffer.open(options);
    },
    dropPrivileges(target) {
      return dropProcessPrivileges(target);
    },
    broadcastAddresses() {
      return routedBroadcasts();
    },
  };
}
