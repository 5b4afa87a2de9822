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
