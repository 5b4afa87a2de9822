/**
 * The ports of one host, kept until its report is written: nmap's normal,
 * XML and grepable outputs list a host's ports sorted and decide what to
 * collapse from the counts of all of them, so each host's results are
 * buffered until the host is complete. This is all that is buffered, and
 * compactly: 8 bytes a port (port, state, reason, TTL packed in one
 * number), the rare sender of an ICMP error apart, and the round-trip
 * times folded into nmap's smoothed estimate as they come. A host of
 * 65,535 ports holds about half a megabyte until it is written.
 *
 * @module
 */

import { PORT_STATES, type PortState } from "../scan/state.ts";
import {
  collapsedStates,
  type CollapseOptions,
  type ReasonGroup,
  reasonGroups,
} from "./collapse.ts";
import type { NmapPortResult } from "./types.ts";

/** A listed port of a host report. */
export interface ReportedPort {
  /** The port. */
  port: number;
  /** nmap's state. */
  state: PortState;
  /** nmap's reason. */
  reason: string;
  /** The reply's TTL, 0 for none. */
  reasonTtl: number;
  /** Who sent the ICMP error, when not the host. */
  reasonIp?: string;
}

/** A collapsed state of a host report: "Not shown: 65530 closed tcp ports (reset)". */
export interface CollapsedState {
  /** The state. */
  state: PortState;
  /** How many ports are in it. */
  count: number;
  /** Its ports by reason, in nmap's order. */
  reasons: ReasonGroup[];
}

/** Everything an output writes about one host. */
export interface HostReport {
  /** The address. */
  host: string;
  /** Its family. */
  family: 4 | 6;
  /** How many ports were scanned. */
  total: number;
  /** The collapsed states, in nmap's order. */
  collapsed: CollapsedState[];
  /** The listed ports, ascending. */
  ports: ReportedPort[];
  /** Whether a port may be open (open, open|filtered, unfiltered): nmap's `--open` keeps only such hosts. */
  mayBeOpen: boolean;
  /** The smoothed round-trip time, µs (RFC 6298, as nmap keeps it), when a reply was timed. */
  srttUs?: number;
  /** Its variation, µs. */
  rttvarUs?: number;
}

const PORT_SHIFT = 2 ** 19;
const STATE_SHIFT = 2 ** 16;
const REASON_SHIFT = 2 ** 8;

/**
 * Reason words by number, shared by every host (nmap has about 60).
 *
 * @example
 * ```ts
 * import { ReasonCodes } from "./host_ports.ts";
 * import assert from "node:assert/strict";
 *
 * const codes = new ReasonCodes();
 * assert.equal(codes.code("syn-ack"), 0);
 * assert.equal(codes.code("reset"), 1);
 * assert.equal(codes.code("syn-ack"), 0);
 * assert.equal(codes.word(1), "reset");
 * ```
 */
export class ReasonCodes {
  readonly #codes = new Map<string, number>();
  readonly #words: string[] = [];

  /**
   * The number of a reason word, given on first sight.
   *
   * @param word The reason.
   * @returns Its number, 0..255.
   */
  code(word: string): number {
    let code = this.#codes.get(word);
    if (code === undefined) {
      if (this.#words.length === 256) {
        throw new RangeError(
          `Cannot keep reason "${word}": more than 256 reason words`,
        );
      }
      code = this.#words.length;
      this.#codes.set(word, code);
      this.#words.push(word);
    }
    return code;
  }

  /**
   * The word of a number.
   *
   * @param code The number.
   * @returns The word.
   */
  word(code: number): string {
    return this.#words[code]!;
  }
}

/**
 * One host's results, buffered until its report is built.
 *
 * @example
 * ```ts
 * import { HostPorts, ReasonCodes } from "./host_ports.ts";
 * import assert from "node:assert/strict";
 *
 * const host = new HostPorts("192.0.2.1", 0, new ReasonCodes());
 * for (let port = 1; port <= 30; port++) {
 *   host.add({ host: "192.0.2.1", port, state: port === 22 ? "open" : "closed",
 *     reason: port === 22 ? "syn-ack" : "reset", reasonTtl: 64 });
 * }
 * const report = host.report();
 * assert.deepEqual(report.collapsed.map((c) => [c.state, c.count]), [["closed", 29]]);
 * assert.deepEqual(report.ports, [{ port: 22, state: "open", reason: "syn-ack", reasonTtl: 64 }]);
 * ```
 */
export class HostPorts {
  /** The address. */
  readonly host: string;
  /** Its position among the targets. */
  readonly index: number;
  readonly #reasons: ReasonCodes;
  #packed = new Float64Array(16);
  #length = 0;
  readonly #reasonIps = new Map<number, string>();
  #srttUs: number | undefined;
  #rttvarUs = 0;

