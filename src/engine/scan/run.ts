/**
 * The scan engine's start: {@linkcode openScan} finds a source address per
 * family (given, or the one the kernel routes from to the first target of
 * that family), builds a probe template per family and opens a receiver per
 * family (raw TCP and ICMP sockets, header included, receive buffers sized
 * to the rate: replies to a fast scan arrive in bursts). Its
 * {@linkcode ScanSession.run} runs the loop of `loop.ts`: a stateless scan
 * in the manner of zmap and masscan, with nmap's port states. Each probe's
 * sequence number is a SYN cookie; replies are read from their own bytes;
 * an unanswered probe is sent again `retries` times, `timeoutMs` after the
 * try before, then its port gets the type's no-response state. Results are
 * reported as ports are decided; the run ends when every port is decided,
 * something fails, or the signal aborts (undecided ports are not
 * reported).
 *
 * @module
 */

import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../../wire/address.ts";
import type { Net, NetReceiver } from "../../host/net.ts";
import { bigIntToAddress } from "../targets.ts";
import { AdaptiveLoop } from "./adaptive.ts";
import { ScanLoop } from "./loop.ts";
import type { RunScanOptions } from "./run_options.ts";

export type { RunScanOptions } from "./run_options.ts";
import type { ScanPlan } from "./plan.ts";
import type { ScanOutcome } from "./result.ts";
import { ProbeTemplate } from "./template.ts";
import { SCAN_TYPE_FLAGS, type ScanType } from "./types.ts";
import type { SynPresetOs } from "../../wire/os_presets.ts";

/**
 * The receive buffer asked for each socket: about 300 bytes a probe a
 * second (a quarter second of replies at their kernel size), 4 MiB at
 * least, 256 MiB at most. Root gets it past `net.core.rmem_max`.
 *
 * @param rate Probes a second.
 * @returns Bytes.
 *
 * @example
 * ```ts
 * import { receiveBufferFor } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(receiveBufferFor(100), 4 << 20);
 * assert.equal(receiveBufferFor(1e6), 256 << 20);
 * ```
 */
export function receiveBufferFor(rate: number): number {
  return Math.min(256 << 20, Math.max(4 << 20, Math.ceil(rate * 300)));
}

/** What the scan engine takes of the network. */
export type ScanNet =
  & Pick<Net, "routeSource" | "wallClock">
  & Required<Pick<Net, "openReceiver">>;

/** Options for {@linkcode openScan}. */
export interface OpenScanOptions {
  /** The network. */
  net: ScanNet;
  /** How replies are read (and the flags, unless `flags` is given). */
  scan: ScanType;
  /** The probes' flags (default: the scan type's). */
  flags?: number;
  /** The source port of every probe. */
  sport: number;
  /** The source address (default: the routed one, per family). */
  src?: string;
  /** SYN probes as this system sends its SYNs (`SYN_PRESETS`), not nmap's. */
  preset?: SynPresetOs;
  /** The rate the run will ask for, to size the receive buffers (default 100). */
  rate?: number;
  /**
   * Send on the link layer, on this interface: every probe of a family in
   * a frame to the next hop of its first target (masscan's router MAC).
   */
  interface?: string;
}

/**
 * No source address for a family: the kernel has no route to its first
 * target. The message reads `Cannot find a source address for <dst>: <why>`.
 *
 * @example
 * ```ts
 * import { ScanSourceError } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ScanSourceError("192.0.2.1", new Error("network is unreachable"));
 * assert.equal(error.message, "Cannot find a source address for 192.0.2.1: network is unreachable");
 * const again = new ScanSourceError("192.0.2.1", error);
 * assert.equal(again.message, error.message);
 * ```
 */
export class ScanSourceError extends Error {
  /** The destination no route leads to. */
  readonly destination: string;

  /**
   * Create the error.
   *
   * @param destination The destination.
   * @param cause What the route lookup threw.
   */
  constructor(destination: string, cause: unknown) {
    const action = `Cannot find a source address for ${destination}`;
    const why = cause instanceof Error ? cause.message : String(cause);
    // The lookup's own message may say what failed already: once is enough.
    super(why.startsWith(`${action}: `) ? why : `${action}: ${why}`, {
      cause,
    });
    this.name = "ScanSourceError";
    this.destination = destination;
  }
}

