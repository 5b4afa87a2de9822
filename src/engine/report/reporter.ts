/**
 * {@linkcode NmapReporter}: drives nmap's outputs (any of normal, XML,
 * grepable, at once) from results that arrive unsorted and as found.
 *
 * What it buffers: only each host's ports, compactly (`host_ports.ts`:
 * 8 bytes a port), because every one of nmap's outputs lists a host's ports
 * sorted and collapses states from the counts of all of them. A host is
 * written, and its buffer freed, when the command says it is complete
 * ({@linkcode NmapReporter.completeHost}: a scan that walks hosts one
 * after another can say so as it goes) or at the end, in target order.
 * The header is written at once, so a file holds it while the scan runs.
 *
 * @module
 */

import type { CollapseOptions } from "./collapse.ts";
import type { NmapFormat } from "./format.ts";
import { HostPorts, ReasonCodes } from "./host_ports.ts";
import type {
  NmapPortResult,
  NmapRunEnd,
  NmapRunInfo,
  NmapSink,
} from "./types.ts";

/** An output: a format and where its text goes. */
export interface NmapOutput {
  /** The format. */
  format: NmapFormat;
  /** Where its text goes. */
  write: NmapSink;
}

/** Options for {@linkcode NmapReporter}. */
export interface NmapReporterOptions {
  /** The clock for the hosts' end times, epoch ms (default `Date.now`). */
  now?: () => number;
}

/**
 * nmap's outputs of one scan, written as results come.
 *
 * @example Results in any order; the table comes out sorted
 * ```ts
 * import { NmapReporter, nmapGrepableFormat, nmapNormalFormat } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * let normal = "";
 * let grepable = "";
 * const reporter = new NmapReporter(
 *   { scanType: "syn", ports: [22, 23, 80], args: "tcpcraft scan 192.0.2.1 -p 22,23,80", startMs: 0, version: "0.1.0" },
 *   [
 *     { format: nmapNormalFormat(), write: (text) => normal += text },
 *     { format: nmapGrepableFormat(), write: (text) => grepable += text },
 *   ],
 * );
 * reporter.begin();
 * reporter.add([
 *   { host: "192.0.2.1", port: 80, state: "open", reason: "syn-ack", reasonTtl: 64 },
 *   { host: "192.0.2.1", port: 23, state: "closed", reason: "reset", reasonTtl: 64 },
 *   { host: "192.0.2.1", port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 },
 * ]);
 * reporter.end({ endMs: 1000 });
 * assert.match(normal, /PORT {3}STATE {2}SERVICE\n22\/tcp open {3}ssh\n23\/tcp closed telnet\n80\/tcp open {3}http\n/);
 * assert.match(grepable, /Ports: 22\/open\/tcp\/\/ssh\/\/\/, 23\/closed\/tcp\/\/telnet\/\/\/, 80\/open\/tcp\/\/http\/\/\//);
 * ```
 */
export class NmapReporter {
  readonly #info: NmapRunInfo;
  readonly #outputs: readonly NmapOutput[];
  readonly #now: () => number;
  readonly #reasons = new ReasonCodes();
  readonly #hosts = new Map<string, HostPorts>();
  readonly #done = new Set<string>();
  #nextIndex = 0;
  #reported = 0;
  #begun = false;
  #ended = false;

  /**
   * A reporter; nothing is written until {@linkcode NmapReporter.begin}.
   *
   * @param info The run.
   * @param outputs The outputs.
   * @param options The clock.
   */
  constructor(
    info: NmapRunInfo,
    outputs: readonly NmapOutput[],
    options: NmapReporterOptions = {},
  ) {
    this.#info = info;
    this.#outputs = outputs;
    this.#now = options.now ?? Date.now;
  }

  /** How many port results are buffered (hosts not yet written). */
  get bufferedPorts(): number {
    let n = 0;
    for (const host of this.#hosts.values()) n += host.size;
    return n;
  }

  /** Write every output's header. */
  begin(): void {
    if (this.#begun) return;
    this.#begun = true;
    for (const output of this.#outputs) {
      output.write(output.format.begin(this.#info));
    }
  }

  /**
   * Keep results until their host is written.
   *
   * @param results Results, in any order.
   * @throws {RangeError} For a result of a host already written.
   */
  add(results: Iterable<NmapPortResult>): void {
    for (const result of results) {
      let host = this.#hosts.get(result.host);
      if (host === undefined) {
        if (this.#done.has(result.host)) {
          throw new RangeError(
            `Cannot report port ${result.port} of ${result.host}: the host was already written`,
          );
        }
        host = new HostPorts(
          result.host,
          result.hostIndex ?? this.#nextIndex++,
          this.#reasons,
        );
        this.#hosts.set(result.host, host);
      }
      host.add(result);
    }
  }

  /**
   * Write a host now and free its buffer: call it when every port of the
   * host is decided. Unknown hosts are ignored.
   *
   * @param address The host's address.
   */
  completeHost(address: string): void {
    const host = this.#hosts.get(address);
    if (host === undefined) return;
    this.#write(host);
  }

  #write(host: HostPorts): void {
    this.begin();
    this.#hosts.delete(host.host);
    this.#done.add(host.host);
    this.#reported++;
    const options: CollapseOptions = {};
    if (this.#info.verbose !== undefined) options.verbose = this.#info.verbose;
    if (this.#info.allPorts !== undefined) {
      options.allPorts = this.#info.allPorts;
    }
    if (this.#info.openOnly !== undefined) {
      options.openOnly = this.#info.openOnly;
    }
    const report = host.report(options);
    if (this.#info.openOnly === true && !report.mayBeOpen) return;
    const times = { startMs: this.#info.startMs, endMs: this.#now() };
    for (const output of this.#outputs) {
      output.write(output.format.host(report, this.#info, times));
    }
  }

  /**
   * Write the hosts not yet written, in target order (their `hostIndex`,
   * else the order they first came in), then every output's end. Calling
   * it again does nothing.
   *
   * @param end When and how the run ended.
   */
  end(end: NmapRunEnd = {}): void {
    if (this.#ended) return;
    this.begin();
    const pending = [...this.#hosts.values()].sort((a, b) => a.index - b.index);
    for (const host of pending) this.#write(host);
    this.#ended = true;
    const summary = {
      startMs: this.#info.startMs,
      endMs: end.endMs ?? this.#now(),
      hostsTotal: end.hostsTotal ?? this.#reported,
      hostsUp: this.#reported,
      ...(end.error === undefined ? {} : { error: end.error }),
    };
    for (const output of this.#outputs) {
      output.write(output.format.end(this.#info, summary));
    }
  }
}
