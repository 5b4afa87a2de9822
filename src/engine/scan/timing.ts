/**
 * The adaptive scan's timing, after nmap's (`timing.cc`, `scan_engine.cc`
 * of nmap 7.9x), written anew:
 *
 * - {@linkcode TIMING_TEMPLATES}: `-T0` to `-T5` with nmap's meaning: the
 *   initial, least and greatest retransmission timeout, the retries, the
 *   fixed delay between probes to one host and the greatest delay the
 *   engine may grow to, the most probes in flight, the host timeout.
 * - {@linkcode RttEstimate}: smoothed RTT and its variance (RFC 6298, as
 *   nmap's `adjust_timeouts2`: gains 1/8 and 1/4, timeout = srtt + 4 ×
 *   rttvar, boxed between the template's bounds; the first sample sets the
 *   variance to the sample, at least 5 ms; absurd samples are ignored).
 * - {@linkcode CongestionWindow}: the number of probes allowed in flight,
 *   growing by one per answer in slow start and by `caIncrement / cwnd` in
 *   congestion avoidance, scaled by how many answers were expected per
 *   answer received (at most 50); a drop (an answer to a retransmission:
 *   the first try went missing) sets it back to its floor and halves
 *   `ssthresh` (nmap's divisors per template); the group's window, shared
 *   by every host, is only halved.
 * - {@linkcode SendDelay}: a host whose answers go missing too often (more
 *   than 10 drops, over 30 % of answers, 40 % from `-T4` on), or that
 *   answers only the fourth try or later, gets a delay between probes,
 *   5 ms doubling to the template's greatest (nmap's `boostScanDelay`).
 *   ICMP rate limiting (Linux: a burst of 6, then one a second per peer)
 *   is what this catches.
 *
 * @module
 */

/** A timing template's level, `-T0` (paranoid) to `-T5` (insane). */
export type TimingLevel = 0 | 1 | 2 | 3 | 4 | 5;

/** The adaptive engine's settings; a template gives them all. */
export interface ScanTiming {
  /** The template's level (decides growth and drop divisors). */
  level: TimingLevel;
  /** The retransmission timeout before any answer, ms. */
  initialRttMs: number;
  /** The least retransmission timeout, ms. */
  minRttMs: number;
  /** The greatest retransmission timeout, ms. */
  maxRttMs: number;
  /** Retransmissions of one probe at most (nmap's `--max-retries`). */
  maxRetries: number;
  /** A fixed least delay between probes to one host, ms (`--scan-delay`). */
  scanDelayMs: number;
  /** The greatest delay the engine may grow to between probes to one host, ms. */
  maxScanDelayMs: number;
  /** Probes in flight at most, all hosts together (`--max-parallelism`). */
  maxParallelism: number;
  /** Probes in flight allowed at least (`--min-parallelism`). */
  minParallelism: number;
  /** Probes a second at least, whatever the windows say (`--min-rate`; 0: none). */
  minRate: number;
  /** Probes a second at most (`--max-rate`; 0: none). */
  maxRate: number;
  /** Give up a host after this long, ms (`--host-timeout`; 0: never). */
  hostTimeoutMs: number;
}

/** nmap's names of the templates. */
export const TIMING_NAMES: readonly string[] = Object.freeze([
  "paranoid",
  "sneaky",
  "polite",
  "normal",
  "aggressive",
  "insane",
]);

const NORMAL: ScanTiming = {
  level: 3,
  initialRttMs: 1000,
  minRttMs: 100,
  maxRttMs: 10_000,
  maxRetries: 10,
  scanDelayMs: 0,
  maxScanDelayMs: 1000,
  maxParallelism: 300,
  minParallelism: 1,
  minRate: 0,
  maxRate: 0,
  hostTimeoutMs: 0,
};

/**
 * The templates, `-T0` to `-T5`, with nmap 7.9x's values (`nmap.cc`,
 * `NmapOps.cc`): T0 and T1 wait 5 min and 15 s between probes, one at a
 * time; T2 400 ms, one at a time; T3 is nmap's default; T4 keeps the
 * timeout in 100 ms..1.25 s (500 ms at first), 6 retries, at most 10 ms
 * between probes; T5 50..300 ms (250 ms), 2 retries, 5 ms, 15 min a host.
 *
 * @example
 * ```ts
 * import { TIMING_TEMPLATES } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TIMING_TEMPLATES[4].maxRttMs, 1250);
 * assert.equal(TIMING_TEMPLATES[3].maxRetries, 10);
 * assert.equal(TIMING_TEMPLATES[0].scanDelayMs, 300_000);
 * ```
 */
