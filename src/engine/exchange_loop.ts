/**
 * The paced loop of the exchange engine: probes taken from a list when
 * their turn comes, sent on an {@linkcode Exchange}, each waited for
 * `timeoutMs` (and sent again up to `retries` times), every step reported
 * as an event as it happens. hping3's loop (`runProbes`), a traceroute hop
 * (`runTrace`) and the library's `sr` are this loop with different lists.
 *
 * @module
 */

import type { Clock } from "../host/host.ts";
import type { Exchange } from "./exchange.ts";
import type { Probe, Reply } from "./reply_match.ts";

/** One probe to send: its datagram and what it is. */
export interface ExchangeItem {
  /** The whole datagram, IP header included. */
  datagram: Uint8Array;
  /** What it is, for the matcher; `id` unique among those waiting. */
  probe: Probe;
}

/** Options for {@linkcode exchangeLoop}. */
export interface ExchangeLoopOptions {
  /** The monotonic clock pacing and timeouts run on. */
  clock: Pick<Clock, "now">;
  /**
   * Time between two sends, ms: send `n` goes out at `start + n ×
   * intervalMs` (no drift). 0 sends as fast as the loop goes, reading what
   * arrived every 32 sends.
   */
  intervalMs: number;
  /** How long each send waits for its reply, ms. */
  timeoutMs: number;
  /** How many times a probe unanswered after `timeoutMs` is sent again (default 0). */
  retries?: number;
  /** Stops the loop: probes still waiting are forgotten without a timeout event. */
  signal?: AbortSignal;
}

/** What happens during {@linkcode exchangeLoop}, as it happens. */
export type ExchangeEvent =
  | {
    /** A probe went out (again, when `attempt` > 0). */
    kind: "sent";
    /** The probe (its `sentAt` set). */
    probe: Probe;
    /** Its datagram. */
    datagram: Uint8Array;
    /** The probe's place in the list, from 0. */
    index: number;
    /** 0 for the first send, then 1, 2… for the retries. */
    attempt: number;
  }
  | {
    /** A reply (TCP, or an ICMP error) to a probe arrived in time. */
    kind: "reply";
    /** The reply. */
    reply: Reply;
    /** The datagram it came in. */
    bytes: Uint8Array;
    /** The probe's place in the list, from 0. */
    index: number;
  }
  | {
    /** A probe went unanswered for `timeoutMs` after its last send. */
    kind: "timeout";
    /** The probe. */
    probe: Probe;
    /** Its datagram. */
    datagram: Uint8Array;
    /** The probe's place in the list, from 0. */
    index: number;
    /** How long it waited, ms. */
    timeoutMs: number;
  }
  | {
    /** A send failed; the loop ends after this event. */
    kind: "failure";
    /** What the send threw. */
    error: unknown;
    /** The probe's place in the list, from 0. */
    index: number;
  };

interface Waiting {
  item: ExchangeItem;
  index: number;
  attempt: number;
  deadline: number;
}

/** Items taken one at a time; a synchronous list is read one ahead, so its end is known at once. */
class Source {
  readonly #sync: Iterator<ExchangeItem> | undefined;
  readonly #async: AsyncIterator<ExchangeItem> | undefined;
  #ahead: IteratorResult<ExchangeItem> | undefined;
  done = false;

  constructor(items: Iterable<ExchangeItem> | AsyncIterable<ExchangeItem>) {
    if (Symbol.iterator in items) {
      this.#sync = items[Symbol.iterator]();
      this.#ahead = this.#sync.next();
      this.done = this.#ahead.done === true;
    } else {
      this.#async = items[Symbol.asyncIterator]();
    }
  }

  async take(): Promise<ExchangeItem | undefined> {
    if (this.done) return undefined;
    if (this.#sync !== undefined) {
      const current = this.#ahead!;
      this.#ahead = this.#sync.next();
      this.done = this.#ahead.done === true;
      return current.done === true ? undefined : current.value;
    }
    const result = await this.#async!.next();
    if (result.done === true) {
      this.done = true;
      return undefined;
    }
    return result.value;
  }

