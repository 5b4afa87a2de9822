/**
 * The scan engine, one concern per file so that each can be replaced on
 * its own (zmap's split):
 *
 * - `types.ts`: the scan-type registry (flags, how replies read, nmap's
 *   names); `state.ts`: nmap's port states and reasons;
 * - `plan.ts`: targets, ports, the seeded order and its shards;
 *   `space_index.ts`: the space as numbers, both ways;
 * - `cookies.ts`: the SYN cookies; `template.ts`: the probe writer (a
 *   template per family, patched per probe in a send slot); `slots.ts`:
 *   the send slots of each family;
 * - `replies.ts`: replies validated from their own bytes;
 * - `bitmap.ts`: one decision bit per probe, when needed; `send_log.ts`:
 *   when each stretch of the order was sent (one entry per batch);
 * - `pacing.ts`: the pace; `result.ts`: what a scan reports;
 * - `loop.ts`: the loop that sends, drains and decides; `run.ts`: opening a
 *   scan and running it.
 *
 * @module
 */

export * from "./state.ts";
export * from "./types.ts";
export * from "./plan.ts";
export * from "./result.ts";
export * from "./timing.ts";
export {
  openScan,
  type OpenScanOptions,
  type RunScanOptions,
  type ScanNet,
  type ScanSession,
  ScanSourceError,
} from "./run.ts";
