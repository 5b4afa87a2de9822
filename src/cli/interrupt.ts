/**
 * Ctrl-C for the engines: the host's interrupt handler turned into the
 * `AbortSignal` an engine takes, for as long as the command wants it.
 *
 * @module
 */

import type { CliHost } from "./host.ts";

/** A signal that aborts on Ctrl-C, until disposed. */
export interface InterruptSignal {
  /** Aborts on the first Ctrl-C after {@linkcode interruptSignal}. */
  readonly signal: AbortSignal;
  /** Stop listening for Ctrl-C (idempotent). */
  dispose(): void;
}

/**
 * Listen for Ctrl-C (where the host can catch it) and abort a signal on it.
 *
 * @param host The host.
 * @returns The signal, and how to stop listening.
 *
 * @example
 * ```ts
 * import { interruptSignal } from "./interrupt.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * let handler = () => {};
 * const host = { ...createMemoryHost(), onInterrupt(h: () => void) {
 *   handler = h;
 *   return () => { handler = () => {}; };
 * } };
 * const interrupt = interruptSignal(host);
 * handler();
 * assert.ok(interrupt.signal.aborted);
 * interrupt.dispose();
 * ```
 */
export function interruptSignal(host: CliHost): InterruptSignal {
  const controller = new AbortController();
  const remove = host.onInterrupt?.(() => controller.abort()) ?? (() => {});
  let removed = false;
  return {
    signal: controller.signal,
    dispose() {
      if (removed) return;
      removed = true;
      remove();
    },
  };
}

/** Two Ctrl-C's: the first asks to finish what was started, the second to stop now. */
export interface TwoStageInterrupt extends InterruptSignal {
  /** Aborted by the second Ctrl-C. */
  readonly now: AbortSignal;
}

/**
 * An abort signal for the first Ctrl-C and another for the second: a scan
 * that finishes its ports in flight after the first can still be stopped
 * at once.
 *
 * @param host The host (its Ctrl-C).
 * @returns The signals and their clean-up.
 *
 * @example
 * ```ts
 * import { twoStageInterrupt } from "./interrupt.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * let handler = () => {};
 * const host = createMemoryHost();
 * host.onInterrupt = (h) => {
 *   handler = h;
 *   return () => {};
 * };
 * const interrupt = twoStageInterrupt(host);
 * handler();
 * assert.equal(interrupt.signal.aborted, true);
 * assert.equal(interrupt.now.aborted, false);
 * handler();
 * assert.equal(interrupt.now.aborted, true);
 * interrupt.dispose();
 * ```
 */
export function twoStageInterrupt(host: CliHost): TwoStageInterrupt {
  const first = new AbortController();
  const second = new AbortController();
  const remove = host.onInterrupt?.(() => {
    if (first.signal.aborted) second.abort();
    else first.abort();
  }) ?? (() => {});
  let removed = false;
  return {
    signal: first.signal,
    now: second.signal,
    dispose() {
      if (removed) return;
      removed = true;
      remove();
    },
  };
}
