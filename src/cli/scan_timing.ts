/**
 * How fast `scan` goes: its two modes and their options.
 *
 * - **Adaptive** (the default): nmap's timing, per host: a measured
 *   retransmission timeout, a congestion window on probes in flight, more
 *   retries where retries are what gets answered, a second's wait before a
 *   new round of retries (ICMP rate limits), a growing delay for a host
 *   that drops. `-T0`..`-T5` pick nmap's templates (default `-T3`, nmap's
 *   own default); `--max-retries`, `--min-rate`, `--max-rate`,
 *   `--host-timeout`, `--min-rtt-timeout`, `--max-rtt-timeout`,
 *   `--initial-rtt-timeout` and `--scan-delay` adjust them as nmap's do.
 * - **Stateless** (masscan's and zmap's): chosen by `--rate`, `--retries`
 *   or `--timeout`: a fixed rate, a fixed timeout, a fixed number of
 *   retries, nothing learned from the answers; the line-rate mode.
 *
 * Options of the two modes do not mix (a usage error says which).
 *
 * @module
 */

import {
  parseTimingLevel,
  type ScanTiming,
  TIMING_NAMES,
  TIMING_TEMPLATES,
} from "../engine/scan/timing.ts";
import { defineOptions, type OptionValues } from "./args.ts";
import { UsageError, ValueError } from "./errors.ts";
import { parseDuration, parseRate } from "./numbers.ts";

/** The most retries `--retries` and `--max-retries` accept. */
export const MAX_RETRIES = 50;

function parseTemplate(text: string) {
  const level = parseTimingLevel(text);
  if (level === undefined) {
    throw new ValueError(
      `"${text}" is not a timing template (0..5, or ${
        TIMING_NAMES.join(", ")
      })`,
    );
  }
  return level;
}

function parseRtt(text: string): number {
  return parseDuration(text, { minMs: 1, maxMs: 300_000 });
}

/** The timing options of `scan`, both modes. */
export const SCAN_TIMING_OPTIONS = defineOptions({
  timing: {
    kind: "string",
    short: "T",
    valueName: "0-5",
    parse: parseTemplate,
    help:
      "nmap's timing template: 0 paranoid, 1 sneaky, 2 polite, 3 normal (default), 4 aggressive, 5 insane",
    group: "Timing (adaptive, the default)",
  },
  maxRetries: {
    kind: "number",
    max: MAX_RETRIES,
    valueName: "N",
    help:
      "retransmissions of a probe at most (T3: 10, T4: 6, T5: 2); fewer are sent unless retries get answered",
    group: "Timing (adaptive, the default)",
  },
  minRate: {
    kind: "string",
    valueName: "PPS",
    parse: parseRate,
    help: "send at least this many probes a second, whatever the windows say",
    group: "Timing (adaptive, the default)",
  },
  maxRate: {
    kind: "string",
    valueName: "PPS",
    parse: parseRate,
    help: "send at most this many probes a second",
    group: "Timing (adaptive, the default)",
  },
  hostTimeout: {
    kind: "string",
    valueName: "DUR",
    parse: (text: string) => parseDuration(text, { minMs: 1 }),
    help: "give up a host after this long (its ports are not reported)",
    group: "Timing (adaptive, the default)",
  },
  initialRttTimeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseRtt,
    help: "the retransmission timeout before any answer (T3: 1s, T4: 500ms)",
    group: "Timing (adaptive, the default)",
  },
  minRttTimeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseRtt,
    help: "the least retransmission timeout (T3: 100ms)",
    group: "Timing (adaptive, the default)",
  },
  maxRttTimeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseRtt,
    help: "the greatest retransmission timeout (T3: 10s, T4: 1250ms)",
    group: "Timing (adaptive, the default)",
  },
  scanDelay: {
    kind: "string",
    valueName: "DUR",
    parse: (text: string) =>
      parseDuration(text, { minMs: 0, maxMs: 3_600_000 }),
    help: "wait at least this long between probes to one host",
    group: "Timing (adaptive, the default)",
  },
  retries: {
    kind: "number",
    max: MAX_RETRIES,
    valueName: "N",
    help: "stateless mode: times an unanswered probe is sent again (default 1)",
    group: "Timing (stateless, masscan's: --rate, --retries or --timeout)",
  },
  timeout: {
    kind: "string",
    valueName: "DUR",
    parse: (text: string) => parseDuration(text, { minMs: 1, maxMs: 60_000 }),
    help:
      "stateless mode: how long to wait for an answer before a retry or giving up (default 1s)",
    group: "Timing (stateless, masscan's: --rate, --retries or --timeout)",
  },
  rate: {
    kind: "string",
    valueName: "PPS",
    parse: parseRate,
    help:
      "stateless mode: probes per second, retries included (default 100); no adaptation, as masscan: for line rate",
    group: "Timing (stateless, masscan's: --rate, --retries or --timeout)",
  },
});

