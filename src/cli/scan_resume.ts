/**
 * `scan --resume FILE` and the resume file a scan leaves (the format is
 * `src/engine/resume.ts`'s: seed, shard, the options, the verdicts decided
 * as runs, each output file with its complete bytes, a CRC).
 *
 * - **Written**: at Ctrl-C, after the ports already started are decided
 *   (the adaptive mode finishes them; a second Ctrl-C stops at once), to
 *   `--resume-file FILE` or else `tcpcraft-scan.resume`; with
 *   `--resume-file`, also as the scan starts and every second while it
 *   runs, so a crash loses at most the last second. Such a file is opened
 *   before the scan gives up its privileges and rewritten in place
 *   (`HostFiles.openKept`: a crash leaves the old state or the new, never
 *   half); the file a Ctrl-C saves without `--resume-file` is written
 *   beside it, then renamed over it. A scan that completes removes it (or
 *   empties it, where the user it became may not remove files there).
 * - **Read**: `scan --resume FILE` needs nothing else; the command line is
 *   the file's (options given again must be the same), and so are the
 *   seed and the source port. Each nmap output file is cut back to its
 *   complete bytes and appended to, its header kept; the verdicts decided
 *   before go to nmap's outputs again (the hosts are written at the end),
 *   and no port with a verdict is probed again. A capture file is appended
 *   to, never overwritten.
 * - **Refused** (a usage error, nothing sent, nothing overwritten): a file
 *   that is missing, corrupt, of another version, or for other options.
 *
 * @module
 */

import {
  decodeResume,
  encodeResume,
  ResumeError,
  type ResumeOptionValue,
  type ResumeOutput,
  type ResumeState,
  type ResumeVerdict,
} from "../engine/resume.ts";
import type { ScanResult } from "../engine/scan/result.ts";
import { SpaceIndex } from "../engine/scan/space_index.ts";
import type { ScanPlan } from "../engine/scan/plan.ts";
import { verdictRunsFromCodes } from "../engine/verdict_runs.ts";
import { defineOptions, type OptionValues } from "./args.ts";
import { quote, reasonOf, UsageError } from "./errors.ts";
import type { CliHost } from "./host.ts";
import type { HostKeptFile } from "../host/host.ts";
import { parseFileName } from "./name_values.ts";

/** The resume file written at Ctrl-C when `--resume-file` is not given. */
export const DEFAULT_RESUME_FILE = "tcpcraft-scan.resume";

/** The most targets × ports a scan may have to keep its verdicts for a resume file. */
export const MAX_RESUMABLE = 2 ** 27;

/** How often a scan with `--resume-file` saves where it stands, ms. */
export const CHECKPOINT_MS = 1000;

/** The options of resuming. */
export const SCAN_RESUME_OPTIONS = defineOptions({
  resume: {
    kind: "string",
    valueName: "FILE",
    parse: parseFileName,
    help:
      "continue the scan FILE was saved from: same options, seed and outputs (appended to); no port probed twice",
    group: "Resume",
  },
  resumeFile: {
    kind: "string",
    valueName: "FILE",
    parse: parseFileName,
    help:
      `keep the scan's resume state in FILE, saved every second and at Ctrl-C (default: ${DEFAULT_RESUME_FILE}, at Ctrl-C only)`,
    group: "Resume",
  },
});

/** The values of {@linkcode SCAN_RESUME_OPTIONS}. */
export type ScanResumeValues = OptionValues<typeof SCAN_RESUME_OPTIONS>;

/** Options that do not change which probes exist or where results go. */
const FREE = new Set(["resume", "resumeFile", "progress", "noProgress"]);

/**
 * The options of a command line as the resume file keeps them: every
 * option given (but the free ones), as text, numbers or booleans, and the
 * targets.
 *
 * @param values The parsed options.
 * @param positionals The TARGETS.
 * @returns The table.
 *
 * @example
 * ```ts
 * import { canonicalOptions } from "./scan_resume.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   canonicalOptions({ ports: [{ first: 1, last: 9 }], open: true, progress: true }, ["192.0.2.1"]),
 *   { targets: "192.0.2.1", ports: '[{"first":1,"last":9}]', open: true },
 * );
 * ```
 */
