/**
 * The portable fast path of the Internet checksum: 32-bit words read with
 * the host's byte order, summed in float accumulators.
 *
 * @module
 */

/** Whether a Uint32Array reads memory little-endian on this host. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The folded big-endian word sum of `data` (length 4 or more), reading the
 * 4-byte-aligned middle as 32-bit words with the host's byte order.
 *
 * Why it is right: modulo 0xffff (the one's complement sum), a 32-bit word
 * is the sum of its two 16-bit halves, and a 16-bit word read in the other
 * byte order is that word times 256 (RFC 1071 §2(B)). The middle's words
 * pair bytes as the big-endian reading does when it starts at an even
 * position of `data`, so its sum is byte-swapped when the host reads
 * little-endian; from an odd position the pairs are shifted by one, which a
 * little-endian reading undoes. The bytes before and after the middle are
 * added one by one at their positions.
 */
export function sumAligned(data: Uint8Array): number {
  const length = data.length;
  const head = (4 - (data.byteOffset & 3)) & 3;
  const words = (length - head) >>> 2;
  let edges = 0;
  for (let i = 0; i < head; i++) {
    edges += (i & 1) === 0 ? data[i]! << 8 : data[i]!;
  }
  for (let i = head + words * 4; i < length; i++) {
    edges += (i & 1) === 0 ? data[i]! << 8 : data[i]!;
  }
  const u = new Uint32Array(data.buffer, data.byteOffset + head, words);
  // Four float accumulators: each stays exact up to 2^53, so up to 2^21
  // words (8 MiB) a pass; longer inputs are summed in passes.
  let middle = 0;
  let nonzero = false;
  for (let start = 0; start < words; start += 1 << 21) {
    const end = Math.min(words, start + (1 << 21));
    let s0 = 0, s1 = 0;
    let j = start;
    for (const last = end - 3; j < last; j += 4) {
      s0 += u[j]! + u[j + 1]!;
      s1 += u[j + 2]! + u[j + 3]!;
    }
    for (; j < end; j++) s0 += u[j]!;
    if (s0 + s1 !== 0) nonzero = true;
    middle += (s0 % 0xffff) + (s1 % 0xffff);
  }
  middle %= 0xffff;
  if (((head & 1) === 0) === LITTLE_ENDIAN_HOST) {
    middle = ((middle & 0xff) << 8) | (middle >>> 8);
  }
  if (edges === 0 && !nonzero) return 0;
  // A one's complement sum is 0 only for all-zero input: otherwise a
  // multiple of 0xffff folds to 0xffff.
  let total = (edges % 0xffff) + middle;
  if (total > 0xffff) total -= 0xffff;
  return total === 0 ? 0xffff : total;
}
