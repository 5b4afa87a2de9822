/**
 * How well `tcpcraft scan --rate` holds the rate asked, next to masscan's
 * `--rate` in the same run.
 *
 * In two private namespaces (tests/_netns.ts), each scanner sends SYNs to
 * closed ports of the peer at several asked rates while tcpdump in the peer
 * records them; the achieved rate is counted on the wire over the middle
 * 80% of the probes (the first and last 10% left out, so start-up and the
 * end do not count): `(probes in the window - 1) / (time from first to
 * last in the window)`. masscan runs when installed (`apt-get install -y
 * masscan`), with `--router-mac` set to the peer's MAC since it writes
 * Ethernet frames itself; when it cannot run, the output says why.
 *
 * Needs Linux, root, `ip`, `tcpdump`. Without them the measurement is
 * skipped (with the reason) and only the `Deno.bench` cases run: the
 * per-probe work of choosing the next (address, port) pair.
 *
 * Run: `deno bench -A bench/scan_rate_bench.ts` (or `deno run -A` for the
 * measurement alone).
 *
 * @module
 */

import {
  parsePorts,
  parseTargetSpec,
  Permutation,
  TargetSpace,
} from "../mod.ts";
import {
  commandExists,
  type Host,
  netnsSkipReason,
  type TestNetwork,
  withNetwork,
} from "../tests/_netns.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const FIRST_PORT = 20000;

/** The asked rates, and how many probes each run sends. */
const RATES: readonly { rate: number; probes: number }[] = [
  { rate: 100, probes: 300 },
  { rate: 1000, probes: 2000 },
  { rate: 5000, probes: 10000 },
  { rate: 20000, probes: 30000 },
];

interface Measure {
  /** Probes captured. */
  probes: number;
  /** The rate over the middle 80%. */
  achieved: number;
  /** How long the scanner ran, start to exit. */
  seconds: number;
}

/** Seconds of the day from tcpdump's `HH:MM:SS.ffffff` at the start of a line. */
function timestamps(lines: string[]): number[] {
  const times: number[] = [];
  let offset = 0;
  for (const line of lines) {
    const m = /^(\d\d):(\d\d):(\d\d\.\d+) IP/.exec(line);
    if (m === null) continue;
    let t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + offset;
    if (times.length > 0 && t < times.at(-1)! - 43200) {
      offset += 86400; // midnight
      t += 86400;
    }
    times.push(t);
  }
  return times;
}

/** The rate over the middle 80% of the probes. */
function windowRate(times: number[]): number {
  const n = times.length;
  const first = Math.floor(n / 10);
  const last = Math.max(first + 1, Math.ceil((n * 9) / 10) - 1);
  if (last >= n) return NaN;
  return (last - first) / (times[last]! - times[first]!);
}

async function macOf(network: TestNetwork, host: Host): Promise<string> {
  const { stdout } = await network.run(host, [
    "ip",
    "-j",
    "link",
    "show",
    "dev",
    host.ifaces[0]!,
  ]);
  return (JSON.parse(stdout) as { address: string }[])[0]!.address;
}

async function measure(
  network: TestNetwork,
  probes: number,
  command: string[],
): Promise<Measure> {
  const { a, b } = network;
  const capture = await network.capture(
    b,
    b.ifaces[0]!,
    `tcp and src host ${a.ipv4} and dst portrange ${FIRST_PORT}-${
      FIRST_PORT + probes - 1
    } and tcp[13] == 2`,
    { count: probes, timeoutMs: 60_000 },
  );
  const started = performance.now();
  await network.run(a, command, { timeoutMs: 120_000 });
  const seconds = (performance.now() - started) / 1000;
  const times = timestamps(await capture.result());
  return { probes: times.length, achieved: windowRate(times), seconds };
}

function tcpcraft(
  network: TestNetwork,
  rate: number,
  probes: number,
): string[] {
  return [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    CLI,
    "scan",
    network.b.ipv4,
    "-p",
    `${FIRST_PORT}-${FIRST_PORT + probes - 1}`,
    "--rate",
    String(rate),
    "--retries",
    "0",
    "--timeout",
    "200ms",
    "--format",
    "csv",
    "--no-progress",
  ];
}

async function masscan(
  network: TestNetwork,
  rate: number,
  probes: number,
): Promise<string[]> {
  return [
    "masscan",
    network.b.ipv4,
    `-p${FIRST_PORT}-${FIRST_PORT + probes - 1}`,
    "--rate",
    String(rate),
    "--adapter",
    network.a.ifaces[0]!,
    "--adapter-ip",
    network.a.ipv4,
    "--adapter-mac",
    await macOf(network, network.a),
    "--router-mac",
    await macOf(network, network.b),
    "--wait",
    "0",
  ];
}

function format(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

async function measureAll(): Promise<void> {
  const skip = netnsSkipReason() ??
    (commandExists("tcpdump") ? undefined : "needs tcpdump");
  if (skip !== undefined) {
    console.log(`scan rate measurement skipped: ${skip}`);
    return;
  }
  const haveMasscan = commandExists("masscan");
  if (!haveMasscan) {
    console.log(
      "masscan is not installed (apt-get install -y masscan): only tcpcraft is measured",
    );
  }
  await withNetwork(async (network) => {
    console.log(
      "asked pps | probes | tcpcraft pps (achieved/asked), run time | masscan pps (achieved/asked), run time | tcpcraft/masscan",
    );
    for (const { rate, probes } of RATES) {
      const ours = await measure(
        network,
        probes,
        tcpcraft(network, rate, probes),
      );
      let theirs: Measure | undefined;
      let note = "";
      if (haveMasscan) {
        try {
          theirs = await measure(
            network,
            probes,
            await masscan(network, rate, probes),
          );
        } catch (error) {
          note = ` (masscan could not run: ${
            error instanceof Error
              ? error.message.split("\n")[0]
              : String(error)
          })`;
        }
      }
      const lost = ours.probes === probes
        ? ""
        : ` [${ours.probes}/${probes} captured]`;
      console.log(
        `${String(rate).padStart(9)} | ${String(probes).padStart(6)} | ${
          format(ours.achieved).padStart(6)
        } (${(ours.achieved / rate).toFixed(3)}), ${
          ours.seconds.toFixed(1)
        } s${lost} | ${
          theirs === undefined
            ? "-"
            : `${format(theirs.achieved).padStart(6)} (${
              (theirs.achieved / rate).toFixed(3)
            }), ${theirs.seconds.toFixed(1)} s`
        } | ${
          theirs === undefined
            ? "-"
            : (ours.achieved / theirs.achieved).toFixed(3)
        }${note}`,
      );
    }
  });
}

await measureAll();

// ------------------------------------------------ the per-probe choice

const block = parseTargetSpec("10.0.0.0/8");
if (block.kind !== "addresses") throw new Error("10.0.0.0/8 is a block");
const space = new TargetSpace([block.range], parsePorts("80,443"));
const order = new Permutation(space.count, { seed: 7 }).shard({
  index: 2,
  count: 3,
});
let j = 0;

Deno.bench(
  "next probe of a sharded /8 scan: Permutation + TargetSpace.at",
  () => {
    const point = space.at(order.at(j));
    j = (j + 1) % order.length;
    if (point.port === 0) throw new Error("unreachable");
  },
);
