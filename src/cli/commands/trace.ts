/**
 * `tcpcraft trace TARGET -p PORT`: TCP traceroute, the trace engine
 * (`src/engine/trace.ts`) on a conversation. Probes go out with a
 * TTL (IPv6: hop limit) rising from `--first-hop` (1) to `--max-hops`
 * (30), `--queries` (3) per hop; each router on the way answers with an
 * ICMP time-exceeded message, and the destination with a SYN-ACK (port
 * open) or a RST (port closed), which ends the trace.
 *
 * Decisions (the help says them too):
 * - Query q of every hop leaves from the same source port (a random base,
 *   or `-s`, plus q), so each query is one flow from the first hop to the
 *   last, as Paris traceroute keeps flows: routers that balance load by
 *   addresses and ports send it down one path. Within a hop the queries
 *   are distinct flows, so the destination never sees two SYNs of one
 *   flow at once. Every probe has its own random sequence number, which
 *   is how replies are matched (`ReplyMatcher`).
 * - The queries of a hop are sent together, then the hop waits until each
 *   is answered or `--timeout` (1s) has passed since they were sent. Hops
 *   are traced one after the other.
 * - The trace stops at the hop where the destination answered (SYN-ACK:
 *   `[open]`, RST: `[closed]`, an ICMP error from the destination:
 *   `[filtered]`), or, as traceroute does, where all queries but at most one
 *   came back unreachable (`!H`, `!N`, `!P`, `!X` administratively
 *   prohibited, …).
 * - Exit code: 0 when the destination answered, 1 when it did not (all
 *   hops used, an unreachable hop, or Ctrl-C), 2 for bad input.
 *
 * @module
 */

import { randomEphemeralPort } from "../../engine/random.ts";
import {
  runTrace,
  type TraceHop,
  type TraceOutcome,
  type TraceState,
} from "../../engine/trace.ts";
import { CAPTURE_OUTPUT_OPTIONS } from "../capture_output.ts";
import { defineCommand } from "../command.ts";
import { UsageError } from "../errors.ts";
import { interruptSignal } from "../interrupt.ts";
import { parseTimeout } from "../numbers.ts";
import { createFormatter, type OutputView } from "../output.ts";
import { PACKET_OPTIONS, withPacketOptions } from "../packet_options.ts";
import { formatMs, openConversation, prepareConversation } from "../probing.ts";

/**
 * A hop as traceroute prints it: the TTL right-aligned in two columns,
 * then each answer's RTT, preceded by the address whenever it differs
 * from the previous answer's, `*` for none, marks after the RTT, and
 * `[open]`/`[closed]`/`[filtered]` at the end when the destination
 * answered.
 *
 * @param hop The hop.
 * @param target The destination address.
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import { formatHop } from "./trace.ts";
 * import assert from "node:assert/strict";
 *
 * const icmp = (rttMs: number) => ({
 *   kind: "icmp" as const, from: "10.0.1.1", category: "time-exceeded",
 *   description: "time exceeded in transit", type: 11, code: 0, mark: "", rttMs,
 * });
 * assert.equal(
 *   formatHop({ ttl: 1, answers: [icmp(0.123), null, icmp(0.101)] }, "10.0.2.3"),
 *   " 1  10.0.1.1  0.123 ms  *  0.101 ms",
 * );
 * const open = { kind: "tcp" as const, from: "10.0.2.3", flags: "SA", state: "open" as const, rttMs: 0.2 };
 * assert.equal(
 *   formatHop({ ttl: 2, answers: [open, open] }, "10.0.2.3"),
 *   " 2  10.0.2.3  0.200 ms  0.200 ms  [open]",
 * );
 * ```
 */
export function formatHop(hop: TraceHop, target: string): string {
  const parts: string[] = [String(hop.ttl).padStart(2)];
  let last: string | undefined;
  let state: TraceState | undefined;
  for (const answer of hop.answers) {
    if (answer === null) {
      parts.push("*");
      continue;
    }
    if (answer.from !== last) parts.push(answer.from);
    last = answer.from;
    const mark = answer.kind === "icmp" && answer.mark !== ""
      ? ` ${answer.mark}`
      : "";
    parts.push(`${formatMs(answer.rttMs)} ms${mark}`);
    if (answer.kind === "tcp") state ??= answer.state;
    else if (answer.from === target) state ??= "filtered";
  }
  if (state !== undefined) parts.push(`[${state}]`);
  return parts.join("  ");
}