export const TIMING_TEMPLATES: Readonly<Record<TimingLevel, ScanTiming>> =
  Object.freeze({
    0: {
      ...NORMAL,
      level: 0,
      maxParallelism: 1,
      scanDelayMs: 300_000,
      initialRttMs: 300_000,
      maxRttMs: 300_000,
      maxScanDelayMs: 300_000,
    },
    1: {
      ...NORMAL,
      level: 1,
      maxParallelism: 1,
      scanDelayMs: 15_000,
      initialRttMs: 15_000,
      maxRttMs: 15_000,
      maxScanDelayMs: 15_000,
    },
    2: { ...NORMAL, level: 2, maxParallelism: 1, scanDelayMs: 400 },
    3: NORMAL,
    4: {
      ...NORMAL,
      level: 4,
      minRttMs: 100,
      maxRttMs: 1250,
      initialRttMs: 500,
      maxScanDelayMs: 10,
      maxRetries: 6,
    },
    5: {
      ...NORMAL,
      level: 5,
      minRttMs: 50,
      maxRttMs: 300,
      initialRttMs: 250,
      hostTimeoutMs: 900_000,
      maxScanDelayMs: 5,
      maxRetries: 2,
    },
  });

/**
 * A template's level from `-T`'s text: a digit 0..5 or nmap's name.
 *
 * @param text `4`, `aggressive`, `T4`…
 * @returns The level, or undefined for anything else.
 *
 * @example
 * ```ts
 * import { parseTimingLevel } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTimingLevel("4"), 4);
 * assert.equal(parseTimingLevel("Insane"), 5);
 * assert.equal(parseTimingLevel("6"), undefined);
 * ```
 */
export function parseTimingLevel(text: string): TimingLevel | undefined {
  const word = text.toLowerCase().replace(/^t(?=\d$)/, "");
  if (/^[0-5]$/.test(word)) return Number(word) as TimingLevel;
  const index = TIMING_NAMES.indexOf(word);
  return index < 0 ? undefined : index as TimingLevel;
}

