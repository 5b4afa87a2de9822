/**
 * `tcpcraft send TARGET [OPTIONS]`: build TCP packets from the packet
 * options of `build` and send them over a raw socket, one or many, paced or
 * as fast as the kernel takes them (the send engine, `src/engine/send.ts`).
 *
 * Decisions (the help says them too):
 * - TARGET may be a host name, resolved as the system resolves it (`-4` or
 *   `-6` picks the family; the first address is used).
 * - Without `--src` the source is the address the kernel routes from, so
 *   the TCP checksum is right without typing it.
 * - Without `-s`/`--sport` the source port is random in 49152..65535, and
 *   without `--seq` the sequence number is random (as hping3 does). The
 *   lines printed show the values sent (the text line shows `seq` where
 *   tcpdump would, with SYN, FIN, RST or data; `--format json` always), and
 *   `--dry-run` prints the same packets, random values included.
 * - The kernel writes the IP header unless an IP-level option is given
 *   (`--ttl`, `--id`, `--tos`, `--df`, `--ip-checksum`, `--ip-options`,
 *   `--hop-limit`, `--flow-label`) or `--src` is not the routed source:
 *   then tcpcraft writes it (`IP_HDRINCL` / `IPV6_HDRINCL`). In kernel mode
 *   the socket is handed the TCP segment (the ffi `RawSocket` contract) and
 *   the lines printed show tcpcraft's IP header; the kernel's has its own
 *   TTL and ID.
 * - `--sport-step N` and `--seq-step N` add N (negative allowed) per packet,
 *   wrapping modulo 2^16 and 2^32: a source port after 65535 is 0, 1, …
 * - The random fields (`--rand-*`), `-p ++N` and `--dport-step` are drawn
 *   or stepped per packet by the engine's `PacketSeries`; `--seed` seeds
 *   every random choice of the run. What they need and refuse is in
 *   `per_packet_options.ts`.
 * - Pacing: packet i leaves at start + i × interval (`--interval`, default
 *   1s, or `--rate`); when the clock is behind, the packets due go out
 *   together in one `sendMany` call. `--flood` (which needs `--count`) sends
 *   in batches with one system call each: with `-q` and no `--pcap`, 256
 *   packets a `sendmmsg` from send slots written once and stepped in place
 *   (`RING_BATCH`), else 1024 packets a `sendMany` (`SEND_BATCH`).
 * - `-I NAME` (Linux) sends the datagrams as Ethernet frames on that
 *   interface (`AF_PACKET`) to the next hop's MAC from the neighbour table;
 *   tcpcraft then writes the IP header.
 * - Output: one line per packet sent, in the format of `build` (`-q` leaves
 *   them out), then the summary
 *   `N packets, B bytes sent in T s (R pps)`: B counts whole IP datagrams,
 *   T runs from the first system call's start to the last one's end, and R
 *   is (N - 1) / T, the rate between the first packet and the last (so
 *   `--rate 10` reports 10), left out for a single packet. After a send
 *   fails, the summary counts the packets sent before (if any), then the
 *   error is printed. With `--format text` the
 *   summary goes to standard output; with `hex` or `json` to standard error,
 *   so standard output stays one packet per line.
 * - `--pcap FILE` records every packet sent (the whole datagram, as the
 *   lines show it) with direction outbound, comment `sent` and the wall-clock
 *   time of its send call; with `--dry-run`, as `built`. The file is created
 *   after every other check and before the socket is opened.
 * - Ctrl-C stops after the packets being sent, prints the summary (ending
 *   `, interrupted`) and exits 130, so a script sees the interruption.
 * - Broadcast, multicast and unspecified destinations need
 *   `--allow-broadcast` (`safe_targets.ts`), which gives the socket
 *   `SO_BROADCAST`.
 * - Everything the command line says is checked before a socket is opened:
 *   bad input is exit 2 and nothing is sent. Run-time failures (no
 *   privileges, no `--allow-ffi`, no route) are one line `error: …`, exit 1.
 *   Windows has no raw TCP: `send` says so before anything else but
 *   `--help` and argument errors.
 *
 * @module
 */

