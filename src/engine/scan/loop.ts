/**
 * The scan engine's loop: stateless in the manner of zmap and masscan.
 *
 * - **Cursors.** Try `t` of every port is sent by cursor `t`, which walks
 *   the shard's order; cursor 0 walks it at the pace, cursor `t > 0` trails
 *   cursor `t - 1` by the timeout (it may pass a position once that
 *   position's previous try has waited `timeoutMs`) and skips the ports
 *   already decided; a last cursor, trailing the last try, gives the ports
 *   still silent their scan type's no-response state. Retries go first.
 * - **Probes.** Each probe is the family's template with the destination,
 *   port and numbers written into a send slot (`slots.ts`); its sequence
 *   number is the flow's cookie plus the try (`cookies.ts`). A batch is
 *   one `sendmmsg` on the fast path.
 * - **Replies** are read from their own bytes (`replies.ts`): ours when the
 *   cookie checks out; the reply's address and port give the index, the
 *   order's inverse its position, and the position its decision bit
 *   (`bitmap.ts`: one bit per probe, kept only when retries or silent
 *   ports need it) and its send time (`send_log.ts`: one entry per batch).
 *   On the fast path they are drained (`recvmmsg`) between batches, in
 *   place.
 * - **Pace**: `Pacer`, at most a few milliseconds of probes at once; the
 *   loop sleeps when the next batch is a millisecond away or more, else
 *   turns the event loop and drains. Nothing is kept per probe but the bit.
 *
 * @module
 */

import { TCP_FLAGS } from "../../wire/flags.ts";
import type { NetReceiver } from "../../host/net.ts";
import { whenAborted } from "../_abort.ts";
import { eventLoopTurns } from "../_turn.ts";
import { DecidedBits, RecentIndices } from "./bitmap.ts";
import { ackCookie, cookieKey, cookieV4, cookieV6 } from "./cookies.ts";
import { Pacer } from "./pacing.ts";
import type { ScanPlan } from "./plan.ts";
import { ReplyReader } from "./replies.ts";
import type { ScanOutcome } from "./result.ts";
import { SendLog } from "./send_log.ts";
import { FamilySlots } from "./slots.ts";
import { SpaceIndex } from "./space_index.ts";
import type { PortVerdict } from "./state.ts";
import type { ProbeTemplate } from "./template.ts";
import { type ScanType, type ScanTypeSpec, scanTypeSpec } from "./types.ts";
import type { RunScanOptions } from "./run_options.ts";
import { Verdicts } from "./verdicts.ts";

/** How long one wait lasts at most, so replies are drained and an end is noticed soon. */
const WAIT_MS = 50;
/** Decided positions a cursor may pass in one batch without sending. */
const SKIP_MAX = 65536;
/** Silent ports decided in one turn of the loop. */
const SILENCE_MAX = 8192;
/** The most probes of one batch (one `sendmmsg`). */
const BATCH_MAX = 1024;
/** The most probes of one batch on the fast path. */
const FAST_BATCH = 64;
/** The most probes owed at once: this many milliseconds of them (a late timer costs none). */
const BURST_MS = 10;
/** The longest the fast path sends and drains between turns of the event loop, ms. */
const SLICE_MS = 2;

/** What a loop takes from its session. */
export interface LoopSetup {
  scan: ScanType;
  flags: number;
  sport: number;
  templates: ReadonlyMap<4 | 6, ProbeTemplate>;
  receivers: ReadonlyMap<4 | 6, NetReceiver>;
  wallClock: () => number;
  /** Close the receivers (idempotent). */
  close: () => void;
}

