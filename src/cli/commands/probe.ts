/**
 * `tcpcraft probe TARGET [OPTIONS]`: hping3's default mode, the
 * conversation engine (`runProbes` in `src/engine/conversation.ts`) run from
 * the command line. Sends `--count` TCP probes at `--interval`, prints one
 * line per reply as it arrives and `no reply` for each probe that timed
 * out, then a summary like ping's: sent, received, loss, and the round-trip
 * time's min, avg, max and 50th, 90th and 99th percentiles.
 *
 * Decisions (the help says them too):
 * - Replies are read by a receiver (a raw TCP socket and a raw ICMP or
 *   ICMPv6 socket, the network's `openReceiver`) and matched to their
 *   probes by `ReplyMatcher`: addresses, ports and the
 *   acknowledgment number; ICMP errors by the header they quote. Anything
 *   else is ignored. A reply after the probe's `--timeout` is ignored too
 *   (the probe was already reported lost).
 * - Without `-s` the source port starts at a random port in 49152..65535
 *   and goes up by one per probe (wrapping inside that range), as hping3
 *   does; without `--seq` every probe gets a random sequence number; a probe
 *   with ACK set and no `--ack` gets a random acknowledgment number (which a
 *   RST answering it echoes). Probes that share a source port are told
 *   apart by their sequence numbers.
 * - Random and stepped fields are drawn per probe where a reply can still
 *   come back: `--rand-sport`, `--rand-dport`, `-p ++N`/`--dport-step`,
 *   `--rand-seq`, `--rand-ack`, `--rand-id`; `--seed` draws the same
 *   probes again (ports, numbers, the first source port). `--rand-source`
 *   is refused (the replies would go to the drawn address), and so is
 *   `--rand-dest` (a run talks to one TARGET: `scan` probes many).
 * - tcpcraft writes the IP header (the receiver's TCP socket is opened
 *   header-included), so `--ttl`, `--id`, `--df`, `--tos`… are what is sent.
 * - The RTT runs from the kernel's transmit timestamp of the probe
 *   (`SO_TIMESTAMPING`, read by the exchange engine; just before the
 *   system call where the kernel gives none) to its receive timestamp of
 *   the reply, as tcpdump measures it. Percentiles are nearest-rank: the
 *   p-th percentile of n sorted samples is sample ⌈p·n/100⌉.
 * - `received` counts TCP replies; ICMP errors are counted apart
 *   (`+N ICMP errors`), and loss is (sent − received) / sent, as ping
 *   counts them. Probes still waiting at Ctrl-C count as sent, not
 *   received.
 * - A broadcast, multicast or unspecified TARGET needs `--allow-broadcast`
 *   (`safe_targets.ts`), which gives the receiver's socket `SO_BROADCAST`.
 * - `--count 0` probes until Ctrl-C. Ctrl-C ends the run normally: the
 *   summary is printed and the exit code is as without it.
 * - Exit code: 0 when at least one TCP reply came back, 1 when none did
 *   (as ping), 2 for bad input (nothing is sent).
 * - Only Linux: macOS does not deliver TCP to raw sockets and Windows has
 *   no raw TCP.
 *
 * @module
 */

