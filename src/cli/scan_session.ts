/**
 * What `scan` opens before it sends, in an order that leaves nothing behind
 * when a step fails, and the privileges it gives up once everything is
 * open:
 *
 * 1. the scan's receivers (raw TCP and ICMP sockets, per family), through
 *    the scan engine's `openScan`;
 * 2. the `--pcap` capture file (after the sockets, so a socket that may not
 *    be opened leaves no empty capture);
 * 3. for `--banners` of a raw scan, what the banner sessions will need
 *    after the drop: one shared receiver per family
 *    (`src/engine/shared_receiver.ts`) and the host's reset-hold helper
 *    (`Net.prepareResetHolds`: an `nft` process started now);
 * 4. the drop (`privileges.ts`): from here on the process has no
 *    privilege; nothing has been sent or read.
 *
 * It also says which Deno permissions a scan's command line needs.
 *
 * @module
 */

import { openScan, ScanSourceError } from "../engine/scan/run.ts";
import type { ScanSession } from "../engine/scan/run.ts";
import type { ScanType } from "../engine/scan/types.ts";
import { shareReceivers } from "../engine/shared_receiver.ts";
import { parseTargetSpec } from "../engine/targets.ts";
import type { HostPermissionQuery } from "../host/host.ts";
import type { Net, ReceiverNet } from "../host/net.ts";
import {
  type CaptureOutput,
  checkCaptureOutput,
  openCaptureOutput,
} from "./capture_output.ts";
import { CliError } from "./errors.ts";
import type { CliHost } from "./host.ts";
import { isPermissionMessage, permissionsFor } from "./permissions.ts";
import { dropPrivileges } from "./privileges.ts";
import type { ScanSettings, ScanValues } from "./scan_options.ts";
import { allowingBroadcast } from "./safe_targets.ts";
import { routeReason } from "./target.ts";

/**
 * Refuse to scan where raw TCP replies cannot be read.
 *
 * @param host The host.
 * @returns Its network.
 * @throws {CliError} On Windows and macOS, or without a network.
 *
 * @example
 * ```ts
 * import { requireScanNet } from "./scan_session.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => requireScanNet(createMemoryHost({ os: "darwin" })), /macOS/);
 * ```
 */
export function requireScanNet(host: CliHost): Net {
  if (host.os === "windows" || host.os === "darwin") {
    throw new CliError(
      `Cannot scan: ${
        host.os === "windows"
          ? "Windows does not allow raw TCP sockets"
          : "macOS does not deliver TCP replies to raw sockets"
      }; use Linux (tcpcraft scan --dry-run lists the probes anywhere)`,
    );
  }
  const net = host.net;
  if (net === undefined) {
    throw new CliError("Cannot scan: this host has no raw network access");
  }
  return net;
}

/** Whether a target text is a host name (resolved through the C library). */
function isName(text: string): boolean {
  try {
    return parseTargetSpec(text).kind === "name";
  } catch {
    return false; // a usage error, said later
  }
}

/**
 * The Deno permissions a scan's command line needs before its targets are
 * known: `ffi` for a raw scan (sockets, routes) or for names to resolve,
 * and the files it names. A connect scan's `net` is asked for once its
 * targets are known ({@linkcode connectPermissions}).
 *
 * @param values The parsed options.
 * @param positionals TARGETS.
 * @returns The queries.
 *
 * @example
 * ```ts
 * import { scanPermissions } from "./scan_session.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(scanPermissions({}, ["192.0.2.1"]), [{ name: "ffi" }]);
 * assert.deepEqual(scanPermissions({ dryRun: true }, ["192.0.2.1"]), []);
 * assert.deepEqual(scanPermissions({ scan: "connect" }, ["www.test"]), [{ name: "ffi" }]);
 * ```
 */
export function scanPermissions(
  values: ScanValues,
  positionals: readonly string[],
): HostPermissionQuery[] {
  const raw = values.dryRun !== true && values.scan !== "connect";
  const names = [...positionals, ...(values.exclude ?? []).flat()].some(
    isName,
  );
  return permissionsFor(values, { ffi: raw || names });
}

/**
 * A connect scan's `net` permission, for its first targets.
 *
 * @param settings The checked settings.
 * @returns The queries (none for other scans).
 *
 * @example
 * ```ts
 * import { connectPermissions } from "./scan_session.ts";
 * import { SCAN_OPTIONS, scanSettings } from "./scan_options.ts";
 * import { parseArgs } from "./args.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const { values, positionals } = parseArgs(["192.0.2.1", "-p", "80", "--scan", "connect"], SCAN_OPTIONS);
 * const settings = await scanSettings(values, positionals, createMemoryHost());
 * assert.deepEqual(connectPermissions(settings), [{ name: "net", host: "192.0.2.1" }]);
 * ```
 */