export function canonicalOptions(
  values: Readonly<Record<string, unknown>>,
  positionals: readonly string[],
): Record<string, ResumeOptionValue> {
  const options: Record<string, ResumeOptionValue> = {};
  if (positionals.length > 0) options.targets = positionals.join(" ");
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || FREE.has(key)) continue;
    options[key] = typeof value === "string" || typeof value === "number" ||
        typeof value === "boolean"
      ? value
      : JSON.stringify(value);
  }
  return options;
}

/**
 * Read a resume file for `scan --resume`, checking it against what the
 * command line gives.
 *
 * @param host The host.
 * @param path The file.
 * @param given The options the command line gives besides `--resume`.
 * @returns The file's state.
 * @throws {UsageError} For a file missing, corrupt, of another version or
 *   for other options.
 */
export async function readResume(
  host: CliHost,
  path: string,
  given: Readonly<Record<string, ResumeOptionValue>>,
): Promise<ResumeState> {
  let text: string;
  try {
    text = new TextDecoder().decode(await host.readFile(path));
  } catch (error) {
    const why = error instanceof Error ? reasonOf(error) : String(error);
    throw new UsageError(
      `--resume: ${
        /no such file/i.test(why)
          ? reasonOf(ResumeError.missing(path))
          : `cannot resume from ${quote(path)}: ${why}`
      }`,
      { cause: error },
    );
  }
  try {
    return decodeResume(text, { path, options: given });
  } catch (error) {
    if (error instanceof ResumeError) {
      throw new UsageError(`--resume: ${reasonOf(error)}`, { cause: error });
    }
    throw error;
  }
}

/**
 * The command line the file was saved from.
 *
 * @param state The file's state.
 * @param path The file, for messages.
 * @returns The arguments.
 * @throws {UsageError} When the file holds none.
 */
export function savedArgs(state: ResumeState, path: string): string[] {
  const text = state.options.argv;
  let args: unknown;
  try {
    args = typeof text === "string" ? JSON.parse(text) : undefined;
  } catch {
    args = undefined;
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) {
    throw new UsageError(
      `--resume: cannot resume from ${
        quote(path)
      }: the file is corrupt (no command line)`,
    );
  }
  return args;
}

/** What a resume file says of its scan besides where it stands. */
export type ResumeBase = Pick<
  ResumeState,
  "tool" | "seed" | "shard" | "total" | "options" | "round"
>;

/**
 * The verdicts a scan decided, kept for its resume file by position in the
 * shard's order: the order is walked from its start, so the decided
 * positions are nearly a prefix and a port scan's closed ports a few long
 * runs, whatever the size (the file's runs are over those positions).
 */
export class ResumeKeeper {
  readonly path: string;
  readonly #host: CliHost;
  readonly #base: ResumeBase;
  readonly #space: SpaceIndex;
  readonly #plan: ScanPlan;
  readonly #codes: Uint8Array;
  readonly #verdicts: ResumeVerdict[] = [];
  readonly #codeOf = new Map<string, number>();
  readonly #prior: { probesSent: number; elapsedMs: number };
  #writing: Promise<void> = Promise.resolve();
  #kept: HostKeptFile | undefined;

