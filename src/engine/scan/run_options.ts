/**
 * The options of a scan's run (`ScanSession.run`): pace, retries, timeout,
 * clock, signal, and where results, progress and packets go.
 *
 * @module
 */

import type { Clock } from "../../host/host.ts";
import type { ScanTiming } from "./timing.ts";
import type {
  ScanPacket,
  ScanProgress,
  ScanResult,
  ScanResultView,
} from "./result.ts";

/** Options for `ScanSession.run`. */
export interface RunScanOptions {
  /** The monotonic clock the pace and deadlines run on. */
  clock: Clock;
  /** Probes a second, retries included (the stateless loop). */
  rate: number;
  /** Times an unanswered probe is sent again (the stateless loop). */
  retries: number;
  /** How long a try waits for its answer, ms (the stateless loop). */
  timeoutMs: number;
  /**
   * Scan the adaptive way, nmap's (`adaptive.ts`), with these settings
   * (a template of `TIMING_TEMPLATES`, adjusted); `rate`, `retries` and
   * `timeoutMs` are then unused. Without it, the stateless loop runs.
   */
  timing?: ScanTiming;
  /**
   * Stops the scan. The stateless loop stops at once (undecided ports are
   * not reported); the adaptive loop sends no fresh probe and finishes the
   * ports already started, retries included, so that every port started
   * is decided (use `stopNow` to stop at once).
   */
  signal?: AbortSignal;
  /** Stops the adaptive loop at once (undecided ports are not reported). */
  stopNow?: AbortSignal;
  /**
   * Indices of the target space decided before (a resumed scan): they are
   * not probed again.
   */
  decided?: Iterable<number>;
  /** Report progress this often, ms (default: never). */
  progressMs?: number;
  /** Called for each port as it is decided (unless `onResults` is given). */
  onResult(result: ScanResult): void;
  /**
   * Called instead of `onResult`, with the ports decided in one turn of
   * the loop (one call per batch of replies): fewer calls at high rates.
   */
  onResults?(results: readonly ScanResult[]): void;
  /**
   * Called instead of `onResult` and `onResults`, with each decided port
   * in one object reused for every port (read it during the call): the
   * way to take results without an allocation per port.
   */
  onResultView?(result: ScanResultView): void;
  /** Called after each turn of the loop that decided ports (to write out what was buffered). */
  onFlush?(): void;
  /**
   * Whether ports that never answer are reported with the scan type's
   * no-response state (default true). A scan that reports only answers
   * and sends no retries keeps no state per probe at all (zmap's way);
   * otherwise it keeps one bit per probe.
   */
  reportSilence?: boolean;
  /** Called every `progressMs`. */
  onProgress?(progress: ScanProgress): void;
  /**
   * Called with each packet sent and each reply received, in order, each
   * call after the previous one settled (for a capture file); a rejection
   * stops the scan with that failure.
   */
  record?(packet: ScanPacket): Promise<void>;
}
