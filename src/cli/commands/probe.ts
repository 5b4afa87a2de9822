/**
 * `tcpcraft probe TARGET [OPTIONS]`: hping3's default mode. Sends
 * `--count` TCP probes at `--interval`, prints one line per reply as it
 * arrives and `no reply` for each probe that timed out, then a summary
 * like ping's: sent, received, loss, and the round-trip time's min, avg,
 * max and 50th, 90th and 99th percentiles.
 *
 * Decisions (the help says them too):
 * - Replies are read by a receiver (a raw TCP socket and a raw ICMP or
 *   ICMPv6 socket, `CliNet.openReceiver`) and matched to their probes by
 *   `ReplyMatcher` (src/reply_match.ts): addresses, ports and the
 *   acknowledgment number; ICMP errors by the header they quote. Anything
 *   else is ignored. A reply after the probe's `--timeout` is ignored too
 *   (the probe was already reported lost).
 * - Without `-s` the source port starts at a random port in 49152..65535
 *   and goes up by one per probe (wrapping inside that range), as hping3
 *   does; without `--seq` every probe gets a random sequence number; a probe
 *   with ACK set and no `--ack` gets a random acknowledgment number (which a
 *   RST answering it echoes). Probes that share a source port are told
 *   apart by their sequence numbers.
 * - tcpcraft writes the IP header (the receiver's TCP socket is opened
 *   header-included), so `--ttl`, `--id`, `--df`, `--tos`… are what is sent.
 * - The RTT runs from just before the probe's system call to the kernel's
 *   receive timestamp of the reply. Percentiles are nearest-rank: the
 *   p-th percentile of n sorted samples is sample ⌈p·n/100⌉.
 * - `received` counts TCP replies; ICMP errors are counted apart
 *   (`+N ICMP errors`), and loss is (sent − received) / sent, as ping
 *   counts them. Probes still waiting at Ctrl-C count as sent, not
 *   received.
 * - `--count 0` probes until Ctrl-C. Ctrl-C ends the run normally: the
 *   summary is printed and the exit code is as without it.
 * - Exit code: 0 when at least one TCP reply came back, 1 when none did
 *   (as ping), 2 for bad input (nothing is sent).
 * - Only Linux: macOS does not deliver TCP to raw sockets and Windows has
 *   no raw TCP.
 *
 * @module
 */

import {
  EPHEMERAL_PORT_BASE,
  EPHEMERAL_PORT_COUNT,
  random32,
  randomEphemeralPort,
} from "../../engine/random.ts";
import { formatAddress, parseAddress } from "../../wire/address.ts";
import { formatFlags, TCP_FLAGS } from "../../wire/flags.ts";
import { encodePacket, type TcpPacket } from "../../wire/packet.ts";
import {
  type IcmpReply,
  type Probe,
  type Reply,
  ReplyMatcher,
  type TcpReply,
} from "../../engine/reply_match.ts";
import { defineCommand } from "../command.ts";
import {
  CAPTURE_OUTPUT_OPTIONS,
  type CaptureOutput,
  checkCaptureOutput,
  openCaptureOutput,
} from "../capture_output.ts";
import { CliError, reasonOf } from "../errors.ts";
import { type JsonValue, packetJson } from "../format.ts";
import type { CliHost, CliNet, CliReceiver } from "../host.ts";
import { parseDuration } from "../numbers.ts";
import { optionWords } from "../option_words.ts";

export { optionWords } from "../option_words.ts";
import {
  type FamilySwitches,
  PACKET_OPTIONS,
  packetFromOptions,
  type PacketTarget,
  parseTarget,
  targetFamily,
  withPacketOptions,
} from "../packet_options.ts";

// ------------------------------------------------------------ shared parts

/** Round-trip time statistics over a set of samples, in milliseconds. */
export interface RttStatistics {
  /** How many samples. */
  count: number;
  /** The smallest. */
  min: number;
  /** The mean. */
  avg: number;
  /** The largest. */
  max: number;
  /** The median (nearest rank). */
  p50: number;
  /** The 90th percentile (nearest rank). */
  p90: number;
  /** The 99th percentile (nearest rank). */
  p99: number;
}

