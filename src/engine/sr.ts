/**
 * Send and receive in one call, as scapy's `sr` and `sr1` do, on the
 * exchange engine (the one `probe` and `trace` use, so the matching rules
 * are theirs: addresses, ports and acknowledgment number; a RST to an ACK
 * probe by its sequence number; ICMP errors by the header they quote).
 *
 * - {@linkcode exchangePackets}: many packets (an array or an async
 *   iterable), paced by `rate`; each answer is yielded as it matches, then
 *   every packet left unanswered.
 * - {@linkcode exchangeOne}: one packet; its answer, or `undefined` after
 *   the timeout (and the retries).
 *
 * A packet is a packet init as `makeTcpPacket` takes it, with `src`
 * optional (the address the kernel routes from is filled in), a packet
 * model, or encoded bytes (a whole IPv4 or IPv6 datagram carrying TCP).
 * tcpcraft writes the IP header, so every field is what is sent. RTTs run
 * from the kernel's transmit time stamp where the network reports it (see
 * `exchange.ts`) to the kernel's receive time stamp.
 *
 * The network comes in as a parameter; `ffi/mod.ts` has `sr` and `sr1`
 * with the real one.
 *
 * @module
 */

import type { Clock } from "../host/host.ts";
import type { ReceiverNet } from "../host/net.ts";
import { DecodeError } from "../wire/errors.ts";
import {
  type DecodedTcpPacket,
  decodePacket,
  encodePacket,
  makeTcpPacket,
  type TcpPacket,
  type TcpPacketInit,
} from "../wire/packet.ts";
import { Exchange } from "./exchange.ts";
import { type ExchangeItem, exchangeLoop } from "./exchange_loop.ts";
import type { IcmpReply, Probe } from "./reply_match.ts";

/** A packet init as `makeTcpPacket` takes it, with the source optional. */
export type SrPacketInit = Omit<TcpPacketInit, "src"> & {
  /** Source address (default: the one the kernel routes `dst` from). */
  src?: string | undefined;
};

/** What `sr` and `sr1` send: an init, a packet model, or a whole datagram. */
export type SrPacket = SrPacketInit | TcpPacket | Uint8Array;

/** Options for {@linkcode exchangePackets} and {@linkcode exchangeOne}. */
export interface SrOptions {
  /** How long each packet waits for its answer, ms (positive; default 1000). */
  timeoutMs?: number;
  /** Times an unanswered packet is sent again (default 0). */
  retries?: number;
  /** Packets a second, at most (positive; default: as fast as possible). */
  rate?: number;
  /**
   * Stops the exchange. `sr1` rejects with its reason; `sr` ends, listing
   * the packets still unanswered. Already aborted: nothing is sent, and
   * both reject with its reason.
   */
  signal?: AbortSignal;
  /** The monotonic clock pacing and timeouts run on (default `performance`). */
  clock?: Pick<Clock, "now">;
}

/** A packet as it was sent. */
export interface SrSent {
  /** Its place in the list, from 0. */
  index: number;
  /** The datagram. */
  bytes: Uint8Array;
  /** The datagram, decoded. */
  packet: DecodedTcpPacket;
  /** When it left (the last time it was sent), epoch ms. */
  sentAt: number;
  /** How many times it was sent. */
  attempts: number;
}

/** An answer: a TCP packet, or an ICMP error that quotes the packet sent. */
export type SrAnswer =
  | {
    /** A TCP reply. */
    kind: "tcp";
    /** The reply, as `decodePacket` returns it (lenient). */
    reply: DecodedTcpPacket;
    /** The reply's datagram. */
    bytes: Uint8Array;
    /** Round-trip time, ms. */
    rttMs: number;
    /** The kernel's receive time, epoch ms. */
    receivedAt: number;
    /** The packet it answers. */
    sent: SrSent;
  }
  | {
    /** An ICMP or ICMPv6 error about the packet. */
    kind: "icmp";
    /** The error: type, code, what it says, who sent it. */
    reply: IcmpReply;
    /** The ICMP message's datagram. */
    bytes: Uint8Array;
    /** Round-trip time, ms. */
    rttMs: number;
    /** The kernel's receive time, epoch ms. */
    receivedAt: number;
    /** The packet it is about. */
    sent: SrSent;
  };

/** What {@linkcode exchangePackets} yields: answers, then the unanswered. */
export type SrResult = SrAnswer | {
  /** No answer came. */
  kind: "unanswered";
  /** The packet. */
  sent: SrSent;
};

