/**
 * The trace engine: TCP traceroute on a conversation. Probes go out with a
 * TTL (IPv6: hop limit) rising from `firstHop` to `maxHops`, `queries` per
 * hop; each router on the way answers with an ICMP time-exceeded message,
 * and the destination with a SYN-ACK (port open) or a RST (port closed),
 * which ends the trace.
 *
 * - Query q of every hop leaves from the same source port (`sportBase`
 *   plus q, see `probeSourcePort`), so each query is one flow from the
 *   first hop to the last, as Paris traceroute keeps flows: routers that
 *   balance load by addresses and ports send it down one path. Within a
 *   hop the queries are distinct flows, so the destination never sees two
 *   SYNs of one flow at once. Every probe has its own random sequence
 *   number, which is how replies are matched.
 * - The queries of a hop are sent together (the exchange engine's
 *   `exchangeLoop`), then the hop waits until each is answered or
 *   `timeoutMs` has passed since it was sent. Hops are traced one after the
 *   other.
 * - The trace stops at the hop where the destination answered (SYN-ACK:
 *   open, RST: closed, an ICMP error from the destination: filtered), or,
 *   as traceroute does, where all queries but at most one came back
 *   unreachable.
 *
 * @module
 */

import { formatFlags, TCP_FLAGS } from "../wire/flags.ts";
import type { Clock } from "../host/host.ts";
import { type Conversation, probeSourcePort } from "./conversation.ts";
import { exchangeLoop } from "./exchange_loop.ts";
import { random32 } from "./random.ts";
import type { IcmpReply, Probe, Reply } from "./reply_match.ts";

/** What the destination's answer says about the port. */
export type TraceState = "open" | "closed" | "filtered";

/** One query's answer in a hop, or null when none came. */
export type TraceAnswer =
  | {
    kind: "tcp";
    /** The destination. */
    from: string;
    /** The reply's flags, as letters (`SA`, `RA`). */
    flags: string;
    /** `open` for a SYN-ACK (or any reply but a RST), `closed` for a RST. */
    state: TraceState;
    /** Round-trip time, ms. */
    rttMs: number;
  }
  | {
    kind: "icmp";
    /** The router or host that sent the error. */
    from: string;
    /** `time-exceeded`, `unreachable`, `prohibited`… */
    category: string;
    /** What the error says. */
    description: string;
    /** The ICMP type. */
    type: number;
    /** The ICMP code. */
    code: number;
    /** traceroute's mark for an unreachable (`!X`), or `""`. */
    mark: string;
    /** Round-trip time, ms. */
    rttMs: number;
  }
  | null;

/** One hop of a trace. */
export interface TraceHop {
  /** The TTL or hop limit the probes carried. */
  ttl: number;
  /** One entry per query, in order. */
  answers: TraceAnswer[];
}

/**
 * traceroute's mark for an ICMP error that is not time exceeded: `!N`
 * network, `!H` host, `!P` protocol unreachable, `!X` administratively
 * prohibited, `!F` fragmentation needed, `!S` source route failed or
 * beyond scope, `!V` precedence violation, `!C` precedence cutoff,
 * `!<code>` for the rest; `""` for time exceeded.
 *
 * @param family 4 or 6.
 * @param type The ICMP type.
 * @param code The ICMP code.
 * @returns The mark.
 *
 * @example
 * ```ts
 * import { unreachableMark } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(unreachableMark(4, 3, 13), "!X");
 * assert.equal(unreachableMark(6, 1, 3), "!H");
 * assert.equal(unreachableMark(4, 11, 0), "");
 * ```
 */
export function unreachableMark(
  family: 4 | 6,
  type: number,
  code: number,
): string {
  if (family === 4) {
    if (type === 11) return "";
    if (type !== 3) return `!<${type}.${code}>`;
    return ICMP4_MARKS[code] ?? `!<${code}>`;
  }
  if (type === 3) return "";
  if (type === 2) return "!F";
  if (type !== 1) return `!<${type}.${code}>`;
  return ICMP6_MARKS[code] ?? `!<${code}>`;
}

