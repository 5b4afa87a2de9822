/**
 * A harness for tests that a real kernel judges: private network namespaces
 * joined by veth pairs, with IPv4 and IPv6 addresses, checksum offload off,
 * and helpers to run code, listeners, captures and counters inside them.
 *
 * Topologies (addresses are fixed: the namespaces are private, so parallel
 * runs cannot collide; only the names are unique per run):
 *
 * ```text
 * hosts: 2   a 10.200.0.1 fd00:200::1  ──veth──  b 10.200.0.2 fd00:200::2
 * hosts: 3   a 10.200.1.1 fd00:200:1::1 ── b 10.200.1.2 fd00:200:1::2 (router)
 *                                           b 10.200.2.2 fd00:200:2::2 ── c 10.200.2.3 fd00:200:2::3
 * ```
 *
 * Nothing leaves the namespaces: they have no route to the outside. Every
 * resource (namespaces, `/etc/netns/<name>` files, processes, temporary
 * files) is removed by {@linkcode TestNetwork.destroy}, which
 * {@linkcode withNetwork} calls in a `finally`.
 *
 * Code runs inside a namespace as a subprocess:
 * `ip netns exec <ns> deno run -A <module> <agent> <json>`; a test module
 * that calls {@linkcode agentMain} under `import.meta.main` serves as its
 * own agent, so the code sent into the namespace sits next to the test.
 *
 * @module
 */

/** The names of the hosts of a topology. */
export type HostName = "a" | "b" | "c";

/** One namespace of a test network. */
export interface Host {
  /** `"a"`, `"b"` or `"c"`. */
  name: HostName;
  /** The namespace's name (unique per run). */
  ns: string;
  /** Its veth interfaces; the first faces host a (or b, for c). */
  ifaces: string[];
  /** The IPv4 address on the first interface. */
  ipv4: string;
  /** The IPv6 address on the first interface. */
  ipv6: string;
  /** Every address of the host. */
  addresses: string[];
}

/** Options for {@linkcode TestNetwork.create}. */
export interface TestNetworkOptions {
  /** 2 (a, b) or 3 (a, b routing, c). Default 2. */
  hosts?: 2 | 3;
  /** Turn checksum offload off on every veth (default true). */
  disableOffload?: boolean;
}

/** The result of a command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode TestNetwork.run}. */
export interface RunOptions {
  /** Bytes or text for standard input. */
  stdin?: string | Uint8Array;
  /** Kill the command after this long (default 20000 ms). */
  timeoutMs?: number;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
}

/** A connection accepted by a {@linkcode Listener}. */
export interface AcceptedConnection {
  /** The peer's address. */
  peer: string;
  /** The peer's port. */
  port: number;
  /** Everything read until the peer closed (FIN) or the read timed out. */
  data: Uint8Array;
  /** Whether the peer closed (FIN) before the read timeout. */
  eof: boolean;
}

/** A TCP server in a namespace (dual-stack: IPv4 and IPv6). */
export interface Listener {
  /** The port. */
  port: number;
  /** Wait for the next connection the server accepted and read to its end. */
  next(timeoutMs?: number): Promise<AcceptedConnection>;
  /** Stop the server. */
  close(): Promise<void>;
}

/** A process started in a namespace by {@linkcode TestNetwork.start}. */
export interface Started {
  /** Its process id (`ip netns exec` runs the command in its own process). */
  pid: number;
  /** The next line of standard output, or undefined after `timeoutMs` or at the end. */
  stdout(timeoutMs?: number): Promise<string | undefined>;
  /** The next line of standard error, likewise. */
  stderr(timeoutMs?: number): Promise<string | undefined>;
  /** Send it a signal, by its own id. */
  kill(signal: Deno.Signal): void;
  /** How it ended. */
  status: Promise<Deno.CommandStatus>;
  /** Kill it if it runs and wait for it (also done by `destroy`). */
  stop(): Promise<void>;
}