/**
 * Statistics of round-trip times: min, mean, max, and the 50th, 90th and
 * 99th percentiles by the nearest-rank method (the p-th percentile of n
 * sorted samples is the sample of rank ⌈p·n/100⌉).
 *
 * @param samples The RTTs in milliseconds, any order.
 * @returns The statistics, or undefined when there are none.
 *
 * @example
 * ```ts
 * import { rttStatistics } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(rttStatistics([4, 1, 3, 2]), {
 *   count: 4, min: 1, avg: 2.5, max: 4, p50: 2, p90: 4, p99: 4,
 * });
 * assert.equal(rttStatistics([]), undefined);
 * ```
 */
export function rttStatistics(
  samples: readonly number[],
): RttStatistics | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
  let sum = 0;
  for (const sample of sorted) sum += sample;
  return {
    count: sorted.length,
    min: sorted[0]!,
    avg: sum / sorted.length,
    max: sorted[sorted.length - 1]!,
    p50: rank(50),
    p90: rank(90),
    p99: rank(99),
  };
}

/**
 * A duration in milliseconds as the lines of `probe` and `trace` write
 * it: three decimals.
 *
 * @param ms Milliseconds.
 * @returns The number as text, without the unit.
 *
 * @example
 * ```ts
 * import { formatMs } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatMs(0.0414), "0.041");
 * assert.equal(formatMs(12), "12.000");
 * ```
 */
export function formatMs(ms: number): string {
  return ms.toFixed(3);
}

/**
 * Parse a `--timeout` value: a duration from 1ms to one hour (`1s`,
 * `250ms`; a bare number is seconds).
 *
 * @param text The text.
 * @returns Milliseconds.
 * @throws {ValueError} When the text is not a duration in range.
 *
 * @example
 * ```ts
 * import { parseTimeout } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTimeout("250ms"), 250);
 * assert.throws(() => parseTimeout("0"), /out of range/);
 * ```
 */
export function parseTimeout(text: string): number {
  return parseDuration(text, { minMs: 1, maxMs: 3_600_000 });
}

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

export type { FamilySwitches } from "../packet_options.ts";

/**
 * Check that raw TCP conversations can work on this host: Linux, with raw
 * network access and a receiver.
 *
 * @param host The host.
 * @param what The action, for messages (`"probe"`).
 * @returns The host's network access, with `openReceiver`.
 * @throws {CliError} Naming what is missing.
 *
 * @example
 * ```ts
 * import { requireReceiverNet } from "./probe.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => requireReceiverNet(createMemoryHost(), "probe"),
 *   /Cannot probe: this host has no raw network access/,
 * );
 * ```
 */
export function requireReceiverNet(
  host: CliHost,
  what: string,
): CliNet & Required<Pick<CliNet, "openReceiver">> {
  if (host.os === "windows") {
    throw new CliError(
      `Cannot ${what}: Windows does not allow raw TCP sockets; use Linux or WSL`,
    );
  }
  if (host.os === "darwin") {
    throw new CliError(
      `Cannot ${what}: macOS does not deliver TCP packets to raw sockets, so replies cannot be read; use Linux`,
    );
  }
  const net = host.net;
  if (net === undefined || net.openReceiver === undefined) {
    throw new CliError(`Cannot ${what}: this host has no raw network access`);
  }
  return net as CliNet & Required<Pick<CliNet, "openReceiver">>;
}

/**
 * Turn TARGET into an address: parse it, check `-4`/`-6` against it, and
 * resolve a host name through the host (first address of the family).
 *
 * @param text The TARGET argument.
 * @param switches `-4` and `-6`.
 * @param net The host's network access (used only for a host name).
 * @returns The target address, family and port.
 * @throws {UsageError} For a bad TARGET or conflicting switches.
 * @throws {CliError} When a name does not resolve.
 *
 * @example
 * ```ts
 * import { resolveProbeTarget } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * const target = await resolveProbeTarget("[2001:db8::1]:443", {}, undefined);
 * assert.deepEqual(target, {
 *   address: "2001:db8::1", family: 6, port: 443, text: "[2001:db8::1]:443",
 * });
 * await assert.rejects(resolveProbeTarget("192.0.2.1", { ipv6: true }, undefined), /-6: TARGET/);
 * ```
 */
