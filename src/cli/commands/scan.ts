/**
 * `tcpcraft scan TARGETS -p PORTS [OPTIONS]`: a stateless port scanner in
 * the manner of masscan and zmap, with nmap's port states and reasons.
 *
 * Decisions (the help says them too):
 * - Targets: addresses, CIDR blocks and ranges (IPv4 and IPv6; an IPv6
 *   target may hold at most 2^24 addresses), host names (resolved as the
 *   system resolves them; the first address, as nmap does; `-4`/`-6` pick
 *   the family), `--targets-file`, minus `--exclude` and `--exclude-file`
 *   (names there exclude every address they resolve to). Duplicates count
 *   once. Ports: `22,80,443`, `1-1024`, `-` (1-65535). `-p` is required.
 * - Order: the whole target × port space is numbered and visited in the
 *   order of a pseudo-random permutation chosen by `--seed` (random when
 *   absent). `--shard I/N` takes the positions `k` with `k mod N == I-1`
 *   of that order, so N machines given one seed cover the space exactly
 *   once between them; `--shard` therefore needs `--seed`.
 * - Probes: written by tcpcraft, IP header included, from one source per
 *   family (`--src`, else the address the kernel routes from to the first
 *   target of that family) and one source port per scan (`-s`, else random
 *   in 49152..65535), window 1024, SYN probes with MSS 1460 as nmap's. The
 *   sequence number (and, for ACK probes, the acknowledgment number) is a
 *   keyed hash of the destination, the ports and the try, like masscan's
 *   SYN cookies, so no two tries of one port look alike. Per probe the
 *   packet is a copy of a per-destination template with the port and
 *   sequence rewritten in place and the checksum adjusted incrementally.
 * - Replies are matched by `ReplyMatcher` (addresses, ports and the
 *   acknowledgment the probe's sequence number calls for; ICMP errors by
 *   the header they quote) and read as nmap reads them (`scan_state.ts`).
 *   A probe unanswered after `--timeout` is sent again, `--retries` times
 *   (default 1); then the port gets its scan type's no-response state.
 * - Pacing: a token bucket at `--rate` probes per second (default 100,
 *   masscan's), retries included; probes due together to one destination go
 *   in one `sendMany` call.
 * - Output: results are printed as they are found. `table` (the default)
 *   prints fixed-width rows under a header; `ndjson` one object per line
 *   (`host`, `port`, `state`, `reason`, `rtt_ms`, and `ttl` and `reason_ip`
 *   when known); `csv` a header and rows; `json` one document at the end,
 *   results sorted by host and port. `--open` keeps what nmap's `--open`
 *   keeps: open, open|filtered and unfiltered ports. A summary line goes to
 *   standard error: `scanned N ports on M hosts in T s (P probes, R pps):
 *   X open, Y closed, Z filtered`. On a terminal (or with `--progress`) a
 *   progress line on standard error shows the percentage, the rate, the
 *   open ports found and the time left.
 * - `--dry-run` prints the probes this shard would send, in order
 *   (`ADDRESS PORT`), and sends nothing: it needs no privileges.
 * - Ctrl-C stops sending, prints the summary ending `, interrupted` and
 *   exits 130; ports not yet decided are not reported.
 * - Everything the command line says is checked before a socket is opened
 *   (exit 2, nothing sent). Needs root or cap_net_raw and, under deno run,
 *   --allow-ffi; Linux only (macOS does not deliver TCP to raw sockets,
 *   Windows has none).
 *
 * @module
 */

import { random32, randomEphemeralPort } from "../../engine/random.ts";
import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../../wire/address.ts";
import { finishChecksum, sumWords } from "../../wire/checksum.ts";
import { ParseError } from "../../wire/errors.ts";
import { formatFlags, parseFlags, TCP_FLAGS } from "../../wire/flags.ts";
import { encodePacket, makeTcpPacket } from "../../wire/packet.ts";
import {
  MAX_PERMUTATION_SIZE,
  parseShard,
  Permutation,
  type PermutationShard,
  type Shard,
} from "../../engine/permutation.ts";
import {
  type Probe,
  type Reply,
  ReplyMatcher,
} from "../../engine/reply_match.ts";
import {
  noResponseVerdict,
  PORT_STATES,
  type PortState,
  type PortVerdict,
  replyVerdict,
  SCAN_TYPE_FLAGS,
  SCAN_TYPES,
  type ScanType,
} from "../../engine/scan_state.ts";
import { tcpChecksum, TcpHeaderView } from "../../wire/tcp.ts";
import {
  type AddressRange,
  addressToBigInt,
  bigIntToAddress,
  parsePorts,
  parseTargetList,
  parseTargetSpec,
  type PortRange,
  subtractAddressRanges,
  TargetSpace,
} from "../../engine/targets.ts";
import { defineOptions, type OptionValues } from "../args.ts";
import {
  CAPTURE_OUTPUT_OPTIONS,
  type CaptureOutput,
  checkCaptureOutput,
  openCaptureOutput,
} from "../capture_output.ts";
import {
  type ArgSpec,
  type Command,
  type CommandContext,
  defineCommand,
} from "../command.ts";
import { CliError, quote, reasonOf, UsageError } from "../errors.ts";
import type { CliHost, CliNet, CliReceiver } from "../host.ts";
import { parseDuration, parseRate } from "../numbers.ts";
import { parseAddressValue } from "../target.ts";

/** The output formats of `scan`. */
export const SCAN_FORMATS = ["table", "json", "ndjson", "csv"] as const;

