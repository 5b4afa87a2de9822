/**
 * The plan of a scan, before anything is opened: the target space (the
 * addresses to scan, exclusions taken out, times the ports), the order it
 * is visited in (a pseudo-random permutation chosen by a seed) and the
 * slice of that order this machine sends (a shard: positions `k` with
 * `k mod N == I-1`, so N machines given one seed cover the space exactly
 * once between them).
 *
 * @module
 */

import {
  MAX_PERMUTATION_SIZE,
  Permutation,
  type PermutationShard,
  type Shard,
} from "../permutation.ts";
import {
  type AddressRange,
  type PortRange,
  subtractAddressRanges,
} from "../targets.ts";
import { TargetSpace } from "../target_space.ts";

/** What a scan visits, and in which order. */
export interface ScanPlan {
  /** Every (address, port) pair, numbered. */
  space: TargetSpace;
  /** The positions of the space this shard visits, in order. */
  order: PermutationShard;
  /** The seed of the order. */
  seed: number;
  /** Which slice of the order this is. */
  shard: Shard;
}

/** Options for {@linkcode planScan}. */
export interface PlanScanOptions {
  /** The addresses to scan. */
  include: readonly AddressRange[];
  /** Addresses to leave out. */
  exclude?: readonly AddressRange[];
  /** The ports to scan. */
  ports: readonly PortRange[];
  /** The seed of the order (default: random). */
  seed?: number;
  /** The slice of the order to visit (default: all of it, 1/1). */
  shard?: Shard;
}

/**
 * A scan that cannot be planned: every target excluded, or too many
 * probes. The message reads `Cannot plan scan: <reason>`.
 *
 * @example
 * ```ts
 * import { ScanPlanError } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ScanPlanError("every target is excluded; nothing to scan");
 * assert.equal(error.message, "Cannot plan scan: every target is excluded; nothing to scan");
 * ```
 */
export class ScanPlanError extends Error {
  /** Why, in a few words. */
  readonly reason: string;

  /**
   * Create the error.
   *
   * @param reason Why, completing `Cannot plan scan: `.
   */
  constructor(reason: string) {
    super(`Cannot plan scan: ${reason}`);
    this.name = "ScanPlanError";
    this.reason = reason;
  }
}

/**
 * A random seed for the order: an integer below 2^53.
 *
 * @returns The seed.
 *
 * @example
 * ```ts
 * import { randomSeed } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Number.isSafeInteger(randomSeed()));
 * ```
 */
export function randomSeed(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high! & 0x1fffff) * 2 ** 32 + low!;
}

/**
 * Plan a scan; see the module documentation.
 *
 * @param options The targets, exclusions, ports, seed and shard.
 * @returns The plan.
 * @throws {ScanPlanError} When every target is excluded, or the space is
 *   too large to permute.
 * @throws {RangeError} From `TargetSpace`, for a space of more than 2^52
 *   probes.
 *
 * @example Two shards of one seed cover the space once
 * ```ts
 * import { parsePorts, parseTargetSpec, planScan } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseTargetSpec("192.0.2.0/30");
 * if (spec.kind !== "addresses") throw new Error("not addresses");
 * const visit = (index: number) => {
 *   const plan = planScan({
 *     include: [spec.range], ports: parsePorts("22,80"), seed: 7,
 *     shard: { index, count: 2 },
 *   });
 *   return Array.from({ length: plan.order.length }, (_, j) => plan.order.at(j));
 * };
 * assert.deepEqual([...visit(1), ...visit(2)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
 * ```
 */
export function planScan(options: PlanScanOptions): ScanPlan {
  const kept = subtractAddressRanges(options.include, options.exclude ?? []);
  if (kept.length === 0) {
    throw new ScanPlanError("every target is excluded; nothing to scan");
  }
  const space = new TargetSpace(kept, options.ports);
  if (space.count > MAX_PERMUTATION_SIZE) {
    throw new ScanPlanError(`${space.count} probes is more than 2^52`);
  }
  const seed = options.seed ?? randomSeed();
  const shard = options.shard ?? { index: 1, count: 1 };
  const order = new Permutation(space.count, { seed }).shard(shard);
  return { space, order, seed, shard };
}