/** A tcpdump capture in a namespace. */
export interface Capture {
  /** The pcap file tcpdump writes (removed with the network). */
  file: string;
  /** Wait for the capture to end (packet count reached or time out), then return `tcpdump -r <file> -nn -vv` lines. */
  result(): Promise<string[]>;
}

const IP_CANDIDATES = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];
const decoder = new TextDecoder();

/**
 * Whether a command is on PATH (or an absolute path that exists).
 *
 * @param name The command.
 * @returns True when found.
 */
export function commandExists(name: string): boolean {
  const dirs = name.includes("/")
    ? [""]
    : (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":");
  for (const dir of dirs) {
    try {
      const info = Deno.statSync(dir === "" ? name : `${dir}/${name}`);
      if (info.isFile) return true;
    } catch {
      // not here
    }
  }
  return false;
}

let skipReason: string | undefined | null = null;

/**
 * Why namespace tests cannot run here, or undefined when they can: they
 * need Linux, root, the `ip` command and the right to create namespaces
 * (checked by creating and deleting one).
 *
 * @returns The reason to skip, or undefined.
 */
export function netnsSkipReason(): string | undefined {
  if (skipReason !== null) return skipReason;
  skipReason = computeSkipReason();
  return skipReason;
}

function computeSkipReason(): string | undefined {
  if (Deno.build.os !== "linux") return `needs Linux, this is ${Deno.build.os}`;
  if (Deno.uid() !== 0) return "needs root";
  if (!IP_CANDIDATES.some(commandExists) && !commandExists("ip")) {
    return "needs the ip command (iproute2)";
  }
  const probe = `tcpcraft-probe-${Deno.pid}`;
  const add = new Deno.Command("ip", {
    args: ["netns", "add", probe],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!add.success) {
    return `cannot create network namespaces: ${
      decoder.decode(add.stderr).trim()
    }`;
  }
  new Deno.Command("ip", { args: ["netns", "del", probe] }).outputSync();
  return undefined;
}

/**
 * The skip condition and a name suffix for a namespace test: use as
 * `Deno.test({ name: "..." + skip.suffix, ignore: skip.ignore, fn })`.
 *
 * @param extra Further commands the test needs (`"tcpdump"`, `"nft"`).
 * @returns `ignore` and the `suffix` that says why.
 */
export function netnsTestGate(
  ...extra: string[]
): { ignore: boolean; suffix: string } {
  const reason = netnsSkipReason() ??
    extra.filter((c) => !commandExists(c)).map((c) => `needs ${c}`).join(
      ", ",
    );
  return reason === "" || reason === undefined
    ? { ignore: false, suffix: "" }
    : { ignore: true, suffix: ` (skipped: ${reason})` };
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return Deno.pid.toString(36).slice(-4) +
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exec(
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const [command, ...rest] = args;
  const child = new Deno.Command(command!, {
    args: rest,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin,
    );
    await writer.close();
  }
  const timeoutMs = options.timeoutMs ?? 20000;
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  try {
    const output = await child.output();
    const result = {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
    if ((options.check ?? true) && output.code !== 0) {
      throw new Error(
        `Command failed (exit ${output.code}${
          output.signal === null ? "" : `, ${output.signal}`
        }): ${
          args.join(" ")
        }\n${result.stderr.trim()}\n${result.stdout.trim()}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a stream line by line. */
class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line, or undefined at the end or after `timeoutMs`. */
  async next(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        return line;
      }
      if (this.#done) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), remaining);
      });
      const read = this.#pending ??= this.#reader.read();
      const result = await Promise.race([read, timeout]);
      clearTimeout(timer);
      if (result === "timeout") return undefined;
      this.#pending = undefined;
      if (result.done) this.#done = true;
      else this.#buffer += result.value;
    }
  }

  #pending: Promise<ReadableStreamReadResult<string>> | undefined;

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** A process started in a namespace, with its output read line by line. */
class Spawned {
  readonly child: Deno.ChildProcess;
  readonly out: LineReader;
  readonly err: LineReader;
  #stopped = false;

  constructor(args: string[]) {
    const [command, ...rest] = args;
    this.child = new Deno.Command(command!, {
      args: rest,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.out = new LineReader(this.child.stdout);
    this.err = new LineReader(this.child.stderr);
  }

  /** Kill the process (by its own id) if it runs, close its output, wait for it. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.out.cancel();
    await this.err.cancel();
    await this.child.status.catch(() => {});
  }
}

const LISTENER_SCRIPT = String.raw`
import json, socket, sys, time
port, max_conns, read_timeout, lifetime = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("::", port))
server.listen(256)
print("READY", flush=True)
deadline = time.monotonic() + lifetime
accepted = 0
while accepted < max_conns and time.monotonic() < deadline:
    server.settimeout(max(0.05, deadline - time.monotonic()))
    try:
        conn, peer = server.accept()
    except socket.timeout:
        break
    accepted += 1
    conn.settimeout(read_timeout)
    data, eof = b"", False
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                eof = True
                break
            data += chunk
    except socket.timeout:
        pass
    host = peer[0][7:] if peer[0].startswith("::ffff:") else peer[0]
    print(json.dumps({"peer": host, "port": peer[1], "data": data.hex(), "eof": eof}), flush=True)
    conn.close()
print("DONE", flush=True)
`;

/** Marker before the JSON result line an agent prints. */
const RESULT_MARK = "@@tcpcraft-agent-result ";

/** Agents a test module offers: name to function of JSON-able arguments. */
export type Agents = Record<
  string,
  (args: never) => unknown | Promise<unknown>
>;

/**
 * Run as an agent: call the agent named by `Deno.args[0]` with the JSON in
 * `Deno.args[1]`, print its result as one JSON line after a marker, and
 * exit (1 if it threw, printing the error). Call it under
 * `if (import.meta.main)`.
 *
 * @param agents The agents this module offers.
 */
export async function agentMain(agents: Agents): Promise<void> {
  const [name, json] = Deno.args;
  const agent = name === undefined ? undefined : agents[name];
  if (agent === undefined) {
    console.error(
      `unknown agent ${name}; known: ${Object.keys(agents).join(", ")}`,
    );
    Deno.exit(2);
  }
  try {
    const result = await (agent as (args: unknown) => unknown)(
      JSON.parse(json ?? "null"),
    );
    console.log(RESULT_MARK + JSON.stringify(result ?? null));
    Deno.exit(0);
  } catch (error) {
    console.log(
      RESULT_MARK + JSON.stringify({
        agentError: error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error),
        code: (error as { code?: unknown }).code,
      }),
    );
    Deno.exit(1);
  }
}

/** The path of the repository's deno.json, for agent subprocesses. */
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** A private test network. */
export class TestNetwork implements AsyncDisposable {
  /** The unique part of every name. */
  readonly id: string;
  /** Host a: where the tests send from. */
  readonly a: Host;
  /** Host b: the peer (or the router, with 3 hosts). */
  readonly b: Host;
  /** Host c (3 hosts only). */
  readonly c: Host | undefined;
  readonly #children = new Set<Spawned>();
  readonly #etcDirs = new Set<string>();
  readonly #tempDirs = new Set<string>();
  #destroyed = false;

  private constructor(id: string, a: Host, b: Host, c: Host | undefined) {
    this.id = id;
    this.a = a;
    this.b = b;
    this.c = c;
  }

  /**
   * Create the namespaces, veth pairs, addresses and routes. On failure
   * everything created so far is removed.
   *
   * @param options Topology and offload.
   * @returns The network.
   */
  static async create(options: TestNetworkOptions = {}): Promise<TestNetwork> {
    const id = randomId();
    const hosts = options.hosts ?? 2;
    const ns = (h: HostName) => `tcpcraft-${id}-${h}`;
    const host = (
      name: HostName,
      ifaces: string[],
      ipv4: string,
      ipv6: string,
      addresses: string[],
    ): Host => ({ name, ns: ns(name), ifaces, ipv4, ipv6, addresses });
    let network: TestNetwork;
    if (hosts === 2) {
      network = new TestNetwork(
        id,
        host("a", [`tc${id}a0`], "10.200.0.1", "fd00:200::1", [
          "10.200.0.1",
          "fd00:200::1",
        ]),
        host("b", [`tc${id}b0`], "10.200.0.2", "fd00:200::2", [
          "10.200.0.2",
          "fd00:200::2",
        ]),
        undefined,
      );
    } else {
      network = new TestNetwork(
        id,
        host("a", [`tc${id}a0`], "10.200.1.1", "fd00:200:1::1", [
          "10.200.1.1",
          "fd00:200:1::1",
        ]),
        host("b", [`tc${id}b0`, `tc${id}b1`], "10.200.1.2", "fd00:200:1::2", [
          "10.200.1.2",
          "fd00:200:1::2",
          "10.200.2.2",
          "fd00:200:2::2",
        ]),
        host("c", [`tc${id}c0`], "10.200.2.3", "fd00:200:2::3", [
          "10.200.2.3",
          "fd00:200:2::3",
        ]),
      );
    }
    try {
      await network.#build(options.disableOffload ?? true);
    } catch (error) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  /** Every host. */
  get hosts(): Host[] {
    return this.c === undefined ? [this.a, this.b] : [this.a, this.b, this.c];
  }

  async #build(disableOffload: boolean): Promise<void> {
    for (const h of this.hosts) {
      await exec(["ip", "netns", "add", h.ns]);
      // No duplicate address detection: addresses (link-local ones too) are
      // usable at once, so neighbour discovery does not wait for them.
      await exec([
        "ip",
        "netns",
        "exec",
        h.ns,
        "sysctl",
        "-qw",
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
      ]);
      await exec(["ip", "-n", h.ns, "link", "set", "lo", "up"]);
    }
    const link = async (x: Host, xi: number, y: Host, yi: number) => {
      await exec([
        "ip",
        "link",
        "add",
        "name",
        x.ifaces[xi]!,
        "netns",
        x.ns,
        "type",
        "veth",
        "peer",
        "name",
        y.ifaces[yi]!,
        "netns",
        y.ns,
      ]);
    };
    const address = async (h: Host, iface: string, v4: string, v6: string) => {
      await exec(["ip", "-n", h.ns, "addr", "add", `${v4}/24`, "dev", iface]);
      await exec([
        "ip",
        "-n",
        h.ns,
        "addr",
        "add",
        `${v6}/64`,
        "dev",
        iface,
        "nodad",
      ]);
      await exec(["ip", "-n", h.ns, "link", "set", iface, "up"]);
      if (disableOffload) {
        await exec([
          "ip",
          "netns",
          "exec",
          h.ns,
          "ethtool",
          "-K",
          iface,
          "tx",
          "off",
          "rx",
          "off",
        ]);
      }
    };
    const mac = async (h: Host, iface: string) => {
      const { stdout } = await exec([
        "ip",
        "-n",
        h.ns,
        "-j",
        "link",
        "show",
        "dev",
        iface,
      ]);
      return (JSON.parse(stdout) as { address: string }[])[0]!.address;
    };
    // Permanent neighbour entries both ways: no ARP or neighbour discovery,
    // whose queue of packets waiting for an answer is bounded and would
    // drop the first packets of a burst.
    const pin = async (
      x: Host,
      xIface: string,
      xAddresses: string[],
      y: Host,
      yIface: string,
      yAddresses: string[],
    ) => {
      const xMac = await mac(x, xIface);
      const yMac = await mac(y, yIface);
      for (const address of yAddresses) {
        await exec([
          "ip",
          "-n",
          x.ns,
          "neigh",
          "replace",
          address,
          "lladdr",
          yMac,
          "dev",
          xIface,
          "nud",
          "permanent",
        ]);
      }
      for (const address of xAddresses) {
        await exec([
          "ip",
          "-n",
          y.ns,
          "neigh",
          "replace",
          address,
          "lladdr",
          xMac,
          "dev",
          yIface,
          "nud",
          "permanent",
        ]);
      }
    };
    const { a, b, c } = this;
    await link(a, 0, b, 0);
    await address(a, a.ifaces[0]!, a.ipv4, a.ipv6);
    await address(b, b.ifaces[0]!, b.ipv4, b.ipv6);
    await pin(a, a.ifaces[0]!, [a.ipv4, a.ipv6], b, b.ifaces[0]!, [
      b.ipv4,
      b.ipv6,
    ]);
    if (c !== undefined) {
      await link(b, 1, c, 0);
      await address(b, b.ifaces[1]!, "10.200.2.2", "fd00:200:2::2");
      await address(c, c.ifaces[0]!, c.ipv4, c.ipv6);
      await pin(
        b,
        b.ifaces[1]!,
        ["10.200.2.2", "fd00:200:2::2"],
        c,
        c.ifaces[0]!,
        [c.ipv4, c.ipv6],
      );
      for (
        const key of [
          "net.ipv4.ip_forward=1",
          "net.ipv6.conf.all.forwarding=1",
        ]
      ) {
        await exec(["ip", "netns", "exec", b.ns, "sysctl", "-qw", key]);
      }
      await exec(["ip", "-n", a.ns, "route", "add", "default", "via", b.ipv4]);
      await exec([
        "ip",
        "-n",
        a.ns,
        "-6",
        "route",
        "add",
        "default",
        "via",
        b.ipv6,
      ]);
      await exec([
        "ip",
        "-n",
        c.ns,
        "route",
        "add",
        "default",
        "via",
        "10.200.2.2",
      ]);
      await exec([
        "ip",
        "-n",
        c.ns,
        "-6",
        "route",
        "add",
        "default",
        "via",
        "fd00:200:2::2",
      ]);
    }
  }

  /**
   * Run a command inside a namespace and wait for it.
   *
   * @param host The namespace.
   * @param args The command and its arguments.
   * @param options Standard input, time limit, whether to throw on failure.
   * @returns Exit code and output.
   */
  run(
    host: Host,
    args: string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    return exec(["ip", "netns", "exec", host.ns, ...args], options);
  }

  #spawn(host: Host, args: string[]): Spawned {
    const spawned = new Spawned(["ip", "netns", "exec", host.ns, ...args]);
    this.#children.add(spawned);
    spawned.child.status.finally(() => this.#children.delete(spawned));
    return spawned;
  }

  /**
   * Start a command inside a namespace and return at once; it is stopped
   * with the network if still running.
   *
   * @param host The namespace.
   * @param args The command and its arguments.
   * @returns The process.
   */
  start(host: Host, args: string[]): Started {
    const spawned = this.#spawn(host, args);
    return {
      pid: spawned.child.pid,
      stdout: (timeoutMs = 10000) => spawned.out.next(timeoutMs),
      stderr: (timeoutMs = 10000) => spawned.err.next(timeoutMs),
      kill: (signal) => spawned.child.kill(signal),
      status: spawned.child.status,
      stop: () => spawned.stop(),
    };
  }

  /**
   * Run an agent of a test module inside a namespace: `deno run -A <module>
   * <name> <json args>`, returning the agent's JSON result. An agent that
   * threw returns `{ agentError, code }`.
   *
   * @param host The namespace.
   * @param module The test module (`import.meta.url`).
   * @param name The agent.
   * @param args Its arguments (JSON-able).
   * @param timeoutMs Kill it after this long (default 30000 ms).
   * @param denoFlags More flags for `deno run` (`--v8-flags=--expose-gc`).
   * @returns The agent's result.
   */
  async agent<T>(
    host: Host,
    module: string,
    name: string,
    args: unknown,
    timeoutMs = 30000,
    denoFlags: readonly string[] = [],
  ): Promise<T> {
    const result = await this.run(
      host,
      [
        // No update check: it would look up dl.deno.land from inside.
        "env",
        "DENO_NO_UPDATE_CHECK=1",
        Deno.execPath(),
        "run",
        "-A",
        "--no-prompt",
        ...denoFlags,
        `--config=${CONFIG}`,
        new URL(module).pathname,
        name,
        JSON.stringify(args),
      ],
      { timeoutMs, check: false },
    );
    const line = result.stdout.split("\n").find((l) =>
      l.startsWith(RESULT_MARK)
    );
    if (line === undefined) {
      throw new Error(
        `Agent ${name} in ${host.ns} printed no result (exit ${result.code}):\n${result.stderr}\n${result.stdout}`,
      );
    }
    return JSON.parse(line.slice(RESULT_MARK.length)) as T;
  }

  /**
   * Read the kernel's SNMP counters of a namespace, named as `nstat` names
   * them (`TcpInCsumErrors`, `TcpExtListenDrops`, `Ip6InReceives`), from
   * `/proc/net/snmp`, `/proc/net/netstat` and `/proc/net/snmp6` (what
   * `nstat -az` reads, without its history file).
   *
   * @param host The namespace.
   * @returns Counter name to value.
   */
  async counters(host: Host): Promise<Record<string, number>> {
    const { stdout } = await this.run(host, [
      "cat",
      "/proc/net/snmp",
      "/proc/net/netstat",
      "/proc/net/snmp6",
    ]);
    return parseCounters(stdout);
  }

  /**
   * Start a dual-stack TCP server in a namespace that accepts connections
   * and reports what each sent until it closed.
   *
   * @param host The namespace.
   * @param port The port.
   * @param options How many connections to serve, the read timeout and lifetime.
   * @returns The listener, once it listens.
   */
  async listen(
    host: Host,
    port: number,
    options: {
      connections?: number;
      readTimeoutMs?: number;
      lifetimeMs?: number;
    } = {},
  ): Promise<Listener> {
    const server = this.#spawn(host, [
      "/usr/bin/python3",
      "-u",
      "-c",
      LISTENER_SCRIPT,
      String(port),
      String(options.connections ?? 16),
      String((options.readTimeoutMs ?? 5000) / 1000),
      String((options.lifetimeMs ?? 60000) / 1000),
    ]);
    const lines = server.out;
    const ready = await lines.next(10000);
    if (ready !== "READY") {
      const stderr = await server.err.next(1000);
      await server.stop();
      throw new Error(
        `Listener on port ${port} did not start: ${ready ?? ""} ${
          stderr ?? ""
        }`,
      );
    }
    return {
      port,
      next: async (timeoutMs = 10000) => {
        const line = await lines.next(timeoutMs);
        if (line === undefined || line === "DONE") {
          throw new Error(
            `Listener on port ${port}: no connection within ${timeoutMs} ms`,
          );
        }
        const record = JSON.parse(line) as {
          peer: string;
          port: number;
          data: string;
          eof: boolean;
        };
        const hex = record.data;
        const data = new Uint8Array(hex.length / 2);
        for (let i = 0; i < data.length; i++) {
          data[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
        }
        return { peer: record.peer, port: record.port, data, eof: record.eof };
      },
      close: () => server.stop(),
    };
  }

  /**
   * Start tcpdump on an interface of a namespace, writing to a file, and
   * wait until it listens. It stops after `count` packets or `timeoutMs`.
   *
   * @param host The namespace.
   * @param iface The interface.
   * @param filter A pcap filter (`"tcp port 7003"`).
   * @param options `count` packets to capture, `timeoutMs` to give up.
   * @returns The capture.
   */
  async capture(
    host: Host,
    iface: string,
    filter: string,
    options: { count: number; timeoutMs?: number },
  ): Promise<Capture> {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-capture-" });
    this.#tempDirs.add(dir);
    const file = `${dir}/capture.pcap`;
    const timeoutMs = options.timeoutMs ?? 10000;
    const dump = this.#spawn(host, [
      "tcpdump",
      "-i",
      iface,
      "-nn",
      "-U",
      "-Z",
      "root",
      "-c",
      String(options.count),
      "-w",
      file,
      filter,
    ]);
    const errors = dump.err;
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const line = await errors.next(5000);
      if (line === undefined) break;
      seen.push(line);
      if (line.includes("listening on")) {
        return {
          file,
          result: async () => {
            // tcpdump stops after `count` packets; past the time limit, a
            // SIGTERM makes it flush the file and exit.
            const timer = setTimeout(() => {
              try {
                dump.child.kill("SIGTERM");
              } catch {
                // already exited
              }
            }, timeoutMs);
            await dump.child.status;
            clearTimeout(timer);
            await dump.stop();
            const { stdout } = await exec([
              "tcpdump",
              "-r",
              file,
              "-nn",
              "-vv",
            ]);
            return stdout.split("\n").filter((l) => l !== "");
          },
        };
      }
    }
    await dump.stop();
    throw new Error(`tcpdump did not start: ${seen.join("\n")}`);
  }

  /**
   * Put files in `/etc/netns/<ns>/`, which `ip netns exec` mounts over
   * `/etc/` (for example `hosts`, `nsswitch.conf`, `resolv.conf`).
   *
   * @param host The namespace.
   * @param files File name to content.
   */
  async etc(host: Host, files: Record<string, string>): Promise<void> {
    const dir = `/etc/netns/${host.ns}`;
    this.#etcDirs.add(dir);
    await Deno.mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, content);
    }
  }

  /**
   * Remove everything: kill the processes started, delete the namespaces
   * (which deletes their interfaces and firewall rules) and the files.
   * Calling it again does nothing.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const spawned of [...this.#children]) await spawned.stop();
    for (const h of this.hosts) {
      await exec(["ip", "netns", "del", h.ns], { check: false });
    }
    for (const dir of [...this.#etcDirs, ...this.#tempDirs]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  /** Same as {@linkcode destroy}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.destroy();
  }
}

/**
 * Parse `/proc/net/snmp` and `/proc/net/netstat` (pairs of header and value
 * lines) and `/proc/net/snmp6` (name and value per line) into nstat names.
 *
 * @param text The files' contents, concatenated.
 * @returns Counter name to value.
 */
export function parseCounters(text: string): Record<string, number> {
  const counters: Record<string, number> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const pair = /^(\w+): (.*)$/.exec(line);
    const next = /^(\w+): (.*)$/.exec(lines[i + 1] ?? "");
    if (pair !== null && next !== null && pair[1] === next[1]) {
      const names = pair[2]!.trim().split(/\s+/);
      const values = next[2]!.trim().split(/\s+/);
      const prefix = pair[1]!;
      names.forEach((name, j) => {
        counters[prefix + name] = Number(values[j]);
      });
      i++;
      continue;
    }
    const single = /^(\w+)\s+(-?\d+)$/.exec(line);
    if (single !== null) counters[single[1]!] = Number(single[2]);
  }
  return counters;
}

/**
 * Create a test network, run `fn`, and destroy the network whatever happens.
 *
 * @param fn The test body.
 * @param options Topology and offload.
 * @returns What `fn` returns.
 */
export async function withNetwork<T>(
  fn: (network: TestNetwork) => Promise<T>,
  options: TestNetworkOptions = {},
): Promise<T> {
  const network = await TestNetwork.create(options);
  try {
    return await fn(network);
  } finally {
    await network.destroy();
  }
}

/**
 * The number of open file descriptors of this process (`/proc/self/fd`).
 *
 * @returns The count.
 */
export function openFdCount(): number {
  let count = 0;
  for (const _ of Deno.readDirSync("/proc/self/fd")) count++;
  return count;
}