import {
  EPHEMERAL_PORT_BASE,
  random32,
  randomEphemeralPort,
} from "../../engine/random.ts";
import {
  PacketSeries,
  SEND_BATCH,
  type SendOutcome,
  sendPackets,
} from "../../engine/send.ts";
import { formatAddress, parseAddress } from "../../wire/address.ts";
import type { TcpPacket } from "../../wire/packet.ts";
import { longName, type OptionValues } from "../args.ts";
import {
  type CaptureOutput,
  checkCaptureOutput,
  openCaptureOutput,
} from "../capture_output.ts";
import { defineCommand } from "../command.ts";
import { CliError, quote, reasonOf, UsageError } from "../errors.ts";
import { PACKET_OUTPUT_KINDS, type PacketFormat } from "../format.ts";
import type { CliHost, CliNet } from "../host.ts";
import { interruptSignal } from "../interrupt.ts";
import { craftPacket, needsOwnIpHeader } from "../craft_options.ts";
import { checkFragmentOptions, craftDatagrams } from "../fragment_options.ts";
import { DatagramSeries } from "../fragment_sending.ts";
import { randomPort, type RandomSource } from "../../wire/random_fields.ts";
import { createFormatter } from "../output.ts";
import { SEND_VIEW, sendSummary } from "../send_output.ts";
import { packetFromOptions } from "../packet_options.ts";
import {
  checkPerPacketOptions,
  checkPerPacketTarget,
  drawSource,
  perPacketNeedsIpHeader,
  perPacketTarget,
  seriesOptions,
  templateSource,
} from "../per_packet_options.ts";
import { checkDestination, checkDrawnDestinations } from "../safe_targets.ts";
import {
  type PacketTarget,
  parseTarget,
  resolveParsedTarget,
  routeReason,
  targetFamily,
} from "../target.ts";

export { SEND_OPTIONS } from "../send_options.ts";
import { SEND_OPTIONS } from "../send_options.ts";
import { permissionsFor, requirePermissions } from "../permissions.ts";
import { dropPrivileges } from "../privileges.ts";

/** TARGET's line in the help, and the message when it is missing. */
const TARGET_HELP =
  "an IPv4 or IPv6 address or a host name; TARGET:PORT or [IPv6]:PORT also sets the port";
const MISSING_TARGET = `missing TARGET (${TARGET_HELP})`;

/** The IP-level options that make tcpcraft write the IP header. */
const IP_LEVEL = [
  "ttl",
  "id",
  "tos",
  "df",
  "ipChecksum",
  "ipOptions",
  "hopLimit",
  "flowLabel",
] as const;

type SendValues = OptionValues<typeof SEND_OPTIONS>;

function flagOf(key: keyof typeof SEND_OPTIONS): string {
  return `--${longName(key, SEND_OPTIONS[key])}`;
}

function canonical(address: string): string {
  return formatAddress(parseAddress(address).bytes);
}

function needNet(host: CliHost, what: string): CliNet {
  if (host.net === undefined) {
    throw new CliError(
      `Cannot ${what}: this host has no raw network access`,
    );
  }
  return host.net;
}

/** How the packets of a run are made and paced, from the options. */
interface SendPlan {
  count: number;
  /** Milliseconds between packets; 0 for a flood. */
  intervalMs: number;
  dryRun: boolean;
  format: PacketFormat;
}

