/**
 * The resume file of a scan: what an interrupted scan (Ctrl-C, a crash)
 * leaves so that `scan --resume FILE` continues it without sending a probe
 * twice or missing one, appending to the same outputs. masscan's resume is
 * its most reported weakness (outputs overwritten, settings lost); this
 * file holds everything the continuation needs, and refuses to be used for
 * anything else:
 *
 * - who wrote it (`tool`) and the format's version;
 * - the plan: the seed of the order, the shard, the size of the shard's
 *   order, and the options that decide which probes exist and what they
 *   say (targets, ports, scan type…), compared key by key on resume;
 * - where sending stood: the next position of the shard's order, the
 *   round of tries, the probes sent and the time spent;
 * - the verdicts already decided, when silence is a verdict (a port that
 *   never answers is filtered, so the continuation must know who did
 *   answer) and for outputs that write each host only when it is complete
 *   (nmap's): the indices of the target space with a verdict, as runs of
 *   equal verdicts (a run-length code of a bitmap whose bits carry a small
 *   verdict number), so the 65,535 closed ports of a host take a few bytes;
 * - each output file with the bytes of it that are complete: resuming cuts
 *   the file back to them and appends, so a half-written record cannot
 *   survive and nothing before it is rewritten.
 *
 * The file is one line of JSON (the runs in base64) with a CRC-32 of its
 * content. {@linkcode decodeResume} turns every way it can be wrong into a
 * {@linkcode ResumeError} of one line: `missing`, `corrupt`, `version`,
 * `options`.
 *
 * @module
 */

import type { PortState } from "./scan/state.ts";
import {
  crc32Hex,
  decodeVerdictRuns,
  encodeVerdictRuns,
  fromBase64,
  toBase64,
  type VerdictRun,
} from "./verdict_runs.ts";

/**
 * The format's name, in every file.
 *
 * @example
 * ```ts
 * import { encodeResume, RESUME_FORMAT, type ResumeState } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const state = { tool: "t", seed: 1, shard: { index: 1, count: 1 }, total: 1, options: {},
 *   position: 0, round: 1, probesSent: 0, elapsedMs: 0, savedAt: 0, outputs: [] } satisfies ResumeState;
 * assert.equal(JSON.parse(encodeResume(state)).format, RESUME_FORMAT);
 * ```
 */
export const RESUME_FORMAT = "tcpcraft-resume";
/**
 * The format's version this code reads and writes; a file of another
 * version is refused (`ResumeError` of kind `version`).
 *
 * @example
 * ```ts
 * import { RESUME_VERSION } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(RESUME_VERSION, 1);
 * ```
 */
export const RESUME_VERSION = 1;

/** An option value the resume file keeps. */
export type ResumeOptionValue = string | number | boolean | null;

/** A verdict a run of targets shares. */
export interface ResumeVerdict {
  /** The state. */
  state: PortState;
  /** nmap's reason. */
  reason: string;
  /** The reply's TTL or hop limit. */
  ttl?: number;
  /** The sender of the ICMP error, when not the target. */
  reasonIp?: string;
}

/** The verdicts decided before the interruption. */
export interface ResumeDecided {
  /** The distinct verdicts; a run's `verdict` is an index into them. */
  verdicts: ResumeVerdict[];
  /** The decided targets, ascending and not overlapping. */
  runs: VerdictRun[];
}

/** An output file and how much of it is complete. */
export interface ResumeOutput {
  /** The path, as given. */
  path: string;
  /** Its format (`normal`, `xml`, `grepable`, `ndjson`, `csv`, `json`, `pcap`…). */
  format: string;
  /** The bytes at its start that are complete: resuming cuts it back to them. */
  offset: number;
}

