/**
 * `deno task bench:net`: tcpcraft's `send --flood` and `scan` on the wire,
 * next to C raw-socket and AF_PACKET `sendmmsg` loops, `hping3 --flood`
 * and `masscan`, all in one interleaved run (A B C … A B C …) between two
 * private network namespaces joined by a veth pair. Packets are counted
 * at the receiver by the kernel; what is reported are medians over the
 * rounds and ratios taken within each round, because the machine is
 * shared and noisy. Also checks that scans report every port with its
 * true state, and samples the resident memory of a large scan.
 *
 * Needs Linux, root, `ip`, `ethtool`; uses `nft`, `gcc`, `hping3` and
 * `masscan` when they are installed and says what it skips when not.
 * Nothing is sent outside the namespaces, which are removed at the end,
 * on errors and on Ctrl-C.
 *
 * Run `deno task bench:net --help` for the options.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { commandExists, netnsSkipReason } from "../tests/_netns.ts";
import {
  type Contender,
  type Context,
  cScanContender,
  floodContenders,
  formatRate,
  OPEN_PORTS,
  scanContenders,
  type ScanSize,
} from "./_net_contenders.ts";
import { BenchNetwork, ProcessSet } from "./_net_env.ts";
import {
  measureMemory,
  memoryLines,
  type MemoryResult,
} from "./_net_memory.ts";
import { runContender } from "./_net_measure.ts";
import {
  completenessTable,
  kpps,
  ratesTable,
  type RatioResult,
  ratios,
  type RatioSpec,
  ratiosTable,
  type Round,
  type RunRecord,
  summarize,
} from "./_net_report.ts";
import { type Bar, barChart, type Panel } from "./_svg.ts";

const HELP =
  `bench:net: tcpcraft's flood and scan on the wire, against C, hping3 and masscan

USAGE:
    deno task bench:net [OPTIONS]

OPTIONS:
    -h, --help            print this help
        --quick           1 round, small counts, two scan rates, a small memory scan
        --rounds N        rounds of every contender, interleaved (default 3)
        --count N         packets of each count-bounded flood (default 500000)
        --duration S      seconds hping3 floods (default 2)
        --rates LIST      scan rates asked, comma separated (default 10000,50000,100000,200000,1000000)
        --scan-seconds S  probes per scan: the asked rate × S (default 1), within 2000..--max-probes
        --max-probes N    most probes of one scan (default 262144)
        --retries N       tcpcraft scan --retries (default 0: completeness without second chances)
        --memory-ports N  ports per host of the memory scan (default 65535; 0: no memory scan)
        --memory-hosts N  hosts of the memory scan, 1..8 (default 8)
        --limit S         seconds after which any contender is ended (default 60)
        --only LIST       run only these contenders (comma separated)
        --skip LIST       leave these out
        --svg PATH        where to write the chart (default bench/net.svg)

CONTENDERS:
    tcpcraft, c-raw, hping3, tcpcraft-step, c-raw-step, tcpcraft-rand,
    c-raw-rand, tcpcraft-link, c-packet  (floods)
    scan, masscan, scan-link  (one each per asked rate), memory  (the RSS of
    the large scan and of a 10-million-packet flood)
`;

interface Options {
  rounds: number;
  count: number;
  duration: number;
  rates: number[];
  scanSeconds: number;
  maxProbes: number;
  retries: number;
  memoryPorts: number;
  memoryHosts: number;
  limit: number;
  only: Set<string> | undefined;
  skip: Set<string>;
  svg: string;
  quick: boolean;
}

function usage(message: string): never {
  console.error(`error: ${message}\nhint: deno task bench:net --help`);
  Deno.exit(2);
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        help: { type: "boolean", short: "h" },
        quick: { type: "boolean" },
        rounds: { type: "string" },
        count: { type: "string" },
        duration: { type: "string" },
        rates: { type: "string" },
        "scan-seconds": { type: "string" },
        "max-probes": { type: "string" },
        retries: { type: "string" },
        "memory-ports": { type: "string" },
        "memory-hosts": { type: "string" },
        limit: { type: "string" },
        only: { type: "string" },
        skip: { type: "string" },
        svg: { type: "string" },
      },
    });
  } catch (error) {
    usage((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const quick = v.quick === true;
  const num = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) {
      usage(`Cannot use --${name} ${text}: must be a number >= 0`);
    }
    return n;
  };
  const list = (text: string | undefined) =>
    text === undefined ? undefined : new Set(text.split(",").filter(Boolean));
  const rates =
    (v.rates ?? (quick ? "50000,1000000" : "10000,50000,100000,200000,1000000"))
      .split(",").map((r) => num("rates", r, 0)).filter((r) => r > 0);
  if (rates.length === 0) usage("Cannot use --rates: no rate above 0");
  const memoryHosts = num("memory-hosts", v["memory-hosts"], 8);
  if (memoryHosts < 1 || memoryHosts > 8) {
    usage(`Cannot use --memory-hosts ${memoryHosts}: must be 1..8`);
  }
  return {
    rounds: Math.max(1, Math.round(num("rounds", v.rounds, quick ? 1 : 3))),
    count: Math.round(num("count", v.count, quick ? 100_000 : 500_000)),
    duration: num("duration", v.duration, quick ? 1 : 2),
    rates,
    scanSeconds: num("scan-seconds", v["scan-seconds"], quick ? 0.5 : 1),
    maxProbes: num("max-probes", v["max-probes"], quick ? 65536 : 262144),
    retries: Math.round(num("retries", v.retries, 0)),
    memoryPorts: Math.min(
      65535,
      Math.round(num("memory-ports", v["memory-ports"], quick ? 4096 : 65535)),
    ),
    memoryHosts,
    limit: num("limit", v.limit, 60),
    only: list(v.only),
    skip: list(v.skip) ?? new Set(),
    svg: v.svg ?? new URL("./net.svg", import.meta.url).pathname,
    quick,
  };
}

/** The hosts and ports of a scan of about `probes` probes. */
function scanSize(probes: number): ScanSize {
  const hosts = Math.min(8, Math.ceil(probes / 65535));
  return { hosts, ports: Math.min(65535, Math.ceil(probes / hosts)) };
}

