/**
 * Sending fragments through the engines as they are: the send engine takes
 * its packets as a `PacketSeries`, and {@linkcode DatagramSeries} is one
 * whose packets are given datagrams (a packet's fragments) in turn; the
 * conversation engine sends each probe on a receiver of the network, and
 * {@linkcode fragmentingNet} gives it a network whose receivers send each
 * datagram as its fragments. Replies are matched as before: they answer
 * the reassembled segment.
 *
 * @module
 */

import { PacketSeries } from "../engine/send.ts";
import type { NetReceiver, ReceiverNet } from "../host/net.ts";
import type { TcpPacket } from "../wire/packet.ts";

/**
 * The datagrams of a packet, in turn, forever: the first `next()` is the
 * first datagram, and after the last comes the first again. Send them
 * header-included: they are whole IP datagrams.
 *
 * @example
 * ```ts
 * import { DatagramSeries } from "./fragment_sending.ts";
 * import { fragment, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * const pieces = fragment(packet, { size: 8 });
 * const series = new DatagramSeries(packet, pieces);
 * assert.deepEqual(series.take(4), [...pieces, pieces[0]]);
 * ```
 */
export class DatagramSeries extends PacketSeries {
  readonly #datagrams: readonly Uint8Array[];
  #index = 0;

  /**
   * @param packet The packet the datagrams carry (for the engine's layout).
   * @param datagrams The datagrams, in the order to send them.
   */
  constructor(packet: TcpPacket, datagrams: readonly Uint8Array[]) {
    super(packet);
    this.#datagrams = datagrams;
  }

  /** False: the datagrams are not made in send slots (they differ in length). */
  override get slotted(): boolean {
    return false;
  }

  /** How many datagrams one packet takes. */
  get perPacket(): number {
    return this.#datagrams.length;
  }

  /**
   * The next datagram (do not change it: it is shared).
   *
   * @returns The datagram.
   */
  override next(): Uint8Array {
    const datagram = this.#datagrams[this.#index % this.#datagrams.length]!;
    this.#index++;
    return datagram;
  }
}

/**
 * A network whose receivers send every datagram as the datagrams
 * `fragments` makes of it (for probes sent as fragments); the rest is the
 * network's own.
 *
 * @param net The network.
 * @param fragments Cut one datagram into what to send.
 * @returns The network.
 *
 * @example
 * ```ts
 * import { fragmentingNet } from "./fragment_sending.ts";
 * import assert from "node:assert/strict";
 *
 * const sent: Uint8Array[][] = [];
 * const receiver = {
 *   send: () => 0,
 *   sendMany: (packets: Uint8Array[]) => (sent.push(packets), packets.length),
 *   poll: () => Promise.resolve({ tcp: [], icmp: [] }),
 *   close() {},
 * };
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openReceiver: () => receiver,
 * };
 * const split = fragmentingNet(net, (d) => [d.subarray(0, 2), d.subarray(2)]);
 * split.openReceiver(4).send(new Uint8Array([1, 2, 3]), "192.0.2.1");
 * assert.deepEqual(sent, [[new Uint8Array([1, 2]), new Uint8Array([3])]]);
 * ```
 */
export function fragmentingNet(
  net: ReceiverNet,
  fragments: (datagram: Uint8Array) => Uint8Array[],
): ReceiverNet {
  return {
    openRawSocket: (options) => net.openRawSocket(options),
    routeSource: (dst) => net.routeSource(dst),
    resolveHost: (name, options) => net.resolveHost(name, options),
    wallClock: () => net.wallClock(),
    openReceiver: (family, options) => {
      const inner: NetReceiver = net.openReceiver(family, options);
      return {
        send: (datagram, destination) => {
          inner.sendMany(fragments(datagram), destination);
          return datagram.length;
        },
        sendMany: (datagrams, destination) =>
          inner.sendMany(datagrams.flatMap(fragments), destination),
        poll: (timeoutMs) => inner.poll(timeoutMs),
        close: () => inner.close(),
      };
    },
  };
}
