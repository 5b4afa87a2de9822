/**
 * What `send` prints besides its packets: the summary line, and where it
 * goes (standard output with `--format text`, standard error with the
 * others, so that standard output stays one packet per line).
 *
 * @module
 */

import { PACKET_VIEW } from "./format.ts";
import type { OutputView } from "./output.ts";

/** The summary at the end, or none (a failure before any packet). */
export type SendFinal = string | undefined;

/**
 * What `send` prints: each packet as `build` does, and the summary, on
 * standard output with the `text` format and on standard error with the
 * others.
 *
 * @example
 * ```ts
 * import { SEND_VIEW } from "./send_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SEND_VIEW.textEnd?.("1 packet, 40 bytes sent in 0.000 s"), "1 packet, 40 bytes sent in 0.000 s");
 * ```
 */
export const SEND_VIEW: OutputView<Uint8Array, SendFinal> = {
  ...PACKET_VIEW,
  textEnd: (line) => line,
  note: (line) => line,
};

/**
 * The summary line: packets and bytes, and for a run that sent, the time
 * from the first system call's start to the last one's end and the rate
 * between the first packet and the last (so `--rate 10` reports 10).
 *
 * @param packets Packets sent (or made, in a dry run).
 * @param bytes Their bytes, whole IP datagrams.
 * @param elapsedMs The time the sending took.
 * @param how How the run ended.
 * @returns The line, without a newline.
 *
 * @example
 * ```ts
 * import { sendSummary } from "./send_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sendSummary(11, 440, 1000, "sent"), "11 packets, 440 bytes sent in 1.000 s (10.0 pps)");
 * assert.equal(sendSummary(1, 40, 0, "dry-run"), "1 packet, 40 bytes (dry run: nothing sent)");
 * ```
 */
export function sendSummary(
  packets: number,
  bytes: number,
  elapsedMs: number,
  how: "sent" | "dry-run" | "interrupted",
): string {
  const noun = `${packets} packet${packets === 1 ? "" : "s"}, ${bytes} byte${
    bytes === 1 ? "" : "s"
  }`;
  if (how === "dry-run") return `${noun} (dry run: nothing sent)`;
  const seconds = elapsedMs / 1000;
  let line = `${noun} sent in ${seconds.toFixed(3)} s`;
  if (packets > 1 && elapsedMs > 0) {
    // The rate between the first packet and the last: with --rate 10 it is 10.
    const rate = (packets - 1) / seconds;
    line += ` (${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} pps)`;
  }
  return how === "interrupted" ? `${line}, interrupted` : line;
}