/** Everything a resume file holds. */
export interface ResumeState {
  /** Who wrote it (`tcpcraft 0.1.0`). */
  tool: string;
  /** The seed of the order. */
  seed: number;
  /** The shard, 1-based. */
  shard: { index: number; count: number };
  /** How many positions the shard's order has. */
  total: number;
  /** The options that decide which probes exist and what they say. */
  options: Readonly<Record<string, ResumeOptionValue>>;
  /** The next position of the shard's order to send. */
  position: number;
  /** The round of tries (1: first probes, 2: first retries…). */
  round: number;
  /** Probes sent so far, retries included. */
  probesSent: number;
  /** Time spent so far, ms. */
  elapsedMs: number;
  /** When the file was written, epoch ms. */
  savedAt: number;
  /** The verdicts decided, when they must be kept. */
  decided?: ResumeDecided;
  /** The output files. */
  outputs: ResumeOutput[];
}

/** How a resume file can be unusable. */
export type ResumeErrorKind = "missing" | "corrupt" | "version" | "options";

/**
 * A resume file that cannot be used: one line that says which file and
 * why, `Cannot resume from "scan.resume": …`.
 *
 * @example
 * ```ts
 * import { ResumeError } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = ResumeError.missing("scan.resume");
 * assert.equal(error.kind, "missing");
 * assert.equal(error.message, 'Cannot resume from "scan.resume": the file does not exist');
 * ```
 */
export class ResumeError extends Error {
  /** Which way it is unusable. */
  readonly kind: ResumeErrorKind;
  /** The file. */
  readonly path: string;

  /**
   * Create the error.
   *
   * @param kind Which way it is unusable.
   * @param path The file.
   * @param why Why, completing `Cannot resume from "PATH": `.
   */
  constructor(kind: ResumeErrorKind, path: string, why: string) {
    super(`Cannot resume from ${JSON.stringify(path)}: ${why}`);
    this.name = "ResumeError";
    this.kind = kind;
    this.path = path;
  }

  /**
   * The error for a file that does not exist.
   *
   * @param path The file.
   * @returns The error.
   */
  static missing(path: string): ResumeError {
    return new ResumeError("missing", path, "the file does not exist");
  }
}

// ---------------------------------------------------------------- the file

/**
 * The text of a resume file: one line of JSON, the runs in base64, with
 * the CRC-32 of its content.
 *
 * @param state What the file holds.
 * @returns The text, ending with a newline.
 *
 * @example
 * ```ts
 * import { decodeResume, encodeResume, type ResumeState } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const state: ResumeState = {
 *   tool: "tcpcraft 0.1.0", seed: 2024, shard: { index: 1, count: 1 }, total: 65535,
 *   options: { targets: "192.0.2.1", ports: "1-65535", scan: "syn" },
 *   position: 30000, round: 1, probesSent: 30000, elapsedMs: 3000, savedAt: 0,
 *   decided: {
 *     verdicts: [{ state: "closed", reason: "reset", ttl: 64 }, { state: "open", reason: "syn-ack", ttl: 64 }],
 *     runs: [{ start: 0, length: 21, verdict: 0 }, { start: 21, length: 1, verdict: 1 }, { start: 22, length: 29000, verdict: 0 }],
 *   },
 *   outputs: [{ path: "scan.xml", format: "xml", offset: 412 }],
 * };
 * const text = encodeResume(state);
 * assert.ok(text.length < 600);
 * assert.deepEqual(decodeResume(text, { path: "scan.resume" }), state);
 * ```
 */
export function encodeResume(state: ResumeState): string {
  const body: Record<string, unknown> = {
    tool: state.tool,
    seed: state.seed,
    shard: state.shard,
    total: state.total,
    options: state.options,
    position: state.position,
    round: state.round,
    probesSent: state.probesSent,
    elapsedMs: state.elapsedMs,
    savedAt: state.savedAt,
    outputs: state.outputs,
  };
  if (state.decided !== undefined) {
    body.decided = {
      verdicts: state.decided.verdicts,
      runs: toBase64(encodeVerdictRuns(state.decided.runs)),
    };
  }
  const content = JSON.stringify(body);
  return `{"format":"${RESUME_FORMAT}","version":${RESUME_VERSION},"crc32":"${
    crc32Hex(content)
  }","state":${content}}\n`;
}