import { formatFlags, TCP_FLAGS } from "../../wire/flags.ts";
import type { IcmpReply, Reply, TcpReply } from "../../engine/reply_match.ts";
import {
  type ProbeEvent,
  type ProbesOutcome,
  rttStatistics,
  runProbes,
} from "../../engine/conversation.ts";
import { randomEphemeralPort } from "../../engine/random.ts";
import { CAPTURE_OUTPUT_OPTIONS } from "../capture_output.ts";
import { defineCommand } from "../command.ts";
import { type JsonValue, packetJson } from "../format.ts";
import { interruptSignal } from "../interrupt.ts";
import { parseDuration, parseTimeout } from "../numbers.ts";
import { optionWords } from "../option_words.ts";
import {
  createFormatter,
  type OutputKind,
  type OutputView,
} from "../output.ts";
import { PACKET_OPTIONS } from "../packet_options.ts";
import {
  formatMs,
  openConversation,
  prepareConversation,
  type PreparedConversation,
} from "../probing.ts";
import { defineOptions, type OptionValues } from "../args.ts";
import { CRAFT_OPTIONS, craftPacket } from "../craft_options.ts";
import { CliError, reasonOf } from "../errors.ts";
import { craftDatagrams, datagramFragments } from "../fragment_options.ts";
import { fragmentingNet } from "../fragment_sending.ts";
import { randomPort, type RandomSource } from "../../wire/random_fields.ts";
import { EPHEMERAL_PORT_BASE } from "../../engine/random.ts";
import {
  checkPerPacketOptions,
  checkPerPacketTarget,
  drawSource,
} from "../per_packet_options.ts";
import { portValueParser, RANDOM_OPTIONS } from "../random_options.ts";

/** The output formats of `probe`. */
export const PROBE_FORMATS = ["text", "json", "ndjson"] as const;

/**
 * The options of `probe`: the packet options, the random and stepped
 * fields that can be drawn per probe (`--rand-source` and `--rand-dest`
 * are taken only to be refused, and not listed), the crafting options
 * (fragments, typed IP options and extension headers, signatures) and its own.
 */
export const PROBE_OPTIONS = defineOptions({
  ...PACKET_OPTIONS,
  ...RANDOM_OPTIONS,
  dport: {
    ...RANDOM_OPTIONS.dport,
    parse: portValueParser("probe does not do"),
    help:
      "destination port (default 80, or the port in TARGET); ++N (as hping3): N, then one more per probe",
  },
  dportStep: {
    ...RANDOM_OPTIONS.dportStep,
    help: "add N to the destination port for each probe (the first has -p's)",
  },
  randSource: {
    ...RANDOM_OPTIONS.randSource,
    hidden: true,
    help: "refused: the replies would go to the drawn source",
  },
  randDest: {
    ...RANDOM_OPTIONS.randDest,
    hidden: true,
    help: "refused: probe talks to one TARGET",
  },
  randSport: {
    ...RANDOM_OPTIONS.randSport,
    help:
      "a random source port per probe, 1024..65535 (instead of one more per probe)",
  },
  randDport: {
    ...RANDOM_OPTIONS.randDport,
    help: "a random destination port per probe, 1..65535",
  },
  randSeq: {
    ...RANDOM_OPTIONS.randSeq,
    help: "a random sequence number per probe (so is the default)",
  },
  randAck: {
    ...RANDOM_OPTIONS.randAck,
    help: "a random acknowledgment number per probe",
  },
  randId: {
    ...RANDOM_OPTIONS.randId,
    help: "IPv4: a random identification per probe",
  },
  seed: {
    ...RANDOM_OPTIONS.seed,
    help:
      "seed every random choice (ports, seq, ack, ID, fragment order): the same seed sends the same probes",
  },
  ...CRAFT_OPTIONS,
  sport: {
    ...PACKET_OPTIONS.sport,
    help:
      "source port, the same for every probe (default: a random port in 49152..65535, plus one per probe)",
  },
  seq: {
    ...PACKET_OPTIONS.seq,
    help:
      "sequence number, the same for every probe (default: random per probe)",
  },
  ack: {
    ...PACKET_OPTIONS.ack,
    help:
      "acknowledgment number (default 0, or random per probe when the flags have ACK)",
  },
  count: {
    kind: "number",
    short: "c",
    valueName: "N",
    help: "probes to send; 0: until Ctrl-C (default 4)",
    group: "Probing",
  },
  interval: {
    kind: "string",
    short: "i",
    valueName: "DUR",
    parse: (text: string) => parseDuration(text, { minMs: 1 }),
    help: "time between probes: 1s, 100ms (default 1s)",
    group: "Probing",
  },
  timeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseTimeout,
    help: "how long to wait for each reply: 1s, 250ms (default 1s)",
    group: "Probing",
  },
  ipv4: {
    kind: "boolean",
    short: "4",
    help: "resolve TARGET to an IPv4 address",
    group: "Probing",
  },
  ipv6: {
    kind: "boolean",
    short: "6",
    help: "resolve TARGET to an IPv6 address",
    group: "Probing",
  },
  allowBroadcast: {
    kind: "boolean",
    help:
      "let TARGET be a broadcast, multicast or unspecified address (255.255.255.255, this host's subnets' broadcast addresses, 224.0.0.0/4, 0.0.0.0/8, ff00::/8, ::), refused without it; the socket gets SO_BROADCAST",
    group: "Probing",
  },
  ...CAPTURE_OUTPUT_OPTIONS,
  format: {
    kind: "string",
    choices: PROBE_FORMATS,
    valueName: "FMT",
    help:
      "text: a line per reply and a summary | json: one document at the end | ndjson: a JSON object per event (default text)",
    group: "Output",
  },
});

