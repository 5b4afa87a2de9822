/**
 * What the command line of `scan` says, checked: the option table
 * {@linkcode SCAN_OPTIONS}, and {@linkcode scanSettings}, which turns parsed
 * values and TARGETS into the scan engine's plan (targets files read, names
 * resolved, exclusions taken out, the seeded order and its shard) and the
 * settings of the run. Nothing is opened: bad input is a usage error before
 * any socket exists.
 *
 * @module
 */

import { parseShard } from "../engine/permutation.ts";
import { planScan, type ScanPlan, ScanPlanError } from "../engine/scan/plan.ts";
import {
  SCAN_TYPE_FLAGS,
  SCAN_TYPE_SPECS,
  SCAN_TYPES,
  type ScanType,
} from "../engine/scan/types.ts";
import { randomEphemeralPort } from "../engine/random.ts";
import {
  type AddressRange,
  parsePorts,
  parseTargetList,
  parseTargetSpec,
  type PortRange,
  subtractAddressRanges,
} from "../engine/targets.ts";
import {
  hostBroadcasts,
  leftOutNote,
  screenScanTargets,
} from "./safe_targets.ts";
import { checkScanSize } from "./scan_size.ts";
import type { AddressFamily } from "../wire/address.ts";
import { ParseError } from "../wire/errors.ts";
import { parseFlags, TCP_FLAGS } from "../wire/flags.ts";
import { defineOptions, type OptionValues } from "./args.ts";
import { CAPTURE_OUTPUT_OPTIONS } from "./capture_output.ts";
import { CliError, quote, reasonOf, UsageError } from "./errors.ts";
import type { CliHost } from "./host.ts";
import { SCAN_TIMING_OPTIONS, type ScanPace, scanPace } from "./scan_timing.ts";
import { SCAN_FORMATS, type ScanFormat } from "./scan_output.ts";
import { SCAN_REPORT_OPTIONS } from "./scan_reports.ts";
import { SCAN_RESUME_OPTIONS } from "./scan_resume.ts";
import { OS_OPTION } from "./os_option.ts";
import type { SynPresetOs } from "../wire/os_presets.ts";
import { parseAddressValue, resolveTargetSpecs } from "./target.ts";
import { parseFileName, parseInterfaceName } from "./name_values.ts";

function parseSeed(text: string): number {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    throw new ParseError(
      "seed",
      text,
      `expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
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
    parse: parseFileName,
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
    parse: parseFileName,
    help: "leave out the targets listed in a file",
    group: "Targets",
  },
  allowBroadcast: {
    kind: "boolean",
    help:
      "scan broadcast, multicast and unspecified addresses too (255.255.255.255, this host's subnets' broadcast addresses, 224.0.0.0/4, 0.0.0.0/8, ff00::/8, ::): without it a target that is one, or a block that holds only such addresses, is refused, and a block's others are left out",
    group: "Targets",
  },
  yes: {
    kind: "boolean",
    help:
      "scan more than 65,536 addresses (hosts after exclusions, whatever the ports), refused without it or --exclude-file; --dry-run needs neither",
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
    choices: [...SCAN_TYPES, "connect"] as const,
    valueName: "TYPE",
    help: `${
      SCAN_TYPES.join(" | ")
    } (default syn): the probe's flags and how replies are read, as nmap's ${
      SCAN_TYPES.map((scan) => SCAN_TYPE_SPECS[scan].nmapOption).join(" ")
    }; connect: kernel connections as nmap's -sT (no root, no raw sockets; --allow-net only)`,
    group: "Probes",
  },
  banners: {
    kind: "boolean",
    help:
      "greet each open port (HTTP HEAD /, TLS ClientHello: the certificate's subject; SSH, SMTP, FTP speak first) and report its first bytes; SYN and connect scans",
    group: "Probes",
  },
  ...OS_OPTION,
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
  interface: {
    kind: "string",
    short: "I",
    valueName: "NAME",
    parse: parseInterfaceName,
    help:
      "send Ethernet frames on this interface (Linux AF_PACKET, faster than raw IP sockets), all to the next hop of the first target (its MAC from the neighbour table), as masscan does",
    group: "Probes",
  },
  ...SCAN_TIMING_OPTIONS,
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
      "nmap (default): nmap's table, sorted, closed ports collapsed | table: a row per port as found | ndjson: one object per port | csv | json: one document at the end",
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
  ...SCAN_REPORT_OPTIONS,
  ...CAPTURE_OUTPUT_OPTIONS,
  ...SCAN_RESUME_OPTIONS,
});

/** The values of {@linkcode SCAN_OPTIONS} after parsing. */
export type ScanValues = OptionValues<typeof SCAN_OPTIONS>;

