/**
 * The send engine: many packets made from one, sent over a raw socket at a
 * pace, as `send` (and hping3's flood) sends them.
 *
 * - A {@linkcode PacketSeries} makes the packets: the first encoded once,
 *   each next one a copy with the source port and sequence number stepped
 *   in place and the checksum adjusted incrementally (RFC 1624).
 * - {@linkcode sendPackets} sends them: packet `i` leaves at
 *   `start + i × intervalMs`; when the clock is behind, the packets due go
 *   out together in one `sendMany` call; with no interval (a flood) they go
 *   in batches of {@linkcode SEND_BATCH}, one system call each.
 * - A flood on a socket with send slots (`NetRawSocket.openSendRing`) and
 *   nobody watching each packet (no `onSent`), of a series whose packets
 *   are one template stepped in place, takes the fast path: the
 *   packets are written into {@linkcode RING_BATCH} slots once, and each
 *   batch is one `sendmmsg` of the slots after stepping each slot on in
 *   place (`--sport-step`, `--seq-step`; RFC 1624 checksum updates), with
 *   nothing allocated per packet.
 *
 * The socket comes in through {@linkcode NetRawSocket}, the clock through
 * {@linkcode Clock}.
 *
 * @module
 */

import { encodePacket, type TcpPacket } from "../wire/packet.ts";
import { tcpHeaderLength, TcpHeaderView } from "../wire/tcp.ts";
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

/**
 * The packets of one run: the first encoded once, each next one a copy with
 * the source port and sequence number stepped in place and the checksum
 * adjusted incrementally (RFC 1624), or left as given when the model sets
 * its checksum. Steps wrap modulo 2^16 and 2^32 (negative steps allowed).
 * Without steps every packet is the same bytes.
 *
 * @example
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
 */
export class PacketSeries {
  /** Where the TCP segment starts in each datagram. */
  readonly tcpOffset: number;
  readonly #template: Uint8Array;
  readonly #sportStep: number;
  readonly #seqStep: number;
  readonly #fixedChecksum: boolean;
  #sport: number;
  #seq: number;
  #index = 0;

  /**
   * Encode the first packet.
   *
   * @param first The first packet.
   * @param steps What to add to the source port and the sequence number
   *   from one packet to the next (default 0).
   * @throws {RangeError} For a field the encoder refuses.
   */
  constructor(
    first: TcpPacket,
    steps: { sportStep?: number; seqStep?: number } = {},
  ) {
    this.#template = encodePacket(first);
    this.tcpOffset = this.#template.length -
      (tcpHeaderLength(first.tcp) + first.tcp.payload.length);
    this.#sportStep = steps.sportStep ?? 0;
    this.#seqStep = steps.seqStep ?? 0;
    this.#fixedChecksum = first.tcp.checksum !== undefined;
    this.#sport = first.tcp.srcPort;
    this.#seq = first.tcp.seq;
  }

  /**
   * The next packet's IP datagram (do not change it: it may be shared).
   *
   * @returns The datagram.
   */
  next(): Uint8Array {
    if (this.#index++ === 0) return this.#template;
    if (this.#sportStep === 0 && this.#seqStep === 0) return this.#template;
    this.#sport = modulo(this.#sport + this.#sportStep, 0x1_0000);
    this.#seq = modulo(this.#seq + this.#seqStep, 0x1_0000_0000);
    const datagram = this.#template.slice();
    const view = new TcpHeaderView(datagram, this.tcpOffset);
    if (this.#fixedChecksum) {
      view.srcPort = this.#sport;
      view.seq = this.#seq;
    } else {
      view.patch({ srcPort: this.#sport, seq: this.#seq });
    }
    return datagram;
  }

  /** The length of every datagram. */
  get length(): number {
    return this.#template.length;
  }

  /**
   * Whether {@linkcode PacketSeries.fill} and
   * {@linkcode PacketSeries.advance} give this series' packets, so a flood
   * may send them from slots (true here; a subclass whose packets are not
   * one template stepped in place says false).
   */
  get slotted(): boolean {
    return true;
  }

  /** Whether the packets differ (a step is set). */
  get stepped(): boolean {
    return this.#sportStep !== 0 || this.#seqStep !== 0;
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
    }
  }

  /**
   * Step the first `count` slots on by `by` packets each, in place (the
   * fast path after each batch): the source port and sequence number
   * advance, the checksum is updated incrementally (RFC 1624, eqn. 3).
   *
   * @param slots The slots, as {@linkcode PacketSeries.fill} wrote them.
   * @param count How many to step.
   * @param by How many packets on.
   */
  advance(slots: readonly Uint8Array[], count: number, by: number): void {
    if (!this.stepped) return;
    const t = this.tcpOffset;
    const dPort = modulo(by * this.#sportStep, 0x1_0000);
    const dSeq = modulo(by * this.#seqStep, 0x1_0000_0000);
    const fixed = this.#fixedChecksum;
    for (let i = 0; i < count; i++) {
      stepSegment(slots[i]!, t, dPort, dSeq, fixed);
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
  /** The address to send to. */
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
  if (
    onSent === undefined && intervalMs === 0 && series.slotted &&
    socket.openSendRing !== undefined && count > 1
  ) {
    const ring = socket.openSendRing({
      slots: Math.min(RING_BATCH, count),
      slotBytes: series.length,
      destination,
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
    try {
      if (n === 1) socket.send(wire[0]!, destination);
      else socket.sendMany(wire, destination);
    } catch (error) {
      failure = { error };
      break;
    }
    first ??= before;
    last = clock.now();
    packets += n;
    for (const datagram of datagrams) bytes += datagram.length;
    await onSent?.(datagrams, sentAt);
    if (packets >= count) break;
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

/**
 * The fast path of a flood: the packets written into the ring's slots
 * once, each batch one `send` of the slots, then each slot stepped on by
 * the batch; the event loop gets a turn every 10 ms (for Ctrl-C).
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