/**
 * The conversation with the crafting options applied: the model's IP
 * options, extension headers and signature (each probe is signed as it is
 * encoded), and a network that sends each probe as its fragments. Every
 * option is checked here, before anything is opened.
 */
function craftConversation(
  prepared: PreparedConversation,
  values: OptionValues<typeof PROBE_OPTIONS>,
  random: RandomSource,
): PreparedConversation {
  const base = craftPacket(prepared.base, values);
  // Checks the fragment options and that the probe encodes.
  try {
    craftDatagrams(base, values, random);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CliError(reasonOf(error), { cause: error });
    }
    throw error;
  }
  const net = values.frag === undefined && values.mtu === undefined
    ? prepared.net
    : fragmentingNet(
      prepared.net,
      (datagram) => datagramFragments(datagram, values, random),
    );
  return { ...prepared, base, net };
}

/** What `probe` prints a line or an object for: a reply, or a probe that timed out. */
export type ProbeRecord = Extract<ProbeEvent, { kind: "reply" | "timeout" }>;

/** What `probe` knows at the end. */
export interface ProbeFinal {
  /** The destination address. */
  target: string;
  /** The destination port. */
  port: number;
  /** The engine's counts. */
  outcome: ProbesOutcome;
}

/** Which implementation writes each `--format`. */
const OUTPUT_KINDS: Readonly<Record<typeof PROBE_FORMATS[number], OutputKind>> =
  { text: "text", json: "json", ndjson: "ndjson" };

/** A JSON object, as the events are. */
type JsonObject = { [key: string]: JsonValue };

function recordJson(record: ProbeRecord): JsonObject {
  if (record.kind === "reply") return replyEvent(record.reply, record.bytes);
  const { probe, timeoutMs } = record;
  return {
    event: "timeout",
    probe: probe.id + 1,
    sport: probe.srcPort,
    seq: probe.seq,
    sentAt: probe.sentAt,
    timeoutMs,
  };
}

function summaryJson(final: ProbeFinal): JsonObject {
  const { sent, received, icmpErrors, rtts, interrupted } = final.outcome;
  const stats = rttStatistics(rtts);
  return {
    event: "summary",
    target: final.target,
    port: final.port,
    sent,
    received,
    icmpErrors,
    lossPercent: lossPercent(sent, received),
    rtt: stats === undefined ? null : { ...stats },
    interrupted,
  };
}

function summaryText(final: ProbeFinal): string {
  const { sent, received, icmpErrors, rtts, interrupted } = final.outcome;
  const stats = rttStatistics(rtts);
  const lines = [
    `--- ${final.target} tcpcraft statistics ---`,
    `${sent} packet${sent === 1 ? "" : "s"} sent, ${received} received${
      icmpErrors > 0
        ? `, +${icmpErrors} ICMP error${icmpErrors === 1 ? "" : "s"}`
        : ""
    }, ${formatPercent(lossPercent(sent, received))} loss${
      interrupted ? ", interrupted" : ""
    }`,
  ];
  if (stats !== undefined) {
    lines.push(
      `rtt min/avg/max/p50/p90/p99 = ${
        [stats.min, stats.avg, stats.max, stats.p50, stats.p90, stats.p99]
          .map(formatMs).join("/")
      } ms`,
    );
  }
  return lines.join("\n");
}

