/**
 * Receivers opened once and handed out many times: for sessions that start
 * after the process has given up the privilege to open raw sockets (the
 * banners of a SYN scan). {@linkcode shareReceivers} opens one receiver per
 * address family now, and returns a network whose `openReceiver` gives a
 * view of it: each view sees every packet the receiver reads from the
 * moment it is opened, as a raw socket of its own would (a session keeps
 * what is its own), and sends on the shared sockets. One view's wait reads
 * for all of them, so no packet is taken from another. Closing a view
 * stops its copies; {@linkcode SharedReceivers.close} closes the sockets.
 *
 * @module
 */

import type {
  NetReceivedBatch,
  NetReceiver,
  NetReceiverOptions,
  ReceiverNet,
} from "../host/net.ts";

/** Packets a view keeps unread at most (the oldest go first). */
const MAX_QUEUED = 4096;

/** What {@linkcode shareReceivers} opened. */
export interface SharedReceivers {
  /** The network, its `openReceiver` handing out views (other members pass through). */
  readonly net: ReceiverNet;
  /** Close the shared sockets (views read nothing more). Idempotent. */
  close(): void;
}

/** One shared receiver and its views' queues. */
class Shared {
  readonly receiver: NetReceiver;
  readonly views = new Set<View>();
  #reading: Promise<void> | undefined;

  constructor(receiver: NetReceiver) {
    this.receiver = receiver;
  }

  /** Read once for every view (a read already under way is joined). */
  read(timeoutMs: number): Promise<void> {
    this.#reading ??= this.receiver.poll(Math.max(0, timeoutMs)).then(
      (batch) => {
        for (const view of this.views) view.take(batch);
      },
    ).finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }
}

/** A view of a shared receiver: what a session sees as its receiver. */
class View implements NetReceiver {
  readonly #shared: Shared;
  #tcp: NetReceivedBatch["tcp"] = [];
  #icmp: NetReceivedBatch["icmp"] = [];
  #closed = false;

  constructor(shared: Shared) {
    this.#shared = shared;
    shared.views.add(this);
  }

  take(batch: NetReceivedBatch): void {
    this.#tcp.push(...batch.tcp);
    this.#icmp.push(...batch.icmp);
    if (this.#tcp.length > MAX_QUEUED) {
      this.#tcp = this.#tcp.slice(-MAX_QUEUED);
    }
    if (this.#icmp.length > MAX_QUEUED) {
      this.#icmp = this.#icmp.slice(-MAX_QUEUED);
    }
  }

  send(packet: Uint8Array, destination: string): number {
    return this.#shared.receiver.send(packet, destination);
  }

  sendMany(packets: Uint8Array[], destination: string): number {
    return this.#shared.receiver.sendMany(packets, destination);
  }

  async poll(timeoutMs: number): Promise<NetReceivedBatch> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    // Bounded by the deadline; each turn waits for a read or the time left.
    for (let turn = 0; turn < 1_000_000 && !this.#closed; turn++) {
      if (this.#tcp.length > 0 || this.#icmp.length > 0) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#shared.read(left),
        new Promise<void>((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
    const batch = { tcp: this.#tcp, icmp: this.#icmp };
    this.#tcp = [];
    this.#icmp = [];
    return batch;
  }

  close(): void {
    this.#closed = true;
    this.#shared.views.delete(this);
    this.#tcp = [];
    this.#icmp = [];
  }
}

/**
 * Open one receiver per family now and share it (see the module
 * documentation).
 *
 * @param net The network (the receivers are opened through it now).
 * @param families The address families sessions will use.
 * @param options The receivers' options (`headerIncluded` for sessions).
 * @returns The network to hand the sessions, and `close`.
 * @throws What `openReceiver` throws (nothing stays open).
 *
 * @example Two views see the same reply
 * ```ts
 * import { shareReceivers } from "./shared_receiver.ts";
 * import type { NetReceivedBatch } from "../host/net.ts";
 * import assert from "node:assert/strict";
 *
 * const reply = { bytes: new Uint8Array(40), source: "192.0.2.1", receivedAt: 0 };
 * let polls = 0;
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openReceiver: () => ({
 *     send: () => 40, sendMany: (p: Uint8Array[]) => p.length, close() {},
 *     poll: (): Promise<NetReceivedBatch> =>
 *       Promise.resolve(polls++ === 0 ? { tcp: [reply], icmp: [] } : { tcp: [], icmp: [] }),
 *   }),
 * };
 * const shared = shareReceivers(net, [4], { headerIncluded: true });
 * const a = shared.net.openReceiver(4);
 * const b = shared.net.openReceiver(4);
 * assert.equal((await a.poll(10)).tcp.length, 1);
 * assert.equal((await b.poll(10)).tcp.length, 1);
 * shared.close();
 * ```
 */
export function shareReceivers(
  net: ReceiverNet,
  families: readonly (4 | 6)[],
  options: NetReceiverOptions = {},
): SharedReceivers {
  const shared = new Map<4 | 6, Shared>();
  const closeAll = () => {
    for (const one of shared.values()) {
      for (const view of [...one.views]) view.close();
      one.receiver.close();
    }
    shared.clear();
  };
  try {
    for (const family of new Set(families)) {
      shared.set(family, new Shared(net.openReceiver(family, options)));
    }
  } catch (error) {
    closeAll();
    throw error;
  }
  const wrapped: ReceiverNet = {
    openRawSocket: (o) => net.openRawSocket(o),
    routeSource: (dst) => net.routeSource(dst),
    resolveHost: (name, o) => net.resolveHost(name, o),
    wallClock: () => net.wallClock(),
    openReceiver(family) {
      const one = shared.get(family);
      if (one === undefined) {
        throw new Error(
          `Cannot open a receiver: none was opened for IPv${family} before privileges were given up`,
        );
      }
      return new View(one);
    },
    ...(net.holdKernelResets === undefined
      ? {}
      : { holdKernelResets: (flow) => net.holdKernelResets!(flow) }),
  };
  return { net: wrapped, close: closeAll };
}