export async function resolveProbeTarget(
  text: string,
  switches: FamilySwitches,
  net: CliNet | undefined,
): Promise<PacketTarget> {
  const target = parseTarget(text, { names: true });
  const wanted = targetFamily(target, switches);
  let address = target.host;
  if (target.family === undefined) {
    if (net === undefined) {
      throw new CliError(
        `Cannot resolve host ${
          JSON.stringify(target.host)
        }: this host has no network access`,
      );
    }
    const found = await net.resolveHost(
      target.host,
      wanted === undefined ? {} : { family: wanted },
    );
    address = found[0] ?? "";
    if (address === "") {
      throw new CliError(
        `Cannot resolve host ${JSON.stringify(target.host)}: no address`,
      );
    }
  }
  const parsed = parseAddress(address);
  const result: PacketTarget = {
    address: formatAddress(parsed.bytes),
    family: parsed.family,
    text: target.text,
  };
  if (target.port !== undefined) result.port = target.port;
  return result;
}

/** A reply and the datagram it came in. */
export interface MatchedReply {
  /** The reply. */
  reply: Reply;
  /** The whole datagram (TCP, or the ICMP message's). */
  bytes: Uint8Array;
}

/**
 * Read one batch from a receiver and match it: each reply found is
 * removed from the matcher (so a retransmitted SYN-ACK is not counted
 * twice). Replies come back oldest first.
 *
 * @param receiver The receiver.
 * @param matcher The pending probes.
 * @param family The receiver's family.
 * @param timeoutMs How long to wait for the batch.
 * @returns The replies matched (maybe none), with their datagrams.
 *
 * @example
 * ```ts
 * import { collectReplies } from "./probe.ts";
 * import { ReplyMatcher } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const receiver = {
 *   send: () => 0, sendMany: () => 0, close() {},
 *   poll: () => Promise.resolve({ tcp: [], icmp: [] }),
 * };
 * assert.deepEqual(await collectReplies(receiver, new ReplyMatcher(), 4, 0), []);
 * ```
 */
export async function collectReplies(
  receiver: CliReceiver,
  matcher: ReplyMatcher,
  family: 4 | 6,
  timeoutMs: number,
): Promise<MatchedReply[]> {
  const batch = await receiver.poll(Math.max(0, Math.ceil(timeoutMs)));
  const found: MatchedReply[] = [];
  for (const packet of batch.tcp) {
    const reply = matcher.matchTcp(packet.bytes, packet.receivedAt);
    if (reply === undefined) continue;
    matcher.remove(reply.probe);
    found.push({ reply, bytes: packet.bytes });
  }
  for (const packet of batch.icmp) {
    const reply = matcher.matchIcmp(packet.bytes, packet.receivedAt, family);
    if (reply === undefined) continue;
    matcher.remove(reply.probe);
    found.push({ reply, bytes: packet.bytes });
  }
  return found.sort((a, b) => a.reply.receivedAt - b.reply.receivedAt);
}

/**
 * A probe's datagram: the model with its source port, sequence and
 * acknowledgment numbers and TTL (or hop limit) replaced, encoded.
 *
 * @param base The packet the options describe.
 * @param fields What changes from probe to probe.
 * @returns The datagram, IP header included.
 * @throws {RangeError} For a field the encoder refuses.
 *
 * @example
 * ```ts
 * import { probeDatagram } from "./probe.ts";
 * import { decodePacket, makeTcpPacket } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const base = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * const decoded = decodePacket(probeDatagram(base, { srcPort: 50001, seq: 9, ack: 0, ttl: 3 }));
 * assert.equal(decoded.tcp.srcPort, 50001);
 * assert.equal(decoded.ip.version === 4 && decoded.ip.ttl, 3);
 * ```
 */
export function probeDatagram(
  base: TcpPacket,
  fields: { srcPort: number; seq: number; ack: number; ttl?: number },
): Uint8Array {
  const tcp = {
    ...base.tcp,
    srcPort: fields.srcPort,
    seq: fields.seq,
    ack: fields.ack,
  };
  if (fields.ttl === undefined) return encodePacket({ ...base, tcp });
  const ip = base.ip.version === 4
    ? { ...base.ip, ttl: fields.ttl }
    : { ...base.ip, hopLimit: fields.ttl };
  return encodePacket({ ...base, ip, tcp });
}

