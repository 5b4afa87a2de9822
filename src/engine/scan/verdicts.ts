/**
 * Reading replies into verdicts and handing decided ports over, for both
 * scan loops: the scan type's reading of a reply, cached per flags, window
 * sign, ICMP type and code (a verdict is not made afresh per reply); the
 * counts by state; and the three ways a run takes results (`onResultView`
 * with one reused object, `onResults` per turn, `onResult` per port).
 *
 * @module
 */

import type { ReplyReader } from "./replies.ts";
import type { ScanResult, ScanResultView } from "./result.ts";
import type { RunScanOptions } from "./run_options.ts";
import type { SpaceIndex } from "./space_index.ts";
import { PORT_STATES, type PortState, type PortVerdict } from "./state.ts";
import type { ScanTypeSpec } from "./types.ts";

/** A run's verdicts: reading, counting, handing over. */
export class Verdicts {
  /** Ports decided, by state. */
  readonly counts = Object.fromEntries(
    PORT_STATES.map((state) => [state, 0]),
  ) as Record<PortState, number>;
  /** Open ports found. */
  open = 0;
  readonly #spec: ScanTypeSpec;
  readonly #index: SpaceIndex;
  readonly #reader: ReplyReader;
  readonly #options: RunScanOptions;
  readonly #cache = new Map<number, PortVerdict | undefined>();
  #results: ScanResult[] = [];
  #unflushed = false;
  /** The one result object handed to `onResultView`. */
  readonly #view: ScanResultView = {
    host: "",
    port: 0,
    state: "open",
    reason: "",
    rttMs: null,
    ttl: undefined,
    reasonIp: undefined,
    addressIndex: 0,
  };

  /**
   * Verdicts of one run.
   *
   * @param spec The scan type.
   * @param index The target space.
   * @param reader The reply reader (TTL and ICMP sender of the reply just read).
   * @param options Where results go.
   */
  constructor(
    spec: ScanTypeSpec,
    index: SpaceIndex,
    reader: ReplyReader,
    options: RunScanOptions,
  ) {
    this.#spec = spec;
    this.#index = index;
    this.#reader = reader;
    this.#options = options;
  }

  /**
   * The scan type's reading of the reply the reader holds.
   *
   * @param reader The reader, after a successful `read`.
   * @returns The verdict, or undefined when nmap ignores such a reply.
   */
  read(reader: ReplyReader): PortVerdict | undefined {
    const key = reader.kind === "tcp"
      ? (reader.flags << 1) | (reader.window > 0 ? 1 : 0)
      : 0x10000 | (reader.family << 16) | (reader.icmpType << 8) |
        reader.icmpCode;
    if (this.#cache.has(key)) return this.#cache.get(key);
    const verdict = reader.kind === "tcp"
      ? this.#spec.tcp(reader.flags, reader.window)
      : this.#spec.icmp(reader.family, reader.icmpType, reader.icmpCode);
    this.#cache.set(key, verdict);
    return verdict;
  }

  /**
   * Count and hand over a decided port; with a round trip, the reply the
   * reader holds gives its TTL and ICMP sender.
   *
   * @param addressIndex The address's index.
   * @param port The port.
   * @param verdict The state and reason.
   * @param rttMs The round trip, or null for silence.
   */
  decide(
    addressIndex: number,
    port: number,
    verdict: PortVerdict,
    rttMs: number | null,
  ): void {
    this.counts[verdict.state]++;
    if (verdict.state === "open") this.open++;
    this.#unflushed = true;
    const v = this.#view;
    v.host = this.#index.addressText(addressIndex);
    v.port = port;
    v.state = verdict.state;
    v.reason = verdict.reason;
    v.rttMs = rttMs;
    v.addressIndex = addressIndex;
    v.ttl = undefined;
    v.reasonIp = undefined;
    if (rttMs !== null) {
      v.ttl = this.#reader.replyTtl();
      v.reasonIp = this.#reader.reasonIp(v.host);
    }
    const { onResultView, onResults, onResult } = this.#options;
    if (onResultView !== undefined) return onResultView(v);
    const result: ScanResult = {
      host: v.host,
      port,
      state: v.state,
      reason: v.reason,
      rttMs,
      addressIndex,
    };
    if (v.ttl !== undefined) result.ttl = v.ttl;
    if (v.reasonIp !== undefined) result.reasonIp = v.reasonIp;
    if (onResults !== undefined) this.#results.push(result);
    else onResult(result);
  }

  /** Hand over the results of this turn, and say the turn is over. */
  flush(): void {
    if (this.#results.length > 0) {
      const results = this.#results;
      this.#results = [];
      this.#options.onResults?.(results);
    }
    if (this.#unflushed) this.#options.onFlush?.();
    this.#unflushed = false;
  }
}