/** The options of `trace`. */
export const TRACE_OPTIONS = withPacketOptions({
  sport: {
    ...PACKET_OPTIONS.sport,
    help:
      "source port of the first query of each hop; query q uses it plus q (default: random in 49152..65535)",
  },
  seq: {
    ...PACKET_OPTIONS.seq,
    hidden: true,
    help: "not used: every probe has a random sequence number",
  },
  ttl: { ...PACKET_OPTIONS.ttl, hidden: true },
  hopLimit: { ...PACKET_OPTIONS.hopLimit, hidden: true },
  maxHops: {
    kind: "number",
    short: "m",
    min: 1,
    max: 255,
    valueName: "N",
    help: "the largest TTL or hop limit (default 30)",
    group: "Tracing",
  },
  firstHop: {
    kind: "number",
    min: 1,
    max: 255,
    valueName: "N",
    help: "the first TTL or hop limit (default 1)",
    group: "Tracing",
  },
  queries: {
    kind: "number",
    short: "q",
    min: 1,
    max: 10,
    valueName: "N",
    help: "probes per hop (default 3)",
    group: "Tracing",
  },
  timeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseTimeout,
    help: "how long a hop waits for its answers: 1s, 500ms (default 1s)",
    group: "Tracing",
  },
  ipv4: {
    kind: "boolean",
    short: "4",
    help: "resolve TARGET to an IPv4 address",
    group: "Tracing",
  },
  ipv6: {
    kind: "boolean",
    short: "6",
    help: "resolve TARGET to an IPv6 address",
    group: "Tracing",
  },
  allowBroadcast: {
    kind: "boolean",
    help:
      "let TARGET be a broadcast, multicast or unspecified address (255.255.255.255, this host's subnets' broadcast addresses, 224.0.0.0/4, 0.0.0.0/8, ff00::/8, ::), refused without it; the socket gets SO_BROADCAST",
    group: "Tracing",
  },
  ...CAPTURE_OUTPUT_OPTIONS,
  format: {
    kind: "string",
    choices: ["text", "json"] as const,
    valueName: "FMT",
    help:
      "text: a line per hop, as traceroute | json: one document at the end (default text)",
    group: "Output",
  },
});

/** What a trace's output says besides its hops. */
export interface TraceFacts {
  /** The destination address. */
  target: string;
  /** The destination port. */
  port: number;
  /** The largest TTL. */
  maxHops: number;
  /** Probes per hop. */
  queries: number;
}

/**
 * What `trace` prints, in both formats: `text` a banner and a line per hop
 * as traceroute does, `json` one document at the end.
 *
 * @param facts The destination and the limits.
 * @returns The view.
 *
 * @example
 * ```ts
 * import { traceView } from "./trace.ts";
 * import assert from "node:assert/strict";
 *
 * const view = traceView({ target: "192.0.2.1", port: 80, maxHops: 30, queries: 1 });
 * assert.equal(view.header, "tcpcraft trace to 192.0.2.1 port 80, 30 hops max, 1 probe per hop");
 * assert.equal(view.textEnd, undefined); // "interrupted" goes to standard error
 * ```
 */
export function traceView(
  facts: TraceFacts,
): OutputView<TraceHop, TraceOutcome> {
  const { target, port, maxHops, queries } = facts;
  return {
    header:
      `tcpcraft trace to ${target} port ${port}, ${maxHops} hops max, ${queries} probe${
        queries === 1 ? "" : "s"
      } per hop`,
    text: (hop) => formatHop(hop, target),
    document: (hops, outcome) => ({
      target,
      port,
      maxHops,
      queries,
      hops: hops.map((hop) => ({
        ttl: hop.ttl,
        answers: hop.answers.map((answer) =>
          answer === null ? null : { ...answer }
        ),
      })),
      reached: outcome.reached !== undefined,
      state: outcome.reached ?? null,
      interrupted: outcome.interrupted,
    }),
  };
}