/** Check the sending options that go together; nothing is opened. */
function sendPlan(values: SendValues): SendPlan {
  const flood = values.flood === true;
  if (flood && values.count === undefined) {
    throw new UsageError(
      "--flood: needs --count (how many packets to send as fast as possible)",
    );
  }
  if (values.interval !== undefined && values.rate !== undefined) {
    throw new UsageError("--rate: conflicts with --interval; give one");
  }
  if (flood && (values.interval !== undefined || values.rate !== undefined)) {
    throw new UsageError(
      `--flood: conflicts with ${
        values.interval !== undefined ? "--interval" : "--rate"
      }; give one`,
    );
  }
  return {
    count: values.count ?? 1,
    intervalMs: flood
      ? 0
      : values.rate !== undefined
      ? 1000 / values.rate
      : values.interval ?? 1000,
    dryRun: values.dryRun === true,
    format: values.format ?? "text",
  };
}

/**
 * The source the kernel would write: needed to send (it also tells the
 * mode), and for a dry run without `--src`.
 */
function routedSource(
  host: CliHost,
  values: SendValues,
  target: PacketTarget,
  dryRun: boolean,
): string | undefined {
  const route = { broadcast: values.allowBroadcast === true };
  if (!dryRun) {
    return canonical(
      needNet(host, "send packets").routeSource(target.address, route),
    );
  }
  if (values.src !== undefined || values.randSource !== undefined) {
    return undefined;
  }
  const net = host.net;
  try {
    if (net === undefined) {
      throw new Error("this host has no network access");
    }
    return canonical(net.routeSource(target.address, route));
  } catch (error) {
    throw new CliError(
      `Cannot find the source address for ${target.address} (give --src ADDR to print the packets without asking): ${
        routeReason(error, target.address)
      }`,
      { cause: error },
    );
  }
}

/** The packets of the run; the first is encoded here, so a field the encoder refuses stops the command before anything is opened. */
function packetSeries(
  packet: TcpPacket,
  values: SendValues,
  random: RandomSource,
): PacketSeries {
  const fragmented = checkFragmentOptions(values);
  const step = (["sportStep", "seqStep"] as const).find((key) =>
    values[key] !== undefined
  );
  if (step !== undefined && (fragmented || packet.signature !== undefined)) {
    throw new UsageError(
      `${flagOf(step)}: steps are patched into one encoded packet, which ${
        fragmented ? "--frag sends as fragments" : "a signature covers whole"
      }; not with ${fragmented ? "--frag" : "--md5-key or --ao-key"} yet`,
    );
  }
  try {
    if (fragmented) {
      return new DatagramSeries(
        packet,
        craftDatagrams(packet, values, random),
      );
    }
    return new PacketSeries(packet, seriesOptions(values, packet, random));
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CliError(reasonOf(error), { cause: error });
    }
    throw error;
  }
}

/** What Linux changes in the IPv4 header of a raw packet, said before sending. */
function linuxNotes(host: CliHost, values: SendValues): void {
  if (values.ipChecksum !== undefined) {
    host.stderr(
      `note: Linux rewrites the IPv4 header checksum of raw packets; ${
        flagOf("ipChecksum")
      } ${values.ipChecksum} is not what the peer receives\n`,
    );
  }
  if (values.id === 0) {
    host.stderr(
      "note: Linux replaces an IPv4 id of 0 with its own in raw packets\n",
    );
  }
}

/** What a run of `send` is, checked and built before anything is opened. */
interface PreparedSend {
  plan: SendPlan;
  target: PacketTarget;
  series: PacketSeries;
  /** Whether tcpcraft writes the IP header. */
  headerIncluded: boolean;
}

/**
 * Check everything the command line says, resolve TARGET, find the source
 * and build the packets; nothing is opened.
 */