/**
 * The source port of probe `index` (from 0): `base + index`, wrapping
 * inside 49152..65535 when the base is there, else modulo 65536.
 *
 * @param base The first probe's port.
 * @param index The probe's number, from 0.
 * @returns The port.
 *
 * @example
 * ```ts
 * import { probeSourcePort } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(probeSourcePort(50000, 2), 50002);
 * assert.equal(probeSourcePort(65535, 1), 49152);
 * assert.equal(probeSourcePort(20, 3), 23);
 * ```
 */
export function probeSourcePort(base: number, index: number): number {
  if (base >= EPHEMERAL_PORT_BASE) {
    return EPHEMERAL_PORT_BASE +
      (base - EPHEMERAL_PORT_BASE + index) % EPHEMERAL_PORT_COUNT;
  }
  return (base + index) % 0x1_0000;
}

/** A probe model ready for the matcher, and its bytes. */
interface BuiltProbe {
  probe: Probe;
  datagram: Uint8Array;
}

/**
 * Build probe `index` from the packet the options describe.
 */
function buildProbe(
  base: TcpPacket,
  index: number,
  fields: { srcPort: number; seq: number; ack: number; ttl?: number },
): BuiltProbe {
  const datagram = probeDatagram(base, fields);
  const probe: Probe = {
    id: index,
    family: base.ip.version,
    src: base.ip.src,
    dst: base.ip.dst,
    srcPort: fields.srcPort,
    dstPort: base.tcp.dstPort,
    seq: fields.seq,
    ack: fields.ack,
    flags: base.tcp.flags,
    payloadLength: base.tcp.payload.length,
    sentAt: 0,
  };
  if (fields.ttl !== undefined) probe.ttl = fields.ttl;
  return { probe, datagram };
}

/**
 * Everything a probing command knows before it opens anything: the
 * target, the packet model (source routed unless `--src`) and the network
 * access with a receiver.
 */
export interface Conversation {
  /** The destination. */
  target: PacketTarget;
  /** The packet the options describe (probe 0's fields before numbering). */
  base: TcpPacket;
  /** The network access; open the receiver with {@linkcode openReceiver}. */
  net: CliNet & Required<Pick<CliNet, "openReceiver">>;
}

/**
 * Prepare a conversation: check the host, resolve TARGET, find the source
 * address and build the packet from the options, checking them all.
 * Nothing is opened, so bad input stops the command before anything
 * happens.
 *
 * @param text TARGET.
 * @param values The parsed options.
 * @param host The host.
 * @param what The action, for messages.
 * @returns The conversation.
 * @throws {UsageError} For bad input.
 * @throws {CliError} When the host cannot do it, or there is no route.
 *
 * @example
 * ```ts
 * import { prepareConversation } from "./probe.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   prepareConversation("192.0.2.1", {}, createMemoryHost(), "probe"),
 *   /Cannot probe: this host has no raw network access/,
 * );
 * ```
 */
export async function prepareConversation(
  text: string,
  values: Parameters<typeof packetFromOptions>[0] & FamilySwitches,
  host: CliHost,
  what: string,
): Promise<Conversation> {
  const net = requireReceiverNet(host, what);
  const target = await resolveProbeTarget(text, values, net);
  let routed: string;
  try {
    routed = formatAddress(
      parseAddress(net.routeSource(target.address)).bytes,
    );
  } catch (error) {
    throw new CliError(
      `Cannot ${what} ${target.address}: no route (${
        reasonOf(error instanceof Error ? error : new Error(String(error)))
      })`,
      { cause: error },
    );
  }
  const base = await packetFromOptions(values, target, {
    host,
    defaultSrc: routed,
  });
  try {
    encodePacket(base);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CliError(reasonOf(error), { cause: error });
    }
    throw error;
  }
  return { target, base, net };
}

/**
 * Open the receiver of a prepared conversation: its TCP socket sends
 * whole datagrams (tcpcraft writes the IP header, TTL included).
 *
 * @param conversation The prepared conversation.
 * @returns The receiver; close it when done.
 *
 * @example
 * ```ts ignore
 * const conversation = await prepareConversation(target, values, host, "probe");
 * const receiver = openReceiver(conversation);
 * try { ... } finally { receiver.close(); }
 * ```
 */
export function openReceiver(conversation: Conversation): CliReceiver {
  return conversation.net.openReceiver(conversation.target.family, {
    headerIncluded: true,
  });
}

