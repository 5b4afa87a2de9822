/**
 * Throughput of the Internet checksum over a 1500-byte packet and a 64 KiB
 * segment, in GB/s, printed before the `Deno.bench` cases run (which give
 * the time per call). The targets: 12 GB/s for portable TypeScript, 25
 * GB/s for a WASM SIMD kernel (the library has none yet: said so).
 *
 * Run: `deno bench -A bench/checksum_bench.ts`.
 *
 * @module
 */

import * as tcpcraft from "../mod.ts";
import { internetChecksum } from "../mod.ts";

const SIZES = [1500, 65536] as const;

function filled(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/**
 * GB/s of `sum` over `bytes`: the best of 7 timed runs of at least 50 ms
 * each, after a warm-up.
 */
function throughput(
  sum: (bytes: Uint8Array) => number,
  bytes: Uint8Array,
): number {
  let sink = 0;
  let calls = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) sink ^= sum(bytes);
    if (performance.now() - start >= 50) break;
    calls *= 2;
  }
  let best = 0;
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) sink ^= sum(bytes);
    const seconds = (performance.now() - start) / 1000;
    best = Math.max(best, (calls * bytes.length) / seconds / 1e9);
  }
  if (sink === -1) console.log(sink);
  return best;
}

const buffers = SIZES.map(filled);
const lines = [
  "Internet checksum (internetChecksum), best of 7 runs:",
  ...SIZES.map((size, i) =>
    `  ${String(size).padStart(5)} B: ${
      throughput(internetChecksum, buffers[i]!).toFixed(2)
    } GB/s (target for portable TypeScript: >= 12 GB/s)`
  ),
];
const simd = Object.keys(tcpcraft).filter((name) =>
  /checksum/i.test(name) && /wasm|simd/i.test(name)
);
lines.push(
  simd.length === 0
    ? "  WASM SIMD kernel: skipped, mod.ts exports none yet (target >= 25 GB/s)"
    : `  WASM SIMD kernel: mod.ts exports ${
      simd.join(", ")
    }; add it here to measure it (target >= 25 GB/s)`,
);
console.log(lines.join("\n"));

for (const [i, size] of SIZES.entries()) {
  const bytes = buffers[i]!;
  Deno.bench(`internetChecksum(): ${size} bytes`, { group: "checksum" }, () => {
    internetChecksum(bytes);
  });
}
