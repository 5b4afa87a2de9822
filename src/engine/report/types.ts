/**
 * What nmap's outputs are made from: one record per port
 * ({@linkcode NmapPortResult}, with an adapter from the scan engine's
 * `ScanResult`), what the run was ({@linkcode NmapRunInfo}) and how it
 * ended ({@linkcode NmapRunEnd}).
 *
 * @module
 */

import type { ScanResult } from "../scan/result.ts";
import type { PortState } from "../scan/state.ts";
import type { ScanType } from "../scan/types.ts";

/**
 * A scan type as nmap's XML names it (`scaninfo type`): the raw scan types
 * and `connect` (nmap's `-sT`).
 */
export type NmapScanType = ScanType | "connect";

/** One port's verdict, as nmap's outputs need it. */
export interface NmapPortResult {
  /** The address, canonical text. */
  host: string;
  /** The port. */
  port: number;
  /** nmap's state. */
  state: PortState;
  /** nmap's reason word (`syn-ack`, `reset`, `no-response`, `conn-refused`…). */
  reason: string;
  /** The TTL or hop limit of the reply that decided it (nmap's `reason_ttl`; 0 or absent: none). */
  reasonTtl?: number;
  /** Who sent the ICMP error that decided it, when not the host itself. */
  reasonIp?: string;
  /** The round-trip time of that reply, ms (for the latency nmap prints); null or absent: none. */
  rttMs?: number | null;
  /** The host's position among the targets: hosts are reported in this order (default: by address). */
  hostIndex?: number;
}

/**
 * A scan engine result as nmap's outputs read it.
 *
 * @param result The scan engine's result.
 * @returns The record.
 *
 * @example
 * ```ts
 * import { nmapPortFromScanResult } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   nmapPortFromScanResult({
 *     host: "192.0.2.1", port: 22, state: "open", reason: "syn-ack", rttMs: 0.4,
 *     ttl: 64, addressIndex: 3,
 *   }),
 *   {
 *     host: "192.0.2.1", port: 22, state: "open", reason: "syn-ack", rttMs: 0.4,
 *     hostIndex: 3, reasonTtl: 64,
 *   },
 * );
 * ```
 */
export function nmapPortFromScanResult(result: ScanResult): NmapPortResult {
  const record: NmapPortResult = {
    host: result.host,
    port: result.port,
    state: result.state,
    reason: result.reason,
    rttMs: result.rttMs,
    hostIndex: result.addressIndex,
  };
  if (result.ttl !== undefined) record.reasonTtl = result.ttl;
  if (result.reasonIp !== undefined) record.reasonIp = result.reasonIp;
  return record;
}

/** What the run was: the header of every output and nmap's display switches. */
export interface NmapRunInfo {
  /** The scan type (`scaninfo type`). */
  scanType: NmapScanType;
  /** The ports scanned, in any order (`numservices`, `services`). */
  ports: readonly number[];
  /** The command line, as the user typed it. */
  args: string;
  /** When the scan started, epoch ms. */
  startMs: number;
  /** tcpcraft's version. */
  version: string;
  /** The scanner's name in the texts (default `tcpcraft`). */
  scanner?: string;
  /** nmap's `--reason`: the REASON column and why the host is up (default false). */
  reason?: boolean;
  /** nmap's `-v` level: shows more ports before collapsing a state (default 0). */
  verbose?: number;
  /** Show every port: no state is collapsed into "Not shown" (default false). */
  allPorts?: boolean;
  /** nmap's `--open`: only ports that may be open are listed, hosts without any are left out (default false). */
  openOnly?: boolean;
  /**
   * Why every host is up, in nmap's words (default `user-set`: like nmap's
   * `-Pn`, a scan without host discovery takes every target as up).
   */
  hostReason?: string;
}

/** How the run ended: the footer of every output. */
export interface NmapRunEnd {
  /** When it ended, epoch ms (default: now). */
  endMs?: number;
  /** Hosts scanned, when some were left out of the outputs (default: the hosts reported). */
  hostsTotal?: number;
  /** Whether it failed (XML `exit="error"` with this message). */
  error?: string;
}

/** Where an output's text goes, piece by piece. */
export type NmapSink = (text: string) => void;
