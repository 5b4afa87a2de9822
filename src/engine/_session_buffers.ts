/**
 * The bookkeeping of a hand-made TCP session, apart from its I/O: sequence
 * arithmetic modulo 2^32, the send buffer (bytes from the oldest
 * unacknowledged one on), and the bounded reassembly of segments that
 * arrive ahead of the next expected byte.
 *
 * @module
 */

/**
 * `a + b` in sequence space (modulo 2^32).
 *
 * @param a A sequence number.
 * @param b An offset.
 * @returns The sum, 0..2^32-1.
 *
 * @example
 * ```ts
 * import { seqAdd } from "./_session_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(seqAdd(0xffffffff, 2), 1);
 * ```
 */
export function seqAdd(a: number, b: number): number {
  return (a + b) >>> 0;
}

/**
 * `a - b` in sequence space, as a signed distance (RFC 9293's comparisons).
 *
 * @param a A sequence number.
 * @param b Another.
 * @returns The distance, -2^31..2^31-1.
 *
 * @example
 * ```ts
 * import { seqDiff } from "./_session_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(seqDiff(1, 0xffffffff), 2);
 * assert.equal(seqDiff(0xffffffff, 1), -2);
 * ```
 */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * The bytes queued to send, from the oldest unacknowledged one on.
 *
 * @example
 * ```ts
 * import { SendBuffer } from "./_session_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new SendBuffer();
 * buffer.push(new Uint8Array([1, 2, 3]));
 * buffer.push(new Uint8Array([4]));
 * assert.deepEqual(buffer.slice(1, 3), new Uint8Array([2, 3]));
 * buffer.drop(2);
 * assert.equal(buffer.length, 2);
 * assert.deepEqual(buffer.slice(0, 2), new Uint8Array([3, 4]));
 * ```
 */
export class SendBuffer {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #length = 0;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /**
   * Queue bytes after those held.
   *
   * @param bytes The bytes (copied).
   */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes.slice());
    this.#length += bytes.length;
  }

  /**
   * Forget the first `count` bytes (they were acknowledged).
   *
   * @param count Bytes, at most `length`.
   */
  drop(count: number): void {
    let left = Math.min(count, this.#length);
    this.#length -= left;
    while (left > 0) {
      const first = this.#chunks[0]!;
      const room = first.length - this.#head;
      if (left < room) {
        this.#head += left;
        return;
      }
      left -= room;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /**
   * Bytes `from` to `to` (offsets from the first byte held).
   *
   * @param from The first offset.
   * @param to The offset after the last.
   * @returns A copy.
   */
  slice(from: number, to: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, to - from));
    let position = 0;
    let written = 0;
    for (let c = 0; c < this.#chunks.length && position < to; c++) {
      const chunk = c === 0
        ? this.#chunks[0]!.subarray(this.#head)
        : this.#chunks[c]!;
      const start = Math.max(0, from - position);
      const end = Math.min(chunk.length, to - position);
      if (end > start) {
        out.set(chunk.subarray(start, end), written);
        written += end - start;
      }
      position += chunk.length;
    }
    return out;
  }
}

