/**
 * The pieces of a TCP signature both kinds share: the pseudo-header bytes,
 * the option area walked to the signature's option, the error. Private to
 * `src/wire`.
 *
 * @module
 */

import { addressBytes } from "./address.ts";
import { write16, write32 } from "./bytes.ts";
import { IPPROTO_TCP } from "./checksum.ts";
import { TCP_HEADER_FIELDS } from "./tcp_fields.ts";

/** The addresses a signature covers, text or bytes, of one family. */
export interface SignatureAddresses {
  /** The source address. */
  src: string | Uint8Array;
  /** The destination the pseudo-header uses (the final one, with a source route). */
  dst: string | Uint8Array;
}

/** TCP option kinds of the two signatures. */
export const MD5_KIND = 19;
export const AO_KIND = 29;

/**
 * Throw the error of a segment that cannot be signed.
 *
 * @param reason Why.
 * @throws {RangeError} Always: `Cannot sign TCP segment: REASON`.
 */
export function fail(reason: string): never {
  throw new RangeError(`Cannot sign TCP segment: ${reason}`);
}

/** The pseudo-header bytes of the TCP checksum (RFC 9293 §3.1, RFC 8200 §8.1). */
export function pseudoHeader(
  addresses: SignatureAddresses,
  length: number,
): Uint8Array {
  const src = addressBytes(addresses.src);
  const dst = addressBytes(addresses.dst);
  if (src.length !== dst.length) fail("mixed address families");
  if (src.length === 4) {
    const bytes = new Uint8Array(12);
    bytes.set(src);
    bytes.set(dst, 4);
    bytes[9] = IPPROTO_TCP;
    write16(bytes, 10, length);
    return bytes;
  }
  const bytes = new Uint8Array(40);
  bytes.set(src);
  bytes.set(dst, 16);
  write32(bytes, 32, length);
  bytes[39] = IPPROTO_TCP;
  return bytes;
}

/** An option found in a segment's option area: its kind, offset and length. */
export interface FoundOption {
  at: number;
  length: number;
}

/** The header length the data offset gives, within the segment. */
export function headerEnd(segment: Uint8Array): number {
  const words = segment[TCP_HEADER_FIELDS.dataOffset.byteOffset]! >> 4;
  return Math.min(Math.max(words * 4, 20), segment.length);
}

/** The options of a segment's option area, as far as they parse. */
export function walkOptions(
  segment: Uint8Array,
): (FoundOption & { kind: number })[] {
  const end = headerEnd(segment);
  const found: (FoundOption & { kind: number })[] = [];
  let p = 20;
  while (p < end) {
    const kind = segment[p]!;
    if (kind === 0) break;
    if (kind === 1) {
      found.push({ kind, at: p, length: 1 });
      p++;
      continue;
    }
    const length = segment[p + 1];
    if (length === undefined || length < 2 || p + length > end) break;
    found.push({ kind, at: p, length });
    p += length;
  }
  return found;
}

export function findOption(segment: Uint8Array, kind: number): FoundOption {
  const option = walkOptions(segment).find((o) => o.kind === kind);
  if (option === undefined) {
    fail(
      kind === MD5_KIND
        ? "the segment has no MD5 option (kind 19) to write the signature into"
        : "the segment has no TCP-AO option (kind 29) to write the MAC into",
    );
  }
  return option;
}

export function requireSegment(segment: Uint8Array): void {
  if (segment.length < 20) {
    fail(`the segment is ${segment.length} bytes, less than a TCP header`);
  }
}
