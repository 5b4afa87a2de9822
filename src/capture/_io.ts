/**
 * Private helpers shared by the capture-file readers and writers: a byte
 * queue that streams chunks with bounded copying, timestamp conversion and
 * sink writing. Not part of the public API (`mod.ts` does not export it).
 *
 * @module
 */

import type {
  CaptureSink,
  CaptureTimestamp,
  CaptureTimestampInput,
} from "./types.ts";

/** Largest captured length accepted by default (libpcap's MAXIMUM_SNAPLEN). */
export const DEFAULT_MAX_CAPTURE_LENGTH = 262_144;

/** Largest pcapng block that is buffered whole by default (Wireshark's limit). */
export const DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

/** Snapshot length the writers declare by default. */
export const DEFAULT_SNAPLEN = 262_144;

/** A 64-bit unsigned maximum, for timestamp range checks. */
export const U64_MAX = (1n << 64n) - 1n;

/**
 * A FIFO of byte chunks. Bytes are consumed from the front; `position` is the
 * absolute offset of the first unconsumed byte, so errors can name it.
 * Contiguous reads that fall inside one chunk are views, not copies.
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #first = 0;
  #head = 0;
  #available = 0;
  #position = 0;

  /** Bytes buffered and not yet consumed. */
  get available(): number {
    return this.#available;
  }

  /** Absolute offset of the first unconsumed byte. */
  get position(): number {
    return this.#position;
  }

  /** Append a chunk (kept by reference; empty chunks are ignored). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#available += chunk.length;
  }

  /**
   * The next `n` bytes without consuming them, or `undefined` when fewer are
   * buffered. A view when they lie in one chunk, else a copy.
   */
  peek(n: number): Uint8Array | undefined {
    if (n > this.#available) return undefined;
    const first = this.#chunks[this.#first];
    if (n === 0 || first === undefined) return new Uint8Array(0);
    if (first.length - this.#head >= n) {
      return first.subarray(this.#head, this.#head + n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let index = this.#first;
    let start = this.#head;
    while (filled < n) {
      const chunk = this.#chunks[index]!;
      const part = Math.min(chunk.length - start, n - filled);
      out.set(chunk.subarray(start, start + part), filled);
      filled += part;
      index++;
      start = 0;
    }
    return out;
  }

  /** Consume up to `n` bytes; returns how many were consumed. */
  discard(n: number): number {
    let left = Math.min(n, this.#available);
    const consumed = left;
    while (left > 0) {
      const chunk = this.#chunks[this.#first]!;
      const inChunk = chunk.length - this.#head;
      if (inChunk > left) {
        this.#head += left;
        left = 0;
      } else {
        left -= inChunk;
        this.#chunks[this.#first] = EMPTY;
        this.#first++;
        this.#head = 0;
      }
    }
    this.#available -= consumed;
    this.#position += consumed;
    if (this.#first > 64 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
    return consumed;
  }

  /** Consume and return the next `n` bytes, or `undefined` when fewer are buffered. */
  take(n: number): Uint8Array | undefined {
    const bytes = this.peek(n);
    if (bytes !== undefined) this.discard(n);
    return bytes;
  }
}

const EMPTY = new Uint8Array(0);

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Round `n` up to a multiple of 4. */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Eight hex digits, for magic numbers and block types in messages. */
export function hex32(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: false });
const utf8Encoder = new TextEncoder();

/** Decode UTF-8 leniently (bad sequences become U+FFFD; never throws). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Encode text as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Throwing helper for encoders. */
function rangeError(what: string, reason: string): RangeError {
  return new RangeError(`Cannot encode ${what}: ${reason}`);
}

/**
 * Normalize a timestamp given as epoch milliseconds or as seconds and
 * nanoseconds. Throws `RangeError` for values that are not finite integers
 * in range.
 */
export function normalizeTimestamp(
  input: CaptureTimestampInput,
): CaptureTimestamp {
  if (typeof input === "number") {
    if (!Number.isFinite(input)) {
      throw rangeError(
        "capture timestamp",
        `${input} milliseconds is not a finite number`,
      );
    }
    let seconds = Math.floor(input / 1000);
    let nanoseconds = Math.round((input - seconds * 1000) * 1e6);
    if (nanoseconds >= 1e9) {
      seconds += 1;
      nanoseconds -= 1e9;
    } else if (nanoseconds < 0) {
      seconds -= 1;
      nanoseconds += 1e9;
    }
    if (!Number.isSafeInteger(seconds)) {
      throw rangeError(
        "capture timestamp",
        `${input} milliseconds is too far from the epoch`,
      );
    }
    return { seconds, nanoseconds };
  }
  const { seconds, nanoseconds } = input;
  if (!Number.isSafeInteger(seconds)) {
    throw rangeError(
      "capture timestamp",
      `seconds ${seconds} is not a safe integer`,
    );
  }
  if (
    !Number.isInteger(nanoseconds) || nanoseconds < 0 ||
    nanoseconds > 999_999_999
  ) {
    throw rangeError(
      "capture timestamp",
      `nanoseconds ${nanoseconds} is not an integer in 0..999999999`,
    );
  }
  return { seconds, nanoseconds };
}

/** Pass one chunk to a sink; resolves when the sink has accepted it. */
export function writeToSink(
  sink: CaptureSink,
  chunk: Uint8Array,
): Promise<void> {
  if (typeof sink === "function") {
    try {
      return Promise.resolve(sink(chunk)).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return sink.write(chunk);
}

/** Concatenate byte strings. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Check a length-like writer argument. */
export function checkUint(
  what: string,
  name: string,
  value: number,
  max: number,
): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw rangeError(what, `${name} ${value} is not in 0..${max}`);
  }
}

export { rangeError };

/**
 * What is wrong with a record's original length, or undefined when
 * nothing is: less than the captured length, or past
 * `MAX_ORIGINAL_LENGTH`.
 */
export function originalLengthProblem(
  captured: number,
  original: number,
  at: number,
  maximum: number,
): string | undefined {
  if (original > maximum) {
    return `original length ${original} at byte ${at} is impossible: no link carries a frame of more than ${maximum} bytes`;
  }
  if (original < captured) {
    return `original length ${original} at byte ${at} is less than the ${captured} bytes captured`;
  }
  return undefined;
}