function box(low: number, high: number, value: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * A retransmission timeout from measured round trips (RFC 6298, nmap's
 * `adjust_timeouts2`), in milliseconds.
 *
 * @example
 * ```ts
 * import { RttEstimate, TIMING_TEMPLATES } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const rtt = new RttEstimate(TIMING_TEMPLATES[4]);
 * assert.equal(rtt.timeoutMs, 500);
 * rtt.sample(0.2);
 * // srtt + 4 × max(5 ms, srtt), boxed to 100 ms at least.
 * assert.equal(rtt.timeoutMs, 100);
 * assert.equal(rtt.measured, true);
 * ```
 */
export class RttEstimate {
  /** The smoothed round trip, ms (-1 before the first sample). */
  srttMs: number = -1;
  /** Its variation, ms (-1 before the first sample). */
  rttvarMs: number = -1;
  /** The retransmission timeout, ms. */
  timeoutMs: number;
  readonly #timing: ScanTiming;

  /**
   * An estimate with no sample yet: the template's initial timeout.
   *
   * @param timing The bounds.
   */
  constructor(timing: ScanTiming) {
    this.#timing = timing;
    this.timeoutMs = timing.initialRttMs;
  }

  /** Whether a sample was taken. */
  get measured(): boolean {
    return this.srttMs > 0;
  }

  /**
   * Take a round trip into the estimate.
   *
   * @param rttMs The round trip, ms.
   */
  sample(rttMs: number): void {
    let delta = rttMs;
    // A reply stamped a little before its probe: clock skew, count 10 ms.
    if (delta < 0 && delta > -50) delta = 10;
    if (this.srttMs === -1 && this.rttvarMs === -1) {
      this.srttMs = Math.max(delta, 0.001);
      this.rttvarMs = box(5, 2000, this.srttMs);
    } else {
      if (delta >= 8000 || delta < 0) return;
      const change = delta - this.srttMs;
      if (change > 1500 && change > 3 * this.srttMs + 2 * this.rttvarMs) {
        return;
      }
      this.srttMs += change / 8;
      this.rttvarMs += (Math.abs(change) - this.rttvarMs) / 4;
    }
    if (this.rttvarMs > 2300) this.rttvarMs = 2000;
    const t = this.#timing;
    this.timeoutMs = box(
      t.minRttMs,
      t.maxRttMs,
      this.srttMs + 4 * this.rttvarMs,
    );
    if (t.scanDelayMs > 0) {
      this.timeoutMs = Math.max(this.timeoutMs, t.scanDelayMs);
    }
  }
}

/**
 * A congestion window on probes in flight (nmap's `ultra_timing_vals`):
 * one per host, and one for the group of hosts.
 *
 * @example
 * ```ts
 * import { CongestionWindow, TIMING_TEMPLATES } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const window = new CongestionWindow(TIMING_TEMPLATES[4]);
 * assert.equal(window.cwnd, 10);
 * window.expect();
 * window.ack();
 * assert.equal(window.cwnd, 11); // slow start: one more per answer
 * window.drop(8, 1000);
 * assert.equal(window.cwnd, 1);
 * assert.equal(window.ssthresh, 6); // 8 in flight / (4/3)
 * ```
 */
export class CongestionWindow {
  /** Probes allowed in flight. */
  cwnd: number;
  /** Where slow start ends. */
  ssthresh = 75;
  /** When the last drop was noticed (monotonic ms; -Infinity: never). */
  lastDropMs: number = -Infinity;
  /** Answers expected: every probe answered or timed out. */
  expected = 0;
  /** Answers received. */
  received = 0;
  readonly #low: number;
  readonly #max: number;
  readonly #caIncrement: number;
  readonly #divisor: number;

  /**
   * A window at its initial size (10, within the parallelism bounds).
   *
   * @param timing The template and parallelism bounds.
   */
  constructor(timing: ScanTiming) {
    this.#low = Math.max(1, timing.minParallelism);
    this.#max = Math.max(this.#low, timing.maxParallelism);
    this.cwnd = box(this.#low, this.#max, 10);
    this.#caIncrement = timing.level < 4 ? 1 : 2;
    this.#divisor = timing.level <= 3
      ? 3 / 2
      : timing.level === 4
      ? 4 / 3
      : 5 / 4;
  }

  /** A probe was answered or timed out: one more answer was expected. */
  expect(): void {
    this.expected++;
  }

  /** An answer came: grow the window. */
  ack(): void {
    this.received++;
    const scale = Math.min(this.expected / this.received, 50);
    if (this.cwnd < this.ssthresh) {
      this.cwnd = Math.min(this.cwnd + scale, this.ssthresh);
    } else {
      this.cwnd += (this.#caIncrement / this.cwnd) * scale;
    }
    this.cwnd = Math.min(this.cwnd, this.#max);
  }

  /**
   * A drop, for a host's window: back to the floor, `ssthresh` from what
   * was in flight.
   *
   * @param inFlight Probes in flight.
   * @param now Monotonic ms.
   */
  drop(inFlight: number, now: number): void {
    this.cwnd = this.#low;
    this.ssthresh = Math.max(Math.floor(inFlight / this.#divisor), 2);
    this.lastDropMs = now;
  }

  /**
   * A drop, for the group's window: halved, not reset.
   *
   * @param inFlight Probes in flight, all hosts.
   * @param now Monotonic ms.
   */
  dropGroup(inFlight: number, now: number): void {
    this.cwnd = Math.max(this.#low, this.cwnd / 2);
    this.ssthresh = Math.max(Math.floor(inFlight / this.#divisor), 2);
    this.lastDropMs = now;
  }
}

/**
 * The delay between probes to one host, grown when its answers go missing
 * (nmap's `send_delay_nfo` and `boostScanDelay`).
 *
 * @example
 * ```ts
 * import { SendDelay, TIMING_TEMPLATES } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const delay = new SendDelay(TIMING_TEMPLATES[3]);
 * for (let i = 0; i < 11; i++) delay.answer(true, 0, 0);
 * assert.equal(delay.delayMs, 5); // 11 of 11 answers were to retransmissions
 * delay.boost(1);
 * assert.equal(delay.delayMs, 10);
 * ```
 */
export class SendDelay {
  /** The delay, ms. */
  delayMs: number;
  /** When it last grew (monotonic ms). */
  lastBoostMs: number = -Infinity;
  #good = 0;
  #bad = 0;
  readonly #max: number;
  readonly #threshold: number;

  /**
   * The template's fixed delay (0 unless `--scan-delay` or T0..T2).
   *
   * @param timing The template.
   */
  constructor(timing: ScanTiming) {
    this.delayMs = timing.scanDelayMs;
    this.#max = Math.max(timing.scanDelayMs, timing.maxScanDelayMs);
    this.#threshold = timing.level >= 4 ? 0.4 : 0.3;
  }

  /**
   * Count an answer, or a drop, and grow the delay when too many went
   * missing since it last grew.
   *
   * @param drop Whether it shows a drop (an answer to a retransmission).
   * @param sentMs When the answered probe was sent.
   * @param now Monotonic ms.
   */
  answer(drop: boolean, sentMs: number, now: number): void {
    if (drop && sentMs > this.lastBoostMs) this.#bad++;
    else this.#good++;
    if (
      this.#bad > 10 && this.#bad / (this.#bad + this.#good) > this.#threshold
    ) {
      this.boost(now);
    }
  }

  /**
   * Grow the delay: 5 ms, then doubling, to the template's greatest.
   *
   * @param now Monotonic ms.
   */
  boost(now: number): void {
    if (this.delayMs < 1000) {
      this.delayMs = this.delayMs === 0 ? 5 : Math.min(this.delayMs * 2, 1000);
    }
    this.delayMs = Math.min(this.delayMs, this.#max);
    this.lastBoostMs = now;
    this.#bad = 0;
    this.#good = 0;
  }
}