/** Options for {@linkcode openConversation}. */
export interface OpenConversationOptions {
  /** `--pcap`: the capture file to record the conversation to. */
  pcap?: string | undefined;
}

/** What {@linkcode openConversation} opened; close both when done. */
export interface OpenedConversation {
  /** The receiver ({@linkcode openReceiver}). */
  receiver: CliReceiver;
  /** The `--pcap` capture file, when one was asked for. */
  capture: CaptureOutput | undefined;
}

/**
 * Open what a prepared conversation needs: the receiver, then the `--pcap`
 * capture file, so that a receiver we may not open (no privilege) leaves no
 * empty capture behind; a path that cannot be written is still exit 2 with
 * nothing sent, and the receiver is closed again.
 *
 * @param conversation The prepared conversation.
 * @param host The host, for the capture file.
 * @param options The capture file.
 * @returns The receiver and the capture file.
 *
 * @example
 * ```ts
 * import { type Conversation, openConversation } from "./probe.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const conversation = {
 *   target: { address: "192.0.2.1", family: 4, text: "192.0.2.1" },
 *   net: { openReceiver: () => { throw new Error("no raw sockets"); } },
 * } as unknown as Conversation;
 * const host = createMemoryHost();
 * await assert.rejects(
 *   openConversation(conversation, host, { pcap: "out.pcap" }),
 *   /no raw sockets/,
 * );
 * // The receiver is opened first: a refused one leaves no capture behind.
 * await assert.rejects(host.readFile("out.pcap"), /no such file/);
 * ```
 */
export async function openConversation(
  conversation: Conversation,
  host: CliHost,
  options: OpenConversationOptions = {},
): Promise<OpenedConversation> {
  if (options.pcap !== undefined) checkCaptureOutput(host, options.pcap);
  const receiver = openReceiver(conversation);
  let capture: CaptureOutput | undefined;
  try {
    capture = options.pcap === undefined
      ? undefined
      : await openCaptureOutput(host, options.pcap);
  } catch (error) {
    receiver.close();
    throw error;
  }
  return { receiver, capture };
}

// ------------------------------------------------------------------ probe

/** The output formats of `probe` and `trace`. */
export const CONVERSATION_FORMATS = ["text", "json", "ndjson"] as const;

/** The options of `probe`. */
export const PROBE_OPTIONS = withPacketOptions({
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
  ...CAPTURE_OUTPUT_OPTIONS,
  format: {
    kind: "string",
    choices: CONVERSATION_FORMATS,
    valueName: "FMT",
    help:
      "text: a line per reply and a summary | json: one document at the end | ndjson: a JSON object per event (default text)",
    group: "Output",
  },
});

/** One thing that happened during a run, for the JSON formats. */
type ProbeEvent = { [key: string]: JsonValue };

