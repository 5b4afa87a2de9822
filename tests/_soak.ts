/**
 * No leaks under load: what runs inside a namespace (as an agent of
 * tests/_netns.ts) while open file descriptors and resident memory are
 * sampled, and how the samples are judged.
 *
 * - `load`: SYNs to the peer's closed ports from send slots (`sendmmsg`),
 *   the peer's RSTs drained from the receive ring (`recvmmsg`) and waited
 *   for with `poll` (a nonblocking FFI call), until `packets` are sent;
 *   then `sockets` raw and packet sockets opened and closed, each kind in
 *   turn (raw TCP and ICMP, IPv4 and IPv6, a receiver's pair, a sniffer's
 *   packet socket with a kernel BPF program);
 * - `retained`: polls and name lookups in flight while the garbage
 *   collector runs again and again: each call's buffers stay held until
 *   its promise settles, and none after.
 *
 * The agent runs with {@linkcode SOAK_V8_FLAGS}: the collector can be
 * forced before each sample, so a sample counts what is alive, and V8's
 * young generation is capped at 1 MiB. Left alone, that generation grows
 * to tens of MiB under the churn of short-lived buffers (10,000 sockets
 * opened and closed take the resident set from 100 to 127 MiB, then it
 * stays), which would hide a leak in a short run or mimic one; a leak is
 * memory that survives collections, which the cap does not change.
 *
 * "Flat" (see {@linkcode flatness}): the descriptors through a phase stay
 * those it started with (±2, for the runtime's own, such as a lazily
 * opened timer), and resident memory at the end is within 16 MiB (or 10%,
 * if more) of its highest in the first fifth of the phase, once the heap
 * and the JIT have warmed up. A leak of more than 17 bytes a packet over a
 * million packets, or of 1.7 KiB a socket over ten thousand sockets, fails
 * it; a leaked socket or descriptor fails it at any size.
 *
 * @module
 */

import { compilePacketFilter, parseAddress, TCP_FLAGS } from "../mod.ts";
import { RawSocket, Receiver, Sniffer } from "../ffi/mod.ts";
import { resolveHost } from "../ffi/resolve.ts";
import { buffersInFlight } from "../ffi/_libc.ts";
import { ProbeTemplate } from "../src/engine/scan/template.ts";
import { openRawSockets } from "./_leaks.ts";
import { agentMain, openFdCount } from "./_netns.ts";

/** The V8 flags the load's agent runs with (see the module documentation). */
export const SOAK_V8_FLAGS = "--v8-flags=--expose-gc,--max-semi-space-size=1";

/** One sample: what was done so far, the descriptors, the resident set. */
export interface Sample {
  phase: "packets" | "sockets";
  done: number;
  fds: number;
  rssKiB: number;
}

/** What `load` reports. */
export interface LoadResult {
  sent: number;
  received: number;
  dropped: number;
  polls: number;
  socketsOpened: number;
  samples: Sample[];
  /** Descriptors before anything was opened, and at the very end. */
  fdsBefore: number;
  fdsAfter: number;
  /** What the descriptors open at the end but not before point at. */
  newFds: string[];
  /** Raw and packet sockets still open at the end. */
  left: ReturnType<typeof openRawSockets>;
  /** Nonblocking calls whose buffers are still held at the end. */
  inFlight: number;
  seconds: number;
}

/** The resident set of this process, KiB (`VmRSS`). */
export function residentKiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

const SPORT = 46000;

/** What each open descriptor points at. */
function fdTargets(): string[] {
  const targets: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      targets.push(Deno.readLinkSync(`/proc/self/fd/${entry.name}`));
    } catch {
      // the directory's own descriptor, closed meanwhile
    }
  }
  return targets;
}