/** Everything a scan needs, checked: the engine's plan and the settings. */
export interface ScanSettings {
  /** What is scanned, in which order. */
  plan: ScanPlan;
  /** How replies are read, or `connect` for kernel connections. */
  scan: ScanType | "connect";
  /** `--banners`. */
  banners: boolean;
  /** `--os`: SYN probes as this system's. */
  os?: SynPresetOs;
  /** The probes' flags. */
  flags: number;
  /** Times an unanswered probe is sent again (stateless mode). */
  retries: number;
  /** How long a try waits, ms (stateless mode). */
  timeoutMs: number;
  /** Probes a second (stateless mode; the adaptive mode's greatest rate, or 100, sizes buffers). */
  rate: number;
  /** The mode and its timing. */
  pace: ScanPace;
  /** The source port of every probe. */
  sport: number;
  /** The output format. */
  format: ScanFormat;
  /** `--open`. */
  openOnly: boolean;
  /** Whether to draw the progress line. */
  progress: boolean;
  /** `--src`. */
  src?: string;
  /** `-I`: send frames on this interface. */
  interface?: string;
  /** `--allow-broadcast`: the raw sockets get `SO_BROADCAST`. */
  allowBroadcast?: boolean;
}

/** The options that need a certain scan type. */
function checkScanExtras(values: ScanValues, scan: ScanType | "connect"): void {
  if (values.banners === true && scan !== "syn" && scan !== "connect") {
    throw new UsageError(
      `--banners: needs a SYN or connect scan (--scan ${scan} completes no connection)`,
    );
  }
  if (values.banners === true && values.flags !== undefined) {
    throw new UsageError("--banners: conflicts with --flags; give one");
  }
  if (scan === "connect") {
    for (
      const key of ["flags", "os", "interface", "src", "sport", "pcap"] as const
    ) {
      if (values[key] !== undefined) {
        throw new UsageError(
          `--${
            key === "sport" ? "sport" : key
          }: does not apply to --scan connect (the kernel makes the connections)`,
        );
      }
    }
  } else if (values.os !== undefined && scan !== "syn") {
    throw new UsageError(
      `--os: needs a SYN scan (--scan ${scan} sends no SYN)`,
    );
  }
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

/** The switches that go together, and the only family scanned (if one is). */
function scanFamily(values: ScanValues): AddressFamily | undefined {
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
  const family: AddressFamily | undefined = values.ipv4 === true
    ? 4
    : values.ipv6 === true
    ? 6
    : undefined;
  if (values.src === undefined) return family;
  if (family !== undefined && values.src.family !== family) {
    throw new UsageError(
      `--src: ${values.src.address} is IPv${values.src.family}, but -${family} was given`,
    );
  }
  return values.src.family;
}

/**
 * Refuse the targets that are broadcast, multicast or unspecified as a
 * whole (`safe_targets.ts`); returns the addresses to leave out of the
 * others, and the note that says which were.
 */
function screenTargets(
  values: ScanValues,
  texts: readonly string[],
  include: readonly AddressRange[],
  host: CliHost,
): {
  refused: AddressRange[];
  note: (kept: readonly AddressRange[]) => string | undefined;
} {
  const allowBroadcast = values.allowBroadcast === true;
  const check = {
    verb: "scan",
    allowBroadcast,
    host,
    broadcasts: allowBroadcast ? [] : hostBroadcasts(host),
  };
  // One range per text: a name stands for its first address.
  const refused = screenScanTargets(
    include.map((range, i) => {
      const text = texts[i] ?? "";
      return { text, range, name: isTargetName(text) };
    }),
    check,
  );
  return { refused, note: (kept) => leftOutNote(kept, check) };
}

function isTargetName(text: string): boolean {
  try {
    return parseTargetSpec(text).kind === "name";
  } catch {
    return false;
  }
}

/** The target space, with names resolved and exclusions taken out. */
async function scanTargets(
  values: ScanValues,
  positionals: readonly string[],
  ports: PortRange[],
  host: CliHost,
): Promise<ScanPlan> {
  const family = scanFamily(values);
  // Each list under its own name, so that a bad entry is said to be where
  // it was written.
  const lists: { what: string; texts: string[]; exclude: boolean }[] = [
    { what: "TARGETS", texts: [...positionals], exclude: false },
    {
      what: "--targets-file",
      texts: values.targetsFile === undefined
        ? []
        : await readList(host, values.targetsFile, "--targets-file"),
      exclude: false,
    },
    { what: "--exclude", texts: (values.exclude ?? []).flat(), exclude: true },
    {
      what: "--exclude-file",
      texts: values.excludeFile === undefined
        ? []
        : await readList(host, values.excludeFile, "--exclude-file"),
      exclude: true,
    },
  ];
  if (!lists.some((list) => !list.exclude && list.texts.length > 0)) {
    throw new UsageError(
      "missing TARGETS (addresses, blocks, ranges or names; or --targets-file)",
    );
  }
  const lookup = (name: string) => {
    const net = host.net;
    if (net === undefined) {
      throw new CliError(
        `Cannot resolve host ${quote(name)}: this host has no network access`,
      );
    }
    return (text: string, options?: { family?: 4 | 6 }) =>
      net.resolveHost(text, options);
  };
  const include: AddressRange[] = [];
  const exclude: AddressRange[] = [];
  for (const list of lists) {
    (list.exclude ? exclude : include).push(
      ...await resolveTargetSpecs(list.texts, {
        lookup,
        family: list.exclude ? undefined : family,
        what: list.what,
        allAddresses: list.exclude,
      }),
    );
  }
  const targets = lists.filter((list) => !list.exclude).flatMap((list) =>
    list.texts
  );
  const { refused, note } = screenTargets(values, targets, include, host);
  try {
    const plan = planScan({
      include,
      exclude: [...exclude, ...refused],
      ports,
      ...(values.seed === undefined ? {} : { seed: values.seed }),
      ...(values.shard === undefined ? {} : { shard: values.shard }),
    });
    checkScanSize(plan.space.addressCount, values);
    const left = note(subtractAddressRanges(include, exclude));
    if (left !== undefined) host.stderr(`${left}\n`);
    return plan;
  } catch (error) {
    if (error instanceof ScanPlanError) {
      throw new UsageError(`TARGETS: ${error.reason}`, { cause: error });
    }
    if (error instanceof RangeError) {
      throw new UsageError(`TARGETS: ${reasonOf(error)}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Check the command line and build the plan; nothing is opened.
 *
 * @param values The parsed options.
 * @param positionals TARGETS.
 * @param host The host: targets files, name resolution, the terminal.
 * @returns The settings.
 * @throws {UsageError} For anything the command line says wrong.
 * @throws {CliError} When a name does not resolve.
 *
 * @example
 * ```ts
 * import { SCAN_OPTIONS, scanSettings } from "./scan_options.ts";
 * import { parseArgs } from "./args.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const { values, positionals } = parseArgs(
 *   ["192.0.2.0/30", "-p", "22,80", "--seed", "7", "--scan", "fin"],
 *   SCAN_OPTIONS,
 * );
 * const settings = await scanSettings(values, positionals, createMemoryHost());
 * assert.equal(settings.plan.order.length, 8);
 * assert.equal(settings.flags, 0x01);
 * const { values: sharded } = parseArgs(["-p", "22", "--shard", "1/2"], SCAN_OPTIONS);
 * await assert.rejects(
 *   scanSettings(sharded, ["192.0.2.1"], createMemoryHost()),
 *   /--shard: needs --seed/,
 * );
 * ```
 */
export async function scanSettings(
  values: ScanValues,
  positionals: readonly string[],
  host: CliHost,
): Promise<ScanSettings> {
  if (values.ports === undefined) {
    throw new UsageError(
      "missing -p/--ports (the ports to scan: 22,80,443 | 1-1024 | -)",
    );
  }
  const plan = await scanTargets(values, positionals, values.ports, host);
  const scan = values.scan ?? "syn";
  const pace = scanPace(values);
  checkScanExtras(values, scan);
  const settings: ScanSettings = {
    plan,
    scan,
    flags: values.flags ??
      (scan === "connect" ? TCP_FLAGS.syn : SCAN_TYPE_FLAGS[scan]),
    banners: values.banners === true,
    retries: pace.mode === "stateless" ? pace.retries : pace.timing.maxRetries,
    timeoutMs: pace.mode === "stateless"
      ? pace.timeoutMs
      : pace.timing.initialRttMs,
    rate: pace.mode === "stateless"
      ? pace.rate
      : Math.max(100, pace.timing.maxRate, pace.timing.minRate),
    pace,
    sport: values.sport ?? randomEphemeralPort(),
    format: values.format ?? "nmap",
    openOnly: values.open === true,
    progress: values.progress === true ||
      (values.noProgress !== true && host.isTerminal.stderr),
  };
  if (values.src !== undefined) settings.src = values.src.address;
  if (values.os !== undefined) settings.os = values.os;
  if (values.interface !== undefined) settings.interface = values.interface;
  if (values.allowBroadcast === true) settings.allowBroadcast = true;
  return settings;
}

const NMAP_SPELLINGS: Readonly<Record<string, string>> = {
  "-oN": "--output-normal",
  "-oX": "--output-xml",
  "-oG": "--output-grepable",
  "-oA": "--output-all",
};

/**
 * nmap's spellings `-oN FILE`, `-oX FILE`, `-oG FILE`, `-oA BASE` as the
 * option parser reads them (`--oN FILE`…).
 *
 * @param args The arguments.
 * @returns The arguments, those four rewritten.
 *
 * @example
 * ```ts
 * import { nmapSpellings } from "./scan_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(nmapSpellings(["-oX", "a.xml", "-p", "80"]), ["--output-xml", "a.xml", "-p", "80"]);
 * ```
 */
export function nmapSpellings(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === "--") {
      out.push(...args.slice(out.length));
      break;
    }
    out.push(NMAP_SPELLINGS[arg] ?? arg);
  }
  return out;
}
