/**
 * The scan engine, one concern per file so that each can be replaced on
 * its own:
 *
 * - `types.ts`: the scan-type registry (flags, how replies read, nmap's
 *   names); `state.ts`: nmap's port states and reasons;
 * - `plan.ts`: targets, ports, the seeded order and its shards;
 * - `cookies.ts`: the SYN cookies of the probes; `template.ts`: the probe
 *   writer (a template per family and destination, patched per probe);
 * - `pacing.ts`: the token bucket;
 * - `tracker.ts`: the tries waiting for an answer, their deadlines and
 *   retries;
 * - `result.ts`: what a scan reports; `run.ts`: the loop that sends,
 *   receives and decides.
 *
 * @module
 */

export * from "./state.ts";
export * from "./types.ts";
export * from "./plan.ts";
export * from "./result.ts";
export {
  openScan,
  type OpenScanOptions,
  type RunScanOptions,
  type ScanNet,
  type ScanSession,
  ScanSourceError,
} from "./run.ts";