function replyEvent(reply: Reply, bytes: Uint8Array): ProbeEvent {
  const common: ProbeEvent = {
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
    "--seq each probe has a random sequence number. RTTs run from the send to the",
    "kernel's receive timestamp. Exit code 0 when a TCP reply came back, 1 when none",
    "did. Ctrl-C prints the summary. Linux only; needs root or cap_net_raw and,",
    "under deno run, --allow-ffi.",
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
    const count = values.count ?? 4;
    const intervalMs = values.interval ?? 1000;
    const timeoutMs = values.timeout ?? 1000;
    const format = values.format ?? "text";
    const fixedSport = values.sport;
    const conversation = await prepareConversation(
      positionals[0]!,
      { ...values, sport: fixedSport ?? 0, seq: values.seq ?? 0 },
      host,
      "probe",
    );
    const { target, base, net } = conversation;
    const { capture, receiver } = await openConversation(conversation, host, {
      pcap: values.pcap,
    });
    const family = target.family;
    const sportBase = fixedSport ?? randomEphemeralPort();
    const randomAck = values.ack === undefined &&
      (base.tcp.flags & TCP_FLAGS.ack) !== 0;

    const events: ProbeEvent[] = [];
    const emit = (line: string, event: ProbeEvent) => {
      if (format === "text") host.stdout(`${line}\n`);
      else if (format === "ndjson") host.stdout(`${JSON.stringify(event)}\n`);
      else events.push(event);
    };

    let interrupted = false;
    const unsubscribe = host.onInterrupt?.(() => {
      interrupted = true;
    }) ?? (() => {});
    const matcher = new ReplyMatcher();
    /** Probes sent and not answered yet, with the time they time out (host.now()). */
    const waiting = new Map<number, { probe: Probe; deadline: number }>();
    const rtts: number[] = [];
    let sent = 0;
    let received = 0;
    let icmpErrors = 0;
    let failure: unknown;
    try {
      const start = host.now();
      // Bounded: every round sends, waits for a reply, or reaches a deadline.
      while (!interrupted) {
        const now = host.now();
        const more = count === 0 || sent < count;
        if (more && now >= start + sent * intervalMs) {
          const built = buildProbe(base, sent, {
            srcPort: fixedSport ?? probeSourcePort(sportBase, sent),
            seq: values.seq ?? random32(),
            ack: randomAck ? random32() : base.tcp.ack,
          });
          built.probe.sentAt = net.wallClock();
          try {
            receiver.send(built.datagram, target.address);
          } catch (error) {
            failure = error;
            break;
          }
          matcher.add(built.probe);
          await capture?.record(built.datagram, "sent", {
            timestamp: built.probe.sentAt,
            note: `probe ${sent + 1}`,
          });
          waiting.set(built.probe.id, {
            probe: built.probe,
            deadline: host.now() + timeoutMs,
          });
          sent++;
          continue;
        }
        for (const [id, { probe, deadline }] of waiting) {
          if (deadline > now) continue;
          matcher.remove(id);
          waiting.delete(id);
          emit(
            `no reply to sport=${probe.srcPort} seq=${probe.seq} within ${timeoutMs} ms`,
            {
              event: "timeout",
              probe: id + 1,
              sport: probe.srcPort,
              seq: probe.seq,
              sentAt: probe.sentAt,
              timeoutMs,
            },
          );
        }
        if (!more && waiting.size === 0) break;
        let wait = 200; // at most, so that Ctrl-C is noticed soon
        if (more) wait = Math.min(wait, start + sent * intervalMs - now);
        for (const { deadline } of waiting.values()) {
          wait = Math.min(wait, deadline - now);
        }
        const replies = await collectReplies(
          receiver,
          matcher,
          family,
          Math.max(0, wait),
        );
        for (const { reply, bytes } of replies) {
          waiting.delete(reply.probe.id);
          await capture?.record(bytes, "received", {
            timestamp: reply.receivedAt,
            note: `reply to probe ${reply.probe.id + 1}`,
          });
          if (reply.kind === "tcp") {
            received++;
            rtts.push(reply.rttMs);
            emit(
              describeTcpReply(reply, bytes.length),
              replyEvent(reply, bytes),
            );
          } else {
            icmpErrors++;
            emit(describeIcmpReply(reply), replyEvent(reply, bytes));
          }
        }
      }
    } finally {
      unsubscribe();
      receiver.close();
      await capture?.close();
    }

    const stats = rttStatistics(rtts);
    const loss = lossPercent(sent, received);
    if (format === "text") {
      const lines = [
        `--- ${target.address} tcpcraft statistics ---`,
        `${sent} packet${sent === 1 ? "" : "s"} sent, ${received} received${
          icmpErrors > 0
            ? `, +${icmpErrors} ICMP error${icmpErrors === 1 ? "" : "s"}`
            : ""
        }, ${formatPercent(loss)} loss${interrupted ? ", interrupted" : ""}`,
      ];
      if (stats !== undefined) {
        lines.push(
          `rtt min/avg/max/p50/p90/p99 = ${
            [stats.min, stats.avg, stats.max, stats.p50, stats.p90, stats.p99]
              .map(formatMs).join("/")
          } ms`,
        );
      }
      host.stdout(`${lines.join("\n")}\n`);
    } else {
      const summary: ProbeEvent = {
        event: "summary",
        target: target.address,
        port: base.tcp.dstPort,
        sent,
        received,
        icmpErrors,
        lossPercent: loss,
        rtt: stats === undefined ? null : { ...stats },
        interrupted,
      };
      if (format === "ndjson") host.stdout(`${JSON.stringify(summary)}\n`);
      else {
        host.stdout(
          `${JSON.stringify({ target: target.address, events, summary })}\n`,
        );
      }
    }
    if (failure !== undefined) throw failure;
    return received > 0 ? 0 : 1;
  },
});