export function connectPermissions(
  settings: ScanSettings,
): HostPermissionQuery[] {
  if (settings.scan !== "connect") return [];
  const { space } = settings.plan;
  const hosts: string[] = [];
  for (let i = 0; i < Math.min(space.addressCount, 4); i++) {
    hosts.push(space.addressAt(i));
  }
  return permissionsFor({}, { net: hosts });
}

/** What {@linkcode openScanSession} opened. */
export interface OpenedScan {
  /** The scan, its receivers open. */
  session: ScanSession;
  /** The `--pcap` capture, when asked for. */
  capture: CaptureOutput | undefined;
  /**
   * For `--banners`: the network the banner sessions use, its receivers
   * opened before the privileges were given up.
   */
  bannerNet: Net | undefined;
  /** Close the banner receivers and end the reset-hold helper (idempotent). */
  release(): Promise<void>;
}

function openEngine(settings: ScanSettings, given: Net) {
  if (given.openReceiver === undefined) {
    throw new CliError(
      "Cannot scan: this host cannot open a receiver (raw TCP and ICMP sockets)",
    );
  }
  const receiving = given as ReceiverNet;
  // --allow-broadcast: route lookups and sends to broadcast addresses.
  const net = settings.allowBroadcast === true
    ? allowingBroadcast(receiving)
    : receiving;
  try {
    return openScan(settings.plan, {
      net: {
        routeSource: (dst) => net.routeSource(dst),
        wallClock: () => net.wallClock(),
        openReceiver: (family, options) => net.openReceiver(family, options),
      },
      scan: settings.scan as ScanType,
      flags: settings.flags,
      ...(settings.os === undefined ? {} : { preset: settings.os }),
      sport: settings.sport,
      rate: settings.rate,
      ...(settings.src === undefined ? {} : { src: settings.src }),
      ...(settings.interface === undefined
        ? {}
        : { interface: settings.interface }),
    });
  } catch (error) {
    if (error instanceof ScanSourceError) {
      const cause = error.cause;
      if (isPermissionMessage(cause)) {
        throw new CliError(cause.message, { cause });
      }
      throw new CliError(
        `Cannot find a source address for ${error.destination}: ${
          routeReason(cause, error.destination)
        }`,
        { cause },
      );
    }
    throw error;
  }
}

/**
 * Open the scan's sockets, its capture file and what its banners need,
 * then give up the privileges (see the module documentation); on any
 * failure, close what was opened.
 *
 * @param settings The checked settings (a raw scan).
 * @param host The host.
 * @param pcap The `--pcap` file.
 * @param append Whether to append to the capture (a resumed scan).
 * @returns What was opened.
 * @throws {CliError} When a socket, a file or the drop fails.
 *
 * @example Without raw network access, nothing is opened
 * ```ts
 * import { openScanSession } from "./scan_session.ts";
 * import { SCAN_OPTIONS, scanSettings } from "./scan_options.ts";
 * import { parseArgs } from "./args.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const { values, positionals } = parseArgs(["192.0.2.1", "-p", "80"], SCAN_OPTIONS);
 * const host = createMemoryHost();
 * const settings = await scanSettings(values, positionals, host);
 * await assert.rejects(openScanSession(settings, host, undefined), /no raw network access/);
 * ```
 */
export async function openScanSession(
  settings: ScanSettings,
  host: CliHost,
  pcap: string | undefined,
  append = false,
): Promise<OpenedScan> {
  const net = requireScanNet(host);
  if (pcap !== undefined) checkCaptureOutput(host, pcap);
  const session = openEngine(settings, net);
  let capture: CaptureOutput | undefined;
  let shared: ReturnType<typeof shareReceivers> | undefined;
  let stopHolds: (() => Promise<void>) | undefined;
  const release = async () => {
    shared?.close();
    shared = undefined;
    const stop = stopHolds;
    stopHolds = undefined;
    await stop?.();
  };
  try {
    // A resumed scan's capture is appended to, never overwritten.
    const appendAt = append && pcap !== undefined
      ? await host.readFile(pcap).then((b) => b.length, () => undefined)
      : undefined;
    capture = pcap === undefined ? undefined : await openCaptureOutput(
      host,
      pcap,
      appendAt === undefined ? {} : { appendAt },
    );
    if (settings.banners && net.openReceiver !== undefined) {
      stopHolds = await net.prepareResetHolds?.();
      shared = shareReceivers(
        net as Parameters<typeof shareReceivers>[0],
        settings.plan.space.families,
        { headerIncluded: true },
      );
    }
    dropPrivileges(host);
  } catch (error) {
    session.close();
    await capture?.close();
    await release();
    throw error;
  }
  return { session, capture, bannerNet: shared?.net, release };
}