/** The values of {@linkcode SCAN_TIMING_OPTIONS}. */
export type ScanTimingValues = OptionValues<typeof SCAN_TIMING_OPTIONS>;

/** How a scan is timed: one of the two modes. */
export type ScanPace =
  | { mode: "adaptive"; timing: ScanTiming }
  | { mode: "stateless"; rate: number; retries: number; timeoutMs: number };

const ADAPTIVE_FLAGS: Record<string, string> = {
  timing: "-T",
  maxRetries: "--max-retries",
  minRate: "--min-rate",
  maxRate: "--max-rate",
  hostTimeout: "--host-timeout",
  initialRttTimeout: "--initial-rtt-timeout",
  minRttTimeout: "--min-rtt-timeout",
  maxRttTimeout: "--max-rtt-timeout",
  scanDelay: "--scan-delay",
};

/**
 * The mode and its settings from the timing options.
 *
 * @param values The parsed options.
 * @returns The pace.
 * @throws {UsageError} When options of both modes are given, or bounds cross.
 *
 * @example
 * ```ts
 * import { scanPace } from "./scan_timing.ts";
 * import assert from "node:assert/strict";
 *
 * const pace = scanPace({ timing: 4, maxRetries: 2 });
 * assert.equal(pace.mode, "adaptive");
 * if (pace.mode === "adaptive") assert.equal(pace.timing.maxRetries, 2);
 * assert.deepEqual(scanPace({ rate: 1000 }), { mode: "stateless", rate: 1000, retries: 1, timeoutMs: 1000 });
 * assert.throws(() => scanPace({ rate: 1000, timing: 4 }), /-T: conflicts with --rate/);
 * ```
 */
export function scanPace(values: ScanTimingValues): ScanPace {
  const stateless = (["rate", "retries", "timeout"] as const).find((key) =>
    values[key] !== undefined
  );
  const adaptive = Object.keys(ADAPTIVE_FLAGS).find((key) =>
    values[key as keyof ScanTimingValues] !== undefined
  );
  if (stateless !== undefined) {
    if (adaptive !== undefined) {
      throw new UsageError(
        `${
          ADAPTIVE_FLAGS[adaptive]
        }: conflicts with --${stateless} (the stateless mode has a fixed pace; leave out --rate, --retries and --timeout for nmap's adaptive timing)`,
      );
    }
    return {
      mode: "stateless",
      rate: values.rate ?? 100,
      retries: values.retries ?? 1,
      timeoutMs: values.timeout ?? 1000,
    };
  }
  const timing: ScanTiming = { ...TIMING_TEMPLATES[values.timing ?? 3] };
  if (values.maxRetries !== undefined) timing.maxRetries = values.maxRetries;
  if (values.minRate !== undefined) timing.minRate = values.minRate;
  if (values.maxRate !== undefined) timing.maxRate = values.maxRate;
  if (values.hostTimeout !== undefined) {
    timing.hostTimeoutMs = values.hostTimeout;
  }
  // nmap: an initial timeout above the greatest raises the greatest.
  if (values.initialRttTimeout !== undefined) {
    timing.initialRttMs = values.initialRttTimeout;
    timing.maxRttMs = Math.max(timing.maxRttMs, timing.initialRttMs);
  }
  if (values.minRttTimeout !== undefined) {
    timing.minRttMs = values.minRttTimeout;
  }
  if (values.maxRttTimeout !== undefined) {
    timing.maxRttMs = values.maxRttTimeout;
  }
  if (values.scanDelay !== undefined) {
    timing.scanDelayMs = values.scanDelay;
    timing.maxScanDelayMs = Math.max(timing.maxScanDelayMs, values.scanDelay);
  }
  if (timing.minRttMs > timing.maxRttMs) {
    throw new UsageError(
      "--min-rtt-timeout: above the greatest RTT timeout (--max-rtt-timeout)",
    );
  }
  timing.initialRttMs = Math.min(
    Math.max(timing.initialRttMs, timing.minRttMs),
    timing.maxRttMs,
  );
  if (timing.maxRate > 0 && timing.minRate > timing.maxRate) {
    throw new UsageError("--min-rate: above --max-rate");
  }
  return { mode: "adaptive", timing };
}
