/**
 * Fake networks for the library's conversation engines (`sr`, `sniff`,
 * sessions) on a virtual clock: a receiver whose peer is a script that
 * answers each datagram sent (with transmit stamps when asked), and a
 * sniffer that runs its BPF program on queued packets with tcpcraft's own
 * interpreter, as the kernel would.
 *
 * @module
 */

import {
  type DecodedTcpPacket,
  decodePacket,
  type NetReceiver,
  type NetSniffedPacket,
  type NetSnifferOptions,
  type NetTransmitStamp,
  type ReceiverNet,
  runBpf,
} from "../mod.ts";
import type { NetFlow, NetResetHold, NetSniffer } from "../mod.ts";

/** What the peer sends back for one datagram. */
export interface PeerAnswer {
  /** The datagram. */
  bytes: Uint8Array;
  /** On the ICMP socket rather than the TCP one. */
  icmp?: boolean;
  /** After how long, ms. */
  delayMs: number;
}

/** A peer: what answers each datagram sent (index from 0). */
export type Peer = (
  sent: DecodedTcpPacket,
  index: number,
) => PeerAnswer | PeerAnswer[] | undefined;

/** The fake network and what it saw. */
export interface FakeNet {
  /** The network. */
  net: ReceiverNet & {
    openSniffer(options: NetSnifferOptions): NetSniffer;
    holdKernelResets(flow: NetFlow): Promise<NetResetHold>;
  };
  /** The virtual clock, ms. */
  clock: { now(): number };
  /** Datagrams sent, decoded, with the virtual time they left. */
  sent: { packet: DecodedTcpPacket; at: number }[];
  /** Receivers opened, and how many are still open. */
  receivers: { opened: number; open: number };
  /** Sniffers opened and still open; the programs they were given. */
  sniffers: { opened: number; open: number; programs: NetSnifferOptions[] };
  /** Reset holds taken and still held. */
  holds: { taken: NetFlow[]; held: number };
  /** Queue a packet for the sniffers, after `delayMs`. */
  sniffable(bytes: Uint8Array, direction: "in" | "out", delayMs?: number): void;
}

/** The epoch of the fake wall clock, ms. */
export const EPOCH = 1_700_000_000_000;

/**
 * Make a fake network.
 *
 * @param peer What answers each datagram.
 * @param options `stampDelayMs`: transmit stamps this long after the call
 *   (undefined: the receiver has no transmit stamps); `failSend`: a send
 *   that throws this error.
 * @returns The network and its record.
 */
export function fakeNet(
  peer: Peer,
  options: { stampDelayMs?: number; failSend?: Error } = {},
): FakeNet {
  let now = 0;
  const clock = { now: () => now };
  const queue: { due: number; answer: PeerAnswer }[] = [];
  const sniffQueue: { due: number; packet: NetSniffedPacket }[] = [];
  const record: FakeNet = {
    net: undefined as unknown as FakeNet["net"],
    clock,
    sent: [],
    receivers: { opened: 0, open: 0 },
    sniffers: { opened: 0, open: 0, programs: [] },
    holds: { taken: [], held: 0 },
    sniffable(bytes, direction, delayMs = 0) {
      sniffQueue.push({
        due: now + delayMs,
        packet: {
          bytes,
          length: bytes.length,
          receivedAt: EPOCH + now + delayMs,
          direction,
          interfaceIndex: 2,
        },
      });
    },
  };
  const advance = async (timeoutMs: number, has: () => number) => {
    const next = has();
    const wait = Math.max(0, Math.min(timeoutMs, next - now));
    now += wait;
    // A macrotask, so that a loop polling without pause starves nothing.
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  const receiver = (): NetReceiver => {
    let open = true;
    let stamps: NetTransmitStamp[] | undefined;
    record.receivers.opened++;
    record.receivers.open++;
    const r: NetReceiver = {
      send(bytes) {
        if (!open) throw new Error("Cannot send packet: the socket is closed");
        if (options.failSend !== undefined) throw options.failSend;
        const packet = decodePacket(bytes, { lenient: true });
        const index = record.sent.length;
        record.sent.push({ packet, at: now });
        if (stamps !== undefined) {
          stamps.push({
            bytes,
            sentAt: EPOCH + now + options.stampDelayMs! - 0.004,
            stage: "scheduled",
          });
          stamps.push({
            bytes,
            sentAt: EPOCH + now + options.stampDelayMs!,
            stage: "sent",
          });
        }
        const answers = peer(packet, index);
        for (
          const answer of answers === undefined
            ? []
            : Array.isArray(answers)
            ? answers
            : [answers]
        ) queue.push({ due: now + answer.delayMs, answer });
        return bytes.length;
      },
      sendMany() {
        throw new Error("not used");
      },
      async poll(timeoutMs) {
        if (!open) throw new Error("Cannot receive packets: closed");
        await advance(
          timeoutMs,
          () => Math.min(Infinity, ...queue.map((q) => q.due)),
        );
        const ready = queue.filter((q) => q.due <= now);
        for (const q of ready) queue.splice(queue.indexOf(q), 1);
        const as = (q: typeof ready[number]) => ({
          bytes: q.answer.bytes,
          source: "",
          receivedAt: EPOCH + q.due,
        });
        return {
          tcp: ready.filter((q) => q.answer.icmp !== true).map(as),
          icmp: ready.filter((q) => q.answer.icmp === true).map(as),
        };
      },
      close() {
        if (open) record.receivers.open--;
        open = false;
      },
    };
    if (options.stampDelayMs !== undefined) {
      r.enableTransmitStamps = () => {
        stamps = [];
        return true;
      };
      r.transmitStamps = () => {
        const out = stamps ?? [];
        if (stamps !== undefined) stamps = [];
        return out;
      };
    }
    return r;
  };
  record.net = {
    openRawSocket() {
      throw new Error("the engines use receivers");
    },
    routeSource: (dst) => dst.includes(":") ? "2001:db8::42" : "192.0.2.42",
    resolveHost: (name) =>
      name === "peer.example"
        ? Promise.resolve(["192.0.2.1"])
        : Promise.reject(new Error(`no such host ${name}`)),
    wallClock: () => EPOCH + now,
    openReceiver: () => receiver(),
    openSniffer(options) {
      record.sniffers.opened++;
      record.sniffers.open++;
      record.sniffers.programs.push(options);
      let open = true;
      let received = 0;
      return {
        async poll(timeoutMs) {
          if (!open) throw new Error("closed");
          await advance(
            timeoutMs,
            () => Math.min(Infinity, ...sniffQueue.map((q) => q.due)),
          );
          const ready = sniffQueue.filter((q) => q.due <= now);
          for (const q of ready) sniffQueue.splice(sniffQueue.indexOf(q), 1);
          // The kernel runs the program; so does this fake, with tcpcraft's interpreter.
          const kept = ready.map((q) => q.packet).filter((p) =>
            runBpf(options.program, p.bytes) > 0
          );
          received += kept.length;
          return kept;
        },
        stats() {
          const out = { received, dropped: 0 };
          received = 0;
          return out;
        },
        close() {
          if (open) record.sniffers.open--;
          open = false;
        },
      };
    },
    holdKernelResets(flow) {
      record.holds.taken.push(flow);
      record.holds.held++;
      let released = false;
      return Promise.resolve({
        description: "fake hold",
        release() {
          if (!released) record.holds.held--;
          released = true;
          return Promise.resolve();
        },
      });
    },
  };
  return record;
}
