/**
 * The bench network of `bench/net.ts`: the two namespaces of
 * `tests/_netns.ts` (a 10.200.0.1 ── veth ── b 10.200.0.2), with more
 * addresses on b to scan, a flood target whose packets b drops as they
 * arrive, offloads off, and the receiver's packet counter read from the
 * kernel. Also the processes the bench starts, tracked by id so that
 * every one of them is ended on the way out, Ctrl-C included.
 *
 * @module
 */

import { commandExists, type Host, TestNetwork } from "../tests/_netns.ts";

/** The address on b that floods are sent to: b drops what arrives for it (when nft exists). */
export const FLOOD_TARGET = "10.200.0.100";
/** The destination port of the floods. */
export const FLOOD_PORT = 9;

/** What the receiver's interface has counted so far. */
export interface RxCount {
  /** Packets received (`rx_packets`). */
  packets: number;
  /** Packets the receiver dropped on arrival (`rx_dropped`; a full backlog on veth). */
  dropped: number;
}

/** A process started by the bench. */
export interface Started {
  /** The process (the `ip netns exec` it was started as has become the command). */
  child: Deno.ChildProcess;
  /** Its standard output and error, once it has exited. */
  output: Promise<{ code: number; stdout: string; stderr: string }>;
}

const decoder = new TextDecoder();

/**
 * Processes the bench started, ended by their ids at the end: SIGTERM to
 * each and to its children, then SIGKILL to whatever is left.
 */
export class ProcessSet {
  readonly #running = new Set<Deno.ChildProcess>();

