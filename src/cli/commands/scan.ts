/**
 * `tcpcraft scan TARGETS -p PORTS [OPTIONS]`: a port scanner with nmap's
 * port states, reasons, timing and outputs, or, given `--rate`, a stateless
 * one in the manner of masscan and zmap: the scan engine
 * (`src/engine/scan/`) run from the command line.
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
 *   the header they quote) and read as nmap reads them (the scan-type
 *   registry, `src/engine/scan/types.ts`). A probe unanswered after
 *   `--timeout` is sent again, `--retries` times (default 1); then the port
 *   gets its scan type's no-response state.
 * - Pacing: a token bucket at `--rate` probes per second (default 100,
 *   masscan's), retries included; probes due together to one destination go
 *   in one `sendMany` call.
 * - Timing: nmap's adaptive engine by default (`-T0`..`-T5`, see
 *   `scan_timing.ts`); `--rate`, `--retries` or `--timeout` choose the
 *   stateless mode described below (pacing, retries).
 * - Output: nmap's table by default, sorted, written at the end
 *   (`scan_reports.ts`; `-oN/-oX/-oG/-oA` files besides). Otherwise results
 *   are printed as they are found: `table` prints fixed-width rows under a
 *   header; `ndjson` one object per line
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
 * - Safe defaults (`safe_targets.ts`): a target that is a broadcast,
 *   multicast or unspecified address, or a block holding only such
 *   addresses, is refused without `--allow-broadcast`; inside other blocks
 *   they are left out, with a note. More than 65,536 addresses (hosts,
 *   whatever the ports) need `--yes` or `--exclude-file`, but not for
 *   `--dry-run`.
 * - Ctrl-C stops sending fresh probes (the adaptive mode finishes the ports
 *   started; a second Ctrl-C stops at once), saves a resume file
 *   (`scan_resume.ts`), prints the summary ending `, interrupted` and exits
 *   130; ports not yet decided are not reported. `--resume FILE` goes on.
 * - `--scan connect` and `--banners`: `scan_connect.ts`.
 * - Everything the command line says is checked before a socket is opened
 *   (exit 2, nothing sent). Needs root or cap_net_raw and, under deno run,
 *   --allow-ffi; Linux only (macOS does not deliver TCP to raw sockets,
 *   Windows has none).
 *
 * @module
 */

import type { ScanOutcome, ScanResult } from "../../engine/scan/result.ts";
import { type ScanType, scanTypeSpec } from "../../engine/scan/types.ts";
import { formatFlags } from "../../wire/flags.ts";
import { type ArgSpec, type Command, defineCommand } from "../command.ts";
import { plural, reasonOf, UsageError } from "../errors.ts";
import { permissionsFor, requirePermissions } from "../permissions.ts";
import { dropPrivileges } from "../privileges.ts";
import {
  connectPermissions,
  type OpenedScan,
  openScanSession,
  scanPermissions,
} from "../scan_session.ts";
import type { CliHost } from "../host.ts";
import { type TwoStageInterrupt, twoStageInterrupt } from "../interrupt.ts";
import { createFormatter, type OutputFormatter } from "../output.ts";
import { openScanReports, type ScanReports } from "../scan_reports.ts";
import {
  restoreDecided,
  type ResumeKeeper,
  savedArgs,
  saveOrRemove,
  startCheckpoints,
} from "../scan_resume.ts";
import type { ResumeOutput, ResumeState } from "../../engine/resume.ts";
import { resumedCommandLine, resumeKeeper } from "../scan_resume_setup.ts";
import { BannerQueue, sessionBanner } from "../scan_connect.ts";
import { ScanLineWriter } from "../scan_lines.ts";
import { bannerLines, resultWriter, runConnect } from "../scan_results.ts";
import {
  nmapSpellings,
  SCAN_OPTIONS,
  type ScanSettings,
  scanSettings,
  type ScanValues,
} from "../scan_options.ts";
import {
  dropLine,
  dryRunLines,
  hostWidth,
  ProgressLine,
  SCAN_OUTPUT_KINDS,
  type ScanDocument,
  scanView,
  shownWithOpen,
  summaryLine,
} from "../scan_output.ts";

/** How often the progress line is redrawn, in milliseconds. */
const PROGRESS_MS = 250;

