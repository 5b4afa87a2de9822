/**
 * When each stretch of the order was sent, per try: one entry per send
 * call (the position reached, the monotonic and the wall-clock time), not
 * per probe. The next try's cursor reads it to know which positions have
 * waited their timeout; a reply's round-trip time is its arrival less the
 * time of the entry that covers its position. Entries are dropped once no
 * reply can use them, so the log holds about `rate × window / batch`
 * entries, whatever the size of the scan.
 *
 * @module
 */

/**
 * The send times of one try; see the module documentation.
 *
 * @example
 * ```ts
 * import { SendLog } from "./send_log.ts";
 * import assert from "node:assert/strict";
 *
 * const log = new SendLog();
 * log.add(64, 10, 1000.5); // positions 0..63 sent at 10 ms
 * log.add(128, 12, 1002.5);
 * assert.equal(log.wallTimeOf(70), 1002.5);
 * assert.equal(log.reachedBefore(11), 64); // waited since 11 ms or longer
 * log.dropBefore(64);
 * assert.equal(log.wallTimeOf(3), undefined);
 * ```
 */
export class SendLog {
  #end = new Float64Array(64);
  #time = new Float64Array(64);
  #wall = new Float64Array(64);
  #head = 0;
  #tail = 0;
  #read = 0;

  /** Entries held. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /**
   * Record that positions up to `end` (exclusive) were sent by now.
   *
   * @param end The position reached.
   * @param time The monotonic clock, ms.
   * @param wall The wall clock, epoch ms.
   */
  add(end: number, time: number, wall: number): void {
    const last = this.#tail - 1;
    if (last >= this.#head && this.#time[last] === time) {
      this.#end[last] = end;
      return;
    }
    if (this.#tail === this.#end.length) this.#grow();
    this.#end[this.#tail] = end;
    this.#time[this.#tail] = time;
    this.#wall[this.#tail] = wall;
    this.#tail++;
  }

  #grow(): void {
    const live = this.#tail - this.#head;
    const size = live * 2 > this.#end.length
      ? this.#end.length * 2
      : this.#end.length;
    for (const name of ["end", "time", "wall"] as const) {
      const old = name === "end"
        ? this.#end
        : name === "time"
        ? this.#time
        : this.#wall;
      const next = new Float64Array(size);
      next.set(old.subarray(this.#head, this.#tail));
      if (name === "end") this.#end = next;
      else if (name === "time") this.#time = next;
      else this.#wall = next;
    }
    this.#read -= this.#head;
    this.#tail = live;
    this.#head = 0;
  }

  /**
   * The position every entry sent at or before `time` reached (entries
   * already read are not read again): what the next try may go up to.
   *
   * @param time The monotonic clock less the timeout, ms.
   * @returns The position, or -1 when no new entry is that old.
   */
  reachedBefore(time: number): number {
    let reached = -1;
    while (this.#read < this.#tail && this.#time[this.#read]! <= time) {
      reached = this.#end[this.#read]!;
      this.#read++;
    }
    return reached;
  }

  /**
   * When the oldest entry not yet read was sent.
   *
   * @returns Its monotonic time, or undefined when every entry was read.
   */
  nextUnread(): number | undefined {
    return this.#read < this.#tail ? this.#time[this.#read] : undefined;
  }

  /**
   * The wall-clock time a position was sent at.
   *
   * @param position The position.
   * @returns Epoch ms, or undefined when no entry holds it any more.
   */
  wallTimeOf(position: number): number | undefined {
    let low = this.#head;
    let high = this.#tail - 1;
    if (high < low || this.#end[high]! <= position) return undefined;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#end[mid]! > position) high = mid;
      else low = mid + 1;
    }
    // Entries before the head were dropped: a position before them is gone.
    if (low === this.#head && this.#dropped > position) return undefined;
    return this.#wall[low];
  }

  #dropped = 0;

  /**
   * Drop the entries that end at or before `position` (their positions are
   * decided, or too old for any reply to count).
   *
   * @param position The position.
   */
  dropBefore(position: number): void {
    while (this.#head < this.#tail && this.#end[this.#head]! <= position) {
      this.#dropped = this.#end[this.#head]!;
      this.#head++;
    }
    if (this.#read < this.#head) this.#read = this.#head;
  }

  /**
   * Drop the entries sent before `time`.
   *
   * @param time The monotonic clock, ms.
   */
  dropOlderThan(time: number): void {
    while (
      this.#head < this.#tail - 1 && this.#time[this.#head]! < time &&
      this.#head < this.#read
    ) {
      this.#dropped = this.#end[this.#head]!;
      this.#head++;
    }
  }
}
