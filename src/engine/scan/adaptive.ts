/**
 * The adaptive scan loop: nmap's way of scanning (its `ultra_scan`), on
 * the same probes, cookies and reply reading as the stateless loop.
 *
 * - **Per host**: a round-trip estimate giving the retransmission timeout,
 *   a congestion window on probes in flight, a send delay, and the probes
 *   in flight or waiting to be sent again (`timing.ts`). A group window and
 *   estimate are shared by all hosts; a host without a sample of its own
 *   times out on the group's.
 * - **Fresh probes** come from the shard's order, through a small queue per
 *   host, so a slow host does not hold the others back; a host sends while
 *   its window and the group's have room, its delay has passed and the
 *   rate allows (`--max-rate`; `--min-rate` sends even when the windows
 *   are full).
 * - **Retries**: a probe unanswered after the timeout is sent again while
 *   its try is below what the host allows: one retry at first, one more
 *   each time a retry is what got answered (a drop, so another may help),
 *   at most `maxRetries`. Before the first probe of each new try to a host
 *   the loop waits a second (nmap's rate-limit detection: Linux answers one
 *   ICMP error a second per peer after a burst, so answers to a burst of
 *   retries come back one a second). A probe whose tries are used up, and
 *   which no later answer could allow another, gives its port the scan
 *   type's no-response state.
 * - **Answers** from retries shrink the host's window (back to its floor)
 *   and the group's (halved), and too many of them grow the host's send
 *   delay; every answer grows both windows.
 * - **Stopping**: on `signal` no fresh probe is sent; the probes already
 *   sent finish (their retries and waits included), so every port started
 *   is decided and a resumed scan sends none of them again; `stopNow` ends
 *   at once (undecided ports are not reported).
 *
 * @module
 */

import { TCP_FLAGS } from "../../wire/flags.ts";
import type { NetReceiver } from "../../host/net.ts";
import { whenAborted } from "../_abort.ts";
import { DecidedBits } from "./bitmap.ts";
import { ackCookie, cookieKey, cookieV4, cookieV6 } from "./cookies.ts";
import type { LoopSetup } from "./loop.ts";
import type { ScanPlan } from "./plan.ts";
import { ReplyReader } from "./replies.ts";
import type { ScanOutcome } from "./result.ts";
import type { RunScanOptions } from "./run_options.ts";
import { FamilySlots } from "./slots.ts";
import { SpaceIndex } from "./space_index.ts";
import type { PortVerdict } from "./state.ts";
import { CongestionWindow, RttEstimate, type ScanTiming } from "./timing.ts";
import {
  adjustTiming,
  allowedTry,
  HostState,
  type Probe,
} from "./adaptive_host.ts";
import { type ScanTypeSpec, scanTypeSpec } from "./types.ts";
import { Verdicts } from "./verdicts.ts";

/** Positions queued ahead of sending, all hosts together. */
const LOOKAHEAD = 1024;
/** The longest sleep of the loop, ms. */
const WAIT_MS = 20;
/** nmap's wait before the first probe of a new try to a host, ms. */
const RATE_LIMIT_WAIT_MS = 1000;
/** Probes written before the slots are sent. */
const SLOTS = 64;

/** One adaptive run; see the module documentation. */
export class AdaptiveLoop {
  readonly #plan: ScanPlan;
  readonly #setup: LoopSetup;
  readonly #options: RunScanOptions;
  readonly #timing: ScanTiming;
  readonly #spec: ScanTypeSpec;
  readonly #index: SpaceIndex;
  readonly #key = cookieKey();
  readonly #reader: ReplyReader;
  readonly #bits: DecidedBits;
  readonly #slots = new Map<4 | 6, FamilySlots>();
  readonly #hosts = new Map<number, HostState>();
  readonly #groupRtt: RttEstimate;
  readonly #group: CongestionWindow;
  readonly #verdicts: Verdicts;
  readonly #hasAck: boolean;
  readonly #onlyFamily: 4 | 6 | undefined;
  #groupActive = 0;
  #cursor = 0;
  #queued = 0;
  #probesSent = 0;
  #start = 0;
  #stopped = false;
  #draining = false;
  #failure: { error: unknown } | undefined;
  #recordChain = Promise.resolve();
  #wake: () => void = () => {};
  #hostsTimedOut: string[] = [];