/** What `probe` prints, in every format. */
const PROBE_VIEW: OutputView<ProbeRecord, ProbeFinal> = {
  text(record) {
    if (record.kind === "timeout") {
      const { probe, timeoutMs } = record;
      return `no reply to sport=${probe.srcPort} seq=${probe.seq} within ${timeoutMs} ms`;
    }
    return record.reply.kind === "tcp"
      ? describeTcpReply(record.reply, record.bytes.length)
      : describeIcmpReply(record.reply);
  },
  textEnd: summaryText,
  json: recordJson,
  jsonEnd: summaryJson,
  document: (records, final) => ({
    target: final.target,
    events: records.map(recordJson),
    summary: summaryJson(final),
  }),
};

/**
 * The hping3-style line of a TCP reply: `len=44 ip=10.0.0.2 ttl=64 DF
 * id=0 sport=80 dport=51234 flags=SA seq=… ack=… win=64240 mss=1460
 * wscale=7 rtt=0.041 ms` (`id` and `DF` for IPv4 only).
 *
 * @param reply The matched reply.
 * @param length The datagram's length in bytes.
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import { describeTcpReply } from "./probe.ts";
 * import { decodePacket, encodePacket, makeTcpPacket } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({
 *   src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, dstPort: 50000, seq: 7,
 *   ack: 1001, flags: 0x12, window: 64240, dontFragment: true, id: 0,
 *   options: [{ kind: "mss", value: 1460 }],
 * }));
 * const probe = {
 *   id: 1, family: 4 as const, src: "192.0.2.42", dst: "192.0.2.1", srcPort: 50000,
 *   dstPort: 80, seq: 1000, ack: 0, flags: 2, payloadLength: 0, sentAt: 10,
 * };
 * assert.equal(
 *   describeTcpReply({
 *     kind: "tcp", probe, packet: decodePacket(bytes), receivedAt: 10.5, rttMs: 0.5,
 *   }, bytes.length),
 *   "len=44 ip=192.0.2.1 ttl=64 DF id=0 sport=80 dport=50000 flags=SA seq=7 ack=1001 win=64240 mss=1460 rtt=0.500 ms",
 * );
 * ```
 */
export function describeTcpReply(reply: TcpReply, length: number): string {
  const { ip, tcp } = reply.packet;
  const words = [`len=${length}`, `ip=${ip.src}`];
  if (ip.version === 4) {
    words.push(`ttl=${ip.ttl}`);
    if (ip.dontFragment) words.push("DF");
    words.push(`id=${ip.id}`);
  } else {
    words.push(`hlim=${ip.hopLimit}`);
  }
  words.push(
    `sport=${tcp.srcPort}`,
    `dport=${tcp.dstPort}`,
    `flags=${formatFlags(tcp.flags)}`,
    `seq=${tcp.seq}`,
    `ack=${tcp.ack}`,
    `win=${tcp.window}`,
    ...optionWords(tcp.options),
  );
  if (tcp.payload.length > 0) words.push(`data=${tcp.payload.length}`);
  words.push(`rtt=${formatMs(reply.rttMs)} ms`);
  return words.join(" ");
}