  /**
   * An empty host.
   *
   * @param host The address.
   * @param index Its position among the targets.
   * @param reasons The reason numbers shared by the hosts.
   */
  constructor(host: string, index: number, reasons: ReasonCodes) {
    this.host = host;
    this.index = index;
    this.#reasons = reasons;
  }

  /** How many results it holds. */
  get size(): number {
    return this.#length;
  }

  /**
   * Keep a result of this host. A port given twice counts once, with its
   * last result.
   *
   * @param result The result.
   */
  add(result: NmapPortResult): void {
    if (this.#length === this.#packed.length) {
      const grown = new Float64Array(this.#packed.length * 2);
      grown.set(this.#packed);
      this.#packed = grown;
    }
    const state = PORT_STATES.indexOf(result.state);
    if (state < 0) {
      throw new RangeError(`Cannot report state "${result.state}"`);
    }
    const ttl = Math.min(255, Math.max(0, result.reasonTtl ?? 0));
    this.#packed[this.#length++] = result.port * PORT_SHIFT +
      state * STATE_SHIFT + this.#reasons.code(result.reason) * REASON_SHIFT +
      ttl;
    if (result.reasonIp !== undefined) {
      this.#reasonIps.set(result.port, result.reasonIp);
    } else {
      this.#reasonIps.delete(result.port);
    }
    if (result.rttMs !== undefined && result.rttMs !== null) {
      this.#timed(result.rttMs * 1000);
    }
  }

  /** RFC 6298's smoothing, as nmap's timing keeps `srtt` and `rttvar`. */
  #timed(rttUs: number): void {
    if (this.#srttUs === undefined) {
      this.#srttUs = rttUs;
      this.#rttvarUs = rttUs / 2;
      return;
    }
    this.#rttvarUs = 0.75 * this.#rttvarUs +
      0.25 * Math.abs(this.#srttUs - rttUs);
    this.#srttUs = 0.875 * this.#srttUs + 0.125 * rttUs;
  }

  /**
   * The report: ports sorted, states collapsed by nmap's rule.
   *
   * @param options nmap's switches.
   * @returns The report.
   */
  report(options: CollapseOptions = {}): HostReport {
    const unique = this.#sortedUnique();
    const counts = new Map<PortState, number>();
    for (const packed of unique) {
      const state = PORT_STATES[Math.floor(packed / STATE_SHIFT) % 8]!;
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    const collapsedList = collapsedStates(counts, options);
    const collapsedSet = new Set(collapsedList);
    const byState = new Map<PortState, { port: number; reason: string }[]>();
    const ports: ReportedPort[] = [];
    for (const packed of unique) {
      const port = Math.floor(packed / PORT_SHIFT);
      const state = PORT_STATES[Math.floor(packed / STATE_SHIFT) % 8]!;
      const reason = this.#reasons.word(
        Math.floor(packed / REASON_SHIFT) % 256,
      );
      if (collapsedSet.has(state)) {
        let list = byState.get(state);
        if (list === undefined) byState.set(state, list = []);
        list.push({ port, reason });
        continue;
      }
      const reported: ReportedPort = {
        port,
        state,
        reason,
        reasonTtl: packed % 256,
      };
      const ip = this.#reasonIps.get(port);
      if (ip !== undefined) reported.reasonIp = ip;
      ports.push(reported);
    }
    const report: HostReport = {
      host: this.host,
      family: this.host.includes(":") ? 6 : 4,
      total: unique.length,
      collapsed: collapsedList.map((state) => ({
        state,
        count: counts.get(state)!,
        reasons: reasonGroups(byState.get(state)!),
      })),
      ports,
      mayBeOpen: (counts.get("open") ?? 0) > 0 ||
        (counts.get("open|filtered") ?? 0) > 0 ||
        (counts.get("unfiltered") ?? 0) > 0,
    };
    if (this.#srttUs !== undefined) {
      report.srttUs = Math.round(this.#srttUs);
      report.rttvarUs = Math.round(this.#rttvarUs);
    }
    return report;
  }

  /** The results by port, the last of a port that came twice. */
  #sortedUnique(): Float64Array {
    const sorted = this.#packed.slice(0, this.#length);
    // A stable sort by port: results of one port stay in arrival order.
    sorted.sort((a, b) =>
      Math.floor(a / PORT_SHIFT) - Math.floor(b / PORT_SHIFT)
    );
    let kept = 0;
    for (let i = 0; i < sorted.length; i++) {
      const port = Math.floor(sorted[i]! / PORT_SHIFT);
      const next = sorted[i + 1];
      if (next !== undefined && Math.floor(next / PORT_SHIFT) === port) {
        continue;
      }
      sorted[kept++] = sorted[i]!;
    }
    return sorted.subarray(0, kept);
  }
}