/** One of {@linkcode SCAN_FORMATS}. */
export type ScanFormat = typeof SCAN_FORMATS[number];

/** The most retries `--retries` accepts. */
const MAX_RETRIES = 20;

/** How long one receiver wait lasts, so the loop notices the end soon. */
const POLL_MS = 50;

/** How often the progress line is redrawn, in milliseconds. */
const PROGRESS_MS = 250;

/**
 * The receive buffer asked for each socket: replies to a fast scan arrive in
 * bursts (the kernel caps it at `net.core.rmem_max`).
 */
const RECEIVE_BUFFER_BYTES = 4 << 20;

/** The window of every probe (nmap's). */
const PROBE_WINDOW = 1024;

function parseTimeout(text: string): number {
  return parseDuration(text, { minMs: 1, maxMs: 60_000 });
}

function parseSeed(text: string): number {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    throw new ParseError("seed", text, "expected an integer");
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new ParseError(
      "seed",
      text,
      `must be at most ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return value;
}

function splitList(text: string): string[] {
  const items = parseTargetList(text);
  if (items.length === 0) {
    throw new ParseError("target list", text, "it is empty");
  }
  return items;
}

/** The options of `scan`. */
export const SCAN_OPTIONS = defineOptions({
  ports: {
    kind: "string",
    short: "p",
    valueName: "PORTS",
    parse: parsePorts,
    help: "ports to scan (required): 22,80,443 | 1-1024 | - (all, 1-65535)",
    group: "Targets",
  },
  targetsFile: {
    kind: "string",
    valueName: "PATH",
    help:
      "read more targets from a file (- for standard input): whitespace or comma separated, # comments",
    group: "Targets",
  },
  exclude: {
    kind: "repeatable",
    valueName: "LIST",
    parse: splitList,
    help:
      "leave out these targets (comma separated; repeatable): addresses, blocks, ranges, names",
    group: "Targets",
  },
  excludeFile: {
    kind: "string",
    valueName: "PATH",
    help: "leave out the targets listed in a file",
    group: "Targets",
  },
  ipv4: {
    kind: "boolean",
    short: "4",
    help: "scan IPv4 only (host names resolve to IPv4 addresses)",
    group: "Targets",
  },
  ipv6: {
    kind: "boolean",
    short: "6",
    help: "scan IPv6 only (host names resolve to IPv6 addresses)",
    group: "Targets",
  },
  scan: {
    kind: "string",
    choices: SCAN_TYPES,
    valueName: "TYPE",
    help:
      "syn | fin | null | xmas | ack | window (default syn): the probe's flags and how replies are read, as nmap's -sS -sF -sN -sX -sA -sW",
    group: "Probes",
  },
  flags: {
    kind: "string",
    short: "f",
    valueName: "F",
    parse: parseFlags,
    help:
      "send these flags instead (syn,ack | SA | 0x12 | xmas…); replies are read as --scan's (nmap's --scanflags)",
    group: "Probes",
  },
  src: {
    kind: "string",
    valueName: "ADDR",
    parse: parseAddressValue,
    help:
      "source address (default: the one the kernel routes from); its family is the only one scanned",
    group: "Probes",
  },
  sport: {
    kind: "number",
    short: "s",
    max: 0xffff,
    noun: "a port",
    valueName: "N",
    help: "source port of every probe (default: random in 49152..65535)",
    group: "Probes",
  },
  retries: {
    kind: "number",
    max: MAX_RETRIES,
    valueName: "N",
    help:
      `times an unanswered probe is sent again (default 1, at most ${MAX_RETRIES})`,
    group: "Timing",
  },
  timeout: {
    kind: "string",
    valueName: "DUR",
    parse: parseTimeout,
    help:
      "how long to wait for an answer before a retry or giving up (default 1s)",
    group: "Timing",
  },
  rate: {
    kind: "string",
    valueName: "PPS",
    parse: parseRate,
    help: "probes per second, retries included (default 100)",
    group: "Timing",
  },
  seed: {
    kind: "string",
    valueName: "N",
    parse: parseSeed,
    help:
      "seed of the probe order (default random); the same seed gives the same order",
    group: "Order",
  },
  shard: {
    kind: "string",
    valueName: "I/N",
    parse: parseShard,
    help:
      "send only the I-th of N disjoint slices of the order (needs --seed): N machines, one seed, every probe once",
    group: "Order",
  },
  format: {
    kind: "string",
    choices: SCAN_FORMATS,
    valueName: "FMT",
    help:
      "table (default) | ndjson: one object per port | csv | json: one document at the end",
    group: "Output",
  },
  open: {
    kind: "boolean",
    help: "show only open (or possibly open: open|filtered, unfiltered) ports",
    group: "Output",
  },
  progress: {
    kind: "boolean",
    help:
      "show a progress line on standard error (default: when it is a terminal)",
    group: "Output",
  },
  noProgress: {
    kind: "boolean",
    help: "never show the progress line",
    group: "Output",
  },
  dryRun: {
    kind: "boolean",
    help:
      "print the probes this shard would send, in order, as ADDRESS PORT lines; send nothing",
    group: "Output",
  },
  ...CAPTURE_OUTPUT_OPTIONS,
});

type ScanValues = OptionValues<typeof SCAN_OPTIONS>;

/** One port's result. */
interface ScanResult {
  host: string;
  port: number;
  state: PortState;
  reason: string;
  rttMs: number | null;
  ttl?: number;
  reasonIp?: string;
  /** For sorting the JSON output. */
  addressIndex: number;
}

/** A port being probed. */
interface PortRecord {
  /** Its index in the target space. */
  index: number;
  addressIndex: number;
  address: string;
  addressBytes: Uint8Array;
  family: AddressFamily;
  port: number;
  /** Tries sent so far. */
  tries: number;
  /** The matcher ids of its tries. */
  probeIds: number[];
  /** `host.now()` after which the last try counts as unanswered. */
  deadline: number;
  done: boolean;
}

function randomSeed(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high! & 0x1fffff) * 2 ** 32 + low!;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Keyed hashes of a probe's destination, ports and try: its sequence and
 * acknowledgment numbers (masscan's SYN cookies, with the try mixed in).
 */
function cookies(
  key: Uint32Array,
  address: Uint8Array,
  port: number,
  sport: number,
  tryNumber: number,
): { seq: number; ack: number } {
  let h = key[0]!;
  for (let i = 0; i < address.length; i += 4) {
    h = fmix32(
      (h ^ ((address[i]! << 24) | (address[i + 1]! << 16) |
        (address[i + 2]! << 8) | address[i + 3]!)) >>> 0,
    );
  }
  h = fmix32((h ^ ((port << 16) | sport) ^ key[1]!) >>> 0);
  const seq = fmix32((h ^ tryNumber ^ key[2]!) >>> 0);
  return { seq, ack: fmix32((seq ^ key[3]!) >>> 0) };
}

/**
 * Probe datagrams of one family: a template per destination (copied from a
 * base packet with the destination and both checksums written), then per
 * probe a copy with the port, sequence and acknowledgment rewritten and the
 * TCP checksum adjusted incrementally.
 */
class ProbeWriter {
  readonly family: AddressFamily;
  readonly src: string;
  readonly #srcBytes: Uint8Array;
  readonly #base: Uint8Array;
  readonly #tcpOffset: number;
  readonly #dstOffset: number;
  readonly #current: Uint8Array;
  #currentAddress = "";

  constructor(
    family: AddressFamily,
    src: string,
    sport: number,
    flags: number,
  ) {
    this.family = family;
    this.src = src;
    this.#srcBytes = parseAddress(src).bytes;
    const placeholder = family === 4 ? "0.0.0.0" : "::";
    this.#base = encodePacket(makeTcpPacket({
      src,
      dst: placeholder,
      srcPort: sport,
      dstPort: 0,
      seq: 0,
      ack: 0,
      flags,
      window: PROBE_WINDOW,
      options: (flags & TCP_FLAGS.syn) !== 0
        ? [{ kind: "mss", value: 1460 }]
        : [],
      ttl: 64,
      id: family === 4 ? 1 + (random32() % 0xffff) : undefined,
    }));
    this.#tcpOffset = family === 4 ? 20 : 40;
    this.#dstOffset = family === 4 ? 16 : 24;
    this.#current = this.#base.slice();
  }

  /** The length of every probe datagram. */
  get length(): number {
    return this.#base.length;
  }

  /** Write the probe for one destination, port and numbers into `target`. */
  write(
    target: Uint8Array,
    address: string,
    addressBytes: Uint8Array,
    port: number,
    seq: number,
    ack: number,
  ): void {
    const current = this.#current;
    if (address !== this.#currentAddress) {
      // A new destination: the pseudo-header changes, so compute afresh.
      current.set(this.#base);
      current.set(addressBytes, this.#dstOffset);
      if (this.family === 4) {
        current[10] = 0;
        current[11] = 0;
        const sum = finishChecksum(sumWords(current.subarray(0, 20)));
        current[10] = sum >>> 8;
        current[11] = sum & 0xff;
      }
      const tcp = current.subarray(this.#tcpOffset);
      const sum = tcpChecksum(tcp, this.#srcBytes, addressBytes);
      tcp[16] = sum >>> 8;
      tcp[17] = sum & 0xff;
      this.#currentAddress = address;
    }
    target.set(current);
    const view = new TcpHeaderView(target, this.#tcpOffset);
    view.setDstPortAndSeq(port, seq);
    if (ack !== 0) view.patch({ ack });
  }
}

/** Writes results as they come, in the chosen format. */
class ResultPrinter {
  readonly #host: CliHost;
  readonly #format: ScanFormat;
  readonly #openOnly: boolean;
  readonly #hostWidth: number;
  readonly #all: ScanResult[] = [];
  #headerDone = false;

  constructor(
    host: CliHost,
    format: ScanFormat,
    openOnly: boolean,
    hostWidth: number,
  ) {
    this.#host = host;
    this.#format = format;
    this.#openOnly = openOnly;
    this.#hostWidth = Math.max(4, hostWidth);
  }

  #header(): void {
    if (this.#headerDone) return;
    this.#headerDone = true;
    if (this.#format === "table") {
      this.#host.stdout(
        `${this.#row("HOST", "PORT", "STATE", "REASON", "RTT")}\n`,
      );
    } else if (this.#format === "csv") {
      this.#host.stdout("host,port,state,reason,rtt_ms\n");
    }
  }

  #row(
    host: string,
    port: string,
    state: string,
    reason: string,
    rtt: string,
  ): string {
    return `${host.padEnd(this.#hostWidth)}  ${port.padStart(5)}  ${
      state.padEnd(13)
    }  ${reason.padEnd(19)}  ${rtt}`.trimEnd();
  }

  /** Whether `--open` keeps a state. */
  static shown(state: PortState): boolean {
    return state === "open" || state === "open|filtered" ||
      state === "unfiltered";
  }

  /** Print one result (or keep it, for JSON). */
  add(result: ScanResult): void {
    if (this.#openOnly && !ResultPrinter.shown(result.state)) return;
    if (this.#format === "json") {
      this.#all.push(result);
      return;
    }
    this.#header();
    const rtt = result.rttMs === null ? null : Number(result.rttMs.toFixed(3));
    switch (this.#format) {
      case "ndjson":
        this.#host.stdout(`${JSON.stringify(resultJson(result))}\n`);
        return;
      case "csv":
        this.#host.stdout(
          `${result.host},${result.port},${result.state},${result.reason},${
            rtt ?? ""
          }\n`,
        );
        return;
      case "table":
        this.#host.stdout(
          `${
            this.#row(
              result.host,
              String(result.port),
              result.state,
              result.reason,
              rtt === null ? "-" : `${rtt.toFixed(2)} ms`,
            )
          }\n`,
        );
        return;
    }
  }

  /** Print what waits for the end: the table header if nothing came, or the JSON document. */
  finish(document: Record<string, unknown>): void {
    if (this.#format === "json") {
      const results = [...this.#all].sort((a, b) =>
        a.addressIndex - b.addressIndex || a.port - b.port
      );
      this.#host.stdout(
        `${
          JSON.stringify(
            { ...document, results: results.map(resultJson) },
            null,
            2,
          )
        }\n`,
      );
      return;
    }
    if (this.#format === "table" || this.#format === "csv") this.#header();
  }
}