/**
 * The line of an ICMP error about a probe: `ICMP time exceeded in transit
 * from 10.0.0.1: ttl=64 dport=51234 rtt=0.120 ms`.
 *
 * @param reply The matched ICMP reply.
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import { describeIcmpReply } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * const probe = {
 *   id: 1, family: 6 as const, src: "2001:db8::1", dst: "2001:db8::2", srcPort: 50000,
 *   dstPort: 80, seq: 1000, ack: 0, flags: 2, payloadLength: 0, sentAt: 10,
 * };
 * assert.equal(
 *   describeIcmpReply({
 *     kind: "icmp", probe, family: 6, type: 1, code: 1, category: "prohibited",
 *     description: "administratively prohibited", from: "2001:db8::fe",
 *     receivedAt: 10.25, rttMs: 0.25, ttl: 63,
 *   }),
 *   "ICMPv6 administratively prohibited from 2001:db8::fe: hlim=63 dport=50000 rtt=0.250 ms",
 * );
 * ```
 */
export function describeIcmpReply(reply: IcmpReply): string {
  const words: string[] = [];
  if (reply.ttl !== undefined) {
    words.push(`${reply.family === 4 ? "ttl" : "hlim"}=${reply.ttl}`);
  }
  words.push(`dport=${reply.probe.srcPort}`, `rtt=${formatMs(reply.rttMs)} ms`);
  return `ICMP${
    reply.family === 6 ? "v6" : ""
  } ${reply.description} from ${reply.from}: ${words.join(" ")}`;
}

function replyEvent(reply: Reply, bytes: Uint8Array): JsonObject {
  const common: JsonObject = {
    probe: reply.probe.id + 1,
    sport: reply.probe.srcPort,
    seq: reply.probe.seq,
    sentAt: reply.probe.sentAt,
    receivedAt: reply.receivedAt,
    rttMs: reply.rttMs,
  };
  if (reply.kind === "tcp") {
    const { tcp } = reply.packet;
    return {
      event: "reply",
      ...common,
      from: reply.packet.ip.src,
      length: bytes.length,
      flags: formatFlags(tcp.flags),
      packet: packetJson(bytes),
    };
  }
  return {
    event: "icmp",
    ...common,
    from: reply.from,
    family: reply.family,
    type: reply.type,
    code: reply.code,
    category: reply.category,
    description: reply.description,
    ttl: reply.ttl ?? null,
  };
}

function lossPercent(sent: number, received: number): number {
  return sent === 0 ? 0 : ((sent - received) / sent) * 100;
}

function formatPercent(value: number): string {
  return `${Number(value.toFixed(1))}%`;
}

/**
 * The `probe` command.
 *
 * @example Bad input is refused before anything is opened
 * ```ts
 * import { probeCommand } from "./probe.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * await assert.rejects(
 *   probeCommand.run(["192.0.2.1", "--count", "x"], { host, meta: { version: "0" } }),
 *   /--count/,
 * );
 * assert.match(probeCommand.help(), /USAGE:\n {4}tcpcraft probe TARGET \[OPTIONS\]/);
 * ```
 */