const ICMP4_MARKS: Readonly<Record<number, string>> = Object.freeze({
  0: "!N",
  1: "!H",
  2: "!P",
  3: "!",
  4: "!F",
  5: "!S",
  6: "!N",
  7: "!H",
  9: "!X",
  10: "!X",
  13: "!X",
  14: "!V",
  15: "!C",
});

const ICMP6_MARKS: Readonly<Record<number, string>> = Object.freeze({
  0: "!N",
  1: "!X",
  2: "!S",
  3: "!H",
  4: "!",
  5: "!X",
  6: "!X",
});

/**
 * What a reply to a trace probe says, as a hop's answer.
 *
 * @param reply The reply.
 * @returns The answer.
 *
 * @example
 * ```ts
 * import { traceAnswer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const probe = {
 *   id: 0, family: 4 as const, src: "192.0.2.42", dst: "192.0.2.1", srcPort: 50000,
 *   dstPort: 80, seq: 1, ack: 0, flags: 2, payloadLength: 0, sentAt: 0, ttl: 1,
 * };
 * const answer = traceAnswer({
 *   kind: "icmp", probe, family: 4, type: 11, code: 0, category: "time-exceeded",
 *   description: "time exceeded in transit", from: "10.0.1.1", receivedAt: 1, rttMs: 1,
 * });
 * assert.equal(answer?.kind === "icmp" && answer.mark, "");
 * ```
 */
export function traceAnswer(reply: Reply): TraceAnswer {
  if (reply.kind === "tcp") {
    const flags = reply.packet.tcp.flags;
    return {
      kind: "tcp",
      from: reply.packet.ip.src,
      flags: formatFlags(flags),
      state: (flags & TCP_FLAGS.rst) !== 0 ? "closed" : "open",
      rttMs: reply.rttMs,
    };
  }
  return icmpAnswer(reply);
}

function icmpAnswer(reply: IcmpReply): TraceAnswer {
  return {
    kind: "icmp",
    from: reply.from,
    category: reply.category,
    description: reply.description,
    type: reply.type,
    code: reply.code,
    mark: unreachableMark(reply.family, reply.type, reply.code),
    rttMs: reply.rttMs,
  };
}

/** Options for {@linkcode runTrace}. */
export interface RunTraceOptions {
  /** The monotonic clock a hop's wait runs on. */
  clock: Pick<Clock, "now">;
  /** The first TTL or hop limit. */
  firstHop: number;
  /** The largest TTL or hop limit. */
  maxHops: number;
  /** Probes per hop. */
  queries: number;
  /** How long a hop waits for its answers, ms. */
  timeoutMs: number;
  /** The source port of each hop's first query; query q uses it plus q. */
  sportBase: number;
  /** Stops the trace after the hop under way. */
  signal?: AbortSignal;
}

/** What happens during {@linkcode runTrace}, as it happens. */
export type TraceEvent =
  | {
    /** A probe went out: query `query` (from 0) of hop `ttl`. */
    kind: "sent";
    /** The probe. */
    probe: Probe;
    /** Its datagram. */
    datagram: Uint8Array;
    /** Its TTL or hop limit. */
    ttl: number;
    /** The query's number in its hop, from 0. */
    query: number;
  }
  | {
    /** A reply to query `query` (from 0) of hop `ttl` arrived. */
    kind: "reply";
    /** The reply. */
    reply: Reply;
    /** The datagram it came in. */
    bytes: Uint8Array;
    /** The TTL or hop limit of the probe answered. */
    ttl: number;
    /** The query's number in its hop, from 0. */
    query: number;
  }
  | {
    /** A hop is done: every query answered, or the time ran out. */
    kind: "hop";
    /** The hop. */
    hop: TraceHop;
  };

/** How {@linkcode runTrace} ended. */
export interface TraceOutcome {
  /** The hops traced, in order. */
  hops: TraceHop[];
  /** What the destination's answer said, if it answered. */
  reached?: TraceState;
  /** Whether `signal` stopped the trace. */
  interrupted: boolean;
}