  constructor(
    plan: ScanPlan,
    setup: LoopSetup,
    options: RunScanOptions,
    timing: ScanTiming,
  ) {
    this.#plan = plan;
    this.#setup = setup;
    this.#options = options;
    this.#timing = timing;
    this.#spec = scanTypeSpec(setup.scan);
    this.#index = new SpaceIndex(plan.space);
    this.#bits = new DecidedBits(plan.order.length);
    this.#groupRtt = new RttEstimate(timing);
    this.#group = new CongestionWindow(timing);
    this.#hasAck = (setup.flags & TCP_FLAGS.ack) !== 0;
    const families = plan.space.families;
    this.#onlyFamily = families.length === 1 ? families[0] : undefined;
    for (const [family, template] of setup.templates) {
      this.#slots.set(
        family,
        new FamilySlots(setup.receivers.get(family)!, template, SLOTS),
      );
    }
    const v4 = setup.templates.get(4);
    const v6 = setup.templates.get(6);
    this.#reader = new ReplyReader({
      key: this.#key,
      index: this.#index,
      sport: setup.sport,
      flags: setup.flags,
      maxTry: timing.maxRetries,
      ...(v4 === undefined ? {} : { srcV4: v4.srcV4 }),
      ...(v6 === undefined ? {} : { srcV6: v6.srcBytes }),
    });
    this.#verdicts = new Verdicts(
      this.#spec,
      this.#index,
      this.#reader,
      options,
    );
    for (const index of options.decided ?? []) {
      const position = plan.order.positionOf(index);
      if (position >= 0) this.#bits.set(position);
    }
  }

  async run(): Promise<ScanOutcome> {
    const { clock } = this.#options;
    const loops = [...this.#setup.receivers.values()].map((receiver) =>
      this.#receiveLoop(receiver)
    );
    this.#start = clock.now();
    let interrupted = false;
    try {
      await this.#mainLoop();
      interrupted = this.#options.signal?.aborted === true;
    } finally {
      this.#stopped = true;
      this.#wake();
      await Promise.all(loops);
      this.#verdicts.flush();
      const drops = this.#drops();
      this.#setup.close();
      await this.#recordChain;
      if (drops !== undefined) this.#kernelDrops = drops;
    }
    const outcome: ScanOutcome = {
      counts: this.#verdicts.counts,
      probesSent: this.#probesSent,
      elapsedMs: clock.now() - this.#start,
      interrupted,
    };
    if (this.#kernelDrops !== undefined) {
      outcome.kernelDrops = this.#kernelDrops;
    }
    if (this.#hostsTimedOut.length > 0) {
      outcome.hostsTimedOut = this.#hostsTimedOut;
    }
    if (this.#failure !== undefined) outcome.failure = this.#failure;
    return outcome;
  }

  #kernelDrops: number | undefined;

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

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#stopped = true;
    this.#wake();
  }

  async #mainLoop(): Promise<void> {
    const { clock, signal, stopNow, progressMs } = this.#options;
    const aborted = whenAborted(stopNow);
    let lastProgress = -Infinity;
    while (!this.#stopped && stopNow?.aborted !== true) {
      if (signal?.aborted === true && !this.#draining) this.#drain();
      const now = clock.now();
      this.#timeouts(now);
      this.#retransmit(now);
      if (!this.#draining) this.#sendFresh(now);
      this.#flushSlots();
      this.#verdicts.flush();
      if (this.#failure !== undefined || this.#done()) return;
      if (progressMs !== undefined && now - lastProgress >= progressMs) {
        this.#options.onProgress?.(this.#progress(now - this.#start));
        lastProgress = now;
      }
      const wait = Math.min(
        this.#nextEventMs(now) - now,
        progressMs === undefined ? WAIT_MS : lastProgress + progressMs - now,
      );
      await Promise.race([
        clock.sleep(Math.max(1, Math.min(WAIT_MS, wait))),
        aborted,
        whenAborted(this.#draining ? undefined : signal),
        new Promise<void>((resolve) => {
          this.#wake = resolve;
        }),
      ]);
    }
  }

  /** Stop taking fresh positions: queued ones go back to being unsent. */
  #drain(): void {
    this.#draining = true;
    for (const host of this.#hosts.values()) host.fresh = [];
    this.#queued = 0;
  }

  #done(): boolean {
    if (
      !this.#draining &&
      (this.#cursor < this.#plan.order.length || this.#queued > 0)
    ) {
      return false;
    }
    for (const host of this.#hosts.values()) {
      if (host.probes.size > 0) return false;
    }
    return true;
  }

  #freshLeft(host: HostState): boolean {
    return host.fresh.length > 0 ||
      (!this.#draining && this.#cursor < this.#plan.order.length);
  }

  /** The highest try the host allows now, and whether that can still grow. */
  #allowed(host: HostState): { allowed: number; mayIncrease: boolean } {
    return allowedTry(host, this.#timing.maxRetries, this.#freshLeft(host));
  }

  #probeTimeout(host: HostState): number {
    if (host.rtt.measured) return host.rtt.timeoutMs;
    if (this.#groupRtt.measured) return this.#groupRtt.timeoutMs;
    return host.rtt.timeoutMs;
  }

  /** Time probes out; give up on those whose tries are used up. */
  #timeouts(now: number): void {
    const hostTimeout = this.#timing.hostTimeoutMs;
    for (const [addressIndex, host] of this.#hosts) {
      if (host.timedOut) continue;
      if (hostTimeout > 0 && now - host.startMs > hostTimeout) {
        this.#giveUpHost(addressIndex, host);
        continue;
      }
      const timeout = this.#probeTimeout(host);
      while (host.inFlight.length > 0) {
        const probe = host.inFlight[0]!;
        if (probe.timedOut || !host.probes.has(probe.position)) {
          host.inFlight.shift();
          continue;
        }
        if (now - probe.sentMs <= timeout) break;
        host.inFlight.shift();
        probe.timedOut = true;
        host.active--;
        this.#groupActive--;
        host.window.expect();
        this.#group.expect();
        host.waiting.push(probe);
      }
      if (host.waiting.length === 0) continue;
      const { allowed, mayIncrease } = this.#allowed(host);
      const expire = 10 * Math.min(1000, timeout);
      const kept: Probe[] = [];
      for (const probe of host.waiting) {
        if (!host.probes.has(probe.position) || !probe.timedOut) continue;
        if (probe.tryNumber >= allowed) {
          if (!mayIncrease) {
            this.#silent(host, probe);
            continue;
          }
          // Kept (nmap's bench) until another try is allowed or none can be.
          probe.benched = now - probe.sentMs > expire;
        }
        kept.push(probe);
      }
      host.waiting = kept;
    }
  }

  #giveUpHost(addressIndex: number, host: HostState): void {
    host.timedOut = true;
    this.#hostsTimedOut.push(this.#index.addressText(addressIndex));
    for (const probe of host.probes.values()) {
      if (!probe.timedOut) this.#groupActive--;
    }
    host.probes.clear();
    this.#queued -= host.fresh.length;
    host.fresh = [];
    host.inFlight = [];
    host.waiting = [];
    host.active = 0;
  }

  #minRateDue(now: number): boolean {
    const minRate = this.#timing.minRate;
    return minRate > 0 &&
      this.#probesSent < ((now - this.#start) * minRate) / 1000;
  }

  #maxRateAllows(now: number): boolean {
    const maxRate = this.#timing.maxRate;
    return maxRate <= 0 ||
      this.#probesSent < ((now - this.#start) * maxRate) / 1000 + 1;
  }

  #groupSendOK(now: number): boolean {
    if (!this.#maxRateAllows(now)) return false;
    return this.#minRateDue(now) || this.#group.cwnd >= this.#groupActive + 0.5;
  }

  #hostSendOK(host: HostState, now: number): boolean {
    if (host.timedOut) return false;
    if (this.#minRateDue(now)) return true;
    if (host.rateLimitUntil >= 0) return now >= host.rateLimitUntil;
    if (host.delay.delayMs > 0 && now - host.lastSentMs < host.delay.delayMs) {
      return false;
    }
    return host.window.cwnd >= host.active + 0.5;
  }

  /** Send again probes that timed out, one per host per pass, as nmap does. */
  #retransmit(now: number): void {
    for (let sent = true; sent;) {
      sent = false;
      for (const host of this.#hosts.values()) {
        if (host.waiting.length === 0) continue;
        if (!this.#groupSendOK(now)) return;
        if (!this.#hostSendOK(host, now)) continue;
        const { allowed } = this.#allowed(host);
        const at = host.waiting.findIndex((p) =>
          p.tryNumber < allowed && host.probes.has(p.position)
        );
        if (at < 0) continue;
        const probe = host.waiting[at]!;
        if (
          probe.tryNumber + 1 > host.maxTrySent && this.#plan.order.length > 1
        ) {
          // The first probe of a new try to this host: wait a second.
          host.maxTrySent = probe.tryNumber + 1;
          host.rateLimitUntil = now + RATE_LIMIT_WAIT_MS;
          continue;
        }
        host.rateLimitUntil = -1;
        host.waiting.splice(at, 1);
        probe.tryNumber++;
        probe.timedOut = false;
        probe.benched = false;
        this.#send(host, probe, now);
        sent = true;
      }
    }
  }

  /** Queue positions from the order into their hosts' queues. */
  #refill(now: number): void {
    const order = this.#plan.order;
    const space = this.#index;
    while (this.#queued < LOOKAHEAD && this.#cursor < order.length) {
      const position = this.#cursor++;
      if (this.#bits.has(position)) continue;
      const addressIndex = order.at(position) % space.addressCount;
      let host = this.#hosts.get(addressIndex);
      if (host === undefined) {
        host = new HostState(this.#timing, now);
        this.#hosts.set(addressIndex, host);
      }
      if (host.timedOut) continue;
      host.fresh.push(position);
      this.#queued++;
    }
  }

  #sendFresh(now: number): void {
    this.#refill(now);
    for (let sent = true; sent && this.#queued > 0;) {
      sent = false;
      for (const host of this.#hosts.values()) {
        if (host.fresh.length === 0) continue;
        if (!this.#groupSendOK(now)) return;
        if (this.#options.signal?.aborted === true) return;
        if (!this.#hostSendOK(host, now)) continue;
        const position = host.fresh.shift()!;
        this.#queued--;
        const index = this.#plan.order.at(position);
        const space = this.#index;
        const probe: Probe = {
          position,
          addressIndex: index % space.addressCount,
          port: space.portAt(Math.floor(index / space.addressCount)),
          tryNumber: 0,
          sentMs: now,
          sentMono: [],
          sentWall: [],
          timedOut: false,
          benched: false,
        };
        host.probes.set(position, probe);
        this.#send(host, probe, now);
        sent = true;
      }
      // Sent pass by pass, so that a Ctrl-C between passes stops sending.
      this.#flushSlots();
      if (this.#options.signal?.aborted === true) return;
      if (this.#queued < LOOKAHEAD / 2) this.#refill(now);
    }
  }

  /** Write a probe's current try into its family's slots. */
  #send(host: HostState, probe: Probe, now: number): void {
    const space = this.#index;
    const family = this.#onlyFamily ?? space.familyAt(probe.addressIndex);
    const slots = this.#slots.get(family)!;
    if (slots.count >= slots.capacity) this.#flushSlots();
    const slot = slots.next();
    const t = probe.tryNumber;
    const key = this.#key;
    const sport = this.#setup.sport;
    if (family === 4) {
      const dst = space.v4At(probe.addressIndex);
      const cookie = cookieV4(key, dst, probe.port, sport);
      slots.template.writeV4(
        slot,
        dst,
        probe.port,
        (cookie + t) >>> 0,
        this.#hasAck ? (ackCookie(key, cookie) + t) >>> 0 : 0,
      );
    } else {
      space.v6Into(probe.addressIndex, slot, 24);
      const cookie = cookieV6(key, slot, 24, probe.port, sport);
      slots.template.writeV6(
        slot,
        probe.port,
        (cookie + t) >>> 0,
        this.#hasAck ? (ackCookie(key, cookie) + t) >>> 0 : 0,
      );
    }
    const wall = this.#setup.wallClock();
    probe.sentMs = now;
    probe.sentMono[t] = now;
    probe.sentWall[t] = wall;
    host.inFlight.push(probe);
    host.active++;
    this.#groupActive++;
    host.lastSentMs = now;
    this.#probesSent++;
    // Without a send ring each probe is its own call anyway: send it now.
    if (!slots.fast) this.#flushSlots();
    if (this.#options.record !== undefined) {
      this.#record({
        event: "sent",
        bytes: slot.slice(0, slots.template.length),
        timestamp: wall,
        address: space.addressText(probe.addressIndex),
        port: probe.port,
        try: t + 1,
      });
    }
  }

  #flushSlots(): void {
    try {
      for (const slots of this.#slots.values()) slots.flush();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** The soonest moment something is due: a timeout, a wait, a delay, the rate. */
  #nextEventMs(now: number): number {
    let at = now + WAIT_MS;
    for (const host of this.#hosts.values()) {
      if (host.timedOut) continue;
      const head = host.inFlight.find((p) => !p.timedOut);
      if (head !== undefined) {
        at = Math.min(at, head.sentMs + this.#probeTimeout(host) + 0.5);
      }
      if (host.rateLimitUntil >= 0) at = Math.min(at, host.rateLimitUntil);
      if (
        host.delay.delayMs > 0 &&
        (host.fresh.length > 0 || host.waiting.length > 0)
      ) at = Math.min(at, host.lastSentMs + host.delay.delayMs);
    }
    const maxRate = this.#timing.maxRate;
    if (maxRate > 0 && this.#queued > 0) {
      at = Math.min(at, this.#start + (this.#probesSent * 1000) / maxRate);
    }
    return Math.max(now, at);
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
      const now = this.#options.clock.now();
      for (const p of batch.tcp) {
        this.#onPacket(p.bytes, p.receivedAt, false, now);
      }
      for (const p of batch.icmp) {
        this.#onPacket(p.bytes, p.receivedAt, true, now);
      }
      if (batch.tcp.length + batch.icmp.length > 0) {
        this.#verdicts.flush();
        this.#wake();
      }
    }
  }

  #onPacket(
    data: Uint8Array,
    receivedAt: number,
    icmp: boolean,
    now: number,
  ): void {
    const reader = this.#reader;
    if (!reader.read(data, 0, data.length, icmp)) return;
    const space = this.#index;
    const index = reader.portIndex * space.addressCount + reader.addressIndex;
    const position = this.#plan.order.positionOf(index);
    if (position < 0 || this.#bits.has(position)) return;
    const host = this.#hosts.get(reader.addressIndex);
    const probe = host?.probes.get(position);
    if (host === undefined || probe === undefined) return;
    if (this.#options.record !== undefined) {
      this.#record({
        event: "received",
        bytes: data.slice(),
        timestamp: receivedAt,
        address: space.addressText(reader.addressIndex),
        port: probe.port,
      });
    }
    const verdict = this.#verdicts.read(reader);
    if (verdict === undefined) return;
    const t = reader.tryNumber;
    const sentWall = probe.sentWall[t];
    const rtt = sentWall === undefined
      ? null
      : Math.max(0, receivedAt - sentWall);
    if (rtt !== null) {
      host.rtt.sample(rtt);
      this.#groupRtt.sample(rtt);
      // An ICMP error to a retry (filtered) is often rate-limited: nmap
      // lets it speed the scan up, never slow it down or allow more
      // retries, except where silence means open (FIN, NULL, Xmas).
      const rateLimited = t > 0 && verdict.state === "filtered" &&
        this.#spec.noResponse !== "open|filtered";
      if (!rateLimited) this.#adjust(host, t, probe.sentMono[t]!, now);
    }
    this.#forget(host, probe);
    this.#bits.set(position);
    this.#verdicts.decide(probe.addressIndex, probe.port, verdict, rtt);
  }

  /** nmap's `ultrascan_adjust_timing` for an answer to try `t`. */
  #adjust(host: HostState, t: number, sentMs: number, now: number): void {
    const group = { window: this.#group, active: this.#groupActive };
    adjustTiming(host, group, { t, sentMs, now, level: this.#timing.level });
  }

  #forget(host: HostState, probe: Probe): void {
    if (!probe.timedOut) {
      host.active--;
      this.#groupActive--;
    }
    probe.timedOut = true;
    host.probes.delete(probe.position);
  }

  /** A port silent after its last try. */
  #silent(host: HostState, probe: Probe): void {
    this.#forget(host, probe);
    this.#bits.set(probe.position);
    const verdict: PortVerdict = {
      state: this.#spec.noResponse,
      reason: "no-response",
    };
    this.#verdicts.decide(probe.addressIndex, probe.port, verdict, null);
  }

  #record(packet: Parameters<NonNullable<RunScanOptions["record"]>>[0]): void {
    const record = this.#options.record;
    if (record === undefined) return;
    this.#recordChain = this.#recordChain.then(() => record(packet)).catch(
      (error) => this.#fail(error),
    );
  }

  #progress(elapsedMs: number) {
    const total = this.#plan.order.length;
    const started = Math.max(0, this.#cursor - this.#queued);
    const rate = elapsedMs > 0 ? (this.#probesSent * 1000) / elapsedMs : 0;
    return {
      started,
      total,
      probesSent: this.#probesSent,
      elapsedMs,
      open: this.#verdicts.open,
      etaSeconds: rate > 0 ? (total - started) / rate : 0,
    };
  }
}