async function prepareSend(
  values: SendValues,
  text: string | undefined,
  host: CliHost,
): Promise<PreparedSend> {
  const parsed = text === undefined
    ? undefined
    : parseTarget(text, { names: true });
  if (parsed === undefined && values.ipv4 && values.ipv6) {
    throw new UsageError("-4: conflicts with -6; give one");
  }
  const wanted = parsed === undefined
    ? undefined
    : targetFamily(parsed, values);
  const plan = sendPlan(values);
  checkPerPacketOptions(values, "send");
  // A dry run needs the C library only to resolve a name or find a source.
  const ffi = !plan.dryRun || parsed?.family === undefined && !!parsed ||
    (values.src === undefined && values.randSource === undefined);
  requirePermissions(
    host,
    plan.dryRun ? "Cannot make the packets" : "Cannot send packets",
    permissionsFor(values, { ffi }),
  );
  const given = parsed === undefined
    ? undefined
    : await resolveParsedTarget(parsed, wanted, () => {
      const net = needNet(host, `resolve host ${quote(parsed.host)}`);
      return (name, options) => net.resolveHost(name, options);
    });
  const target = perPacketTarget(values, given, MISSING_TARGET);
  checkPerPacketTarget(values, target);
  const guard = {
    verb: "send to",
    allowBroadcast: !!values.allowBroadcast,
    host,
  };
  if (values.randDest !== undefined) {
    checkDrawnDestinations(values.randDest, guard);
  } else {
    const name = parsed?.family === undefined ? parsed?.host : undefined;
    checkDestination(target.address, name, guard);
  }
  const routed = routedSource(host, values, target, plan.dryRun);
  // With --seed every random choice comes from its sequence; without, the
  // defaults are crypto-strength values as they always were.
  const { random, seeded } = drawSource(values);
  const draw32 = seeded ? () => random.next32() : random32;
  // Fragments get a random identification unless one is given, so that
  // the fragments of two runs are not taken for one datagram's.
  const fragmented = values.frag !== undefined || values.mtu !== undefined;
  // A drawn source's template takes the block's first address.
  const src = templateSource(values, target.family) ?? routed;
  const { dport: _stepped, ...withoutDport } = values;
  const packet = await packetFromOptions(
    {
      ...withoutDport,
      ...(values.dport === undefined ? {} : { dport: values.dport.port }),
      ...(values.randSport ? {} : {
        sport: values.sport ??
          (seeded
            ? randomPort(random, { min: EPHEMERAL_PORT_BASE })
            : randomEphemeralPort()),
      }),
      ...(values.randSeq ? {} : { seq: values.seq ?? draw32() }),
      ...(fragmented && target.family === 4 && values.id === undefined
        ? { id: draw32() & 0xffff }
        : {}),
    },
    target,
    src === undefined ? { host } : { host, defaultSrc: src },
  );
  if (fragmented && target.family === 6) values.fragId ??= draw32();
  const crafted = craftPacket(packet, values);
  // Frames carry the whole datagram: with -I tcpcraft writes the IP header.
  const headerIncluded = values.interface !== undefined ||
    IP_LEVEL.some((key) => values[key] !== undefined) ||
    needsOwnIpHeader(values) || perPacketNeedsIpHeader(values) ||
    (routed !== undefined && canonical(packet.ip.src) !== routed);
  const series = packetSeries(crafted, values, random);
  if (!(series instanceof DatagramSeries)) {
    return { plan, target, series, headerIncluded };
  }
  // Each packet is its fragments: they leave together, packets an interval apart.
  const n = series.perPacket;
  return {
    plan: {
      ...plan,
      count: plan.count * n,
      intervalMs: plan.count === 1 ? 0 : plan.intervalMs / n,
    },
    target,
    series,
    headerIncluded,
  };
}

/** The raw socket, or with -I the link-layer socket. */
function openSocket(
  net: CliNet,
  target: PacketTarget,
  headerIncluded: boolean,
  values: SendValues,
) {
  const { interface: name, allowBroadcast: broadcast } = values;
  if (name === undefined) {
    const { family } = target;
    return net.openRawSocket({
      family,
      headerIncluded,
      ...broadcast && { broadcast },
    });
  }
  if (net.openLinkSocket === undefined) {
    throw new CliError(
      `Cannot send on ${name}: this host has no link-layer (AF_PACKET) access; leave out -I`,
    );
  }
  return net.openLinkSocket({ interface: name, destination: target.address });
}