  /**
   * Start a command with its output piped and collected.
   *
   * @param args The command and its arguments.
   * @param cwd The working directory (default: this process's).
   * @returns The process and a promise of its output.
   */
  start(args: string[], cwd?: string): Started {
    const [command, ...rest] = args;
    const child = new Deno.Command(command!, {
      args: rest,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(cwd === undefined ? {} : { cwd }),
    }).spawn();
    this.#running.add(child);
    const output = child.output().then((o) => ({
      code: o.code,
      stdout: decoder.decode(o.stdout),
      stderr: decoder.decode(o.stderr),
    })).finally(() => this.#running.delete(child));
    return { child, output };
  }

  /**
   * Signal a process the bench started, and its descendants, by id.
   *
   * @param started The process.
   * @param signal The signal.
   */
  signal(started: Started, signal: Deno.Signal): void {
    signalTree(started.child.pid, signal);
  }

  /** End every process still running and wait for them. */
  async stopAll(): Promise<void> {
    const running = [...this.#running];
    for (const child of running) signalTree(child.pid, "SIGTERM");
    const grace = new Promise((resolve) => setTimeout(resolve, 2000));
    const all = Promise.all(running.map((c) => c.status.catch(() => {})));
    await Promise.race([all, grace]);
    for (const child of this.#running) signalTree(child.pid, "SIGKILL");
    await Promise.race([
      all,
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]);
  }
}

/**
 * The ids of a process's children (`/proc/PID/task/PID/children`).
 *
 * @param pid The process.
 * @returns Its children's ids; none when it is gone.
 */
export function childrenOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
      .trim().split(/\s+/).filter((s) => s !== "").map(Number);
  } catch {
    return [];
  }
}

/** Send a signal to a process and its descendants, deepest first, by id. */
function signalTree(pid: number, signal: Deno.Signal): void {
  for (const child of childrenOf(pid)) signalTree(child, signal);
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The namespaces, their interfaces and the receiver's counter. */
export class BenchNetwork {
  readonly net: TestNetwork;
  /** Where every contender runs. */
  readonly a: Host;
  /** The receiver. */
  readonly b: Host;
  readonly aIface: string;
  readonly bIface: string;
  readonly aMac: string;
  readonly bMac: string;
  /** The addresses of b a scan targets, 10.200.0.2 first. */
  readonly scanHosts: string[];
  /**
   * Whether nft is there: b then drops the floods on arrival (so it sends
   * no RST back) and counts the SYNs it receives ({@linkcode syns}).
   */
  readonly nft: boolean;
  readonly #holder: Started;

  private constructor(
    net: TestNetwork,
    macs: [string, string],
    scanHosts: string[],
    nft: boolean,
    holder: Started,
  ) {
    this.net = net;
    this.a = net.a;
    this.b = net.b;
    this.aIface = net.a.ifaces[0]!;
    this.bIface = net.b.ifaces[0]!;
    [this.aMac, this.bMac] = macs;
    this.scanHosts = scanHosts;
    this.nft = nft;
    this.#holder = holder;
  }

  /**
   * Create the namespaces and set them up for the bench.
   *
   * @param processes Where the receiver's holder process is tracked.
   * @param hosts How many addresses of b to scan (1..8).
   * @returns The network; on failure, everything made is removed.
   */
  static async create(
    processes: ProcessSet,
    hosts: number,
  ): Promise<BenchNetwork> {
    const net = await TestNetwork.create({ hosts: 2, disableOffload: true });
    try {
      const { a, b } = net;
      const aIface = a.ifaces[0]!;
      const bIface = b.ifaces[0]!;
      const mac = async (h: Host, iface: string) => {
        const { stdout } = await net.run(h, [
          "ip",
          "-j",
          "link",
          "show",
          iface,
        ]);
        return (JSON.parse(stdout) as { address: string }[])[0]!.address;
      };
      const aMac = await mac(a, aIface);
      const bMac = await mac(b, bIface);
      // Segmentation and receive offloads off too: one packet counted per
      // packet sent, whatever the kernel could merge.
      for (const [h, iface] of [[a, aIface], [b, bIface]] as const) {
        await net.run(h, [
          "ethtool",
          "-K",
          iface,
          "gro",
          "off",
          "gso",
          "off",
          "tso",
          "off",
        ], { check: false });
      }
      const scanHosts = Array.from(
        { length: hosts },
        (_, i) => `10.200.0.${2 + i}`,
      );
      for (const address of [...scanHosts, FLOOD_TARGET]) {
        if (address !== scanHosts[0]) {
          await net.run(b, [
            "ip",
            "addr",
            "add",
            `${address}/24`,
            "dev",
            bIface,
          ]);
        }
        // Every address's neighbour entry is there before any contender
        // runs: none pays for ARP, and the link-layer paths find b's MAC.
        await net.run(a, [
          "ip",
          "neigh",
          "replace",
          address,
          "lladdr",
          bMac,
          "dev",
          aIface,
          "nud",
          "permanent",
        ]);
      }
      let nft = false;
      if (commandExists("nft")) {
        await net.run(b, ["nft", "-f", "-"], {
          stdin: `table ip tcpcraft_bench {
  counter syns {}
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    tcp flags & (syn | ack) == syn counter name "syns"
    ip daddr ${FLOOD_TARGET} drop
  }
}
`,
        });
        nft = true;
      }
      // A process that lives in b: /proc/PID/net/dev shows b's interfaces,
      // read without starting a process per sample.
      const holder = processes.start([
        "ip",
        "netns",
        "exec",
        b.ns,
        "sleep",
        "86400",
      ]);
      const network = new BenchNetwork(
        net,
        [aMac, bMac],
        scanHosts,
        nft,
        holder,
      );
      await network.#waitForHolder();
      return network;
    } catch (error) {
      await net.destroy();
      throw error;
    }
  }

  async #waitForHolder(): Promise<void> {
    const pid = this.#holder.child.pid;
    for (let i = 0; i < 100; i++) {
      try {
        const comm = (await Deno.readTextFile(`/proc/${pid}/comm`)).trim();
        if (comm === "sleep" && (await this.rx()).packets >= 0) return;
      } catch {
        // not there yet
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(
      `Cannot read the receiver's counters: no process in ${this.b.ns}`,
    );
  }

  /**
   * The receiver's counters now, from `/proc/PID/net/dev` of a process in b.
   *
   * @returns Packets received and dropped on arrival by b's interface.
   */
  async rx(): Promise<RxCount> {
    const text = await Deno.readTextFile(
      `/proc/${this.#holder.child.pid}/net/dev`,
    );
    for (const line of text.split("\n")) {
      const colon = line.indexOf(":");
      if (colon < 0 || line.slice(0, colon).trim() !== this.bIface) continue;
      // bytes packets errs drop fifo frame compressed multicast | tx ...
      const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
      return { packets: fields[1]!, dropped: fields[3]! };
    }
    throw new Error(
      `Cannot read the receiver's counters: ${this.bIface} is not in /proc/net/dev of ${this.b.ns}`,
    );
  }

  /**
   * SYNs (without ACK) b has received so far, counted by nft: what
   * scanners and floods send, without the RSTs masscan sends back to
   * every RST it receives. Undefined without nft.
   *
   * @returns The count.
   */
  async syns(): Promise<number | undefined> {
    if (!this.nft) return undefined;
    const { stdout } = await this.net.run(this.b, [
      "nft",
      "-j",
      "list",
      "counter",
      "ip",
      "tcpcraft_bench",
      "syns",
    ]);
    const list = (JSON.parse(stdout) as {
      nftables: { counter?: { packets: number } }[];
    }).nftables;
    const counter = list.find((item) => item.counter !== undefined)?.counter;
    if (counter === undefined) {
      throw new Error(`Cannot read the SYN counter: nft printed ${stdout}`);
    }
    return counter.packets;
  }

  /**
   * The argument list that runs a command in a namespace, bounded in time:
   * `ip netns exec NS timeout -s SIGNAL -k 3 SECONDS command…`.
   *
   * @param host The namespace.
   * @param seconds The time bound.
   * @param args The command.
   * @param signal What `timeout` sends first (INT lets masscan and hping3 stop cleanly).
   * @returns The arguments.
   */
  bounded(
    host: Host,
    seconds: number,
    args: string[],
    signal = "INT",
  ): string[] {
    return [
      "ip",
      "netns",
      "exec",
      host.ns,
      "timeout",
      "-s",
      signal,
      "-k",
      "3",
      seconds.toFixed(1),
      ...args,
    ];
  }

  /** Remove the namespaces and what the harness made. */
  destroy(): Promise<void> {
    return this.net.destroy();
  }
}
