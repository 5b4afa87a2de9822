/**
 * The conversation engine: TCP probes to one destination and the replies
 * to them, as `probe` (hping3's default mode) and `trace` hold them.
 *
 * - A {@linkcode Conversation} is the open half: an `Exchange`
 *   (`exchange.ts`: a receiver of the network, a raw TCP socket that sends
 *   whole datagrams and a raw ICMP or ICMPv6 socket, and a `ReplyMatcher`
 *   holding the probes waiting for an answer) and the packet model the
 *   probes are made from. It sends a probe ({@linkcode Conversation.send}:
 *   the model with its source port, numbers and TTL replaced, its send time
 *   the kernel's transmit time stamp where the receiver reports one) and
 *   reads replies ({@linkcode Conversation.poll}: matched by addresses,
 *   ports and acknowledgment number, ICMP errors by the header they quote;
 *   each reply found is forgotten, so a retransmitted SYN-ACK counts once).
 * - {@linkcode runProbes} is hping3's loop on a conversation (the exchange
 *   engine's `exchangeLoop`): `count` probes at `intervalMs`, each waited
 *   for `timeoutMs`, reported as events (sent, reply, timeout) while it
 *   runs, and counted at the end with the round-trip times
 *   ({@linkcode rttStatistics}).
 *
 * The network comes in through {@linkcode ReceiverNet}, the clock through
 * {@linkcode Clock}, so all of it runs on a fake network without root.
 *
 * @module
 */

import type { AddressFamily } from "../wire/address.ts";
import { encodePacket, type TcpPacket } from "../wire/packet.ts";
import type { Clock } from "../host/host.ts";
import type { ReceiverNet } from "../host/net.ts";
import { Exchange, type MatchedReply, type SentProbe } from "./exchange.ts";
import { type ExchangeItem, exchangeLoop } from "./exchange_loop.ts";
import {
  cryptoRandom,
  randomPort,
  type RandomSource,
} from "../wire/random_fields.ts";
import {
  EPHEMERAL_PORT_BASE,
  EPHEMERAL_PORT_COUNT,
  random32,
} from "./random.ts";

/** The ports drawn for a random source port, and for a random destination port. */
const SOURCE_PORTS = { min: 1024, max: 0xffff } as const;
const ALL_PORTS = { min: 1, max: 0xffff } as const;
import type { Probe, Reply } from "./reply_match.ts";

/** What changes from one probe of a conversation to the next. */
export interface ProbeFields {
  /** Our port. */
  srcPort: number;
  /** The sequence number. */
  seq: number;
  /** The acknowledgment number. */
  ack: number;
  /** The TTL or hop limit, when it differs from the model's (trace). */
  ttl?: number;
  /** The destination port, when it differs from the model's. */
  dstPort?: number;
  /** IPv4: the identification, when it differs from the model's. */
  id?: number;
}

/**
 * A probe's datagram: the model with its source port, sequence and
 * acknowledgment numbers, and (when given) TTL or hop limit, destination
 * port and IPv4 identification replaced, encoded.
 *
 * @param base The packet model.
 * @param fields What changes from probe to probe.
 * @returns The datagram, IP header included.
 * @throws {RangeError} For a field the encoder refuses.
 *
 * @example
 * ```ts
 * import { decodePacket, makeTcpPacket, probeDatagram } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const base = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * const decoded = decodePacket(probeDatagram(base, { srcPort: 50001, seq: 9, ack: 0, ttl: 3 }));
 * assert.equal(decoded.tcp.srcPort, 50001);
 * assert.equal(decoded.ip.version === 4 && decoded.ip.ttl, 3);
 * ```
 */
export function probeDatagram(
  base: TcpPacket,
  fields: ProbeFields,
): Uint8Array {
  const tcp = {
    ...base.tcp,
    srcPort: fields.srcPort,
    dstPort: fields.dstPort ?? base.tcp.dstPort,
    seq: fields.seq,
    ack: fields.ack,
  };
  if (fields.ttl === undefined && fields.id === undefined) {
    return encodePacket({ ...base, tcp });
  }
  const ttl = fields.ttl;
  const ip = base.ip.version === 4
    ? {
      ...base.ip,
      ...(ttl === undefined ? {} : { ttl }),
      ...(fields.id === undefined ? {} : { id: fields.id }),
    }
    : { ...base.ip, ...(ttl === undefined ? {} : { hopLimit: ttl }) };
  return encodePacket({ ...base, ip, tcp });
}

/**
 * The source port of probe `index` (from 0): `base + index`, wrapping
 * inside 49152..65535 when the base is there, else modulo 65536.
 *
 * @param base The first probe's port.
 * @param index The probe's number, from 0.
 * @returns The port.
 *
 * @example
 * ```ts
 * import { probeSourcePort } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(probeSourcePort(50000, 2), 50002);
 * assert.equal(probeSourcePort(65535, 1), 49152);
 * assert.equal(probeSourcePort(20, 3), 23);
 * ```
 */
