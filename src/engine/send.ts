/**
 * The send engine: many packets made from one, sent over a raw socket at a
 * pace, as `send` (and hping3's flood) sends them.
 *
 * - A {@linkcode PacketSeries} makes the packets: the first encoded once,
 *   each next one a copy with the source port, sequence number and
 *   destination port stepped and the random fields drawn (addresses from a
 *   block, ports, sequence and acknowledgment numbers, the IPv4 ID; a
 *   `SeededRandom` draws the same packets again), in place, the checksums
 *   adjusted incrementally (RFC 1624).
 * - {@linkcode sendPackets} sends them: packet `i` leaves at
 *   `start + i × intervalMs`; when the clock is behind, the packets due go
 *   out together in one `sendMany` call; with no interval (a flood) they go
 *   in batches of {@linkcode SEND_BATCH}, one system call each.
 * - A flood on a socket with send slots (`NetRawSocket.openSendRing`) and
 *   nobody watching each packet (no `onSent`), of a series whose packets
 *   are one template stepped in place, takes the fast path: the
 *   packets are written into {@linkcode RING_BATCH} slots once, and each
 *   batch is one `sendmmsg` of the slots after stepping each slot on in
 *   place (steps and random draws; RFC 1624 checksum updates), with
 *   nothing allocated per packet. A series that draws destinations sends
 *   each packet to the address in its own IP header (header-included
 *   sockets only): the send slots are opened `"per-slot"`, and off the
 *   fast path each packet is one `send`.
 *
 * The socket comes in through {@linkcode NetRawSocket}, the clock through
 * {@linkcode Clock}.
 *
 * @module
 */

import { formatAddress } from "../wire/address.ts";
import { encodePacket, type TcpPacket } from "../wire/packet.ts";
import { tcpHeaderLength, TcpHeaderView } from "../wire/tcp.ts";
import {
  type FieldDraws,
  type PacketSeriesOptions,
  seriesDraws,
  stepWord,
} from "./_packet_fields.ts";
import type { Clock } from "../host/host.ts";
import type { NetRawSocket, NetSendRing } from "../host/net.ts";
import { whenAborted } from "./_abort.ts";
import { eventLoopTurns } from "./_turn.ts";

/** The most packets handed to the kernel in one `sendMany` call. */
export const SEND_BATCH = 1024;

/** The packets of one `sendmmsg` on the fast path (as the C baselines). */
export const RING_BATCH = 256;

function modulo(value: number, base: number): number {
  return ((value % base) + base) % base;
}

/**
 * Add `dPort` to a segment's source port and `dSeq` to its sequence number
 * (both already reduced modulo 2^16 and 2^32), in place, adjusting the
 * checksum for the three 16-bit words that change (RFC 1624, eqn. 3:
 * `HC' = ~(~HC + ~m + m')`) unless it is fixed.
 */
function stepSegment(
  b: Uint8Array,
  t: number,
  dPort: number,
  dSeq: number,
  fixed: boolean,
): void {
  const port = (b[t]! << 8) | b[t + 1]!;
  const seqHigh = (b[t + 4]! << 8) | b[t + 5]!;
  const seqLow = (b[t + 6]! << 8) | b[t + 7]!;
  const nextPort = (port + dPort) & 0xffff;
  const nextSeq = ((seqHigh * 0x10000 + seqLow + dSeq) % 0x1_0000_0000) >>> 0;
  const nextHigh = nextSeq >>> 16;
  const nextLow = nextSeq & 0xffff;
  b[t] = nextPort >>> 8;
  b[t + 1] = nextPort & 0xff;
  b[t + 4] = nextHigh >>> 8;
  b[t + 5] = nextHigh & 0xff;
  b[t + 6] = nextLow >>> 8;
  b[t + 7] = nextLow & 0xff;
  if (fixed) return;
  let sum = (~((b[t + 16]! << 8) | b[t + 17]!) & 0xffff) +
    (~port & 0xffff) + nextPort + (~seqHigh & 0xffff) + nextHigh +
    (~seqLow & 0xffff) + nextLow;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  b[t + 16] = check >>> 8;
  b[t + 17] = check & 0xff;
}

