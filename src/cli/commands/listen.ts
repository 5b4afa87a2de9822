/**
 * `tcpcraft listen [OPTIONS]`: watch the TCP packets this host sends and
 * receives, like hping3's `--listen` and a small tcpdump for TCP. The sniff
 * engine (`Sniff` in `src/engine/sniff.ts`) run from the command line.
 *
 * Decisions (the help says them too):
 * - The options make one typed filter (`--host`, `--src`, `--dst`,
 *   `--port`, `--sport`, `--dport`, `--flags`, `--without-flags`, `-4`,
 *   `-6`; `--icmp` adds the ICMP errors and messages between the same
 *   hosts). It is compiled to classic BPF and runs in the kernel on a
 *   packet socket, so unrelated traffic never reaches tcpcraft;
 *   `--dump-bpf` prints the program as `tcpdump -d` lists programs, and the
 *   pcap-filter expression that means the same, then exits.
 * - One line per packet: the kernel's time stamp (local time, as tcpdump),
 *   the direction (`In`, `Out`, `B`, `M`, `P` as tcpdump's `-i any`), then
 *   tcpdump's summary. `--explain` adds the bit-level explanation of each
 *   packet (what `explain` prints).
 * - It says on standard error when it listens (as tcpdump does), and runs
 *   until `-c` packets, `--timeout`, or Ctrl-C; the counts (captured,
 *   received by filter, dropped by kernel) go to standard error, as
 *   tcpdump's. Exit code 0, or 130 after Ctrl-C; 2 for bad input
 *   (nothing is opened).
 * - Linux only (packet sockets); needs root or cap_net_raw.
 *
 * @module
 */

import type { PacketFilter, PortMatch } from "../../filter/types.ts";
import { compilePacketFilter } from "../../filter/compile.ts";
import { formatBpf, tcpdumpFilterExpression } from "../../filter/format.ts";
import { Sniff, type SniffedPacket } from "../../engine/sniff.ts";
import { parsePorts } from "../../engine/targets.ts";
import { formatFlags, parseFlags } from "../../wire/flags.ts";
import { defineOptions } from "../args.ts";
import {
  CAPTURE_OUTPUT_OPTIONS,
  type CaptureOutput,
  checkCaptureOutput,
  openCaptureOutput,
} from "../capture_output.ts";
import { defineCommand } from "../command.ts";
import { CliError, reasonOf, UsageError, ValueError } from "../errors.ts";
import type { CliHost } from "../host.ts";
import { interruptSignal } from "../interrupt.ts";
import { type ListenFinal, listenView } from "../listen_output.ts";
import { parseTimeout } from "../numbers.ts";
import { parseInterfaceName } from "../name_values.ts";
import { createFormatter } from "../output.ts";
import { permissionsFor, requirePermissions } from "../permissions.ts";
import { dropPrivileges } from "../privileges.ts";

/** The output formats of `listen`. */
export const LISTEN_FORMATS = ["text", "ndjson", "json"] as const;

function address(text: string): string {
  try {
    compilePacketFilter({ host: [text] });
  } catch (error) {
    throw new ValueError(
      reasonOf(error as Error).replace(/^cannot compile packet filter: /i, ""),
    );
  }
  return text;
}

function ports(text: string): PortMatch[] {
  return parsePorts(text).map(({ first, last }) =>
    first === last ? first : [first, last] as const
  );
}

/** The options of `listen`. */
export const LISTEN_OPTIONS = defineOptions({
  host: {
    kind: "repeatable",
    valueName: "ADDR",
    parse: address,
    help:
      "packets from or to this address or CIDR block (192.0.2.0/24, 2001:db8::/32); repeat for any of several",
    group: "Filter",
  },
  src: {
    kind: "repeatable",
    valueName: "ADDR",
    parse: address,
    help: "packets from this address or CIDR block",
    group: "Filter",
  },
  dst: {
    kind: "repeatable",
    valueName: "ADDR",
    parse: address,
    help: "packets to this address or CIDR block",
    group: "Filter",
  },
  port: {
    kind: "repeatable",
    short: "p",
    valueName: "PORTS",
    parse: ports,
    help: "TCP source or destination port: 80, 8000-8080, 22,443",
    group: "Filter",
  },
  sport: {
    kind: "repeatable",
    valueName: "PORTS",
    parse: ports,
    help: "TCP source port",
    group: "Filter",
  },
  dport: {
    kind: "repeatable",
    valueName: "PORTS",
    parse: ports,
    help: "TCP destination port",
    group: "Filter",
  },
  flags: {
    kind: "string",
    short: "f",
    valueName: "FLAGS",
    parse: parseFlags,
    help: "only packets with all these flags set: S, SA, syn,ack, R",
    group: "Filter",
  },
  withoutFlags: {
    kind: "string",
    valueName: "FLAGS",
    parse: parseFlags,
    help: "only packets with none of these flags set",
    group: "Filter",
  },
  icmp: {
    kind: "boolean",
    help:
      "also ICMP and ICMPv6 between the same hosts (errors about TCP among them)",
    group: "Filter",
  },
  ipv4: { kind: "boolean", short: "4", help: "IPv4 only", group: "Filter" },
  ipv6: { kind: "boolean", short: "6", help: "IPv6 only", group: "Filter" },
  interface: {
    kind: "string",
    short: "I",
    valueName: "IFACE",
    parse: parseInterfaceName,
    help: "listen on this interface (default: every interface)",
    group: "Capture",
  },
  count: {
    kind: "number",
    short: "c",
    min: 1,
    valueName: "N",
    help: "stop after N packets",
    group: "Capture",
  },
  timeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseTimeout,
    help: "stop after this long: 10s, 500ms (default: until Ctrl-C)",
    group: "Capture",
  },
  dumpBpf: {
    kind: "boolean",
    short: "d",
    help:
      "print the BPF program the kernel will run (as tcpdump -d) and the equivalent tcpdump filter, then exit",
    group: "Capture",
  },
  explain: {
    kind: "boolean",
    short: "x",
    help: "explain every packet bit by bit under its line (text format)",
    group: "Output",
  },
  ...CAPTURE_OUTPUT_OPTIONS,
  format: {
    kind: "string",
    choices: LISTEN_FORMATS,
    valueName: "FMT",
    help:
      "text: a line per packet | ndjson: a JSON object per packet | json: one document at the end (default text)",
    group: "Output",
  },
});

