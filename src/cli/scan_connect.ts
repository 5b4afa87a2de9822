/**
 * The parts of `scan` that open connections: `--scan connect` (nmap's
 * `-sT`: ordinary kernel connections through the host's connector, no root
 * and no raw sockets) and `--banners` (after an open port answers, a
 * connection that draws its banner: the kernel's own for connect scans, a
 * session made by hand for SYN scans, the kernel's resets for exactly
 * that flow held back by the session while it lives, so nothing needs
 * setting up by hand).
 *
 * A result of an open port waits for its banner and is handed over with
 * it, so every output sees the port once.
 *
 * @module
 */

import {
  type Banner,
  grabBanner,
  sessionByteStream,
} from "../engine/banner/mod.ts";
import { type ConnectTarget, runConnectScan } from "../engine/connect_scan.ts";
import type { ScanOutcome, ScanResult } from "../engine/scan/result.ts";
import { SpaceIndex } from "../engine/scan/space_index.ts";
import type { ScanPlan } from "../engine/scan/plan.ts";
import { TcpSession } from "../engine/session.ts";
import { CliError } from "./errors.ts";
import type { CliHost } from "./host.ts";

/** Banners grabbed at once, at most. */
const BANNER_CONCURRENCY = 16;

/**
 * The banner's text: the escaped bytes, or the certificate's names for TLS.
 *
 * @param banner The banner.
 * @returns One line, or undefined when the port said nothing.
 *
 * @example
 * ```ts
 * import { bannerText } from "./scan_connect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(bannerText({ service: "ssh", kind: "wait", bytes: new Uint8Array([65]), truncated: false, text: "A", ended: "idle" }), "A");
 * assert.equal(bannerText({ service: "ssh", kind: "wait", bytes: new Uint8Array(), truncated: false, text: "", ended: "timeout" }), undefined);
 * ```
 */
export function bannerText(banner: Banner): string | undefined {
  return banner.text === "" ? undefined : banner.text;
}

/**
 * Results of open ports held until their banner is drawn; the others go
 * through at once.
 */
export class BannerQueue {
  readonly #write: (results: readonly ScanResult[]) => void;
  readonly #grab: (result: ScanResult) => Promise<string | undefined>;
  readonly #waiting: ScanResult[] = [];
  readonly #running = new Set<Promise<void>>();

  /**
   * A queue.
   *
   * @param write Where results go.
   * @param grab Draws the banner of an open port.
   */
  constructor(
    write: (results: readonly ScanResult[]) => void,
    grab: (result: ScanResult) => Promise<string | undefined>,
  ) {
    this.#write = write;
    this.#grab = grab;
  }

  /**
   * Take results: open ones wait for their banner.
   *
   * @param results Results.
   */
  add(results: readonly ScanResult[]): void {
    const now = results.filter((r) => r.state !== "open");
    if (now.length > 0) this.#write(now);
    for (const result of results) {
      if (result.state === "open") this.#waiting.push({ ...result });
    }
    this.#pump();
  }

  #pump(): void {
    while (
      this.#running.size < BANNER_CONCURRENCY && this.#waiting.length > 0
    ) {
      const result = this.#waiting.shift()!;
      const job = this.#grab(result).catch(() => undefined).then((text) => {
        if (text !== undefined) result.banner = text;
        this.#write([result]);
      }).finally(() => {
        this.#running.delete(job);
        this.#pump();
      });
      this.#running.add(job);
    }
  }

  /** Wait for every banner. */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}

/**
 * Draw a SYN scan's banner: a session made by hand to the open port, the
 * kernel's resets held back for it, the hello, the first bytes.
 *
 * @param host The host, or what it has of a network (which must hold
 *   resets back; after a privilege drop, one whose receivers were opened
 *   before it).
 * @param result The open port.
 * @returns The banner's text.
 */
export async function sessionBanner(
  host: { net?: CliHost["net"] | undefined },
  result: ScanResult,
): Promise<string | undefined> {
  const net = host.net;
  if (net?.openReceiver === undefined) return undefined;
  const session = await TcpSession.open(
    net as Parameters<typeof TcpSession.open>[0],
    {
      dst: result.host,
      dstPort: result.port,
      dropKernelResets: true,
      timeoutMs: 3000,
      rtoMs: 500,
    },
  );
  const stream = sessionByteStream(session);
  try {
    return bannerText(
      await grabBanner(stream, { host: result.host, port: result.port }),
    );
  } finally {
    stream.close();
  }
}

/** What a connect scan needs of the command's settings. */
export interface ConnectScanSetup {
  /** The plan: targets in their order. */
  plan: ScanPlan;
  /** How long an attempt waits, ms. */
  timeoutMs: number;
  /** Further tries of an attempt that timed out. */
  retries: number;
  /** Attempts in flight at most. */
  concurrency: number;
  /** Draw banners. */
  banners: boolean;
  /** Indices decided before (a resumed scan). */
  decided?: ReadonlySet<number>;
  /** Stops taking targets (attempts in flight finish). */
  signal: AbortSignal;
  /** Where results go. */
  write(results: readonly ScanResult[]): void;
}

/**
 * Run a connect scan through the host's connector.
 *
 * @param host The host.
 * @param setup The plan, limits, banners and where results go.
 * @returns The outcome, as the raw scans' (attempts counted as probes).
 * @throws {CliError} When the host has no connector.
 */
export async function connectScan(
  host: CliHost,
  setup: ConnectScanSetup,
): Promise<ScanOutcome> {
  const connector = host.connector;
  if (connector === undefined) {
    throw new CliError(
      "Cannot scan with --scan connect: this host cannot make TCP connections",
    );
  }
  const { plan } = setup;
  const space = new SpaceIndex(plan.space);
  function* targets(): Generator<ConnectTarget> {
    for (let position = 0; position < plan.order.length; position++) {
      const index = plan.order.at(position);
      if (setup.decided?.has(index) === true) continue;
      const addressIndex = index % space.addressCount;
      yield {
        address: space.addressText(addressIndex),
        port: space.portAt(Math.floor(index / space.addressCount)),
        addressIndex,
      };
    }
  }
  const held = new Map<string, ScanResult>();
  const outcome = await runConnectScan({
    connector,
    targets: targets(),
    concurrency: setup.concurrency,
    timeoutMs: setup.timeoutMs,
    retries: setup.retries,
    signal: setup.signal,
    onResult(result) {
      if (setup.banners && result.state === "open") {
        held.set(`${result.host} ${result.port}`, result);
      } else setup.write([result]);
    },
    ...(setup.banners
      ? {
        async onOpen(target, stream) {
          const key = `${target.address} ${target.port}`;
          const text = await grabBanner(stream, {
            host: target.address,
            port: target.port,
          }).then(bannerText, () => undefined);
          const result = held.get(key);
          held.delete(key);
          if (result !== undefined) {
            if (text !== undefined) result.banner = text;
            setup.write([result]);
          }
        },
      }
      : {}),
  });
  for (const result of held.values()) setup.write([result]);
  return {
    counts: outcome.counts,
    probesSent: outcome.attempts,
    elapsedMs: outcome.elapsedMs,
    interrupted: outcome.interrupted,
  };
}