/** After the run: the resume file, the outputs' ends, the summary; the exit code. */
async function finishScan(
  settings: ScanSettings,
  outcome: ScanOutcome,
  parts: {
    host: CliHost;
    keeper: ResumeKeeper | undefined;
    reports: ScanReports | undefined;
    output: OutputFormatter<ScanResult, ScanDocument> | undefined;
    banners: ScanResult[];
  },
): Promise<number> {
  const { host, keeper, reports, output, banners } = parts;
  const { plan } = settings;
  await saveOrRemove(host, keeper, reports, outcome);
  output?.end(scanDocument(settings, outcome));
  reports?.formatter.end(
    outcome.failure === undefined
      ? {}
      : { error: reasonOf(outcome.failure.error as Error) },
  );
  await reports?.close();
  if (settings.format === "nmap" && banners.length > 0) {
    host.stdout(bannerLines(banners));
  }
  if (outcome.failure === undefined || outcome.probesSent > 0) {
    host.stderr(`${summaryLine(plan, outcome)}\n`);
  }
  if (outcome.kernelDrops !== undefined && outcome.kernelDrops > 0) {
    host.stderr(`${dropLine(outcome.kernelDrops)}\n`);
  }
  if (outcome.failure !== undefined) throw outcome.failure.error;
  return outcome.interrupted ? 130 : 0;
}

/**
 * Open the scan's sockets (none for a connect scan, which gives up its
 * privileges at once) and the resume file asked for; on failure, close
 * the resume file and the reports already opened.
 */
async function openForScan(
  settings: ScanSettings,
  host: CliHost,
  parts: {
    pcap: string | undefined;
    resumed: boolean;
    holdResume: boolean;
    keeper: ResumeKeeper | undefined;
    reports: ScanReports | undefined;
  },
): Promise<OpenedScan | undefined> {
  const { keeper, reports } = parts;
  try {
    // A resume file asked for is opened now: once the process has given
    // up its privileges it may not create one in this directory.
    if (parts.holdResume) await keeper?.hold();
    if (settings.scan !== "connect") {
      return await openScanSession(settings, host, parts.pcap, parts.resumed);
    }
    // Kernel connections need no privilege: none is kept while strangers'
    // bytes are read.
    dropPrivileges(host);
    return undefined;
  } catch (error) {
    await keeper?.release();
    await reports?.close();
    throw error;
  }
}

/** An interrupt signal as a `using` resource. */
function disposable(
  interrupt: TwoStageInterrupt,
): TwoStageInterrupt & Disposable {
  return Object.assign(interrupt, {
    [Symbol.dispose]: () => interrupt.dispose(),
  });
}

/** The JSON document's settings and summary. */
function scanDocument(
  settings: ScanSettings,
  outcome: ScanOutcome,
): ScanDocument {
  const { plan } = settings;
  return {
    scan: {
      type: settings.scan,
      flags: formatFlags(settings.flags),
      ports: plan.space.portCount,
      hosts: plan.space.addressCount,
      seed: plan.seed,
      shard: `${plan.shard.index}/${plan.shard.count}`,
      rate: settings.rate,
      retries: settings.retries,
      timeout_ms: settings.timeoutMs,
      source_port: settings.sport,
    },
    summary: {
      ...outcome.counts,
      probes: outcome.probesSent,
      elapsed_s: Number((outcome.elapsedMs / 1000).toFixed(3)),
      interrupted: outcome.interrupted,
    },
  };
}

/** Run an opened scan, printing results as they come. */
async function runScan(
  settings: ScanSettings,
  opened: OpenedScan,
  outputs: {
    output: OutputFormatter<ScanResult, ScanDocument> | undefined;
    reports: ScanReports | undefined;
    keeper?: ResumeKeeper | undefined;
    banners?: ScanResult[];
    decided?: Iterable<number>;
    interrupt: TwoStageInterrupt;
  },
  host: CliHost,
): Promise<ScanOutcome> {
  const { session, capture, bannerNet } = opened;
  const { reports } = outputs;
  const progress = new ProgressLine(host);
  // Lines straight from the engine's reused result, when they are all
  // there is (nmap's outputs need the results themselves).
  const lines = outputs.output === undefined || reports !== undefined ||
      settings.format === "json" || settings.banners ||
      outputs.keeper !== undefined
    ? undefined
    : new ScanLineWriter(host, settings.format, hostWidth(settings.plan.space));
  if (lines !== undefined) lines.onWrite = () => progress.clear();
  const { interrupt } = outputs;
  const direct = resultWriter(settings, outputs, progress);
  const banners = settings.banners
    ? new BannerQueue(
      direct,
      (result) => sessionBanner({ net: bannerNet }, result),
    )
    : undefined;
  const write = banners === undefined
    ? direct
    : (results: readonly ScanResult[]) => banners.add(results);
  try {
    return await session.run({
      clock: host,
      rate: settings.rate,
      retries: settings.retries,
      timeoutMs: settings.timeoutMs,
      ...(settings.pace.mode === "adaptive"
        ? { timing: settings.pace.timing, stopNow: interrupt.now }
        : {}),
      ...(outputs.decided === undefined ? {} : { decided: outputs.decided }),
      signal: interrupt.signal,
      ...(settings.progress ? { progressMs: PROGRESS_MS } : {}),
      // --open of a scan whose silent ports are filtered reports only
      // answers: without retries the engine then keeps nothing per probe.
      reportSilence: reports !== undefined || !settings.openOnly ||
        shownWithOpen(scanTypeSpec(settings.scan as ScanType).noResponse),
      onProgress: (at) => progress.draw(at),
      onResult: (result) => write([result]),
      // Lines built as bytes from one reused result, written once per turn
      // of the loop (json collects the results for its document instead).
      ...(lines === undefined ? { onResults: write } : {
        onResultView(result) {
          if (!settings.openOnly || shownWithOpen(result.state)) {
            lines.write(result);
          }
        },
        onFlush: () => lines.flush(),
      }),
      ...(capture === undefined ? {} : {
        record: (packet) =>
          capture.record(packet.bytes, packet.event, {
            timestamp: packet.timestamp,
            note: packet.event === "sent"
              ? `${packet.address} port ${packet.port} try ${packet.try}`
              : `${packet.address} port ${packet.port}`,
          }),
      }),
    });
  } finally {
    await banners?.settle();
    await opened.release();
    lines?.flush();
    await capture?.close();
    progress.clear();
  }
}

