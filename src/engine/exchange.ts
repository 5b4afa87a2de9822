/**
 * The exchange engine: datagrams sent on receivers and the replies that
 * answer them, matched by {@linkcode ReplyMatcher}. `probe`, `trace` and
 * the library's `sr`/`sr1` all send and match through it, so the rules are
 * written once.
 *
 * - An {@linkcode Exchange} holds one receiver per address family (a raw
 *   TCP socket that sends whole datagrams, and a raw ICMP or ICMPv6
 *   socket), the matcher of the probes waiting for an answer, and the
 *   probes waiting for the kernel's transmit time stamp.
 * - {@linkcode exchangeLoop} is the paced loop on an exchange: probes
 *   pulled from a list when their turn comes, each waited for `timeoutMs`,
 *   retried when asked, reported as events as they happen.
 *
 * How a round-trip time is measured: a probe's `sentAt` is first the wall
 * clock just before the send system call; when the receiver reports the
 * kernel's transmit time stamp for the datagram (`SO_TIMESTAMPING` on
 * Linux: when the driver took it, or when it entered the device's queue),
 * `sentAt` becomes that time, which is what tcpdump sees. A reply's time is
 * the kernel's receive time stamp. So an RTT is the time the packets spent
 * outside the host, not the time tcpcraft took to make the system call.
 *
 * @module
 */

import type {
  NetReceivedBatch,
  NetReceiver,
  NetReceiverOptions,
  ReceiverNet,
} from "../host/net.ts";
import type { AddressFamily } from "../wire/address.ts";
import { read16, read32 } from "../wire/bytes.ts";
import { DecodeError } from "../wire/errors.ts";
import { decodeIp, encodePacket, type TcpPacket } from "../wire/packet.ts";
import { type Probe, type Reply, ReplyMatcher } from "./reply_match.ts";

/** A reply and the datagram it came in. */
export interface MatchedReply {
  /** The reply. */
  reply: Reply;
  /** The whole datagram (TCP, or the ICMP message's). */
  bytes: Uint8Array;
}

/** A probe sent, and its bytes. */
export interface SentProbe {
  /** The probe, as the matcher holds it (`sentAt` set). */
  probe: Probe;
  /** The datagram sent. */
  datagram: Uint8Array;
}

/**
 * Read one batch from a receiver and match it: each reply found is
 * removed from the matcher (so a retransmitted SYN-ACK is not counted
 * twice). Replies come back oldest first.
 *
 * @param receiver The receiver.
 * @param matcher The pending probes.
 * @param family The receiver's family.
 * @param timeoutMs How long to wait for the batch.
 * @returns The replies matched (maybe none), with their datagrams.
 *
 * @example
 * ```ts
 * import { collectReplies, ReplyMatcher } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const receiver = {
 *   send: () => 0, sendMany: () => 0, close() {},
 *   poll: () => Promise.resolve({ tcp: [], icmp: [] }),
 * };
 * assert.deepEqual(await collectReplies(receiver, new ReplyMatcher(), 4, 0), []);
 * ```
 */
export async function collectReplies(
  receiver: NetReceiver,
  matcher: ReplyMatcher,
  family: AddressFamily,
  timeoutMs: number,
): Promise<MatchedReply[]> {
  const batch = await receiver.poll(Math.max(0, Math.ceil(timeoutMs)));
  return matchBatch(batch, matcher, family);
}

function matchBatch(
  batch: NetReceivedBatch,
  matcher: ReplyMatcher,
  family: AddressFamily,
): MatchedReply[] {
  const found: MatchedReply[] = [];
  for (const packet of batch.tcp) {
    const reply = matcher.matchTcp(packet.bytes, packet.receivedAt);
    if (reply === undefined) continue;
    matcher.remove(reply.probe);
    found.push({ reply, bytes: packet.bytes });
  }
  for (const packet of batch.icmp) {
    const reply = matcher.matchIcmp(packet.bytes, packet.receivedAt, family);
    if (reply === undefined) continue;
    matcher.remove(reply.probe);
    found.push({ reply, bytes: packet.bytes });
  }
  return found.sort((a, b) => a.reply.receivedAt - b.reply.receivedAt);
}

/**
 * The key a transmit time stamp is matched to its probe by: family,
 * addresses, ports and sequence number of a TCP datagram.
 *
 * @param datagram An IP datagram carrying TCP.
 * @returns The key, or undefined for anything else.
 *
 * @example
 * ```ts
 * import { encodePacket, makeTcpPacket, transmitKey } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const datagram = encodePacket(makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", srcPort: 40000, dstPort: 80, seq: 7,
 * }));
 * assert.equal(transmitKey(datagram), "192.0.2.42 192.0.2.1 40000 80 7");
 * assert.equal(transmitKey(new Uint8Array([0x45])), undefined);
 * ```
 */