/**
 * The `trace` command.
 *
 * @example Bad input is refused before anything is opened
 * ```ts
 * import { traceCommand } from "./trace.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * await assert.rejects(
 *   traceCommand.run(["192.0.2.1", "--ttl", "3"], { host, meta: { version: "0" } }),
 *   /--ttl: trace sets the TTL of each probe itself/,
 * );
 * ```
 */
export const traceCommand = defineCommand({
  name: "trace",
  summary:
    "TCP traceroute: the routers on the way to a port, then whether it is open",
  description: [
    "Sends --queries probes (default 3 SYNs) per hop with a TTL (IPv6: hop limit)",
    "rising from --first-hop to --max-hops. Routers answer with ICMP time exceeded;",
    "the destination with a SYN-ACK ([open]) or a RST ([closed]), which ends the trace,",
    "as does an unreachable hop (!H, !N, !X…). Query q of every hop uses source port",
    "base+q, so each query follows one path through load balancers. Exit code 0 when",
    "the destination answered, 1 when not. Linux only; needs root or cap_net_raw and,",
    "under deno run, --allow-ffi. A broadcast, multicast or unspecified TARGET is",
    "refused without --allow-broadcast.",
  ].join("\n"),
  usage: "TARGET [OPTIONS]",
  args: [{
    name: "TARGET",
    help:
      "an IPv4 or IPv6 address or a host name; TARGET:PORT or [IPv6]:PORT also sets the port",
  }],
  options: TRACE_OPTIONS,
  examples: [
    {
      comment: "The path to a web server's port 443",
      command: "sudo tcpcraft trace example.com -p 443",
    },
    {
      comment: "IPv6, one probe per hop, at most 15 hops, as JSON",
      command: "sudo tcpcraft trace -6 example.com:80 -q 1 -m 15 --format json",
    },
  ],
  async run({ values, positionals }, { host }) {
    for (const key of ["ttl", "hopLimit"] as const) {
      if (values[key] !== undefined) {
        throw new UsageError(
          `--${
            key === "ttl" ? "ttl" : "hop-limit"
          }: trace sets the TTL of each probe itself (see --first-hop, --max-hops)`,
        );
      }
    }
    if (values.seq !== undefined) {
      throw new UsageError(
        "--seq: trace gives every probe its own random sequence number, to match the answers",
      );
    }
    const firstHop = values.firstHop ?? 1;
    const maxHops = values.maxHops ?? 30;
    if (firstHop > maxHops) {
      throw new UsageError(
        `--first-hop: ${firstHop} is above --max-hops ${maxHops}`,
      );
    }
    const queries = values.queries ?? 3;
    const prepared = await prepareConversation(
      positionals[0]!,
      { ...values, sport: values.sport ?? 0 },
      host,
      "trace",
    );
    const { target, base } = prepared;
    const { conversation, capture } = await openConversation(
      prepared,
      host,
      values.pcap,
    );
    const sportBase = values.sport ?? randomEphemeralPort();
    const output = createFormatter(
      values.format ?? "text",
      host,
      traceView({
        target: target.address,
        port: base.tcp.dstPort,
        maxHops,
        queries,
      }),
    );
    output.begin();
    const interrupt = interruptSignal(host);
    let outcome: TraceOutcome;
    try {
      outcome = await runTrace(conversation, {
        clock: host,
        firstHop,
        maxHops,
        queries,
        timeoutMs: values.timeout ?? 1000,
        sportBase,
        signal: interrupt.signal,
      }, async (event) => {
        if (event.kind === "hop") output.write([event.hop]);
        else if (event.kind === "sent") {
          await capture?.record(event.datagram, "sent", {
            timestamp: event.probe.sentAt,
            note: `hop ${event.ttl} query ${event.query + 1}`,
          });
        } else {
          await capture?.record(event.bytes, "received", {
            timestamp: event.reply.receivedAt,
            note: `reply to hop ${event.ttl} query ${event.query + 1}`,
          });
        }
      });
    } finally {
      interrupt.dispose();
      conversation.close();
      await capture?.close();
    }
    output.end(outcome);
    if (outcome.interrupted) {
      host.stderr("interrupted\n");
      return 130;
    }
    return outcome.reached === undefined ? 1 : 0;
  },
});