function resultJson(result: ScanResult): Record<string, unknown> {
  const json: Record<string, unknown> = {
    host: result.host,
    port: result.port,
    state: result.state,
    reason: result.reason,
    rtt_ms: result.rttMs === null ? null : Number(result.rttMs.toFixed(3)),
  };
  if (result.ttl !== undefined) json.ttl = result.ttl;
  if (result.reasonIp !== undefined) json.reason_ip = result.reasonIp;
  return json;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Everything a scan needs, checked. */
interface ScanPlan {
  space: TargetSpace;
  order: PermutationShard;
  seed: number;
  shard: Shard;
  scan: ScanType;
  flags: number;
  retries: number;
  timeoutMs: number;
  rate: number;
  sport: number;
  format: ScanFormat;
  openOnly: boolean;
  progress: boolean;
  src?: string;
}

/** Read a file named by an option (or standard input for `-`), as a usage error when it cannot be. */
async function readList(
  host: CliHost,
  path: string,
  flag: string,
): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-" ? await host.readStdin() : await host.readFile(path);
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  return parseTargetList(new TextDecoder().decode(bytes));
}

/** Turn target texts into address ranges, resolving names. */
async function resolveTargets(
  texts: readonly string[],
  options: {
    host: CliHost;
    family: AddressFamily | undefined;
    what: string;
    /** Every address of a name (exclusions) rather than the first (targets). */
    allAddresses: boolean;
  },
): Promise<AddressRange[]> {
  const ranges: AddressRange[] = [];
  for (const text of texts) {
    let spec;
    try {
      spec = parseTargetSpec(text);
    } catch (error) {
      if (error instanceof ParseError) {
        throw new UsageError(`${options.what}: ${reasonOf(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
    if (spec.kind === "addresses") {
      if (
        options.family !== undefined && spec.range.family !== options.family &&
        !options.allAddresses
      ) {
        throw new UsageError(
          `${options.what}: ${
            quote(text)
          } is IPv${spec.range.family}, but only IPv${options.family} is scanned (-${options.family} or --src)`,
        );
      }
      ranges.push(spec.range);
      continue;
    }
    const net = options.host.net;
    if (net === undefined) {
      throw new CliError(
        `Cannot resolve host ${
          quote(spec.name)
        }: this host has no network access`,
      );
    }
    let found: string[];
    try {
      found = await net.resolveHost(
        spec.name,
        options.family === undefined ? {} : { family: options.family },
      );
    } catch (error) {
      throw new CliError(
        `Cannot resolve host ${quote(spec.name)}: ${
          error instanceof Error ? reasonOf(error) : String(error)
        }`,
        { cause: error },
      );
    }
    if (found.length === 0) {
      throw new CliError(`Cannot resolve host ${quote(spec.name)}: no address`);
    }
    for (const address of options.allAddresses ? found : found.slice(0, 1)) {
      const parsed = parseAddress(address);
      const value = addressToBigInt(parsed.bytes);
      ranges.push({ family: parsed.family, first: value, last: value });
    }
  }
  return ranges;
}

/** Check the command line and build the plan; nothing is opened. */
async function makePlan(
  values: ScanValues,
  positionals: readonly string[],
  host: CliHost,
): Promise<ScanPlan> {
  if (values.ports === undefined) {
    throw new UsageError(
      "missing -p/--ports (the ports to scan: 22,80,443 | 1-1024 | -)",
    );
  }
  const ports: PortRange[] = values.ports;
  if (values.ipv4 === true && values.ipv6 === true) {
    throw new UsageError("-4: conflicts with -6; give one");
  }
  if (values.progress === true && values.noProgress === true) {
    throw new UsageError("--progress: conflicts with --no-progress; give one");
  }
  if (values.shard !== undefined && values.seed === undefined) {
    throw new UsageError(
      "--shard: needs --seed (every shard must walk the same order)",
    );
  }
  let family: AddressFamily | undefined = values.ipv4 === true
    ? 4
    : values.ipv6 === true
    ? 6
    : undefined;
  if (values.src !== undefined) {
    if (family !== undefined && values.src.family !== family) {
      throw new UsageError(
        `--src: ${values.src.address} is IPv${values.src.family}, but -${family} was given`,
      );
    }
    family = values.src.family;
  }
  const targets = [...positionals];
  if (values.targetsFile !== undefined) {
    targets.push(
      ...await readList(host, values.targetsFile, "--targets-file"),
    );
  }
  if (targets.length === 0) {
    throw new UsageError(
      "missing TARGETS (addresses, blocks, ranges or names; or --targets-file)",
    );
  }
  const excludes = (values.exclude ?? []).flat();
  if (values.excludeFile !== undefined) {
    excludes.push(
      ...await readList(host, values.excludeFile, "--exclude-file"),
    );
  }
  const include = await resolveTargets(targets, {
    host,
    family,
    what: "TARGETS",
    allAddresses: false,
  });
  const exclude = await resolveTargets(excludes, {
    host,
    family: undefined,
    what: "--exclude",
    allAddresses: true,
  });
  const kept = subtractAddressRanges(include, exclude);
  if (kept.length === 0) {
    throw new UsageError("TARGETS: every target is excluded; nothing to scan");
  }
  let space: TargetSpace;
  try {
    space = new TargetSpace(kept, ports);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new UsageError(`TARGETS: ${reasonOf(error)}`, { cause: error });
    }
    throw error;
  }
  if (space.count > MAX_PERMUTATION_SIZE) {
    throw new UsageError(`TARGETS: ${space.count} probes is more than 2^52`);
  }
  const seed = values.seed ?? randomSeed();
  const shard = values.shard ?? { index: 1, count: 1 };
  const order = new Permutation(space.count, { seed }).shard(shard);
  const scan: ScanType = values.scan ?? "syn";
  const plan: ScanPlan = {
    space,
    order,
    seed,
    shard,
    scan,
    flags: values.flags ?? SCAN_TYPE_FLAGS[scan],
    retries: values.retries ?? 1,
    timeoutMs: values.timeout ?? 1000,
    rate: values.rate ?? 100,
    sport: values.sport ?? randomEphemeralPort(),
    format: values.format ?? "table",
    openOnly: values.open === true,
    progress: values.progress === true ||
      (values.noProgress !== true && host.isTerminal.stderr),
  };
  if (values.src !== undefined) plan.src = values.src.address;
  return plan;
}

function hostWidth(space: TargetSpace): number {
  if (space.addressCount <= 4096) {
    let width = 0;
    for (let i = 0; i < space.addressCount; i++) {
      width = Math.max(width, space.addressAt(i).length);
    }
    return width;
  }
  return space.families.includes(6) ? 39 : 15;
}

/** What the scan loop counted. */
interface ScanOutcome {
  counts: Record<PortState, number>;
  probesSent: number;
  elapsedMs: number;
  interrupted: boolean;
  failure?: { error: unknown };
}

/** Run the probes of a plan and report results through `emit`. */
async function runScan(
  plan: ScanPlan,
  net: CliNet,
  host: CliHost,
  emit: (result: ScanResult) => void,
  pcap: string | undefined,
): Promise<ScanOutcome> {
  const openReceiver = net.openReceiver;
  if (openReceiver === undefined) {
    throw new CliError(
      "Cannot scan: this host cannot open a receiver (raw TCP and ICMP sockets)",
    );
  }
  const { space, order } = plan;
  // Sources first: a missing route is an error before any socket is open.
  const writers = new Map<AddressFamily, ProbeWriter>();
  for (const family of space.families) {
    let src = plan.src;
    if (src === undefined) {
      const first = space.addresses.find((range) => range.family === family)!;
      const dst = formatAddress(bigIntToAddress(first.first, family));
      try {
        src = formatAddress(parseAddress(net.routeSource(dst)).bytes);
      } catch (error) {
        throw new CliError(
          `Cannot find a source address for ${dst} (give --src): ${
            error instanceof Error ? reasonOf(error) : String(error)
          }`,
          { cause: error },
        );
      }
    }
    writers.set(family, new ProbeWriter(family, src, plan.sport, plan.flags));
  }
  const receivers = new Map<AddressFamily, CliReceiver>();
  try {
    for (const family of writers.keys()) {
      receivers.set(
        family,
        openReceiver.call(net, family, {
          headerIncluded: true,
          receiveBufferBytes: RECEIVE_BUFFER_BYTES,
        }),
      );
    }
  } catch (error) {
    for (const receiver of receivers.values()) receiver.close();
    throw error;
  }
  // The capture file is created once the sockets are open, so that sockets
  // we may not open (no privilege) leave no empty capture behind.
  let capture: CaptureOutput | undefined;
  try {
    capture = pcap === undefined
      ? undefined
      : await openCaptureOutput(host, pcap);
  } catch (error) {
    for (const receiver of receivers.values()) receiver.close();
    throw error;
  }

  const key = crypto.getRandomValues(new Uint32Array(4));
  const matcher = new ReplyMatcher();
  const byProbe = new Map<number, PortRecord>();
  const counts = Object.fromEntries(PORT_STATES.map((s) => [s, 0])) as Record<
    PortState,
    number
  >;
  let nextId = 1;
  let probesSent = 0;
  let found = 0;
  let stopped = false;
  let interrupted = false;
  let failure: { error: unknown } | undefined;
  let wake: () => void = () => {};
  let nudge: () => void = () => {};
  const interruption = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const unsubscribe = host.onInterrupt?.(() => {
    interrupted = true;
    wake();
  }) ?? (() => {});

  /** Records waiting for their deadline, in send order (deadlines ascend). */
  const waiting: PortRecord[] = [];
  let waitingHead = 0;
  const retryQueue: PortRecord[] = [];
  let retryHead = 0;
  let pendingRecords = 0;

  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) {
      host.stderr("\r\x1b[K");
      progressShown = false;
    }
  };

  const finish = (record: PortRecord, verdict: PortVerdict, reply?: Reply) => {
    record.done = true;
    pendingRecords--;
    // The last port decided: the main loop may be asleep until a deadline.
    if (pendingRecords === 0) nudge();
    for (const id of record.probeIds) {
      matcher.remove(id);
      byProbe.delete(id);
    }
    counts[verdict.state]++;
    if (verdict.state === "open") found++;
    clearProgress();
    const result: ScanResult = {
      host: record.address,
      port: record.port,
      state: verdict.state,
      reason: verdict.reason,
      rttMs: reply === undefined ? null : Math.max(0, reply.rttMs),
      addressIndex: record.addressIndex,
    };
    if (reply !== undefined) {
      if (reply.kind === "tcp") {
        const ip = reply.packet.ip;
        result.ttl = ip.version === 4 ? ip.ttl : ip.hopLimit;
      } else {
        if (reply.ttl !== undefined) result.ttl = reply.ttl;
        if (reply.from !== record.address) result.reasonIp = reply.from;
      }
    }
    emit(result);
  };

  // Capture records go out in order, one after the other; the first
  // failure stops the scan.
  let captureChain = Promise.resolve();
  const capturePacket = (
    bytes: Uint8Array,
    event: "sent" | "received",
    timestamp: number,
    note: string,
  ) => {
    if (capture === undefined) return;
    captureChain = captureChain.then(() =>
      capture.record(bytes, event, { timestamp, note })
    ).catch((error) => {
      failure ??= { error };
      stopped = true;
      wake();
    });
  };

  const handle = (reply: Reply | undefined, bytes: Uint8Array) => {
    if (reply === undefined) return;
    capturePacket(
      bytes,
      "received",
      reply.receivedAt,
      `${reply.probe.dst} port ${reply.probe.dstPort}`,
    );
    const record = byProbe.get(reply.probe.id);
    if (record === undefined || record.done) return;
    const verdict = replyVerdict(plan.scan, reply);
    // nmap ignores what it cannot read (a SYN-ACK to a FIN probe): keep waiting.
    if (verdict !== undefined) finish(record, verdict, reply);
  };

  const receiveLoop = async (family: AddressFamily, receiver: CliReceiver) => {
    while (!stopped) {
      let batch;
      try {
        batch = await receiver.poll(POLL_MS);
      } catch (error) {
        failure ??= { error };
        stopped = true;
        wake();
        return;
      }
      for (const packet of batch.tcp) {
        handle(matcher.matchTcp(packet.bytes, packet.receivedAt), packet.bytes);
      }
      for (const packet of batch.icmp) {
        handle(
          matcher.matchIcmp(packet.bytes, packet.receivedAt, family),
          packet.bytes,
        );
      }
    }
  };
  const loops = [...receivers].map(([family, receiver]) =>
    receiveLoop(family, receiver)
  );

  const total = order.length;
  let position = 0;
  const start = host.now();
  let lastProgress = -Infinity;
  // The bucket holds 20 ms of probes (at least 4): a timer that fires late
  // then costs no probes (a bucket of 1 would lose the overshoot at every
  // wake-up and run slow), and a burst stays short.
  const capacity = Math.max(4, plan.rate / 50);
  let tokens = 1;
  let last = start;
  const pool: Uint8Array[] = [];

  const drawProgress = (now: number) => {
    const elapsed = (now - start) / 1000;
    const remaining = total - position + (retryQueue.length - retryHead);
    const rate = elapsed > 0 ? probesSent / elapsed : 0;
    const percent = total === 0 ? 100 : (100 * position) / total;
    const eta = remaining / plan.rate +
      (pendingRecords > 0 ? plan.timeoutMs / 1000 : 0);
    host.stderr(
      `\r\x1b[K[${
        percent.toFixed(1).padStart(5)
      }%] ${position}/${total} probes, ${
        rate >= 100 ? Math.round(rate) : rate.toFixed(1)
      } pps, ${found} found, ETA ${formatEta(eta)}`,
    );
    progressShown = true;
  };

  /** Send one try of a record. */
  const prepare = (entry: PortRecord, buffer: Uint8Array, now: number) => {
    const writer = writers.get(entry.family)!;
    const { seq, ack } = cookies(
      key,
      entry.addressBytes,
      entry.port,
      plan.sport,
      entry.tries,
    );
    const ackValue = (plan.flags & TCP_FLAGS.ack) !== 0 ? ack : 0;
    writer.write(
      buffer,
      entry.address,
      entry.addressBytes,
      entry.port,
      seq,
      ackValue,
    );
    const probe: Probe = {
      id: nextId++,
      family: entry.family,
      src: writer.src,
      dst: entry.address,
      srcPort: plan.sport,
      dstPort: entry.port,
      seq,
      ack: ackValue,
      flags: plan.flags,
      payloadLength: 0,
      sentAt: net.wallClock(),
    };
    matcher.add(probe);
    capturePacket(
      buffer.slice(),
      "sent",
      probe.sentAt,
      `${entry.address} port ${entry.port} try ${entry.tries + 1}`,
    );
    byProbe.set(probe.id, entry);
    entry.probeIds.push(probe.id);
    entry.tries++;
    entry.deadline = now + plan.timeoutMs;
    waiting.push(entry);
  };

  try {
    while (!stopped && !interrupted) {
      let now = host.now();
      // Unanswered tries past their deadline: send again, or give up.
      while (waitingHead < waiting.length) {
        const record = waiting[waitingHead]!;
        if (record.done) {
          waitingHead++;
          continue;
        }
        if (record.deadline > now) break;
        waitingHead++;
        if (record.tries <= plan.retries) retryQueue.push(record);
        else finish(record, noResponseVerdict(plan.scan));
      }
      if (waitingHead > 4096 && waitingHead * 2 > waiting.length) {
        waiting.splice(0, waitingHead);
        waitingHead = 0;
      }
      if (retryHead > 4096 && retryHead * 2 > retryQueue.length) {
        retryQueue.splice(0, retryHead);
        retryHead = 0;
      }
      tokens = Math.min(capacity, tokens + ((now - last) * plan.rate) / 1000);
      last = now;
      // The probes due now, retries first, grouped by destination.
      const batch: { record: PortRecord; buffer: Uint8Array }[] = [];
      while (tokens >= 1) {
        let record: PortRecord | undefined;
        while (retryHead < retryQueue.length && record === undefined) {
          const candidate = retryQueue[retryHead++]!;
          if (!candidate.done) record = candidate;
        }
        if (record === undefined) {
          if (position >= total) break;
          const index = order.at(position++);
          const point = space.at(index);
          record = {
            index,
            addressIndex: point.addressIndex,
            address: point.address,
            addressBytes: parseAddress(point.address).bytes,
            family: point.family,
            port: point.port,
            tries: 0,
            probeIds: [],
            deadline: 0,
            done: false,
          };
          pendingRecords++;
        }
        const writer = writers.get(record.family)!;
        let buffer = pool[batch.length];
        if (buffer === undefined || buffer.length !== writer.length) {
          buffer = new Uint8Array(writer.length);
          pool[batch.length] = buffer;
        }
        batch.push({ record, buffer });
        tokens -= 1;
      }
      if (batch.length > 0) {
        now = host.now();
        for (const { record, buffer } of batch) prepare(record, buffer, now);
        try {
          let i = 0;
          while (i < batch.length) {
            const first = batch[i]!.record;
            let j = i + 1;
            while (
              j < batch.length && batch[j]!.record.address === first.address
            ) j++;
            const receiver = receivers.get(first.family)!;
            if (j - i === 1) receiver.send(batch[i]!.buffer, first.address);
            else {
              receiver.sendMany(
                batch.slice(i, j).map((item) => item.buffer),
                first.address,
              );
            }
            probesSent += j - i;
            i = j;
          }
        } catch (error) {
          failure = { error };
          break;
        }
      }
      if (
        position >= total && retryHead >= retryQueue.length &&
        pendingRecords === 0
      ) break;
      now = host.now();
      if (plan.progress && now - lastProgress >= PROGRESS_MS) {
        drawProgress(now);
        lastProgress = now;
      }
      // Sleep until the next token, the next deadline or the next progress line.
      let wait = Infinity;
      const work = position < total || retryHead < retryQueue.length;
      if (work) wait = Math.max(0, ((1 - tokens) * 1000) / plan.rate);
      let nextDeadline: number | undefined;
      for (let i = waitingHead; i < waiting.length; i++) {
        if (!waiting[i]!.done) {
          nextDeadline = waiting[i]!.deadline;
          break;
        }
      }
      if (nextDeadline !== undefined) {
        wait = Math.min(wait, Math.max(0, nextDeadline - now));
      }
      if (plan.progress) wait = Math.min(wait, PROGRESS_MS);
      if (!Number.isFinite(wait)) wait = POLL_MS;
      await Promise.race([
        host.sleep(wait),
        interruption,
        new Promise<void>((resolve) => {
          nudge = resolve;
        }),
      ]);
    }
  } finally {
    stopped = true;
    unsubscribe();
    await Promise.all(loops);
    for (const receiver of receivers.values()) receiver.close();
    await captureChain;
    await capture?.close();
    clearProgress();
  }
  const outcome: ScanOutcome = {
    counts,
    probesSent,
    elapsedMs: host.now() - start,
    interrupted,
  };
  if (failure !== undefined) outcome.failure = failure;
  return outcome;
}

function summaryLine(
  plan: ScanPlan,
  outcome: ScanOutcome,
): string {
  const ports = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
  const seconds = outcome.elapsedMs / 1000;
  const rate = seconds > 0 ? outcome.probesSent / seconds : 0;
  const states = PORT_STATES.filter((state) =>
    state === "open" || state === "closed" || state === "filtered" ||
    outcome.counts[state] > 0
  ).map((state) => `${outcome.counts[state]} ${state}`);
  const hosts = plan.space.addressCount;
  const shard = plan.shard.count > 1
    ? ` (shard ${plan.shard.index}/${plan.shard.count})`
    : "";
  const line = `scanned ${plural(ports, "port")} on ${
    plural(hosts, "host")
  }${shard} in ${seconds.toFixed(2)} s (${
    plural(outcome.probesSent, "probe")
  }, ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} pps): ${
    states.join(", ")
  }`;
  return outcome.interrupted ? `${line}, interrupted` : line;
}

const ARGS: readonly ArgSpec[] = [{
  name: "TARGETS",
  help:
    "one or more addresses, CIDR blocks (192.0.2.0/24, 2001:db8::/120), ranges (192.0.2.1-192.0.2.9) or host names",
  optional: true,
  variadic: true,
}];

/**
 * The `scan` command. It takes any number of TARGETS (a variadic
 * argument), and more from --targets-file.
 *
 * @example A dry run lists the probes of a shard, in order, without sending
 * ```ts
 * import { scanCommand } from "./scan.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const lines = async (shard: string) => {
 *   const host = createMemoryHost();
 *   const code = await scanCommand.run(
 *     ["192.0.2.0/31", "-p", "22,80", "--seed", "7", "--shard", shard, "--dry-run"],
 *     { host, meta: { version: "0" } },
 *   );
 *   assert.equal(code, 0);
 *   return host.out.trim().split("\n");
 * };
 * const all = await lines("1/1");
 * assert.equal(all.length, 4);
 * const halves = [...await lines("1/2"), ...await lines("2/2")];
 * assert.deepEqual(halves.sort(), [...all].sort());
 * ```
 */
export const scanCommand: Command = defineCommand({
  name: "scan",
  summary:
    "scan ports of many hosts, statelessly, with nmap's states (root or cap_net_raw, --allow-ffi)",
  description: [
    "Sends one probe per target and port in a seeded pseudo-random order, at --rate",
    "probes per second, and reads the answers as nmap does: open, closed, filtered,",
    "unfiltered or open|filtered, with the reason (syn-ack, reset, no-response,",
    "port-unreach, admin-prohibited…). Unanswered probes are sent again --retries",
    "times after --timeout. Results are printed as they are found; a summary goes to",
    "standard error. --seed S with --shard I/N splits the work between N machines that",
    "never talk: each sends a disjoint slice, together every probe once.",
    "",
    "Needs root or cap_net_raw and, under deno run, --allow-ffi (--dry-run needs",
    "neither). Linux only: macOS does not deliver TCP to raw sockets.",
  ].join("\n"),
  usage: "TARGETS... -p PORTS [OPTIONS]",
  args: ARGS,
  options: SCAN_OPTIONS,
  examples: [
    {
      comment: "A SYN scan of a /24's web ports, open ones only",
      command: "sudo tcpcraft scan 192.0.2.0/24 -p 80,443 --open",
    },
    {
      comment: "Every port of one host, 1000 probes per second, as ndjson",
      command: "sudo tcpcraft scan 192.0.2.1 -p - --rate 1000 --format ndjson",
    },
    {
      comment: "A FIN scan, as nmap -sF",
      command: "sudo tcpcraft scan 192.0.2.1 -p 1-1024 --scan fin",
    },
    {
      comment: "The second of three machines sharing one scan",
      command:
        "sudo tcpcraft scan 198.51.100.0/22 -p 22 --seed 7 --shard 2/3 --format csv",
    },
    {
      comment: "What would be sent, in order, without sending it",
      command: "tcpcraft scan 192.0.2.0/30 -p 22,80 --seed 1 --dry-run",
    },
  ],
  async run({ values, positionals }, { host }: CommandContext) {
    const plan = await makePlan(values, positionals, host);
    if (values.dryRun === true && values.pcap !== undefined) {
      throw new UsageError(
        "--pcap: conflicts with --dry-run, which sends nothing to capture",
      );
    }
    if (values.dryRun === true) {
      const { order, space } = plan;
      let text = "";
      for (let j = 0; j < order.length; j++) {
        const point = space.at(order.at(j));
        text += `${point.address} ${point.port}\n`;
        if (text.length > 65536) {
          host.stdout(text);
          text = "";
        }
      }
      host.stdout(text);
      host.stderr(
        `${
          plural(order.length, "probe")
        } (dry run: nothing sent; seed ${plan.seed}, shard ${plan.shard.index}/${plan.shard.count})\n`,
      );
      return 0;
    }
    if (host.os === "windows" || host.os === "darwin") {
      throw new CliError(
        `Cannot scan: ${
          host.os === "windows"
            ? "Windows does not allow raw TCP sockets"
            : "macOS does not deliver TCP replies to raw sockets"
        }; use Linux (tcpcraft scan --dry-run lists the probes anywhere)`,
      );
    }
    const net = host.net;
    if (net === undefined) {
      throw new CliError("Cannot scan: this host has no raw network access");
    }
    const printer = new ResultPrinter(
      host,
      plan.format,
      plan.openOnly,
      hostWidth(plan.space),
    );
    if (values.pcap !== undefined) checkCaptureOutput(host, values.pcap);
    const outcome = await runScan(
      plan,
      net,
      host,
      (result) => printer.add(result),
      values.pcap,
    );
    printer.finish({
      scan: {
        type: plan.scan,
        flags: formatFlags(plan.flags),
        ports: plan.space.portCount,
        hosts: plan.space.addressCount,
        seed: plan.seed,
        shard: `${plan.shard.index}/${plan.shard.count}`,
        rate: plan.rate,
        retries: plan.retries,
        timeout_ms: plan.timeoutMs,
        source_port: plan.sport,
      },
      summary: {
        ...outcome.counts,
        probes: outcome.probesSent,
        elapsed_s: Number((outcome.elapsedMs / 1000).toFixed(3)),
        interrupted: outcome.interrupted,
      },
    });
    if (outcome.failure === undefined || outcome.probesSent > 0) {
      host.stderr(`${summaryLine(plan, outcome)}\n`);
    }
    if (outcome.failure !== undefined) throw outcome.failure.error;
    return outcome.interrupted ? 130 : 0;
  },
});