type ListenValues = Parameters<
  Parameters<typeof defineCommand<typeof LISTEN_OPTIONS>>[0]["run"]
>[0]["values"];

/**
 * The typed filter of `listen`'s options: one for TCP, and with `--icmp`
 * one for ICMP between the same hosts.
 *
 * @param values The parsed options.
 * @returns The filters, any of which takes a packet.
 * @throws {UsageError} For `-4` with `-6`, or `--icmp` with no host.
 *
 * @example
 * ```ts
 * import { listenFilters } from "./listen.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(listenFilters({ host: ["192.0.2.1"], port: [[80], [443]], flags: 2 }), [
 *   { host: ["192.0.2.1"], port: [80, 443], flags: { set: 2 } },
 * ]);
 * ```
 */
export function listenFilters(
  values: Pick<
    Partial<ListenValues>,
    | "host"
    | "src"
    | "dst"
    | "port"
    | "sport"
    | "dport"
    | "flags"
    | "withoutFlags"
    | "icmp"
    | "ipv4"
    | "ipv6"
  >,
): PacketFilter[] {
  if (values.ipv4 === true && values.ipv6 === true) {
    throw new UsageError("-4 and -6 exclude each other: give one or neither");
  }
  const family = values.ipv4 === true
    ? 4
    : values.ipv6 === true
    ? 6
    : undefined;
  checkMatchable(values, family);
  const hosts: PacketFilter = {};
  if (family !== undefined) hosts.family = family;
  if (values.host !== undefined) hosts.host = values.host;
  if (values.src !== undefined) hosts.src = values.src;
  if (values.dst !== undefined) hosts.dst = values.dst;
  const tcp: PacketFilter = { ...hosts };
  if (values.port !== undefined) tcp.port = values.port.flat();
  if (values.sport !== undefined) tcp.srcPort = values.sport.flat();
  if (values.dport !== undefined) tcp.dstPort = values.dport.flat();
  if (values.flags !== undefined || values.withoutFlags !== undefined) {
    tcp.flags = {
      ...(values.flags === undefined ? {} : { set: values.flags }),
      ...(values.withoutFlags === undefined
        ? {}
        : { clear: values.withoutFlags }),
    };
  }
  if (values.icmp !== true) return [tcp];
  return [tcp, { ...hosts, protocols: ["icmp"] }];
}

/**
 * Refuse a filter no packet can pass, which would listen in silence until
 * Ctrl-C: a flag both wanted set and clear, or addresses of a family
 * `-4`/`-6` or the other address options leave out.
 */
function checkMatchable(
  values: Pick<
    Partial<ListenValues>,
    "host" | "src" | "dst" | "flags" | "withoutFlags"
  >,
  family: 4 | 6 | undefined,
): void {
  const both = (values.flags ?? 0) & (values.withoutFlags ?? 0);
  if (both !== 0) {
    throw new UsageError(
      `--without-flags: ${
        formatFlags(both)
      } is also in --flags; no packet has a flag both set and clear`,
    );
  }
  let families: (4 | 6)[] = family === undefined ? [4, 6] : [family];
  let narrowedBy = family === undefined ? undefined : `-${family}`;
  for (const key of ["host", "src", "dst"] as const) {
    const given = values[key];
    if (given === undefined) continue;
    const of = given.map((a): 4 | 6 => a.includes(":") ? 6 : 4);
    const common = families.filter((f) => of.includes(f));
    if (common.length === 0) {
      throw new UsageError(
        `--${key}: ${given.join(", ")} ${
          given.length === 1 ? "is" : "are"
        } IPv${of[0]}, but ${narrowedBy} leaves only IPv${
          families[0]
        }; no packet can match`,
      );
    }
    if (common.length < families.length) narrowedBy = `--${key}`;
    families = common;
  }
}

