/**
 * The contenders of `bench/net.ts`: what each runs, bounded in time and
 * count, and how a scan's output is checked against the ports that exist.
 *
 * Floods go to {@linkcode FLOOD_TARGET}, an address of b that drops them on
 * arrival; scans go to the scan addresses of b, where every port is closed
 * but {@linkcode OPEN_PORTS}. Nothing is sent anywhere else.
 *
 * @module
 */

import { commandExists } from "../tests/_netns.ts";
import { type BenchNetwork, FLOOD_PORT, FLOOD_TARGET } from "./_net_env.ts";

/** Ports b listens on: a scan must report them open, every other port closed. */
export const OPEN_PORTS: readonly number[] = [22, 80];

/** The two kinds of contender. */
export type Group = "flood" | "scan";

/** How a scan's report compares with the ports that exist. */
export interface Completeness {
  /** Probes: hosts × ports. */
  expected: number;
  /** Ports reported with their true state (open or closed). */
  right: number;
  /** Closed ports reported closed, of those that are closed. */
  closedRight: number;
  closed: number;
  /** Ports reported with a wrong state (a closed port open, an open one closed…). */
  wrong: number;
}

/** What every contender is given. */
export interface Context {
  network: BenchNetwork;
  /** The repository's `cli.ts` and `deno.json`. */
  cli: string;
  config: string;
  /** Where the C baselines were built; undefined when gcc failed. */
  binaries: string | undefined;
  /** A directory for output files (masscan's list, its `paused.conf`). */
  temp: string;
  /** Packets a count-bounded flood sends. */
  count: number;
  /** Seconds a time-bounded flood (hping3) runs. */
  duration: number;
  /** Seconds after which any contender is ended. */
  limit: number;
  /** `--retries` of tcpcraft's scans. */
  retries: number;
  /** Whether `tcpcraft send` has a link-layer `-I IFACE` path. */
  sendHasInterface: boolean;
}

/** A scan's targets: the first `hosts` scan addresses, ports 1..`ports`. */
export interface ScanSize {
  hosts: number;
  ports: number;
}

/** One contender. */
export interface Contender {
  /** Short name, used by --only and --skip. */
  id: string;
  /** What the table shows. */
  label: string;
  group: Group;
  /** The asked rate (scans). */
  rate?: number;
  /** The scan's size (scans). */
  size?: ScanSize;
  /** The command, bounded; or why it cannot run here. */
  command(context: Context): string[] | { skip: string };
  /** Working directory. */
  cwd?(context: Context): string;
  /** SIGINT it once the receiver has been idle this long after traffic (ms). */
  stopWhenIdleMs?: number;
  /** Whether it runs until `timeout` ends it (exit 124 is then normal). */
  timeBounded?: boolean;
  /** For scans: compare the report with the ports that exist. */
  check?(context: Context, stdout: string): Completeness;
}

/** `deno run` of the repository's CLI, without the update check. */
export function tcpcraftArgs(context: Context, args: string[]): string[] {
  return [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--no-prompt",
    `--config=${context.config}`,
    context.cli,
    ...args,
  ];
}

/** The target range of a scan: `10.200.0.2-10.200.0.N`. */
export function scanRange(context: Context, size: ScanSize): string {
  const hosts = context.network.scanHosts;
  return size.hosts === 1 ? hosts[0]! : `${hosts[0]}-${hosts[size.hosts - 1]}`;
}

function flood(
  id: string,
  label: string,
  command: (context: Context) => string[] | { skip: string },
): Contender {
  return { id, label, group: "flood", command, timeBounded: id === "hping3" };
}

const SEND_FLOOD = [
  "send",
  FLOOD_TARGET,
  "-p",
  String(FLOOD_PORT),
  "--flood",
  "-q",
  "-s",
  "40000",
  "--seq",
  "1",
];

/**
 * The random fields of the random flood: a source from a block (so the IP
 * header is tcpcraft's), a source port and a sequence number per packet.
 */
const RANDOM_FIELDS = [
  "--rand-source",
  "10.201.0.0/16",
  "--rand-sport",
  "--rand-seq",
];

function cBinary(
  context: Context,
  name: string,
  args: string[],
): string[] | { skip: string } {
  if (context.binaries === undefined) {
    return { skip: "the C baselines did not build (see above)" };
  }
  const n = context.network;
  return n.bounded(n.a, context.limit, [
    `${context.binaries}/${name}`,
    ...args,
  ]);
}