export function probeSourcePort(base: number, index: number): number {
  if (base >= EPHEMERAL_PORT_BASE) {
    return EPHEMERAL_PORT_BASE +
      (base - EPHEMERAL_PORT_BASE + index) % EPHEMERAL_PORT_COUNT;
  }
  return (base + index) % 0x1_0000;
}

/** Options for {@linkcode Conversation.open}. */
export interface OpenConversationOptions {
  /**
   * The packet model every probe is made from: its destination is the
   * conversation's, its family the receiver's.
   */
  base: TcpPacket;
}

/**
 * Probes to one destination and the replies to them; see the module
 * documentation. Close it when done.
 *
 * @example On a fake network that answers every SYN with a RST
 * ```ts
 * import {
 *   Conversation, decodePacket, encodePacket, makeTcpPacket, TCP_FLAGS,
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
 *         seq: 0, ack: tcp.seq + 1, flags: TCP_FLAGS.rst | TCP_FLAGS.ack,
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
 * const base = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 22 });
 * const conversation = Conversation.open(net, { base });
 * const { probe } = conversation.send({ srcPort: 50000, seq: 7, ack: 0 }, 1);
 * const [answer] = await conversation.poll(0);
 * assert.equal(answer?.reply.probe, probe);
 * assert.equal(answer?.reply.rttMs, 0.5);
 * conversation.close();
 * ```
 */
export class Conversation {
  /** The destination address, canonical text. */
  readonly destination: string;
  /** The family of the destination and the receiver. */
  readonly family: AddressFamily;
  /** The packet model the probes are made from. */
  readonly base: TcpPacket;
  /** The exchange the probes are sent and matched on. */
  readonly exchange: Exchange;

  private constructor(exchange: Exchange, base: TcpPacket) {
    this.exchange = exchange;
    this.base = base;
    this.destination = base.ip.dst;
    this.family = base.ip.version;
  }

  /**
   * Open the receiver of a conversation: its TCP socket sends whole
   * datagrams (the probes' IP headers, TTL included, are ours).
   *
   * @param net The network.
   * @param options The packet model.
   * @returns The conversation.
   * @throws What the network's `openReceiver` throws (no privilege…).
   */
  static open(
    net: ReceiverNet,
    options: OpenConversationOptions,
  ): Conversation {
    const exchange = Exchange.open(net, {
      families: [options.base.ip.version],
    });
    return new Conversation(exchange, options.base);
  }

  /**
   * The probe made from the model with these fields, and its datagram, not
   * sent yet.
   *
   * @param fields The probe's ports, numbers and TTL.
   * @param id The probe's number, unique among those waiting.
   * @returns The datagram and the probe (`sentAt` 0).
   * @throws {RangeError} For a field the encoder refuses.
   */
  item(fields: ProbeFields, id: number): ExchangeItem {
    const base = this.base;
    const probe: Probe = {
      id,
      family: this.family,
      src: base.ip.src,
      dst: base.ip.dst,
      srcPort: fields.srcPort,
      dstPort: fields.dstPort ?? base.tcp.dstPort,
      seq: fields.seq,
      ack: fields.ack,
      flags: base.tcp.flags,
      payloadLength: base.tcp.payload.length,
      sentAt: 0,
    };
    if (fields.ttl !== undefined) probe.ttl = fields.ttl;
    return { datagram: probeDatagram(base, fields), probe };
  }

  /**
   * Send a probe made from the model and wait for its replies: the
   * datagram is built, stamped with the wall clock, sent, and the probe
   * given to the matcher; where the receiver reports the kernel's transmit
   * time stamp, the probe's `sentAt` becomes it.
   *
   * @param fields The probe's ports, numbers and TTL.
   * @param id The probe's number, unique among those waiting.
   * @returns The probe and its datagram.
   * @throws What the receiver's `send` throws (then nothing waits).
   */
  send(fields: ProbeFields, id: number): SentProbe {
    const { datagram, probe } = this.item(fields, id);
    return this.exchange.send(datagram, probe);
  }

  /**
   * Wait up to `timeoutMs` for replies and return those that answer a
   * waiting probe, oldest first; each probe answered stops waiting.
   *
   * @param timeoutMs How long to wait.
   * @returns The replies (maybe none).
   */
  poll(timeoutMs: number): Promise<MatchedReply[]> {
    return this.exchange.poll(timeoutMs);
  }

  /**
   * Stop waiting for replies to a probe.
   *
   * @param probe The probe.
   * @returns Whether it was waiting.
   */
  forget(probe: Probe): boolean {
    return this.exchange.forget(probe);
  }