/** One run of a scan; see the module documentation. */
export class ScanLoop {
  readonly #plan: ScanPlan;
  readonly #setup: LoopSetup;
  readonly #options: RunScanOptions;
  readonly #spec: ScanTypeSpec;
  readonly #index: SpaceIndex;
  readonly #key = cookieKey();
  readonly #reader: ReplyReader;
  readonly #bits: DecidedBits | undefined;
  readonly #recent = new RecentIndices(4096);
  readonly #tries: number;
  readonly #logs: SendLog[] = [];
  /** Next position of each try's cursor, and how far each may go. */
  readonly #pos: number[];
  readonly #limit: number[];
  #verdictPos = 0;
  #verdictLimit = 0;
  readonly #reportSilence: boolean;
  readonly #slots = new Map<4 | 6, FamilySlots>();
  /** The family of every address, when only one is scanned. */
  readonly #onlyFamily: 4 | 6 | undefined;
  readonly #fast: boolean;
  readonly #verdicts: Verdicts;
  #probesSent = 0;
  #stopped = false;
  #failure: { error: unknown } | undefined;
  #recordChain = Promise.resolve();
  #wake: () => void = () => {};
  readonly #handler = (
    data: Uint8Array,
    offset: number,
    length: number,
    receivedAt: number,
    icmp: boolean,
  ) => this.#onPacket(data, offset, length, receivedAt, icmp);

  constructor(plan: ScanPlan, setup: LoopSetup, options: RunScanOptions) {
    this.#plan = plan;
    this.#setup = setup;
    this.#options = options;
    this.#spec = scanTypeSpec(setup.scan);
    this.#index = new SpaceIndex(plan.space);
    this.#tries = options.retries + 1;
    this.#reportSilence = options.reportSilence ?? true;
    const total = plan.order.length;
    this.#bits = this.#reportSilence || options.retries > 0 ||
        options.decided !== undefined
      ? new DecidedBits(total)
      : undefined;
    this.#pos = Array.from({ length: this.#tries }, () => 0);
    this.#limit = Array.from(
      { length: this.#tries },
      (_, t) => t === 0 ? total : 0,
    );
    for (let t = 0; t < this.#tries; t++) this.#logs.push(new SendLog());
    const families = plan.space.families;
    this.#onlyFamily = families.length === 1 ? families[0] : undefined;
    const burst = Math.max(4, Math.ceil(options.rate * BURST_MS / 1000));
    for (const [family, template] of setup.templates) {
      const receiver = setup.receivers.get(family)!;
      const fast = receiver.openSendRing !== undefined &&
        receiver.drain !== undefined;
      this.#slots.set(
        family,
        new FamilySlots(
          receiver,
          template,
          Math.min(fast ? FAST_BATCH : BATCH_MAX, burst),
        ),
      );
    }
    this.#fast =
      [...setup.receivers.values()].every((r) => r.drain !== undefined) &&
      [...this.#slots.values()].every((s) => s.fast);
    const v4 = setup.templates.get(4);
    const v6 = setup.templates.get(6);
    this.#reader = new ReplyReader({
      key: this.#key,
      index: this.#index,
      sport: setup.sport,
      flags: setup.flags,
      maxTry: options.retries,
      ...(v4 === undefined ? {} : { srcV4: v4.srcV4 }),
      ...(v6 === undefined ? {} : { srcV6: v6.srcBytes }),
    });
    this.#verdicts = new Verdicts(
      this.#spec,
      this.#index,
      this.#reader,
      options,
    );
    // A resumed scan: ports decided before are skipped by every cursor.
    for (const index of options.decided ?? []) {
      const position = plan.order.positionOf(index);
      if (position >= 0) this.#bits!.set(position);
    }
  }

  /** The decision bits' memory, bytes (0 when the scan keeps none). */
  get stateBytes(): number {
    return this.#bits?.bytes ?? 0;
  }

  async run(): Promise<ScanOutcome> {
    const { clock, signal } = this.#options;
    const loops = this.#fast ? [] : [...this.#setup.receivers.values()].map((
      receiver,
    ) => this.#receiveLoop(receiver));
    const start = clock.now();
    let interrupted = false;
    try {
      await this.#sendLoop(start);
      interrupted = signal?.aborted === true;
    } finally {
      this.#stopped = true;
      this.#wake();
      await Promise.all(loops);
      this.#flushResults();
      const drops = this.#drops();
      this.#setup.close();
      await this.#recordChain;
      this.#kernelDrops = drops;
    }
    if (this.#bits === undefined) {
      // Positions past their last wait that no answer decided were silent
      // (an answer is read only before its position's last wait is over).
      this.#verdicts.counts[this.#spec.noResponse] += Math.max(
        0,
        this.#silentUncounted - this.#answered,
      );
    }
    const outcome: ScanOutcome = {
      counts: this.#verdicts.counts,
      probesSent: this.#probesSent,
      elapsedMs: clock.now() - start,
      interrupted,
    };
    if (this.#kernelDrops !== undefined) {
      outcome.kernelDrops = this.#kernelDrops;
    }
    // Three numbers an entry (position, monotonic and wall-clock time).
    outcome.stateBytes = this.stateBytes + this.#peakLogEntries * 24;
    if (this.#failure !== undefined) outcome.failure = this.#failure;
    return outcome;
  }

  #kernelDrops: number | undefined;
  /** Positions past their last wait, in a scan without bits (answered ones included). */
  #silentUncounted = 0;
  /** Ports decided by an answer. */
  #answered = 0;
  /** The most send-log entries held at once. */
  #peakLogEntries = 0;

  #drops(): number | undefined {
    let total: number | undefined;
    for (const receiver of this.#setup.receivers.values()) {
      if (receiver.drops === undefined) continue;
      try {
        total = (total ?? 0) + receiver.drops();
      } catch {
        // A closed or odd socket: no count.
      }
    }
    return total;
  }

  /** Stop the run with a failure (the first one wins). */
  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#stopped = true;
    this.#wake();
  }

  /** Whether every port is decided, or every position has had its last wait. */
  #done(): boolean {
    const total = this.#plan.order.length;
    return this.#verdictPos >= total ||
      (this.#bits !== undefined && this.#bits.count >= total);
  }

  async #sendLoop(start: number): Promise<void> {
    const { clock, signal, progressMs } = this.#options;
    const aborted = whenAborted(signal);
    const pacer = new Pacer(
      this.#options.rate,
      start,
      Math.max(4, Math.ceil(this.#options.rate * BURST_MS / 1000)),
    );
    // The fast path sends up to 2.5 ms of probes a call, 64 at most (as
    // the C baselines: larger batches leave more replies cold in the
    // receive queue), and turns the event loop every SLICE_MS.
    const batch = this.#fast
      ? Math.max(1, Math.min(FAST_BATCH, Math.floor(this.#options.rate / 400)))
      : 1;
    const turn = eventLoopTurns();
    let lastProgress = -Infinity;
    try {
      while (!this.#stopped && signal?.aborted !== true) {
        let now = clock.now();
        const sliceEnd = now + SLICE_MS;
        let done = false;
        do {
          if (this.#fast) this.#drainAll();
          this.#advance(now);
          done = this.#done();
          if (done) break;
          const work = this.#sendable();
          const due = pacer.available(now);
          if (work === 0 || due < Math.min(batch, work)) break;
          pacer.spend(this.#sendBatch(Math.min(due, this.#capacity()), now));
          if (this.#failure !== undefined) return;
          now = clock.now();
        } while (this.#fast && now < sliceEnd && !this.#stopped);
        if (done) break;
        this.#flushResults();
        now = clock.now();
        if (progressMs !== undefined && now - lastProgress >= progressMs) {
          this.#options.onProgress?.(this.#progress(now - start));
          lastProgress = now;
        }
        const wait = this.#waitMs(now, pacer, batch, lastProgress);
        if (this.#fast && wait < 1) await turn.turn();
        else {
          await Promise.race([
            clock.sleep(this.#fast ? Math.min(wait, WAIT_MS) : wait),
            aborted,
            new Promise<void>((resolve) => {
              this.#wake = resolve;
            }),
          ]);
        }
      }
    } finally {
      turn.close();
    }
  }

  /** Probes the cursors could send now, were there tokens. */
  #sendable(): number {
    let work = this.#plan.order.length - this.#pos[0]!;
    for (let t = 1; t < this.#tries; t++) {
      work += Math.max(0, this.#limit[t]! - this.#pos[t]!);
    }
    return work;
  }

  #capacity(): number {
    let capacity = Infinity;
    for (const slots of this.#slots.values()) {
      capacity = Math.min(capacity, slots.capacity);
    }
    return capacity;
  }

  /** Until the next batch's tokens, the next try's timeout or the next progress report. */
  #waitMs(
    now: number,
    pacer: Pacer,
    batch: number,
    lastProgress: number,
  ): number {
    let at = Infinity;
    const work = this.#sendable();
    if (work > 0) at = now + pacer.waitMs(now, Math.min(batch, work));
    const timeout = this.#options.timeoutMs;
    for (let t = 0; t < this.#tries; t++) {
      const sent = this.#logs[t]!.nextUnread();
      if (sent !== undefined) at = Math.min(at, sent + timeout);
    }
    const progressMs = this.#options.progressMs;
    if (progressMs !== undefined) at = Math.min(at, lastProgress + progressMs);
    return Number.isFinite(at) ? Math.max(0, at - now) : WAIT_MS;
  }

  /** Move the trailing cursors' limits, and decide the ports silent past their last try. */
  #advance(now: number): void {
    const waited = now - this.#options.timeoutMs;
    for (let t = 1; t < this.#tries; t++) {
      const reached = this.#logs[t - 1]!.reachedBefore(waited);
      if (reached >= 0) this.#limit[t] = reached;
    }
    const last = this.#tries - 1;
    const reached = this.#logs[last]!.reachedBefore(waited);
    if (reached >= 0) this.#verdictLimit = reached;
    let budget = SILENCE_MAX;
    const bits = this.#bits;
    while (this.#verdictPos < this.#verdictLimit && budget > 0) {
      const position = this.#verdictPos++;
      if (bits === undefined) {
        // No bits: the silent ports are counted at the end.
        this.#silentUncounted++;
        continue;
      }
      if (!bits.set(position)) continue;
      budget--;
      if (this.#reportSilence) this.#silent(position);
      else this.#verdicts.counts[this.#spec.noResponse]++;
    }
    for (const log of this.#logs) log.dropBefore(this.#verdictPos);
  }

  /** A port silent after its last try. */
  #silent(position: number): void {
    const index = this.#plan.order.at(position);
    const addressIndex = index % this.#index.addressCount;
    const port = this.#index.portAt(
      Math.floor(index / this.#index.addressCount),
    );
    const state = this.#spec.noResponse;
    this.#decide(addressIndex, port, { state, reason: "no-response" }, null);
  }

  /** Write and send up to `budget` probes, retries first; returns how many were sent. */
  #sendBatch(budget: number, now: number): number {
    const bits = this.#bits;
    const advanced: boolean[] = [];
    let left = budget;
    for (let t = this.#tries - 1; t >= 1; t--) {
      let skips = 0;
      const before = this.#pos[t]!;
      while (left > 0 && this.#pos[t]! < this.#limit[t]! && skips < SKIP_MAX) {
        const position = this.#pos[t]!++;
        if (bits !== undefined && bits.has(position)) {
          skips++;
          continue;
        }
        this.#write(t, position);
        left--;
      }
      advanced[t] = this.#pos[t] !== before;
    }
    const total = this.#plan.order.length;
    const before = this.#pos[0]!;
    while (left > 0 && this.#pos[0]! < total) {
      const position = this.#pos[0]!++;
      if (bits !== undefined && bits.has(position)) continue;
      this.#write(0, position);
      left--;
    }
    advanced[0] = this.#pos[0] !== before;
    const wall = this.#setup.wallClock();
    try {
      for (const slots of this.#slots.values()) {
        this.#probesSent += slots.flush();
      }
    } catch (error) {
      this.#failure ??= { error };
      return budget - left;
    }
    let entries = 0;
    for (let t = 0; t < this.#tries; t++) {
      if (advanced[t]) this.#logs[t]!.add(this.#pos[t]!, now, wall);
      entries += this.#logs[t]!.size;
    }
    this.#peakLogEntries = Math.max(this.#peakLogEntries, entries);
    return budget - left;
  }

  /** Write try `t` of the port at `position` into its family's next slot. */
  #write(t: number, position: number): void {
    const index = this.#plan.order.at(position);
    const space = this.#index;
    const addressIndex = index % space.addressCount;
    const port = space.portAt(Math.floor(index / space.addressCount));
    const family = this.#onlyFamily ?? space.familyAt(addressIndex);
    const slots = this.#slots.get(family)!;
    const slot = slots.next();
    const key = this.#key;
    const sport = this.#setup.sport;
    const hasAck = (this.#setup.flags & TCP_FLAGS.ack) !== 0;
    if (family === 4) {
      const dst = space.v4At(addressIndex);
      const cookie = cookieV4(key, dst, port, sport);
      slots.template.writeV4(
        slot,
        dst,
        port,
        (cookie + t) >>> 0,
        hasAck ? (ackCookie(key, cookie) + t) >>> 0 : 0,
      );
    } else {
      space.v6Into(addressIndex, slot, 24);
      const cookie = cookieV6(key, slot, 24, port, sport);
      slots.template.writeV6(
        slot,
        port,
        (cookie + t) >>> 0,
        hasAck ? (ackCookie(key, cookie) + t) >>> 0 : 0,
      );
    }
    if (this.#options.record !== undefined) {
      this.#record({
        event: "sent",
        bytes: slot.slice(0, slots.template.length),
        timestamp: this.#setup.wallClock(),
        address: this.#host(addressIndex),
        port,
        try: t + 1,
      });
    }
  }

  #drainAll(): void {
    for (const receiver of this.#setup.receivers.values()) {
      try {
        receiver.drain!(this.#handler);
      } catch (error) {
        this.#fail(error);
      }
    }
  }

  async #receiveLoop(receiver: NetReceiver): Promise<void> {
    while (!this.#stopped) {
      let batch;
      try {
        batch = await receiver.poll(WAIT_MS);
      } catch (error) {
        this.#fail(error);
        return;
      }
      for (const p of batch.tcp) {
        this.#onPacket(p.bytes, 0, p.bytes.length, p.receivedAt, false);
      }
      for (const p of batch.icmp) {
        this.#onPacket(p.bytes, 0, p.bytes.length, p.receivedAt, true);
      }
      if (batch.tcp.length + batch.icmp.length > 0) this.#flushResults();
      if (this.#done()) this.#wake();
    }
  }

  /** A datagram from a receiver: decide its port when it is a reply of ours. */
  #onPacket(
    data: Uint8Array,
    offset: number,
    length: number,
    receivedAt: number,
    icmp: boolean,
  ): void {
    const reader = this.#reader;
    if (!reader.read(data, offset, length, icmp)) return;
    const space = this.#index;
    const index = reader.portIndex * space.addressCount + reader.addressIndex;
    const position = this.#plan.order.positionOf(index);
    // Another shard's port, or one whose last wait is over.
    if (position < 0 || position < this.#verdictPos) return;
    const bits = this.#bits;
    if (bits !== undefined && bits.has(position)) return;
    const port = space.portAt(reader.portIndex);
    if (this.#options.record !== undefined) {
      this.#record({
        event: "received",
        bytes: data.slice(offset, offset + length),
        timestamp: receivedAt,
        address: this.#host(reader.addressIndex),
        port,
      });
    }
    const verdict = this.#verdicts.read(reader);
    // nmap ignores what it cannot read (a SYN-ACK to a FIN probe): keep waiting.
    if (verdict === undefined) return;
    if (bits !== undefined) bits.set(position);
    else if (this.#recent.seen(index)) return;
    this.#answered++;
    const sentAt = this.#logs[reader.tryNumber]!.wallTimeOf(position);
    const rtt = sentAt === undefined ? null : Math.max(0, receivedAt - sentAt);
    this.#decide(reader.addressIndex, port, verdict, rtt);
  }

  #decide(
    addressIndex: number,
    port: number,
    verdict: PortVerdict,
    rttMs: number | null,
  ): void {
    this.#verdicts.decide(addressIndex, port, verdict, rttMs);
  }

  #flushResults(): void {
    this.#verdicts.flush();
  }

  /** An address's text. */
  #host(addressIndex: number): string {
    return this.#index.addressText(addressIndex);
  }

  /** Hand a packet to `record`, after the ones before it. */
  #record(packet: Parameters<NonNullable<RunScanOptions["record"]>>[0]): void {
    const record = this.#options.record;
    if (record === undefined) return;
    this.#recordChain = this.#recordChain.then(() => record(packet)).catch(
      (error) => this.#fail(error),
    );
  }

  #progress(elapsedMs: number) {
    const total = this.#plan.order.length;
    const started = this.#pos[0]!;
    return {
      started,
      total,
      probesSent: this.#probesSent,
      elapsedMs,
      open: this.#verdicts.open,
      etaSeconds: (total - started) / this.#options.rate +
        (this.#verdictPos < total
          ? (this.#tries * this.#options.timeoutMs) / 1000
          : 0),
    };
  }
}