  /**
   * A keeper.
   *
   * @param host The host (where the file is written).
   * @param path The resume file.
   * @param base What the file says of the scan: tool, seed, shard, size, options.
   * @param plan The targets and their order.
   * @param prior The state resumed from, if any.
   */
  constructor(
    host: CliHost,
    path: string,
    base: ResumeBase,
    plan: ScanPlan,
    prior?: ResumeState,
  ) {
    this.#host = host;
    this.path = path;
    this.#base = base;
    this.#plan = plan;
    this.#space = new SpaceIndex(plan.space);
    this.#codes = new Uint8Array(plan.order.length);
    this.#prior = {
      probesSent: prior?.probesSent ?? 0,
      elapsedMs: prior?.elapsedMs ?? 0,
    };
  }

  /**
   * Open the file now, while the process may still create it (before it
   * gives up its privileges): later saves rewrite it in place and the
   * end removes it, or empties it where the user the process became may
   * not remove files. Hosts without `HostFiles.openKept` write
   * beside the file and rename instead.
   */
  async hold(): Promise<void> {
    const open = this.#host.files?.openKept;
    if (open === undefined || this.#kept !== undefined) return;
    try {
      this.#kept = await open.call(this.#host.files, this.path);
    } catch (error) {
      throw new UsageError(
        `--resume-file: cannot write ${quote(this.path)}: ${
          error instanceof Error ? reasonOf(error) : String(error)
        }`,
        { cause: error },
      );
    }
  }

  /**
   * The results of the runs before, from the file: kept, and returned for
   * the outputs.
   *
   * @param state The file's state.
   * @returns The results.
   */
  restore(state: ResumeState): ScanResult[] {
    const results: ScanResult[] = [];
    const decided = state.decided;
    if (decided === undefined) return results;
    const space = this.#space;
    for (const run of decided.runs) {
      const verdict = decided.verdicts[run.verdict]!;
      for (let at = run.start; at < run.start + run.length; at++) {
        const index = this.#plan.order.at(at);
        const addressIndex = index % space.addressCount;
        const result: ScanResult = {
          host: space.addressText(addressIndex),
          port: space.portAt(Math.floor(index / space.addressCount)),
          state: verdict.state,
          reason: verdict.reason,
          rttMs: null,
          addressIndex,
        };
        if (verdict.ttl !== undefined) result.ttl = verdict.ttl;
        if (verdict.reasonIp !== undefined) result.reasonIp = verdict.reasonIp;
        this.add([result]);
        results.push(result);
      }
    }
    return results;
  }

  /** The target indices with a verdict. */
  decided(): Set<number> {
    const set = new Set<number>();
    this.#codes.forEach((code, position) => {
      if (code !== 0) set.add(this.#plan.order.at(position));
    });
    return set;
  }

  /**
   * Keep results.
   *
   * @param results Results of this run.
   */
  add(results: readonly ScanResult[]): void {
    const space = this.#space;
    for (const r of results) {
      const verdict: ResumeVerdict = { state: r.state, reason: r.reason };
      if (r.ttl !== undefined) verdict.ttl = r.ttl;
      if (r.reasonIp !== undefined) verdict.reasonIp = r.reasonIp;
      const key = JSON.stringify(verdict);
      let code = this.#codeOf.get(key);
      if (code === undefined) {
        this.#verdicts.push(verdict);
        code = this.#verdicts.length;
        if (code > 255) continue; // more kinds than a byte: not kept
        this.#codeOf.set(key, code);
      }
      const index = space.portIndexOf(r.port) * space.addressCount +
        r.addressIndex;
      const position = this.#plan.order.positionOf(index);
      if (position >= 0) this.#codes[position] = code;
    }
  }

  /**
   * Write the file (beside it, then renamed over it); writes are made one
   * after another.
   *
   * @param now Where the scan stands: position, probes and time of this run.
   * @param outputs The output files and their complete bytes.
   */
  save(
    now: { position: number; probesSent: number; elapsedMs: number },
    outputs: ResumeOutput[],
  ): Promise<void> {
    const state: ResumeState = {
      ...this.#base,
      position: Math.min(now.position, this.#base.total),
      probesSent: this.#prior.probesSent + now.probesSent,
      elapsedMs: Math.round(this.#prior.elapsedMs + now.elapsedMs),
      savedAt: Date.now(),
      outputs,
      decided: {
        verdicts: this.#verdicts.slice(0, 255),
        runs: verdictRunsFromCodes(this.#codes),
      },
    };
    const bytes = new TextEncoder().encode(encodeResume(state));
    const files = this.#host.files;
    const kept = this.#kept;
    this.#writing = this.#writing.then(async () => {
      if (kept !== undefined) return await kept.replace(bytes);
      if (files?.replace === undefined) {
        throw new Error("this host cannot replace files");
      }
      await files.replace(this.path, bytes);
    });
    return this.#writing;
  }

  /**
   * Remove the file: the scan completed.
   *
   * @returns `"emptied"` when the file could only be cut to 0 bytes (see
   *   {@linkcode ResumeKeeper.hold}).
   */
  async remove(): Promise<"removed" | "emptied"> {
    await this.#writing.catch(() => {});
    if (this.#kept !== undefined) return await this.#kept.remove();
    await this.#host.files?.remove?.(this.path);
    return "removed";
  }

  /** Whether the file is held open ({@linkcode ResumeKeeper.hold}). */
  get held(): boolean {
    return this.#kept !== undefined;
  }

  /** Close the file held open, leaving it as it is. */
  close(): void {
    this.#kept?.close();
  }

  /**
   * Undo {@linkcode ResumeKeeper.hold} when the scan could not start: a
   * file it created is removed, one that was there is left as it was.
   */
  async release(): Promise<void> {
    const kept = this.#kept;
    this.#kept = undefined;
    if (kept === undefined) return;
    if (kept.created) await kept.remove().catch(() => {});
    else kept.close();
  }
}

/** The outputs whose complete bytes a resume file records. */
export interface ResumableOutputs {
  /** nmap's files and the bytes handed to each. */
  readonly files: readonly {
    file: { path: string; format: string };
    written: number;
  }[];
  /** Wait for every file's writes. */
  settle(): Promise<void>;
}

/**
 * The output files as the resume file lists them: nmap's, whose hosts are
 * written at the end, so that what is complete is what was written so far
 * (their header).
 *
 * @param reports nmap's outputs, if any.
 * @returns The list.
 */
export function resumeOutputs(
  reports: ResumableOutputs | undefined,
): ResumeOutput[] {
  return (reports?.files ?? []).map(({ file, written }) => ({
    path: file.path,
    format: file.format,
    offset: written,
  }));
}

/**
 * The verdicts of the runs before: kept by the keeper, handed to nmap's
 * outputs, and returned as the indices the engine must not probe again.
 *
 * @param keeper The keeper.
 * @param state The file's state.
 * @param reports nmap's outputs, if any.
 * @returns The decided indices.
 */
export function restoreDecided(
  keeper: ResumeKeeper,
  state: ResumeState,
  reports:
    | { formatter: { write(results: readonly ScanResult[]): void } }
    | undefined,
): Set<number> {
  const results = keeper.restore(state);
  reports?.formatter.write(results);
  return keeper.decided();
}

/**
 * Save the resume file now and then every {@linkcode CHECKPOINT_MS} until
 * stopped.
 *
 * @param host The host's clock.
 * @param keeper The keeper.
 * @param reports nmap's outputs.
 * @returns `stop()`, which waits for the last save.
 */
export function startCheckpoints(
  host: CliHost,
  keeper: ResumeKeeper,
  reports: ResumableOutputs | undefined,
): { stop(): Promise<void> } {
  let running = true;
  const started = host.now();
  const loop = (async () => {
    // Saved at once too: a scan killed in its first second can be resumed.
    for (let first = true; running; first = false) {
      if (!first) {
        await new Promise((resolve) => setTimeout(resolve, CHECKPOINT_MS));
        if (!running) break;
      }
      await reports?.settle().catch(() => {});
      await keeper.save({
        position: 0,
        probesSent: 0,
        elapsedMs: host.now() - started,
      }, resumeOutputs(reports)).catch(() => {});
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * After the run: an interrupted scan saves its resume file (and says how
 * to go on), a completed one removes it.
 *
 * @param host The host.
 * @param keeper The keeper, if the scan keeps one.
 * @param reports nmap's outputs.
 * @param outcome How the run ended.
 */
export async function saveOrRemove(
  host: CliHost,
  keeper: ResumeKeeper | undefined,
  reports: ResumableOutputs | undefined,
  outcome: {
    interrupted: boolean;
    probesSent: number;
    elapsedMs: number;
    failure?: unknown;
  },
): Promise<void> {
  if (keeper === undefined) return;
  if (!outcome.interrupted && outcome.failure === undefined) {
    const done = await keeper.remove().catch(() => "removed");
    if (done === "emptied") {
      host.stderr(
        `note: the scan completed; ${
          quote(keeper.path)
        } is left empty (the user this scan ran as may not remove files there)\n`,
      );
    }
    return;
  }
  try {
    await reports?.settle();
    await keeper.save({
      position: 0,
      probesSent: outcome.probesSent,
      elapsedMs: outcome.elapsedMs,
    }, resumeOutputs(reports));
    host.stderr(
      `saved where the scan stands; go on with: tcpcraft scan --resume ${keeper.path}\n`,
    );
  } catch (error) {
    host.stderr(
      `warning: cannot save the resume file ${quote(keeper.path)}: ${
        error instanceof Error ? reasonOf(error) : String(error)
      }${
        keeper.held
          ? ""
          : " (give --resume-file FILE: it is opened before the scan gives up its privileges)"
      }\n`,
    );
  } finally {
    keeper.close();
  }
}
