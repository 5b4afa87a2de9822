/**
 * The per-probe work of a scan that does not touch the network: choosing
 * the next (address, port) pair of a sharded scan. How well `scan --rate`
 * holds the rate asked, on the wire and next to masscan, is measured by
 * `deno task bench:net` (bench/net.ts).
 *
 * Run: `deno bench -A bench/scan_order_bench.ts`.
 *
 * @module
 */

import {
  parsePorts,
  parseTargetSpec,
  Permutation,
  TargetSpace,
} from "../mod.ts";

const block = parseTargetSpec("10.0.0.0/8");
if (block.kind !== "addresses") throw new Error("10.0.0.0/8 is a block");
const space = new TargetSpace([block.range], parsePorts("80,443"));
const order = new Permutation(space.count, { seed: 7 }).shard({
  index: 2,
  count: 3,
});
let j = 0;

Deno.bench(
  "next probe of a sharded /8 scan: Permutation + TargetSpace.at",
  () => {
    const point = space.at(order.at(j));
    j = (j + 1) % order.length;
    if (point.port === 0) throw new Error("unreachable");
  },
);