/** The flood contenders, in the order a round runs them. */
export function floodContenders(): Contender[] {
  const src = "10.200.0.1";
  return [
    flood("tcpcraft", "tcpcraft send --flood", (c) =>
      c.network.bounded(
        c.network.a,
        c.limit,
        tcpcraftArgs(c, [...SEND_FLOOD, "-c", String(c.count)]),
      )),
    flood("c-raw", "C raw sendmmsg ×64", (c) =>
      cBinary(c, "raw_flood", [
        src,
        FLOOD_TARGET,
        String(FLOOD_PORT),
        String(c.count),
      ])),
    flood(
      "hping3",
      "hping3 --flood",
      (c) =>
        commandExists("hping3")
          ? c.network.bounded(c.network.a, c.duration, [
            "hping3",
            "--flood",
            "-S",
            "-p",
            String(FLOOD_PORT),
            FLOOD_TARGET,
          ])
          : { skip: "hping3 is not installed (apt-get install hping3)" },
    ),
    flood(
      "tcpcraft-step",
      "tcpcraft send --flood, steps",
      (c) =>
        c.network.bounded(
          c.network.a,
          c.limit,
          tcpcraftArgs(c, [
            ...SEND_FLOOD,
            "-c",
            String(c.count),
            "--sport-step",
            "1",
            "--seq-step",
            "1",
          ]),
        ),
    ),
    flood(
      "c-raw-step",
      "C raw sendmmsg ×64, steps",
      (c) =>
        cBinary(c, "raw_flood", [
          src,
          FLOOD_TARGET,
          String(FLOOD_PORT),
          String(c.count),
          "step",
        ]),
    ),
    flood(
      "tcpcraft-rand",
      "tcpcraft send --flood, random",
      (c) =>
        c.network.bounded(
          c.network.a,
          c.limit,
          tcpcraftArgs(c, [
            "send",
            FLOOD_TARGET,
            "-p",
            String(FLOOD_PORT),
            "--flood",
            "-q",
            "-c",
            String(c.count),
            ...RANDOM_FIELDS,
            "--seed",
            "1",
          ]),
        ),
    ),
    flood(
      "c-raw-rand",
      "C raw sendmmsg ×64, random",
      (c) =>
        cBinary(c, "rand_flood", [
          RANDOM_FIELDS[1]!,
          FLOOD_TARGET,
          String(FLOOD_PORT),
          String(c.count),
          "1",
        ]),
    ),
    flood(
      "tcpcraft-link",
      "tcpcraft send --flood -I",
      (c) =>
        c.sendHasInterface
          ? c.network.bounded(
            c.network.a,
            c.limit,
            tcpcraftArgs(c, [
              ...SEND_FLOOD,
              "-c",
              String(c.count),
              "-I",
              c.network.aIface,
            ]),
          )
          : { skip: "tcpcraft send has no -I IFACE (link-layer) option yet" },
    ),
    flood(
      "c-packet",
      "C AF_PACKET sendmmsg ×64",
      (c) =>
        cBinary(c, "packet_flood", [
          c.network.aIface,
          c.network.aMac,
          c.network.bMac,
          src,
          FLOOD_TARGET,
          String(FLOOD_PORT),
          String(c.count),
        ]),
    ),
  ];
}

/**
 * The scan contenders at one asked rate: tcpcraft's scan, masscan's, then
 * tcpcraft's on the link layer (`-I`, AF_PACKET, as masscan sends).
 *
 * @param rate Probes per second asked.
 * @param size Hosts and ports scanned.
 * @returns The three contenders.
 */
export function scanContenders(rate: number, size: ScanSize): Contender[] {
  const tag = formatRate(rate);
  return [
    {
      id: "scan",
      label: `tcpcraft scan --rate ${tag}`,
      group: "scan",
      rate,
      size,
      command: (c) =>
        c.network.bounded(
          c.network.a,
          c.limit,
          tcpcraftArgs(c, tcpcraftScan(c, size, rate)),
        ),
      check: (c, stdout) => checkTcpcraft(c, size, stdout),
    },
    {
      id: "masscan",
      label: `masscan --rate ${tag}`,
      group: "scan",
      rate,
      size,
      command: (c) => {
        if (!commandExists("masscan")) {
          return { skip: "masscan is not installed (apt-get install masscan)" };
        }
        const n = c.network;
        // masscan may not exit after --wait: it is sent SIGINT once the
        // receiver has seen nothing for a while (stopWhenIdleMs), and ended
        // by the time bound at the latest.
        return n.bounded(n.a, c.limit, [
          "masscan",
          scanRange(c, size),
          `-p1-${size.ports}`,
          "--rate",
          String(rate),
          "--adapter",
          n.aIface,
          "--adapter-ip",
          "10.200.0.1",
          "--adapter-mac",
          n.aMac,
          "--router-mac",
          n.bMac,
          "--wait",
          "1",
          "--show",
          "closed",
          "-oL",
          `${c.temp}/masscan-${rate}.txt`,
        ]);
      },
      // masscan writes paused.conf where it runs when interrupted.
      cwd: (c) => c.temp,
      stopWhenIdleMs: 2000,
      timeBounded: true,
      check: (c) => checkMasscan(c, size, `${c.temp}/masscan-${rate}.txt`),
    },
    {
      id: "scan-link",
      label: `tcpcraft scan -I --rate ${tag}`,
      group: "scan",
      rate,
      size,
      command: (c) =>
        c.sendHasInterface
          ? c.network.bounded(
            c.network.a,
            c.limit,
            tcpcraftArgs(c, [
              ...tcpcraftScan(c, size, rate),
              "-I",
              c.network.aIface,
            ]),
          )
          : { skip: "tcpcraft has no -I IFACE (link-layer) option yet" },
      check: (c, stdout) => checkTcpcraft(c, size, stdout),
    },
  ];
}

