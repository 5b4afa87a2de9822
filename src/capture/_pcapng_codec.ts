/**
 * The pcapng framing shared by the decoder and the writer: option codes,
 * the option list, block framing and the decode errors that name offsets.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { decodeUtf8, pad4, rangeError, viewOf } from "./_io.ts";
import type { CaptureDirection } from "./types.ts";

/** The byte-order magic of a section header, as written in the section's byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const LAYER = "pcapng file";
/** Option codes used here. */
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_FCSLEN = 13;
export const IF_TSOFFSET = 14;
export const EPB_FLAGS = 2;
/** Timestamp resolution when an interface has no if_tsresol: microseconds. */
export const DEFAULT_TSRESOL = 6;

/** One option of a block, undecoded: its code and value bytes (padding removed). */
interface RawOption {
  code: number;
  value: Uint8Array;
}

export function truncated(
  what: string,
  offset: number,
  have: number,
  expected: number,
): DecodeError {
  return new DecodeError(
    `${what} at byte ${offset} is truncated: ${have} bytes, expected ${expected}`,
    { kind: "truncated", layer: LAYER, offset },
  );
}

export function truncatedBlock(
  name: string,
  offset: number,
  have: number,
  length: number,
): never {
  throw new DecodeError(
    `${name} at byte ${offset} is truncated: ${have} bytes, expected ${length} (its total length)`,
    { kind: "truncated", layer: LAYER, offset },
  );
}

export function mismatchedTrailer(
  trailer: number,
  trailerOffset: number,
  length: number,
  blockOffset: number,
): DecodeError {
  return new DecodeError(
    `trailing total length ${trailer} at byte ${trailerOffset} does not match ${length} at byte ${
      blockOffset + 4
    }`,
    { kind: "malformed", layer: LAYER, offset: trailerOffset },
  );
}

export function decodeOptions(
  block: Uint8Array,
  start: number,
  end: number,
  at: number,
  le: boolean,
  name: string,
): RawOption[] {
  const view = viewOf(block);
  const options: RawOption[] = [];
  let pos = start;
  while (pos + 4 <= end) {
    const code = view.getUint16(pos, le);
    const length = view.getUint16(pos + 2, le);
    if (code === OPT_ENDOFOPT) break;
    if (pos + 4 + length > end) {
      throw new DecodeError(
        `option ${code} at byte ${
          at + pos
        } in the ${name} at byte ${at} has length ${length}, past the end of the options at byte ${
          at + end
        }`,
        { kind: "malformed", layer: LAYER, offset: at + pos + 2 },
      );
    }
    options.push({ code, value: block.slice(pos + 4, pos + 4 + length) });
    pos += 4 + pad4(length);
  }
  return options;
}

export function joinedComments(options: RawOption[]): string | undefined {
  const comments = options.filter((option) => option.code === OPT_COMMENT);
  if (comments.length === 0) return undefined;
  return comments.map((option) => decodeUtf8(option.value)).join("\n");
}

export function directionBits(direction: CaptureDirection): number {
  if (direction === "inbound") return 1;
  if (direction === "outbound") return 2;
  throw rangeError(
    "pcapng enhanced packet block",
    `direction "${direction}" is not "inbound" or "outbound"`,
  );
}

/** Options as bytes, ended by opt_endofopt; empty when there are none. */
export function encodeOptions(entries: [number, Uint8Array][]): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  let length = 4;
  for (const [, value] of entries) length += 4 + pad4(value.length);
  const bytes = new Uint8Array(length);
  const view = viewOf(bytes);
  let pos = 0;
  for (const [code, value] of entries) {
    view.setUint16(pos, code, true);
    view.setUint16(pos + 2, value.length, true);
    bytes.set(value, pos + 4);
    pos += 4 + pad4(value.length);
  }
  // opt_endofopt: code 0, length 0 (the array is zero-filled).
  return bytes;
}

/** A block: type, total length, body (already padded), options, total length. */
export function encodeBlock(
  type: number,
  body: Uint8Array,
  options: Uint8Array,
): Uint8Array {
  const total = 12 + body.length + options.length;
  const bytes = new Uint8Array(total);
  const view = viewOf(bytes);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  bytes.set(body, 8);
  bytes.set(options, 8 + body.length);
  view.setUint32(total - 4, total, true);
  return bytes;
}