/** The size of the scan at one asked rate. */
function scanSizeAt(options: Options, rate: number): ScanSize {
  return scanSize(
    Math.min(options.maxProbes, Math.max(2000, rate * options.scanSeconds)),
  );
}

/** Build the C baselines into `dir`; undefined (and why) when gcc cannot. */
async function buildC(dir: string): Promise<string | undefined> {
  if (!commandExists("gcc")) {
    console.log("skipped: the C baselines: gcc is not installed");
    return undefined;
  }
  for (const name of ["raw_flood", "rand_flood", "packet_flood", "raw_scan"]) {
    const source = new URL(`./c/${name}.c`, import.meta.url).pathname;
    const out = await new Deno.Command("gcc", {
      args: ["-O2", "-Wall", "-Wextra", "-o", `${dir}/${name}`, source],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      console.log(
        `skipped: the C baselines: gcc failed on ${name}.c:\n${
          new TextDecoder().decode(out.stderr)
        }`,
      );
      return undefined;
    }
  }
  return dir;
}

async function sendHasInterface(cli: string): Promise<boolean> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", cli, "send", "--help"],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  return /(^|\s)-I[,\s]/m.test(new TextDecoder().decode(out.stdout));
}

/** The ratios reported, by contender label. */
function ratioSpecs(labels: Map<string, string>, rates: number[]): RatioSpec[] {
  const l = (id: string) => labels.get(id) ?? id;
  const specs: RatioSpec[] = [
    {
      label: "send --flood / C sendmmsg",
      of: l("tcpcraft"),
      to: l("c-raw"),
      target: { min: 0.95 },
    },
    {
      label: "send --flood / hping3 --flood",
      of: l("tcpcraft"),
      to: l("hping3"),
      target: { min: 1.4 },
    },
    {
      label: "send --flood steps / C steps",
      of: l("tcpcraft-step"),
      to: l("c-raw-step"),
      target: { min: 0.9 },
    },
    {
      label: "send --flood random / C random",
      of: l("tcpcraft-rand"),
      to: l("c-raw-rand"),
      target: { min: 0.9 },
    },
    {
      label: "send --flood -I / send --flood",
      of: l("tcpcraft-link"),
      to: l("tcpcraft"),
    },
    { label: "C AF_PACKET / C raw socket", of: l("c-packet"), to: l("c-raw") },
  ];
  for (const rate of rates) {
    const [scan, masscan, link] = scanContenders(rate, { hosts: 1, ports: 1 });
    specs.push(
      {
        label: `scan -I ${formatRate(rate)} / masscan ${formatRate(rate)}`,
        of: link!.label,
        to: masscan!.label,
        target: { min: 1.2 },
      },
      {
        label: `scan -I ${formatRate(rate)} / scan ${formatRate(rate)}`,
        of: link!.label,
        to: scan!.label,
      },
      {
        label: `scan ${formatRate(rate)}: achieved / asked`,
        of: scan!.label,
        to: rate,
        target: { min: 0.95, max: 1.05 },
      },
      {
        label: `scan ${formatRate(rate)} / masscan ${formatRate(rate)}`,
        of: scan!.label,
        to: masscan!.label,
        target: { min: 1.2 },
      },
    );
  }
  const [top, , topLink] = scanContenders(Math.max(...rates), {
    hosts: 1,
    ports: 1,
  });
  specs.push({
    label: `scan ${formatRate(Math.max(...rates))} / C to the scanned ports`,
    of: top!.label,
    to: l("c-scan"),
    target: { min: 0.75 },
  }, {
    label: `scan -I ${formatRate(Math.max(...rates))} / C to the scanned ports`,
    of: topLink!.label,
    to: l("c-scan"),
    target: { min: 0.75 },
  }, {
    label: `scan ${formatRate(Math.max(...rates))} / C sendmmsg`,
    of: top!.label,
    to: l("c-raw"),
    target: { min: 0.75 },
  }, {
    label: `scan -I ${formatRate(Math.max(...rates))} / C sendmmsg`,
    of: topLink!.label,
    to: l("c-raw"),
    target: { min: 0.75 },
  });
  return specs;
}

