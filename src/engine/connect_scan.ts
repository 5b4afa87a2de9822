/**
 * The connect scan (nmap's `-sT`): ordinary kernel connections through a
 * {@linkcode TcpConnector}, so it needs no root and no raw sockets, with
 * the states and reasons nmap's `scan_engine_connect.cc`
 * (`handleConnectResult`) gives:
 *
 * | the attempt | state | reason |
 * | --- | --- | --- |
 * | handshake completed | open | `syn-ack` |
 * | refused (RST, or an ICMP port unreachable, which the kernel reports the same way) | closed | `conn-refused` |
 * | no answer after every try | filtered | `no-response` |
 * | host unreachable (Linux reports ICMP's administratively prohibited so too) | filtered | `host-unreach` |
 * | network unreachable | filtered | `net-unreach` |
 * | administratively prohibited (EACCES: Linux reports ICMPv6's so) | filtered | `admin-prohibited` |
 * | protocol unreachable | filtered | `proto-unreach` |
 *
 * Linux reports an ICMPv6 error to `connect()` only when it answers the
 * retransmitted SYN, a second after the first: over IPv6, attempts that
 * wait less than that see no error (nmap's too).
 *
 * Only attempts that time out are tried again (`retries`), as nmap
 * retransmits only probes without an answer. At most `concurrency`
 * attempts are in flight; an open connection is handed to `onOpen` (to
 * grab a banner) or closed at once.
 *
 * @module
 */

import type {
  ByteStream,
  ConnectOutcome,
  TcpConnector,
} from "../host/connect.ts";
import type { ScanResult } from "./scan/result.ts";
import { PORT_STATES, type PortState, type PortVerdict } from "./scan/state.ts";

/** A port to connect to. */
export interface ConnectTarget {
  /** The address, canonical text. */
  address: string;
  /** The port. */
  port: number;
  /** The address's index among the targets (to sort results by host). */
  addressIndex: number;
}

/** Options for {@linkcode runConnectScan}. */
export interface ConnectScanOptions {
  /** How connections are made. */
  connector: TcpConnector;
  /** The ports to connect to, in the order to try them. */
  targets: Iterable<ConnectTarget>;
  /** Attempts in flight at most (default 64). */
  concurrency?: number;
  /** How long an attempt waits for an answer, ms (default 1000). */
  timeoutMs?: number;
  /** Further tries of an attempt that timed out (default 1). */
  retries?: number;
  /** Stops the scan: no new attempt starts; those in flight finish. */
  signal?: AbortSignal;
  /** A port is decided. */
  onResult(result: ScanResult): void;
  /**
   * An open port's connection, to use (a banner) and close; without it,
   * the connection is closed at once. The scan waits for it, so
   * `concurrency` bounds these too.
   */
  onOpen?(target: ConnectTarget, stream: ByteStream): void | Promise<void>;
  /** The clock, ms (default `performance.now`). */
  now?: () => number;
}

/** How a connect scan ended. */
export interface ConnectScanOutcome {
  /** Ports decided, by state. */
  counts: Record<PortState, number>;
  /** Connection attempts, tries included. */
  attempts: number;
  /** How long it ran, ms. */
  elapsedMs: number;
  /** Whether the signal stopped it before every target was tried. */
  interrupted: boolean;
}

/**
 * What a connection attempt says about the port, as nmap's `-sT` reads it.
 *
 * @param outcome How the attempt ended.
 * @returns The verdict; undefined for a timeout (try again, or
 *   `filtered no-response` after the last try).
 *
 * @example
 * ```ts
 * import { connectVerdict } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(connectVerdict({ kind: "refused", rttMs: 1 }), { state: "closed", reason: "conn-refused" });
 * assert.deepEqual(
 *   connectVerdict({ kind: "unreachable", reason: "net-unreach", rttMs: 1 }),
 *   { state: "filtered", reason: "net-unreach" },
 * );
 * assert.equal(connectVerdict({ kind: "timeout" }), undefined);
 * ```
 */