  /** Close the receiver (idempotent). */
  close(): void {
    this.exchange.close();
  }
}

/** Round-trip time statistics over a set of samples, in milliseconds. */
export interface RttStatistics {
  /** How many samples. */
  count: number;
  /** The smallest. */
  min: number;
  /** The mean. */
  avg: number;
  /** The largest. */
  max: number;
  /** The median (nearest rank). */
  p50: number;
  /** The 90th percentile (nearest rank). */
  p90: number;
  /** The 99th percentile (nearest rank). */
  p99: number;
}

/**
 * Statistics of round-trip times: min, mean, max, and the 50th, 90th and
 * 99th percentiles by the nearest-rank method (the p-th percentile of n
 * sorted samples is the sample of rank ⌈p·n/100⌉).
 *
 * @param samples The RTTs in milliseconds, any order.
 * @returns The statistics, or undefined when there are none.
 *
 * @example
 * ```ts
 * import { rttStatistics } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(rttStatistics([4, 1, 3, 2]), {
 *   count: 4, min: 1, avg: 2.5, max: 4, p50: 2, p90: 4, p99: 4,
 * });
 * assert.equal(rttStatistics([]), undefined);
 * ```
 */
export function rttStatistics(
  samples: readonly number[],
): RttStatistics | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
  let sum = 0;
  for (const sample of sorted) sum += sample;
  return {
    count: sorted.length,
    min: sorted[0]!,
    avg: sum / sorted.length,
    max: sorted[sorted.length - 1]!,
    p50: rank(50),
    p90: rank(90),
    p99: rank(99),
  };
}

/** Options for {@linkcode runProbes}. */
export interface RunProbesOptions {
  /** The monotonic clock the interval and timeouts run on. */
  clock: Pick<Clock, "now">;
  /** Probes to send; 0 sends until `signal` aborts. */
  count: number;
  /** Time between probes, ms. */
  intervalMs: number;
  /** How long each probe waits for its reply, ms. */
  timeoutMs: number;
  /**
   * The source port of every probe; when absent, probe `i` leaves from
   * {@linkcode probeSourcePort}`(sportBase, i)`.
   */
  sport?: number;
  /** The first source port when `sport` is absent. */
  sportBase: number;
  /** The sequence number of every probe (default: random per probe). */
  seq?: number;
  /**
   * Give each probe a random acknowledgment number instead of the model's
   * (for probes with ACK set and no number asked for: a RST echoes it).
   */
  randomAck?: boolean;
  /** Give each probe a random source port (1024..65535), instead of `sport` or the stepped one. */
  randomSourcePort?: boolean;
  /** Give each probe a random destination port (1..65535). */
  randomDestinationPort?: boolean;
  /** Add this to the model's destination port per probe, modulo 65536 (probe `i` gets `i` times it). */
  dportStep?: number;
  /** IPv4: give each probe a random identification. */
  randomId?: boolean;
  /**
   * Where the random values (sequence and acknowledgment numbers, the
   * fields above) come from, in probe order (default: crypto-strength
   * values); a `SeededRandom` gives the same probes again.
   */
  random?: RandomSource;
  /** Stops the run: probes still waiting count as sent, not answered. */
  signal?: AbortSignal;
}

/**
 * The fields of probe `i` the options ask for, drawn in one order per
 * probe: source port, destination port, sequence, acknowledgment,
 * identification.
 */
function probeFieldsOf(
  options: RunProbesOptions,
  model: { dstPort: number; ack: number },
): (i: number) => ProbeFields {
  const random = options.random;
  // Without a source, the numbers are crypto-strength, one call each.
  const draw32 = random === undefined ? random32 : () => random.next32();
  const ports = random ?? cryptoRandom();
  const step = options.dportStep ?? 0;
  return (i) => {
    const fields: ProbeFields = {
      srcPort: options.randomSourcePort === true
        ? randomPort(ports, SOURCE_PORTS)
        : options.sport ?? probeSourcePort(options.sportBase, i),
      seq: 0,
      ack: 0,
    };
    if (options.randomDestinationPort === true) {
      fields.dstPort = randomPort(ports, ALL_PORTS);
    } else if (step !== 0) {
      fields.dstPort = (((model.dstPort + i * step) % 0x1_0000) + 0x1_0000) %
        0x1_0000;
    }
    fields.seq = options.seq ?? draw32();
    fields.ack = options.randomAck === true ? draw32() : model.ack;
    if (options.randomId === true) fields.id = draw32() >>> 16;
    return fields;
  };
}