/** Make the packets without sending them: print them, record them as built; returns their bytes. */
async function dryRun(
  series: PacketSeries,
  count: number,
  print: (datagrams: Uint8Array[]) => void,
  capture: CaptureOutput | undefined,
): Promise<number> {
  let bytes = 0;
  for (let made = 0; made < count;) {
    const datagrams = series.take(Math.min(SEND_BATCH, count - made));
    for (const datagram of datagrams) bytes += datagram.length;
    print(datagrams);
    for (const datagram of capture === undefined ? [] : datagrams) {
      await capture?.record(datagram, "built");
    }
    made += datagrams.length;
  }
  return bytes;
}

/**
 * The `send` command.
 *
 * @example A dry run prints the packets and sends nothing
 * ```ts
 * import { sendCommand } from "./send.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const code = await sendCommand.run(
 *   ["192.0.2.1:666", "--src", "192.0.2.42", "-s", "20", "--seq", "0", "-f", "xmas",
 *     "-c", "2", "--sport-step", "1", "--dry-run"],
 *   { host, meta: { version: "0" } },
 * );
 * assert.equal(code, 0);
 * assert.equal(
 *   host.out,
 *   "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0\n" +
 *     "IP 192.0.2.42.21 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0\n" +
 *     "2 packets, 80 bytes (dry run: nothing sent)\n",
 * );
 * ```
 */
