/**
 * Pacing: a token bucket that lets probes out at a rate. It holds 20 ms of
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