/** What happens during {@linkcode runProbes}, as it happens. */
export type ProbeEvent =
  | {
    /** A probe went out (`index` from 0). */
    kind: "sent";
    /** The probe. */
    probe: Probe;
    /** Its datagram. */
    datagram: Uint8Array;
    /** How many were sent before it. */
    index: number;
  }
  | {
    /** A reply (TCP, or an ICMP error) to a probe arrived in time. */
    kind: "reply";
    /** The reply. */
    reply: Reply;
    /** The datagram it came in. */
    bytes: Uint8Array;
  }
  | {
    /** A probe went unanswered for `timeoutMs`. */
    kind: "timeout";
    /** The probe. */
    probe: Probe;
    /** How long it waited, ms. */
    timeoutMs: number;
  };

/** How {@linkcode runProbes} ended. */
export interface ProbesOutcome {
  /** Probes sent. */
  sent: number;
  /** TCP replies received in time. */
  received: number;
  /** ICMP errors about the probes received in time. */
  icmpErrors: number;
  /** The round-trip times of the TCP replies, ms, in arrival order. */
  rtts: number[];
  /** Whether `signal` stopped the run. */
  interrupted: boolean;
  /** What a failed send threw; the run stopped there. */
  failure?: { error: unknown };
}

/**
 * hping3's loop on an open conversation: probe `i` goes out at
 * `start + i × intervalMs`, with its own source port (unless `sport`),
 * sequence number (random unless `seq`) and acknowledgment number, and
 * the random or stepped destination port and IPv4 ID asked for; replies
 * are reported as they arrive, probes unanswered after `timeoutMs` as
 * timeouts; the run ends when every probe is sent and settled, a send
 * fails, or `signal` aborts. Each wait lasts at most 200 ms, so an abort is
 * noticed soon. `onEvent` is awaited before the run goes on.
 *
 * @param conversation The open conversation (closed by the caller).
 * @param options Count, pacing, timeouts, numbering, clock and signal.
 * @param onEvent Called for each probe sent, reply and timeout.
 * @returns The counts and round-trip times.
 *
 * @example Two probes into silence, on a virtual clock
 * ```ts
 * import { Conversation, makeTcpPacket, runProbes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => now,
 *   openReceiver: () => ({
 *     send: (bytes: Uint8Array) => bytes.length,
 *     sendMany: () => 0,
 *     close() {},
 *     poll(timeoutMs: number) {
 *       now += timeoutMs;
 *       return Promise.resolve({ tcp: [], icmp: [] });
 *     },
 *   }),
 * };
 * const base = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * const conversation = Conversation.open(net, { base });
 * const events: string[] = [];
 * const outcome = await runProbes(conversation, {
 *   clock: { now: () => now }, count: 2, intervalMs: 10, timeoutMs: 50, sportBase: 50000,
 * }, (event) => {
 *   events.push(`${now} ${event.kind}`);
 * });
 * conversation.close();
 * assert.deepEqual(events, ["0 sent", "10 sent", "50 timeout", "60 timeout"]);
 * assert.equal(outcome.sent, 2);
 * assert.equal(outcome.received, 0);
 * ```
 */
export async function runProbes(
  conversation: Conversation,
  options: RunProbesOptions,
  onEvent: (event: ProbeEvent) => void | Promise<void>,
): Promise<ProbesOutcome> {
  const { count, signal } = options;
  const base = conversation.base;
  const outcome: ProbesOutcome = {
    sent: 0,
    received: 0,
    icmpErrors: 0,
    rtts: [],
    interrupted: false,
  };
  // A probe the encoder refuses ends the list; it is the run's failure.
  let refused: { error: unknown } | undefined;
  const fieldsOf = probeFieldsOf(options, base.tcp);
  function* probes(): Generator<ExchangeItem> {
    for (let i = 0; count === 0 || i < count; i++) {
      let item;
      try {
        item = conversation.item(fieldsOf(i), i);
      } catch (error) {
        refused = { error };
        return;
      }
      yield item;
    }
  }
  const events = exchangeLoop(conversation.exchange, probes(), {
    clock: options.clock,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    ...(signal === undefined ? {} : { signal }),
  });
  for await (const event of events) {
    if (event.kind === "failure") {
      outcome.failure = { error: event.error };
      break;
    }
    if (event.kind === "sent") {
      const { probe, datagram, index } = event;
      await onEvent({ kind: "sent", probe, datagram, index });
      outcome.sent++;
    } else if (event.kind === "timeout") {
      await onEvent({
        kind: "timeout",
        probe: event.probe,
        timeoutMs: event.timeoutMs,
      });
    } else {
      const { reply, bytes } = event;
      if (reply.kind === "tcp") {
        outcome.received++;
        outcome.rtts.push(reply.rttMs);
      } else {
        outcome.icmpErrors++;
      }
      await onEvent({ kind: "reply", reply, bytes });
    }
  }
  if (refused !== undefined) outcome.failure ??= refused;
  outcome.interrupted = signal?.aborted === true;
  return outcome;
}
