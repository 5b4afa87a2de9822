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
 *
 * The socket comes in through {@linkcode NetRawSocket}, the clock through
 * {@linkcode Clock}.
 *
 * @module
 */

import { encodePacket, type TcpPacket } from "../wire/packet.ts";
import { tcpHeaderLength, TcpHeaderView } from "../wire/tcp.ts";
import type { Clock } from "../host/host.ts";
import type { NetRawSocket } from "../host/net.ts";
import { whenAborted } from "./_abort.ts";

/** The most packets handed to the kernel in one `sendMany` call. */
export const SEND_BATCH = 1024;

function modulo(value: number, base: number): number {
  return ((value % base) + base) % base;
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
  /** The open raw socket. */
  socket: Pick<NetRawSocket, "send" | "sendMany">;
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
 *   call that succeeded and the wall-clock time it was made at.
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
  onSent: (datagrams: Uint8Array[], sentAt: number) => void | Promise<void>,
): Promise<SendOutcome> {
  const { socket, destination, series, count, intervalMs, clock, signal } =
    options;
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
    await onSent(datagrams, sentAt);
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