export function transmitKey(datagram: Uint8Array): string | undefined {
  let decoded;
  try {
    decoded = decodeIp(datagram, { lenient: true });
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
  const tcp = decoded.payload;
  if (decoded.protocol !== 6 || decoded.fragment || tcp.length < 8) {
    return undefined;
  }
  return probeKey(
    decoded.ip.src,
    decoded.ip.dst,
    read16(tcp, 0),
    read16(tcp, 2),
    read32(tcp, 4),
  );
}

function probeKey(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  seq: number,
): string {
  return `${src} ${dst} ${srcPort} ${dstPort} ${seq}`;
}

/** Options for {@linkcode Exchange.open}. */
export interface OpenExchangeOptions {
  /** The families to open receivers for now (others open on first use). */
  families?: readonly AddressFamily[];
  /**
   * Options of every receiver (default `{ headerIncluded: true }`: the
   * datagrams sent carry our IP header).
   */
  receiver?: NetReceiverOptions;
}

interface Side {
  family: AddressFamily;
  receiver: NetReceiver;
  stamped: boolean;
  polling: Promise<{ side: Side; batch: NetReceivedBatch }> | undefined;
}

/**
 * Datagrams sent and their replies matched; see the module documentation.
 * Close it when done.
 *
 * @example On a fake network that answers every SYN with a RST
 * ```ts
 * import {
 *   decodePacket, encodePacket, Exchange, makeTcpPacket, TCP_FLAGS,
 * } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let queued: Uint8Array[] = [];
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 1000,
 *   openReceiver: () => ({
 *     send(bytes: Uint8Array) {
 *       const { tcp } = decodePacket(bytes);
 *       queued.push(encodePacket(makeTcpPacket({
 *         src: "192.0.2.1", dst: "192.0.2.42", srcPort: tcp.dstPort, dstPort: tcp.srcPort,
 *         ack: tcp.seq + 1, flags: TCP_FLAGS.rst | TCP_FLAGS.ack,
 *       })));
 *       return bytes.length;
 *     },
 *     sendMany: () => 0,
 *     close() {},
 *     poll() {
 *       const tcp = queued.map((bytes) => ({ bytes, source: "192.0.2.1", receivedAt: 1000.5 }));
 *       queued = [];
 *       return Promise.resolve({ tcp, icmp: [] });
 *     },
 *   }),
 * };
 * const exchange = Exchange.open(net);
 * const packet = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", srcPort: 40000, seq: 9 });
 * const { probe } = exchange.sendPacket(packet, 1);
 * const [answer] = await exchange.poll(0);
 * assert.equal(answer?.reply.probe, probe);
 * assert.equal(answer?.reply.rttMs, 0.5);
 * exchange.close();
 * ```
 */
export class Exchange {
  readonly #net: ReceiverNet;
  readonly #options: NetReceiverOptions;
  readonly #sides = new Map<AddressFamily, Side>();
  readonly #matcher = new ReplyMatcher();
  /** Probes whose kernel transmit time stamp has not come yet, by key. */
  readonly #unstamped = new Map<string, Probe>();
  #closed = false;

  private constructor(net: ReceiverNet, options: NetReceiverOptions) {
    this.#net = net;
    this.#options = options;
  }

  /**
   * Open an exchange, and the receivers of the families asked for.
   *
   * @param net The network.
   * @param options The families to open now, the receivers' options.
   * @returns The exchange.
   * @throws What the network's `openReceiver` throws (no privilege…);
   *   nothing stays open when it throws.
   */
  static open(net: ReceiverNet, options: OpenExchangeOptions = {}): Exchange {
    const exchange = new Exchange(
      net,
      options.receiver ?? { headerIncluded: true },
    );
    try {
      for (const family of options.families ?? []) exchange.#side(family);
    } catch (error) {
      exchange.close();
      throw error;
    }
    return exchange;
  }

  /** How many probes are waiting for an answer. */
  get pending(): number {
    return this.#matcher.pending;
  }

  #side(family: AddressFamily): Side {
    let side = this.#sides.get(family);
    if (side !== undefined) return side;
    if (this.#closed) {
      throw new Error("Cannot send packet: the exchange is closed");
    }
    const receiver = this.#net.openReceiver(family, this.#options);
    let stamped = false;
    try {
      stamped = receiver.enableTransmitStamps?.() ?? false;
    } catch (error) {
      receiver.close();
      throw error;
    }
    side = { family, receiver, stamped, polling: undefined };
    this.#sides.set(family, side);
    return side;
  }

  /**
   * Send a datagram and wait for the replies to the probe it is: the probe
   * is stamped with the wall clock, sent, given to the matcher, and, when
   * the kernel reports the datagram's transmit time, stamped again with it.
   *
   * @param datagram The whole datagram, IP header included.
   * @param probe What the datagram is (its `sentAt` is set here).
   * @returns The probe and its datagram.
   * @throws What the receiver's `send` throws (then nothing waits), and
   *   `RangeError` for a probe the matcher refuses.
   */
  send(datagram: Uint8Array, probe: Probe): SentProbe {
    const side = this.#side(probe.family);
    const key = side.stamped
      ? probeKey(probe.src, probe.dst, probe.srcPort, probe.dstPort, probe.seq)
      : undefined;
    probe.sentAt = this.#net.wallClock();
    side.receiver.send(datagram, probe.dst);
    this.#matcher.add(probe);
    if (key !== undefined) {
      this.#unstamped.set(key, probe);
      this.#applyStamps(side);
    }
    return { probe, datagram };
  }

  /**
   * Send a packet model: encoded, with the probe made from its fields.
   *
   * @param packet The packet.
   * @param id The probe's number, unique among those waiting.
   * @returns The probe and its datagram.
   * @throws {RangeError} For a field the encoder refuses; what `send` throws.
   */
  sendPacket(packet: TcpPacket, id: number): SentProbe {
    return this.send(encodePacket(packet), probeOf(packet, id));
  }

  #applyStamps(side: Side): void {
    if (!side.stamped || this.#unstamped.size === 0) {
      side.receiver.transmitStamps?.();
      return;
    }
    for (const stamp of side.receiver.transmitStamps?.() ?? []) {
      const key = transmitKey(stamp.bytes);
      if (key === undefined) continue;
      const probe = this.#unstamped.get(key);
      if (probe === undefined) continue;
      probe.sentAt = stamp.sentAt;
      // The driver's stamp comes after the queue's and is the one kept.
      if (stamp.stage === "sent") this.#unstamped.delete(key);
    }
  }

  /**
   * Wait up to `timeoutMs` for replies and return those that answer a
   * waiting probe, oldest first; each probe answered stops waiting. With
   * receivers of both families, the first to have something is read (the
   * other's wait goes on and is read by a later call).
   *
   * @param timeoutMs How long to wait.
   * @returns The replies (maybe none).
   */
  async poll(timeoutMs: number): Promise<MatchedReply[]> {
    const sides = [...this.#sides.values()];
    if (sides.length === 0) return [];
    const wait = Math.max(0, Math.ceil(timeoutMs));
    for (const side of sides) {
      this.#applyStamps(side);
      side.polling ??= side.receiver.poll(wait).then((batch) => ({
        side,
        batch,
      }));
    }
    const { side, batch } = await Promise.race(
      sides.map((s) => s.polling!),
    );
    side.polling = undefined;
    for (const s of sides) this.#applyStamps(s);
    const found = matchBatch(batch, this.#matcher, side.family);
    for (const { reply } of found) this.#forgetStamp(reply.probe);
    return found;
  }

  #forgetStamp(probe: Probe): void {
    if (this.#unstamped.size === 0) return;
    const key = probeKey(
      probe.src,
      probe.dst,
      probe.srcPort,
      probe.dstPort,
      probe.seq,
    );
    if (this.#unstamped.get(key) === probe) this.#unstamped.delete(key);
  }

  /**
   * Stop waiting for replies to a probe.
   *
   * @param probe The probe.
   * @returns Whether it was waiting.
   */
  forget(probe: Probe): boolean {
    this.#forgetStamp(probe);
    return this.#matcher.remove(probe);
  }

  /** Close every receiver (idempotent). */
  close(): void {
    this.#closed = true;
    for (const side of this.#sides.values()) {
      side.receiver.close();
      // A wait still under way ends empty or with an error nobody needs.
      side.polling?.catch(() => {});
    }
  }
}

/**
 * The probe a packet model is, for the matcher: addresses, ports, numbers,
 * flags, payload length and TTL.
 *
 * @param packet The packet.
 * @param id The probe's number.
 * @returns The probe (`sentAt` 0 until it is sent).
 *
 * @example
 * ```ts
 * import { makeTcpPacket, probeOf } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const probe = probeOf(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", seq: 5 }), 3);
 * assert.equal(probe.id, 3);
 * assert.equal(probe.seq, 5);
 * assert.equal(probe.dstPort, 80);
 * ```
 */
export function probeOf(packet: TcpPacket, id: number): Probe {
  const { ip, tcp } = packet;
  return {
    id,
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
}
