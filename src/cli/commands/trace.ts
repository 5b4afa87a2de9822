/**
 * `tcpcraft trace TARGET -p PORT`: TCP traceroute. Probes go out with a
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

import { random32, randomEphemeralPort } from "../../engine/random.ts";
import { formatFlags, TCP_FLAGS } from "../../wire/flags.ts";
import type { IcmpReply, Probe, Reply } from "../../engine/reply_match.ts";
import { ReplyMatcher } from "../../engine/reply_match.ts";
import { defineCommand } from "../command.ts";
import { UsageError } from "../errors.ts";
import type { JsonValue } from "../format.ts";
import { PACKET_OPTIONS, withPacketOptions } from "../packet_options.ts";
import { CAPTURE_OUTPUT_OPTIONS } from "../capture_output.ts";
import {
  collectReplies,
  formatMs,
  openConversation,
  parseTimeout,
  prepareConversation,
  probeDatagram,
  probeSourcePort,
} from "./probe.ts";

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
 * import { unreachableMark } from "./trace.ts";
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
    const marks: Record<number, string> = {
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
    };
    return marks[code] ?? `!<${code}>`;
  }
  if (type === 3) return "";
  if (type === 2) return "!F";
  if (type !== 1) return `!<${type}.${code}>`;
  const marks: Record<number, string> = {
    0: "!N",
    1: "!X",
    2: "!S",
    3: "!H",
    4: "!",
    5: "!X",
    6: "!X",
  };
  return marks[code] ?? `!<${code}>`;
}

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

function answerOf(reply: Reply): TraceAnswer {
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
    "under deno run, --allow-ffi.",
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
    const timeoutMs = values.timeout ?? 1000;
    const format = values.format ?? "text";
    const conversation = await prepareConversation(
      positionals[0]!,
      { ...values, sport: values.sport ?? 0 },
      host,
      "trace",
    );
    const { target, base, net } = conversation;
    const { capture, receiver } = await openConversation(conversation, host, {
      pcap: values.pcap,
    });
    const family = target.family;
    const sportBase = values.sport ?? randomEphemeralPort();
    const port = base.tcp.dstPort;
    if (format === "text") {
      host.stdout(
        `tcpcraft trace to ${target.address} port ${port}, ${maxHops} hops max, ${queries} probe${
          queries === 1 ? "" : "s"
        } per hop\n`,
      );
    }

    let interrupted = false;
    const unsubscribe = host.onInterrupt?.(() => {
      interrupted = true;
    }) ?? (() => {});
    const matcher = new ReplyMatcher();
    const hops: TraceHop[] = [];
    let reached: TraceState | undefined;
    let nextId = 0;
    try {
      for (let ttl = firstHop; ttl <= maxHops && !interrupted; ttl++) {
        const probes: Probe[] = [];
        for (let q = 0; q < queries; q++) {
          const srcPort = probeSourcePort(sportBase, q);
          const seq = random32();
          const datagram = probeDatagram(base, {
            srcPort,
            seq,
            ack: base.tcp.ack,
            ttl,
          });
          const probe: Probe = {
            id: nextId++,
            family,
            src: base.ip.src,
            dst: base.ip.dst,
            srcPort,
            dstPort: port,
            seq,
            ack: base.tcp.ack,
            flags: base.tcp.flags,
            payloadLength: base.tcp.payload.length,
            ttl,
            sentAt: net.wallClock(),
          };
          receiver.send(datagram, target.address);
          matcher.add(probe);
          probes.push(probe);
          await capture?.record(datagram, "sent", {
            timestamp: probe.sentAt,
            note: `hop ${ttl} query ${q + 1}`,
          });
        }
        const answers = new Map<number, TraceAnswer>();
        const deadline = host.now() + timeoutMs;
        // Bounded by the deadline; each round waits at most 200 ms so that
        // Ctrl-C is noticed.
        while (answers.size < queries && !interrupted) {
          const left = deadline - host.now();
          if (left <= 0) break;
          const replies = await collectReplies(
            receiver,
            matcher,
            family,
            Math.min(left, 200),
          );
          for (const { reply, bytes } of replies) {
            answers.set(reply.probe.id, answerOf(reply));
            await capture?.record(bytes, "received", {
              timestamp: reply.receivedAt,
              note: `reply to hop ${reply.probe.ttl} query ${
                probes.findIndex((p) => p.id === reply.probe.id) + 1
              }`,
            });
          }
        }
        for (const probe of probes) matcher.remove(probe);
        const hop: TraceHop = {
          ttl,
          answers: probes.map((probe) => answers.get(probe.id) ?? null),
        };
        hops.push(hop);
        if (format === "text") {
          host.stdout(`${formatHop(hop, target.address)}\n`);
        }
        let unreachable = 0;
        for (const answer of hop.answers) {
          if (answer === null) continue;
          if (answer.kind === "tcp") reached ??= answer.state;
          else if (answer.from === target.address) reached ??= "filtered";
          else if (answer.category !== "time-exceeded") unreachable++;
        }
        if (reached !== undefined) break;
        if (unreachable > 0 && unreachable >= queries - 1) break;
      }
    } finally {
      unsubscribe();
      receiver.close();
      await capture?.close();
    }
    if (format === "json") {
      const document: JsonValue = {
        target: target.address,
        port,
        maxHops,
        queries,
        hops: hops.map((hop) => ({
          ttl: hop.ttl,
          answers: hop.answers.map((answer) =>
            answer === null ? null : { ...answer }
          ),
        })),
        reached: reached !== undefined,
        state: reached ?? null,
        interrupted,
      };
      host.stdout(`${JSON.stringify(document)}\n`);
    } else if (interrupted) {
      host.stdout("interrupted\n");
    }
    return reached === undefined ? 1 : 0;
  },
});
