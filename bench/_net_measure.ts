/**
 * Measuring one contender of `bench/net.ts`: run its command, sample the
 * receiver's packet counter while it runs, and turn the samples into a
 * steady rate. Optionally sample the resident memory of the process that
 * does the work.
 *
 * The rate is taken over the middle 80% of the packets that arrived (the
 * first and last 10% left out, so start-up — Deno compiling, masscan
 * settling — and the tail do not count): the times at which the counter
 * passed 10% and 90% of its final rise are interpolated between samples.
 *
 * @module
 */

import { type BenchNetwork, childrenOf, type ProcessSet } from "./_net_env.ts";

/** The counter at one moment. */
export interface Sample {
  /** Seconds, on `performance.now()`'s clock. */
  t: number;
  /** Packets received by b so far, since the run began. */
  packets: number;
}

/** Resident memory of the working process at one moment. */
export interface MemorySample {
  /** Seconds since the run began. */
  t: number;
  /** Packets received by b so far, since the run began. */
  packets: number;
  /** `VmRSS`, bytes. */
  rss: number;
  /** `VmHWM` (the peak so far), bytes. */
  hwm: number;
}

/** What one run of a contender measured. */
export interface RunResult {
  /** Packets per second at the receiver, every packet (masscan's RSTs too), middle 80%. */
  allPps: number;
  /**
   * SYNs per second at the receiver over the middle 80% of the run: the
   * steady rate of every packet b received, times the share of them that
   * were SYNs (from nft; 1 without it). NaN when too few arrived.
   */
  pps: number;
  /** Packets b received during the run. */
  packets: number;
  /** SYNs b received during the run (= packets without nft). */
  syns: number;
  /** Packets b dropped on arrival during the run. */
  dropped: number;
  /** Wall time of the command, seconds. */
  seconds: number;
  /** Its exit code (124 and up: ended by `timeout`). */
  code: number;
  stdout: string;
  stderr: string;
  /** Memory samples, when asked for. */
  memory: MemorySample[];
}

/** Options for {@linkcode runContender}. */
export interface RunOptions {
  /** Working directory of the command. */
  cwd?: string;
  /** Sample the memory of the process named this (`deno`), a descendant of the command. */
  memoryOf?: string;
  /** Milliseconds between counter samples (default 10). */
  sampleMs?: number;
  /**
   * Send SIGINT (again each second) once the counter has risen and then
   * stayed still this long: for masscan, which may not exit by itself.
   */
  stopWhenIdleMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The rate over the middle 80% of the packets counted.
 *
 * @param samples Counter samples, in time order.
 * @returns Packets per second, or NaN with fewer than 100 packets.
 */
export function steadyRate(samples: readonly Sample[]): number {
  if (samples.length < 2) return NaN;
  const first = samples[0]!.packets;
  const total = samples.at(-1)!.packets - first;
  if (total < 100) return NaN;
  const timeAt = (level: number): number => {
    for (let i = 1; i < samples.length; i++) {
      const s = samples[i]!;
      if (s.packets < level) continue;
      const p = samples[i - 1]!;
      const rise = s.packets - p.packets;
      return rise === 0
        ? s.t
        : p.t + ((level - p.packets) / rise) * (s.t - p.t);
    }
    return samples.at(-1)!.t;
  };
  const t10 = timeAt(first + 0.1 * total);
  const t90 = timeAt(first + 0.9 * total);
  return t90 > t10 ? (0.8 * total) / (t90 - t10) : NaN;
}

/** Find a descendant of `pid` whose command name is `name`. */
function findDescendant(pid: number, name: string): number | undefined {
  for (const child of childrenOf(pid)) {
    try {
      if (Deno.readTextFileSync(`/proc/${child}/comm`).trim() === name) {
        return child;
      }
    } catch {
      continue;
    }
    const deeper = findDescendant(child, name);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

/** `VmRSS` and `VmHWM` of a process, bytes; undefined once it is gone. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    const rss = kb("VmRSS");
    const hwm = kb("VmHWM");
    return Number.isFinite(rss)
      ? { rss: rss * 1024, hwm: hwm * 1024 }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run a command, sampling b's counter (and memory) until it exits.
 *
 * @param network The bench network.
 * @param processes Where the command is tracked.
 * @param args The command (already bounded with {@linkcode BenchNetwork.bounded}).
 * @param options Working directory, memory sampling, sample period.
 * @returns The rate, counts, output and samples.
 */
export async function runContender(
  network: BenchNetwork,
  processes: ProcessSet,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const sampleMs = options.sampleMs ?? 10;
  const synsBefore = await network.syns();
  const before = await network.rx();
  const started = performance.now();
  const proc = processes.start(args, options.cwd);
  let done = false;
  const output = proc.output.finally(() => done = true);
  const samples: Sample[] = [{ t: started / 1000, packets: 0 }];
  const memory: MemorySample[] = [];
  let worker: number | undefined;
  let lastMemory = 0;
  let lastRise = started;
  let lastInt = 0;
  while (!done) {
    await sleep(sampleMs);
    const rx = await network.rx();
    const now = performance.now();
    const packets = rx.packets - before.packets;
    if (packets !== samples.at(-1)!.packets) lastRise = now;
    samples.push({ t: now / 1000, packets });
    const idle = options.stopWhenIdleMs;
    if (
      idle !== undefined && packets > 0 && now - lastRise >= idle &&
      now - lastInt >= 1000
    ) {
      lastInt = now;
      processes.signal(proc, "SIGINT");
    }
    if (options.memoryOf !== undefined && now - lastMemory >= 50) {
      lastMemory = now;
      worker ??= findDescendant(proc.child.pid, options.memoryOf);
      const m = worker === undefined ? undefined : memoryOf(worker);
      if (m !== undefined) {
        memory.push({ t: (now - started) / 1000, packets, ...m });
      }
    }
  }
  const result = await output;
  // Packets still in flight when the command exits land within a few ms.
  await sleep(30);
  const after = await network.rx();
  samples.push({
    t: performance.now() / 1000,
    packets: after.packets - before.packets,
  });
  const packets = after.packets - before.packets;
  const synsAfter = await network.syns();
  const syns = synsBefore === undefined || synsAfter === undefined
    ? packets
    : synsAfter - synsBefore;
  const allPps = steadyRate(samples);
  return {
    allPps,
    pps: packets === 0 ? NaN : allPps * Math.min(1, syns / packets),
    packets,
    syns,
    dropped: after.dropped - before.dropped,
    seconds: (performance.now() - started) / 1000,
    code: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
    memory,
  };
}