export const probeCommand = defineCommand({
  name: "probe",
  summary:
    "send TCP probes and report each reply with its round-trip time, like hping3",
  description: [
    "Sends --count probes (default 4; 0: until Ctrl-C) at --interval, built from the",
    "packet options of build (default a SYN to port 80). Prints a line per reply as",
    "it arrives (flags, seq, ack, window, options, TTL, length, RTT), 'no reply' for",
    "each probe unanswered after --timeout, ICMP errors (unreachable, prohibited, time",
    "exceeded) as such, then sent, received, loss and RTT min/avg/max/p50/p90/p99.",
    "Without -s the source port goes up by one per probe from a random one; without",
    "--seq each probe has a random sequence number. RTTs run from the kernel's",
    "transmit timestamp of the probe to its receive timestamp of the reply, as tcpdump",
    "measures them. Exit code 0 when a TCP reply came back, 1 when none did. Ctrl-C",
    "prints the summary. Linux only; needs root or cap_net_raw and, under deno run,",
    "--allow-ffi.",
    "",
    "--rand-sport, --rand-dport, -p ++N, --rand-seq, --rand-ack and --rand-id draw or",
    "step per probe (--seed draws the same again); --rand-source and --rand-dest are",
    "refused: replies to a drawn source never come back, and a run has one TARGET.",
    "A broadcast, multicast or unspecified TARGET is refused without --allow-broadcast.",
  ].join("\n"),
  usage: "TARGET [OPTIONS]",
  args: [{
    name: "TARGET",
    help:
      "an IPv4 or IPv6 address or a host name; TARGET:PORT or [IPv6]:PORT also sets the port",
  }],
  options: PROBE_OPTIONS,
  examples: [
    {
      comment: "Four SYNs to port 443, one a second",
      command: "sudo tcpcraft probe 192.0.2.1 -p 443",
    },
    {
      comment: "ACK probes to see whether a firewall filters port 22",
      command: "sudo tcpcraft probe 192.0.2.1:22 -f ack -c 3",
    },
    {
      comment: "Probe until Ctrl-C, ten a second, as JSON lines",
      command:
        "sudo tcpcraft probe example.com:80 -c 0 -i 100ms --format ndjson",
    },
  ],
  async run({ values, positionals }, { host }) {
    checkPerPacketOptions(values, "probe");
    const { random, seeded } = drawSource(values);
    const { dport, ...rest } = values;
    const prepared = craftConversation(
      await prepareConversation(
        positionals[0]!,
        {
          ...rest,
          ...(dport === undefined ? {} : { dport: dport.port }),
          sport: values.sport ?? 0,
          seq: values.seq ?? 0,
        },
        host,
        "probe",
      ),
      values,
      random,
    );
    const { target, base } = prepared;
    checkPerPacketTarget(values, target);
    const { conversation, capture } = await openConversation(
      prepared,
      host,
      values.pcap,
    );
    const output = createFormatter(
      OUTPUT_KINDS[values.format ?? "text"],
      host,
      PROBE_VIEW,
    );
    const sportBase = values.sport ??
      (seeded
        ? randomPort(random, { min: EPHEMERAL_PORT_BASE })
        : randomEphemeralPort());
    const interrupt = interruptSignal(host);
    let outcome: ProbesOutcome;
    try {
      outcome = await runProbes(conversation, {
        clock: host,
        count: values.count ?? 4,
        intervalMs: values.interval ?? 1000,
        timeoutMs: values.timeout ?? 1000,
        ...(values.sport === undefined ? {} : { sport: values.sport }),
        sportBase,
        ...(values.seq === undefined ? {} : { seq: values.seq }),
        randomAck: values.randAck === true || (values.ack === undefined &&
          (base.tcp.flags & TCP_FLAGS.ack) !== 0),
        randomSourcePort: values.randSport === true,
        randomDestinationPort: values.randDport === true,
        dportStep: values.dportStep ?? dport?.step ?? 0,
        randomId: values.randId === true,
        ...(seeded ? { random } : {}),
        signal: interrupt.signal,
      }, async (event) => {
        if (event.kind === "sent") {
          await capture?.record(event.datagram, "sent", {
            timestamp: event.probe.sentAt,
            note: `probe ${event.index + 1}`,
          });
          return;
        }
        if (event.kind === "reply") {
          await capture?.record(event.bytes, "received", {
            timestamp: event.reply.receivedAt,
            note: `reply to probe ${event.reply.probe.id + 1}`,
          });
        }
        output.write([event]);
      });
    } finally {
      interrupt.dispose();
      conversation.close();
      await capture?.close();
    }
    const final = { target: target.address, port: base.tcp.dstPort, outcome };
    // After Ctrl-C the summary goes to standard error (exit 130), as every
    // command's does; the structured formats keep it in their document.
    if (outcome.interrupted && (values.format ?? "text") === "text") {
      host.stderr(`${summaryText(final)}\n`);
    } else output.end(final);
    if (outcome.failure !== undefined) throw outcome.failure.error;
    if (outcome.interrupted) return 130;
    return outcome.received > 0 ? 0 : 1;
  },
});