/** Options for {@linkcode decodeResume}. */
export interface DecodeResumeOptions {
  /** The file's path, for the messages. */
  path: string;
  /**
   * The options of the command that resumes, when it gives some: each must
   * equal the file's ({@linkcode checkResumeOptions}).
   */
  options?: Readonly<Record<string, ResumeOptionValue>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) &&
    value >= 0;
}

const STATES: readonly string[] = [
  "open",
  "closed",
  "filtered",
  "unfiltered",
  "open|filtered",
];

/** Why the state is not well formed, or undefined when it is. */
function stateProblem(state: Record<string, unknown>): string | undefined {
  for (
    const key of [
      "seed",
      "total",
      "position",
      "round",
      "probesSent",
      "elapsedMs",
      "savedAt",
    ]
  ) {
    if (!isCount(state[key])) return `${key} is not a count`;
  }
  if (typeof state.tool !== "string") return "tool is not text";
  const shard = state.shard;
  if (
    !isRecord(shard) || !isCount(shard.index) || !isCount(shard.count) ||
    shard.index < 1 || shard.index > shard.count
  ) return "the shard is not I/N";
  if ((state.position as number) > (state.total as number)) {
    return "the position is past the end of the order";
  }
  if (
    !isRecord(state.options) ||
    Object.values(state.options).some((v) =>
      v !== null && !["string", "number", "boolean"].includes(typeof v)
    )
  ) return "the options are not a table of values";
  if (
    !Array.isArray(state.outputs) ||
    !state.outputs.every((o) =>
      isRecord(o) && typeof o.path === "string" &&
      typeof o.format === "string" && isCount(o.offset)
    )
  ) return "the outputs are not a list of files and offsets";
  return undefined;
}

function decodeDecided(
  value: unknown,
  total: number,
): ResumeDecided | string {
  if (
    !isRecord(value) || !Array.isArray(value.verdicts) ||
    typeof value.runs !== "string"
  ) return "the decided verdicts are not verdicts and runs";
  const verdicts = value.verdicts as unknown[];
  for (const v of verdicts) {
    if (
      !isRecord(v) || typeof v.state !== "string" ||
      !STATES.includes(v.state) || typeof v.reason !== "string" ||
      (v.ttl !== undefined && !isCount(v.ttl)) ||
      (v.reasonIp !== undefined && typeof v.reasonIp !== "string")
    ) return "a decided verdict is not a state and a reason";
  }
  let runs: VerdictRun[];
  try {
    runs = decodeVerdictRuns(fromBase64(value.runs));
  } catch (error) {
    return `the runs cannot be read: ${(error as Error).message}`;
  }
  // Runs come out ascending; an empty one is no run (and no encoder writes it).
  if (runs.some((r) => r.length < 1)) return "a run is empty";
  const last = runs[runs.length - 1];
  if (last !== undefined && last.start + last.length > total) {
    return "a run is past the end of the order";
  }
  if (runs.some((r) => r.verdict >= verdicts.length)) {
    return "a run names a verdict that is not there";
  }
  return { verdicts: verdicts as ResumeVerdict[], runs };
}

/**
 * Read a resume file, checking all of it: its format and version, its
 * CRC, every field, and, when given, the options of the command that
 * resumes.
 *
 * @param text The file's text (read it, and turn a missing file into
 *   {@linkcode ResumeError.missing}).
 * @param options The path for messages, the options to compare.
 * @returns What the file holds.
 * @throws {ResumeError} `corrupt` (not this format, CRC mismatch, a field
 *   wrong), `version` (another version of the format), `options` (other
 *   options than the command's).
 *
 * @example
 * ```ts
 * import { decodeResume, ResumeError } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => decodeResume("PK\u0003\u0004...", { path: "x.resume" }),
 *   (e) => e instanceof ResumeError && e.kind === "corrupt" &&
 *     e.message === 'Cannot resume from "x.resume": the file is corrupt (not a tcpcraft resume file)',
 * );
 * assert.throws(
 *   () => decodeResume('{"format":"tcpcraft-resume","version":9,"state":{"tool":"tcpcraft 9.0.0"}}', { path: "x.resume" }),
 *   /it was written by tcpcraft 9\.0\.0 in resume format 9; this tcpcraft reads format 1/,
 * );
 * ```
 */
