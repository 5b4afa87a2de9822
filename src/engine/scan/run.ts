/**
 * The scan engine's loop: a stateless port scanner in the manner of masscan
 * and zmap, with nmap's port states.
 *
 * - {@linkcode openScan} is the OS half's start: a source address per
 *   family (given, or the one the kernel routes from to the first target
 *   of that family), a probe template per family, and a receiver per family
 *   (raw TCP and ICMP sockets, header included, 4 MiB receive buffers:
 *   replies to a fast scan arrive in bursts).
 * - {@linkcode ScanSession.run} sends a probe per (address, port) of the
 *   plan's order, paced by a token bucket at `rate` probes a second
 *   (retries included; probes due together to one destination go in one
 *   `sendMany` call). Each probe's sequence number is a SYN cookie. Replies
 *   are matched to their tries and read by the scan type's entry in the
 *   registry; a try unanswered after `timeoutMs` is sent again, `retries`
 *   times, then the port gets the type's no-response state. Results are
 *   reported as ports are decided; the run ends when every port is
 *   decided, something fails, or the signal aborts (undecided ports are not
 *   reported).
 *
 * @module
 */

import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../../wire/address.ts";
import { TCP_FLAGS } from "../../wire/flags.ts";
import type { Clock } from "../../host/host.ts";
import type { Net, NetReceiver } from "../../host/net.ts";
import { whenAborted } from "../_abort.ts";
import type { Probe } from "../reply_match.ts";
import { bigIntToAddress } from "../targets.ts";
import { cookieKey, probeCookies } from "./cookies.ts";
import { TokenBucket } from "./pacing.ts";
import type { ScanPlan } from "./plan.ts";
import {
  type ScanOutcome,
  type ScanPacket,
  type ScanProgress,
  type ScanResult,
  scanResult,
} from "./result.ts";
import { PORT_STATES, type PortState, type PortVerdict } from "./state.ts";
import { ProbeTemplate } from "./template.ts";
import { type PortRecord, ProbeTracker, type TrackedReply } from "./tracker.ts";
import {
  noResponseVerdict,
  replyVerdict,
  SCAN_TYPE_FLAGS,
  type ScanType,
} from "./types.ts";

/** How long one receiver wait lasts, so a receive loop notices the end soon. */
const POLL_MS = 50;

/**
 * The receive buffer asked for each socket: replies to a fast scan arrive in
 * bursts (the kernel caps it at `net.core.rmem_max`).
 */
const RECEIVE_BUFFER_BYTES = 4 << 20;

/** What the scan engine takes of the network. */
export type ScanNet =
  & Pick<Net, "routeSource" | "wallClock">
  & Required<Pick<Net, "openReceiver">>;

/** Options for {@linkcode openScan}. */
export interface OpenScanOptions {
  /** The network. */
  net: ScanNet;
  /** How replies are read (and the flags, unless `flags` is given). */
  scan: ScanType;
  /** The probes' flags (default: the scan type's). */
  flags?: number;
  /** The source port of every probe. */
  sport: number;
  /** The source address (default: the routed one, per family). */
  src?: string;
}

/**
 * No source address for a family: the kernel has no route to its first
 * target. The message reads `Cannot find a source address for <dst>: <why>`.
 *
 * @example
 * ```ts
 * import { ScanSourceError } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ScanSourceError("192.0.2.1", new Error("network is unreachable"));
 * assert.equal(error.message, "Cannot find a source address for 192.0.2.1: network is unreachable");
 * ```
 */
export class ScanSourceError extends Error {
  /** The destination no route leads to. */
  readonly destination: string;