/** Send `packets` SYNs and drain the RSTs, then open and close `sockets` sockets. */
export async function load(args: {
  src: string;
  dst: string;
  dst6: string;
  packets: number;
  sockets: number;
  samples: number;
}): Promise<LoadResult> {
  const started = performance.now();
  const samples: Sample[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = (phase: Sample["phase"], done: number) => {
    gc?.();
    samples.push({ phase, done, fds: openFdCount(), rssKiB: residentKiB() });
  };
  const fdsBefore = openFdCount();
  const targetsBefore = fdTargets();
  const receiver = Receiver.open({
    family: 4,
    headerIncluded: true,
    receiveBufferBytes: 8 << 20,
  });
  let sent = 0;
  let received = 0;
  let polls = 0;
  let dropped = 0;
  try {
    const template = new ProbeTemplate(4, args.src, SPORT, TCP_FLAGS.syn);
    const slots = 256;
    const ring = receiver.openSendRing({ slots, slotBytes: template.length });
    const d = parseAddress(args.dst).bytes;
    const dst = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
    for (const slot of ring.slots) template.prepare(slot);
    const count = () => received++;
    const every = Math.max(1, Math.floor(args.packets / slots / args.samples));
    sample("packets", 0);
    for (let batch = 0; sent < args.packets; batch++) {
      const n = Math.min(slots, args.packets - sent);
      for (let i = 0; i < n; i++) {
        // Ports 1..60000 of the peer, all closed: each SYN gets a RST.
        const port = 1 + ((sent + i) % 60000);
        template.writeV4(ring.slots[i]!, dst, port, sent + i, 0);
      }
      ring.send(n, template.length);
      sent += n;
      receiver.drain(count);
      if (batch % 16 === 15) {
        // Wait for the answers on a worker thread (nonblocking poll).
        received += (await receiver.poll(1)).tcp.length;
        polls++;
        receiver.drain(count);
      }
      if (batch % every === every - 1) sample("packets", sent);
    }
    for (let quiet = 0; quiet < 5 && received < sent;) {
      const batch = await receiver.poll(100);
      polls++;
      const got = batch.tcp.length + receiver.drain(count);
      received += batch.tcp.length;
      quiet = got === 0 ? quiet + 1 : 0;
    }
    dropped = receiver.drops();
    sample("packets", sent);
  } finally {
    receiver.close();
  }
  const program = compilePacketFilter({ protocols: ["tcp"], port: [1] });
  const opens: (() => { close(): void })[] = [
    () => RawSocket.open({ family: 4 }),
    () => RawSocket.open({ family: 6, headerIncluded: true }),
    () => RawSocket.open({ family: 4, protocol: 1 }),
    () => Receiver.open({ family: 6, headerIncluded: true }),
    () => Sniffer.open({ program }),
  ];
  const every = Math.max(1, Math.floor(args.sockets / args.samples));
  sample("sockets", 0);
  let opened = 0;
  for (let i = 0; i < args.sockets; i++) {
    const socket = opens[i % opens.length]!();
    opened++;
    socket.close();
    if (i % every === every - 1) sample("sockets", i + 1);
  }
  return {
    sent,
    received,
    dropped,
    polls,
    socketsOpened: opened,
    samples,
    fdsBefore,
    fdsAfter: openFdCount(),
    newFds: fdTargets().filter((t) => !targetsBefore.includes(t)),
    left: openRawSockets(),
    inFlight: buffersInFlight().length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** What `retained` reports. */
export interface RetainedResult {
  /** Calls in flight at once, and how many held their buffers while running. */
  calls: number;
  heldWhileRunning: number;
  /** Garbage collections forced while they ran. */
  collections: number;
  /** What the lookups found, and the polls' results. */
  resolved: string[];
  polled: number;
  /** Calls whose buffers are still held once every promise settled. */
  heldAfter: number;
}

/**
 * Polls and lookups in flight while the garbage collector runs (the agent
 * runs with `--v8-flags=--expose-gc`).
 */
export async function retained(
  args: { rounds: number },
): Promise<RetainedResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error(`run with ${SOAK_V8_FLAGS}`);
  const receiver = Receiver.open({ family: 4, headerIncluded: true });
  let calls = 0;
  let held = 0;
  let collections = 0;
  let polled = 0;
  const resolved = new Set<string>();
  try {
    for (let round = 0; round < args.rounds; round++) {
      // The promises are all the test keeps: the buffers are the FFI layer's.
      const pending = [
        ...Array.from({ length: 4 }, () => receiver.poll(30)),
      ];
      const lookups = [resolveHost("localhost"), resolveHost("localhost")];
      calls += pending.length + lookups.length;
      await new Promise((r) => setTimeout(r, 1));
      held += buffersInFlight().length;
      for (let i = 0; i < 5; i++) {
        gc();
        collections++;
        await new Promise((r) => setTimeout(r, 2));
      }
      for (const batch of await Promise.all(pending)) {
        polled += batch.tcp.length + batch.icmp.length + 1;
      }
      for (const addresses of await Promise.all(lookups)) {
        for (const address of addresses) resolved.add(address);
      }
    }
  } finally {
    receiver.close();
  }
  return {
    calls,
    heldWhileRunning: held,
    collections,
    resolved: [...resolved].sort(),
    polled,
    heldAfter: buffersInFlight().length,
  };
}

/** How flat a phase's samples are. */
export interface Flatness {
  phase: Sample["phase"];
  fdsFirst: number;
  fdsLast: number;
  fdsMax: number;
  /** Resident set after warm-up (the highest of the first fifth), and at the end, KiB. */
  rssWarm: number;
  rssLast: number;
  rssMax: number;
  /** Whether the phase is flat as the module documentation defines it. */
  flat: boolean;
}

/**
 * Judge the samples of a phase: flat descriptors (±2) and resident memory
 * that ends within max(16 MiB, 10%) of its warmed-up level.
 *
 * @param samples Every sample.
 * @param phase The phase.
 * @returns The figures and the verdict.
 */
export function flatness(
  samples: readonly Sample[],
  phase: Sample["phase"],
): Flatness {
  const of = samples.filter((s) => s.phase === phase);
  const warm = of.slice(0, Math.max(1, Math.ceil(of.length / 5)));
  const rssWarm = Math.max(...warm.map((s) => s.rssKiB));
  const last = of.at(-1)!;
  const fdsMax = Math.max(...of.map((s) => s.fds));
  const tolerance = Math.max(16 * 1024, rssWarm / 10);
  return {
    phase,
    fdsFirst: of[0]!.fds,
    fdsLast: last.fds,
    fdsMax,
    rssWarm,
    rssLast: last.rssKiB,
    rssMax: Math.max(...of.map((s) => s.rssKiB)),
    flat: Math.abs(last.fds - of[0]!.fds) <= 2 && fdsMax - of[0]!.fds <= 2 &&
      last.rssKiB - rssWarm <= tolerance,
  };
}

if (import.meta.main) await agentMain({ load, retained });