export function decodeResume(
  text: string,
  options: DecodeResumeOptions,
): ResumeState {
  const corrupt = (why: string) =>
    new ResumeError("corrupt", options.path, `the file is corrupt (${why})`);
  if (text.trim() === "") {
    // What a completed scan leaves where it may not remove the file, and
    // what a scan stopped before its first save leaves.
    throw new ResumeError(
      "missing",
      options.path,
      "the file is empty (its scan completed, or was stopped before its first save)",
    );
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    file = undefined;
  }
  if (!isRecord(file) || file.format !== RESUME_FORMAT) {
    throw corrupt("not a tcpcraft resume file");
  }
  if (file.version !== RESUME_VERSION) {
    const tool = isRecord(file.state) && typeof file.state.tool === "string"
      ? file.state.tool
      : "another tcpcraft";
    throw new ResumeError(
      "version",
      options.path,
      `it was written by ${tool} in resume format ${
        JSON.stringify(file.version)
      }; this tcpcraft reads format ${RESUME_VERSION}`,
    );
  }
  // The CRC covers the state exactly as written: its text between
  // `"state":` and the closing brace of the file.
  const at = text.indexOf(`"state":`);
  const content = text.slice(at + 8, text.trimEnd().length - 1);
  if (at < 0 || file.crc32 !== crc32Hex(content)) {
    throw corrupt("its check sum does not match its content");
  }
  const raw = file.state;
  if (!isRecord(raw)) throw corrupt("no state");
  const problem = stateProblem(raw);
  if (problem !== undefined) throw corrupt(problem);
  const state = raw as unknown as ResumeState;
  const decoded: ResumeState = {
    tool: state.tool,
    seed: state.seed,
    shard: { index: state.shard.index, count: state.shard.count },
    total: state.total,
    options: state.options,
    position: state.position,
    round: state.round,
    probesSent: state.probesSent,
    elapsedMs: state.elapsedMs,
    savedAt: state.savedAt,
    outputs: state.outputs,
  };
  if (raw.decided !== undefined) {
    const decided = decodeDecided(raw.decided, state.total);
    if (typeof decided === "string") throw corrupt(decided);
    decoded.decided = decided;
  }
  if (options.options !== undefined) {
    checkResumeOptions(decoded, options.options, options.path);
  }
  return decoded;
}

/**
 * Check that a command resumes the scan the file is for: every option the
 * file keeps must be given the same value (an option the command does not
 * give keeps the file's).
 *
 * @param state The file's state.
 * @param options The command's options.
 * @param path The file, for the message.
 * @throws {ResumeError} `options`, naming the first option that differs.
 *
 * @example
 * ```ts
 * import { checkResumeOptions, type ResumeState } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const state = { options: { ports: "1-1000", scan: "syn" } } as unknown as ResumeState;
 * checkResumeOptions(state, { scan: "syn" }, "s.resume");
 * assert.throws(
 *   () => checkResumeOptions(state, { ports: "1-65535" }, "s.resume"),
 *   (e) => e instanceof Error &&
 *     e.message === 'Cannot resume from "s.resume": it is for other options (ports "1-1000" in the file, "1-65535" given)',
 * );
 * ```
 */
export function checkResumeOptions(
  state: ResumeState,
  options: Readonly<Record<string, ResumeOptionValue>>,
  path: string,
): void {
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(state.options, key)) {
      throw new ResumeError(
        "options",
        path,
        `it is for other options (${key} ${
          JSON.stringify(value)
        } given, not in the file)`,
      );
    }
    const kept = state.options[key];
    if (kept !== value) {
      throw new ResumeError(
        "options",
        path,
        `it is for other options (${key} ${JSON.stringify(kept)} in the file, ${
          JSON.stringify(value)
        } given)`,
      );
    }
  }
}
