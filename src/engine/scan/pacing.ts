/**
 * Pacing: {@linkcode Pacer}, the scan engine's clock-counted pace with a
 * burst of a few milliseconds, and {@linkcode TokenBucket}, a token bucket
 * that lets probes out at a rate. The bucket holds 20 ms of
 * probes (at least 4): a timer that fires late then costs no probes (a
 * bucket of 1 would lose the overshoot at every wake-up and run slow), and
 * a burst stays short.
 *
 * @module
 */

/**
 * A token bucket: `rate` tokens a second, at most `capacity` kept, one
 * spent per probe. It starts with one token.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./pacing.ts";
 * import assert from "node:assert/strict";
 *
 * const bucket = new TokenBucket(1000, 0);
 * assert.equal(bucket.capacity, 20);
 * bucket.take();
 * assert.ok(!bucket.ready);
 * assert.equal(bucket.waitMs(), 1);
 * bucket.refill(5);
 * assert.equal(bucket.tokens, 5);
 * ```
 */
export class TokenBucket {
  /** Tokens a second. */
  readonly rate: number;
  /** The most tokens kept. */
  readonly capacity: number;
  #tokens = 1;
  #last: number;

  /**
   * Create a bucket.
   *
   * @param rate Tokens a second.
   * @param now The clock's time, ms.
   */
  constructor(rate: number, now: number) {
    this.rate = rate;
    this.capacity = Math.max(4, rate / 50);
    this.#last = now;
  }

  /** The tokens in the bucket (fractions included). */
  get tokens(): number {
    return this.#tokens;
  }

  /** Whether a whole token is there to spend. */
  get ready(): boolean {
    return this.#tokens >= 1;
  }

  /**
   * Add the tokens earned since the last refill.
   *
   * @param now The clock's time, ms.
   */
  refill(now: number): void {
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((now - this.#last) * this.rate) / 1000,
    );
    this.#last = now;
  }

  /** Spend a token. */
  take(): void {
    this.#tokens -= 1;
  }

  /**
   * How long until the next whole token, ms (0 when one is there).
   *
   * @returns The wait.
   */
  waitMs(): number {
    return Math.max(0, ((1 - this.#tokens) * 1000) / this.rate);
  }
}

/**
 * The scan's pace: probe `k` (from 0) may leave `k / rate` seconds after
 * the start, counted from the clock rather than from wake-ups, so a late
 * timer costs no probes; at most `burst` probes (a few milliseconds of
 * traffic) are owed at once, so a stall is not made up in one long burst.
 *
 * @example
 * ```ts
 * import { Pacer } from "./pacing.ts";
 * import assert from "node:assert/strict";
 *
 * const pacer = new Pacer(1000, 0, 5);
 * assert.equal(pacer.available(0), 1);
 * pacer.spend(1);
 * assert.equal(pacer.available(2.5), 2);
 * assert.equal(pacer.waitMs(2.5, 3), 0.5);
 * assert.equal(pacer.available(1000), 5); // a stall: at most the burst
 * ```
 */
export class Pacer {
  /** Probes a second. */
  readonly rate: number;
  /** The most probes owed at once. */
  readonly burst: number;
  #origin: number;
  #spent = 0;

  /**
   * Start pacing.
   *
   * @param rate Probes a second.
   * @param now The clock's time, ms.
   * @param burst The most probes owed at once (at least 1).
   */
  constructor(rate: number, now: number, burst: number) {
    this.rate = rate;
    this.burst = Math.max(1, Math.floor(burst));
    this.#origin = now;
  }

  /**
   * The probes that may leave now.
   *
   * @param now The clock's time, ms.
   * @returns How many, 0..burst.
   */
  available(now: number): number {
    const due = Math.floor(((now - this.#origin) * this.rate) / 1000 + 1e-9) +
      1 - this.#spent;
    if (due <= this.burst) return Math.max(0, due);
    // Owed more than a burst: forget the rest, as if the scan had started later.
    this.#origin = now - ((this.burst - 1 + this.#spent) * 1000) / this.rate;
    return this.burst;
  }

  /**
   * Probes left.
   *
   * @param count How many.
   */
  spend(count: number): void {
    this.#spent += count;
  }

  /**
   * How long until `count` probes may leave.
   *
   * @param now The clock's time, ms.
   * @param count How many (at most the burst).
   * @returns Milliseconds, 0 when they may leave now.
   */
  waitMs(now: number, count: number): number {
    const at = this.#origin +
      ((Math.min(count, this.burst) - 1 + this.#spent) * 1000) / this.rate;
    return Math.max(0, at - now);
  }
}