  /**
   * Create the error.
   *
   * @param destination The destination.
   * @param cause What the route lookup threw.
   */
  constructor(destination: string, cause: unknown) {
    super(
      `Cannot find a source address for ${destination}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "ScanSourceError";
    this.destination = destination;
  }
}

/** Options for {@linkcode ScanSession.run}. */
export interface RunScanOptions {
  /** The monotonic clock the pace and deadlines run on. */
  clock: Clock;
  /** Probes a second, retries included. */
  rate: number;
  /** Times an unanswered probe is sent again. */
  retries: number;
  /** How long a try waits for its answer, ms. */
  timeoutMs: number;
  /** Stops the scan: no more probes, undecided ports not reported. */
  signal?: AbortSignal;
  /** Report progress this often, ms (default: never). */
  progressMs?: number;
  /** Called for each port as it is decided. */
  onResult(result: ScanResult): void;
  /** Called every `progressMs`. */
  onProgress?(progress: ScanProgress): void;
  /**
   * Called with each packet sent and each reply received, in order, each
   * call after the previous one settled (for a capture file); a rejection
   * stops the scan with that failure.
   */
  record?(packet: ScanPacket): Promise<void>;
}

/**
 * An opened scan: sources found, templates built, receivers open. Run it
 * once, or close it.
 */
export interface ScanSession {
  /** The source address of each family scanned. */
  readonly sources: ReadonlyMap<AddressFamily, string>;
  /**
   * Run the scan; see the module documentation. The receivers are closed
   * when it returns.
   *
   * @param options Pace, retries, timeout, clock, signal and reports.
   * @returns The counts, and what failed if something did.
   */
  run(options: RunScanOptions): Promise<ScanOutcome>;
  /** Close the receivers (idempotent). */
  close(): void;
}

/**
 * Open a scan: sources, templates and receivers; nothing is sent.
 *
 * @param plan The plan.
 * @param options The network, scan type, flags and ports.
 * @returns The session.
 * @throws {ScanSourceError} When no route leads to a family's first target
 *   (before any socket is open).
 * @throws What the network's `openReceiver` throws (nothing stays open).
 *
 * @example See `tests/scan_engine_test.ts` for scans on a fake network.
 * ```ts
 * import { openScan, parsePorts, parseTargetSpec, planScan } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseTargetSpec("192.0.2.1");
 * if (spec.kind !== "addresses") throw new Error("not addresses");
 * const plan = planScan({ include: [spec.range], ports: parsePorts("80"), seed: 1 });
 * const net = {
 *   routeSource: () => { throw new Error("network is unreachable"); },
 *   wallClock: () => 0,
 *   openReceiver: () => { throw new Error("not reached"); },
 * };
 * assert.throws(
 *   () => openScan(plan, { net, scan: "syn", sport: 50000 }),
 *   /Cannot find a source address for 192\.0\.2\.1: network is unreachable/,
 * );
 * ```
 */
export function openScan(
  plan: ScanPlan,
  options: OpenScanOptions,
): ScanSession {
  const { net, scan, sport } = options;
  const flags = options.flags ?? SCAN_TYPE_FLAGS[scan];
  // Sources first: a missing route is an error before any socket is open.
  const templates = new Map<AddressFamily, ProbeTemplate>();
  for (const family of plan.space.families) {
    let src = options.src;
    if (src === undefined) {
      const first = plan.space.addresses.find((r) => r.family === family)!;
      const dst = formatAddress(bigIntToAddress(first.first, family));
      try {
        src = formatAddress(parseAddress(net.routeSource(dst)).bytes);
      } catch (error) {
        throw new ScanSourceError(dst, error);
      }
    }
    templates.set(family, new ProbeTemplate(family, src, sport, flags));
  }
  const receivers = new Map<AddressFamily, NetReceiver>();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const receiver of receivers.values()) receiver.close();
  };
  try {
    for (const family of templates.keys()) {
      receivers.set(
        family,
        net.openReceiver(family, {
          headerIncluded: true,
          receiveBufferBytes: RECEIVE_BUFFER_BYTES,
        }),
      );
    }
  } catch (error) {
    close();
    throw error;
  }
  const sources = new Map(
    [...templates].map(([family, template]) => [family, template.src]),
  );
  return {
    sources,
    async run(runOptions) {
      try {
        return await new ScanRun(plan, {
          scan,
          flags,
          sport,
          templates,
          receivers,
          wallClock: () => net.wallClock(),
          close,
        }, runOptions).run();
      } finally {
        close();
      }
    },
    close,
  };
}

/** What a run takes from its session. */
interface RunSetup {
  scan: ScanType;
  flags: number;
  sport: number;
  templates: ReadonlyMap<AddressFamily, ProbeTemplate>;
  receivers: ReadonlyMap<AddressFamily, NetReceiver>;
  wallClock: () => number;
  /** Close the receivers (idempotent). */
  close: () => void;
}

/** One try ready to go: the port and the buffer its datagram is written to. */
interface Pending {
  record: PortRecord;
  buffer: Uint8Array;
}

/** The state of one run of the loop. */
class ScanRun {
  readonly #plan: ScanPlan;
  readonly #setup: RunSetup;
  readonly #options: RunScanOptions;
  readonly #tracker = new ProbeTracker();
  readonly #key = cookieKey();
  readonly #counts = Object.fromEntries(
    PORT_STATES.map((state) => [state, 0]),
  ) as Record<PortState, number>;
  readonly #pool: Uint8Array[] = [];
  #position = 0;
  #probesSent = 0;
  #open = 0;
  #stopped = false;
  #failure: { error: unknown } | undefined;
  #recordChain = Promise.resolve();
  #wake: () => void = () => {};
  #nudge: () => void = () => {};
  readonly #woken = new Promise<void>((resolve) => {
    this.#wake = resolve;
  });

  constructor(plan: ScanPlan, setup: RunSetup, options: RunScanOptions) {
    this.#plan = plan;
    this.#setup = setup;
    this.#options = options;
  }

  async run(): Promise<ScanOutcome> {
    const { clock, signal } = this.#options;
    const loops = [...this.#setup.receivers].map(([family, receiver]) =>
      this.#receiveLoop(family, receiver)
    );
    const start = clock.now();
    let interrupted = false;
    try {
      await this.#sendLoop(start);
      interrupted = signal?.aborted === true;
    } finally {
      this.#stopped = true;
      await Promise.all(loops);
      this.#setup.close();
      await this.#recordChain;
    }
    const outcome: ScanOutcome = {
      counts: this.#counts,
      probesSent: this.#probesSent,
      elapsedMs: clock.now() - start,
      interrupted,
    };
    if (this.#failure !== undefined) outcome.failure = this.#failure;
    return outcome;
  }

  /** Stop the run with a failure (the first one wins). */
  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#stopped = true;
    this.#wake();
  }

  /** Hand a packet to `record`, after the ones before it. */
  #record(packet: ScanPacket): void {
    const record = this.#options.record;
    if (record === undefined) return;
    this.#recordChain = this.#recordChain.then(() => record(packet)).catch(
      (error) => this.#fail(error),
    );
  }

  async #receiveLoop(
    family: AddressFamily,
    receiver: NetReceiver,
  ): Promise<void> {
    const tracker = this.#tracker;
    while (!this.#stopped) {
      let batch;
      try {
        batch = await receiver.poll(POLL_MS);
      } catch (error) {
        this.#fail(error);
        return;
      }
      for (const packet of batch.tcp) {
        this.#handle(
          tracker.matchTcp(packet.bytes, packet.receivedAt),
          packet.bytes,
        );
      }
      for (const packet of batch.icmp) {
        this.#handle(
          tracker.matchIcmp(packet.bytes, packet.receivedAt, family),
          packet.bytes,
        );
      }
    }
  }

  #handle(tracked: TrackedReply | undefined, bytes: Uint8Array): void {
    if (tracked === undefined) return;
    const { reply, record } = tracked;
    this.#record({
      event: "received",
      bytes,
      timestamp: reply.receivedAt,
      address: reply.probe.dst,
      port: reply.probe.dstPort,
    });
    if (record === undefined) return;
    const verdict = replyVerdict(this.#setup.scan, reply);
    // nmap ignores what it cannot read (a SYN-ACK to a FIN probe): keep waiting.
    if (verdict !== undefined) this.#finish(record, verdict, tracked);
  }

  #finish(
    record: PortRecord,
    verdict: PortVerdict,
    tracked?: TrackedReply,
  ): void {
    this.#tracker.finish(record);
    // The last port decided: the send loop may be asleep until a deadline.
    if (this.#tracker.pending === 0) this.#nudge();
    this.#counts[verdict.state]++;
    if (verdict.state === "open") this.#open++;
    this.#options.onResult(scanResult(record, verdict, tracked?.reply));
  }

  async #sendLoop(start: number): Promise<void> {
    const { clock, signal, progressMs } = this.#options;
    const aborted = whenAborted(signal);
    const total = this.#plan.order.length;
    const bucket = new TokenBucket(this.#options.rate, start);
    let lastProgress = -Infinity;
    while (!this.#stopped && signal?.aborted !== true) {
      let now = clock.now();
      // Unanswered tries past their deadline: send again, or give up.
      this.#tracker.expire(now, this.#options.retries, (record) => {
        this.#finish(record, noResponseVerdict(this.#setup.scan));
      });
      bucket.refill(now);
      const batch = this.#due(bucket);
      if (batch.length > 0) {
        now = clock.now();
        for (const { record, buffer } of batch) {
          this.#prepare(record, buffer, now);
        }
        try {
          this.#send(batch);
        } catch (error) {
          this.#failure = { error };
          break;
        }
      }
      if (
        this.#position >= total && this.#tracker.retriesDue === 0 &&
        this.#tracker.pending === 0
      ) break;
      now = clock.now();
      if (progressMs !== undefined && now - lastProgress >= progressMs) {
        this.#options.onProgress?.(this.#progress(now - start));
        lastProgress = now;
      }
      await Promise.race([
        clock.sleep(this.#sleepMs(now, bucket)),
        aborted,
        this.#woken,
        new Promise<void>((resolve) => {
          this.#nudge = resolve;
        }),
      ]);
    }
  }

  /** The tries due now, retries first, with a buffer each. */
  #due(bucket: TokenBucket): Pending[] {
    const { order, space } = this.#plan;
    const batch: Pending[] = [];
    while (bucket.ready) {
      const record = this.#tracker.next(() => {
        if (this.#position >= order.length) return undefined;
        const index = order.at(this.#position++);
        const point = space.at(index);
        return {
          index,
          addressIndex: point.addressIndex,
          address: point.address,
          addressBytes: parseAddress(point.address).bytes,
          family: point.family,
          port: point.port,
          tries: 0,
          probeIds: [],
          deadline: 0,
          done: false,
        };
      });
      if (record === undefined) break;
      const template = this.#setup.templates.get(record.family)!;
      let buffer = this.#pool[batch.length];
      if (buffer === undefined || buffer.length !== template.length) {
        buffer = new Uint8Array(template.length);
        this.#pool[batch.length] = buffer;
      }
      batch.push({ record, buffer });
      bucket.take();
    }
    return batch;
  }

  /** Write one try of a port into its buffer and wait for its replies. */
  #prepare(record: PortRecord, buffer: Uint8Array, now: number): void {
    const { sport, flags } = this.#setup;
    const template = this.#setup.templates.get(record.family)!;
    const { seq, ack } = probeCookies(
      this.#key,
      record.addressBytes,
      record.port,
      sport,
      record.tries,
    );
    const ackValue = (flags & TCP_FLAGS.ack) !== 0 ? ack : 0;
    template.write(
      buffer,
      record.address,
      record.addressBytes,
      record.port,
      seq,
      ackValue,
    );
    const probe: Probe = {
      id: this.#tracker.nextId(),
      family: record.family,
      src: template.src,
      dst: record.address,
      srcPort: sport,
      dstPort: record.port,
      seq,
      ack: ackValue,
      flags,
      payloadLength: 0,
      sentAt: this.#setup.wallClock(),
    };
    this.#record({
      event: "sent",
      bytes: buffer.slice(),
      timestamp: probe.sentAt,
      address: record.address,
      port: record.port,
      try: record.tries + 1,
    });
    this.#tracker.sent(record, probe, now + this.#options.timeoutMs);
  }

  /** Send a batch: one call per run of tries to the same destination. */
  #send(batch: readonly Pending[]): void {
    let i = 0;
    while (i < batch.length) {
      const first = batch[i]!.record;
      let j = i + 1;
      while (j < batch.length && batch[j]!.record.address === first.address) {
        j++;
      }
      const receiver = this.#setup.receivers.get(first.family)!;
      if (j - i === 1) receiver.send(batch[i]!.buffer, first.address);
      else {
        receiver.sendMany(
          batch.slice(i, j).map((item) => item.buffer),
          first.address,
        );
      }
      this.#probesSent += j - i;
      i = j;
    }
  }

  /** Until the next token, the next deadline or the next progress report. */
  #sleepMs(now: number, bucket: TokenBucket): number {
    let wait = Infinity;
    const work = this.#position < this.#plan.order.length ||
      this.#tracker.retriesDue > 0;
    if (work) wait = bucket.waitMs();
    const nextDeadline = this.#tracker.nextDeadline();
    if (nextDeadline !== undefined) {
      wait = Math.min(wait, Math.max(0, nextDeadline - now));
    }
    const progressMs = this.#options.progressMs;
    if (progressMs !== undefined) wait = Math.min(wait, progressMs);
    return Number.isFinite(wait) ? wait : POLL_MS;
  }

  #progress(elapsedMs: number): ScanProgress {
    const total = this.#plan.order.length;
    const remaining = total - this.#position + this.#tracker.retriesDue;
    return {
      started: this.#position,
      total,
      probesSent: this.#probesSent,
      elapsedMs,
      open: this.#open,
      etaSeconds: remaining / this.#options.rate +
        (this.#tracker.pending > 0 ? this.#options.timeoutMs / 1000 : 0),
    };
  }
}