/**
 * Trace the path to the conversation's destination; see the module
 * documentation. `onEvent` is awaited before the trace goes on; a send
 * that fails ends the trace by throwing.
 *
 * @param conversation The open conversation (closed by the caller).
 * @param options Hops, queries, timeout, ports, clock and signal.
 * @param onEvent Called for each probe sent, reply and hop.
 * @returns The hops and whether the destination answered.
 *
 * @example A destination one hop away that has the port closed
 * ```ts
 * import {
 *   Conversation, decodePacket, encodePacket, makeTcpPacket, runTrace, TCP_FLAGS,
 * } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let queued: Uint8Array[] = [];
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openReceiver: () => ({
 *     send(bytes: Uint8Array) {
 *       const { tcp } = decodePacket(bytes);
 *       queued.push(encodePacket(makeTcpPacket({
 *         src: "192.0.2.1", dst: "192.0.2.42", srcPort: tcp.dstPort, dstPort: tcp.srcPort,
 *         seq: 0, ack: tcp.seq + 1, flags: TCP_FLAGS.rst | TCP_FLAGS.ack,
 *       })));
 *       return bytes.length;
 *     },
 *     sendMany: () => 0,
 *     close() {},
 *     poll() {
 *       const tcp = queued.map((bytes) => ({ bytes, source: "192.0.2.1", receivedAt: 0.25 }));
 *       queued = [];
 *       return Promise.resolve({ tcp, icmp: [] });
 *     },
 *   }),
 * };
 * const base = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 22 });
 * const conversation = Conversation.open(net, { base });
 * const outcome = await runTrace(conversation, {
 *   clock: { now: () => 0 }, firstHop: 1, maxHops: 30, queries: 2, timeoutMs: 1000,
 *   sportBase: 50000,
 * }, () => {});
 * conversation.close();
 * assert.equal(outcome.reached, "closed");
 * assert.equal(outcome.hops.length, 1);
 * assert.equal(outcome.hops[0]?.answers.length, 2);
 * ```
 */
export async function runTrace(
  conversation: Conversation,
  options: RunTraceOptions,
  onEvent: (event: TraceEvent) => void | Promise<void>,
): Promise<TraceOutcome> {
  const { clock, queries, signal } = options;
  const outcome: TraceOutcome = { hops: [], interrupted: false };
  const aborted = () => signal?.aborted === true;
  let nextId = 0;
  for (
    let ttl = options.firstHop;
    ttl <= options.maxHops && !aborted();
    ttl++
  ) {
    const items = [];
    for (let q = 0; q < queries; q++) {
      items.push(conversation.item({
        srcPort: probeSourcePort(options.sportBase, q),
        seq: random32(),
        ack: conversation.base.tcp.ack,
        ttl,
      }, nextId++));
    }
    const probes = items.map((item) => item.probe);
    const answers = new Map<number, TraceAnswer>();
    // The queries go out together; each waits `timeoutMs` for its answer.
    const events = exchangeLoop(conversation.exchange, items, {
      clock,
      intervalMs: 0,
      timeoutMs: options.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    for await (const event of events) {
      if (event.kind === "failure") throw event.error;
      if (event.kind === "sent") {
        const { probe, datagram, index } = event;
        await onEvent({ kind: "sent", probe, datagram, ttl, query: index });
      } else if (event.kind === "reply") {
        const { reply, bytes, index } = event;
        answers.set(reply.probe.id, traceAnswer(reply));
        await onEvent({ kind: "reply", reply, bytes, ttl, query: index });
      }
    }
    const hop: TraceHop = {
      ttl,
      answers: probes.map((probe) => answers.get(probe.id) ?? null),
    };
    outcome.hops.push(hop);
    await onEvent({ kind: "hop", hop });
    const target = conversation.destination;
    let unreachable = 0;
    for (const answer of hop.answers) {
      if (answer === null) continue;
      if (answer.kind === "tcp") outcome.reached ??= answer.state;
      else if (answer.from === target) outcome.reached ??= "filtered";
      else if (answer.category !== "time-exceeded") unreachable++;
    }
    if (outcome.reached !== undefined) break;
    if (unreachable > 0 && unreachable >= queries - 1) break;
  }
  outcome.interrupted = aborted();
  return outcome;
}