export type { DrawnPortRange, PacketSeriesOptions } from "./_packet_fields.ts";

/**
 * The packets of one run: the first encoded once, each next one a copy with
 * the stepped fields (source port, sequence number, destination port)
 * moved on and the random fields drawn, in place, the checksums adjusted
 * incrementally (RFC 1624) unless the model sets them. Steps wrap modulo
 * 2^16 and 2^32 (negative steps allowed). Without steps or random fields
 * every packet is the same bytes. Random fields are drawn in the order the
 * packets are made, by `next()` or by `fill()` and `advance()`, so a seeded
 * series gives the same packets either way.
 *
 * @example Steps
 * ```ts
 * import { decodePacket, makeTcpPacket, PacketSeries, verifyPacketChecksums } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const series = new PacketSeries(
 *   makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", srcPort: 65535 }),
 *   { sportStep: 1, seqStep: -1 },
 * );
 * const [first, second] = series.take(2);
 * assert.equal(decodePacket(first!).tcp.srcPort, 65535);
 * assert.equal(decodePacket(second!).tcp.srcPort, 0);
 * assert.equal(decodePacket(second!).tcp.seq, 0xffffffff);
 * assert.ok(verifyPacketChecksums(second!).tcp);
 * ```
 *
 * @example Random sources from a block, seeded
 * ```ts
 * import {
 *   decodePacket, makeTcpPacket, PacketSeries, parseCidr, SeededRandom, verifyPacketChecksums,
 * } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const draw = () =>
 *   new PacketSeries(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }), {
 *     randomSource: parseCidr("10.9.0.0/16"), randomSourcePort: true, random: new SeededRandom(7),
 *   }).take(3);
 * const packets = draw();
 * assert.deepEqual(packets, draw());
 * for (const bytes of packets) {
 *   assert.ok(decodePacket(bytes).ip.src.startsWith("10.9."));
 *   assert.deepEqual(verifyPacketChecksums(bytes), { ip: true, tcp: true });
 * }
 * ```
 */
export class PacketSeries {
  /** Where the TCP segment starts in each datagram. */
  readonly tcpOffset: number;
  readonly #template: Uint8Array;
  readonly #sportStep: number;
  readonly #seqStep: number;
  readonly #dportStep: number;
  readonly #fixedChecksum: boolean;
  readonly #draws: FieldDraws | undefined;
  readonly #perPacketDestination: boolean;
  #sport: number;
  #seq: number;
  #index = 0;

  /**
   * Encode the first packet.
   *
   * @param first The first packet (its drawn fields are drawn for it too).
   * @param options The steps and random fields (default none).
   * @throws {RangeError} For a field the encoder refuses, a field both
   *   stepped and random, a block of the other family, an identification
   *   asked of IPv6, or random destinations where the TCP checksum covers
   *   a source route's final destination.
   */
  constructor(first: TcpPacket, options: PacketSeriesOptions = {}) {
    this.#template = encodePacket(first);
    this.tcpOffset = this.#template.length -
      (tcpHeaderLength(first.tcp) + first.tcp.payload.length);
    this.#sportStep = options.sportStep ?? 0;
    this.#seqStep = options.seqStep ?? 0;
    this.#dportStep = modulo(options.dportStep ?? 0, 0x1_0000);
    this.#fixedChecksum = first.tcp.checksum !== undefined;
    this.#draws = seriesDraws(first, this.tcpOffset, options);
    this.#perPacketDestination = options.randomDestination !== undefined;
    this.#sport = first.tcp.srcPort;
    this.#seq = first.tcp.seq;
  }