export function connectVerdict(
  outcome: ConnectOutcome,
): PortVerdict | undefined {
  switch (outcome.kind) {
    case "open":
      return { state: "open", reason: "syn-ack" };
    case "refused":
      return { state: "closed", reason: "conn-refused" };
    case "unreachable":
      return { state: "filtered", reason: outcome.reason };
    case "timeout":
      return undefined;
  }
}

/**
 * Run a connect scan.
 *
 * @param options The connector, the targets, the limits, the callbacks.
 * @returns The counts, the attempts made, the time, whether it was stopped.
 * @throws What the connector or `onOpen` throws (the scan stops taking
 *   targets; attempts in flight finish first).
 *
 * @example A fake network: 22 open, 23 refused, 24 silent
 * ```ts
 * import { runConnectScan, type ScanResult } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const results: ScanResult[] = [];
 * const outcome = await runConnectScan({
 *   connector: {
 *     connect: (_address, port) => Promise.resolve(
 *       port === 22
 *         ? { kind: "open", rttMs: 1, stream: { write: async () => {}, read: async () => ({ kind: "end" }), close() {} } }
 *         : port === 23 ? { kind: "refused", rttMs: 1 } : { kind: "timeout" },
 *     ),
 *   },
 *   targets: [22, 23, 24].map((port) => ({ address: "192.0.2.1", port, addressIndex: 0 })),
 *   onResult: (result) => results.push(result),
 * });
 * assert.deepEqual(
 *   results.sort((a, b) => a.port - b.port).map((r) => `${r.port} ${r.state} ${r.reason}`),
 *   ["22 open syn-ack", "23 closed conn-refused", "24 filtered no-response"],
 * );
 * assert.equal(outcome.attempts, 4); // 24 was tried twice
 * ```
 */
export async function runConnectScan(
  options: ConnectScanOptions,
): Promise<ConnectScanOutcome> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const timeoutMs = options.timeoutMs ?? 1000;
  const tries = 1 + Math.max(0, options.retries ?? 1);
  const counts = Object.fromEntries(PORT_STATES.map((s) => [s, 0])) as Record<
    PortState,
    number
  >;
  let attempts = 0;
  let failure: { error: unknown } | undefined;
  let exhausted = false;
  const iterator = options.targets[Symbol.iterator]();
  const next = (): ConnectTarget | undefined => {
    if (exhausted || failure !== undefined || options.signal?.aborted) {
      return undefined;
    }
    const item = iterator.next();
    if (item.done === true) {
      exhausted = true;
      return undefined;
    }
    return item.value;
  };
  const decide = (
    target: ConnectTarget,
    verdict: PortVerdict,
    rttMs: number | null,
  ) => {
    counts[verdict.state]++;
    options.onResult({
      host: target.address,
      port: target.port,
      state: verdict.state,
      reason: verdict.reason,
      rttMs,
      addressIndex: target.addressIndex,
    });
  };
  const attempt = async (target: ConnectTarget) => {
    for (let t = 1; t <= tries; t++) {
      attempts++;
      const outcome = await options.connector.connect(
        target.address,
        target.port,
        timeoutMs,
      );
      const verdict = connectVerdict(outcome);
      if (verdict === undefined) continue;
      decide(target, verdict, "rttMs" in outcome ? outcome.rttMs : null);
      if (outcome.kind === "open") {
        try {
          if (options.onOpen !== undefined) {
            await options.onOpen(target, outcome.stream);
          }
        } finally {
          outcome.stream.close();
        }
      }
      return;
    }
    decide(target, { state: "filtered", reason: "no-response" }, null);
  };
  const worker = async () => {
    for (let target = next(); target !== undefined; target = next()) {
      try {
        await attempt(target);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) throw failure.error;
  return {
    counts,
    attempts,
    elapsedMs: now() - started,
    interrupted: !exhausted,
  };
}