  async close(): Promise<void> {
    if (this.#sync !== undefined) this.#sync.return?.();
    else await this.#async!.return?.();
  }
}

/** Sends in a row before a read, when there is no interval. */
const BURST = 32;

/**
 * Send the probes of `items` on an exchange and report what happens: each
 * probe is taken from the list when its turn comes (a synchronous list one
 * ahead), sent, and waited for `timeoutMs`; an unanswered one is sent again
 * up to `retries` times, at the next turn, then reported as a timeout.
 * Replies are reported as they arrive. The loop ends when every probe is
 * sent and settled, a send fails (a `failure` event), or `signal` aborts.
 * Each wait lasts at most 200 ms, so an abort is noticed soon. Whatever the
 * consumer does with an event happens before the loop goes on; when it
 * stops early, the probes still waiting are forgotten.
 *
 * @param exchange The open exchange (closed by the caller).
 * @param items The probes, in order; ids unique among those waiting.
 * @param options Pacing, timeout, retries, clock and signal.
 * @returns The events, as they happen.
 *
 * @example A probe into silence and its retry, on a virtual clock
 * ```ts
 * import { Exchange, exchangeLoop, makeTcpPacket, probeOf, encodePacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => now,
 *   openReceiver: () => ({
 *     send: (bytes: Uint8Array) => bytes.length,
 *     sendMany: () => 0,
 *     close() {},
 *     poll(timeoutMs: number) {
 *       now += timeoutMs;
 *       return Promise.resolve({ tcp: [], icmp: [] });
 *     },
 *   }),
 * };
 * const exchange = Exchange.open(net);
 * const packet = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * const items = [{ datagram: encodePacket(packet), probe: probeOf(packet, 0) }];
 * const events: string[] = [];
 * for await (const event of exchangeLoop(exchange, items, {
 *   clock: { now: () => now }, intervalMs: 0, timeoutMs: 50, retries: 1,
 * })) events.push(`${now} ${event.kind}`);
 * exchange.close();
 * assert.deepEqual(events, ["0 sent", "50 sent", "100 timeout"]);
 * ```
 */
export async function* exchangeLoop(
  exchange: Exchange,
  items: Iterable<ExchangeItem> | AsyncIterable<ExchangeItem>,
  options: ExchangeLoopOptions,
): AsyncGenerator<ExchangeEvent, void, undefined> {
  const { clock, intervalMs, timeoutMs, signal } = options;
  const retries = options.retries ?? 0;
  const source = new Source(items);
  const waiting = new Map<number, Waiting>();
  const again: Waiting[] = [];
  const start = clock.now();
  let sends = 0;
  let burst = 0;
  let index = 0;
  const due = () => start + sends * intervalMs;
  try {
    // Bounded: every round sends, waits for a reply, or reaches a deadline.
    while (signal?.aborted !== true) {
      const now = clock.now();
      const paused = intervalMs === 0 && burst >= BURST;
      if (now >= due() && !paused) {
        let entry = again.shift();
        if (entry === undefined) {
          const item = await source.take();
          if (item !== undefined) {
            entry = { item, index: index++, attempt: 0, deadline: 0 };
          }
        }
        if (entry !== undefined) {
          const { datagram, probe } = entry.item;
          try {
            exchange.send(datagram, probe);
          } catch (error) {
            yield { kind: "failure", error, index: entry.index };
            return;
          }
          sends++;
          burst++;
          yield {
            kind: "sent",
            probe,
            datagram,
            index: entry.index,
            attempt: entry.attempt,
          };
          entry.deadline = clock.now() + timeoutMs;
          waiting.set(probe.id, entry);
          continue;
        }
      }
      for (const [id, entry] of waiting) {
        if (entry.deadline > now) continue;
        exchange.forget(entry.item.probe);
        waiting.delete(id);
        if (entry.attempt < retries) {
          again.push({ ...entry, attempt: entry.attempt + 1 });
          continue;
        }
        const { probe, datagram } = entry.item;
        yield {
          kind: "timeout",
          probe,
          datagram,
          index: entry.index,
          timeoutMs,
        };
      }
      const more = again.length > 0 || !source.done;
      if (!more && waiting.size === 0) break;
      let wait = 200; // at most, so that an abort is noticed soon
      if (more) wait = Math.min(wait, due() - now);
      for (const { deadline } of waiting.values()) {
        wait = Math.min(wait, deadline - now);
      }
      burst = 0;
      for (const { reply, bytes } of await exchange.poll(Math.max(0, wait))) {
        const entry = waiting.get(reply.probe.id);
        if (entry === undefined) continue;
        waiting.delete(reply.probe.id);
        yield { kind: "reply", reply, bytes, index: entry.index };
      }
    }
  } finally {
    for (const entry of waiting.values()) exchange.forget(entry.item.probe);
    await source.close();
  }
}