/** A segment held until the bytes before it arrive. */
interface Held {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

/** The most segments held for reassembly. */
const MAX_HELD = 256;

/**
 * Segments that arrived ahead of the next expected byte, held until the
 * gap fills: at most `limit` bytes and 256 segments (what does not fit is
 * dropped, and the peer sends it again). Overlaps are trimmed.
 *
 * @example
 * ```ts
 * import { Reassembly } from "./_session_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const held = new Reassembly();
 * held.add(105, new Uint8Array([6, 7]), false, 100, 1000);
 * const { data, next } = held.take(100 + 5); // bytes 100..104 arrived
 * assert.deepEqual(data, [new Uint8Array([6, 7])]);
 * assert.equal(next, 107);
 * ```
 */
export class Reassembly {
  #held: Held[] = [];
  #bytes = 0;

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Hold a segment that starts after `next`, if it fits.
   *
   * @param seq Its first sequence number.
   * @param data Its data.
   * @param fin Whether it carries FIN.
   * @param next The next byte expected.
   * @param limit The most bytes to hold (the window).
   * @returns Whether it was held.
   */
  add(
    seq: number,
    data: Uint8Array,
    fin: boolean,
    next: number,
    limit: number,
  ): boolean {
    const ahead = seqDiff(seq, next);
    if (ahead <= 0 || ahead + data.length > limit) return false;
    if (this.#held.length >= MAX_HELD) return false;
    if (this.#held.some((h) => h.seq === seq && h.data.length >= data.length)) {
      return true; // a copy of one held
    }
    this.#held.push({ seq, data: data.slice(), fin });
    this.#bytes += data.length;
    return true;
  }

  /**
   * Take what the gap's filling made contiguous from `next`.
   *
   * @param next The next byte expected now.
   * @returns The data in order, the next byte expected after it, and
   *   whether a FIN came right after.
   */
  take(next: number): { data: Uint8Array[]; next: number; fin: boolean } {
    const data: Uint8Array[] = [];
    let fin = false;
    for (let progress = true; progress && !fin;) {
      progress = false;
      for (let i = 0; i < this.#held.length; i++) {
        const held = this.#held[i]!;
        const skip = seqDiff(next, held.seq);
        if (skip < 0) continue;
        this.#held.splice(i--, 1);
        this.#bytes -= held.data.length;
        if (skip < held.data.length) {
          data.push(held.data.subarray(skip));
          next = seqAdd(next, held.data.length - skip);
          progress = true;
        }
        if (held.fin && skip <= held.data.length) {
          fin = true;
          break;
        }
      }
    }
    return { data, next, fin };
  }
}

/**
 * The receiving half of a session: the next byte expected, the data
 * delivered in order and not read yet, the segments held ahead of a gap,
 * and whether the peer's FIN came. The window is what `size` leaves after
 * the bytes not read and those held.
 *
 * @example A segment ahead of a gap waits for it
 * ```ts
 * import { Receiving } from "./_session_buffers.ts";
 * import assert from "node:assert/strict";
 *
 * const receiving = new Receiving(1000, 100);
 * assert.ok(receiving.receive(1003, new Uint8Array([4, 5]), true));
 * assert.equal(receiving.read(), undefined);
 * receiving.receive(1000, new Uint8Array([1, 2, 3]), false);
 * assert.deepEqual(receiving.read(), new Uint8Array([1, 2, 3]));
 * assert.deepEqual(receiving.read(), new Uint8Array([4, 5]));
 * assert.equal(receiving.finished, true);
 * assert.equal(receiving.next, 1006); // five bytes and the FIN
 * ```
 */
export class Receiving {
  /** The next sequence number expected. */
  next: number;
  /** Whether the peer's FIN came, in order. */
  finished = false;
  readonly #held = new Reassembly();
  readonly #queue: Uint8Array[] = [];
  #unread = 0;
  readonly #size: number;

  /**
   * Start receiving.
   *
   * @param next The first sequence number expected (the peer's ISN + 1).
   * @param size The window's size, bytes.
   */
  constructor(next: number, size: number) {
    this.next = next;
    this.#size = size;
  }

  /** The room left in the window, bytes. */
  get window(): number {
    return Math.max(0, this.#size - this.#unread - this.#held.bytes);
  }

  /**
   * Take a segment's data and FIN: in order, delivered (with what it makes
   * contiguous); ahead, held if it fits; old, dropped.
   *
   * @param seq Its sequence number.
   * @param data Its data.
   * @param fin Whether it carries FIN.
   * @returns Whether it asks for an acknowledgment (it had data or FIN).
   */
  receive(seq: number, data: Uint8Array, fin: boolean): boolean {
    if (data.length === 0 && !fin) return false;
    if (this.finished) return true; // a retransmission after the end
    const skip = seqDiff(this.next, seq);
    if (skip < 0) {
      this.#held.add(seq, data, fin, this.next, this.#size);
      return true; // a duplicate ACK says where the gap is
    }
    if (skip > data.length || (skip === data.length && !fin)) return true;
    const fresh = data.subarray(skip);
    this.#deliver(fresh);
    this.next = seqAdd(this.next, fresh.length);
    const more = this.#held.take(this.next);
    for (const chunk of more.data) this.#deliver(chunk);
    this.next = more.next;
    if (fin || more.fin) {
      this.next = seqAdd(this.next, 1);
      this.finished = true;
    }
    return true;
  }

  #deliver(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#queue.push(chunk.slice());
    this.#unread += chunk.length;
  }

  /**
   * The oldest data not read yet.
   *
   * @returns The bytes, or undefined when none wait.
   */
  read(): Uint8Array | undefined {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) this.#unread -= chunk.length;
    return chunk;
  }
}