/**
 * The same-path C baseline of the scans: SYNs from C to every port of the
 * scanned hosts, as fast as `sendmmsg` takes them, each answered by the
 * peer as the scan's probes are (not dropped, as the floods' are).
 *
 * @param size Hosts and ports, those of the fastest scan.
 * @returns The contender.
 */
export function cScanContender(size: ScanSize): Contender {
  return {
    id: "c-scan",
    label: "C raw sendmmsg ×64 to the scanned ports",
    group: "scan",
    size,
    command: (c) =>
      cBinary(c, "raw_scan", [
        "10.200.0.1",
        c.network.scanHosts[0]!,
        String(size.hosts),
        String(size.ports),
        String(size.hosts * size.ports),
      ]),
  };
}

/** The arguments of a tcpcraft scan. */
export function tcpcraftScan(
  context: Context,
  size: ScanSize,
  rate: number,
): string[] {
  return [
    "scan",
    scanRange(context, size),
    "-p",
    `1-${size.ports}`,
    "--rate",
    String(rate),
    "--retries",
    String(context.retries),
    "--timeout",
    "500ms",
    "--seed",
    "1",
    "--format",
    "csv",
    "--no-progress",
  ];
}

/** `200k`, `1M`. */
export function formatRate(rate: number): string {
  if (rate >= 1e6 && rate % 1e5 === 0) return `${rate / 1e6}M`;
  if (rate >= 1e3 && rate % 100 === 0) return `${rate / 1e3}k`;
  return String(rate);
}

/** Compare (host, port, state) reports with the truth. */
function complete(
  size: ScanSize,
  hosts: readonly string[],
  reports: Iterable<[string, number, string]>,
): Completeness {
  const scanned = new Set(hosts.slice(0, size.hosts));
  const seen = new Set<string>();
  let right = 0;
  let wrong = 0;
  let closedRight = 0;
  for (const [host, port, state] of reports) {
    if (!scanned.has(host) || port < 1 || port > size.ports) continue;
    const key = `${host} ${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const truth = OPEN_PORTS.includes(port) ? "open" : "closed";
    if (state === truth) {
      right++;
      if (truth === "closed") closedRight++;
    } else if (state === "open" || state === "closed") {
      wrong++;
    }
  }
  const openScanned = OPEN_PORTS.filter((p) => p <= size.ports).length;
  return {
    expected: size.hosts * size.ports,
    right,
    closedRight,
    closed: size.hosts * (size.ports - openScanned),
    wrong,
  };
}

/** tcpcraft's `--format csv`: `host,port,state,reason,rtt_ms`. */
export function checkTcpcraft(
  context: Context,
  size: ScanSize,
  stdout: string,
): Completeness {
  const rows = function* (): Generator<[string, number, string]> {
    for (const line of stdout.split("\n")) {
      const [host, port, state] = line.split(",");
      if (host === undefined || port === undefined || state === undefined) {
        continue;
      }
      yield [host, Number(port), state];
    }
  };
  return complete(size, context.network.scanHosts, rows());
}

/** masscan's `-oL`: `closed tcp PORT HOST TIME`. */
function checkMasscan(
  context: Context,
  size: ScanSize,
  file: string,
): Completeness {
  let text = "";
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    // no list: nothing reported
  }
  const rows = function* (): Generator<[string, number, string]> {
    for (const line of text.split("\n")) {
      const [state, protocol, port, host] = line.split(" ");
      if (protocol !== "tcp" || port === undefined || host === undefined) {
        continue;
      }
      yield [host, Number(port), state!];
    }
  };
  return complete(size, context.network.scanHosts, rows());
}
