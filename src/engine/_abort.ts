/**
 * Waiting for an `AbortSignal` next to a timer, for the engines' paced
 * loops.
 *
 * @module
 */

/**
 * A promise that settles when the signal aborts (at once if it has), or
 * never when there is no signal.
 *
 * @param signal The signal, if any.
 * @returns The promise.
 *
 * @example
 * ```ts
 * import { whenAborted } from "./_abort.ts";
 *
 * const controller = new AbortController();
 * const aborted = whenAborted(controller.signal);
 * controller.abort();
 * await aborted;
 * ```
 */
export function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