/** The receive buffer of an exchange's sockets: room for a burst of answers. */
const RECEIVE_BUFFER = 4 << 20;

function fail(reason: string): never {
  throw new RangeError(`Cannot send and receive: ${reason}`);
}

function checkOptions(options: SrOptions): void {
  const { timeoutMs, retries, rate } = options;
  if (
    timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
  ) {
    fail(`timeoutMs ${timeoutMs} is not a positive number of milliseconds`);
  }
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) {
    fail(`retries ${retries} is not an integer from 0`);
  }
  if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0)) {
    fail(`rate ${rate} is not a positive number of packets a second`);
  }
  options.signal?.throwIfAborted();
}

async function model(net: ReceiverNet, init: SrPacketInit): Promise<TcpPacket> {
  let dst = init.dst;
  // A name (no colon, not only digits and dots) is resolved as the system does.
  if (!dst.includes(":") && !/^[0-9.]+$/.test(dst)) {
    const [first] = await net.resolveHost(dst);
    if (first === undefined) fail(`${dst} has no address`);
    dst = first;
  }
  const src = init.src ?? net.routeSource(dst);
  return makeTcpPacket({ ...init, src, dst });
}

/**
 * The datagram a packet is, and what it is for the matcher.
 *
 * @param net The network (for the routed source and names).
 * @param packet The packet.
 * @param index Its place in the list (the probe's id).
 * @returns The datagram and the probe.
 * @throws {RangeError} For a field the encoder refuses, or bytes that are
 *   not an IP datagram carrying TCP.
 * @throws {ParseError} For an address that does not parse.
 */
async function prepare(
  net: ReceiverNet,
  packet: SrPacket,
  index: number,
): Promise<ExchangeItem & { decoded: DecodedTcpPacket }> {
  let bytes: Uint8Array;
  if (packet instanceof Uint8Array) bytes = packet;
  else if ("ip" in packet && "tcp" in packet) bytes = encodePacket(packet);
  else bytes = encodePacket(await model(net, packet));
  let decoded: DecodedTcpPacket;
  try {
    decoded = decodePacket(bytes, { lenient: true });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    fail(
      `packet ${index} is not an IP datagram carrying TCP (${error.message})`,
    );
  }
  const { ip, tcp } = decoded;
  const probe: Probe = {
    id: index,
    family: ip.version,
    src: ip.src,
    dst: ip.dst,
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags: tcp.flags,
    payloadLength: tcp.payload.length,
    ttl: ip.version === 4 ? ip.ttl : ip.hopLimit,
    sentAt: 0,
  };
  return { datagram: bytes, probe, decoded };
}

async function* items(
  net: ReceiverNet,
  packets: Iterable<SrPacket> | AsyncIterable<SrPacket>,
  decoded: Map<number, DecodedTcpPacket>,
): AsyncGenerator<ExchangeItem> {
  let index = 0;
  for await (const packet of packets) {
    const item = await prepare(net, packet, index);
    decoded.set(index++, item.decoded);
    yield { datagram: item.datagram, probe: item.probe };
  }
}

/**
 * Send packets and yield each answer as it matches, then each packet left
 * unanswered (in the order sent); see the module documentation. The
 * receivers (one per family used) are opened on the first packet of their
 * family and closed at the end, or when the caller stops iterating.
 *
 * @param net The network, with receivers.
 * @param packets The packets, in order.
 * @param options Timeout, retries, rate, signal.
 * @returns The answers, then the unanswered.
 * @throws {RangeError} For options out of range, a packet that cannot be
 *   encoded or is not TCP (the packets before it were sent).
 * @throws What the network throws (no privilege, a send the kernel refuses).
 *
 * @example On a fake network whose peer answers port 80 and ignores port 81
 * ```ts
 * import { decodePacket, encodePacket, exchangePackets, makeTcpPacket, TCP_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let queued: Uint8Array[] = [];
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openReceiver: () => ({
 *     send(bytes: Uint8Array) {
 *       const { tcp } = decodePacket(bytes);
 *       if (tcp.dstPort === 80) {
 *         queued.push(encodePacket(makeTcpPacket({
 *           src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, dstPort: tcp.srcPort,
 *           ack: tcp.seq + 1, flags: TCP_FLAGS.syn | TCP_FLAGS.ack,
 *         })));
 *       }
 *       return bytes.length;
 *     },
 *     sendMany: () => 0,
 *     close() {},
 *     poll() {
 *       const tcp = queued.map((bytes) => ({ bytes, source: "192.0.2.1", receivedAt: 0.25 }));
 *       queued = [];
 *       return Promise.resolve({ tcp, icmp: [] });
 *     },
 *   }),
 * };
 * const results = [];
 * for await (const result of exchangePackets(net, [
 *   { dst: "192.0.2.1", srcPort: 40000, dstPort: 80 },
 *   { dst: "192.0.2.1", srcPort: 40001, dstPort: 81 },
 * ], { timeoutMs: 10 })) {
 *   results.push(`${result.kind} ${result.sent.packet.tcp.dstPort}`);
 * }
 * assert.deepEqual(results, ["tcp 80", "unanswered 81"]);
 * ```
 */
