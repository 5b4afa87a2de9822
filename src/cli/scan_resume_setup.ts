/**
 * How `scan` sets a resumed run up: the command line from the resume file
 * ({@linkcode resumedCommandLine}) and the keeper of the verdicts for the
 * file ({@linkcode resumeKeeper}); see `scan_resume.ts` for the rules.
 *
 * @module
 */

import type { ResumeState } from "../engine/resume.ts";
import { parseArgs } from "./args.ts";
import { quote, UsageError } from "./errors.ts";
import type { CliHost } from "./host.ts";
import {
  nmapSpellings,
  SCAN_OPTIONS,
  type ScanSettings,
  type ScanValues,
} from "./scan_options.ts";
import {
  canonicalOptions,
  DEFAULT_RESUME_FILE,
  MAX_RESUMABLE,
  readResume,
  ResumeKeeper,
  savedArgs,
} from "./scan_resume.ts";

/**
 * The command line to run: the one given, or for `--resume FILE` the
 * file's (checked against the options given again), with its seed and
 * source port.
 */
export async function resumedCommandLine(
  given: ScanValues,
  targets: string[],
  host: CliHost,
): Promise<{ values: ScanValues; positionals: string[]; state?: ResumeState }> {
  if (given.resume === undefined) {
    return { values: given, positionals: targets };
  }
  const state = await readResume(
    host,
    given.resume,
    canonicalOptions(given, targets),
  );
  const parsed = parseArgs(
    nmapSpellings(savedArgs(state, given.resume)),
    SCAN_OPTIONS,
  );
  const sport = state.options.sport;
  const values: ScanValues = {
    ...parsed.values,
    seed: state.seed,
    ...(typeof sport === "number" ? { sport } : {}),
    resume: given.resume,
  };
  for (const key of ["progress", "noProgress", "resumeFile"] as const) {
    if (given[key] !== undefined) Object.assign(values, { [key]: given[key] });
  }
  return { values, positionals: parsed.positionals, state };
}

/**
 * The keeper of the scan's verdicts for its resume file, when the scan can
 * be resumed: the adaptive mode and connect scans (which finish the ports
 * started at Ctrl-C), or any scan given `--resume-file` or resumed.
 */
export function resumeKeeper(
  settings: ScanSettings,
  values: ScanValues,
  positionals: readonly string[],
  host: CliHost,
  run: {
    version: string;
    state: ResumeState | undefined;
    path: string | undefined;
    args: readonly string[];
  },
): ResumeKeeper | undefined {
  const { plan } = settings;
  if (run.state !== undefined && run.state.total !== plan.order.length) {
    throw new UsageError(
      `--resume: cannot resume from ${
        quote(run.path!)
      }: it is for other targets (${run.state.total} probes in the file, ${plan.order.length} now)`,
    );
  }
  const wanted = settings.pace.mode === "adaptive" ||
    settings.scan === "connect" || values.resumeFile !== undefined ||
    run.state !== undefined;
  if (
    !wanted || plan.order.length > MAX_RESUMABLE ||
    host.files?.replace === undefined
  ) return undefined;
  const path = values.resumeFile ?? run.path ?? DEFAULT_RESUME_FILE;
  const original = run.state?.options ?? {
    ...canonicalOptions(values, positionals),
    argv: JSON.stringify(run.args),
    sport: settings.sport,
  };
  return new ResumeKeeper(
    host,
    path,
    {
      tool: `tcpcraft ${run.version}`,
      seed: plan.seed,
      shard: plan.shard,
      total: plan.order.length,
      options: original,
      round: 1,
    },
    plan,
    run.state,
  );
}
