/**
 * The memory part of `bench/net.ts`: the resident memory of a large scan
 * (8 hosts × 65,535 ports by default) and of a long flood (10 million
 * packets) sampled from `/proc/PID/status` while they run, next to Deno's
 * own baseline (an empty program that waits) measured the same way in the
 * same run.
 *
 * @module
 */

import {
  checkTcpcraft,
  type Completeness,
  type Context,
  type ScanSize,
  tcpcraftArgs,
  tcpcraftScan,
} from "./_net_contenders.ts";
import { FLOOD_PORT, FLOOD_TARGET, type ProcessSet } from "./_net_env.ts";
import { type MemorySample, runContender } from "./_net_measure.ts";

/** What the memory measurement found. */
export interface MemoryResult {
  size: ScanSize;
  rate: number;
  /** Peak resident memory (`VmHWM`) of an empty Deno program, bytes. */
  baseline: number;
  /** Peak resident memory of the scan, bytes. */
  peak: number;
  /** Growth of `VmRSS` per probe between 25% and 95% of the probes, bytes. */
  perProbe: number;
  /** SYNs per second at the receiver during the scan. */
  pps: number;
  completeness: Completeness;
  samples: MemorySample[];
  /** The flood: packets sent, its peak resident memory, its rate at the receiver. */
  flood: { packets: number; peak: number; pps: number; perPacket: number };
}

/** The greatest `VmHWM` seen, or NaN. */
function peakOf(samples: readonly MemorySample[]): number {
  return samples.length === 0 ? NaN : Math.max(...samples.map((s) => s.hwm));
}

/**
 * RSS growth per probe between the first sample past 25% of the probes and
 * the last one before 95%: flat memory gives about 0.
 */
export function growthPerProbe(
  samples: readonly MemorySample[],
  probes: number,
): number {
  const from = samples.find((s) => s.packets >= 0.25 * probes);
  const to = samples.findLast((s) => s.packets <= 0.95 * probes);
  if (from === undefined || to === undefined || to.packets <= from.packets) {
    return NaN;
  }
  return (to.rss - from.rss) / (to.packets - from.packets);
}

/**
 * Measure Deno's baseline, then the large scan.
 *
 * @param context The bench context.
 * @param processes Where the commands are tracked.
 * @param size Hosts and ports of the scan.
 * @param rate Its asked rate.
 * @returns Peaks, growth per probe, the scan's rate and completeness.
 */
export async function measureMemory(
  context: Context,
  processes: ProcessSet,
  size: ScanSize,
  rate: number,
  floodPackets: number,
): Promise<MemoryResult> {
  const n = context.network;
  const idle = await runContender(
    n,
    processes,
    n.bounded(n.a, 20, [
      "env",
      "DENO_NO_UPDATE_CHECK=1",
      Deno.execPath(),
      "eval",
      "await new Promise((resolve) => setTimeout(resolve, 1500));",
    ]),
    { memoryOf: "deno", sampleMs: 20 },
  );
  const scan = await runContender(
    n,
    processes,
    n.bounded(
      n.a,
      context.limit,
      tcpcraftArgs(context, tcpcraftScan(context, size, rate)),
    ),
    { memoryOf: "deno", sampleMs: 20 },
  );
  const flood = await runContender(
    n,
    processes,
    n.bounded(
      n.a,
      Math.max(context.limit, 120),
      tcpcraftArgs(context, [
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
        "--sport-step",
        "1",
        "-c",
        String(floodPackets),
      ]),
    ),
    { memoryOf: "deno", sampleMs: 20 },
  );
  return {
    size,
    rate,
    flood: {
      packets: floodPackets,
      peak: peakOf(flood.memory),
      pps: flood.pps,
      perPacket: growthPerProbe(flood.memory, floodPackets),
    },
    baseline: peakOf(idle.memory),
    peak: peakOf(scan.memory),
    perProbe: growthPerProbe(scan.memory, size.hosts * size.ports),
    pps: scan.pps,
    completeness: checkTcpcraft(context, size, scan.stdout),
    samples: scan.memory,
  };
}

/** Lines describing a memory result. */
export function memoryLines(m: MemoryResult): string[] {
  const mb = (bytes: number) =>
    Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(1)} MB` : "-";
  const probes = m.size.hosts * m.size.ports;
  const c = m.completeness;
  return [
    `scan of ${m.size.hosts} hosts × ${m.size.ports} ports (${probes} probes) at --rate ${m.rate}: ${
      (m.pps / 1000).toFixed(1)
    } kpps at the receiver, ${
      (100 * c.right / c.expected).toFixed(2)
    }% reported right`,
    `  Deno baseline (empty program), peak RSS  ${mb(m.baseline)}`,
    `  scan, peak RSS (VmHWM)                   ${mb(m.peak)}`,
    `  scan over baseline                       ${
      mb(m.peak - m.baseline)
    } (target <= 40 MB: ${m.peak - m.baseline <= 40e6 ? "meets" : "misses"})`,
    `  RSS growth from 25% to 95% of probes     ${
      Number.isFinite(m.perProbe) ? `${m.perProbe.toFixed(1)} B/probe` : "-"
    } (${m.samples.length} samples)`,
    `flood of ${m.flood.packets} packets (--sport-step 1): ${
      (m.flood.pps / 1000).toFixed(1)
    } kpps at the receiver`,
    `  flood, peak RSS (VmHWM)                  ${mb(m.flood.peak)} (${
      mb(m.flood.peak - m.baseline)
    } over baseline)`,
    `  RSS growth from 25% to 95% of packets    ${
      Number.isFinite(m.flood.perPacket)
        ? `${m.flood.perPacket.toFixed(3)} B/packet`
        : "-"
    }`,
  ];
}
