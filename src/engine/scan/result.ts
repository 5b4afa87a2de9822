/**
 * What the scan engine reports: a result per port as it is decided, the
 * progress while it runs, the packets it sends and receives (for a
 * capture), and the counts at the end.
 *
 * @module
 */

import type { Reply } from "../reply_match.ts";
import type { PortState, PortVerdict } from "./state.ts";

/** One port's result. */
export interface ScanResult {
  /** The address, canonical text. */
  host: string;
  /** The port. */
  port: number;
  /** nmap's state. */
  state: PortState;
  /** nmap's reason (`syn-ack`, `reset`, `no-response`, `port-unreach`…). */
  reason: string;
  /** The round-trip time of the reply that decided it, ms; null for no response. */
  rttMs: number | null;
  /** The TTL or hop limit of that reply, when known. */
  ttl?: number;
  /** Who sent the ICMP error that decided it, when not the host itself. */
  reasonIp?: string;
  /** The address's index in the target space, to sort results by host. */
  addressIndex: number;
  /** What the port said when greeted (`--banners`), escaped for terminals. */
  banner?: string;
}

/**
 * A port's result as {@linkcode ScanResult}, in one object the engine
 * reuses for every port (`RunScanOptions.onResultView`): read it during
 * the call, copy what you keep. Nothing is allocated per port.
 */
export interface ScanResultView {
  /** The address, canonical text. */
  host: string;
  /** The port. */
  port: number;
  /** nmap's state. */
  state: PortState;
  /** nmap's reason. */
  reason: string;
  /** The round-trip time of the reply that decided it, ms; null for no response. */
  rttMs: number | null;
  /** The TTL or hop limit of that reply, when known. */
  ttl: number | undefined;
  /** Who sent the ICMP error that decided it, when not the host itself. */
  reasonIp: string | undefined;
  /** The address's index in the target space. */
  addressIndex: number;
}

/**
 * The result of a port from its verdict and the reply that gave it (none
 * for no response).
 *
 * @param port The port: its address, number and address index.
 * @param verdict The state and reason.
 * @param reply The reply, if one decided it.
 * @returns The result.
 *
 * @example
 * ```ts
 * import { scanResult } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   scanResult(
 *     { address: "192.0.2.1", port: 22, addressIndex: 0 },
 *     { state: "filtered", reason: "no-response" },
 *   ),
 *   { host: "192.0.2.1", port: 22, state: "filtered", reason: "no-response", rttMs: null, addressIndex: 0 },
 * );
 * ```
 */
export function scanResult(
  port: { address: string; port: number; addressIndex: number },
  verdict: PortVerdict,
  reply?: Reply,
): ScanResult {
  const result: ScanResult = {
    host: port.address,
    port: port.port,
    state: verdict.state,
    reason: verdict.reason,
    rttMs: reply === undefined ? null : Math.max(0, reply.rttMs),
    addressIndex: port.addressIndex,
  };
  if (reply !== undefined) {
    if (reply.kind === "tcp") {
      const ip = reply.packet.ip;
      result.ttl = ip.version === 4 ? ip.ttl : ip.hopLimit;
    } else {
      if (reply.ttl !== undefined) result.ttl = reply.ttl;
      if (reply.from !== port.address) result.reasonIp = reply.from;
    }
  }
  return result;
}

/** Where a scan stands, as reported while it runs. */
export interface ScanProgress {
  /** Ports started (the position in the order). */
  started: number;
  /** Ports in the order. */
  total: number;
  /** Probes sent, retries included. */
  probesSent: number;
  /** Since the scan started, ms. */
  elapsedMs: number;
  /** Open ports found. */
  open: number;
  /** Seconds left at the asked rate, the last timeout included. */
  etaSeconds: number;
}

/** A packet the scan sent or received, for a capture file. */
export interface ScanPacket {
  /** Which way it went. */
  event: "sent" | "received";
  /** The whole datagram (a copy). */
  bytes: Uint8Array;
  /** When, epoch ms (the send's wall clock, the kernel's receive time). */
  timestamp: number;
  /** The probe's destination. */
  address: string;
  /** The probe's destination port. */
  port: number;
  /** The try, from 1 (sent packets). */
  try?: number;
}

/** How a scan ended. */
export interface ScanOutcome {
  /** Ports decided, by state. */
  counts: Record<PortState, number>;
  /** Probes sent, retries included. */
  probesSent: number;
  /** Hosts given up after the adaptive loop's host timeout (their ports not reported). */
  hostsTimedOut?: string[];
  /** How long it ran, ms. */
  elapsedMs: number;
  /** Whether the signal stopped it. */
  interrupted: boolean;
  /** What stopped it, when something failed (a send, a receive, the capture). */
  failure?: { error: unknown };
  /**
   * Replies the kernel dropped for want of receive buffer room (the
   * receivers' count, when the network keeps one): more than 0 means the
   * rate was more than this host could read.
   */
  kernelDrops?: number;
  /**
   * The most memory the scan's own state took, bytes: its decision bits
   * (one per probe, when kept) and its send log at its longest (one entry
   * per batch of the last few timeouts). Nothing else is kept per probe.
   */
  stateBytes?: number;
}