/**
 * An opened scan: sources found, templates built, receivers open. Run it
 * once, or close it.
 */
export interface ScanSession {
  /** The source address of each family scanned. */
  readonly sources: ReadonlyMap<AddressFamily, string>;
  /**
   * Run the scan; see the module documentation. The receivers are closed
   * when it returns.
   *
   * @param options Pace, retries, timeout, clock, signal and reports.
   * @returns The counts, and what failed if something did.
   */
  run(options: RunScanOptions): Promise<ScanOutcome>;
  /** Close the receivers (idempotent). */
  close(): void;
}

/** The first target address of a family, as text. */
function firstTarget(plan: ScanPlan, family: AddressFamily): string {
  const first = plan.space.addresses.find((r) => r.family === family)!;
  return formatAddress(bigIntToAddress(first.first, family));
}

/**
 * Open a scan: sources, templates and receivers; nothing is sent.
 *
 * @param plan The plan.
 * @param options The network, scan type, flags and ports.
 * @returns The session.
 * @throws {ScanSourceError} When no route leads to a family's first target
 *   (before any socket is open).
 * @throws What the network's `openReceiver` throws (nothing stays open).
 *
 * @example See `tests/scan_engine_test.ts` for scans on a fake network.
 * ```ts
 * import { openScan, parsePorts, parseTargetSpec, planScan } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseTargetSpec("192.0.2.1");
 * if (spec.kind !== "addresses") throw new Error("not addresses");
 * const plan = planScan({ include: [spec.range], ports: parsePorts("80"), seed: 1 });
 * const net = {
 *   routeSource: () => { throw new Error("network is unreachable"); },
 *   wallClock: () => 0,
 *   openReceiver: () => { throw new Error("not reached"); },
 * };
 * assert.throws(
 *   () => openScan(plan, { net, scan: "syn", sport: 50000 }),
 *   /Cannot find a source address for 192\.0\.2\.1: network is unreachable/,
 * );
 * ```
 */
export function openScan(
  plan: ScanPlan,
  options: OpenScanOptions,
): ScanSession {
  const { net, scan, sport } = options;
  const flags = options.flags ?? SCAN_TYPE_FLAGS[scan];
  // Sources first: a missing route is an error before any socket is open.
  const templates = new Map<AddressFamily, ProbeTemplate>();
  for (const family of plan.space.families) {
    let src = options.src;
    if (src === undefined) {
      const dst = firstTarget(plan, family);
      try {
        src = formatAddress(parseAddress(net.routeSource(dst)).bytes);
      } catch (error) {
        throw new ScanSourceError(dst, error);
      }
    }
    templates.set(
      family,
      new ProbeTemplate(family, src, sport, flags, options.preset),
    );
  }
  const receivers = new Map<AddressFamily, NetReceiver>();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const receiver of receivers.values()) receiver.close();
  };
  try {
    for (const family of templates.keys()) {
      receivers.set(
        family,
        net.openReceiver(family, {
          headerIncluded: true,
          receiveBufferBytes: receiveBufferFor(options.rate ?? 100),
          ...(options.interface === undefined ? {} : {
            link: {
              interface: options.interface,
              destination: firstTarget(plan, family),
            },
          }),
        }),
      );
    }
  } catch (error) {
    close();
    throw error;
  }
  const sources = new Map(
    [...templates].map(([family, template]) => [family, template.src]),
  );
  return {
    sources,
    async run(runOptions) {
      const setup = {
        scan,
        flags,
        sport,
        templates,
        receivers,
        wallClock: () => net.wallClock(),
        close,
      };
      try {
        return await (runOptions.timing === undefined
          ? new ScanLoop(plan, setup, runOptions)
          : new AdaptiveLoop(plan, setup, runOptions, runOptions.timing))
          .run();
      } finally {
        close();
      }
    },
    close,
  };
}