export const sendCommand = defineCommand({
  name: "send",
  summary:
    "send TCP packets over a raw socket (root or cap_net_raw, --allow-ffi)",
  description: [
    "Takes every packet option of build. Without -s and --seq the source port",
    "(49152..65535) and sequence number are random; without --src the source is",
    "the address the kernel routes from. The kernel writes the IP header unless an",
    "IP-level option (--ttl, --id, --tos, --df, --ip-checksum, --ip-options,",
    "--hop-limit, --flow-label) or a --src other than the routed one is given.",
    "With -I NAME the datagrams go out as Ethernet frames on that interface (Linux",
    "AF_PACKET), to the next hop's hardware address from the neighbour table.",
    "",
    "Prints one line per packet sent (as build does) and a summary: on standard",
    "output with --format text, on standard error with hex and json. Ctrl-C stops",
    "with the summary and exit code 130. Needs root or cap_net_raw",
    "(sudo setcap cap_net_raw+ep ./tcpcraft) and, under deno run, --allow-ffi",
    "(--allow-write for --pcap); --dry-run needs neither when --src is given.",
    "",
    "--rand-* fields, -p ++N and --dport-step are drawn or stepped per packet, in",
    "place, at flood speed; --seed sends the same packets again. A random source,",
    "destination or ID makes tcpcraft write the IP header; with --rand-dest each",
    "packet goes to its own address, and TARGET may be left out (else it gives the",
    "port). A broadcast, multicast or unspecified TARGET, or a --rand-dest block",
    "holding one, is refused without --allow-broadcast (exit 2, dry runs too).",
  ].join("\n"),
  usage: "TARGET [OPTIONS]",
  args: [{ name: "TARGET", help: TARGET_HELP, optional: true }],
  options: SEND_OPTIONS,
  examples: [
    {
      comment: "A SYN to port 80, as hping3 -S -p 80 -c 1 would",
      command: "sudo tcpcraft send 192.0.2.1 -p 80",
    },
    {
      comment: "A Christmas-tree packet (FIN, PSH, URG) to port 666",
      command: "sudo tcpcraft send 192.0.2.1:666 -f xmas",
    },
    {
      comment: "1000 SYNs from successive source ports, as fast as possible",
      command:
        "sudo tcpcraft send 192.0.2.1:80 -c 1000 --flood --sport-step 1 -q",
    },
    {
      comment:
        "100000 SYNs from random sources in 10.9.0.0/16 and random ports, the same again with --seed 1",
      command:
        "sudo tcpcraft send 192.0.2.1:80 -c 100000 --flood --rand-source 10.9.0.0/16 --rand-sport --rand-seq --seed 1 -q",
    },
    {
      comment:
        "A spoofed source and TTL (the IP header is written by tcpcraft)",
      command:
        "sudo tcpcraft send 192.0.2.1:80 --src 192.0.2.99 --ttl 3 -i 100ms -c 5",
    },
    {
      comment: "What would be sent, without sending it or any privilege",
      command:
        "tcpcraft send example.com:443 -f PA --data 'hello' --dry-run --format json",
    },
  ],
  async run({ values, positionals }, { host }) {
    // TARGET may be left out for --rand-dest only; missing, it is the
    // usage error it always was, before anything else.
    if (positionals[0] === undefined && values.randDest === undefined) {
      throw new UsageError(MISSING_TARGET);
    }
    if (host.os === "windows") {
      throw new CliError(
        "Cannot send packets: Windows does not allow raw TCP sockets; use Linux, macOS or WSL (tcpcraft build prints packets without sending them)",
      );
    }
    const { plan, target, series, headerIncluded } = await prepareSend(
      values,
      positionals[0],
      host,
    );
    const output = createFormatter(
      PACKET_OUTPUT_KINDS[plan.format],
      host,
      SEND_VIEW,
    );
    const quiet = values.quiet === true;
    const print = (datagrams: Uint8Array[]) => {
      if (!quiet) output.write(datagrams);
    };
    if (
      !plan.dryRun && host.os === "linux" && headerIncluded &&
      target.family === 4 && values.interface === undefined
    ) {
      linuxNotes(host, values);
    }

    // The socket is opened before the capture file is created, so that a
    // socket we may not open (no privilege) leaves no empty capture behind;
    // a path that cannot be written is still a usage error, and nothing has
    // been sent when it is found.
    if (values.pcap !== undefined) checkCaptureOutput(host, values.pcap);
    const net = plan.dryRun ? undefined : needNet(host, "send packets");
    const socket = net === undefined
      ? undefined
      : openSocket(net, target, headerIncluded, values);
    let capture: CaptureOutput | undefined;
    try {
      capture = values.pcap === undefined
        ? undefined
        : await openCaptureOutput(host, values.pcap);
      // Everything is open: nothing is sent as root.
      if (socket !== undefined) dropPrivileges(host);
    } catch (error) {
      socket?.close();
      await capture?.close();
      throw error;
    }
    let outcome: SendOutcome;
    try {
      if (plan.dryRun || net === undefined || socket === undefined) {
        const bytes = await dryRun(series, plan.count, print, capture);
        output.end(sendSummary(plan.count, bytes, 0, "dry-run"));
        return 0;
      }
      const interrupt = interruptSignal(host);
      try {
        outcome = await sendPackets(
          {
            socket,
            destination: target.address,
            series,
            headerIncluded,
            count: plan.count,
            intervalMs: plan.intervalMs,
            clock: host,
            wallClock: () => net.wallClock(),
            signal: interrupt.signal,
          },
          quiet && capture === undefined ? undefined : async (
            datagrams,
            sentAt,
          ) => {
            print(datagrams);
            for (const datagram of capture === undefined ? [] : datagrams) {
              await capture?.record(datagram, "sent", { timestamp: sentAt });
            }
          },
        );
      } finally {
        interrupt.dispose();
        socket.close();
      }
    } finally {
      await capture?.close();
    }
    // After a failed send, the summary counts the packets of the calls that
    // succeeded (none: the error alone is printed).
    output.end(
      outcome.failure === undefined || outcome.packets > 0
        ? sendSummary(
          outcome.packets,
          outcome.bytes,
          outcome.elapsedMs,
          outcome.interrupted ? "interrupted" : "sent",
        )
        : undefined,
    );
    if (outcome.failure !== undefined) throw outcome.failure.error;
    return outcome.interrupted ? 130 : 0;
  },
});
