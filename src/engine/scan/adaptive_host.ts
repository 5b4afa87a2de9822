/**
 * What the adaptive loop (`adaptive.ts`) keeps per host, and the two
 * decisions nmap's engine makes from it: how many tries a host allows
 * (`allowedTryno`) and what an answer does to the host's and the group's
 * windows and delay (`ultrascan_adjust_timing`).
 *
 * @module
 */

import {
  CongestionWindow,
  RttEstimate,
  type ScanTiming,
  SendDelay,
} from "./timing.ts";

/** One port being probed. */
export interface Probe {
  position: number;
  addressIndex: number;
  port: number;
  /** The current try, from 0. */
  tryNumber: number;
  /** When the current try was sent, monotonic ms. */
  sentMs: number;
  /** When each try was sent: monotonic and wall-clock ms. */
  sentMono: number[];
  sentWall: number[];
  timedOut: boolean;
  benched: boolean;
}

/** What the loop keeps per host. */
export class HostState {
  readonly rtt: RttEstimate;
  readonly window: CongestionWindow;
  readonly delay: SendDelay;
  readonly startMs: number;
  /** Probes sent and not yet decided, by position. */
  readonly probes = new Map<number, Probe>();
  /** Probes in flight, oldest first (answered ones are skipped lazily). */
  inFlight: Probe[] = [];
  /** Timed-out probes waiting for a retry, oldest first. */
  waiting: Probe[] = [];
  /** Positions queued, not sent yet. */
  fresh: number[] = [];
  active = 0;
  maxSuccessfulTry = 0;
  maxTrySent = 0;
  rateLimitUntil = -1;
  lastSentMs = -Infinity;
  timedOut = false;

  constructor(timing: ScanTiming, now: number) {
    this.rtt = new RttEstimate(timing);
    this.window = new CongestionWindow(timing);
    this.delay = new SendDelay(timing);
    this.startMs = now;
  }
}

/**
 * The highest try a host allows now (0-based: one retry at first, one more
 * for each retry that got answered, at most `cap`), and whether that can
 * still grow (nmap's `allowedTryno`).
 *
 * @param host The host.
 * @param cap The most retries.
 * @param freshLeft Whether fresh probes remain for it.
 * @returns The try and whether it may grow.
 *
 * @example
 * ```ts
 * import { allowedTry, HostState } from "./adaptive_host.ts";
 * import { TIMING_TEMPLATES } from "./timing.ts";
 * import assert from "node:assert/strict";
 *
 * const host = new HostState(TIMING_TEMPLATES[4], 0);
 * assert.deepEqual(allowedTry(host, 6, true), { allowed: 1, mayIncrease: true });
 * host.maxSuccessfulTry = 6;
 * assert.deepEqual(allowedTry(host, 6, true), { allowed: 6, mayIncrease: false });
 * ```
 */
export function allowedTry(
  host: HostState,
  cap: number,
  freshLeft: boolean,
): { allowed: number; mayIncrease: boolean } {
  const wanted = Math.max(1, host.maxSuccessfulTry + 1);
  const allowed = Math.min(wanted, cap);
  if (wanted > cap) return { allowed, mayIncrease: false };
  if (host.active > 0 || freshLeft) return { allowed, mayIncrease: true };
  for (const probe of host.waiting) {
    if (probe.tryNumber < allowed) return { allowed, mayIncrease: true };
  }
  return { allowed, mayIncrease: false };
}

/**
 * What an answer to try `t` does (nmap's `ultrascan_adjust_timing`): an
 * answer to a retry is a drop (the host's window back to its floor, the
 * group's halved, once per batch of drops); every answer grows both
 * windows; the host's delay counts it; a later try than ever before allows
 * one more, and past the fourth (the fifth from -T4) grows the delay.
 *
 * @param host The host.
 * @param group The group's window and probes in flight.
 * @param answer The try, when it was sent, now (monotonic ms), the level.
 *
 * @example
 * ```ts
 * import { adjustTiming, HostState } from "./adaptive_host.ts";
 * import { CongestionWindow, TIMING_TEMPLATES } from "./timing.ts";
 * import assert from "node:assert/strict";
 *
 * const timing = TIMING_TEMPLATES[4];
 * const host = new HostState(timing, 0);
 * const group = { window: new CongestionWindow(timing), active: 4 };
 * adjustTiming(host, group, { t: 1, sentMs: 10, now: 20, level: 4 });
 * assert.equal(host.window.cwnd, 2); // dropped to 1, then grown by the answer
 * assert.equal(host.maxSuccessfulTry, 1);
 * ```
 */
export function adjustTiming(
  host: HostState,
  group: { window: CongestionWindow; active: number },
  answer: { t: number; sentMs: number; now: number; level: number },
): void {
  const { t, sentMs, now } = answer;
  const drop = t > 0;
  if (drop) {
    if (sentMs > host.window.lastDropMs) host.window.drop(host.active, now);
    if (sentMs > group.window.lastDropMs) {
      group.window.dropGroup(group.active, now);
    }
  }
  host.window.expect();
  group.window.expect();
  host.window.ack();
  group.window.ack();
  host.delay.answer(drop, sentMs, now);
  if (t > host.maxSuccessfulTry) {
    host.maxSuccessfulTry = t;
    if (t > (answer.level >= 4 ? 4 : 3)) host.delay.boost(now);
  }
}