async function record(
  capture: CaptureOutput | undefined,
  packet: SniffedPacket,
): Promise<void> {
  await capture?.record(
    packet.bytes,
    packet.direction === "out" ? "sent" : "received",
    { timestamp: packet.time, note: packet.direction },
  );
}

function openSniff(
  host: CliHost,
  filters: PacketFilter[],
  values: ListenValues,
  signal: AbortSignal,
): Sniff {
  if (host.os === "darwin" || host.os === "windows") {
    throw new CliError(
      `Cannot listen: ${
        host.os === "darwin" ? "macOS" : "Windows"
      } has no packet sockets (AF_PACKET); use Linux`,
    );
  }
  const net = host.net;
  if (net?.openSniffer === undefined) {
    throw new CliError("Cannot listen: this host has no packet sockets");
  }
  return Sniff.open(net, {
    filter: filters,
    signal,
    clock: host,
    ...(values.interface === undefined ? {} : { interface: values.interface }),
    ...(values.count === undefined ? {} : { count: values.count }),
    ...(values.timeout === undefined ? {} : { timeoutMs: values.timeout }),
  });
}

/**
 * The `listen` command.
 *
 * @example The program the kernel would run, without opening anything
 * ```ts
 * import { listenCommand } from "./listen.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * assert.equal(await listenCommand.run(["--port", "80", "-4", "-d"], { host, meta: { version: "0" } }), 0);
 * assert.match(host.out, /^\(001\) ldb {6}\[0\]$/m);
 * assert.match(host.out, /^# tcpdump: \(ip and ip\[9\] == 6 and \(tcp src port 80 or tcp dst port 80\)\)$/m);
 * ```
 */
export const listenCommand = defineCommand({
  name: "listen",
  summary:
    "watch the TCP packets this host sends and receives, filtered in the kernel, like hping3 --listen",
  description: [
    "Prints a line per packet that the filter options take, as tcpdump does: the",
    "kernel's time stamp, the direction (In, Out), then the packet; --explain adds",
    "every field, bit by bit. The filter (--host, --src, --dst, --port, --sport,",
    "--dport, --flags, --without-flags, -4/-6, --icmp) is compiled to a BPF program",
    "the kernel runs, so other traffic never reaches tcpcraft; --dump-bpf prints it.",
    "Runs until -c packets, --timeout, or Ctrl-C, then writes the counts to standard",
    "error (exit 130 after Ctrl-C). Linux only; needs root or cap_net_raw and, under",
    "deno run, --allow-ffi.",
  ].join("\n"),
  usage: "[OPTIONS]",
  args: [],
  options: LISTEN_OPTIONS,
  examples: [
    {
      comment: "Everything to or from port 80",
      command: "sudo tcpcraft listen --port 80",
    },
    {
      comment: "SYN-ACKs from one network on eth0, explained bit by bit",
      command:
        "sudo tcpcraft listen -I eth0 --src 192.0.2.0/24 --flags SA --explain",
    },
    {
      comment: "Ten packets of one host as JSON lines, and into a capture file",
      command:
        "sudo tcpcraft listen --host 2001:db8::1 -c 10 --format ndjson --pcap host.pcapng",
    },
  ],
  async run({ values }, { host }) {
    const filters = listenFilters(values);
    if (values.explain === true && (values.format ?? "text") !== "text") {
      throw new UsageError(
        "--explain: explanations are text; use --format text",
      );
    }
    if (values.dumpBpf === true) {
      const program = compilePacketFilter(filters);
      host.stdout(`${formatBpf(program)}\n`);
      host.stdout(`# tcpdump: ${tcpdumpFilterExpression(filters)}\n`);
      return 0;
    }
    if (values.pcap !== undefined) checkCaptureOutput(host, values.pcap);
    if (host.os !== "darwin" && host.os !== "windows") {
      requirePermissions(
        host,
        "Cannot listen",
        permissionsFor(values, { ffi: true }),
      );
    }
    const interrupt = interruptSignal(host);
    let sniff: Sniff;
    try {
      sniff = openSniff(host, filters, values, interrupt.signal);
    } catch (error) {
      interrupt.dispose();
      throw error;
    }
    let capture: CaptureOutput | undefined;
    const output = createFormatter(
      values.format ?? "text",
      host,
      listenView({ explain: values.explain === true }),
    );
    try {
      capture = values.pcap === undefined
        ? undefined
        : await openCaptureOutput(host, values.pcap);
      // The packet socket and the file are open: nothing is read as root.
      dropPrivileges(host);
      host.stderr(
        `tcpcraft: listening on ${
          values.interface ?? "every interface"
        }, a ${sniff.program.length}-instruction BPF filter in the kernel\n`,
      );
      output.begin();
      for await (const packet of sniff) {
        await record(capture, packet);
        output.write([packet]);
      }
    } finally {
      sniff.close();
      interrupt.dispose();
      await capture?.close();
    }
    const final: ListenFinal = {
      stats: sniff.stats(),
      interrupted: interrupt.signal.aborted,
    };
    output.end(final);
    if ((values.format ?? "text") === "text") {
      host.stderr(`${listenView({ explain: false }).note!(final)}\n`);
    }
    return final.interrupted ? 130 : 0;
  },
});