function chart(
  path: string,
  subtitle: string,
  contenders: Contender[],
  rounds: Round[],
  results: RatioResult[],
): void {
  const kind = (c: Contender): Bar["kind"] =>
    c.id.startsWith("tcpcraft") || c.id.startsWith("scan")
      ? "tcpcraft"
      : c.id.startsWith("c-")
      ? "baseline"
      : "other";
  const bars = (group: Contender["group"]) =>
    contenders.filter((c) => c.group === group).map((c): Bar => {
      const s = summarize(rounds.map((r) => r.get(c.label)?.pps ?? NaN));
      return {
        label: c.label,
        value: s.median / 1000,
        min: s.min / 1000,
        max: s.max / 1000,
        ...(c.rate === undefined ? {} : { target: c.rate / 1000 }),
        kind: kind(c),
      };
    });
  const panels: Panel[] = [
    {
      title: "send --flood: SYNs at the receiver",
      unit: "kpps",
      bars: bars("flood"),
    },
    {
      title: "scan: SYNs at the receiver (red: asked rate)",
      unit: "kpps",
      bars: bars("scan"),
    },
    {
      title: "ratios, median of per-round ratios (red: target)",
      unit: "×",
      digits: 2,
      bars: results.map((r) => ({
        label: r.spec.label,
        value: r.summary.median,
        min: r.summary.min,
        max: r.summary.max,
        ...(r.spec.target?.min === undefined
          ? {}
          : { target: r.spec.target.min }),
        kind: r.spec.of.startsWith("C ")
          ? "baseline" as const
          : "tcpcraft" as const,
      })),
    },
  ];
  Deno.mkdirSync(new URL(".", `file://${path}`).pathname, { recursive: true });
  Deno.writeTextFileSync(
    path,
    barChart("tcpcraft bench:net", subtitle, panels),
  );
  // In the repository (.github/perf.svg) it must pass `deno fmt --check`.
  new Deno.Command(Deno.execPath(), {
    args: ["fmt", "-q", path],
    stdout: "null",
    stderr: "null",
  }).outputSync();
}

function machine(): string {
  const kernel = Deno.osRelease();
  return `Linux ${kernel}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}`;
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const skip = netnsSkipReason() ??
    (commandExists("ethtool") ? undefined : "needs ethtool");
  if (skip !== undefined) {
    console.log(`bench:net skipped: ${skip}`);
    return;
  }
  const wanted = (id: string) =>
    (options.only === undefined || options.only.has(id)) &&
    !options.skip.has(id);
  const processes = new ProcessSet();
  const temp = await Deno.makeTempDir({ prefix: "tcpcraft-bench-" });
  let creating: Promise<BenchNetwork> | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    cleaning ??= (async () => {
      await processes.stopAll();
      const network = await creating?.catch(() => undefined);
      await network?.destroy();
      await Deno.remove(temp, { recursive: true }).catch(() => {});
    })();
  const onSignal = (name: Deno.Signal, code: number) => () => {
    console.error(
      `\n${name}: stopping the contenders, removing the namespaces`,
    );
    cleanup().finally(() => Deno.exit(code));
  };
  const handlers = [
    ["SIGINT", onSignal("SIGINT", 130)],
    ["SIGTERM", onSignal("SIGTERM", 143)],
  ] as const;
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    await run(options, wanted, processes, temp, (p) => creating = p);
  } finally {
    await cleanup();
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
}

