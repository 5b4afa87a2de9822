/**
 * A WebAssembly SIMD kernel for the Internet checksum, with its bytes
 * inlined so that `mod.ts` still works by URL and in browsers. It is
 * compiled on first use, synchronously (286 bytes, under every browser's
 * limit for synchronous compilation), and never when the runtime has no
 * WebAssembly or no SIMD: then {@linkcode simdSum} returns `undefined` and
 * the portable code does the work.
 *
 * The module, in the WebAssembly text format (`wat2wasm` of this text
 * gives exactly {@linkcode SIMD_CHECKSUM_WASM}; a test checks it):
 *
 * ```wat
 * (module
 *   (memory (export "memory") 4)
 *   (func (export "sum") (param $n i32) (result i32)
 *     (local $p i32) (local $end16 i32) (local $stop i32) (local $acc v128)
 *     (local $total i64) (local $folded i32)
 *     (local.set $end16 (i32.and (local.get $n) (i32.const -16)))
 *     (block $blocks_done
 *       (loop $blocks
 *         (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end16)))
 *         (local.set $stop (i32.add (local.get $p) (i32.const 262144)))
 *         (if (i32.gt_u (local.get $stop) (local.get $end16))
 *           (then (local.set $stop (local.get $end16))))
 *         (local.set $acc (v128.const i64x2 0 0))
 *         (block $inner_done
 *           (loop $inner
 *             (br_if $inner_done (i32.ge_u (local.get $p) (local.get $stop)))
 *             (local.set $acc
 *               (i32x4.add (local.get $acc)
 *                 (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $p)))))
 *             (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *             (br $inner)))
 *         (local.set $total
 *           (i64.add (local.get $total)
 *             (i64.add
 *               (i64.add
 *                 (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $acc)))
 *                 (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $acc))))
 *               (i64.add
 *                 (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $acc)))
 *                 (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $acc)))))))
 *         (br $blocks)))
 *     (block $pairs_done
 *       (loop $pairs
 *         (br_if $pairs_done
 *           (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $n)))
 *         (local.set $total
 *           (i64.add (local.get $total)
 *             (i64.extend_i32_u (i32.load16_u (local.get $p)))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 2)))
 *         (br $pairs)))
 *     (if (i32.lt_u (local.get $p) (local.get $n))
 *       (then
 *         (local.set $total
 *           (i64.add (local.get $total)
 *             (i64.extend_i32_u (i32.load8_u (local.get $p)))))))
 *     (if (i64.eqz (local.get $total)) (then (return (i32.const 0))))
 *     (local.set $folded
 *       (i32.wrap_i64
 *         (i64.add
 *           (i64.rem_u (i64.sub (local.get $total) (i64.const 1)) (i64.const 65535))
 *           (i64.const 1))))
 *     (i32.or
 *       (i32.shl (i32.and (local.get $folded) (i32.const 255)) (i32.const 8))
 *       (i32.shr_u (local.get $folded) (i32.const 8))))
 * )
 * ```
 *
 * `sum(n)` adds the little-endian 16-bit words of memory[0..n) (an odd last
 * byte as a word of its own), 8 words at a time into four 32-bit lanes
 * (`i32x4.extadd_pairwise_i16x8_u`), draining the lanes into a 64-bit total
 * every 256 KiB before they could overflow, then folds the total to 16 bits
 * and swaps its bytes: a sum of little-endian words, byte-swapped, is the
 * sum of the same bytes read big-endian (RFC 1071 §2(B)).
 *
 * @module
 */

/** The compiled module's bytes (base64 of `wat2wasm` output). */
export const SIMD_CHECKSUM_WASM =
  "AGFzbQEAAAABBgFgAX8BfwMCAQAFAwEABAcQAgZtZW1vcnkCAANzdW0AAArwAQHtAQQDfwF7AX4BfyAAQXBxIQICQANAIAEgAk8NASABQYCAEGohAyADIAJLBEAgAiEDC/0MAAAAAAAAAAAAAAAAAAAAACEEAkADQCABIANPDQEgBCAB/QAEAP1//a4BIQQgAUEQaiEBDAALCyAFIAT9GwCtIAT9GwGtfCAE/RsCrSAE/RsDrXx8fCEFDAALCwJAA0AgAUECaiAASw0BIAUgAS8BAK18IQUgAUECaiEBDAALCyABIABJBEAgBSABLQAArXwhBQsgBVAEQEEADwsgBUIBfUL//wOCQgF8pyEGIAZB/wFxQQh0IAZBCHZyCw==";

/** Bytes summed per call: the module's 4 pages of memory. */
export const SIMD_CHUNK = 4 * 65536;

interface Kernel {
  memory: Uint8Array;
  sum: (n: number) => number;
}

let kernel: Kernel | null | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function load(): Kernel | null {
  try {
    if (typeof WebAssembly === "undefined") return null;
    const module = new WebAssembly.Module(decodeBase64(SIMD_CHECKSUM_WASM));
    const instance = new WebAssembly.Instance(module);
    const memory = instance.exports.memory as WebAssembly.Memory;
    return {
      memory: new Uint8Array(memory.buffer),
      sum: instance.exports.sum as (n: number) => number,
    };
  } catch {
    // No SIMD (the module does not validate) or WebAssembly is disabled.
    return null;
  }
}

/**
 * The folded, uncomplemented big-endian 16-bit word sum of `data` (as
 * `sumWords(data)`), computed by the SIMD kernel, or `undefined` when the
 * runtime cannot run it.
 *
 * @param data The bytes.
 * @returns The sum in 0..0xffff, or `undefined`.
 */
export function simdSum(data: Uint8Array): number | undefined {
  if (kernel === undefined) kernel = load();
  if (kernel === null) return undefined;
  const { memory, sum } = kernel;
  let total = 0;
  for (let start = 0; start < data.length; start += SIMD_CHUNK) {
    // Chunks start at even offsets, so each one's words line up with the
    // whole buffer's.
    const end = Math.min(data.length, start + SIMD_CHUNK);
    memory.set(
      start === 0 && end === data.length ? data : data.subarray(start, end),
    );
    total += sum(end - start);
  }
  while (total > 0xffff) total = (total & 0xffff) + (total >>> 16);
  return total;
}