/** nmap's outputs of a run (`-oN/-oX/-oG/-oA`, nmap's table), opened. */
function openReports(
  settings: ScanSettings,
  values: ScanValues,
  host: CliHost,
  run: {
    version: string;
    state: ResumeState | undefined;
    resume: string | undefined;
  },
): Promise<ScanReports | undefined> {
  const { state } = run;
  const wallClock = () => host.net?.wallClock() ?? Date.now();
  return openScanReports(values, {
    host,
    scanType: settings.scan,
    space: settings.plan.space,
    args: [
      "tcpcraft",
      "scan",
      ...(state === undefined
        ? rawArgs.get(host) ?? []
        : savedArgs(state, run.resume!)),
    ].join(" "),
    startMs: wallClock(),
    now: wallClock,
    version: run.version,
    stdout: settings.format === "nmap",
    openOnly: settings.openOnly,
    ...(state === undefined ? {} : {
      offsets: new Map(
        state.outputs.filter((o: ResumeOutput) => o.format !== "pcap").map((
          o,
        ) => [o.path, o.offset]),
      ),
    }),
  });
}

const ARGS: readonly ArgSpec[] = [{
  name: "TARGETS",
  help:
    "one or more addresses, CIDR blocks (192.0.2.0/24, 2001:db8::/120), ranges (192.0.2.1-192.0.2.9) or host names",
  optional: true,
  variadic: true,
}];