/** Run one contender once: its record, and a line saying what it did. */
async function runOne(
  context: Context,
  processes: ProcessSet,
  c: Contender,
): Promise<RunRecord & { line: string }> {
  const command = c.command(context) as string[];
  const result = await runContender(context.network, processes, command, {
    ...(c.cwd === undefined ? {} : { cwd: c.cwd(context) }),
    ...(c.stopWhenIdleMs === undefined
      ? {}
      : { stopWhenIdleMs: c.stopWhenIdleMs }),
  });
  const completeness = c.check?.(context, result.stdout);
  const notes: string[] = [];
  // A time-bounded contender is ended by timeout: 124, or 137 when it
  // ignored SIGINT for 3 s (masscan waiting for replies that never come).
  const ended = result.code === 124 || result.code === 137;
  if (result.code !== 0 && !(c.timeBounded && ended)) {
    // masscan's status line is rewritten with \r: keep its last state.
    const last = result.stderr.trim().split(/[\r\n]/).at(-1)?.trim() ?? "";
    notes.push(
      result.code === 124
        ? `ended by the ${context.limit} s limit`
        : `exit ${result.code}: ${last.slice(0, 100)}`,
    );
  }
  if (result.dropped > 0) {
    notes.push(`${result.dropped} dropped at the receiver`);
  }
  if (completeness !== undefined) {
    const percent = (100 * completeness.right) / completeness.expected;
    notes.push(`${percent.toFixed(2)}% reported right`);
  }
  const line = `${c.label.padEnd(34)} ${kpps(result.pps).padStart(7)} kpps  ${
    String(result.syns).padStart(8)
  } SYNs  ${result.seconds.toFixed(1)} s${
    notes.length === 0 ? "" : `  (${notes.join("; ")})`
  }`;
  return {
    pps: result.pps,
    allPps: result.allPps,
    syns: result.syns,
    code: result.code,
    ...(completeness === undefined ? {} : { completeness }),
    line,
  };
}

async function run(
  options: Options,
  wanted: (id: string) => boolean,
  processes: ProcessSet,
  temp: string,
  creating: (p: Promise<BenchNetwork>) => void,
): Promise<void> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const config = new URL("../deno.json", import.meta.url).pathname;
  const binaries = await buildC(temp);
  const hasInterface = await sendHasInterface(cli);
  const created = BenchNetwork.create(processes, 8);
  creating(created);
  const network = await created;
  const context: Context = {
    network,
    cli,
    config,
    binaries,
    temp,
    count: options.count,
    duration: options.duration,
    limit: options.limit,
    retries: options.retries,
    sendHasInterface: hasInterface,
  };
  for (const port of OPEN_PORTS) {
    await network.net.listen(network.b, port, {
      connections: 1,
      lifetimeMs: 6 * 3600_000,
    });
  }
  const all = [
    ...floodContenders(),
    ...options.rates.flatMap((rate) =>
      scanContenders(rate, scanSizeAt(options, rate))
    ),
    cScanContender(scanSizeAt(options, Math.max(...options.rates))),
  ].filter((c) => wanted(c.id));
  const runnable: Contender[] = [];
  for (const c of all) {
    const command = c.command(context);
    if ("skip" in command) console.log(`skipped: ${c.label}: ${command.skip}`);
    else runnable.push(c);
  }
  const header =
    `${machine()}; ${options.rounds} round(s); floods of ${options.count} packets (hping3: ${options.duration} s); scan --retries ${options.retries}`;
  console.log(header);
  console.log(
    `receiver: ${network.b.ns} ${network.bIface}; SYNs counted by ${
      network.nft
        ? "nft at b's prerouting (floods dropped there)"
        : "rx_packets (no nft: floods answered with RSTs)"
    }; checksum, segmentation and receive offloads off`,
  );
  const rounds: Round[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const round: Round = new Map();
    rounds.push(round);
    for (const c of runnable) {
      const record = await runOne(context, processes, c);
      round.set(c.label, record);
      console.log(`round ${r + 1}/${options.rounds}  ${record.line}`);
    }
  }
  let memory: MemoryResult | undefined;
  if (wanted("memory") && options.memoryPorts > 0) {
    const size = { hosts: options.memoryHosts, ports: options.memoryPorts };
    console.log(`memory: scanning ${size.hosts} hosts × ${size.ports} ports…`);
    memory = await measureMemory(
      context,
      processes,
      size,
      Math.max(...options.rates),
      options.quick ? 1_000_000 : 10_000_000,
    );
  }
  const labels = new Map(runnable.map((c) => [c.id, c.label]));
  const results = ratios(ratioSpecs(labels, options.rates), rounds);
  const labelsInOrder = runnable.map((c) => c.label);
  console.log(`\n${header}\n`);
  console.log(ratesTable(labelsInOrder, rounds));
  if (runnable.some((c) => c.id === "masscan")) {
    console.log(
      "masscan answers every RST with an RST and counts those in its --rate: its SYNs are about half its packets, and the scan ratios compare SYNs (probes)",
    );
  }
  console.log(`\n${ratiosTable(results)}`);
  const scans = runnable.filter((c) => c.group === "scan").map((c) => c.label);
  if (scans.length > 0) console.log(`\n${completenessTable(scans, rounds)}`);
  if (memory !== undefined) console.log(`\n${memoryLines(memory).join("\n")}`);
  chart(options.svg, header, runnable, rounds, results);
  console.log(`\nchart: ${options.svg}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.stack : error}`);
    Deno.exit(1);
  }
}
