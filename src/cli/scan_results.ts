/**
 * Where a scan's results go as they are found: the output on standard
 * output, nmap's files, the resume keeper and the banners; and the connect
 * scan that writes them.
 *
 * @module
 */

import type { ScanOutcome, ScanResult } from "../engine/scan/result.ts";
import type { CliHost } from "./host.ts";
import type { TwoStageInterrupt } from "./interrupt.ts";
import type { OutputFormatter } from "./output.ts";
import { connectScan } from "./scan_connect.ts";
import type { ScanSettings } from "./scan_options.ts";
import {
  ProgressLine,
  type ScanDocument,
  shownWithOpen,
} from "./scan_output.ts";
import type { ScanReports } from "./scan_reports.ts";
import type { ResumeKeeper } from "./scan_resume.ts";

/**
 * The banners after nmap's table: `BANNER` and one line per open port, by
 * host and port, each banner escaped for the terminal.
 */
export function bannerLines(results: readonly ScanResult[]): string {
  const sorted = [...results].sort((a, b) =>
    a.addressIndex - b.addressIndex || a.port - b.port
  );
  const width = Math.max(
    ...sorted.map((r) => `${r.host} ${r.port}/tcp`.length),
  );
  return `BANNERS\n${
    sorted.map((r) =>
      `${`${r.host} ${r.port}/tcp`.padEnd(width)}  ${r.banner}\n`
    )
      .join("")
  }`;
}

/** Where a scan's results go: the output on standard output and nmap's. */
export function resultWriter(
  settings: ScanSettings,
  outputs: {
    output: OutputFormatter<ScanResult, ScanDocument> | undefined;
    reports: ScanReports | undefined;
    keeper?: ResumeKeeper | undefined;
    banners?: ScanResult[];
  },
  progress: ProgressLine,
): (results: readonly ScanResult[]) => void {
  return (results) => {
    progress.clear();
    outputs.keeper?.add(results);
    for (const r of results) {
      if (r.banner !== undefined) outputs.banners?.push(r);
    }
    outputs.output?.write(
      settings.openOnly
        ? results.filter((r) => shownWithOpen(r.state))
        : results,
    );
    outputs.reports?.formatter.write(results);
  };
}

/** Run a connect scan, printing results as they come. */
export async function runConnect(
  settings: ScanSettings,
  outputs: {
    output: OutputFormatter<ScanResult, ScanDocument> | undefined;
    reports: ScanReports | undefined;
    keeper?: ResumeKeeper | undefined;
    banners?: ScanResult[];
    decided?: ReadonlySet<number>;
    interrupt: TwoStageInterrupt;
  },
  host: CliHost,
): Promise<ScanOutcome> {
  const progress = new ProgressLine(host);
  const { interrupt } = outputs;
  try {
    const { pace } = settings;
    return await connectScan(host, {
      plan: settings.plan,
      timeoutMs: pace.mode === "stateless" ? pace.timeoutMs : 1500,
      retries: pace.mode === "stateless"
        ? pace.retries
        : Math.min(1, pace.timing.maxRetries),
      concurrency: pace.mode === "stateless"
        ? Math.max(1, Math.min(512, Math.round(pace.rate)))
        : Math.min(512, pace.timing.maxParallelism),
      banners: settings.banners,
      ...(outputs.decided === undefined ? {} : { decided: outputs.decided }),
      signal: interrupt.signal,
      write: resultWriter(settings, outputs, progress),
    });
  } finally {
    progress.clear();
  }
}