/** The command as defined; {@linkcode scanCommand} adds nmap's `-oX` spellings. */
const scanSpec: Command = defineCommand({
  name: "scan",
  summary:
    "scan ports of many hosts with nmap's states and timing, or statelessly at a fixed rate (root or cap_net_raw, --allow-ffi; --scan connect: --allow-net only)",
  description: [
    "Probes every target and port in a seeded pseudo-random order and reads the",
    "answers as nmap does: open, closed, filtered, unfiltered or open|filtered, with",
    "the reason (syn-ack, reset, no-response, port-unreach, admin-prohibited…).",
    "",
    "Timing, two modes:",
    "  adaptive (default): nmap's engine, per host: a measured retransmission timeout,",
    "    a congestion window, more retries where retries get answered, a second's",
    "    wait before each new round of retries (ICMP rate limits), a growing delay",
    "    for a host that drops. -T0..-T5 are nmap's templates (default -T3).",
    "  stateless (--rate, --retries or --timeout): masscan's and zmap's: a fixed rate,",
    "    timeout and number of retries, nothing learned from the answers; for line",
    "    rate. --seed S with --shard I/N splits the work between N machines.",
    "",
    "Output: nmap's table by default (sorted, SERVICE, 'Not shown: N closed tcp",
    "ports'); -oN/-oX/-oG/-oA write nmap's files; --format table|ndjson|csv|json.",
    "Ctrl-C finishes the ports started (Ctrl-C again stops at once), saves a resume",
    "file and exits 130; scan --resume FILE goes on where it stopped.",
    "",
    "Safe defaults: a target that is a broadcast, multicast or unspecified address",
    "(255.255.255.255, this host's subnets' broadcast addresses, 224.0.0.0/4,",
    "0.0.0.0/8, ff00::/8, ::), or a block of nothing else, is refused without",
    "--allow-broadcast; inside other blocks such addresses are left out (a note says",
    "so). More than 65,536 addresses (hosts, whatever the ports) need --yes or an",
    "--exclude-file; --dry-run needs neither.",
    "",
    "Needs root or cap_net_raw and, under deno run, --allow-ffi (--dry-run needs",
    "neither; --scan connect needs only --allow-net and works anywhere). Raw scans",
    "are Linux only: macOS does not deliver TCP to raw sockets.",
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
      comment: "Every port of one host, nmap -T4's timing, nmap's XML too",
      command: "sudo tcpcraft scan 192.0.2.1 -p - -T4 -oX host.xml",
    },
    {
      comment:
        "Stateless at 10,000 probes per second (masscan's way), as ndjson",
      command:
        "sudo tcpcraft scan 192.0.2.0/24 -p 1-1024 --rate 10000 --format ndjson",
    },
    {
      comment: "A connect scan with banners, no root needed",
      command: "tcpcraft scan 192.0.2.1 -p 22,80,443 --scan connect --banners",
    },
    {
      comment: "Go on with a scan stopped by Ctrl-C",
      command: "sudo tcpcraft scan --resume tcpcraft-scan.resume",
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
  async run({ values: given, positionals: targets }, { host, meta }) {
    // Deno's permissions before anything is read, resolved or opened.
    requirePermissions(
      host,
      "Cannot scan",
      permissionsFor({ resume: given.resume }),
    );
    const { values, positionals, state } = await resumedCommandLine(
      given,
      targets,
      host,
    );
    requirePermissions(
      host,
      "Cannot scan",
      scanPermissions(values, positionals),
    );
    const settings = await scanSettings(values, positionals, host);
    requirePermissions(host, "Cannot scan", connectPermissions(settings));
    if (values.dryRun === true && values.pcap !== undefined) {
      throw new UsageError(
        "--pcap: conflicts with --dry-run, which sends nothing to capture",
      );
    }
    const { plan } = settings;
    if (values.dryRun === true) {
      dryRunLines(plan.order, plan.space, (text) => host.stdout(text));
      host.stderr(
        `${
          plural(plan.order.length, "probe")
        } (dry run: nothing sent; seed ${plan.seed}, shard ${plan.shard.index}/${plan.shard.count})\n`,
      );
      return 0;
    }
    const keeper = resumeKeeper(settings, values, positionals, host, {
      version: meta.version,
      state,
      path: given.resume,
      args: rawArgs.get(host) ?? [],
    });
    // Ctrl-C is ours from here to the end, so that one that comes before
    // the probes or after them cannot kill the process half way (a stale
    // resume file, an output without its end).
    using interrupt = disposable(twoStageInterrupt(host));
    // Every output file before any socket: one that cannot be written
    // is a usage error, nothing sent; a resumed scan's are appended to.
    const reports = await openReports(settings, values, host, {
      version: meta.version,
      state,
      resume: given.resume,
    });
    const opened = await openForScan(settings, host, {
      pcap: values.pcap,
      resumed: state !== undefined,
      holdResume: values.resumeFile !== undefined || state !== undefined,
      keeper,
      reports,
    });
    const output = settings.format === "nmap" ? undefined : createFormatter(
      SCAN_OUTPUT_KINDS[settings.format],
      host,
      scanView(hostWidth(plan.space)),
    );
    output?.begin();
    reports?.formatter.begin();
    const decided = state === undefined || keeper === undefined
      ? undefined
      : restoreDecided(keeper, state, reports);
    // nmap's table lists no banner: they follow it, one line each.
    const banners: ScanResult[] = [];
    const outputs = {
      output,
      reports,
      keeper,
      banners,
      interrupt,
      ...(decided === undefined ? {} : { decided }),
    };
    const checkpoints = keeper !== undefined &&
        (values.resumeFile !== undefined || state !== undefined)
      ? startCheckpoints(host, keeper, reports)
      : undefined;
    const outcome = opened === undefined
      ? await runConnect(settings, outputs, host)
      : await runScan(settings, opened, outputs, host);
    await checkpoints?.stop();
    return await finishScan(settings, outcome, {
      host,
      keeper,
      reports,
      output,
      banners,
    });
  },
});

/** The command line of each run, as typed (for nmap's outputs' headers). */
const rawArgs = new WeakMap<CliHost, readonly string[]>();

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
export const scanCommand: Command = {
  ...scanSpec,
  help: () => scanSpec.help(),
  run(args, context) {
    rawArgs.set(context.host, args);
    return scanSpec.run(nmapSpellings(args), context);
  },
};