export async function* exchangePackets(
  net: ReceiverNet,
  packets: Iterable<SrPacket> | AsyncIterable<SrPacket>,
  options: SrOptions = {},
): AsyncGenerator<SrResult, void, undefined> {
  checkOptions(options);
  const exchange = Exchange.open(net, {
    receiver: { headerIncluded: true, receiveBufferBytes: RECEIVE_BUFFER },
  });
  const decoded = new Map<number, DecodedTcpPacket>();
  /** Packets sent and not answered, by index. */
  const open = new Map<number, SrSent>();
  try {
    const events = exchangeLoop(exchange, items(net, packets, decoded), {
      clock: options.clock ?? performance,
      intervalMs: options.rate === undefined ? 0 : 1000 / options.rate,
      timeoutMs: options.timeoutMs ?? 1000,
      retries: options.retries ?? 0,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    for await (const event of events) {
      if (event.kind === "failure") throw event.error;
      if (event.kind === "sent") {
        const known = open.get(event.index);
        if (known !== undefined) {
          known.sentAt = event.probe.sentAt;
          known.attempts++;
        } else {
          open.set(event.index, {
            index: event.index,
            bytes: event.datagram,
            packet: decoded.get(event.index)!,
            sentAt: event.probe.sentAt,
            attempts: 1,
          });
          decoded.delete(event.index);
        }
      } else if (event.kind === "reply") {
        const sent = open.get(event.index)!;
        open.delete(event.index);
        sent.sentAt = event.reply.probe.sentAt;
        const { reply, bytes } = event;
        const common = {
          bytes,
          rttMs: reply.rttMs,
          receivedAt: reply.receivedAt,
          sent,
        };
        yield reply.kind === "tcp"
          ? { kind: "tcp", reply: reply.packet, ...common }
          : { kind: "icmp", reply, ...common };
      }
    }
    const left = [...open.values()].sort((a, b) => a.index - b.index);
    for (const sent of left) yield { kind: "unanswered", sent };
  } finally {
    exchange.close();
  }
}

/**
 * Send one packet and resolve to its answer (a TCP reply, or an ICMP error
 * that quotes it), or to `undefined` when none came within `timeoutMs`
 * (after `retries` more sends). See the module documentation.
 *
 * @param net The network, with receivers.
 * @param packet The packet.
 * @param options Timeout, retries, signal.
 * @returns The answer, or undefined.
 * @throws {RangeError} For options out of range, or a packet that cannot
 *   be encoded or is not TCP (nothing is sent).
 * @throws The signal's reason when it aborts (the socket is closed).
 * @throws What the network throws (no privilege, a send the kernel refuses).
 *
 * @example On a fake network where nothing answers
 * ```ts
 * import { exchangeOne } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let closed = 0;
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openReceiver: () => ({
 *     send: (bytes: Uint8Array) => bytes.length,
 *     sendMany: () => 0,
 *     close() { closed++; },
 *     poll: (ms: number) => new Promise<{ tcp: never[]; icmp: never[] }>((resolve) =>
 *       setTimeout(() => resolve({ tcp: [], icmp: [] }), ms)),
 *   }),
 * };
 * assert.equal(await exchangeOne(net, { dst: "192.0.2.1", dstPort: 22 }, { timeoutMs: 20 }), undefined);
 * assert.equal(closed, 1);
 * await assert.rejects(exchangeOne(net, { dst: "192.0.2.1" }, { timeoutMs: 0 }), /timeoutMs 0/);
 * ```
 */
export async function exchangeOne(
  net: ReceiverNet,
  packet: SrPacket,
  options: Omit<SrOptions, "rate"> = {},
): Promise<SrAnswer | undefined> {
  const signal = options.signal;
  for await (const result of exchangePackets(net, [packet], options)) {
    signal?.throwIfAborted();
    return result.kind === "unanswered" ? undefined : result;
  }
  signal?.throwIfAborted();
  return undefined;
}
