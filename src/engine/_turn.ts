/**
 * A turn of the event loop for a busy loop: timers, signals (Ctrl-C) and
 * output get to run, about 30 µs a turn, where `setTimeout(0)` takes a
 * millisecond or more.
 *
 * @module
 */

/** Turns of the event loop; close when done (an open port keeps the program alive). */
export interface Turns {
  /** Wait for one turn of the event loop. */
  turn(): Promise<void>;
  /** Release the channel. */
  close(): void;
}

/**
 * Make a source of event-loop turns (a `MessageChannel`).
 *
 * @returns The turns.
 *
 * @example
 * ```ts
 * import { eventLoopTurns } from "./_turn.ts";
 *
 * const turns = eventLoopTurns();
 * await turns.turn();
 * turns.close();
 * ```
 */
export function eventLoopTurns(): Turns {
  const channel = new MessageChannel();
  let resolve: (() => void) | undefined;
  channel.port1.onmessage = () => resolve?.();
  return {
    turn: () =>
      new Promise<void>((r) => {
        resolve = r;
        channel.port2.postMessage(0);
      }),
    close: () => channel.port1.close(),
  };
}