  /**
   * The next packet's IP datagram (do not change it: it may be shared).
   *
   * @returns The datagram.
   */
  next(): Uint8Array {
    const index = this.#index++;
    if (!this.varies || (index === 0 && this.#draws === undefined)) {
      return this.#template;
    }
    const datagram = this.#template.slice();
    if (index > 0 && (this.#sportStep !== 0 || this.#seqStep !== 0)) {
      this.#sport = modulo(this.#sport + this.#sportStep, 0x1_0000);
      this.#seq = modulo(this.#seq + this.#seqStep, 0x1_0000_0000);
      const view = new TcpHeaderView(datagram, this.tcpOffset);
      if (this.#fixedChecksum) {
        view.srcPort = this.#sport;
        view.seq = this.#seq;
      } else {
        view.patch({ srcPort: this.#sport, seq: this.#seq });
      }
    }
    if (index > 0 && this.#dportStep !== 0) {
      this.#stepDport(datagram, modulo(index * this.#dportStep, 0x1_0000));
    }
    this.#draws?.apply(datagram);
    return datagram;
  }

  /** The length of every datagram. */
  get length(): number {
    return this.#template.length;
  }

  /** Whether a step is set (the packets differ). */
  get stepped(): boolean {
    return this.#sportStep !== 0 || this.#seqStep !== 0 ||
      this.#dportStep !== 0;
  }

  /**
   * Whether `fill()` and `advance()` make this series' packets, each
   * {@linkcode PacketSeries.length} bytes: the condition of the flood's
   * fast path. A subclass whose `next()` hands out datagrams of their own
   * (a packet's fragments) says false, and is sent by `next()`.
   */
  get slotted(): boolean {
    return true;
  }

  /** Whether the packets differ: a step is set or a field is drawn. */
  get varies(): boolean {
    return this.stepped || this.#draws !== undefined;
  }

  /**
   * Whether destinations are drawn: each packet goes to the address in its
   * own IP header, which only a header-included socket sends it to.
   */
  get perPacketDestination(): boolean {
    return this.#perPacketDestination;
  }

  /**
   * Write the next `slots.length` packets into the slots, in place (the
   * fast path's start), as `next()` would give them.
   *
   * @param slots At least {@linkcode PacketSeries.length} bytes each.
   */
  fill(slots: readonly Uint8Array[]): void {
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      slot.set(this.#template);
      if (this.#index + i > 0) this.#step(slot, this.#index + i);
      this.#draws?.apply(slot);
    }
  }

  /**
   * Move the first `count` slots on by `by` packets each, in place (the
   * fast path after each batch): the stepped fields advance and each slot's
   * random fields are drawn anew, in slot order; the checksums are updated
   * incrementally (RFC 1624, eqn. 3). With `by` equal to the slots filled,
   * the slots hold the packets `next()` would give next.
   *
   * @param slots The slots, as {@linkcode PacketSeries.fill} wrote them.
   * @param count How many to move on.
   * @param by How many packets on.
   */
  advance(slots: readonly Uint8Array[], count: number, by: number): void {
    if (!this.varies) return;
    const t = this.tcpOffset;
    const fixed = this.#fixedChecksum;
    if (this.#sportStep !== 0 || this.#seqStep !== 0) {
      const dPort = modulo(by * this.#sportStep, 0x1_0000);
      const dSeq = modulo(by * this.#seqStep, 0x1_0000_0000);
      for (let i = 0; i < count; i++) {
        stepSegment(slots[i]!, t, dPort, dSeq, fixed);
      }
    }
    if (this.#dportStep !== 0) {
      const dDport = modulo(by * this.#dportStep, 0x1_0000);
      for (let i = 0; i < count; i++) this.#stepDport(slots[i]!, dDport);
    }
    const draws = this.#draws;
    if (draws !== undefined) {
      for (let i = 0; i < count; i++) draws.apply(slots[i]!);
    }
  }

  /** Move a template copy to packet `index`. */
  #step(slot: Uint8Array, index: number): void {
    stepSegment(
      slot,
      this.tcpOffset,
      modulo(index * this.#sportStep, 0x1_0000),
      modulo(index * this.#seqStep, 0x1_0000_0000),
      this.#fixedChecksum,
    );
    if (this.#dportStep !== 0) {
      this.#stepDport(slot, modulo(index * this.#dportStep, 0x1_0000));
    }
  }

  /** Add `d` (modulo 2^16) to a datagram's destination port. */
  #stepDport(datagram: Uint8Array, d: number): void {
    const t = this.tcpOffset;
    stepWord(datagram, t + 2, d, this.#fixedChecksum ? -1 : t + 16);
  }

  /**
   * The next `count` packets.
   *
   * @param count How many.
   * @returns Their datagrams, in order.
   */
  take(count: number): Uint8Array[] {
    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < count; i++) datagrams.push(this.next());
    return datagrams;
  }
}

/** Options for {@linkcode sendPackets}. */
export interface SendPacketsOptions {
  /** The open raw socket (with `openSendRing`, floods take the fast path). */
  socket: Pick<NetRawSocket, "send" | "sendMany" | "openSendRing">;
  /**
   * The address to send to (a series that draws destinations sends each
   * packet to the address in its own IP header instead).
   */
  destination: string;
  /** The packets. */
  series: PacketSeries;
  /**
   * Whether the socket takes whole datagrams; when false the kernel writes
   * the IP header, and the socket is handed the TCP segments.
   */
  headerIncluded: boolean;
  /** How many packets to send. */
  count: number;
  /** Milliseconds between packets; 0 sends as fast as the kernel takes them. */
  intervalMs: number;
  /** The monotonic clock the pace runs on. */
  clock: Clock;
  /** Wall-clock time, epoch milliseconds, for `onSent`'s time stamps. */
  wallClock: () => number;
  /** Stops the run after the packets being sent. */
  signal?: AbortSignal;
}

/** How {@linkcode sendPackets} ended. */
export interface SendOutcome {
  /** Packets sent. */
  packets: number;
  /** Bytes sent, whole IP datagrams counted. */
  bytes: number;
  /** From the first system call's start to the last one's end, ms. */
  elapsedMs: number;
  /** Whether `signal` stopped the run. */
  interrupted: boolean;
  /** What a failed send threw, after `packets` were sent. */
  failure?: { error: unknown };
}

/**
 * Send the packets of a series at a pace; see the module documentation.
 * A failed send stops the run: the outcome counts what the earlier calls
 * sent and holds the error.
 *
 * @param options The socket, destination, packets, pace, clocks and signal.
 * @param onSent Called (and awaited) with the datagrams of each system
 *   call that succeeded and the wall-clock time it was made at; without
 *   it, a flood on a socket with send slots takes the fast path.
 * @returns The counts.
 *
 * @example Three packets, 10 ms apart, on a virtual clock
 * ```ts
 * import { makeTcpPacket, PacketSeries, sendPackets } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const clock = { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };
 * const sent: number[] = [];
 * const socket = {
 *   send: (bytes: Uint8Array) => (sent.push(now), bytes.length),
 *   sendMany: () => { throw new Error("unused"); },
 * };
 * const series = new PacketSeries(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }));
 * const outcome = await sendPackets({
 *   socket, destination: "192.0.2.1", series, headerIncluded: true, count: 3,
 *   intervalMs: 10, clock, wallClock: () => now,
 * }, () => {});
 * assert.deepEqual(sent, [0, 10, 20]);
 * assert.deepEqual(outcome, { packets: 3, bytes: 120, elapsedMs: 20, interrupted: false });
 * ```
 */
export async function sendPackets(
  options: SendPacketsOptions,
  onSent?: (datagrams: Uint8Array[], sentAt: number) => void | Promise<void>,
): Promise<SendOutcome> {
  const { socket, destination, series, count, intervalMs, clock, signal } =
    options;
  const perPacket = series.perPacketDestination;
  if (perPacket && !options.headerIncluded) {
    throw new RangeError(
      "Cannot send packets to drawn destinations: only a header-included socket sends each to the address in its IP header",
    );
  }
  if (
    onSent === undefined && intervalMs === 0 &&
    socket.openSendRing !== undefined && count > 1 && series.slotted
  ) {
    const ring = socket.openSendRing({
      slots: Math.min(RING_BATCH, count),
      slotBytes: series.length,
      destination: perPacket ? "per-slot" : destination,
    });
    return await flood(options, ring);
  }
  const strip = options.headerIncluded ? 0 : series.tcpOffset;
  const aborted = whenAborted(signal);
  const interrupted = () => signal?.aborted === true;
  let packets = 0;
  let bytes = 0;
  let first: number | undefined;
  let last = 0;
  let failure: { error: unknown } | undefined;
  const start = clock.now();
  let yielded = start;
  while (packets < count && !interrupted()) {
    let n = Math.min(SEND_BATCH, count - packets);
    if (intervalMs > 0) {
      const due = Math.floor((clock.now() - start) / intervalMs) + 1;
      n = Math.max(1, Math.min(n, due - packets));
    }
    const datagrams = series.take(n);
    const wire = strip === 0
      ? datagrams
      : datagrams.map((datagram) => datagram.subarray(strip));
    const sentAt = options.wallClock();
    const before = clock.now();
    // Drawn destinations: one send each, to the address in its header; a
    // failure counts the packets of the batch sent before it.
    let done = 0;
    try {
      if (perPacket) {
        for (; done < n; done++) {
          socket.send(wire[done]!, destinationOf(datagrams[done]!));
        }
      } else {
        if (n === 1) socket.send(wire[0]!, destination);
        else socket.sendMany(wire, destination);
        done = n;
      }
    } catch (error) {
      failure = { error };
    }
    if (done > 0) {
      first ??= before;
      last = clock.now();
      packets += done;
      const sent = done === n ? datagrams : datagrams.slice(0, done);
      for (const datagram of sent) bytes += datagram.length;
      await onSent?.(sent, sentAt);
    }
    if (failure !== undefined || packets >= count) break;
    if (intervalMs > 0) {
      const wait = start + packets * intervalMs - clock.now();
      if (wait > 0) await Promise.race([clock.sleep(wait), aborted]);
    } else if (clock.now() - yielded >= 10) {
      // Let the event loop deliver an abort during a long flood.
      await Promise.race([clock.sleep(0), aborted]);
      yielded = clock.now();
    }
  }
  const outcome: SendOutcome = {
    packets,
    bytes,
    elapsedMs: first === undefined ? 0 : last - first,
    interrupted: interrupted(),
  };
  if (failure !== undefined) outcome.failure = failure;
  return outcome;
}

/** The destination address in a datagram's IP header. */
function destinationOf(datagram: Uint8Array): string {
  return datagram[0]! >> 4 === 4
    ? formatAddress(datagram.subarray(16, 20))
    : formatAddress(datagram.subarray(24, 40));
}

/**
 * The fast path of a flood: the packets written into the ring's slots
 * once, each batch one `send` of the slots, then each slot moved on by
 * the batch (stepped, its random fields drawn anew); the event loop gets a
 * turn every 10 ms (for Ctrl-C).
 */
async function flood(
  options: SendPacketsOptions,
  ring: NetSendRing,
): Promise<SendOutcome> {
  const { series, count, clock, signal } = options;
  const offset = options.headerIncluded ? 0 : series.tcpOffset;
  const length = series.length;
  const slots = ring.slots;
  series.fill(slots);
  const turns = eventLoopTurns();
  let packets = 0;
  let failure: { error: unknown } | undefined;
  const start = clock.now();
  let last = start;
  let turned = start;
  try {
    while (packets < count && signal?.aborted !== true) {
      const n = Math.min(slots.length, count - packets);
      try {
        ring.send(n, length, offset);
      } catch (error) {
        failure = { error };
        break;
      }
      packets += n;
      last = clock.now();
      if (packets >= count) break;
      series.advance(slots, n, n);
      if (last - turned >= 10) {
        await turns.turn();
        turned = clock.now();
      }
    }
  } finally {
    turns.close();
  }
  const outcome: SendOutcome = {
    packets,
    bytes: packets * length,
    elapsedMs: packets === 0 ? 0 : last - start,
    interrupted: signal?.aborted === true,
  };
  if (failure !== undefined) outcome.failure = failure;
  return outcome;
}
